"""The workspace schema: five layers (zones, parcels, factories, projects, firms), canonical English field names."""
from __future__ import annotations

from dataclasses import dataclass

from geo.vocab import FACTORY_STATUS_LABELS, FIELD_LABELS, PARCEL_STATUS_LABELS, PROJECT_STAGE_LABELS


@dataclass(frozen=True)
class Field:
    name: str
    kind: str                      # "text" | "real" | "integer" | "date"
    required: bool = False
    unique: bool = False
    allowed: tuple[str, ...] | None = None
    doc: str = ""
    nonnegative: bool = False      # numeric: a value below 0 is an error (NEGATIVE_VALUE)


@dataclass(frozen=True)
class LayerSchema:
    name: str
    geometry: str | None           # "polygon" or None (attribute table)
    fields: tuple[Field, ...]
    doc: str = ""

    @property
    def id_field(self) -> str:
        return self.fields[0].name

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


ZONES = LayerSchema("zones", "polygon", (
    Field("zone_id", "text", required=True, unique=True, doc="园区编号"),
    Field("name", "text", required=True, doc="园区名称"),
    Field("industries", "text", doc="准入产业，以 ; 分隔；空 = 不限"),
), doc="园区/片区边界")

PARCELS = LayerSchema("parcels", "polygon", (
    Field("parcel_id", "text", required=True, unique=True, doc="地块编号/宗地号"),
    Field("zone_id", "text", required=True, doc="所属园区编号"),
    Field("status", "text", required=True, allowed=tuple(PARCEL_STATUS_LABELS), doc="供地状态"),
    Field("ready_date", "date", doc="可供日期（待平整、待拆迁必填）"),
    Field("land_use", "text", doc="用地类型，如 100101 一类工业用地"),
    Field("registered_mu", "real", doc=f"{FIELD_LABELS['registered_mu']}，仅用于核对"),
    Field("clearing_cost_wan", "real", nonnegative=True,
          doc=f"{FIELD_LABELS['clearing_cost_wan']}：本地块已知的拆迁或平整费用，"
              "有值时优先于 [plan] 单价（用地保障方案）"),
    # stock land (存量土地): optional, for 已供 land (contract and progress) and land not supplied (approval)
    Field("holder", "text", doc=FIELD_LABELS["holder"]),
    Field("supplied_date", "date", doc=FIELD_LABELS["supplied_date"]),
    Field("agreed_start", "date", doc="约定动工日期（出让合同/划拨决定书）"),
    Field("agreed_completion", "date", doc=FIELD_LABELS["agreed_completion"]),
    Field("actual_start", "date", doc=FIELD_LABELS["actual_start"]),
    Field("actual_completion", "date", doc=FIELD_LABELS["actual_completion"]),
    Field("price_wan", "real", nonnegative=True, doc=FIELD_LABELS["price_wan"]),
    Field("developed_share", "real", nonnegative=True, doc=f"{FIELD_LABELS['developed_share']}（0–1）"),
    Field("invested_share", "real", nonnegative=True, doc=f"{FIELD_LABELS['invested_share']}（0–1）"),
    Field("halted_date", "date", doc=FIELD_LABELS["halted_date"]),
    Field("gov_delay", "integer", doc=f"{FIELD_LABELS['gov_delay']}造成未按期动工（1 = 是，0 = 否）"),
    Field("approved_date", "date", doc=f"{FIELD_LABELS['approved_date']}（未供地块）"),
), doc="工业用地地块")

FACTORIES = LayerSchema("factories", "polygon", (
    Field("factory_id", "text", required=True, unique=True, doc="厂房编号"),
    Field("zone_id", "text", required=True, doc="所属园区编号"),
    Field("name", "text", doc="厂房名称"),
    Field("floors", "integer", doc="层数"),
    Field("floor_area_m2", "real", required=True, nonnegative=True, doc=FIELD_LABELS["floor_area_m2"]),
    Field("vacant_m2", "real", required=True, nonnegative=True, doc=FIELD_LABELS["vacant_m2"]),
    Field("status", "text", required=True, allowed=tuple(FACTORY_STATUS_LABELS), doc="建设状态"),
    Field("ready_date", "date", doc="可入驻日期（在建、规划必填）"),
    Field("completion_cost_wan", "real", nonnegative=True,
          doc=f"{FIELD_LABELS['completion_cost_wan']}：在建/规划厂房已知的建成费用，"
              "有值时优先于 [plan] 单价（用地保障方案）"),
), doc="标准厂房（占地轮廓）")

