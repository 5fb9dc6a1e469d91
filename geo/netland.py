"""A workspace's net usable land (净用地): its constraint layers and DEM applied to the parcels, once per workspace
version and settings (in the caller's ``geo.cache.DerivedCache``). The DEM's too-steep land is read at the edge when
the workspace is loaded (``Workspace.steep``, ``formats.dem.with_steep_land``): nothing here reads a file.

``workspace_net(ws, settings)`` is the ``geo.constraints.NetLand`` of the parcels that can ever be offered
(available and pipeline), or None when the workspace has no constraint layer and no DEM — then every caller keeps
today's gross figures exactly. ``land_rows(parcels, net)`` is what blocks are formed from: untouched parcels as they
are (``net_mu`` the overlap-corrected area), constrained parcels replaced by their net pieces (a red-line strip
splits a parcel into two rows that no longer touch). ``offered_mu`` is the 亩 each parcel offers. The slope rule
spares ``leveling`` parcels and those a scenario has leveled (column ``leveled``, matching.scenario).
"""
from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.cache import DerivedCache, own
from geo.constraints import EXCLUSION_ORDER, NetLand, flood_exclusion, missing_return_period, net_land
from geo.errors import WorkspaceError
from geo.mujun import split_parcel_ids
from geo.terrain import parcels_key
from geo.units import M2_PER_MU
from geo.vocab import FIELD_LABELS, IMPORT_TARGET_LABELS, PIPELINE_STATUSES
from geo.workspace import Workspace

PROTECTED_FRACTION = 0.5
"""An available parcel more than this share in 永久基本农田 ∪ 生态保护红线 is a ledger error (issue 11)."""
TOUCHED_MU = 1e-6
"""A parcel an exclusion takes less than this from (亩; floating-point noise of an edge contact) is untouched."""


def section_key(section) -> tuple:
    """A hashable key of a frozen settings section (cache keys)."""
    return tuple((f.name, getattr(section, f.name)) for f in dataclasses.fields(section))


def has_constraints(ws: Workspace) -> bool:
    """Whether the workspace has anything that can exclude land: a non-empty constraint layer, or a DEM."""
    return any(len(f) for f in ws.constraints.values()) or ws.dem_path is not None


def candidates(ws: Workspace) -> gpd.GeoDataFrame:
    """The parcels that can ever be offered (available and pipeline, and supplied land a stock action could take
    back: ``stock_reachable``), metric CRS: what net land and the DEM's steep land (``formats.dem.with_steep_land``)
    are derived for. A scenario only turns such parcels available, so its copy has the same."""
    parcels = ws.metric("parcels")
    offered = parcels["status"].isin(("available", *PIPELINE_STATUSES)).to_numpy()
    return parcels[offered | stock_reachable(ws).to_numpy()]


def stock_reachable(ws: Workspace) -> pd.Series:
    """Supplied parcels some date's stock class could make offerable (the plan's reclaim / negotiate / redevelop,
    geo.stock), whatever the date: not completed, with a contracted start or a halt recorded (闲置 or 可收回 one
    day), or under a firm of the 亩均效益台账 (a D grade one day). A superset of the action classes at any date, so
    the steep land read once at load serves every scenario."""
    p = ws.parcels
    supplied = p["status"] == "supplied"
    if not supplied.any():
        return supplied

    def has(c: str) -> pd.Series:
        return p[c].notna() if c in p.columns else pd.Series(False, index=p.index)
    dated = (has("agreed_start") | has("halted_date")) & ~has("actual_completion")
    held = pd.Series(False, index=p.index)
    if len(ws.firms):
        ids = pd.Index(split_parcel_ids(ws.firms["parcel_ids"]).unique())
        held = pd.Series(ids.get_indexer(p.index) >= 0, index=p.index)
    return supplied & (dated | held)


def steep_land(ws: Workspace, parcels: gpd.GeoDataFrame, max_slope_pct: float) -> gpd.GeoSeries | None:
    """Too-steep land under ``parcels`` (the workspace's ``candidates``), in the parcels' CRS, as loaded at the
    edge (``Workspace.steep``); None without a DEM. Raises WorkspaceError when the workspace has a DEM but its
    steep land was not loaded for these parcels and this threshold (the edge must load it)."""
    if ws.dem_path is None or not len(parcels):
        return None
    steep = ws.steep
    if steep is None or steep.max_slope_pct != max_slope_pct or steep.parcels_key != parcels_key(parcels):
        raise WorkspaceError(f"工作空间的坡度超限用地（坡度 > {max_slope_pct:g}%）未按当前地块从 DEM 读取："
                             "请重新加载工作空间（formats.dem.with_steep_land）")
    return steep.polygons


