"""A validation message about one feature names the feature by its id (地块编号 B1 …) and by where it is (its fid in
a file, its row in an edited table), on every layer."""
import pyogrio
import pytest
from shapely.geometry import Polygon

from geo.errors import ValidationError
from geo.settings import load_settings
from geo.workspace import build_workspace
from stores.gpkg_file import read_workspace
from tests.conftest import X0, Y0, make_layers, parcel, validated_by

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

BOWTIE = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
PROJECT = {"project_id": "X1", "name": "项目", "industry": "纺织鞋服", "land_mu": 10.0, "stage": "signed"}
FACTORY = {"factory_id": "F1", "zone_id": "Z1", "name": "1号", "floors": 4, "floor_area_m2": 1000.0,
           "vacant_m2": 500.0, "status": "built", "geometry": (0, 0, 20, 20)}


def read(tmp_path, layers):
    path = tmp_path / "w.gpkg"
    for name, frame in layers.items():
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
    return read_workspace(path, SETTINGS)[1]


def only(report, code):
    [issue] = [i for i in report.issues if i.code == code]
    return issue


def test_a_repaired_bowtie_parcel_is_named_by_its_id_and_fid(tmp_path):
    report = read(tmp_path, make_layers([parcel("P0", (300, 300, 400, 400)), parcel("B1", BOWTIE)]))
    issue = only(report, "REPAIRED_GEOMETRY")
    assert issue.row == 2 and issue.feature == "B1"
    assert "地块编号 B1" in issue.message and "fid 2" in issue.message
    assert "B1" in str(issue) and "fid 2" in str(issue)
    assert issue.to_dict()["feature"] == "B1" and "地块编号 B1" in issue.to_dict()["message"]


def test_every_parcel_check_names_the_parcel(tmp_path):
    report = read(tmp_path, make_layers([
        parcel("P1", (0, 0, 100, 100), status="leveling"),                  # no ready date
        parcel("P2", (200, 0, 300, 100), status="闲置"),                     # unknown status
        parcel("P3", (400, 0, 500, 100), registered_mu=99.0),               # area mismatch
        parcel("P4", (600, 0, 700, 100), zone="Z9"),                        # unknown zone
    ]))
    for code, pid, fid in (("MISSING_READY_DATE", "P1", 1), ("UNKNOWN_VALUE", "P2", 2), ("AREA_MISMATCH", "P3", 3),
                           ("UNKNOWN_ZONE", "P4", 4)):
        issue = only(report, code)
        assert f"地块编号 {pid}" in issue.message and f"fid {fid}" in issue.message, issue.message


def test_a_zone_message_names_the_zone(tmp_path):
    zones = [{"zone_id": "Z1", "name": "测试园区", "industries": "纺织鞋服", "geometry": (-50, -50, 2000, 2000)},
             {"zone_id": "Z2", "name": "歪园区", "industries": "火箭", "geometry": BOWTIE}]
    report = read(tmp_path, make_layers([parcel("P1", (0, 0, 100, 100))], zones=zones))
    for code in ("REPAIRED_GEOMETRY", "OTHER_INDUSTRY"):
        issue = only(report, code)
        assert "园区编号 Z2" in issue.message and "fid 2" in issue.message, issue.message


def test_a_factory_message_names_the_factory(tmp_path):
    bad = dict(FACTORY, vacant_m2=2000.0)
    report = read(tmp_path, make_layers([parcel("P1", (0, 0, 50, 50))], factories=[bad], projects=[PROJECT]))
    issue = only(report, "VACANT_EXCEEDS_FLOOR")
    assert "厂房编号 F1" in issue.message and "fid 1" in issue.message, issue.message


def test_a_project_message_names_the_project(tmp_path):
    report = read(tmp_path, make_layers([parcel("P1", (0, 0, 50, 50))],
                                        projects=[PROJECT, dict(PROJECT, project_id="X2", land_mu=-3.0)]))
    issue = only(report, "NON_POSITIVE_VALUE")
    assert "项目编号 X2" in issue.message and "fid 2" in issue.message, issue.message


def test_an_edited_table_names_the_row_not_a_fid():
    ws, report = build_workspace(make_layers([parcel("P1", (0, 0, 50, 50))], projects=[PROJECT]),
                                 **validated_by(SETTINGS))
    assert report.ok, report.issues
    edited = ws.projects.reset_index(drop=True)
    edited.loc[len(edited)] = dict(PROJECT, project_id="X2", land_mu=None, floor_m2=None)
    with pytest.raises(ValidationError) as err:
        ws.with_projects(edited)
    issue = only(err.value.report, "NO_NEED")
    assert issue.row == 2 and "项目编号 X2" in issue.message and "第 2 行" in issue.message
    assert "fid" not in issue.message
