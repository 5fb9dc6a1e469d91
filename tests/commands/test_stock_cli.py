"""`cli.py stock` (issue 19) on the sample county (contract dates and a firms ledger, seeds/stock_seed.py): the JSON
keys exactly as the issue lists them, every class present, the classes against geo.stock on the same rows, the
Chinese table, a bad date refused."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from geo.stock import classify_parcels
from geo.vocab import STOCK_CLASS_LABELS
from tests.commands.test_cli import run
from tests.geo.test_stock import AS_OF

FIRM_KEYS = ["firm_id", "name", "land_mu", "score", "grade", "indicators"]


@pytest.fixture(scope="module")
def stock_path(sample_path, sample_ws):
    """The sample county: its supplied parcels' contracts and its firms ledger reach every class at STOCK_AS_OF."""
    return sample_path, sample_ws


def test_stock_json_keys_and_classes(stock_path, settings):
    path, ws = stock_path
    out = json.loads(run("stock", "--workspace", path, "--as-of", AS_OF.isoformat(), "--json").stdout)
    assert list(out) == ["as_of", "parcels", "firms", "totals"] and out["as_of"] == "2026-12-01"
    assert list(out["totals"]) == ["approved_unsupplied_mu", "due_soon_mu", "overdue_mu", "idle_mu", "reclaimable_mu",
                                   "gov_delay_mu", "completion_overdue_mu", "low_efficiency_mu", "fees_wan"]
    assert len(out["firms"]) == len(ws.firms) and all(list(f) == FIRM_KEYS for f in out["firms"])
    assert {f["grade"] for f in out["firms"]} >= {"A", "B", "C", "D"}
    assert {r["class"] for r in out["parcels"]} == set(STOCK_CLASS_LABELS) - {"normal"}
    d_parcels = {f["firm_id"] for f in out["firms"] if f["grade"] == "D"}
    low = pd.Index(ws.firms.loc[sorted(d_parcels), "parcel_ids"].str.split(";").explode().str.strip())
    want = classify_parcels(ws.parcels, AS_OF, settings.stock, low_efficiency=low)
    got = {r["parcel_id"]: r for r in out["parcels"]}
    assert set(got) == set(want.index[want["stock_class"] != "normal"])
    for pid, r in got.items():
        assert r["class"] == want.at[pid, "stock_class"]
        assert r["fee_wan"] == pytest.approx(want.at[pid, "fee_wan"], abs=0.01)
        assert r["area_mu"] == pytest.approx(ws.parcels.at[pid, "area_mu"], abs=0.01)
        holder = ws.parcels.at[pid, "holder"]
        assert r["holder"] == (None if pd.isna(holder) else holder)
    assert out["totals"]["fees_wan"] == pytest.approx(want["fee_wan"].sum(), abs=0.05)


def test_stock_table_is_chinese_and_a_bad_date_is_refused(stock_path):
    path, _ = stock_path
    text = run("stock", "--workspace", path, "--as-of", AS_OF.isoformat()).stdout
    assert "存量土地盘活（截至 2026-12-01）" in text and "应征闲置费（万元）" in text and "亩均效益评价" in text
    bad = run("stock", "--workspace", path, "--as-of", "下月", check=False)
    assert bad.returncode != 0 and "无法识别的日期" in bad.stderr
