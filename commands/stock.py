"""`stock`: the county's stock land (存量土地) as of a date — 批而未供, 逾期/闲置/可收回 supplied land, 逾期未竣工, the
land of D-grade firms — with the next legal step and its deadline, the firms' 亩均效益 grades, and the 亩 per class."""
from __future__ import annotations

from datetime import date

from commands.common import date_arg, emit, load_ws
from commands.table import format_table
from geo.vocab import FIELD_LABELS as F, STOCK_CLASS_LABELS, STOCK_LABELS as S


def stock_text(d: dict) -> str:
    """The Chinese tables of ``stock --json``'s payload ``d``."""
    t = d["totals"]
    lines = [f"{S['title']}（{S['as_of']} {d['as_of']}）", format_table(
        [{"k": STOCK_CLASS_LABELS[k[:-3]], "v": v} for k, v in t.items() if k != "fees_wan"]
        + [{"k": S["fees_wan"], "v": t["fees_wan"]}], [("k", S["class"]), ("v", F["area_mu"])])]
    if d["parcels"]:
        rows = [dict(r, cls=STOCK_CLASS_LABELS[r["class"]]) for r in d["parcels"]]
        lines += [f"\n{S['parcels']} {len(rows)} 宗", format_table(rows, [
            ("parcel_id", F["parcel_id"]), ("zone_id", F["zone_id"]), ("cls", S["class"]), ("area_mu", F["area_mu"]),
            ("days_overdue", S["days_overdue"]), ("fee_wan", S["fee_wan"]), ("holder", F["holder"]),
            ("deadline", S["deadline"]), ("next_step", S["next_step"])])]
    if d["firms"]:
        rows = [dict(r, **r["indicators"], grade=r["grade"] or S["not_graded"]) for r in d["firms"]]
        lines += [f"\n{S['firms']} {len(rows)} 家", format_table(rows, [
            ("firm_id", F["firm_id"]), ("name", F["name"]), ("land_mu", S["land_mu"]), ("score", S["score"]),
            ("grade", S["grade"]), ("tax_per_mu", S["tax_per_mu"]), ("revenue_per_mu", S["revenue_per_mu"])])]
    return "\n".join(lines)


def cmd_stock(args) -> int:
    from geo.stock import stock_report
    ws = load_ws(args, terrain=False)          # classes need no DEM
    d = stock_report(ws, args.as_of or date.today(), args.settings).to_dict()
    emit(args, d, "" if args.json else stock_text(d))     # the tables take seconds on 100k parcels
    return 0


def register(command) -> None:
    p = command("stock", cmd_stock, "存量土地：批而未供、逾期未动工、闲置（闲置费）、可无偿收回、政府原因、逾期未竣工、"
                "低效用地（亩均效益 D 档），及下一步处置和期限")
    p.add_argument("--as-of", type=date_arg, help="截至日期（默认：今天）")
