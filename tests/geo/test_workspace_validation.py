"""Every validation case of the load report, each on a malformed fixture written to a real GeoPackage."""
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Polygon

from geo.errors import ValidationError, WorkspaceError
from geo.settings import load_settings
from geo.workspace import build_workspace
from stores.gpkg_file import load_workspace, read_workspace, save_workspace
from tests.conftest import X0, Y0, make_layers, parcel, validated_by

SETTINGS = load_settings()   # loaded once, as the CLI and the app do


def write_raw(path, layers: dict):
    """Write layers as-is (no validation), like a planner's file from QGIS."""
    for name, frame in layers.items():
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
    return path


def issues(report, code):
    return [i for i in report.issues if i.code == code]


def test_clean_workspace_round_trips_and_keeps_extra_fields(tmp_path):
    layers = make_layers([parcel("P1", (0, 0, 100, 100), land_use="100101", owner_note="老厂房"),
                          parcel("P2", (100, 0, 200, 100), status="leveling", ready_date="2027年6月")],
                         projects=[{"project_id": "X1", "name": "项目", "industry": "纺织鞋服", "land_mu": 10,
                                    "stage": "已签约", "contact": "张三"}])
    ws, report = build_workspace(layers, **validated_by(SETTINGS))
    assert report.ok, report.issues
    path = save_workspace(ws, tmp_path / "w.gpkg")
    back = load_workspace(path, SETTINGS)
    assert back.parcels.loc["P1", "owner_note"] == "老厂房"            # extra field kept
    assert back.projects.loc["X1", "contact"] == "张三"
    assert back.projects.loc["X1", "stage"] == "signed"              # Chinese label normalised
    assert back.parcels.loc["P2", "ready_date"] == pd.Timestamp("2027-06-01")
    assert back.parcels.loc["P1", "area_mu"] == pytest.approx(15.0, rel=1e-3)
    info = pyogrio.read_info(path, layer="parcels")
    assert dict(zip(info["fields"], info["ogr_types"]))["ready_date"] == "OFTDate"
    assert {row[0] for row in pyogrio.list_layers(path)} == {"zones", "parcels", "factories", "projects", "firms"}


def test_missing_crs_is_a_clear_error(tmp_path):
    layers = make_layers([parcel("P1", (0, 0, 100, 100))])
    layers["parcels"] = layers["parcels"].set_crs(None, allow_override=True)
    path = write_raw(tmp_path / "nocrs.gpkg", layers)
    ws, report = read_workspace(path, SETTINGS)
    assert ws is None
    [err] = issues(report, "MISSING_CRS")
    assert "坐标系" in err.message and err.layer == "parcels"
    with pytest.raises(ValidationError, match="坐标系"):
        load_workspace(path, SETTINGS)


def test_invalid_geometry_is_repaired_and_reported(tmp_path):
    bowtie = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    path = write_raw(tmp_path / "bow.gpkg", make_layers([parcel("P1", bowtie)]))
    ws, report = read_workspace(path, SETTINGS)
    assert ws is not None and report.ok
    [w] = issues(report, "REPAIRED_GEOMETRY")
    assert w.row == 1 and "make_valid" in w.message and "Self-intersection" in w.message
    assert ws.parcels.geometry["P1"].is_valid
    assert ws.parcels.loc["P1", "area_mu"] == pytest.approx(5000 / (10000 / 15), rel=1e-3)


def test_duplicate_ids_are_an_error_naming_them(tmp_path):
    path = write_raw(tmp_path / "dup.gpkg", make_layers([parcel("P1", (0, 0, 50, 50)), parcel("P1", (60, 0, 100, 50)),
                                                         parcel("P2", (0, 60, 50, 100))]))
    ws, report = read_workspace(path, SETTINGS)
    assert ws is None
    [err] = issues(report, "DUPLICATE_ID")
    assert "P1" in err.message and "P2" not in err.message and err.field == "parcel_id"


def test_unknown_status_names_allowed_values(tmp_path):
    path = write_raw(tmp_path / "st.gpkg", make_layers([parcel("P1", (0, 0, 50, 50), status="闲置")]))
    ws, report = read_workspace(path, SETTINGS)
    [err] = issues(report, "UNKNOWN_VALUE")
    assert err.row == 1 and err.field == "status" and "闲置" in err.message
    for word in ("available", "可供", "leveling", "待平整", "demolition", "supplied", "reserved"):
        assert word in err.message


def test_unknown_stage_names_allowed_values():
    layers = make_layers([parcel("P1", (0, 0, 50, 50))], projects=[
        {"project_id": "X1", "name": "a", "industry": "纺织鞋服", "land_mu": 5, "stage": "意向"}])
    ws, report = build_workspace(layers, **validated_by(SETTINGS))
    [err] = issues(report, "UNKNOWN_VALUE")
    assert err.layer == "projects" and "negotiating" in err.message and "已签约" in err.message


