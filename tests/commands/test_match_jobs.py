"""`match --jobs N`: the counties matched in parallel processes and merged equal the same counties matched one after
the other, and their objective is the whole workspace's optimum (no project may leave its county here)."""
import json

import pytest

from seeds.province import county_codes, write_province
from tests.commands.test_county_cli import run


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return write_province(tmp_path_factory.mktemp("jobs") / "city.gpkg", counties=3, parcels_per_county=300,
                          projects_per_county=10, seed=4)


def test_parallel_counties_merge_to_the_sequential_answer(city):
    parallel = json.loads(run("match", "--workspace", city, "--json", "--jobs", "2").stdout)
    sequential = json.loads(run("match", "--workspace", city, "--json", "--jobs", "1").stdout)
    assert parallel == sequential
    whole = json.loads(run("match", "--workspace", city, "--json").stdout)
    assert whole["status"] == parallel["status"] == "optimal"
    assert parallel["objective"] == whole["objective"]
    assert parallel["counties"] == whole["counties"]
    assert sorted(p["project_id"] for p in parallel["placed"]) == sorted(p["project_id"] for p in whole["placed"])
    assert [r["county_code"] for r in parallel["counties"]] == county_codes(3)
    total = parallel["zones"][-1]
    assert total["total"] and total["placed_count"] == len(parallel["placed"])


def test_jobs_refuses_a_project_that_may_cross_counties(tmp_path):
    import pyogrio

    from stores.gpkg_file import write_layer
    path = write_province(tmp_path / "cross.gpkg", counties=2, parcels_per_county=100, projects_per_county=4, seed=5)
    projects = pyogrio.read_dataframe(path, layer="projects", read_geometry=False)
    projects.loc[0, "any_county"] = 1
    write_layer(path, "projects", projects, None)
    bad = run("match", "--workspace", path, "--json", "--jobs", "2", check=False)
    assert bad.returncode == 1 and "可跨县安排" in bad.stderr
