"""The briefing's sections, pure: one typed match result + its Workspace → a ``Document``.

Every number comes from ``facts.compute_facts`` (computed once from the match result); the sections only phrase
those facts. Renderers (docx.py, preview.py) never compute, they lay out.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from briefing.advice import advice_section
from briefing.document import (
    Block,
    Document,
    Figure,
    Heading,
    Masthead,
    Paragraph,
    Section,
    Table,
    as_number,
    cn_index,
    fmt_date,
    fmt_m2,
    fmt_pct,
    fmt_yi,
    join_names,
)
from briefing.facts import Facts, compute_facts
from briefing.kpi_text import kpi_sentence
from briefing.labels import reason_label
from briefing.stock_text import stock_paragraph
from geo.constraints import EXCLUSION_ORDER
from geo.units import fmt_mu
from geo.vocab import (
    BRIEFING_TABLE_TITLES as TITLES,
    EXCLUSION_LABELS,
    FACTORY_STATUS_LABELS,
    FIELD_LABELS as F,
    GAP_ZONE_LABELS,
    INDUSTRIES,
    PARCEL_STATUS_LABELS,
    PROJECT_STAGE_LABELS,
    UNZONED_LABEL,
)
from matching.model import MatchResult, Placement, Unplaced

if TYPE_CHECKING:
    from geo.settings import Settings
    from geo.workspace import Workspace

__all__ = ["build_document", "compute_facts", "Document", "Facts", "Heading", "fmt_yi"]


# ------------------------------------------------------------------------------------------------ sections

def _net_text(t: dict) -> str:
    """Gross and net available land and what each constraint takes (only when constraints were applied)."""
    if not t["constraints_applied"]:
        return ""
    parts = "，".join(f"{EXCLUSION_LABELS[k]}{fmt_mu(t[f'constrained_{k}_mu'])}亩" for k in EXCLUSION_ORDER
                     if round(t[f"constrained_{k}_mu"], 1) > 0)
    taken = (f"扣除{parts}" + ("及不足成片的零星地块" if t["available_constrained_mu"] - sum(
        t[f"constrained_{k}_mu"] for k in EXCLUSION_ORDER) >= 0.05 else "") + "后，") if parts else ""
    return (f"可供地毛面积{fmt_mu(t['available_gross_mu'])}亩，{taken}可供净用地{fmt_mu(t['available_net_mu'])}亩"
            f"（共扣除{fmt_mu(t['available_constrained_mu'])}亩），本报告的匹配测算只使用净用地。")


def _reason_cell(u: Unplaced) -> str:
    """The gap table's reason; CONSTRAINED names the layers its sentence names."""
    label = reason_label(u.reason)
    if u.reason != "CONSTRAINED":
        return label
    layers = [EXCLUSION_LABELS[k] for k in EXCLUSION_ORDER if EXCLUSION_LABELS[k] in str(u.detail or "")]
    return f"{label}（{'、'.join(layers)}）" if layers else label


