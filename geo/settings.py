"""Settings: the configuration as frozen, typed values, loaded once at the edge (CLI, app, server, bench) and
passed down.

``load_settings()`` is the one way in: it reads config/landgap.toml, overridden key by key by the file named in
$LANDGAP_CONFIG, and the environment variables that configure the app ($LANDGAP_*, see ``RuntimeSettings`` and
``Settings.from_dict``). Library code takes a ``Settings`` (or the part it needs) as an argument and never reads
the config or the environment itself. ``Settings.default()`` is the same load, for callers at the edge.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import tomllib
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from geo.errors import ConfigError

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "landgap.toml"
CONFIG_ENV = "LANDGAP_CONFIG"
ACCOUNTS_ENV = "LANDGAP_ACCOUNTS_DB"
UPLOADS_ENV = "LANDGAP_UPLOADS_DIR"
TIANDITU_ENV = "LANDGAP_TIANDITU_KEY"


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@functools.lru_cache(maxsize=None)
def _load(override: str | None) -> dict[str, Any]:
    with open(DEFAULT_CONFIG_PATH, "rb") as f:
        cfg = tomllib.load(f)
    if override:
        with open(override, "rb") as f:
            cfg = _merge(cfg, tomllib.load(f))
    return cfg


def read_config(override: str | None = None) -> dict[str, Any]:
    """config/landgap.toml merged key by key with the file ``override`` (cached per override path); a copy."""
    return _merge(_load(override or None), {})


def _frozen_map(d: Mapping | None) -> Mapping:
    return MappingProxyType(dict(d or {}))


def _section_class(name: str, doc: str, **fields: type) -> type:
    """A frozen dataclass for a small TOML section (its values only in config/landgap.toml, so no defaults)."""
    cls = make_dataclass(name, list(fields.items()), frozen=True)
    cls.__doc__ = doc
    cls.__module__ = __name__
    return cls


ValidationSettings = _section_class(
    "ValidationSettings", "[validation]: tolerances of the load checks.",
    registered_mu_tolerance=float, overlap_min_mu=float, outside_zone_fraction=float, coordinate_margin_deg=float)
BlockSettings = _section_class(
    "BlockSettings", "[blocks]: when two parcels touch (contiguous blocks).",
    touch_gap_m=float, min_shared_edge_m=float)
AppSettings = _section_class(
    "AppSettings", "[app]: the county's name, the 天地图 key (never written into downloads), the map cache size, "
    "the parcel (and factory) counts from which the map draws vector tiles, the parks listed without asking.",
    county_name=str, tianditu_key=str, cache_max_mb=float, tile_threshold_parcels=int, tile_threshold_factories=int,
    park_table_rows=int)
LedgerSettings = _section_class(
    "LedgerSettings", "[ledger]: the exchange rate for foreign-currency investments.", cny_per_usd=float)
BriefingSettings = _section_class(
    "BriefingSettings", "[briefing]: the 版头 (masthead), 发文字号 and 签发人.",
    masthead=bool, document_number=str, signer=str, plan=bool, plan_budget_wan=float)
ConstraintSettings = _section_class(
    "ConstraintSettings", "[constraints]: 三区三线 and flood exclusions.", flood_return_period=float)
TerrainSettings = _section_class(
    "TerrainSettings", "[terrain]: slope threshold (CJJ 83-2016) and leveling unit prices (元/m³, user parameters).",
    max_slope_pct=float, cut_yuan_per_m3=float, fill_yuan_per_m3=float, haul_yuan_per_m3=float,
    terrace_step_m=float)
PlanSettings = _section_class(
    "PlanSettings", "[plan]: unit costs (万元) and lead times (months) of the land actions of the plan "
    "(用地保障方案); the cost figures are placeholders until a county sets its own (see config/landgap.toml).",
    source=str, demolition_wan_per_mu=float, demolition_wan_per_mu_by_zone=Mapping, leveling_wan_per_mu=float,
    factory_completion_wan_per_m2=float, lead_months_demolition=float,
    lead_months_leveling=float, lead_months_factory=float, lead_months_reclaim=float, lead_months_negotiate=float,
    lead_months_redevelop=float, reclaim_wan_per_mu=float, negotiate_price_share=float, negotiate_wan_per_mu=float,
    redevelop_wan_per_mu=float, max_site_cells=int, max_sites_per_project=int,
    max_free_sites_per_project=int, large_projects=int, time_limit_s=float)
AccountSettings = _section_class(
    "AccountSettings", "[accounts]: the team mode's accounts file, lockout, session length and port.",
    database=str, max_failures=int, lockout_minutes=float, session_minutes=float, min_password_length=int,
    port=int, secure_cookie=bool)
UploadSettings = _section_class(
    "UploadSettings", "[uploads]: the team mode's managed upload storage (team.uploads): where, the per-file limit, "
    "the per-account quota and how long uploads are kept.",
    directory=str, max_file_mb=float, max_total_mb=float, keep_days=float)
KpiSettings = _section_class(
    "KpiSettings", "[kpi]: the bureau's 招商考核 indicators (geo.kpi): the big-project threshold (亿元), the "
    "targets by indicator and their source.", source=str, big_project_yi=float, targets=Mapping)

StockSettings = _section_class(
    "StockSettings", "[stock]: the stock-land classes' thresholds (geo.stock): 批而未供 years, the warning window, "
    "the 闲置 rules of 国土资源部令第53号 and the 闲置费 share.",
    source=str, approved_years=float, warn_days=int, idle_years=int, reclaim_years=int, idle_fee_share=float,
    developed_share_min=float, invested_share_min=float, halted_years=int)
MujunSettings = _section_class(
    "MujunSettings", "[mujun]: 亩均效益 grading (geo.mujun): benchmark kind, weights, grade shares, the least land "
    "graded.", source=str, benchmark=str, min_land_mu=float, score_cap=float, grade_shares=Mapping, weights=Mapping,
    benchmarks=Mapping)


@dataclass(frozen=True)
class MatchingSettings:
    """[matching] of config/landgap.toml; every field is documented there."""
    stage_priority: Mapping[str, float]
    split_surplus: float
    sliver_mu: float
    sliver_width_m: float
    time_limit_s: float
    cut_tolerance: float
    committed_stages: tuple[str, ...]
    fit_candidates: int
    max_unlocks: int
    columns_per_project: int
    columns_spread_share: float
    priority_resolution: float
    polish_min_zone_gap: float
    pack_margin_mu: float
    pack_grid_mu: float
    carve_search_cuts: int
    repair_rounds: int
    resolve_max_options: int
    large_options: int
    tiebreak_preferred_zone: float
    tiebreak_surplus: float
    tiebreak_ready: float
    engine_max_vertices: int
    engine_simplify_max_m: float
    engine_simplify_max_mu: float
    overlap_min_mu: float        # from [validation]: a site counts a parcel it overlaps by more than this
    touch_gap_m: float            # from [blocks]: parcels closer than this touch

    @property
    def tiebreak_weights(self) -> tuple[float, float, float]:
        return self.tiebreak_preferred_zone, self.tiebreak_surplus, self.tiebreak_ready


@dataclass(frozen=True)
class IntensitySettings:
    """投资强度 floors (万元/亩) and their source."""
    source: str
    default_wan_per_mu: float
    by_zone: Mapping[str, Mapping[str, float]]
    by_industry: Mapping[str, float]


ImportSettings = _section_class(
    "ImportSettings", "[import]: a bureau's own 7-parameter (Bursa-Wolf) transformations to CGCS2000, by datum "
    "(xian80, beijing54): {datum: {towgs84: [dx, dy, dz, rx, ry, rz, ds], source: text}}; checked where they are "
    "used (formats.datum.seven_parameters); max_vertices and simplify_tolerance_m, the geometry gate's vertex limit "
    "(geo.geometry_checks.limit_vertices).", seven_parameters=Mapping, max_vertices=int, simplify_tolerance_m=float)


def _section(cls, raw: Mapping[str, Any] | None, **extra):
    """A section dataclass from its TOML table (unknown keys ignored). The values live only in
    config/landgap.toml; a key missing there (an override cannot remove one) is a configuration error."""
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in dict(raw or {}).items() if k in names}
    values.update(extra)
    missing = sorted(names - set(values))
    if missing:
        raise ConfigError(f"配置文件缺少 {cls.__name__} 的设置项：{'、'.join(missing)}（见 config/landgap.toml）")
    for f in dataclasses.fields(cls):
        if f.name in values and isinstance(values[f.name], dict):
            values[f.name] = _frozen_map({k: (_frozen_map(v) if isinstance(v, dict) else v)
                                          for k, v in values[f.name].items()})
        elif f.name in values and isinstance(values[f.name], list):
            values[f.name] = tuple(values[f.name])
    return cls(**values)


@dataclass(frozen=True)
class RuntimeSettings:
    """What this process's environment sets, read by ``load_settings`` ('' when unset): edge concerns and paths of
    the machine, not county policy, so not in config/landgap.toml."""
    workspace: str = ""          # $LANDGAP_WORKSPACE: the workspace opened by default (else the sample county)
    database_url: str = ""       # $LANDGAP_DATABASE_URL: a PostGIS store the CLI opens by default
    mode: str = ""               # $LANDGAP_MODE: "team" for the team mode (run.py serve)
    cache_dir: str = ""          # $LANDGAP_CACHE: where the sample county is generated (else ~/.cache/landgap)
    vendor_dir: str = ""         # $LANDGAP_VENDOR_DIR: where the map's Leaflet files are (else static/vendor)
    fontconfig: str = ""         # $LANDGAP_FONTCONFIG: the briefing's fontconfig file (else the project's own)
    soffice: str = ""            # $LANDGAP_SOFFICE: LibreOffice's soffice (else found on PATH)
    # the whole environment, the base of the briefing's child processes (fc-list, LibreOffice)
    environ: Mapping[str, str] = field(default_factory=lambda: _frozen_map({}), compare=False, repr=False)

    ENV = {"workspace": "LANDGAP_WORKSPACE", "database_url": "LANDGAP_DATABASE_URL", "mode": "LANDGAP_MODE",
           "cache_dir": "LANDGAP_CACHE", "vendor_dir": "LANDGAP_VENDOR_DIR", "fontconfig": "LANDGAP_FONTCONFIG",
           "soffice": "LANDGAP_SOFFICE"}

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "RuntimeSettings":
        return cls(**{name: environ.get(var) or "" for name, var in cls.ENV.items()}, environ=_frozen_map(environ))

    @property
    def team_mode(self) -> bool:
        return self.mode.lower() == "team"


@dataclass(frozen=True)
class Settings:
    """The whole configuration, typed and frozen."""
    validation: ValidationSettings
    blocks: BlockSettings
    matching: MatchingSettings
    intensity: IntensitySettings
    far: Mapping[str, float]
    far_source: str
    app: AppSettings
    briefing: BriefingSettings
    ledger: LedgerSettings
    constraints: ConstraintSettings
    layer_import: ImportSettings          # [import] (``import`` is a Python keyword)
    terrain: TerrainSettings
    plan: PlanSettings
    accounts: AccountSettings
    uploads: UploadSettings
    kpi: KpiSettings
    stock: StockSettings
    mujun: MujunSettings
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings)
    raw: Mapping[str, Any] = field(default_factory=lambda: _frozen_map({}), compare=False, repr=False)

    @classmethod
    def from_dict(cls, cfg: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> "Settings":
        """From the merged configuration ``cfg`` and the environment ``environ`` (default: none):
        $LANDGAP_ACCOUNTS_DB overrides [accounts] database, $LANDGAP_TIANDITU_KEY overrides [app] tianditu_key,
        $LANDGAP_UPLOADS_DIR is used when [uploads] directory is empty; the rest go to ``runtime``."""
        environ = {} if environ is None else environ
        cfg = _merge(dict(cfg), {
            "accounts": {"database": environ.get(ACCOUNTS_ENV) or dict(cfg.get("accounts") or {}).get("database")
                         or ""},
            "uploads": {"directory": dict(cfg.get("uploads") or {}).get("directory") or environ.get(UPLOADS_ENV)
                        or ""},
            "app": {"tianditu_key": (environ.get(TIANDITU_ENV) or dict(cfg.get("app") or {}).get("tianditu_key")
                                     or "").strip()}})
        far = dict(cfg.get("far", {}))
        far_source = str(far.pop("source", ""))
        validation = _section(ValidationSettings, cfg.get("validation"))
        blocks = _section(BlockSettings, cfg.get("blocks"))
        return cls(
            validation=validation, blocks=blocks,
            matching=_section(MatchingSettings, cfg.get("matching"), overlap_min_mu=validation.overlap_min_mu,
                              touch_gap_m=blocks.touch_gap_m),
            intensity=_section(IntensitySettings, cfg.get("intensity")),
            far=_frozen_map({k: float(v) for k, v in far.items()}), far_source=far_source,
            app=_section(AppSettings, cfg.get("app")), briefing=_section(BriefingSettings, cfg.get("briefing")),
            ledger=_section(LedgerSettings, cfg.get("ledger")), plan=_section(PlanSettings, cfg.get("plan")),
            constraints=_section(ConstraintSettings, cfg.get("constraints")),
            layer_import=_section(ImportSettings, cfg.get("import")),
            terrain=_section(TerrainSettings, cfg.get("terrain")),
            accounts=_section(AccountSettings, cfg.get("accounts")),
            uploads=_section(UploadSettings, cfg.get("uploads")), kpi=_section(KpiSettings, cfg.get("kpi")),
            stock=_section(StockSettings, cfg.get("stock")), mujun=_section(MujunSettings, cfg.get("mujun")),
            runtime=RuntimeSettings.from_environ(environ),
            raw=_frozen_map(cfg))

    @classmethod
    def default(cls) -> "Settings":
        return load_settings()

    def with_matching(self, **changes) -> "Settings":
        """A copy with some [matching] values changed (tests, benchmarks, what-ifs)."""
        return dataclasses.replace(self, matching=dataclasses.replace(self.matching, **changes))


@functools.lru_cache(maxsize=1)
def shipped_settings() -> Settings:
    """The shipped configuration: config/landgap.toml alone (no $LANDGAP_CONFIG file, no environment). Only for
    what has no caller's configuration: the sample county's generator (the same county whatever the caller
    configures); every load of a workspace takes the caller's Settings."""
    return Settings.from_dict(read_config(None))


def load_settings(environ: Mapping[str, str] = os.environ) -> Settings:
    """The configuration of this process: config/landgap.toml + the file named by $LANDGAP_CONFIG + the
    environment (``Settings.from_dict``), as Settings. The one place the environment is read."""
    return Settings.from_dict(read_config(environ.get(CONFIG_ENV) or None), environ)
