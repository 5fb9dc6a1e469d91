"""Contiguous blocks (连片地块): parcels of one zone that share an edge, or would but for a digitising gap."""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def touching_pairs(geoms: np.ndarray, groups: np.ndarray, gap_m: float,
                   min_edge_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) of the same group whose boundaries run together for at least ``min_edge_m``.

    ``geoms`` must be in a metric CRS. Parcels closer than ``gap_m`` count as touching (a 0.3 m digitising gap
    does); a corner contact or a road between them does not. Both from ``Settings.blocks`` (config [blocks]).
    """
    gap, min_edge = gap_m, min_edge_m
    left, right = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=gap)
    keep = (left < right) & (groups[left] == groups[right])
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return left, right
    # Length of j's boundary lying within `gap` of i: the shared edge plus at most `gap` at each end.
    halo = shapely.buffer(geoms[left], gap, quad_segs=2)
    shared = shapely.length(shapely.intersection(halo, shapely.boundary(geoms[right])))
    ok = shared >= min_edge + 2 * gap
    return left[ok], right[ok]


def block_labels(geoms: np.ndarray, groups: np.ndarray, gap_m: float, min_edge_m: float) -> np.ndarray:
    """Connected-component label (0..k-1) of every geometry under the touching relation (``touching_pairs``)."""
    n = len(geoms)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    left, right = touching_pairs(geoms, groups, gap_m=gap_m, min_edge_m=min_edge_m)
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels


def contiguous_blocks(parcels, gap_m: float, min_edge_m: float,
                      area_column: str = "net_mu") -> tuple[pd.Series, pd.DataFrame]:
    """Blocks of the given (eligible, metric-CRS) parcels, grouped by ``zone_id``; ``gap_m`` and ``min_edge_m`` as
    in ``touching_pairs`` (``Settings.blocks``).

    Rows may be pieces of parcels (``geo.netland.land_rows``): a block lists each parcel id once.
    Returns the ``block_id`` of each row (same index) and a table of blocks
    (``block_id``, ``zone_id``, ``parcel_ids``, ``area_mu``), largest first within each zone.
    """
    geoms = np.asarray(parcels.geometry.values)
    zone = parcels["zone_id"].astype(str).to_numpy()
    labels = block_labels(geoms, zone, gap_m=gap_m, min_edge_m=min_edge_m)
    frame = pd.DataFrame({"label": labels, "zone_id": zone, "parcel_id": parcels["parcel_id"].to_numpy(),
                          "area": parcels[area_column].to_numpy()}, index=parcels.index)
    table = _block_table(frame)
    table = table.sort_values(["zone_id", "area_mu", "first"], ascending=[True, False, True], kind="stable")
    table["block_id"] = table["zone_id"] + "-B" + (table.groupby("zone_id").cumcount() + 1).map("{:03d}".format)
    block_of = frame["label"].map(dict(zip(table["label"], table["block_id"]))).rename("block_id")
    return block_of, table[["block_id", "zone_id", "parcel_ids", "area_mu"]].reset_index(drop=True)


def _block_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per label (in order of first appearance): its first row's ``zone_id``, its distinct parcel ids sorted
    (``parcel_ids``, a list), the sum of ``area`` (``area_mu``) and the smallest parcel id (``first``) — vectorised
    (one sort, no per-block Python aggregation: 150 000 blocks of a province in a fraction of a second)."""
    label = frame["label"].to_numpy()
    uniq, first_row = np.unique(label, return_index=True)
    order = np.argsort(first_row, kind="stable")              # groupby(sort=False): labels as they first appear
    uniq, first_row = uniq[order], first_row[order]
    pid = frame["parcel_id"].to_numpy().astype(str)
    ids = pd.DataFrame({"label": label, "pid": pid}).drop_duplicates().sort_values(["label", "pid"], kind="stable")
    lab, sorted_ids = ids["label"].to_numpy(), ids["pid"].to_numpy(dtype=object)
    starts = np.searchsorted(lab, uniq)
    ends = np.searchsorted(lab, uniq, side="right")
    lists = [sorted_ids[a:b].tolist() for a, b in zip(starts, ends)]
    area = pd.Series(frame["area"].to_numpy()).groupby(label).sum()
    return pd.DataFrame({"label": uniq, "zone_id": frame["zone_id"].to_numpy()[first_row], "parcel_ids": lists,
                         "area_mu": area.reindex(uniq).to_numpy(),
                         "first": [x[0] if x else "" for x in lists]})
