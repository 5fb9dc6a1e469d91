"""match is optimal: on small random instances an exhaustive search over all assignments finds no higher priority.

The reference is independent of matching/: blocks come from geo.blocks.block_labels at each date, feasibility is
the area rule of the model (the needs placed inside any block at any date fit its area, with the cut tolerance),
and the search enumerates every assignment of every project to a block, a factory or nothing.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.blocks import block_labels
from geo.settings import load_settings
from geo.vocab import PIPELINE_STATUSES
from matching import match
from tests.matching.test_matching_support import make_ws

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

DATES = [None, "2027-06-30", "2028-06-30"]


def random_instance(seed: int):
    rng = np.random.default_rng(seed)
    n_zones = int(rng.integers(2, 4))
    industries = ["纺织鞋服", "健康食品", "纺织鞋服;健康食品"]
    zones, n_parcels = [], 0
    for z in range(n_zones):
        k = int(rng.integers(2, 5))
        if n_parcels + k > 12:
            k = 12 - n_parcels
        n_parcels += k
        strips = []
        for _ in range(k):
            status = rng.choice(["available", "available", "leveling", "demolition", "supplied"])
            ready = str(rng.choice(["2027-03-31", "2028-03-31"])) if status in PIPELINE_STATUSES else None
            strips.append((("mu", float(rng.uniform(8, 40))), str(status), ready))
        zones.append((f"Z{z}", industries[z % 3], strips))
    n_proj = int(rng.integers(4, 9))
    projects = []
    for i in range(n_proj):
        kind = rng.random()
        p = {"industry": str(rng.choice(["纺织鞋服", "健康食品"])), "priority": float(rng.choice([1, 2, 3])),
             "needed_by": DATES[int(rng.integers(0, 3))], "preferred_zone": f"Z{int(rng.integers(0, n_zones))}"}
        if kind < 0.8:
            p["land_mu"] = float(round(rng.uniform(6, 45), 1))
        if kind > 0.65:
            p["floor_m2"] = float(round(rng.uniform(1000, 5000), -2))
        projects.append(p)
    factories = [{"factory_id": f"F{j}", "zone_id": f"Z{j % n_zones}", "vacant_m2": float(rng.choice([3000, 6000])),
                  "status": "built"} for j in range(int(rng.integers(0, 3)))]
    return make_ws(zones, projects, factories)


def exhaustive_best(ws, tol: float) -> float:
    """Max Σ priority over all feasible assignments (area rule per block per date; factory vacancy); ``tol``: the
    cut tolerance each site reserves."""
    parcels = ws.metric("parcels").sort_values("parcel_id")
    admits = {z: (set(str(s).split(";")) if isinstance(s, str) and s else None)
              for z, s in ws.zones["industries"].items()}
    projects = ws.projects.sort_values("project_id")
    levels = sorted({None if pd.isna(d) else pd.Timestamp(d) for d in projects["needed_by"]},
                    key=lambda d: pd.Timestamp.min if d is None else d)
    blocks = {}   # level -> list of (zone, frozenset(parcel ids), area)
    for lv in levels:
        ok = (parcels["status"] == "available")
        if lv is not None:
            ok |= parcels["status"].isin(PIPELINE_STATUSES) & (parcels["ready_date"] <= lv)
        sub = parcels[ok]
        labels = block_labels(np.asarray(sub.geometry.values), sub["zone_id"].to_numpy(),
                              SETTINGS.blocks.touch_gap_m, SETTINGS.blocks.min_shared_edge_m)
        blocks[lv] = [(sub["zone_id"].iloc[np.flatnonzero(labels == b)[0]],
                       frozenset(sub["parcel_id"].to_numpy()[labels == b]),
                       float(sub["net_mu"].to_numpy()[labels == b].sum())) for b in np.unique(labels)]
    options = []
    for _, p in projects.iterrows():
        lv = None if pd.isna(p["needed_by"]) else pd.Timestamp(p["needed_by"])
        opts = [None]
        ok_zone = lambda z: admits[z] is None or p["industry"] in admits[z]  # noqa: E731
        if pd.notna(p["land_mu"]):
            opts += [("land", lv, b) for b in blocks[lv] if ok_zone(b[0]) and b[2] >= p["land_mu"] * (1 + tol)]
        if pd.notna(p["floor_m2"]):
            opts += [("factory", f, None) for f, row in ws.factories.iterrows()
                     if ok_zone(row["zone_id"]) and row["vacant_m2"] >= p["floor_m2"] and row["status"] == "built"]
        options.append((p, opts))

    def feasible(assign) -> bool:
        for lv in levels:           # every block at every date holds the sites that must lie inside it
            for zone, members, area in blocks[lv]:
                used = sum(p["land_mu"] * (1 + tol) for p, o in assign if o and o[0] == "land"
                           and (o[1] is None or (lv is not None and o[1] <= lv)) and o[2][1] <= members)
                if used > area + 1e-9:
                    return False
        for f, row in ws.factories.iterrows():
            if sum(p["floor_m2"] for p, o in assign if o and o[0] == "factory" and o[1] == f) > row["vacant_m2"]:
                return False
        return True

    best = 0.0

    def search(i, assign, value):
        nonlocal best
        if i == len(options):
            best = max(best, value)
            return
        p, opts = options[i]
        for o in opts:
            nxt = assign + [(p, o)]
            if o is None or feasible(nxt):
                search(i + 1, nxt, value + (p["priority"] if o else 0.0))
    search(0, [], 0.0)
    return best


@pytest.mark.parametrize("seed", range(14))
def test_match_priority_equals_exhaustive_search(settings, seed):
    ws = random_instance(seed)
    result = match(ws, unlocks=False, settings=settings)
    assert result.status == "optimal"
    assert result.placed_priority == pytest.approx(exhaustive_best(ws, settings.matching.cut_tolerance), abs=1e-9)
    # and the placement itself is valid: sites disjoint, one polygon, area ≥ need
    sites = [p.site for p in result.placed if p.kind == "land"]
    for p in result.placed:
        if p.kind == "land":
            assert shapely.get_type_id(p.site) == 3 and p.site_mu >= p.need_mu - 1e-6
    for i in range(len(sites)):
        for j in range(i + 1, len(sites)):
            assert shapely.area(shapely.intersection(sites[i], sites[j])) < 6.67   # 0.01 亩


def test_random_instances_are_not_trivial(settings):
    """The reference must be discriminating: across the seeds some projects compete and lose."""
    lost = sum(len(match(random_instance(s), unlocks=False, settings=settings).unplaced) for s in range(14))
    assert lost >= 5