PROJECTS = LayerSchema("projects", None, (
    Field("project_id", "text", required=True, unique=True, doc="项目编号"),
    Field("name", "text", required=True, doc="项目名称"),
    Field("industry", "text", required=True, doc="产业"),
    Field("investment_yi", "real", doc=FIELD_LABELS["investment_yi"]),
    Field("land_mu", "real", doc=f"{FIELD_LABELS['land_mu']}；只需厂房时为空"),
    Field("floor_m2", "real", doc=f"{FIELD_LABELS['floor_m2']}；只需土地时为空"),
    Field("preferred_zone", "text", doc="意向园区编号"),
    Field("stage", "text", required=True, allowed=tuple(PROJECT_STAGE_LABELS), doc="阶段"),
    Field("priority", "real", doc="权重，默认 1"),
    Field("needed_by", "date", doc="需用地时间；空 = 尽快"),
    Field("signed_date", "date", doc=FIELD_LABELS["signed_date"]),
    Field("agreed_start", "date", doc=FIELD_LABELS["agreed_start"]),
    Field("started_date", "date", doc=f"{FIELD_LABELS['started_date']}（已开工项目应填）"),
    Field("production_date", "date", doc=FIELD_LABELS["production_date"]),
    Field("funds_in_yi", "real", nonnegative=True, doc=FIELD_LABELS["funds_in_yi"]),
    Field("event", "text", doc=f"{FIELD_LABELS['event']}，如 西博会、食博会、广州行"),
    Field("foreign_usd_wan", "real", nonnegative=True, doc=FIELD_LABELS["foreign_usd_wan"]),
), doc="招商项目（属性表，无几何）")

FIRMS = LayerSchema("firms", None, (
    Field("firm_id", "text", required=True, unique=True, doc=FIELD_LABELS["firm_id"]),
    Field("name", "text", required=True, doc="企业名称"),
    Field("parcel_ids", "text", required=True, doc="所用地块编号，以 ; 分隔（一宗地可有多家企业，按评价口径分摊）"),
    Field("year", "integer", doc="评价年度"),
    Field("revenue_wan", "real", nonnegative=True, doc=FIELD_LABELS["revenue_wan"]),
    Field("tax_wan", "real", nonnegative=True, doc=FIELD_LABELS["tax_wan"]),
    Field("energy_tce", "real", nonnegative=True, doc=FIELD_LABELS["energy_tce"]),
    Field("employees", "integer", nonnegative=True, doc=FIELD_LABELS["employees"]),
    Field("rd_wan", "real", nonnegative=True, doc=FIELD_LABELS["rd_wan"]),
), doc="亩均效益台账（属性表，无几何）")

LAYERS: dict[str, LayerSchema] = {s.name: s for s in (ZONES, PARCELS, FACTORIES, PROJECTS, FIRMS)}
REQUIRED_LAYERS = ("zones", "parcels")
STORE_COLUMNS = ("version", "updated_at", "updated_by")
"""Bookkeeping columns a store adds to every row (stores): not part of a layer's data."""

def _constraint(name: str, doc: str, *fields: Field) -> LayerSchema:
    return LayerSchema(name, "polygon", fields, doc=doc)


FARMLAND = _constraint("farmland", "永久基本农田（三区三线）：不得供地")
ECO_REDLINE = _constraint("eco_redline", "生态保护红线（三区三线）：不得供地")
DEV_BOUNDARY = _constraint("dev_boundary", "城镇开发边界（三区三线）：新增工业用地应在其内")
FLOOD = _constraint("flood", "洪水淹没范围", Field("return_period", "real", required=True, doc="重现期（年）"))
CONSTRAINT_LAYERS: dict[str, LayerSchema] = {s.name: s for s in (FARMLAND, ECO_REDLINE, DEV_BOUNDARY, FLOOD)}
"""Optional Polygon/MultiPolygon layers of the workspace GeoPackage, every field of the source kept; not part of
``LAYERS`` (which ``geo.workspace`` loads and saves): ``formats.layer_import`` writes and reads them."""

DERIVED_COLUMNS = ("area_mu", "net_mu")
"""Columns LandGap computes on load; never trusted from, nor written to, the file."""