def test_pipeline_parcel_needs_ready_date():
    ws, report = build_workspace(make_layers([parcel("P1", (0, 0, 50, 50), status="leveling")]),
                                 **validated_by(SETTINGS))
    [err] = issues(report, "MISSING_READY_DATE")
    assert "P1" in err.message and err.field == "ready_date"


def test_bad_date_and_number_name_row_and_field():
    ws, report = build_workspace(make_layers([parcel("P1", (0, 0, 50, 50), status="demolition", ready_date="明年",
                                                     registered_mu="很多")]), **validated_by(SETTINGS))
    assert {(i.code, i.field) for i in report.errors} >= {("BAD_DATE", "ready_date"), ("BAD_NUMBER", "registered_mu")}


def test_overlap_is_reported_and_counted_once():
    # P2 overlaps P1 by 10 m × 100 m = 1.5 亩
    ws, report = build_workspace(make_layers([parcel("P1", (0, 0, 100, 100)), parcel("P2", (90, 0, 190, 100)),
                                              parcel("P3", (300, 0, 400, 100))]), **validated_by(SETTINGS))
    assert report.ok
    [w] = issues(report, "OVERLAP")
    assert "P1" in w.message and "P2" in w.message and "1.50 亩" in w.message
    assert ws.parcels["net_mu"].sum() == pytest.approx(15 + 13.5 + 15, rel=1e-3)
    from geo.supply import available_report
    assert available_report(ws, settings=SETTINGS).total_available_mu == pytest.approx(43.5, rel=1e-3)


def test_tiny_overlap_below_tolerance_is_not_reported():
    ws, report = build_workspace(make_layers([parcel("P1", (0, 0, 100, 100)), parcel("P2", (99.99, 0, 200, 100))]),
                                 **validated_by(SETTINGS))
    assert not issues(report, "OVERLAP")


def test_unknown_zone_and_parcel_outside_zone_are_reported():
    zones = [{"zone_id": "Z1", "name": "园区", "industries": "", "geometry": (0, 0, 100, 100)}]
    ws, report = build_workspace(make_layers([parcel("P1", (0, 0, 50, 50)), parcel("P2", (80, 0, 200, 50)),
                                              parcel("P3", (0, 60, 50, 90), zone="Z9")], zones=zones),
                                 **validated_by(SETTINGS))
    assert report.ok
    [outside] = issues(report, "OUTSIDE_ZONE")
    assert "P2" in outside.message and "83%" in outside.message
    [unknown] = issues(report, "UNKNOWN_ZONE")
    assert "P3" in unknown.message and "Z9" in unknown.message


def test_registered_area_mismatch_over_one_percent_is_reported():
    ws, report = build_workspace(make_layers([parcel("P1", (0, 0, 100, 100), registered_mu=15.1),
                                              parcel("P2", (200, 0, 300, 100), registered_mu=15.2)]),
                                 **validated_by(SETTINGS))
    [w] = issues(report, "AREA_MISMATCH")
    assert "P2" in w.message and "15.2" in w.message


def test_missing_layer_and_missing_field(tmp_path):
    layers = make_layers([parcel("P1", (0, 0, 50, 50))])
    path = write_raw(tmp_path / "nolayer.gpkg", {"parcels": layers["parcels"]})
    ws, report = read_workspace(path, SETTINGS)
    assert [i.code for i in report.errors] == ["MISSING_LAYER"] and "zones" in report.errors[0].message
    layers["parcels"] = layers["parcels"].drop(columns=["status"])
    ws, report = build_workspace(layers, **validated_by(SETTINGS))
    [err] = issues(report, "MISSING_FIELD")
    assert "status" in err.message


def test_not_a_geopackage_is_a_workspace_error(tmp_path):
    bad = tmp_path / "x.gpkg"
    bad.write_text("not a database")
    with pytest.raises(WorkspaceError, match="无法打开"):
        read_workspace(bad, SETTINGS)
    with pytest.raises(WorkspaceError, match="不存在"):
        read_workspace(tmp_path / "missing.gpkg", SETTINGS)


def test_project_needing_nothing_is_an_error():
    layers = make_layers([parcel("P1", (0, 0, 50, 50))], projects=[
        {"project_id": "X1", "name": "a", "industry": "纺织鞋服", "stage": "signed"}])
    ws, report = build_workspace(layers, **validated_by(SETTINGS))
    assert [i.code for i in report.errors] == ["NO_NEED"]