def exclusions(ws: Workspace, settings, parcels: gpd.GeoDataFrame) -> dict[str, object]:
    """The exclusion layers of ``geo.constraints.net_land`` (metric CRS): the constraint layers, the flood zones
    of return period ≤ [constraints] flood_return_period, and the land steeper than [terrain] max_slope_pct."""
    out: dict[str, object] = {}
    for name in ("farmland", "eco_redline", "dev_boundary"):
        layer = ws.constraint(name)
        if layer is not None:
            out[name] = layer
    flood = flood_exclusion(ws.constraint("flood"), settings.constraints.flood_return_period)
    if flood is not None:
        out["flood"] = flood
    steep = steep_land(ws, parcels, settings.terrain.max_slope_pct)
    if steep is not None and len(steep):
        out["slope"] = steep
    return out


def net_key(settings) -> tuple:
    """The settings net land depends on (a cache key)."""
    return (section_key(settings.constraints), settings.terrain.max_slope_pct, settings.matching.sliver_mu,
            settings.matching.sliver_width_m)


def workspace_net(ws: Workspace, settings, cache: DerivedCache | None = None) -> NetLand | None:
    """Net land of the parcels that can be offered (see the module doc); None without constraints. ``cache``: the
    caller's derived-data cache (None: computed for this call only)."""
    if not has_constraints(ws):
        return None
    key = ("geo.netland", net_key(settings))

    def compute() -> NetLand:
        parcels = candidates(ws)
        if "leveled" in parcels.columns:           # leveled in a scenario (matching.scenario): spared like leveling
            parcels = parcels.assign(status=parcels["status"].where(~parcels["leveled"].fillna(False).astype(bool),
                                                                    "leveling"))
        return net_land(parcels, exclusions(ws, settings, parcels), sliver_m2=settings.matching.sliver_mu * M2_PER_MU,
                        sliver_width_m=settings.matching.sliver_width_m)
    return own(cache).get(ws, key, compute)


def touched(net: NetLand) -> pd.Series:
    """Parcels (by id) an exclusion or the sliver rule took something from."""
    return (net.constrained_mu + net.sliver_mu) > TOUCHED_MU


def offered_mu(parcels: pd.DataFrame, net: NetLand | None) -> pd.Series:
    """亩 each parcel offers: its overlap-corrected ``net_mu``, or its net land when an exclusion cut it."""
    out = parcels["net_mu"].astype(float)
    if net is None:
        return out
    hit = touched(net)
    hit = hit[hit].index.intersection(parcels.index)
    out.loc[hit] = net.net_mu.loc[hit].to_numpy()
    return out


def land_rows(parcels: gpd.GeoDataFrame, net: NetLand | None) -> gpd.GeoDataFrame:
    """The land blocks are formed from (metric CRS): the parcels, with those an exclusion cut replaced by their
    net pieces (``net_mu`` the piece's 亩, ``parcel_id`` its parcel; index ``<parcel_id>#<k>``). Parcels left
    with no net land have no row. Without ``net``, ``parcels`` itself."""
    if net is None:
        return parcels
    hit = touched(net)
    hit = hit[hit].index.intersection(parcels.index)
    if not len(hit):
        return parcels
    sub = NetLand(*(getattr(net, f.name).loc[hit] for f in dataclasses.fields(NetLand)))
    pieces = sub.pieces()
    base = parcels.loc[pieces["parcel_id"].to_numpy()].drop(columns="geometry")
    base.index = pieces.index
    base["net_mu"] = pieces["area_mu"].to_numpy()
    base["area_mu"] = pieces["area_mu"].to_numpy()
    cut = gpd.GeoDataFrame(base, geometry=pieces.geometry, crs=parcels.crs)
    rest = parcels.drop(index=hit)
    return gpd.GeoDataFrame(pd.concat([rest, cut]), geometry="geometry", crs=parcels.crs)