def _basic(f: Facts, ws: Workspace) -> Section:
    t = f.totals
    status_parts = "，".join(f"{label}{fmt_mu(t[f'{s}_mu'])}亩" for s, label in PARCEL_STATUS_LABELS.items())
    blocks: list[Block] = [Paragraph(
        f"全县共有工业园区（片区）{t['zone_count']:.0f}个，规划面积{fmt_mu(t['zone_area_mu'])}亩。园区内工业用地"
        f"地块{t['parcel_count']:.0f}宗、{fmt_mu(t['parcel_mu'])}亩，其中：{status_parts}。"
        f"待平整、待拆迁的在途土地合计{fmt_mu(t['pipeline_mu'])}亩，完成土地平整、拆迁后可转为可供净地。"
        + _net_text(t), lead="（一）园区土地情况。")]
    zones = f.zones[f.zones.index != ""]
    cols = ["available", "leveling", "demolition", "supplied", "reserved"]
    blocks.append(Table(
        key="land", title=TITLES["land"],
        columns=[F["zone_name"], F["industries"]] + [PARCEL_STATUS_LABELS[c] for c in cols] + [F["vacant_factory_m2"]],
        rows=[[r.name, r.industries or "不限"] + [fmt_mu(getattr(r, f"{c}_mu")) for c in cols] + [fmt_m2(r.vacant_m2)]
              for r in zones.itertuples()],
        total=[F["total_row"], ""] + [fmt_mu(t[f"{c}_mu"]) for c in cols] + [fmt_m2(t["factory_vacant_m2"])],
        widths=[2.9, 1.4, 1.3, 1.3, 1.3, 1.4, 1.3, 1.4], numeric=list(range(2, 8))))
    if t["factory_count"]:
        fac = f.factories
        parts = "，".join(f"{label}{int(fac.at[s, 'count'])}栋、{fmt_m2(fac.at[s, 'floor_m2'])}平方米"
                         for s, label in FACTORY_STATUS_LABELS.items() if fac.at[s, "count"])
        built = fac.at["built", "floor_m2"] if "built" in fac.index else 0.0
        rate = f"，已建成厂房空置率{fmt_pct(fac.at['built', 'vacant_m2'] / built)}" if built else ""
        blocks.append(Paragraph(
            f"全县标准厂房共{t['factory_count']:.0f}栋、建筑面积{fmt_m2(t['factory_floor_m2'])}平方米，其中{parts}；"
            f"可供入驻的空置面积{fmt_m2(t['factory_vacant_m2'])}平方米{rate}。", lead="（二）标准厂房情况。"))
    else:
        blocks.append(Paragraph("全县暂无已建、在建或规划的标准厂房。", lead="（二）标准厂房情况。"))
    sub = 2
    if f.kpi is not None:
        sub += 1
        blocks.append(Paragraph(kpi_sentence(f.kpi), lead=f"（{cn_index(sub)}）招商考核情况。"))
    stock = stock_paragraph(f, ws)
    if stock:
        blocks.append(Paragraph(stock, lead=f"（{cn_index(sub + 1)}）存量土地情况。"))
    return Section("basic", "一、基本情况", blocks)


def _demand(f: Facts) -> Section:
    t, p = f.totals, f.projects
    if not len(p):
        return Section("demand", "二、项目用地需求", [Paragraph(
            "目前全县暂无在谈、已签约或已开工的待落地项目。现有可供土地和标准厂房可作为下一步招商引资的承载空间。")])
    stages = "、".join(f"{label}{int((p['stage'] == s).sum())}个" for s, label in reversed(PROJECT_STAGE_LABELS.items())
                      if (p["stage"] == s).any())
    floor = f"，另需标准厂房{fmt_m2(t['pending_floor_m2'])}平方米" if t["pending_floor_m2"] else ""
    blocks: list[Block] = [Paragraph(
        f"目前全县待落地项目共{t['pending_count']:.0f}个（{stages}），总投资{fmt_yi(t['pending_investment_yi'])}亿元，"
        f"需用地{fmt_mu(t['pending_land_mu'])}亩{floor}。分产业和意向园区情况如下。")]
    industries = list(INDUSTRIES) + [i for i in p["industry"].unique() if i not in INDUSTRIES]
    rows = []
    for ind in industries:
        sub = p[p["industry"] == ind]
        if not len(sub):
            continue
        rows.append([ind, f"{len(sub)}"] + [f"{int((sub['stage'] == s).sum())}" for s in reversed(PROJECT_STAGE_LABELS)]
                    + [fmt_yi(sub["investment_yi"].sum()), fmt_mu(sub["land_mu"].sum()), fmt_m2(sub["floor_m2"].sum())])
    blocks.append(Table(
        key="demand", title=TITLES["demand"],
        columns=[F["industry"], F["project_count"]] + [PROJECT_STAGE_LABELS[s] for s in reversed(PROJECT_STAGE_LABELS)]
        + [F["investment_yi"], F["land_mu"], F["floor_m2"]],
        rows=rows,
        total=[F["total_row"], f"{t['pending_count']:.0f}"] + [f"{int((p['stage'] == s).sum())}"
                                                     for s in reversed(PROJECT_STAGE_LABELS)]
        + [fmt_yi(t["pending_investment_yi"]), fmt_mu(t["pending_land_mu"]), fmt_m2(t["pending_floor_m2"])],
        widths=[1.8, 1.1, 1.1, 1.1, 1.1, 1.7, 1.6, 1.6], numeric=list(range(1, 8))))
    want = f.zones[f.zones["demand_count"] > 0]
    parts = "；".join(f"{r.name}{int(r.demand_count)}个、需用地{fmt_mu(r.demand_mu)}亩"
                     f"（可供{fmt_mu(r.available_mu)}亩）"
                     if r.Index != "" else f"{UNZONED_LABEL}{int(r.demand_count)}个、需用地{fmt_mu(r.demand_mu)}亩"
                     for r in want.itertuples())
    blocks.append(Paragraph(f"按意向园区分（未明确意向园区的按落地园区计）：{parts}。"))
    return Section("demand", "二、项目用地需求", blocks)