def test_factory_vacancy_larger_than_floor_area_is_an_error():
    layers = make_layers([parcel("P1", (0, 0, 50, 50))], factories=[
        {"factory_id": "F1", "zone_id": "Z1", "name": "1号", "floors": 4, "floor_area_m2": 1000.0, "vacant_m2": 2000.0,
         "status": "built", "geometry": (0, 0, 20, 20)}])
    ws, report = build_workspace(layers, **validated_by(SETTINGS))
    assert [i.code for i in report.errors] == ["VACANT_EXCEEDS_FLOOR"]


def test_layers_in_other_crs_are_reprojected(tmp_path):
    layers = make_layers([parcel("P1", (0, 0, 100, 100))])
    layers["zones"] = layers["zones"].to_crs(4490)
    ws, report = build_workspace(layers, **validated_by(SETTINGS))
    assert report.ok and "REPROJECTED" in report.codes()
    assert ws.zones.crs == ws.parcels.crs


def test_edited_project_list_is_validated_with_row_numbers(sample_ws):
    projects = sample_ws.projects.copy()
    projects.loc[projects.index[2], "stage"] = "搁置"
    projects.loc[projects.index[4], "land_mu"] = -5
    with pytest.raises(ValidationError) as info:
        sample_ws.with_projects(projects)
    errors = {(i.row, i.field, i.code) for i in info.value.report.errors}
    assert errors == {(3, "stage", "UNKNOWN_VALUE"), (5, "land_mu", "NON_POSITIVE_VALUE")}
    ok = sample_ws.with_projects(projects.drop(index=projects.index[[2, 4]]))
    assert len(ok.projects) == len(projects) - 2 and "index" not in ok.zones.columns


def test_thresholds_and_default_priorities_are_the_callers():
    from geo.settings import ValidationSettings
    layers = make_layers([parcel("P1", (0, 0, 100, 100), registered_mu=15.5)])       # drawn 15.0 亩: 3 % off
    _, report = build_workspace(layers, **validated_by(SETTINGS))
    assert "AREA_MISMATCH" in report.codes()                                            # config: 1 %
    _, report = build_workspace(layers, validation=ValidationSettings(registered_mu_tolerance=0.05,
                                                                      overlap_min_mu=0.01, outside_zone_fraction=0.5,
                                                                      coordinate_margin_deg=10.0),
                                stage_priority=SETTINGS.matching.stage_priority)
    assert "AREA_MISMATCH" not in report.codes()
    ws, _ = build_workspace(make_layers([parcel("P1", (0, 0, 50, 50))], projects=[
        {"project_id": "X1", "name": "a", "industry": "纺织鞋服", "land_mu": 5, "stage": "signed"}]),
        validation=SETTINGS.validation, stage_priority={"signed": 7.0})
    assert ws.projects.loc["X1", "priority"] == 7.0


def test_known_costs_are_declared_optional_non_negative_numbers():
    """A parcel's clearing_cost_wan and a factory's completion_cost_wan (万元, winning over the [plan] prices):
    declared, empty allowed, a negative or non-numeric value an error naming the feature and the field."""
    from geo.schema import LAYERS
    from geo.vocab import FIELD_LABELS
    for layer, name in (("parcels", "clearing_cost_wan"), ("factories", "completion_cost_wan")):
        f = LAYERS[layer].field(name)
        assert (f.kind, f.required, f.nonnegative) == ("real", False, True) and FIELD_LABELS[name].endswith("（万元）")
    factory = {"factory_id": "F1", "zone_id": "Z1", "floor_area_m2": 5000, "vacant_m2": 5000, "status": "building",
               "ready_date": "2027-01-01", "geometry": (500, 0, 550, 50)}
    ws, report = build_workspace(make_layers([parcel("P1", (0, 0, 50, 50), status="demolition", ready_date="2027-01-01",
                                                     clearing_cost_wan="120.5"), parcel("P2", (100, 0, 150, 50))],
                                             factories=[dict(factory, completion_cost_wan=300)]),
                                 **validated_by(SETTINGS))
    assert report.ok, report.issues
    assert ws.parcels.at["P1", "clearing_cost_wan"] == 120.5 and pd.isna(ws.parcels.at["P2", "clearing_cost_wan"])
    assert ws.factories.at["F1", "completion_cost_wan"] == 300.0
    ws, report = build_workspace(make_layers([parcel("P1", (0, 0, 50, 50), clearing_cost_wan=-5),
                                              parcel("P2", (100, 0, 150, 50), clearing_cost_wan="很多")],
                                             factories=[dict(factory, completion_cost_wan=-1)]),
                                 **validated_by(SETTINGS))
    assert ws is None
    found = {(i.layer, i.feature, i.code, i.field) for i in report.errors}
    assert found == {("parcels", "P1", "NEGATIVE_VALUE", "clearing_cost_wan"),
                     ("parcels", "P2", "BAD_NUMBER", "clearing_cost_wan"),
                     ("factories", "F1", "NEGATIVE_VALUE", "completion_cost_wan")}
    text = {i.feature: i.message for i in report.errors}
    assert text["P1"] == "地块编号 P1（fid 0）：拆迁/平整费用（万元）不能为负数（现为 -5）"
    assert "地块编号 P2" in text["P2"] and "拆迁/平整费用（万元）的取值“很多”不是数值" in text["P2"]
    assert text["F1"].startswith("厂房编号 F1") and "厂房建成费用（万元）不能为负数" in text["F1"]


