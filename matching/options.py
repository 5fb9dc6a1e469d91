"""Stage 2: the candidate options of each project — (project, block) and (project, factory) — and their value.

The value of an option is its project's priority plus a tie-break scaled so the tie-breaks of all projects sum to
less than half the priority resolution: they order only solutions of equal priority. The tie-break (lexicographic
in spirit) is: preferred zone, then least surplus, then earliest ready date; standard-factory options get the
surplus bonus in full (policy: factories before land). ``ValueFormula`` is the one place that says so.

Sparse candidates: a project keeps its best ``columns_per_project`` blocks (half the snuggest, half spread over all
sizes); the others are aggregated per (project, zone) into the ``omitted`` options that enter the optimality proof.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from geo.settings import MatchingSettings
from matching.instance import Instance

LAND, FACTORY = 0, 1
"""Option kinds (``Options.kind``)."""


@dataclass(frozen=True)
class ValueFormula:
    """priority + scale × tie-break × 0.999, the tie-break weighted (preferred zone, surplus, ready date)."""
    w_pref: float
    w_surplus: float
    w_ready: float
    scale: float
    resolution: float         # priorities are compared at this resolution

    @classmethod
    def for_projects(cls, settings: MatchingSettings, n_with_options: int) -> "ValueFormula":
        """Tie-breaks of ``n_with_options`` projects sum to < half the priority resolution."""
        w, res = settings.tiebreak_weights, settings.priority_resolution
        return cls(*w, 0.5 * res / max(1, n_with_options) / (w[0] + w[1] + w[2] + 1e-9), res)

    @property
    def abs_gap(self) -> float:
        """A proof within this absolute distance misses no placement with more priority."""
        return 0.25 * self.resolution

    @property
    def best_tiebreak(self) -> float:
        return self.w_pref + self.w_surplus + self.w_ready

    def land_tiebreak(self, same_zone: np.ndarray, surplus: np.ndarray, rank: np.ndarray) -> np.ndarray:
        """Preferred zone, then least surplus (share of the block left), then earliest ready."""
        return self.w_pref * same_zone + self.w_surplus * (1 - surplus) + self.w_ready * (1 - rank)

    def factory_tiebreak(self, same_zone: np.ndarray, surplus: np.ndarray) -> np.ndarray:
        """A factory option: the surplus bonus in full on top of the share of the space left, ready now."""
        return self.w_pref * same_zone + self.w_surplus * (1 + (1 - surplus)) / 2 + self.w_ready

    def value(self, priority: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
        return priority + self.scale * tiebreak * 0.999

    def total(self, priority, tiebreak):
        """The same for sums (a packing's priority and tie-breaks), or the best value with the best tie-break."""
        return priority + self.scale * 0.999 * tiebreak

    def best_value(self, priority: np.ndarray) -> np.ndarray:
        return self.total(priority, self.best_tiebreak)


@dataclass(frozen=True)
class Omitted:
    """Options left out of the sparse candidates, aggregated per (project, zone): the best value of each."""
    project: np.ndarray
    zone: np.ndarray          # zone ids
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.project)


