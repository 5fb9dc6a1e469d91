"""Net land wired in: the workspace carries its constraint layers (read, saved, read back), `available` and
matching offer net land only, CONSTRAINED explains a project the constraints cut, validation names protected
parcels a ledger calls 可供. Areas against pyproj.Geod(GRS80) on analytic rectangles."""
from __future__ import annotations

import dataclasses

import geopandas as gpd
import pytest
import shapely
import shapely.affinity
from pyproj import Geod
from shapely.geometry import box

from geo.settings import load_settings
from geo.supply import available_report
from geo.units import M2_PER_MU
from geo.vocab import CONSTRAINED_LABEL as REASON_LABEL
from geo.workspace import build_workspace
from stores.gpkg_file import read_workspace, save_workspace
from tests.conftest import GK, X0, Y0, make_layers, parcel, validated_by

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

GEOD = Geod(ellps="GRS80")


def b(x1, y1, x2, y2):
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def geod_mu(geom) -> float:
    lonlat = gpd.GeoSeries([geom], crs=GK).to_crs(4490).iloc[0]
    return abs(GEOD.geometry_area_perimeter(lonlat)[0]) / M2_PER_MU


def layer(*geoms, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=GK)


def county(projects=None, **constraints):
    """A: 300 × 200 m (≈ 90 亩), B: 300 × 200 m beside it with a road between (not touching), both available."""
    rows = [parcel("A", (0, 0, 300, 200)), parcel("B", (400, 0, 700, 200))]
    ws, report = build_workspace(make_layers(rows, projects=projects), **validated_by(SETTINGS))
    assert ws is not None, report.errors
    return dataclasses.replace(ws, constraints=constraints)


def test_a_red_line_strip_splits_a_parcel_into_two_net_blocks(settings):
    ws = county(eco_redline=layer(b(140, -10, 160, 210)))
    rep = available_report(ws, settings=settings)
    a_blocks = sorted(x.area_mu for x in rep.blocks if x.parcel_ids == ("A",))
    assert len(a_blocks) == 2                                   # the strip leaves two pieces that do not touch
    assert a_blocks == pytest.approx([geod_mu(b(0, 0, 140, 200)), geod_mu(b(160, 0, 300, 200))], rel=1e-4)
    zone = rep.zones[0]
    assert zone.gross_available_mu == pytest.approx(geod_mu(b(0, 0, 300, 200)) + geod_mu(b(400, 0, 700, 200)),
                                                       rel=1e-4)
    assert zone.constrained_by["eco_redline"] == pytest.approx(geod_mu(b(140, 0, 160, 200)), rel=1e-4)
    assert list(zone.constrained_by) == ["farmland", "eco_redline", "flood", "dev_boundary", "slope"]
    assert zone.available_mu == pytest.approx(zone.gross_available_mu - zone.constrained_mu, abs=1e-3)
    assert zone.largest_block_mu == pytest.approx(geod_mu(b(400, 0, 700, 200)), rel=1e-4)


def test_overlaps_once_a_boundary_cut_a_wholly_protected_parcel_and_flood_by_return_period(settings):
    ws = county(farmland=layer(b(0, 0, 100, 200)), eco_redline=layer(b(50, 0, 150, 200)),
                dev_boundary=layer(b(-10, -10, 600, 210)),
                flood=layer(b(-10, -10, 710, 20), b(-10, 180, 710, 210), return_period=[20.0, 100.0]))
    zone = available_report(ws, settings=settings).zones[0]
    by = zone.constrained_by
    assert by["farmland"] == pytest.approx(geod_mu(b(0, 0, 100, 200)), rel=1e-4)     # first in the order
    assert by["eco_redline"] == pytest.approx(geod_mu(b(100, 0, 150, 200)), rel=1e-4)   # the overlap once
    # the 20 年 zone only (≤ 50), less what farmland and the red line took first
    assert by["flood"] == pytest.approx(geod_mu(b(150, 0, 300, 20)) + geod_mu(b(400, 0, 700, 20)), rel=1e-4)
    assert by["dev_boundary"] == pytest.approx(geod_mu(b(600, 20, 700, 200)), rel=1e-4)
    assert zone.available_mu == pytest.approx(geod_mu(b(150, 20, 300, 200)) + geod_mu(b(400, 20, 600, 200)),
                                                 rel=1e-4)
    whole = county(farmland=layer(b(-5, -5, 305, 205)))
    blocks = available_report(whole, settings=settings).blocks
    assert [x.parcel_ids for x in blocks] == [("B",)]         # A wholly protected: no block at all


