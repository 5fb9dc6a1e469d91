"""`cli.py kpi` (issue 21): the JSON keys exactly as the issue lists them, the figures against the sample county's
own dates, the not-started list against `match --json`, the Chinese table, and bad dates refused."""
from __future__ import annotations

import json

import pandas as pd

from tests.commands.test_cli import run

KEYS = ["from", "to", "as_of", "signed_count", "signed_yi", "prior_signed_count", "prior_signed_yi",
        "signed_count_yoy_pct", "signed_yi_yoy_pct", "big_threshold_yi", "big_signed_count", "big_start_rate_pct",
        "on_time_rate_pct", "production_rate_pct", "funds_rate_pct", "targets", "not_started"]


def test_kpi_json_keys_and_the_not_started_sites(sample_path, sample_ws):
    out = json.loads(run("kpi", "--workspace", sample_path, "--from", "2026-01-01", "--to", "2026-06-30",
                         "--json").stdout)
    assert list(out) == KEYS
    assert (out["from"], out["to"], out["as_of"]) == ("2026-01-01", "2026-06-30", "2026-06-30")
    p = sample_ws.projects
    signed = pd.to_datetime(p["signed_date"])
    now = p[(signed >= "2026-01-01") & (signed <= "2026-06-30")]
    assert out["signed_count"] == len(now) and out["signed_yi"] == round(now["investment_yi"].sum(), 2)
    assert out["prior_signed_count"] == int(((signed >= "2025-01-01") & (signed <= "2025-06-30")).sum())
    for r in out["not_started"]:
        assert list(r) == ["project_id", "name", "investment_yi", "placed", "reason"]
    match = json.loads(run("match", "--workspace", sample_path, "--json").stdout)
    reasons = {u["project_id"]: u["reason"] for u in match["unplaced"]}
    placed = {p["project_id"] for p in match["placed"]}
    assert out["not_started"] and any(not r["placed"] for r in out["not_started"])
    for r in out["not_started"]:
        assert r["placed"] == (r["project_id"] in placed)
        assert r["reason"] == (None if r["placed"] else reasons[r["project_id"]])
    for t in out["targets"]:
        assert set(t) == {"indicator", "label", "target", "actual", "completion_pct"}


def test_kpi_table_is_chinese_and_a_null_rate_is_a_dash(sample_path):
    text = run("kpi", "--workspace", sample_path, "--from", "2019-01-01", "--to", "2019-12-31").stdout
    assert "招商考核" in text and "资金到位率（%）" in text and "签约未开工项目 0 个" in text
    out = json.loads(run("kpi", "--workspace", sample_path, "--from", "2019-01-01", "--to", "2019-12-31",
                         "--json").stdout)
    assert out["funds_rate_pct"] is None and out["signed_count_yoy_pct"] is None


def test_kpi_event_and_bad_dates(sample_path):
    out = json.loads(run("kpi", "--workspace", sample_path, "--from", "2025-01-01", "--to", "2026-12-31",
                         "--event", "西博会", "--json").stdout)
    assert out["signed_count"] == 3          # P-QT-06, P-RJB-01, P-NE-01 of seeds/sample_data.py
    bad = run("kpi", "--workspace", sample_path, "--from", "明年", "--to", "2026-06-30", check=False)
    assert bad.returncode != 0 and "无法识别的日期" in bad.stderr
    reversed_ = run("kpi", "--workspace", sample_path, "--from", "2026-06-30", "--to", "2026-01-01", check=False)
    assert reversed_.returncode == 1 and "早于" in reversed_.stderr
