"""Available land (可供地) as of a date: eligibility, per-zone acreage and contiguous blocks."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.blocks import contiguous_blocks
from geo.constraints import EXCLUSION_ORDER
from geo.errors import MIN_MU_INVALID, InputError
from geo.netland import land_rows, net_totals, workspace_net
from geo.settings import Settings
from geo.validate import split_industries
from geo.vocab import INDUSTRIES, PIPELINE_STATUSES
from geo.workspace import Workspace


@dataclass(frozen=True)
class ZoneSupply:
    """One park's row of the ``available`` answer (亩 rounded to 4 places, factory m² to 2)."""
    zone_id: str
    name: str
    available_mu: float
    pipeline_mu: float
    largest_block_mu: float
    vacant_factory_m2: float
    gross_available_mu: float
    constrained_mu: float
    constrained_by: dict[str, float]        # 亩 per layer of EXCLUSION_ORDER, in that order
    stock_pipeline_mu: float = 0.0          # stock land (存量) an action could offer by ``by`` (not in pipeline_mu)

    def to_dict(self) -> dict:
        return {"zone_id": self.zone_id, "name": self.name, "available_mu": self.available_mu,
                "pipeline_mu": self.pipeline_mu, "largest_block_mu": self.largest_block_mu,
                "vacant_factory_m2": self.vacant_factory_m2, "gross_available_mu": self.gross_available_mu,
                "constrained_mu": self.constrained_mu, "constrained_by": dict(self.constrained_by),
                "stock_pipeline_mu": self.stock_pipeline_mu}


@dataclass(frozen=True)
class SupplyBlock:
    """One contiguous block of available land."""
    block_id: str
    zone_id: str
    parcel_ids: tuple[str, ...]
    area_mu: float

    def to_dict(self) -> dict:
        return {"block_id": self.block_id, "zone_id": self.zone_id, "parcel_ids": list(self.parcel_ids),
                "area_mu": self.area_mu}


@dataclass(frozen=True)
class StockSupply:
    """A stock parcel (存量) whose action (``geo.stock.STOCK_ACTION_OF_CLASS``: reclaim, negotiate, redevelop) could
    make it offerable by the report's date, if started at ``as_of``."""
    parcel_id: str
    zone_id: str
    stock_class: str
    action: str
    area_mu: float
    ready_by: pd.Timestamp

    def to_dict(self) -> dict:
        return {"parcel_id": self.parcel_id, "zone_id": self.zone_id, "class": self.stock_class,
                "action": self.action, "area_mu": self.area_mu, "ready_by": self.ready_by.strftime("%Y-%m-%d")}


def stock_lead_months(kind: str, plan_settings) -> float:
    """Months from funding a stock action to the land offered (``[plan] lead_months_reclaim`` / ``_negotiate`` /
    ``_redevelop``)."""
    return float(getattr(plan_settings, f"lead_months_{kind}"))


def stock_ready_by(as_of, kind: str, plan_settings) -> pd.Timestamp:
    """The earliest date a stock action started at ``as_of`` makes its land offerable (whole months)."""
    months = int(round(stock_lead_months(kind, plan_settings)))
    return (pd.Timestamp(as_of) + pd.DateOffset(months=months)).normalize()


def stock_supply(ws: Workspace, settings: Settings, as_of, by, zones=None) -> tuple[StockSupply, ...]:
    """The supplied parcels (of ``zones``, else all) whose stock class at ``as_of`` has an action that would make
    them offerable on or before ``by`` (``as_of`` + the action's lead time ≤ ``by``), by parcel id."""
    parcels = ws.parcels
    supplied = parcels["status"].eq("supplied")
    if zones is not None:
        supplied &= parcels["zone_id"].isin(list(zones))
    if by is None or not supplied.any():
        return ()
    from geo.stock import STOCK_ACTION_OF_CLASS, classify_workspace
    cls = classify_workspace(ws, as_of, settings)["stock_class"]
    kind = cls.map(STOCK_ACTION_OF_CLASS)
    ready = kind.map({k: stock_ready_by(as_of, k, settings.plan) for k in set(STOCK_ACTION_OF_CLASS.values())})
    rows = parcels[supplied & kind.notna() & (ready <= pd.Timestamp(by))].sort_index()
    mu = pd.to_numeric(rows["net_mu"], errors="coerce").round(4)
    return tuple(StockSupply(str(pid), str(z), str(c), str(k), float(m), r) for pid, z, c, k, m, r in zip(
        rows.index, rows["zone_id"], cls[rows.index], kind[rows.index], mu, ready[rows.index]))


