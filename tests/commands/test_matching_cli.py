"""cli.py fit / match: JSON shapes of the issue, Chinese tables, exit 1 with a Chinese message on bad input."""
from __future__ import annotations

import json

import pytest

import cli


def run(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_match_json(sample_path, capsys):
    code, out, _ = run(capsys, "match", "--workspace", sample_path, "--json")
    d = json.loads(out)
    assert code == 0 and d["status"] == "optimal" and d["gap"] == 0
    assert set(d["placed"][0]) >= {"project_id", "kind", "zone_id", "parcel_ids", "factory_id", "site_mu", "site_wkt"}
    assert set(d["unplaced"][0]) >= {"project_id", "need_mu", "reason", "gap_mu", "detail"}
    assert set(d["unlocks"][0]) >= {"parcel_ids", "factory_id", "action", "area_mu", "places"}
    assert d["objective"]["placed_count"] == len(d["placed"])
    assert {"P-RJB-01", "P-TX-01"} <= {u["project_id"] for u in d["unplaced"]}
    code, out2, _ = run(capsys, "match", "--workspace", sample_path, "--json", "--as-of", "2027-12-31")
    assert not {"P-RJB-01", "P-TX-01"} & {u["project_id"] for u in json.loads(out2)["unplaced"]}


def test_match_writes_the_sites_layer(sample_path, capsys, tmp_path):
    import pyogrio
    out_zip = tmp_path / "选址" / "方案.zip"
    code, out, _ = run(capsys, "match", "--workspace", sample_path, "--json", "--sites-out", out_zip)
    d = json.loads(out)
    assert code == 0 and d["sites_out"] == str(out_zip)
    back = pyogrio.read_dataframe(f"/vsizip/{out_zip}/方案.shp")
    land = {p["project_id"]: p for p in d["placed"] if p["kind"] == "land"}
    assert set(back["项目编号"]) == set(land)
    assert all(abs(r["选址亩"] - land[r["项目编号"]]["site_mu"]) <= 0.06 for _, r in back.iterrows())
    assert [p.name for p in out_zip.parent.iterdir()] == ["方案.zip"]          # no temporary file left behind


def test_match_and_fit_tables_are_chinese(sample_path, capsys):
    _, out, _ = run(capsys, "match", "--workspace", sample_path)
    assert "全县合计" in out and "储备地块未按期就绪" in out and "解锁措施" in out
    _, out, _ = run(capsys, "fit", "--workspace", sample_path, "--industry", "纺织鞋服", "--need-mu", "50")
    assert out.startswith("可以安排")


def test_fit_json(sample_path, capsys):
    code, out, _ = run(capsys, "fit", "--workspace", sample_path, "--industry", "健康食品", "--need-mu", "30",
                       "--zone", "JKSP", "--investment-yi", "1.5", "--json")
    d = json.loads(out)
    assert code == 0 and d["fits"] and {c["zone_id"] for c in d["candidates"]} == {"JKSP"}
    assert set(d) >= {"fits", "candidates", "reason", "gap_mu", "unlocks"}
    assert all(c["area_mu"] >= 30 and c["site_wkt"].startswith("POLYGON") for c in d["candidates"])
    _, out, _ = run(capsys, "fit", "--workspace", sample_path, "--industry", "新能源电池", "--need-mu", "2000",
                    "--json")
    d = json.loads(out)
    assert not d["fits"] and d["reason"] == "TOO_SMALL" and d["gap_mu"] > 0 and d["candidates"] == []


@pytest.mark.parametrize("args, message", [
    (["fit", "--industry", "纺织鞋服", "--need-mu", "-3"], "正数"),
    (["fit", "--industry", "纺织鞋服", "--need-mu", "3", "--zone", "NOPE"], "不存在"),
    (["fit", "--industry", "纺织鞋服"], "参数错误"),
    (["match", "--as-of", "明年"], "参数错误"),
])
def test_bad_input_exits_1(sample_path, capsys, args, message):
    with pytest.raises(SystemExit) if "参数错误" == message else _nothing():
        code, _, err = run(capsys, *args, "--workspace", sample_path)
        assert code == 1 and message in err
    if message == "参数错误":
        assert message in capsys.readouterr().err


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
