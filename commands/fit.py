"""`fit`: can one prospective project be placed — its candidate sites, or why not and what would unblock it."""
from __future__ import annotations

from commands.common import county_option, date_arg, emit, load_ws, number_arg, with_progress
from commands.table import format_table
from geo.vocab import FIELD_LABELS


def cmd_fit(args) -> int:
    import matching
    ws = load_ws(args)
    prospect = matching.Prospect(industry=args.industry, need_mu=args.need_mu, floor_m2=args.floor_m2,
                                 zone_id=args.zone, by=args.by, investment_yi=args.investment_yi)
    result = with_progress(lambda progress: matching.fit(prospect, ws, settings=args.settings,
                                                          all_free_land=args.all_free_land,
                                                          progress=progress, time_limit=args.time_limit))
    d = result.to_dict()
    if result.fits:
        rows = [dict(c, parcel_ids=c["parcel_ids"] or c["factory_id"]) for c in d["candidates"]]
        text = (f"可以安排：共 {d['candidate_count']} 处候选（列出前 {len(rows)} 处）\n" + format_table(
            rows, [(k, FIELD_LABELS[label]) for k, label in (
                ("zone_id", "zone_name"), ("parcel_ids", "unlock_target"), ("area_mu", "site_mu"),
                ("surplus_mu", "surplus_mu"), ("ready_date", "site_ready_date"))]))
    elif result.status == "timeout":
        text = "在求解时间上限内未找到候选选址（已超时，结果不完整）"
    else:
        text = f"无法安排（{matching.REASONS[d['reason']]}）：{d['detail']}"
        if d["unlocks"]:
            text += "\n解锁措施（已复核）：\n" + "\n".join(f"- {u['detail']}" for u in d["unlocks"])
    if result.fits and result.status == "timeout":
        text += "\n注意：已达求解时间上限，候选未全部检查（结果不完整）"
    emit(args, d, text)
    return 0


def register(command) -> None:
    p = command("fit", cmd_fit, "检查一个意向项目能否落地：候选选址，或原因、缺口与解锁措施")
    p.add_argument("--industry", required=True, help="产业，如 纺织鞋服")
    need = p.add_mutually_exclusive_group(required=True)
    need.add_argument("--need-mu", type=number_arg, help=FIELD_LABELS["land_mu"])
    need.add_argument("--floor-m2", type=number_arg, help=FIELD_LABELS["floor_m2"])
    county_option(p, per_county_table=False)    # one county's rows read: its parks only
    p.add_argument("--zone", help="只在该园区内查找（园区编号）")
    p.add_argument("--by", type=date_arg, help="需用地时间 YYYY-MM-DD：计入届时完成平整/拆迁的地块")
    p.add_argument("--investment-yi", type=number_arg, help=FIELD_LABELS["investment_yi"])
    p.add_argument("--time-limit", type=number_arg, help="求解时间上限（秒），默认见 config [matching] time_limit_s")
    p.add_argument("--all-free-land", action="store_true", help="与全部空闲土地比较（默认扣除已签约/已开工项目的选址）")
