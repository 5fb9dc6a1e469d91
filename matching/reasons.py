"""Why a project has no site (有项目、无选址): reason codes, their Chinese sentences, the gap in 亩, and the land
action that could unblock it (checked later by re-running, in unlocks.py).

Codes, checked in this order:
  NO_ZONE           no park admits the project's industry;
  OUTCOMPETED       it fits alone (a block or factory large enough is ready by its date) but the land or space
                    went to other projects — named;
  NOT_READY         it would fit on pipeline land (待平整/待拆迁) that is not ready by its date — which parcels, when;
  CONSTRAINED       it would fit on the gross land by its date, but the constraint layers (三区三线, flood, slope)
                    cut the largest block below its need — which layers take how many 亩;
  TOO_SMALL         even counting pipeline land, the largest block is smaller than the need — the gap in 亩;
  NO_FACTORY_SPACE  a standard-factory project: no ready factory of an admitting park has enough vacant space.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geo.constraints import EXCLUSION_ORDER
from geo.vocab import CONSTRAINED_LABEL, EXCLUSION_LABELS, FACTORY_STATUS_LABELS, PARCEL_STATUS_LABELS
from matching.bounds import SimplifyRule
from matching.model import Unplaced, iso

REASONS: dict[str, str] = {
    "NO_ZONE": "无准入园区",
    "TOO_SMALL": "连片面积不足",
    "NOT_READY": "储备地块未按期就绪",
    "OUTCOMPETED": "用地已安排给其他项目",
    "NO_FACTORY_SPACE": "标准厂房空间不足",
    "CONSTRAINED": CONSTRAINED_LABEL,
}
"""Reason code → short Chinese label (tables); the full sentence is in ``Unplaced.detail``."""


@dataclass
class UnlockIdea:
    """A land action believed to place ``project_id``; verified by re-running before it is reported."""
    project_id: str
    parcel_ids: tuple[str, ...] = ()
    factory_id: str | None = None
    area_mu: float = 0.0
    ready_by: object = None


def _when(level) -> str:
    return "当前" if level is None else f"至 {iso(level)}"


def _names(ids: list[str], names: dict[str, str], k: int = 3) -> str:
    shown = "、".join(f"{names.get(i, i)}（{i}）" for i in ids[:k])
    return shown + (f" 等 {len(ids)} 个项目" if len(ids) > k else "")


class Diagnoser:
    """Explains the unplaced projects of an ``Instance`` (matching.instance) given the placements made (or land
    taken) on it."""

    def __init__(self, inst, placements):
        self.inst = inst
        m = inst.model
        self.m = m
        self.zone_name = {str(k): str(v) for k, v in inst.ws.zones["name"].items()}
        self.placements = placements
        self.names = {pl.project_id: pl.name for pl in placements}
        self.site_nodes = [m.nodes_of(pl.parcel_ids) for pl in placements]
        self._curves: dict[int, list] = {}
        self._by_block_cache: dict[int, dict[int, list[int]]] = {}
        self._free_cache: dict[int, pd.Series] = {}
        self._gross = None                       # the gross land model, for CONSTRAINED (built when needed)

    # ----------------------------------------------------------------------------------------- helpers
    def _largest(self, li: int, zones: set[str], area: pd.Series | None = None) -> tuple[float, str | None]:
        b = self.m.level_blocks(li)
        b = b[b["zone_id"].isin(zones)]
        if not len(b):
            return 0.0, None
        a = b["area_mu"] if area is None else area.loc[b.index]
        k = a.idxmax()
        return float(a.loc[k]), str(b.at[k, "zone_id"])

    def _by_block(self, li: int) -> dict[int, list[int]]:
        """Block key at level ``li`` → indices of the land placements whose parcels lie in it (memoised)."""
        cache = self._by_block_cache
        if li not in cache:
            out: dict[int, list[int]] = {}
            for i, (pl, nodes) in enumerate(zip(self.placements, self.site_nodes)):
                if pl.kind == "land" and len(nodes):
                    for k in set(self.m.node_block[li, nodes].tolist()) - {-1}:
                        out.setdefault(k, []).append(i)
            cache[li] = out
        return cache[li]

    def _free_after(self, li: int) -> pd.Series:
        """Block areas at level ``li`` less the sites placed in them (a site counts in the block of its parcels)."""
        cache = self._free_cache
        if li not in cache:
            cache[li] = self._compute_free_after(li)
        return cache[li]

    def _compute_free_after(self, li: int) -> pd.Series:
        b = self.m.level_blocks(li)
        free = b["area_mu"].copy()
        for pl, nodes in zip(self.placements, self.site_nodes):
            if pl.kind != "land" or not len(nodes):
                continue
            keys = np.unique(self.m.node_block[li, nodes])
            keys = keys[keys >= 0]
            if len(keys):
                free.loc[keys[0]] -= pl.site_mu or 0.0
        return free

    def _blockers_land(self, li: int, keys: set[int]) -> list[str]:
        by_block = self._by_block(li)
        out = [self.placements[i] for i in sorted({i for k in keys for i in by_block.get(k, [])})]
        return [pl.project_id for pl in sorted(out, key=lambda q: (-q.priority, q.project_id))]

    def _curve(self, key: int) -> list[tuple[pd.Timestamp, float, np.ndarray]]:
        """For a block of all pipeline land: at each ready date of its parcels, the largest connected eligible
        part (area 亩, nodes)."""
        if key in self._curves:
            return self._curves[key]
        m = self.m
        nodes = m.members(key)
        pos = {n: i for i, n in enumerate(nodes)}
        in_block = np.isin(m.left, nodes) & np.isin(m.right, nodes)
        left = np.array([pos[n] for n in m.left[in_block]], dtype=np.int64)
        right = np.array([pos[n] for n in m.right[in_block]], dtype=np.int64)
        ready = m.ready[nodes]
        avail = m.available[nodes]
        curve = []
        for d in np.unique(ready[~avail & ~pd.isna(ready)]):
            elig = avail | (~avail & (ready <= d))
            keep = elig[left] & elig[right]
            g = coo_matrix((np.ones(int(keep.sum())), (left[keep], right[keep])), shape=(len(nodes),) * 2)
            _, lab = connected_components(g, directed=False)
            lab = np.where(elig, lab, -1)
            areas = pd.Series(m.net_mu[nodes]).groupby(lab).sum().drop(-1, errors="ignore")
            if len(areas):
                best = areas.idxmax()
                curve.append((pd.Timestamp(d), float(areas.loc[best]), nodes[lab == best]))
        self._curves[key] = curve
        return curve

    def _earliest_pipeline_fit(self, zones: set[str], need: float, level):
        """(date, area, nodes) of the first date at which pipeline work forms a large-enough block, or None."""
        m = self.m
        top = len(m.levels) - 1
        b = m.level_blocks(top)
        b = b[b["zone_id"].isin(zones) & (b["area_mu"] >= need * (1 + self.inst.tol))]
        best = None
        for key in b.index:
            for d, area, nodes in self._curve(int(key)):
                if area >= need * (1 + self.inst.tol):
                    cand = (d, area, int(key), nodes)
                    if best is None or cand[:3] < best[:3]:
                        best = cand
                    break
        return best

    def _constrained(self, li: int, zones: set[str], need: float, largest: float) -> tuple[float, str] | None:
        """(gap, sentence) when the project fits a gross block at level ``li`` but not the net land; else None."""
        m = self.m
        if m.net is None:
            return None
        if self._gross is None:
            from matching.candidates import land_model
            self._gross = land_model(self.inst.ws, m.levels, m.touch_gap_m, m.min_edge_m, cache=self.inst.cache,
                                     simplify=SimplifyRule.from_settings(self.inst.settings))
        g = self._gross
        b = g.level_blocks(li)
        b = b[b["zone_id"].isin(zones) & (b["area_mu"] >= need * (1 + self.inst.tol))]
        if not len(b):
            return None
        key = b["area_mu"].idxmax()
        ids = g.pid[g.members(int(key))]
        by = m.net.constrained_by.reindex(ids).fillna(0.0).sum()
        taken = [f"{EXCLUSION_LABELS[k]} {by[k]:.1f} 亩" for k in EXCLUSION_ORDER if by[k] >= 0.05]
        sliver = float(m.net.sliver_mu.reindex(ids).fillna(0.0).sum())
        if sliver >= 0.05:
            taken.append(f"扣除后不足成片的零星地块 {sliver:.1f} 亩")
        gap = max(0.0, need - largest)
        zone = str(b.at[key, "zone_id"])
        detail = (f"需用地 {need:.1f} 亩。按毛面积{self.zone_name.get(zone, zone)}有 {float(b.at[key, 'area_mu']):.1f} "
                  f"亩连片可以容纳，但其中{'、'.join(taken) or '部分用地'}不可供地；扣除后准入园区最大可用连片仅 "
                  f"{largest:.1f} 亩，缺 {gap:.1f} 亩。")
        return gap, detail

    # ----------------------------------------------------------------------------------------- explain
    def explain(self, p: int) -> tuple[Unplaced, UnlockIdea | None]:
        inst, m = self.inst, self.m
        pid = inst.pid[p]
        name = str(inst.projects["name"].iloc[p])
        need = float(inst.need[p]) if inst.need[p] > 0 else None
        floor = float(inst.floor[p]) if inst.floor[p] > 0 else None
        zones = inst.zones_for(p)
        level = inst.level[p]
        li = int(inst.li[p])

        def out(code, gap, detail, blockers=(), idea=None):
            return Unplaced(pid, name, need, code, gap, detail, floor_m2=floor, blockers=list(blockers)), idea

        if not zones:
            home = inst.home[p] if inst.home is not None else None
            where = f"本县（{home}）" if home is not None else ""
            return out("NO_ZONE", need,
                       f"{where}没有园区准入“{inst.industry[p]}”产业（含意向园区限制），无法安排用地或标准厂房。")

        # standard factories
        fac_text, fac_idea, fac_fits, fac_blockers = "", None, False, []
        if floor:
            f_ok = np.isin(inst.fac_zone, list(zones))
            big = f_ok & (inst.fac_vacant >= floor)
            ready = inst.fac_ready_at(li)
            fac_fits = bool((big & ready).any())
            if fac_fits:
                ids = set(inst.fac_id[big & ready])
                by_priority = sorted(self.placements, key=lambda q: (-q.priority, q.project_id))
                fac_blockers = [pl.project_id for pl in by_priority if pl.kind == "factory" and pl.factory_id in ids]
            later = np.flatnonzero(big & ~ready)
            if len(later):
                order = sorted(later, key=lambda f: (pd.Timestamp(inst.fac_ready_date[f]) if not pd.isna(
                    inst.fac_ready_date[f]) else pd.Timestamp.max, inst.fac_id[f]))
                f = order[0]
                fid = inst.fac_id[f]
                fac_idea = UnlockIdea(pid, factory_id=fid, ready_by=level)
                fac_text = (f"{self.zone_name.get(inst.fac_zone[f], inst.fac_zone[f])}的标准厂房 {fid}"
                            f"（{FACTORY_STATUS_LABELS.get(inst.fac_status[f], inst.fac_status[f])}，预计 "
                            f"{iso(inst.fac_ready_date[f]) or '待定'} 建成，空置 {inst.fac_vacant[f]:,.0f} m²）"
                            f"可以容纳，但晚于需用时间")
            max_v = float(inst.fac_vacant[f_ok & ready].max()) if (f_ok & ready).any() else 0.0
        # land
        land_fits = False
        if need:
            largest, lz = self._largest(li, zones)
            land_fits = largest >= need * (1 + inst.tol)

        if land_fits or fac_fits:
            blockers = list(fac_blockers)
            gap = None
            where = []
            if land_fits:
                keys = self.m.level_blocks(li)
                keys = keys[keys["zone_id"].isin(zones) & (keys["area_mu"] >= need * (1 + inst.tol))]
                blockers = self._blockers_land(li, set(keys.index.tolist())) + blockers
                free_left, _ = self._largest(li, zones, self._free_after(li))
                gap = max(0.0, need - free_left)
                where.append(f"{self.zone_name.get(lz, lz)}有 {largest:.1f} 亩连片")
            if fac_fits:
                where.append("有空置面积足够的标准厂房")
            blockers = list(dict.fromkeys(blockers))
            names = {**self.names}
            who = _names(blockers, names) if blockers else "其他项目"
            detail = (f"单独看可以安排（{'，'.join(where)}），但{_when(level)}这些用地/厂房已安排给优先级相同或更高的"
                      f"项目：{who}。")
            if need and gap is not None:
                detail += f"其余可用连片最大缺 {gap:.1f} 亩。"
            return out("OUTCOMPETED", gap, detail, blockers)

        if need:
            constrained = self._constrained(li, zones, need, largest)
            if constrained is not None:
                return out("CONSTRAINED", *constrained)
            largest_all, _ = self._largest(len(m.levels) - 1, zones)
            early = self._earliest_pipeline_fit(zones, need, level)
            gap = max(0.0, need - largest)
            have = f"{_when(level)}准入园区最大可用连片仅 {largest:.1f} 亩" + (
                f"（{self.zone_name.get(lz, lz)}）" if lz else "")
            if early is not None:
                d, area, key, nodes = early
                elig_now = m.eligible_mask(level)
                todo = nodes[~elig_now[nodes]]
                ids = tuple(sorted(set(m.pid[todo].tolist())))
                kinds = "、".join(sorted({PARCEL_STATUS_LABELS.get(s, s) for s in m.status[todo]}))
                zn = self.zone_name.get(str(m.blocks.at[key, "zone_id"]), "")
                shown = "、".join(ids[:6]) + (f" 等 {len(ids)} 块" if len(ids) > 6 else "")
                detail = (f"需用地 {need:.1f} 亩，{have}，缺 {gap:.1f} 亩。{zn}的{kinds}地块 {shown}"
                          f"（预计 {iso(d)} 完成）完成后可形成 {area:.1f} 亩连片，晚于需用地时间"
                          f"（{'尽快' if level is None else iso(level)}）。")
                idea = UnlockIdea(pid, parcel_ids=ids, area_mu=float(m.net_mu[todo].sum()), ready_by=level)
                return out("NOT_READY", gap, detail, idea=idea)
            if not floor:
                detail = (f"需用地 {need:.1f} 亩，{have}，缺 {gap:.1f} 亩；即使全部待平整、待拆迁地块完成，"
                          f"最大连片也只有 {largest_all:.1f} 亩。")
                return out("TOO_SMALL", gap, detail)
        have_f = (f"准入园区内可入驻的标准厂房最大空置仅 {max_v:,.0f} m²" if max_v > 0
                  else "准入园区内没有可入驻且有空置的标准厂房")
        detail = (f"需标准厂房 {floor:,.0f} m²，{_when(level)}{have_f}"
                  + (f"；{fac_text}" if fac_text else "") + "。")
        if need:
            detail += f"用地方面：需 {need:.1f} 亩，最大可用连片仅 {largest:.1f} 亩。"
        return out("NO_FACTORY_SPACE", None if not need else max(0.0, need - largest), detail, idea=fac_idea)


def explain_unplaced(inst, placements) -> tuple[list[Unplaced], list[UnlockIdea]]:
    """The projects of ``inst`` without a placement, explained (sorted by id), and the unlock ideas to verify."""
    diag = Diagnoser(inst, placements)
    placed = {pl.project_id for pl in placements}
    unplaced, ideas = [], []
    for p in range(len(inst.pid)):
        if inst.pid[p] in placed:
            continue
        u, idea = diag.explain(p)
        unplaced.append(u)
        if idea is not None:
            ideas.append(idea)
    unplaced.sort(key=lambda u: u.project_id)
    return unplaced, ideas