def _site_text(f: Facts, p: Placement) -> str:
    if p.kind == "factory":
        return f"标准厂房{p.factory_id or ''}"
    return join_names(p.parcel_ids or [], limit=3, unit="宗")


def _match(f: Facts) -> Section:
    t = f.totals
    if not t["pending_count"]:
        return Section("match", "三、匹配结果", [Paragraph("目前没有需要匹配选址的待落地项目。"),
                                               Figure("map", "图1  全县工业用地现状")])
    pct = t["placed_count"] / t["pending_count"]
    method = "全局最优" if f.status == "optimal" else f"可行解（与最优解相差不超过{fmt_pct(f.gap)}）"
    blocks: list[Block] = [Paragraph(
        f"按照优先保障已开工、已签约项目，兼顾项目意向园区的原则，对全部待落地项目统筹匹配选址（{method}）。"
        f"结果显示，{t['placed_count']:.0f}个项目可落实选址，占{fmt_pct(pct)}，涉及总投资"
        f"{fmt_yi(t['placed_investment_yi'])}亿元；其中{t['placed_land_count']:.0f}个项目安排土地"
        f"{fmt_mu(t['placed_site_mu'])}亩，{t['placed_factory_count']:.0f}个项目入驻标准厂房。")]
    p = f.projects
    rows = []
    for i, pl in enumerate(f.placed, 1):
        pid = pl.project_id
        site_mu = as_number(pl.site_mu) if pl.kind == "land" else None
        rows.append([f"{i}", str(p.at[pid, "name"]), str(p.at[pid, "industry"]), fmt_yi(p.at[pid, "investment_yi"]),
                     str(f.zones["name"].get(pl.zone_id, pl.zone_id or "")), _site_text(f, pl),
                     fmt_mu(site_mu) if site_mu is not None else "—"])
    if rows:
        blocks.append(Table(
            key="placed", title=TITLES["placed"], columns=[F[k] for k in (
                "row_number", "project_name", "industry", "investment_yi", "zone_name", "site_or_factory", "site_mu")],
            rows=rows, total=[F["total_row"], f"{t['placed_count']:.0f}个", "", fmt_yi(t["placed_investment_yi"]), "",
                              "", fmt_mu(t["placed_site_mu"])],
            widths=[0.85, 3.1, 1.7, 1.2, 2.2, 2.6, 1.3], numeric=[3, 6]))
    blocks.append(Figure("map", "图1  全县工业用地与项目选址示意图"))
    return Section("match", "三、匹配结果", blocks)


def _need_text(u: Unplaced) -> str:
    """need_mu in 亩; a project that needs only factory space has none ("—")."""
    need = as_number(u.need_mu)
    return fmt_mu(need) if need > 0 else "—"