@dataclass(frozen=True)
class AvailableReport:
    """The ``available`` answer; ``to_dict()`` is the JSON `cli.py available --json` prints."""
    total_available_mu: float
    zones: tuple[ZoneSupply, ...]
    blocks: tuple[SupplyBlock, ...]
    stock: tuple[StockSupply, ...] = ()

    @property
    def total_stock_pipeline_mu(self) -> float:
        return round(float(sum(z.stock_pipeline_mu for z in self.zones)), 4)

    def to_dict(self) -> dict:
        """The existing keys, then ``total_stock_pipeline_mu`` and ``stock_parcels`` (存量 land ready by ``by``)."""
        return {"total_available_mu": self.total_available_mu, "zones": [z.to_dict() for z in self.zones],
                "blocks": [b.to_dict() for b in self.blocks],
                "total_stock_pipeline_mu": self.total_stock_pipeline_mu,
                "stock_parcels": [p.to_dict() for p in self.stock]}


def _ts(date) -> pd.Timestamp | None:
    return None if date is None else pd.Timestamp(date)


def eligible_parcels(parcels: pd.DataFrame, by: dt.date | None = None) -> pd.Series:
    """Parcels a project could get: ``available`` now; with ``by``, also leveling/demolition ready on or before it."""
    ok = parcels["status"] == "available"
    if by is not None:
        ok |= parcels["status"].isin(PIPELINE_STATUSES) & (parcels["ready_date"] <= _ts(by))
    return ok.rename("eligible")


def ready_factories(factories: pd.DataFrame, by: dt.date | None = None) -> pd.Series:
    """Standard factories that can take tenants: built; with ``by``, also building/planned ready by then."""
    ok = factories["status"] == "built"
    if by is not None:
        ok |= factories["status"].isin(("building", "planned")) & (factories["ready_date"] <= _ts(by))
    return ok.rename("ready")


def zone_admits(zones: pd.DataFrame, industry: str | None) -> pd.Series:
    """Whether each zone admits ``industry`` (a zone with no listed industries admits any)."""
    if industry is None:
        return pd.Series(True, index=zones.index, name="admits")
    lists = zones["industries"].map(split_industries)
    return lists.map(lambda names: not names or industry in names).astype(bool).rename("admits")


def known_industries(zones: pd.DataFrame, projects: pd.DataFrame | None = None) -> list[str]:
    """The county's industries, then any other named by a zone or a project (for pick lists and input checks)."""
    names = list(INDUSTRIES)
    for lst in zones["industries"].map(split_industries):
        names += [n for n in lst if n not in names]
    if projects is not None:
        names += [n for n in projects["industry"].dropna().unique() if n not in names]
    return names


