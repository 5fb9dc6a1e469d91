"""Pure look-ups behind map interaction: which parcel (or standard factory) was clicked, its block, and the acreage
inside a drawn polygon."""
from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import shape

from geo.area import area_mu
from geo.crs import CGCS2000
from geo.gcj02 import gcj02_to_wgs84
from geo.vocab import FACTORY_STATUS_LABELS, PARCEL_STATUS_LABELS
from geo.workspace import Workspace

if TYPE_CHECKING:
    from geo.supply import AvailableReport


def _to_metric(ws: Workspace, geom, gcj02: bool):
    """A lon/lat shapely geometry (GCJ-02 when the map was shifted) in the workspace's metric CRS."""
    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = xy[:, 0], xy[:, 1]
        if gcj02:
            lon, lat = gcj02_to_wgs84(lon, lat)
        x, y = Transformer.from_crs(CGCS2000, ws.metric_crs, always_xy=True).transform(lon, lat)
        return np.column_stack([x, y])
    return shapely.transform(geom, convert)


def parcel_at(ws: Workspace, lat: float, lng: float, gcj02: bool = False,
              candidates: pd.Index | None = None) -> str | None:
    """Id of the (smallest) parcel containing the clicked point, among ``candidates`` (the drawn ones) if given."""
    point = _to_metric(ws, shapely.Point(lng, lat), gcj02)
    parcels = ws.metric("parcels")
    if candidates is not None:
        parcels = parcels.loc[parcels.index.intersection(candidates)]
    hits = parcels.iloc[parcels.sindex.query(point.buffer(0.5), predicate="intersects")]   # a province: 1M parcels
    if hits.empty:
        return None
    return str(hits["area_mu"].idxmin())


def factory_at(ws: Workspace, lat: float, lng: float, gcj02: bool = False) -> dict | None:
    """The standard factory (标准厂房) containing the clicked point, as the details panel shows it; None: none."""
    factories = ws.metric("factories")
    if factories.empty:
        return None
    point = _to_metric(ws, shapely.Point(lng, lat), gcj02)
    hits = factories.iloc[factories.sindex.query(point, predicate="intersects")]
    if hits.empty:
        return None
    row = hits.iloc[0]
    ready = row.get("ready_date")
    return {"factory_id": str(row["factory_id"]), "name": str(row.get("name") or ""), "status": row["status"],
            "status_label": FACTORY_STATUS_LABELS.get(row["status"], row["status"]),
            "floors": None if pd.isna(row.get("floors")) else int(row["floors"]),
            "floor_area_m2": float(row["floor_area_m2"]), "vacant_m2": float(row["vacant_m2"]),
            "ready_date": None if pd.isna(ready) else pd.Timestamp(ready).date().isoformat(),
            "zone_id": row["zone_id"],
            "zone_name": ws.zones.at[row["zone_id"], "name"] if row["zone_id"] in ws.zones.index else row["zone_id"]}


def block_index(report: AvailableReport) -> dict[str, dict]:
    """parcel_id → {block_id, area_mu, parcel count} from an ``available_report`` answer."""
    out = {}
    for b in report.blocks:
        for pid in b.parcel_ids:
            out[pid] = {"block_id": b.block_id, "area_mu": b.area_mu, "parcels": len(b.parcel_ids)}
    return out


def parcel_details(ws: Workspace, parcel_id: str, blocks: dict[str, dict]) -> dict:
    """What the details panel shows for one parcel (canonical values; the page labels them)."""
    row = ws.parcels.loc[parcel_id]
    block = blocks.get(parcel_id)
    ready = row["ready_date"]
    return {
        "parcel_id": parcel_id,
        "status": row["status"],
        "status_label": PARCEL_STATUS_LABELS.get(row["status"], row["status"]),
        "area_mu": float(row["area_mu"]),
        "net_mu": float(row["net_mu"]),
        "ready_date": None if pd.isna(ready) else pd.Timestamp(ready).date().isoformat(),
        "zone_id": row["zone_id"],
        "zone_name": ws.zones.at[row["zone_id"], "name"] if row["zone_id"] in ws.zones.index else row["zone_id"],
        "land_use": None if pd.isna(row.get("land_use")) else str(row.get("land_use")),
        "block_id": block["block_id"] if block else None,
        "block_mu": float(block["area_mu"]) if block else None,
        "block_parcels": block["parcels"] if block else 0,
    }


def drawn_area_by_status(ws: Workspace, geojson: dict, gcj02: bool = False) -> pd.DataFrame:
    """Ellipsoidal acreage (亩) of each parcel status inside a drawn polygon (a GeoJSON Feature or geometry).

    Overlaps between parcels are counted once (earlier parcel keeps it, as in ``net_mu``) by unioning per status
    after removing what earlier statuses took. Columns: status, 状态, area_mu, parcels.
    """
    geometry = geojson.get("geometry", geojson)
    drawn = _to_metric(ws, shape(geometry), gcj02)
    if not drawn.is_valid:
        drawn = shapely.make_valid(drawn)
    parcels = ws.metric("parcels")
    hit = parcels[parcels.geometry.intersects(drawn)]
    rows = []
    for status in PARCEL_STATUS_LABELS:
        sub = hit[hit["status"] == status]
        if sub.empty:
            rows.append({"status": status, "状态": PARCEL_STATUS_LABELS[status], "area_mu": 0.0, "parcels": 0})
            continue
        inter = shapely.intersection(np.asarray(sub.geometry.values), drawn)
        mu = area_mu(gpd.GeoSeries(inter, crs=parcels.crs), ws.center).to_numpy()
        rows.append({"status": status, "状态": PARCEL_STATUS_LABELS[status], "area_mu": float(mu.sum()),
                     "parcels": int((mu > 0.01).sum())})
    return pd.DataFrame(rows)


def drawn_total_mu(ws: Workspace, geojson: dict, gcj02: bool = False) -> float:
    """Ellipsoidal area of the drawn polygon itself (亩)."""
    geometry = geojson.get("geometry", geojson)
    drawn = _to_metric(ws, shape(geometry), gcj02)
    return float(area_mu(gpd.GeoSeries([drawn], crs=ws.metric_crs), ws.center).iloc[0])