def net_totals(parcels: pd.DataFrame, net: NetLand | None) -> pd.DataFrame:
    """Per parcel of ``parcels``: ``gross_mu`` (overlap-corrected), ``net_mu`` (offered), and the 亩 each layer of
    ``EXCLUSION_ORDER`` takes (0 without constraints)."""
    out = pd.DataFrame({"gross_mu": parcels["net_mu"].astype(float), "net_mu": offered_mu(parcels, net)},
                       index=parcels.index)
    for name in EXCLUSION_ORDER:
        out[name] = 0.0 if net is None else net.constrained_by[name].reindex(parcels.index).fillna(0.0).to_numpy()
    return out



def report_protected(ws: Workspace, rows: pd.Series, report, settings) -> None:
    """Warn about every parcel with status available lying more than ``PROTECTED_FRACTION`` in farmland or the
    red line (a ledger that says 可供 for protected land: the bureau must see it). ``rows``: the fid of each
    parcel id, to name the feature like every other message. Farmland and the red line come first in
    ``EXCLUSION_ORDER``, so what they take of a parcel is its area in their union, whatever comes after: the net
    land of those two layers alone gives the same shares (and needs no DEM, which the edge loads after the load
    report). ``settings``: the caller's Settings."""
    if ws.constraint("farmland") is None and ws.constraint("eco_redline") is None:
        return
    layers = {name: ws.constraint(name) for name in ("farmland", "eco_redline") if ws.constraint(name) is not None}
    net = net_land(candidates(ws), layers, sliver_m2=settings.matching.sliver_mu * M2_PER_MU,
                   sliver_width_m=settings.matching.sliver_width_m)
    status = ws.parcels["status"].reindex(net.gross_mu.index)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (net.constrained_by["farmland"] + net.constrained_by["eco_redline"]) / net.gross_mu
    for pid, value in share[(status == "available") & (share > PROTECTED_FRACTION)].items():
        report.warning("parcels", "PROTECTED_AVAILABLE", f"供地状态为可供，但 {value:.0%} "
                       "位于永久基本农田或生态保护红线内"
                       "：台账有误，请核实（受保护部分不计入可供地）", row=rows.get(pid), field="status")
    report.name_features("parcels", pd.Series(rows.index, index=rows.to_numpy(), name="parcel_id"), "fid")


def report_flood(ws: Workspace, report) -> None:
    """Warn about every flood zone without a usable return period (empty, not a number, or the layer has no
    ``return_period`` field): it is excluded whatever ``[constraints] flood_return_period`` says — the conservative
    reading of ``geo.constraints.flood_exclusion`` — and the bureau should fill it in. A feature is named by its fid:
    its place in the stored layer from 1 (LandGap writes a constraint layer whole, so the GeoPackage's fids are
    1..n; the PostGIS store keeps that order)."""
    flood = ws.constraints.get("flood")
    missing = missing_return_period(flood)
    if not len(missing):
        return
    name, label = IMPORT_TARGET_LABELS["flood"], FIELD_LABELS["return_period"]
    treated = "按最不利情况视为淹没区：其范围内的土地不计入净用地（不论 [constraints] flood_return_period）"
    if "return_period" not in flood.columns:
        report.warning("flood", "FLOOD_NO_RETURN_PERIOD", f"{name}图层没有{label}字段 return_period：全部 {len(flood)} "
                       f"个要素{treated}；请补充后重新导入", field="return_period")
        return
    for k in missing:
        value = flood["return_period"].iloc[k]
        why = "为空" if pd.isna(value) or not str(value).strip() else f"“{value}”不是数值"
        report.warning("flood", "FLOOD_NO_RETURN_PERIOD", f"{name}要素的{label}（return_period）{why}，{treated}",
                       row=int(k) + 1, field="return_period")
    report.name_features("flood", pd.Series([], dtype=object, name="fid"), "fid")


def report_constraints(ws: Workspace, rows: pd.Series, report, settings) -> None:
    """The load report's checks of the constraint layers, for every store: flood zones without a return period
    (``report_flood``) and available parcels in protected land (``report_protected``; ``rows`` and ``settings``,
    the caller's Settings, as there)."""
    report_flood(ws, report)
    report_protected(ws, rows, report, settings)