def _gap(f: Facts) -> Section:
    t, p = f.totals, f.projects
    heading = "四、“有项目、无选址”情况"
    if not t["pending_count"]:
        return Section("gap", heading, [Paragraph("目前暂无待落地项目，不存在“有项目、无选址”情况。")])
    if not f.unplaced:
        return Section("gap", heading, [Paragraph(
            f"经测算，全部{t['pending_count']:.0f}个待落地项目均可落实选址，暂无“有项目、无选址”情况。"
            f"匹配后各园区仍有可供土地，可继续用于招商引资。"), Figure("supply_demand", "图2  各园区土地供需对比")])
    worst = f.zones[f.zones["unplaced_count"] > 0].sort_values("unplaced_gap_mu", ascending=False)
    where = "、".join(f"{r.name}（{int(r.unplaced_count)}个" + (f"、缺口{fmt_mu(r.unplaced_gap_mu)}亩）"
                                                           if r.unplaced_gap_mu > 0 else "）")
                     for r in worst.itertuples())
    blocks: list[Block] = [Paragraph(
        f"经测算，全县仍有{t['unplaced_count']:.0f}个项目暂无法落实选址，涉及总投资"
        f"{fmt_yi(t['unplaced_investment_yi'])}亿元，需用地{fmt_mu(t['unplaced_need_mu'])}亩，用地缺口"
        f"{fmt_mu(t['unplaced_gap_mu'])}亩，主要集中在{where}。具体见表4。")]
    rows = []
    for i, u in enumerate(f.unplaced, 1):
        pid = u.project_id
        rows.append([f"{i}", str(p.at[pid, "name"]), str(p.at[pid, "industry"]), fmt_yi(p.at[pid, "investment_yi"]),
                     _need_text(u), str(p.at[pid, "zone_name"]), _reason_cell(u),
                     "—" if u.gap_mu is None else fmt_mu(as_number(u.gap_mu))])
    blocks.append(Table(
        key="gap", title=TITLES["gap"],
        columns=[F[k] for k in ("row_number", "project_name", "industry", "investment_yi", "land_mu", "preferred_zone",
                                "reason", "gap_mu")],
        rows=rows, total=[F["total_row"], f"{t['unplaced_count']:.0f}个", "", fmt_yi(t["unplaced_investment_yi"]),
                          fmt_mu(t["unplaced_need_mu"]), "", "", fmt_mu(t["unplaced_gap_mu"])],
        widths=[0.85, 2.9, 1.7, 1.2, 1.2, 2.1, 1.9, 1.1], numeric=[3, 4, 7]))
    zrows = [[r.name, f"{int(r.unplaced_count)}", fmt_yi(r.unplaced_yi), fmt_mu(r.unplaced_need_mu),
              fmt_mu(r.unplaced_gap_mu), fmt_mu(r.available_left_mu), fmt_mu(r.pipeline_left_mu)]
             for r in f.zones[f.zones["unplaced_count"] > 0].itertuples()]
    blocks.append(Table(
        key="gap_by_zone", title=TITLES["gap_by_zone"],
        columns=[F["preferred_zone"], F["project_count"], F["investment_yi"], F["land_mu"], F["gap_mu"],
                 GAP_ZONE_LABELS["available_left_mu"], GAP_ZONE_LABELS["pipeline_mu"]],
        rows=zrows, total=[F["total_row"], f"{t['unplaced_count']:.0f}", fmt_yi(t["unplaced_investment_yi"]),
                           fmt_mu(t["unplaced_need_mu"]), fmt_mu(t["unplaced_gap_mu"]), "", ""],
        widths=[2.6, 1.0, 1.5, 1.5, 1.4, 1.4, 1.4], numeric=list(range(1, 7))))
    un = pd.DataFrame({"project_id": [u.project_id for u in f.unplaced], "need_mu": [u.need_mu for u in f.unplaced],
                       "gap_mu": [u.gap_mu for u in f.unplaced]})
    un["industry"] = [p.at[pid, "industry"] for pid in un["project_id"]]
    un["yi"] = [p.at[pid, "investment_yi"] for pid in un["project_id"]]
    un["need"] = un["need_mu"].map(as_number)
    un["gapv"] = un["gap_mu"].map(as_number)
    industries = list(INDUSTRIES) + [i for i in un["industry"].unique() if i not in INDUSTRIES]
    irows = [[ind, f"{len(s)}", fmt_yi(s["yi"].sum()), fmt_mu(s["need"].sum()), fmt_mu(s["gapv"].sum())]
             for ind in industries if len(s := un[un["industry"] == ind])]
    blocks.append(Table(
        key="gap_by_industry", title=TITLES["gap_by_industry"],
        columns=[F[k] for k in ("industry", "project_count", "investment_yi", "land_mu", "gap_mu")], rows=irows,
        total=[F["total_row"], f"{t['unplaced_count']:.0f}", fmt_yi(t["unplaced_investment_yi"]),
               fmt_mu(t["unplaced_need_mu"]), fmt_mu(t["unplaced_gap_mu"])],
        widths=[2.0, 1.2, 1.8, 1.8, 1.8], numeric=[1, 2, 3, 4]))
    blocks.append(Figure("supply_demand", "图2  各园区土地供需对比"))
    blocks.append(Paragraph("各项目无法落实选址的具体原因如下：", lead="（一）具体原因。"))
    for i, u in enumerate(f.unplaced, 1):
        detail = str(u.detail or reason_label(u.reason)).rstrip("。")
        blocks.append(Paragraph(f"{detail}。", lead=f"{i}. {p.at[u.project_id, 'name']}：", lead_level=3))
    return Section("gap", heading, blocks)


def since_text(f: Facts) -> str:
    """附's line on what changed since the previous snapshot (numbers from facts.SinceFacts)."""
    s = f.since
    gap = ("未变" if abs(s.gap_change_mu) < 0.005 else
           f"{'增加' if s.gap_change_mu > 0 else '减少'}{fmt_mu(abs(s.gap_change_mu))}亩")
    return (f"与上次快照（数据日期{fmt_date(s.previous_date)}）相比，本次数据日期{fmt_date(f.data_date)}：地块状态变化"
            f"{s.parcels_changed}宗，新增项目{s.projects_added}个，阶段推进{s.projects_advanced}个，新落实选址"
            f"{s.projects_placed}个，用地缺口{gap}。")