def test_without_constraints_the_added_keys_are_the_gross_figures(settings):
    rep = available_report(county(), settings=settings)
    zone = rep.zones[0]
    assert zone.gross_available_mu == pytest.approx(zone.available_mu)
    assert zone.constrained_mu == 0 and set(zone.constrained_by.values()) == {0.0}
    assert len(rep.blocks) == 2


def test_constraint_layers_survive_save_read_and_save_again(tmp_path, settings):
    farm = layer(b(0, 0, 100, 200), DKBH=["N-1"])              # an extra field of the source is kept
    ws = county(farmland=farm, flood=layer(b(0, 0, 700, 20), return_period=[20.0]))
    first = save_workspace(ws, tmp_path / "w.gpkg")
    back, report = read_workspace(first, SETTINGS)
    assert back is not None and set(back.constraints) == {"farmland", "flood"}
    assert list(back.constraints["farmland"]["DKBH"]) == ["N-1"]
    assert back.constraints["farmland"].geometry.iloc[0].equals_exact(b(0, 0, 100, 200), 1e-3) or \
        back.constraints["farmland"].geometry.iloc[0].symmetric_difference(b(0, 0, 100, 200)).area < 1e-3
    save_workspace(back.with_projects(back.projects), tmp_path / "w.gpkg")    # a later save keeps them
    again, _ = read_workspace(tmp_path / "w.gpkg", SETTINGS)
    assert set(again.constraints) == {"farmland", "flood"}
    assert available_report(again, settings=settings).zones[0].constrained_by["farmland"] > 0
    from stores.gpkg import GpkgStore
    with GpkgStore(tmp_path / "w.gpkg", SETTINGS) as store:
        stored, _, _ = store.read()
    assert set(stored.constraints) == {"farmland", "flood"}


def test_a_project_the_red_line_cuts_is_constrained_and_no_site_overlaps_an_exclusion(settings):
    from matching import REASONS, match
    gross = geod_mu(b(0, 0, 300, 200))
    projects = [{"project_id": "P-BIG", "name": "大项目", "industry": "纺织鞋服", "land_mu": 70.0, "stage": "signed"},
                {"project_id": "P-SMALL", "name": "小项目", "industry": "纺织鞋服", "land_mu": 30.0,
                 "stage": "signed", "preferred_zone": "Z1"}]
    strip = b(140, -10, 160, 210)
    plain = county(projects)
    assert {p.project_id for p in match(plain, settings=settings).placed} >= {"P-BIG"}    # fits gross land
    ws = dataclasses.replace(plain, constraints={"eco_redline": layer(strip), "farmland": layer(b(400, 0, 700, 200))})
    result = match(ws, settings=settings)
    by = {u.project_id: u for u in result.unplaced}
    assert by["P-BIG"].reason == "CONSTRAINED" and REASONS["CONSTRAINED"]
    assert "生态保护红线" in by["P-BIG"].detail
    assert f"{geod_mu(b(140, 0, 160, 200)):.1f} 亩" in by["P-BIG"].detail
    assert by["P-BIG"].gap_mu == pytest.approx(70.0 - geod_mu(b(160, 0, 300, 200)), abs=0.05)
    assert gross > 70.0
    sites = [p.site for p in result.placed if p.kind == "land"]
    assert [p.project_id for p in result.placed] == ["P-SMALL"]
    excluded = shapely.union_all([strip, b(400, 0, 700, 200)])
    for site in sites:
        assert shapely.area(shapely.intersection(site, excluded)) / M2_PER_MU <= 0.01


