"""The briefing's 五、意见建议: what to do, phrased from the facts — the 用地保障方案 when there is one (plan_text),
else the verified unlocks one at a time (拆迁、平整, standard factories), the 标准地 intensity flags, and the projects
no measure places. Pure, like the other sections (briefing.content)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from briefing.document import (
    Block,
    Paragraph,
    Section,
    as_date,
    as_number,
    cn_index,
    fmt_date,
    fmt_m2,
    fmt_yi,
    join_names,
)
from briefing.facts import Facts, stock_actions, zone_name
from briefing.labels import action_label
from briefing.plan_text import plan_advice
from geo.units import fmt_mu
from geo.vocab import FACTORY_STATUS_LABELS
from matching.model import Unlock

if TYPE_CHECKING:
    from geo.workspace import Workspace


def advice_section(f: Facts, ws: Workspace) -> Section:
    """五、意见建议: the 用地保障方案 or the verified unlocks in order, standard factories, 标准地 intensity,
    the rest."""
    t, p = f.totals, f.projects
    blocks: list[Block] = []
    n = 0
    land_unlocks = [u for u in f.unlocks if not u.factory_id]
    factory_unlocks = [u for u in f.unlocks if u.factory_id]
    if f.plan is not None:      # the 用地保障方案 supersedes the one-at-a-time unlocks
        n += 1
        works = "拆迁、平整、存量土地盘活和标准厂房建设" if stock_actions(f.plan) else "拆迁、平整和标准厂房建设"
        blocks += plan_advice(f, ws, f"（{cn_index(n)}）统筹安排用地保障资金，按方案分步推进{works}。")
        land_unlocks = factory_unlocks = []
    if land_unlocks:
        n += 1
        blocks.append(Paragraph(
            "建议按照“投入少、见效快、带动大”的顺序，优先启动以下拆迁、土地平整工作：",
            lead=f"（{cn_index(n)}）坚持“在空间上要增量”，加快推进拆迁和土地平整。"))
        for i, u in enumerate(land_unlocks, 1):
            blocks.append(Paragraph(_unlock_text(f, ws, u), lead=f"{i}. ", lead_level=3))
    space = "、".join(([f"土地{fmt_mu(t['unlock_area_mu'])}亩"] if land_unlocks else [])
                      + ([f"标准厂房空置面积{fmt_m2(t['unlock_factory_m2'])}平方米"] if factory_unlocks else []))
    summary = Paragraph(
        f"上述{t['unlock_count']:.0f}项工作共涉及{space}，全部完成后可新增落地项目"
        f"{t['unlock_places_count']:.0f}个、总投资{fmt_yi(t['unlock_investment_yi'])}亿元。建议列入县级重点工作，"
        f"明确责任单位和完成时限，实行台账管理、销号推进。")
    if f.unlocks and f.plan is None and not factory_unlocks:
        blocks.append(summary)
    if factory_unlocks or (t["pending_floor_m2"] and f.unplaced):
        n += 1
        if factory_unlocks:
            text = "建议加快以下标准厂房建设，为企业“拎包入驻”提供承载空间："
        else:
            text = "建议加快在建、规划标准厂房建设进度，引导适宜项目入驻标准厂房，原则上不再单独供地。"
        blocks.append(Paragraph(text, lead=f"（{cn_index(n)}）加快标准厂房建设。"))
        for i, u in enumerate(factory_unlocks, 1):
            blocks.append(Paragraph(_unlock_text(f, ws, u), lead=f"{i}. ", lead_level=3))
        if factory_unlocks:
            blocks.append(summary)
    n += 1
    lead = f"（{cn_index(n)}）严格落实“标准地”要求，节约集约用地。"
    if f.intensity:
        blocks.append(Paragraph(
            f"按投资强度控制指标核算（{f.intensity_source}），{t['intensity_flag_count']:.0f}个项目投资强度低于"
            f"标准，建议按标准核定用地规模，腾出的土地用于保障其他项目：", lead=lead))
        for i, flag in enumerate(f.intensity, 1):
            blocks.append(Paragraph(_intensity_text(f, flag), lead=f"{i}. ", lead_level=3))
    elif t["pending_count"]:
        blocks.append(Paragraph(f"按投资强度控制指标核算（{f.intensity_source}），待落地项目投资强度均达到标准。",
                                lead=lead))
    else:
        blocks.append(Paragraph("新引进项目按“标准地”要求出让，严格执行投资强度、容积率等控制指标。", lead=lead))
    secured = set(f.plan.placed_added) if f.plan is not None else {pid for x in f.unlocks for pid in x.places}
    remaining = [u for u in f.unplaced if u.project_id not in secured]
    n += 1
    if remaining:
        names = join_names((p.at[u.project_id, "name"] for u in remaining), limit=4)
        blocks.append(Paragraph(
            f"{names}在现有和在途土地、标准厂房中均难以落实选址，建议积极对接项目方，引导其在其他园区选址或调整用地规模，"
            f"同步研究新增工业用地规划指标。", lead=f"（{cn_index(n)}）分类施策推动其余项目落地。"))
    else:
        blocks.append(Paragraph(
            "持续跟踪在谈、已签约项目用地需求，动态更新园区地块和项目台账，定期开展用地匹配测算，"
            "做到“项目等地”向“地等项目”转变。", lead=f"（{cn_index(n)}）强化项目用地动态管理。"))
    return Section("advice", "五、意见建议", blocks)


def _unlock_text(f: Facts, ws: Workspace, u: Unlock) -> str:
    p = f.projects
    places = [pid for pid in u.places if pid in p.index]
    names = join_names(p.at[pid, "name"] for pid in places)
    place_text = f"可落实{names}，总投资{fmt_yi(u.investment_yi)}亿元" if places else "可增加可供土地"
    if u.factory_id:
        fid = u.factory_id
        fac = ws.factories.loc[fid] if fid in ws.factories.index else None
        if fac is None:
            return f"加快标准厂房{fid}建设，{place_text}。"
        state = FACTORY_STATUS_LABELS.get(fac["status"], fac["status"])
        ready = as_date(fac.get("ready_date"))
        when = f"，原计划{fmt_date(ready)}建成" if ready else ""
        return (f"加快{zone_name(ws, fac['zone_id'])}标准厂房{fid}建设（{state}{when}，空置面积"
                f"{fmt_m2(as_number(fac['vacant_m2']))}平方米），{place_text}。")
    ids = list(u.parcel_ids or [])
    zone_ids = ws.parcels["zone_id"].reindex(ids).dropna().unique()
    where = "、".join(zone_name(ws, z) for z in zone_ids)
    statuses = list(ws.parcels["status"].reindex(ids).dropna())
    return (f"完成{where}{join_names(ids, limit=3, unit='宗')}地块{action_label(u.action, statuses)}"
            f"（{fmt_mu(as_number(u.area_mu))}亩），{place_text}。")


def _intensity_text(f: Facts, flag: dict) -> str:
    p = f.projects
    pid = flag.get("project_id")
    name = p.at[pid, "name"] if pid in p.index else str(pid)
    parts = [f"{name}需用地{fmt_mu(as_number(flag.get('land_mu', p['land_mu'].get(pid, 0.0))))}亩"]
    if flag.get("intensity_wan_per_mu") is not None:
        parts.append(f"投资强度{as_number(flag['intensity_wan_per_mu']):.1f}万元/亩")
    if flag.get("floor_wan_per_mu") is not None:
        parts.append(f"低于{as_number(flag['floor_wan_per_mu']):.0f}万元/亩的标准")
    if flag.get("justified_mu") is not None:
        parts.append(f"按标准核定用地{fmt_mu(as_number(flag['justified_mu']))}亩")
    return "，".join(parts) + "。"