def _appendix(f: Facts, fonts_note: str) -> Section:
    status = {"optimal": "已求得最优解", "feasible": f"可行解，相对最优差距不超过{fmt_pct(f.gap)}"}.get(
        f.status, f.status or "未注明")
    items = [
        ("数据", f"园区边界、工业用地地块、标准厂房和招商项目台账，数据日期{fmt_date(f.data_date)}；坐标系"
                 f"{f.crs_name}；面积按CGCS2000椭球面积计算，1亩≈666.67平方米，重叠部分只计一次。"
                 + (f"本报告所用为{f.county_note}。" if f.county_note else "")),
        ("情景", f"{f.scenario}。"),
        ("方法", "可供土地为净地，以及在项目需用地时间前完成平整、拆迁的在途地块；已供、预留土地不参与匹配。"
                 "每个项目在准入其产业的园区内安排一处连片用地，较大地块按需分割；只需厂房的项目安排至空置标准厂房。"
                 f"以项目优先级（已开工、已签约优先）加权的落地总量最大为目标，用混合整数规划求解（{status}）。"
                 "“建议”中的每项工作均经重新测算验证。"),
        ("净用地", "可供土地按净用地计：地块面积扣除永久基本农田、生态保护红线、重现期不超过"
                  f"{f.totals['flood_return_period']:.0f}年的洪水淹没范围、城镇开发边界以外部分和自然坡度大于"
                  f"{f.totals['max_slope_pct']:.0f}%的土地（待平整地块按平整后计），多个限制重叠的部分只扣除一次，"
                  "扣除后不足成片的零星地块不计；坡度由数字高程模型（DEM）计算。"
                  + ("" if f.totals["constraints_applied"] else "本次数据未提供三区三线图层和高程数据，未作扣除。")),
        ("标准", f"投资强度控制指标：{f.intensity_source}。"),
        ("说明", f"本报告由LandGap根据同一次匹配测算结果自动生成，文中数字均取自该结果。字体：{fonts_note}。"),
    ]
    if f.since is not None:
        items.append(("变化", since_text(f)))
    blocks: list[Block] = [Paragraph(text, lead=f"{i}. {k}：", lead_level=3) for i, (k, text) in enumerate(items, 1)]
    return Section("appendix", "附：测算方法和数据说明", blocks, new_page=True)


def build_document(ws: Workspace, result: MatchResult, settings: Settings, as_of: dt.date | None = None,
                   data_date: dt.date | None = None, scenario: str | None = None, intensity: list[dict] | None = None,
                   issuer: str | None = None, addressee: str | None = None, fonts_note: str = "",
                   plan=None, since=None, cache=None) -> Document:
    """The whole document model; pure (no files, no rendering). ``plan``: a 用地保障方案 (matching.plan) on this
    workspace, which 五、意见建议 is then built from; ``since``: a SnapshotDiff (附 says what changed); ``cache``:
    the caller's ``geo.cache.DerivedCache``."""
    f = compute_facts(ws, result, settings, as_of=as_of, data_date=data_date, scenario=scenario, intensity=intensity,
                      plan=plan, since=since, cache=cache)
    t = f.totals
    issuer = issuer or f"{f.county}经济合作局"
    opening = [Paragraph(
        f"为摸清全县工业用地底数，破解“有项目、无选址”难题，我局依据截至{fmt_date(f.data_date)}的园区地块、标准厂房"
        f"和招商项目台账，对全县{t['pending_count']:.0f}个待落地项目的用地需求与可供土地逐一进行了匹配测算。"
        "现将有关情况报告如下：")]
    sections = [_basic(f, ws), _demand(f), _match(f), _gap(f), advice_section(f, ws), _appendix(f, fonts_note)]
    closing = [Paragraph("特此报告。"), Paragraph(issuer, kind="signature"), Paragraph(fmt_date(f.as_of), kind="date")]
    masthead = None
    if settings.briefing.masthead:
        number = settings.briefing.document_number or f"〔{f.as_of.year}〕　　号"
        masthead = Masthead(mark=f"{issuer}文件", number=number, signer=settings.briefing.signer)
    return Document(title=f"关于{f.county}工业用地保障和“有项目、无选址”情况的报告",
                    addressee=f"{addressee or f.county + '人民政府'}：", opening=opening, sections=sections,
                    closing=closing, totals=t, facts=f, masthead=masthead)