@dataclass(frozen=True)
class Options:
    """Column arrays, one entry per option: ``project`` (index into the Instance), ``kind`` (LAND/FACTORY),
    ``resource`` (block key or factory index), ``zone`` (zone code), ``value``; the ``formula`` that valued them
    and the ``omitted`` aggregates."""
    project: np.ndarray
    kind: np.ndarray
    resource: np.ndarray
    zone: np.ndarray
    value: np.ndarray
    formula: ValueFormula
    omitted: Omitted

    def __len__(self) -> int:
        return len(self.project)

    def land_tiebreak(self, inst: Instance, p: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """Tie-break of (project, block) pairs (given as arrays) on the instance's free land."""
        area = np.maximum(inst.free_mu.to_numpy()[keys], 1e-9)
        return self.formula.land_tiebreak(inst.block_zone[keys] == inst.pref_code[p], (area - inst.need[p]) / area,
                                          inst.block_rank[keys])

    def with_land(self, inst: Instance, p: np.ndarray, keys: np.ndarray) -> "Options":
        """These options and new land options (project, block), valued by the same formula."""
        if not len(p):
            return self
        return dataclasses.replace(
            self, project=np.r_[self.project, p], kind=np.r_[self.kind, np.zeros(len(p), dtype=np.int8)],
            resource=np.r_[self.resource, keys], zone=np.r_[self.zone, inst.block_zone[keys]],
            value=np.r_[self.value, self.formula.value(inst.priority[p], self.land_tiebreak(inst, p, keys))])


def _cat(xs, dtype):
    return np.concatenate(xs).astype(dtype) if xs else np.zeros(0, dtype)


def build_options(inst: Instance) -> Options:
    """Every project's options: blocks of its date level in admitting zones large enough for its need (sparse: the
    best ``columns_per_project``, the rest aggregated), and ready factories with enough vacant space."""
    ms = inst.settings
    blocks = inst.model.blocks
    # the weights only; the scale depends on how many projects have options (known at the end)
    w = ValueFormula(*ms.tiebreak_weights, 1.0, ms.priority_resolution)
    per_level = {}
    for li in np.unique(inst.li):
        b = blocks[blocks["level"] == li]
        order = np.argsort(-inst.free_mu.loc[b.index].to_numpy(), kind="stable")
        keys = b.index.to_numpy()[order]
        per_level[li] = (keys, inst.block_zone[keys], inst.free_mu.loc[b.index].to_numpy()[order],
                         inst.block_rank[keys])
    per_project, spread_share = ms.columns_per_project, ms.columns_spread_share
    col_p, col_kind, col_res, col_tb, col_zone = [], [], [], [], []
    agg_p, agg_zone, agg_tb = [], [], []
    zone_names, fz, fac_vacant = inst.zone_names, inst.fac_code, inst.fac_vacant
    fac_ready = {li: inst.fac_ready_at(li) for li in np.unique(inst.li)}
    admit_mask = {}
    for p in range(len(inst.pid)):
        zkey = inst.admit_key(p)
        if zkey not in admit_mask:
            admit_mask[zkey] = np.isin(zone_names, list(inst.zones_for(p)))
        zmask = admit_mask[zkey]
        li = int(inst.li[p])
        if inst.need[p] > 0:
            keys, zone, area, rank = per_level[li]
            k = int(np.searchsorted(-area, -inst.need[p] * (1 + inst.tol), side="right"))
            ok = zmask[zone[:k]]
            keys_ok, zone_ok = keys[:k][ok], zone[:k][ok]
            surplus = (area[:k][ok] - inst.need[p]) / area[:k][ok]
            tb = w.land_tiebreak(zone_ok == inst.pref_code[p], surplus, rank[:k][ok])
            if len(tb) > per_project:
                # half the snuggest blocks (the tie-break order), half spread evenly over all sizes (keys_ok is in
                # descending area order): with only snug ones, similar projects crowd the same few blocks on large
                # counties (100k/5000: 5,601 → 6,269 placed priority)
                by_tb = np.lexsort((keys_ok, -tb))
                n_spread = int(per_project * spread_share)
                spread = np.unique(np.linspace(0, len(tb) - 1, n_spread).round().astype(np.int64))
                snug = by_tb[~np.isin(by_tb, spread)][:per_project - len(spread)]
                kept = np.r_[snug, spread]
                best = np.r_[kept, np.setdiff1d(np.arange(len(tb)), kept)]
                drop = best[per_project:]
                dz = np.full(len(zone_names), -np.inf)
                np.maximum.at(dz, zone_ok[drop], tb[drop])
                zs = np.flatnonzero(np.isfinite(dz))
                agg_p.append(np.full(len(zs), p))
                agg_zone.append(zone_names[zs])
                agg_tb.append(dz[zs])
                keep = np.sort(best[:per_project])
                keys_ok, tb, zone_ok = keys_ok[keep], tb[keep], zone_ok[keep]
            col_p.append(np.full(len(keys_ok), p))
            col_kind.append(np.full(len(keys_ok), LAND, dtype=np.int8))
            col_res.append(keys_ok)
            col_tb.append(tb)
            col_zone.append(zone_ok)
        if inst.floor[p] > 0:
            ok = zmask[fz] & fac_ready[li] \
                & (fac_vacant >= inst.floor[p]) if len(fz) else np.zeros(0, dtype=bool)
            f = np.flatnonzero(ok)
            surplus = (fac_vacant[f] - inst.floor[p]) / fac_vacant[f]
            col_p.append(np.full(len(f), p))
            col_kind.append(np.full(len(f), FACTORY, dtype=np.int8))
            col_res.append(f)
            col_tb.append(w.factory_tiebreak(inst.fac_zone[f] == inst.pref[p], surplus))
            col_zone.append(fz[f])
    project = _cat(col_p, np.int64)
    formula = ValueFormula.for_projects(ms, len(np.unique(project)))
    omitted_p = _cat(agg_p, np.int64)
    return Options(
        project=project, kind=_cat(col_kind, np.int8), resource=_cat(col_res, np.int64),
        zone=_cat(col_zone, np.int64),
        value=formula.value(inst.priority[project], _cat(col_tb, float)) if len(project) else np.zeros(0),
        formula=formula,
        omitted=Omitted(omitted_p, np.concatenate(agg_zone) if agg_zone else np.zeros(0, dtype=object),
                        formula.value(inst.priority[omitted_p], _cat(agg_tb, float))))
