"""An exhaustive reference for the plan (用地保障方案) on strip workspaces (tests.matching.test_matching_support),
independent of the engine: for every subset of the actions, the best placement by brute force over every
assignment of projects to blocks and factories.

The land rules are match's own (docs/matching.md), restated on small parcel maps (rows of strips, one row or two
stacked, so rings of parcels occur): a project at its date level may use the parcels that are available, funded by
the subset, or pipeline land ready by its ``needed_by`` (no date: land available now only); a block is a connected
set of such parcels of one park (sharing an edge); a set of land
projects fits when, for every block of every level, the needs × (1 + cut tolerance) of the projects placed inside
it sum to at most its area (the blocks of all levels are laminar: one check per block is exact). A floor project
goes into an admitting park's factory that is built, funded, or ready by its level, within the vacancy.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Item:
    """One action of the reference: ``kind`` "parcel" (clearing, or a stock action: the parcel becomes available)
    or "factory" (completion); ``key`` the parcel or factory id; ``cost_wan``."""
    kind: str
    key: str
    cost_wan: float


def _level(needed_by, as_of: pd.Timestamp):
    return None if pd.isna(needed_by) else max(pd.Timestamp(needed_by), as_of)


def reference_table(ws, items: list[Item], *, tol: float, as_of) -> list[tuple[float, float, float]]:
    """(cost, priority, investment) of the best placement (most priority, then investment) under every subset of
    ``items``; ``as_of`` the scenario date."""
    as_of = pd.Timestamp(as_of).normalize()
    parcels = ws.parcels.sort_index()
    adj = touching(parcels)
    parks: dict[str, list] = {}
    for pid, z, st, rd, mu in zip(parcels.index, parcels["zone_id"], parcels["status"], parcels["ready_date"],
                                  parcels["net_mu"]):
        parks.setdefault(str(z), []).append((str(pid), str(st), rd, float(mu)))
    industries = {z: set(str(v).split(";")) for z, v in ws.zones["industries"].items()}
    facs = [(str(k), str(z), str(st), rd, float(v)) for k, z, st, rd, v in zip(
        ws.factories.index, ws.factories["zone_id"], ws.factories["status"], ws.factories["ready_date"],
        ws.factories["vacant_m2"])]
    pr = []
    for _, p in ws.projects.iterrows():
        land = float(p["land_mu"]) if pd.notna(p["land_mu"]) and p["land_mu"] > 0 else 0.0
        floor = float(p["floor_m2"]) if pd.notna(p["floor_m2"]) and p["floor_m2"] > 0 else 0.0
        zones = [z for z in sorted(parks) if str(p["industry"]) in industries[z]]
        pr.append((land, floor, float(p["priority"]), float(p["investment_yi"] or 0.0),
                   _level(p["needed_by"], as_of), zones))
    out = []
    for k in range(len(items) + 1):
        for sub in itertools.combinations(items, k):
            funded = {i.key for i in sub}
            prio, inv = _best(parks, adj, facs, pr, funded, tol)
            out.append((sum(i.cost_wan for i in sub), prio, inv))
    return out


def _usable(status: str, ready, pid: str, funded: set, level) -> bool:
    return status == "available" or pid in funded or (
        level is not None and status in ("leveling", "demolition") and pd.notna(ready) and ready <= level)


def touching(parcels) -> dict[str, set]:
    """Parcels sharing at least 1 m of edge (the strips and rows of the test workspaces meet along whole edges or
    not at all), by plain shapely."""
    import shapely
    geom = parcels.geometry.to_numpy()
    ids = [str(i) for i in parcels.index]
    out: dict[str, set] = {i: set() for i in ids}
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            if shapely.intersection(geom[a], geom[b]).length >= 1.0:
                out[ids[a]].add(ids[b])
                out[ids[b]].add(ids[a])
    return out


def _blocks(parks, adj, funded: set, level, zones) -> list[tuple[str, frozenset, float]]:
    """The blocks (park, parcels, 亩) usable at ``level`` in ``zones``: connected components of usable land."""
    out = []
    for z in zones:
        mu = {pid: m for pid, st, rd, m in parks[z] if _usable(st, rd, pid, funded, level)}
        seen: set = set()
        for start in mu:
            if start in seen:
                continue
            comp, stack = {start}, [start]
            while stack:
                v = stack.pop()
                for w in adj[v]:
                    if w in mu and w not in comp:
                        comp.add(w)
                        stack.append(w)
            seen |= comp
            out.append((z, frozenset(comp), sum(mu[c] for c in comp)))
    return out


def _best(parks, adj, facs, pr, funded: set, tol: float) -> tuple[float, float]:
    options = []
    all_blocks: dict[tuple, float] = {}
    for land, floor, _, _, level, zones in pr:
        opts = []
        if land > 0:
            for z, strips, area in _blocks(parks, adj, funded, level, zones):
                all_blocks[(z, strips)] = area
                if area >= land * (1 + tol) - 1e-9:
                    opts.append(("land", (z, strips)))
        if floor > 0:
            for fid, fz, st, rd, vacant in facs:
                ready = st == "built" or fid in funded or (level is not None and pd.notna(rd) and rd <= level)
                if fz in zones and ready and vacant >= floor:
                    opts.append(("factory", (fid, vacant)))
        options.append(opts)
    supersets = {b: [c for c in all_blocks if c[0] == b[0] and b[1] <= c[1]] for b in all_blocks}
    best = [0.0, 0.0]
    rest_prio = [sum(p[2] for p in pr[i:]) for i in range(len(pr) + 1)]
    load: dict = {}

    def go(i: int, prio: float, inv: float) -> None:
        if prio > best[0] + 1e-9 or (prio > best[0] - 1e-9 and inv > best[1] + 1e-9):
            best[0], best[1] = prio, inv
        if i == len(pr) or prio + rest_prio[i] < best[0] - 1e-9:
            return
        land, floor, p, v, _, _ = pr[i]
        for kind, where in options[i]:
            if kind == "land":
                need = land * (1 + tol)
                ups = supersets[where]
                if all(load.get(c, 0.0) + need <= all_blocks[c] + 1e-9 for c in ups):
                    for c in ups:
                        load[c] = load.get(c, 0.0) + need
                    go(i + 1, prio + p, inv + v)
                    for c in ups:
                        load[c] -= need
            else:
                fid, cap = where
                if load.get(fid, 0.0) + floor <= cap + 1e-9:
                    load[fid] = load.get(fid, 0.0) + floor
                    go(i + 1, prio + p, inv + v)
                    load[fid] -= floor
        go(i + 1, prio, inv)

    go(0, 0.0, 0.0)
    return best[0], best[1]


def optimum(table, budget: float | None) -> tuple[float, float, float]:
    """(priority, investment, least cost) of the best subset within ``budget`` (None: any)."""
    ok = [t for t in table if budget is None or t[0] <= budget + 1e-6]
    best_p = max(t[1] for t in ok)
    best_i = max(t[2] for t in ok if abs(t[1] - best_p) < 1e-6)
    least = min(t[0] for t in ok if abs(t[1] - best_p) < 1e-6 and abs(t[2] - best_i) < 1e-6)
    return best_p, best_i, least
