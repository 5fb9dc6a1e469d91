"""The constraint layers (永久基本农田, 生态保护红线, 城镇开发边界, flood zones) in the PostGIS store: reference layers
from the 自然资源局, replaced whole (not row-edited), kept in one table with each feature's fields as JSON so every
extra field travels. Parameterised SQL with plain PostGIS functions only."""
from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import shapely

from geo.schema import CONSTRAINT_LAYERS
from stores.common import quote

TABLE = "landgap_constraints"


def _json_value(v):
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v.item() if hasattr(v, "item") else v


def write_constraints(conn, layers: dict[str, gpd.GeoDataFrame]) -> dict[str, tuple[int, int]]:
    """Replace the stored constraint layers named in ``layers`` (in the caller's transaction); {name: (features
    before, after)}."""
    conn.execute(f"CREATE TABLE IF NOT EXISTS {quote(TABLE)} (fid BIGSERIAL PRIMARY KEY, layer TEXT NOT NULL, "
                 "attrs TEXT, geom geometry)")
    names = [n for n in layers if n in CONSTRAINT_LAYERS]
    if not names:
        return {}
    old = dict(conn.execute(f"SELECT layer, count(*) FROM {quote(TABLE)} WHERE layer = ANY(%s) GROUP BY layer",
                            (names,)).fetchall())
    conn.execute(f"DELETE FROM {quote(TABLE)} WHERE layer = ANY(%s)", (names,))
    rows = []
    for name in names:
        frame = layers[name]
        attrs = frame.drop(columns=frame.geometry.name)
        wkb = shapely.to_wkb(frame.geometry.values)
        for (_, rec), g in zip(attrs.iterrows(), wkb):
            rows.append((name, json.dumps({k: _json_value(v) for k, v in rec.items()}, ensure_ascii=False), g))
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {quote(TABLE)} (layer, attrs, geom) VALUES (%s, %s, ST_GeomFromWKB(%s))", rows)
    return {n: (int(old.get(n, 0)), len(layers[n])) for n in names}


def read_constraints(conn, crs) -> dict[str, gpd.GeoDataFrame]:
    """The stored constraint layers in ``crs`` (the workspace's: they are written in it), in stored order."""
    exists = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = %s "
                          "AND table_schema = current_schema()", (TABLE,)).fetchone()[0]
    if not exists:
        return {}
    rows = conn.execute(f"SELECT layer, attrs, ST_AsBinary(geom) FROM {quote(TABLE)} ORDER BY fid").fetchall()
    out = {}
    for name in CONSTRAINT_LAYERS:
        mine = [r for r in rows if r[0] == name]
        if mine:
            attrs = pd.DataFrame([json.loads(r[1] or "{}") for r in mine])
            geoms = shapely.from_wkb([bytes(r[2]) for r in mine])
            out[name] = gpd.GeoDataFrame(attrs, geometry=geoms, crs=crs)
    return out