def test_flood_zone_without_return_period_is_warned_as_excluded(tmp_path):
    """A flood zone whose return period is empty or not a number is excluded (the conservative reading): the load
    report says so, naming the feature by its fid and the field; a layer without the field gets one warning."""
    import geopandas as gpd
    from shapely.geometry import box

    from geo.constraints import flood_exclusion
    from stores.gpkg_file import write_constraint
    ws, report = build_workspace(make_layers([parcel("P1", (0, 0, 100, 100))]), **validated_by(SETTINGS))
    path = save_workspace(ws, tmp_path / "w.gpkg")
    zones = [box(X0 + 10 * k, Y0, X0 + 10 * k + 10, Y0 + 10) for k in range(4)]
    flood = gpd.GeoDataFrame({"return_period": [20.0, None, "五十年", 100.0], "名称": ["甲", "乙", "丙", "丁"]},
                             geometry=zones, crs=ws.crs)
    write_constraint(path, "flood", flood)
    back, report = read_workspace(path, SETTINGS)
    assert back is not None and report.ok
    found = issues(report, "FLOOD_NO_RETURN_PERIOD")
    assert [(i.level, i.layer, i.row, i.field) for i in found] == [("warning", "flood", 2, "return_period"),
                                                                  ("warning", "flood", 3, "return_period")]
    assert found[0].message == ("fid 2：洪水淹没范围要素的重现期（年）（return_period）为空，按最不利情况视为淹没区："
                                "其范围内的土地不计入净用地（不论 [constraints] flood_return_period）")
    assert found[1].message.startswith("fid 3：") and "“五十年”不是数值" in found[1].message
    assert len(flood_exclusion(back.constraint("flood"), 50)) == 3        # 20 years and the two without one
    write_constraint(path, "flood", flood.drop(columns="return_period"))
    [whole] = issues(read_workspace(path, SETTINGS)[1], "FLOOD_NO_RETURN_PERIOD")
    assert whole.row is None and ("没有重现期（年）字段 return_period：全部 4 个要素按最不利情况视为淹没区"
                                  in whole.message)


def test_a_config_override_is_applied_when_a_workspace_is_read(tmp_path):
    """A $LANDGAP_CONFIG file's [validation] thresholds and [matching] stage_priority reach every load: the file
    reader, the GeoPackage store and a copy with other layers (no shipped configuration below the edge)."""
    from stores import open_store
    override = tmp_path / "county.toml"
    override.write_text("[validation]\nregistered_mu_tolerance = 0.05\n\n"
                        "[matching]\nstage_priority = { negotiating = 1.0, signed = 7.0, started = 3.0 }\n",
                        encoding="utf-8")
    county = load_settings({"LANDGAP_CONFIG": str(override)})
    layers = make_layers([parcel("P1", (0, 0, 100, 100), registered_mu=15.5)],                 # drawn 15.0 亩: 3 % off
                         projects=[{"project_id": "X1", "name": "a", "industry": "纺织鞋服", "land_mu": 5,
                                    "stage": "signed"}])
    path = write_raw(tmp_path / "w.gpkg", layers)                                   # the project without priority
    back, report = read_workspace(path, SETTINGS)
    assert "AREA_MISMATCH" in report.codes() and back.projects.loc["X1", "priority"] == 2.0   # shipped: 1 %, 2.0
    back, report = read_workspace(path, county)
    assert "AREA_MISMATCH" not in report.codes() and back.projects.loc["X1", "priority"] == 7.0
    with open_store(path, county) as store:
        stored, report, _ = store.read()
    assert "AREA_MISMATCH" not in report.codes() and stored.projects.loc["X1", "priority"] == 7.0
    copy = stored.with_projects(stored.projects.assign(priority=float("nan")))
    assert "AREA_MISMATCH" not in copy.report.codes() and copy.projects.loc["X1", "priority"] == 7.0
