"""The CLI as a user runs it: a subprocess, JSON on stdout, Chinese errors and exit code 1 on bad input."""
import json
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest
import rasterio

from geo.vocab import FIELD_LABELS

ROOT = Path(__file__).resolve().parents[2]


def run(*args, check=True):
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_available_json_shape_and_totals(sample_path):
    out = json.loads(run("available", "--workspace", sample_path, "--json").stdout)
    # issue 19 added the stock land an action could offer by --by (存量盘活): new keys, the others unchanged
    assert set(out) == {"total_available_mu", "zones", "blocks", "total_stock_pipeline_mu", "stock_parcels"}
    assert set(out["zones"][0]) == {"zone_id", "name", "available_mu", "pipeline_mu", "largest_block_mu",
                                    "vacant_factory_m2", "gross_available_mu", "constrained_mu", "constrained_by",
                                    "stock_pipeline_mu"}
    assert out["stock_parcels"] == [] and out["total_stock_pipeline_mu"] == 0      # without --by: none
    assert set(out["blocks"][0]) == {"block_id", "zone_id", "parcel_ids", "area_mu"}
    assert out["total_available_mu"] == pytest.approx(sum(z["available_mu"] for z in out["zones"]), abs=1e-3)
    assert out["total_available_mu"] == pytest.approx(sum(b["area_mu"] for b in out["blocks"]), abs=1e-3)
    for z in out["zones"]:
        blocks = [b["area_mu"] for b in out["blocks"] if b["zone_id"] == z["zone_id"]]
        assert z["largest_block_mu"] == pytest.approx(max(blocks, default=0), abs=1e-3)


def test_available_table_is_chinese(sample_path):
    out = run("available", "--workspace", sample_path, "--zone", "QDB").stdout
    assert "青东坝鞋服产业园" in out and FIELD_LABELS["available_mu"] in out


def test_seed_then_available_and_the_layers_read_back_by_gdal(tmp_path):
    path = tmp_path / "c.gpkg"
    seeded = json.loads(run("seed", "--out", path, "--parcels", "1500", "--projects", "60", "--seed", "2",
                            "--json").stdout)
    layers = {name: count for name, count in ((n, pyogrio.read_info(path, layer=n)["features"])
                                              for n, _ in pyogrio.list_layers(path))}
    assert layers == {"zones": seeded["zones"], "parcels": seeded["parcels"], "factories": seeded["factories"],
                      "projects": seeded["projects"], "firms": seeded["firms"]} and seeded["parcels"] >= 1500
    everything = json.loads(run("available", "--workspace", path, "--by", "2027-12-31", "--json").stdout)
    out = json.loads(run("available", "--workspace", path, "--by", "2027-12-31", "--min-mu", "50", "--json").stdout)
    big = sorted(b["area_mu"] for b in everything["blocks"] if b["area_mu"] >= 50)
    assert big, "the seeded county has blocks of 50 亩 and more"
    assert sorted(b["area_mu"] for b in out["blocks"]) == big           # exactly the big ones, none dropped
    with rasterio.open(tmp_path / "c.dem.tif") as dem:
        assert dem.crs is not None and dem.count == 1 and dem.width > 10


@pytest.mark.parametrize("args, message", [
    (["available", "--zone", "NOPE"], "园区编号“NOPE”不存在"),
    (["available", "--by", "2024-13-45"], "无法识别的日期"),
    (["available", "--min-mu", "很多"], "不是数值"),
    (["available", "--industry", "造船"], "产业“造船”无法识别"),
    (["available", "--min-mu", "-5"], "最小面积必须是非负数（现为 -5.0）（选项 --min-mu）"),    # the CLI names its flag
    (["available", "--workspace", "/nonexistent/x.gpkg"], "工作空间文件不存在"),
])
def test_bad_input_exits_1_with_chinese_message(sample_path, args, message):
    if "--workspace" not in args:
        args = [*args, "--workspace", str(sample_path)]
    proc = run(*args, check=False)
    assert proc.returncode == 1 and message in proc.stderr


def test_validate_exits_1_on_errors(tmp_path, sample_path):
    ok = run("validate", "--workspace", sample_path, "--json")
    assert json.loads(ok.stdout)["ok"] is True
    import pyogrio
    bad = tmp_path / "bad.gpkg"
    for layer in ("zones", "parcels"):
        frame = pyogrio.read_dataframe(sample_path, layer=layer)
        if layer == "parcels":
            frame.loc[0, "status"] = "闲置"
            frame.loc[1, "parcel_id"] = frame.loc[2, "parcel_id"]
        pyogrio.write_dataframe(frame, bad, layer=layer)
    proc = run("validate", "--workspace", bad, "--json", check=False)
    report = json.loads(proc.stdout)
    assert proc.returncode == 1 and {i["code"] for i in report["issues"] if i["level"] == "error"} == \
        {"UNKNOWN_VALUE", "DUPLICATE_ID"}


def test_error_codes_map_to_the_cli_option():
    from commands.common import OPTION_FOR_CODE, error_message
    from geo.errors import CODES, InputError
    assert set(OPTION_FOR_CODE) == set(CODES)
    assert error_message(InputError("请指定其中一个图层", code="LAYER_NAME_REQUIRED")) == \
        "请指定其中一个图层（选项 --layer-name）"
    assert error_message(InputError("别的错误")) == "别的错误"
