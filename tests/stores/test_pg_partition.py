"""The PostGIS store partitioned by county (stores/pg_partition.py): a 3-county workspace migrated in keeps every
row (migrate's own comparison), each county's parcels sit in its partition, a county query's plan scans only that
partition (EXPLAIN), and a zone moved to another county takes its parcels along."""
from __future__ import annotations

import psycopg
import pytest

from geo.settings import load_settings
from seeds.province import county_codes, write_province
from stores import open_store
from stores.common import save
from stores.migrate import migrate
from tests.stores.test_store import pg  # noqa: F401  (the throw-away cluster fixture)

SETTINGS = load_settings()
CODES = county_codes(3)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    return write_province(tmp_path_factory.mktemp("city") / "city.gpkg", counties=3, parcels_per_county=200,
                          projects_per_county=6, seed=3)


@pytest.fixture
def city_db(pg, city):  # noqa: F811
    url = pg.create_database("t_city_" + __import__("uuid").uuid4().hex[:8])
    with open_store(city, SETTINGS) as src, open_store(url, SETTINGS) as dst:
        assert migrate(src, dst)["identical"]
    return url


def partition_counts(url: str, table: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p "
            "ON p.oid = i.inhparent WHERE p.relname = %s", (table,)).fetchall()
        return {r[0]: conn.execute(f'SELECT count(*) FROM "{r[0]}"').fetchone()[0] for r in rows}


def test_each_county_in_its_partition_and_a_county_query_scans_only_it(city_db):
    counts = partition_counts(city_db, "parcels")
    assert counts == {**{f"parcels_p{c}": 200 for c in CODES}, "parcels_pdefault": 0}
    assert sum(partition_counts(city_db, "zones").values()) == 15
    with psycopg.connect(city_db) as conn:
        assert conn.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'parcels' "
                            "AND column_name = 'county_code'").fetchone()[0] == 0    # the key is the store's own
        for table in ("parcels", "factories", "zones"):
            plan = "\n".join(r[0] for r in conn.execute(
                f"EXPLAIN SELECT * FROM {table} WHERE county_key = %s", (CODES[1],)).fetchall())
            assert f"{table}_p{CODES[1]}" in plan, plan
            assert not any(f"{table}_p{c}" in plan for c in (CODES[0], CODES[2], "default")), plan
    with open_store(city_db, SETTINGS) as store:
        raws = store.raw_layers(county=CODES[2])
        zone_col = [n for n, _ in raws["parcels"].columns].index("zone_id")
        assert len(raws["parcels"].rows) == 200
        assert {r[2 + zone_col][:6] for r in raws["parcels"].rows} == {CODES[2]}
        assert "county_key" not in [n for n, _ in raws["parcels"].columns]


def test_a_zone_moved_to_another_county_takes_its_parcels(city_db):
    with open_store(city_db, SETTINGS) as store:
        ws, _, _ = store.read()
        zone = ws.zones.index[0]
        moved = int((ws.parcels["zone_id"] == zone).sum())
        zones = ws.zones.copy()
        zones.loc[zone, "county_code"] = CODES[2]
        save(store, ws, ws.with_layers(zones=zones), "tester")
        back, _, _ = store.read()
    assert back.zones.at[zone, "county_code"] == CODES[2]
    counts = partition_counts(city_db, "parcels")
    assert counts[f"parcels_p{CODES[0]}"] == 200 - moved and counts[f"parcels_p{CODES[2]}"] == 200 + moved
    code = "511721"                                     # a county the database had no partition for
    zones.loc[zone, "county_code"] = code
    with open_store(city_db, SETTINGS) as store:
        save(store, back, back.with_layers(zones=zones), "tester")
    assert partition_counts(city_db, "parcels")[f"parcels_p{code}"] == moved
