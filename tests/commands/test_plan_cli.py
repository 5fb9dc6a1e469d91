"""cli.py plan: the exact JSON contract, the Chinese table, exit 1 with a Chinese message on bad input."""
from __future__ import annotations

import json

import cli

KEYS = ["status", "gap", "budget_wan", "cost_wan", "actions", "placed_added", "placed_priority",
        "placed_investment_yi", "placed_count"]
ACTION_KEYS = {"action", "parcel_ids", "factory_id", "area_mu", "cost_wan", "ready_by", "places"}
STOCK_KEYS = {"basis", "stock_class", "days_overdue"}          # the stock actions' (存量盘活) own keys
POINT_KEYS = {"budget_wan", "cost_wan", "placed_priority", "placed_investment_yi", "placed_count", "actions"}


def run(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_plan_json_contract_and_frontier(sample_path, capsys):
    code, out, _ = run(capsys, "plan", "--workspace", sample_path, "--budget-wan", "3000", "--json", "--frontier")
    d = json.loads(out)
    assert code == 0 and list(d) == KEYS + ["frontier"]
    assert d["status"] == "optimal" and d["gap"] == 0 and d["budget_wan"] == 3000
    assert 0 < d["cost_wan"] <= 3000 and {"P-RJB-01", "P-TX-01"} <= set(d["placed_added"])
    assert all(set(a) == ACTION_KEYS and a["action"] in ("clear", "complete_factory") or
               set(a) == ACTION_KEYS | STOCK_KEYS and a["action"] in ("reclaim", "negotiate", "redevelop")
               for a in d["actions"])
    assert round(sum(a["cost_wan"] for a in d["actions"]), 1) == round(d["cost_wan"], 1)
    fr = d["frontier"]
    assert fr[0]["budget_wan"] == 0 and all(set(p) == POINT_KEYS for p in fr)
    assert all(b["placed_priority"] >= a["placed_priority"] for a, b in zip(fr, fr[1:]))
    assert all(b["budget_wan"] > a["budget_wan"] for a, b in zip(fr, fr[1:]))


def test_plan_must_and_table(sample_path, capsys):
    code, out, _ = run(capsys, "plan", "--workspace", sample_path, "--must", "P-RJB-01", "--json")
    d = json.loads(out)
    assert code == 0 and list(d) == KEYS and "P-RJB-01" in d["placed_added"]
    assert sum(a["area_mu"] for a in d["actions"]) < 422.2
    code, out, _ = run(capsys, "plan", "--workspace", sample_path, "--must", "P-RJB-01")
    assert code == 0 and "用地保障方案" in out and "估算费用" in out and "P-RJB-01" in out


def test_plan_bad_input_exits_1_in_chinese(sample_path, capsys):
    code, _, err = run(capsys, "plan", "--workspace", sample_path, "--must", "P-NOPE")
    assert code == 1 and "项目编号不存在" in err
    code, _, err = run(capsys, "plan", "--workspace", sample_path, "--budget-wan", "-1")
    assert code == 1 and "预算必须是非负数" in err