def test_validation_reports_an_available_parcel_mostly_in_farmland(tmp_path):
    ws = county(farmland=layer(b(0, 0, 160, 200)), eco_redline=layer(b(400, 0, 450, 200)))
    save_workspace(ws, tmp_path / "v.gpkg")
    _, report = read_workspace(tmp_path / "v.gpkg", SETTINGS)
    hits = [i for i in report.warnings if i.code == "PROTECTED_AVAILABLE"]
    assert [(i.feature, i.row) for i in hits] == [("A", 1)]        # B is only 1/6 in the red line
    assert hits[0].message.startswith("地块编号 A（fid 1）") and "53%" in hits[0].message


def test_terrain_cli_keys_no_dem_error_and_exclusive_options(sample_path, tmp_path, capsys):
    import json

    import cli
    from geo.parcel_terrain import TERRAIN_COLUMNS
    assert cli.main(["terrain", "--workspace", str(sample_path), "--parcel", "TX-002-1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["parcels"]
    assert [r["parcel_id"] for r in rows] == ["TX-002-1"]
    assert list(rows[0]) == list(TERRAIN_COLUMNS) == [
        "parcel_id", "mean_slope_pct", "p90_slope_pct", "steep_share", "mean_elevation_m", "design_elevation_m",
        "cut_m3", "fill_m3", "imbalance_m3", "max_cut_m", "max_fill_m", "cost_wan", "nodata_share", "net_mu"]
    assert rows[0]["cut_m3"] > 0 and rows[0]["net_mu"] > 0
    assert cli.main(["terrain", "--workspace", str(sample_path), "--parcel", "TX-002-1", "--json",
                     "--design-elevation", "0"]) == 0          # far below the ground: all cut, no fill
    low = json.loads(capsys.readouterr().out)["parcels"][0]
    assert low["fill_m3"] == pytest.approx(0, abs=1e-6) and low["cut_m3"] > rows[0]["cut_m3"]
    bare = save_workspace(county(), tmp_path / "bare.gpkg")
    assert cli.main(["terrain", "--workspace", str(bare)]) == 1
    assert "没有高程数据（DEM）" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["terrain", "--workspace", str(sample_path), "--design-elevation", "1", "--terrace-step", "2"])


def test_briefing_states_gross_net_and_what_each_constraint_takes(settings):
    from briefing.content import build_document
    from matching import match
    projects = [{"project_id": "P-BIG", "name": "大项目", "industry": "纺织鞋服", "land_mu": 70.0, "stage": "signed"}]
    strip = geod_mu(b(140, 0, 160, 200))
    ws = dataclasses.replace(county(projects), constraints={"eco_redline": layer(b(140, -10, 160, 210)),
                                                            "farmland": layer(b(400, 0, 700, 200))})
    doc = build_document(ws, match(ws, settings=settings), settings)
    t = doc.totals
    assert t["available_gross_mu"] == pytest.approx(2 * geod_mu(b(0, 0, 300, 200)), rel=1e-3)
    assert t["constrained_eco_redline_mu"] == pytest.approx(strip, rel=1e-4)
    assert t["available_net_mu"] == pytest.approx(t["available_gross_mu"] - strip - geod_mu(b(400, 0, 700, 200)),
                                                  rel=1e-4)
    text = {s.key: " ".join(getattr(x, "text", "") for x in s.blocks) for s in doc.sections}
    assert (f"生态保护红线{strip:,.1f}亩" in text["basic"]
            and f"可供净用地{t['available_net_mu']:,.1f}亩" in text["basic"])
    assert "净用地" in text["appendix"] and "50年" in text["appendix"]
    gap = next(x for x in next(s for s in doc.sections if s.key == "gap").blocks if getattr(x, "key", "") == "gap")
    assert gap.rows[0][6].startswith(REASON_LABEL) and "生态保护红线" in gap.rows[0][6]
    plain = build_document(county(projects), match(county(projects), settings=settings), settings)
    assert "可供净用地" not in " ".join(getattr(x, "text", "") for x in plain.sections[0].blocks)


def test_map_draws_each_constraint_layer_hatched_and_the_popup_gives_net_land(settings):
    from layers import basemaps, build
    from layers.constraints import hatch_lines, parcel_net_columns
    ws = county(eco_redline=layer(b(140, -10, 160, 210)), dev_boundary=layer(b(-10, -10, 600, 210)))
    m = build.new_map(ws, basemaps.PLAIN, settings=SETTINGS)
    assert build.add_constraints(m, ws, settings) == 2
    build.add_parcels(m, ws, settings=settings)
    html = build.finish(m).get_root().render()
    assert '"constraint_eco_redline"' in html and '"constraint_dev_boundary"' in html and "生态保护红线" in html
    cols = parcel_net_columns(ws, ws.metric("parcels"), settings)
    assert cols.at["A", "net"] == pytest.approx(geod_mu(b(0, 0, 140, 200)) + geod_mu(b(160, 0, 300, 200)), rel=1e-4)
    assert cols.at["A", "excl"] == f"生态保护红线 {geod_mu(b(140, 0, 160, 200)):.1f} 亩"
    assert cols.at["B", "excl"].startswith("城镇开发边界外 ")
    assert '"x":"生态保护红线' in html                            # the popup's property reaches the page
    # hatch: 45° lines every 25 m clipped to the area — a 100 m square carries ≈ 100²·√2/25 m of line
    lines = hatch_lines(b(0, 0, 100, 100))
    assert shapely.covered_by(lines, b(0, 0, 100, 100).buffer(1e-6))
    assert lines.length == pytest.approx(100 * 100 * 2 ** 0.5 / 25, rel=0.05)


def test_the_sample_county_has_each_constraint_and_a_genuine_earthwork_need(sample_ws, settings):
    from commands.terrain import terrain_result
    assert [i.feature for i in sample_ws.report.issues if i.code == "PROTECTED_AVAILABLE"] == ["LZ-001-3"]
    rep = available_report(sample_ws, settings=settings)
    by = {z.zone_id: z.constrained_by for z in rep.zones}
    assert by["LZ"]["farmland"] > 0 and by["LZ"]["dev_boundary"] > 0 and by["JKSP"]["eco_redline"] > 0
    assert by["QDB"]["flood"] > 0
    for zone in ("RJB", "TX"):                   # the two shortfall parks: no planning layer, only the DEM's slope
        assert {k for k, v in by[zone].items() if v > 0} <= {"slope"}
    split = [p for b_ in rep.blocks for p in b_.parcel_ids if b_.zone_id == "JKSP"]
    assert any(split.count(p) == 2 for p in split)                   # the red-line corridor cuts one in two
    outside = sample_ws.parcels.loc[[p for p in sample_ws.parcels.index if p.startswith("LZ")]]
    listed = {p for b_ in rep.blocks for p in b_.parcel_ids}
    assert len(set(outside.index[outside["status"] == "available"]) - listed) >= 1   # the corner parcel
    leveling = list(sample_ws.parcels.index[sample_ws.parcels["status"] == "leveling"])
    rows = terrain_result(sample_ws, settings, leveling)["parcels"]
    per_mu = [r["cut_m3"] / r["net_mu"] for r in rows]
    assert sum(per_mu) / len(per_mu) > 1000                          # hilly Sichuan: thousands of m³ per 亩


def test_a_strip_across_a_parcel_leaves_two_pieces_not_one_joined_by_a_hairline(settings):
    # the sample county's JKSP-014-1 and its red-line corridor: the clipped overlay once kept a hairline along the
    # parcel's edge joining the two halves (one Polygon, one block)
    land = shapely.from_wkt("POLYGON ((532031.7799905286 3580078.1955673452, 531988.2914671956 3579928.20635682, "
                            "532291.6370232468 3579880.4827678096, 532331.8128880267 3580033.010137138, "
                            "532031.7799905286 3580078.1955673452))")
    strip = shapely.from_wkt("POLYGON ((532145.5137732361 3579751.6265166183, 532105.9997875642 3579757.8430217714, "
                             "532176.8270908366 3580208.042769299, 532216.3819002627 3580202.0857522665, "
                             "532145.5137732361 3579751.6265166183))")
    zone = [{"zone_id": "Z1", "name": "测试园区", "industries": "纺织鞋服", "geometry": land.buffer(50)}]
    ws, _ = build_workspace(make_layers([parcel("A", land)], zones=zone), **validated_by(SETTINGS))
    ws = dataclasses.replace(ws, constraints={"eco_redline": layer(strip)})
    blocks = available_report(ws, settings=settings).blocks
    assert len(blocks) == 2
    halves = shapely.get_parts(shapely.difference(land, strip))
    assert sorted(x.area_mu for x in blocks) == pytest.approx(sorted(geod_mu(h) for h in halves), rel=1e-5)


def test_land_a_scenario_levels_is_spared_the_slope_rule_a_ledger_change_is_not(sample_ws, settings):
    from geo.netland import offered_mu, workspace_net
    from matching import Scenario
    from matching.scenario import apply_scenario
    base = workspace_net(sample_ws, settings)
    steep = base.constrained_by["slope"]
    leveling = sample_ws.parcels.index[sample_ws.parcels["status"] == "leveling"]
    assert steep.loc[leveling].sum() == 0                          # leveling land: no slope exclusion
    as_available = sample_ws.parcels.copy()
    as_available.loc[leveling, "status"] = "available"
    ledger = sample_ws.with_layers(parcels=as_available.reset_index(drop=True))
    cut = workspace_net(ledger, settings).constrained_by["slope"].loc[leveling]
    assert cut.sum() > 1.0                         # the tilted hillside is steep where nobody has leveled it yet
    pid = cut.idxmax()
    cleared = apply_scenario(sample_ws, Scenario(cleared_parcels=(pid,)), settings=settings)
    net = workspace_net(cleared, settings)
    assert cleared.parcels.at[pid, "status"] == "available" and net.constrained_by.at[pid, "slope"] == 0
    assert offered_mu(cleared.metric("parcels"), net).at[pid] == pytest.approx(
        offered_mu(sample_ws.metric("parcels"), base).at[pid])        # what it offered while being leveled


def test_steep_land_read_for_other_parcels_is_refused_and_read_again_at_the_edge(sample_ws, settings):
    """The engine does no I/O: an edited parcel geometry makes the steep land the load read stale; net land refuses
    it with a clear error, and the edge's with_steep_land reads it again."""
    from formats.dem import with_steep_land
    from geo.errors import WorkspaceError
    from geo.netland import workspace_net
    parcels = sample_ws.parcels.copy()
    pid = parcels.index[parcels["status"] == "available"][0]
    parcels.loc[pid, "geometry"] = shapely.affinity.translate(parcels.at[pid, "geometry"], 1.0, 0.0)
    edited = sample_ws.with_layers(parcels=parcels.drop(columns=["area_mu", "net_mu"]))
    with pytest.raises(WorkspaceError, match="坡度超限"):
        workspace_net(edited, settings)
    again = with_steep_land(edited, settings.terrain.max_slope_pct)
    assert again is not edited and workspace_net(again, settings) is not None