def available_report(ws: Workspace, zone: str | None = None, industry: str | None = None, by: dt.date | None = None,
                     min_mu: float | None = None, *, settings: "Settings", cache=None, as_of=None) -> AvailableReport:
    """The ``available`` answer: per-zone available/pipeline acreage, largest block, vacant factory space, blocks.

    With ``min_mu``, only blocks of at least that many 亩 count as available (land a project of that size could use).
    Every acreage is net land (``geo.netland``: the constraint layers and the DEM's too-steep land excluded; blocks
    formed from the net pieces). Per zone also ``gross_available_mu`` (the eligible parcels' area before
    exclusions, blocks of any size), ``constrained_mu`` and ``constrained_by`` (亩 per layer of
    ``EXCLUSION_ORDER``, each m² once); without constraint layers and DEM these are the gross figures and 0.
    ``settings``: geo.settings.Settings, loaded by the caller at the edge; ``cache``: the caller's
    ``geo.cache.DerivedCache`` for the net land (None: computed for this call).
    With ``by``, stock land (存量: reclaimable, idle, government-delayed, low-efficiency at ``as_of``, default today)
    whose action started at ``as_of`` would make it offerable by then is counted apart: ``stock_pipeline_mu`` per
    zone and the ``stock`` parcels (``stock_supply``); ``pipeline_mu`` stays the 待平整/待拆迁 land.
    """
    zones = ws.zones
    if zone is not None and zone not in zones.index:
        raise InputError(f"园区编号“{zone}”不存在；"
                         f"现有园区：{', '.join(f'{z}（{n}）' for z, n in zones['name'].items())}")
    if industry is not None and industry not in known_industries(zones, ws.projects):
        raise InputError(f"产业“{industry}”无法识别；可选：{'、'.join(known_industries(zones, ws.projects))}")
    if min_mu is not None and (not np.isfinite(min_mu) or min_mu < 0):
        raise InputError(f"最小面积必须是非负数（现为 {min_mu}）", code=MIN_MU_INVALID)
    selected = zones[zone_admits(zones, industry)]
    if zone is not None:
        selected = selected.loc[[zone]] if zone in selected.index else selected.iloc[0:0]
    parcels = ws.metric("parcels")
    in_zone = parcels["zone_id"].isin(selected.index)
    net = workspace_net(ws, settings, cache)
    eligible = parcels[in_zone & eligible_parcels(parcels, by)]
    _, blocks = contiguous_blocks(land_rows(eligible, net), settings.blocks.touch_gap_m,
                                  settings.blocks.min_shared_edge_m)
    sums = net_totals(eligible, net).groupby(eligible["zone_id"]).sum()
    if min_mu:
        blocks = blocks[blocks["area_mu"] >= min_mu]
    pipe = parcels[in_zone & parcels["status"].isin(PIPELINE_STATUSES)]
    pipeline = net_totals(pipe, net)["net_mu"].groupby(pipe["zone_id"]).sum()
    factories = ws.factories[ws.factories["zone_id"].isin(selected.index) & ready_factories(ws.factories, by)]
    vacant = factories.groupby("zone_id")["vacant_m2"].sum()
    per_zone = blocks.groupby("zone_id")["area_mu"].agg(["sum", "max"])
    stock = stock_supply(ws, settings, as_of if as_of is not None else pd.Timestamp.today().normalize(), by,
                         selected.index)
    stock_mu = pd.Series([s.area_mu for s in stock], index=[s.zone_id for s in stock], dtype=float)
    stock_mu = stock_mu.groupby(level=0).sum()
    rows = tuple(ZoneSupply(
        zone_id=zid,
        name=selected.at[zid, "name"],
        available_mu=round(float(per_zone["sum"].get(zid, 0.0)), 4),
        pipeline_mu=round(float(pipeline.get(zid, 0.0)), 4),
        largest_block_mu=round(float(per_zone["max"].get(zid, 0.0)), 4),
        vacant_factory_m2=round(float(vacant.get(zid, 0.0)), 2),
        **_constrained(sums, zid),
        stock_pipeline_mu=round(float(stock_mu.get(zid, 0.0)), 4),
    ) for zid in selected.index)
    return AvailableReport(
        total_available_mu=round(float(sum(r.available_mu for r in rows)), 4),
        zones=rows,
        blocks=tuple(SupplyBlock(b.block_id, b.zone_id, tuple(b.parcel_ids), round(float(b.area_mu), 4))
                     for b in blocks.itertuples()),
        stock=stock,
    )


def _constrained(sums: pd.DataFrame, zid) -> dict:
    """A zone row's gross and constrained 亩 (see ``available_report``)."""
    row = sums.loc[zid] if zid in sums.index else pd.Series(0.0, index=sums.columns)
    by = {k: round(float(row.get(k, 0.0)), 4) for k in EXCLUSION_ORDER}
    return {"gross_available_mu": round(float(row.get("gross_mu", 0.0)), 4),
            "constrained_mu": round(float(sum(row.get(k, 0.0) for k in EXCLUSION_ORDER)), 4), "constrained_by": by}
