"""Canonical values and their Chinese labels: the one table that the UI, the CLI and the reports all use."""
from __future__ import annotations

from geo.units import M2_PER_MU, MU_PER_HECTARE
from geo.vocab_stock import (  # noqa: F401 (re-exported: the stock words are geo.vocab's too)
    FIRM_GRADES,
    FLAG_ALIASES,
    STOCK_ACTION_BASIS,
    STOCK_ACTION_LABELS,
    STOCK_ACTION_VERBS,
    STOCK_CLASS_COLORS,
    STOCK_CLASS_LABELS,
    STOCK_DATA_TEXTS,
    STOCK_LABELS,
    STOCK_NEXT_STEPS,
    STOCK_PAGE_LABELS,
    STOCK_WORDS,
)

PARCEL_STATUS_LABELS: dict[str, str] = {
    "available": "可供",      # 净地, can be handed over now
    "leveling": "待平整",     # needs 土地平整; ready_date = planned finish
    "demolition": "待拆迁",   # needs 拆迁/征拆; ready_date likewise
    "supplied": "已供",       # 已出让 to an enterprise
    "reserved": "预留",       # held back, not offered
}
PIPELINE_STATUSES: tuple[str, ...] = ("leveling", "demolition")
"""Statuses that become available on ``ready_date`` (在途/储备 land)."""
STATUSES_NEEDING_DATE = PIPELINE_STATUSES

FACTORY_STATUS_LABELS: dict[str, str] = {"built": "已建成", "building": "在建", "planned": "规划"}
PROJECT_STAGE_LABELS: dict[str, str] = {"negotiating": "在谈", "signed": "已签约", "started": "已开工"}

INDUSTRIES: tuple[str, ...] = ("纺织鞋服", "健康食品", "新能源电池", "其他")
"""The county's 两主一特 industries, plus 其他."""

# Colours used by map layers and static maps alike.
PARCEL_STATUS_COLORS: dict[str, str] = {
    "available": "#2e9d4a",
    "leveling": "#f2b705",
    "demolition": "#e8663d",
    "supplied": "#8c8c8c",
    "reserved": "#6a8fc7",
}

# Chinese aliases accepted on import for each canonical value.
STATUS_ALIASES: dict[str, str] = {
    "可供": "available", "净地": "available", "待平整": "leveling", "待拆迁": "demolition",
    "征拆中": "demolition", "已供": "supplied", "已出让": "supplied", "预留": "reserved",
}
STAGE_ALIASES: dict[str, str] = {
    "在谈": "negotiating", "洽谈": "negotiating", "洽谈中": "negotiating", "在洽谈": "negotiating",
    "已签约": "signed", "签约": "signed", "已签": "signed",
    "已开工": "started", "开工": "started", "在建": "started", "已投产": "started",
}
FACTORY_STATUS_ALIASES: dict[str, str] = {label: value for value, label in FACTORY_STATUS_LABELS.items()}

FIELD_LABELS: dict[str, str] = {
    "zone_id": "园区编号", "name": "名称", "industries": "准入产业", "parcel_id": "地块编号",
    "status": "状态", "ready_date": "可供日期", "land_use": "用地类型", "registered_mu": "台账面积（亩）",
    "area_mu": "面积（亩）", "factory_id": "厂房编号", "floors": "层数", "floor_area_m2": "建筑面积（m²）",
    "vacant_m2": "空置面积（m²）", "project_id": "项目编号", "industry": "产业", "investment_yi": "总投资（亿元）",
    "land_mu": "需用地（亩）", "floor_m2": "需厂房（m²）", "preferred_zone": "意向园区", "stage": "阶段",
    "priority": "优先级", "needed_by": "需用地时间", "available_mu": "可供面积（亩）",
    "pipeline_mu": "在途面积（亩）", "largest_block_mu": "最大连片（亩）", "vacant_factory_m2": "空置厂房（m²）",
    "block_id": "连片编号", "parcel_ids": "地块", "total_available_mu": "可供总面积（亩）",
    "clearing_cost_wan": "拆迁/平整费用（万元）", "completion_cost_wan": "厂房建成费用（万元）",
    "return_period": "重现期（年）",
    "signed_date": "签约日期", "agreed_start": "合同约定开工日期", "started_date": "实际开工日期",
    "production_date": "投产日期", "funds_in_yi": "到位资金（亿元）", "event": "签约平台/活动",
    "foreign_usd_wan": "外资到位（万美元）", "county_code": "县级行政区划代码", "any_county": "可跨县安排",
    "county": "县（市、区）", "zone_count": "园区（个）", "action_count": "措施（项）", "counties": "分县汇总",
    # stock land (存量土地) on parcels
    "holder": "受让单位", "supplied_date": "交地日期", "agreed_completion": "约定竣工日期",
    "actual_start": "实际动工日期", "actual_completion": "实际竣工日期", "price_wan": "出让/划拨价款（万元）",
    "developed_share": "已动工开发面积占比", "invested_share": "已投资额占总投资比例", "halted_date": "中止开发日期",
    "gov_delay": "政府原因", "approved_date": "农转用/征收批准日期",
    # firms (亩均效益台账)
    "firm_id": "企业编号", "year": "年度", "revenue_wan": "营业收入（万元）", "tax_wan": "税收（万元）",
    "energy_tce": "综合能耗（吨标煤）", "employees": "从业人数", "rd_wan": "研发投入（万元）",
}

PARCEL_FIELD_LABELS: dict[str, str] = {**FIELD_LABELS, "agreed_start": "约定动工日期"}
"""The parcel layer's labels: a parcel's agreed start is the 出让合同's 约定动工日期 (a project's: 合同约定开工日期)."""
FIRM_FIELD_LABELS: dict[str, str] = {**FIELD_LABELS, "name": "企业名称", "parcel_ids": "所用地块编号"}
"""The firms table's labels (亩均效益台账)."""

GAP_ZONE_LABELS: dict[str, str] = {
    "zone_id": FIELD_LABELS["zone_id"], "name": "园区", "pending_count": "待安排项目（个）",
    "pending_mu": "需用地（亩）", "pending_yi": "总投资（亿元）", "placed_count": "已安排（个）",
    "placed_mu": "已安排用地（亩）", "unplaced_count": "无选址项目（个）", "unplaced_mu": "无选址项目需用地（亩）",
    "unplaced_gap_mu": "用地缺口（亩）", "unplaced_yi": "无选址项目总投资（亿元）",
    "available_left_mu": "剩余可供（亩）", "pipeline_mu": "剩余在途（亩）",
    "vacant_factory_m2": FIELD_LABELS["vacant_factory_m2"],
}
"""Headers of the match result's gap summary per zone (``zones`` of ``match --json``): CLI, app and downloads."""


LEDGER_HEADERS: dict[str, tuple[str, ...]] = {
    "project_id": ("项目编号", "项目代码", "编号", "项目id"),
    "name": ("项目名称", "名称", "项目"),
    "industry": ("产业", "行业", "产业类别", "产业类型", "所属产业", "产业分类"),
    "investment_yi": ("总投资", "计划总投资", "投资总额", "投资额", "协议投资"),
    "land_mu": ("拟用地", "拟用地面积", "用地面积", "需用地", "用地需求", "供地面积", "用地"),
    "floor_m2": ("需厂房", "需厂房面积", "厂房面积", "标准厂房", "租用厂房面积"),
    "preferred_zone": ("意向园区", "拟落户园区", "落户园区", "拟选址园区", "园区", "片区"),
    "stage": ("阶段", "项目阶段", "项目状态", "推进情况", "进展", "状态"),
    "priority": ("优先级",),
    "needed_by": ("需用地时间", "计划用地时间", "需地时间", "用地时间", "拟开工时间", "计划开工时间"),
    "signed_date": ("签约日期", "签约时间", "签约日"),
    "agreed_start": ("合同约定开工日期", "约定开工日期", "合同约定开工时间", "约定开工时间", "合同开工日期"),
    "started_date": ("实际开工日期", "实际开工时间", "开工日期", "开工时间"),
    "production_date": ("投产日期", "投产时间", "实际投产日期", "实际投产时间"),
    "funds_in_yi": ("到位资金", "资金到位", "实际到位资金", "累计到位资金", "到位资金额"),
    "event": ("签约平台/活动", "签约平台", "签约活动", "签约平台活动"),
    "foreign_usd_wan": ("外资到位", "到位外资", "实际到位外资", "外资到位资金"),
    "county_code": ("县级行政区划代码", "行政区划代码", "签约县代码", "区划代码"), "any_county": ("可跨县安排",),
}
"""Headers a project ledger (招商项目台账) uses for each field, without the unit in brackets (matched after
removing spaces, full-width brackets and *)."""
_M2 = ("平方米", "㎡", "m2", "m²")          # how ledgers write square metres
_TO_MU = {"亩": 1.0, "分": 0.1, "公顷": MU_PER_HECTARE, "ha": MU_PER_HECTARE, **{m2: 1 / M2_PER_MU for m2 in _M2}}
LEDGER_UNITS: dict[str, dict[str, float]] = {
    "investment_yi": {"亿元": 1.0, "亿": 1.0, "万元": 1e-4, "万": 1e-4, "元": 1e-8},
    "land_mu": _TO_MU,
    "registered_mu": _TO_MU,
    "floor_m2": {**{m2: 1.0 for m2 in _M2}, "万平方米": 1e4},
    "funds_in_yi": {"亿元": 1.0, "亿": 1.0, "万元": 1e-4, "万": 1e-4, "元": 1e-8},
    "foreign_usd_wan": {"万美元": 1.0, "美元": 1e-4, "亿美元": 1e4},
    "price_wan": {"万元": 1.0, "万": 1.0, "元": 1e-4, "亿元": 1e4, "亿": 1e4},
    "developed_share": {"%": 0.01, "％": 0.01},
    "invested_share": {"%": 0.01, "％": 0.01},
    "revenue_wan": {"万元": 1.0, "万": 1.0, "元": 1e-4, "亿元": 1e4, "亿": 1e4},
    "tax_wan": {"万元": 1.0, "万": 1.0, "元": 1e-4, "亿元": 1e4, "亿": 1e4},
    "rd_wan": {"万元": 1.0, "万": 1.0, "元": 1e-4, "亿元": 1e4, "亿": 1e4},
    "energy_tce": {"吨标煤": 1.0, "吨标准煤": 1.0, "tce": 1.0, "万吨标煤": 1e4, "万吨标准煤": 1e4},
    "employees": {"人": 1.0},
}
"""Units a ledger header may carry, as factors to the field's own unit (亿元, 亩, m²); no unit = the field's own."""
PARCEL_LEDGER_HEADERS: dict[str, tuple[str, ...]] = {
    "parcel_id": ("地块编号", "宗地号", "宗地编号", "地块号", "编号"),
    "status": ("供地状态", "状态", "地块状态", "土地状态"),
    "ready_date": ("可供日期", "预计可供时间", "计划完成时间", "预计完成时间", "可供时间"),
    "land_use": ("用地类型", "地类", "土地用途", "用途"),
    "registered_mu": ("面积", "台账面积", "宗地面积", "地块面积"),
    # 存量土地 (issue 19): the 出让合同/划拨决定书 and 动态监测 record of supplied land; approval of land not supplied
    "holder": ("受让单位", "受让人", "用地单位", "土地使用权人", "竞得人", "受让单位名称"),
    "supplied_date": ("交地日期", "实际交地日期", "交地时间", "实际交地时间"),
    "agreed_start": ("约定动工日期", "合同约定开工日期", "约定开工日期", "约定动工时间", "合同约定动工日期",
                     "约定开工时间"),
    "agreed_completion": ("约定竣工日期", "合同约定竣工日期", "约定竣工时间"),
    "actual_start": ("实际动工日期", "实际开工日期", "实际动工时间", "实际开工时间", "动工日期"),
    "actual_completion": ("实际竣工日期", "实际竣工时间", "竣工日期"),
    "price_wan": ("出让价款", "成交价款", "划拨价款", "出让/划拨价款", "土地价款", "出让金", "成交价"),
    "developed_share": ("已动工开发面积占比", "已开发面积占比", "开发面积占比", "已动工面积占比"),
    "invested_share": ("已投资额占比", "投资比例", "已投资额占总投资比例", "投资完成比例", "已投资比例"),
    "halted_date": ("中止开发日期", "停工日期", "中止开发时间", "停工时间"),
    "gov_delay": ("政府原因", "是否政府原因", "政府原因闲置", "是否政府原因造成"),
    "approved_date": ("批准日期", "农转用批准日期", "征收批准日期", "批复日期", "农转用批复日期", "征收批复日期"),
}
"""Headers of a land ledger (土地台账) for the parcel fields it may update (geometry stays the GIS layer's)."""
FIRM_LEDGER_HEADERS: dict[str, tuple[str, ...]] = {
    "firm_id": ("企业编号", "统一社会信用代码", "社会信用代码", "信用代码", "企业代码"),
    "name": ("企业名称", "单位名称", "企业", "名称"),
    "parcel_ids": ("地块编号", "宗地号", "用地地块", "宗地编号", "所用地块", "地块"),
    "year": ("年度", "评价年度", "年份"),
    "revenue_wan": ("营业收入", "主营业务收入", "营收", "销售收入"),
    "tax_wan": ("税收", "实缴税金", "税收实际贡献", "实缴税收", "纳税额"),
    "energy_tce": ("综合能耗", "能耗", "总能耗"),
    "employees": ("从业人数", "年平均职工人数", "职工人数", "年均从业人数"),
    "rd_wan": ("研发投入", "研发经费支出", "研发经费", "R&D经费支出"),
}
"""Headers of the 亩均效益台账 (firms ledger); a firm's parcels separated by ; 、 ， or ,."""
PARCEL_LAYER_FIELDS: dict[str, tuple[str, ...]] = {
    "parcel_id": (*PARCEL_LEDGER_HEADERS["parcel_id"], "parcel_id", "DKBH", "ZDDM", "ZDBH", "ZDH"),
    "zone_id": ("所属园区", "园区", "园区编号", "园区名称", "片区", "所属片区", "zone_id", "YQ", "YQBH", "YQMC"),
    "status": (*PARCEL_LEDGER_HEADERS["status"], "status", "GDZT", "ZT"),
    "ready_date": (*PARCEL_LEDGER_HEADERS["ready_date"], "ready_date", "KGRQ", "KGSJ"),
    "land_use": (*PARCEL_LEDGER_HEADERS["land_use"], "land_use", "DLMC", "DLBM", "YDLX", "TDYT"),
    "registered_mu": (*PARCEL_LEDGER_HEADERS["registered_mu"], "registered_mu", "registered", "MJ", "DKMJ", "ZDMJ"),
    **{name: (*PARCEL_LEDGER_HEADERS[name], name) for name in (
        "holder", "supplied_date", "agreed_start", "agreed_completion", "actual_start", "actual_completion",
        "price_wan", "developed_share", "invested_share", "halted_date", "gov_delay", "approved_date")},
}
"""Field names of a parcel layer from other GIS (Shapefile): the land ledger's headers, our own names, and the
pinyin initials of 国土 data (DKBH 地块编号, ZDDM 宗地代码, GDZT 供地状态, DLMC 地类名称, MJ 面积 …). A DBF name is
cut at 10 bytes (预计可供时间 → 预计可供时 in GBK); ``formats.shapefile`` matches such a cut name too."""
LEDGER_TOTAL_ROWS: tuple[str, ...] = ("合计", "小计", "总计")


# ================================================================================================ label catalogue
# Every user-facing label lives below, one spelling per field, looked up by key. Sections by who uses them most;
# a label used in several places is defined once, in the first section that needs it, and imported elsewhere.

# ------------------------------------------------------------------------------------------------ matching results
COUNTY_TOTAL_LABEL, CITY_TOTAL_LABEL = "全县合计", "全部县（市、区）合计"
"""The county row of the gap summary; the total row of a city's counties merged (``match --jobs``)."""
UNZONED_LABEL = "未定园区"
"""The gap summary's row of projects with no preferred park that could not be placed anywhere."""
NEED_LABEL = "需用地"
"""A project's land need (its ``land_mu``) — never the shortfall."""
SHORTFALL_LABEL = "缺口"
"""How many 亩 an unplaced project (or park) is short — never its need."""
FIELD_LABELS.update({
    "project_name": "项目名称", "zone_name": "园区", "placement_kind": "方式", "site_mu": "选址面积（亩）",
    "site_parcels": "所用地块", "site_ready_date": "可用日期", "reason": "原因", "gap_mu": f"{SHORTFALL_LABEL}（亩）",
    "detail": "说明", "row_number": "序号", "unlock_action": "措施", "unlock_target": "地块/厂房",
    "unlock_places": "可安排项目", "block_area_mu": "连片面积（亩）", "surplus_mu": "剩余（亩）",
    "candidate_rank": "候选序号",
})
PLACEMENT_KIND_LABELS: dict[str, str] = {"land": "供地", "factory": "标准厂房"}
COMPARE_TABLE_LABELS: dict[str, str] = {
    "newly_placed": "新增安排", "newly_unplaced": "不再能安排", "moved": "选址变化", "reason_changed": "原因变化",
    "zones": "园区变化", "from_site": "原选址", "to_site": "新选址", "from_reason": "原原因", "to_reason": "新原因"}
FIELD_LABELS.update({"min_block_mu": "最小连片面积（亩）", "parcel_count": "地块数",
                     "gross_available_mu": "可供毛面积（亩）", "constrained_mu": "三区三线等扣除（亩）",
                     "site_or_factory": "地块或厂房", "project_count": "项目数", "total_row": "合计"})
BRIEFING_TABLE_TITLES: dict[str, str] = {
    "land": "表1  各园区工业用地情况（亩）", "demand": "表2  待落地项目分产业情况", "placed": "表3  可落实选址项目",
    "gap": "表4  “有项目、无选址”项目情况", "gap_by_zone": "表5  “有项目、无选址”分园区情况",
    "gap_by_industry": "表6  “有项目、无选址”分产业情况", "by_county": "表7  分县（市、区）情况"}
"""The briefing's numbered tables (GB/T 9704: 表N + two spaces + title), by table key."""
SITE_LAYER_FIELDS: dict[str, str] = {
    "project_id": "项目编号", "name": "项目名称", "zone_id": "园区", "parcel_ids": "地块编号", "need_mu": "需用地亩",
    "site_mu": "选址亩", "ready_date": "可供日期", "priority": "优先级"}
"""The 选址方案 layer's fields (each ≤ 10 bytes in GBK, for a Shapefile's DBF)."""
REPORT_TABLE_LABELS: dict[str, str] = {"level": "级别", "layer": "图层", "row": "行", "field": "字段",
                                       "message": "说明"}
PLAN_LABELS: dict[str, str] = {
    "title": "用地保障方案", "action": "措施", "target": "地块/厂房", "area_mu": "面积（亩）",
    "cost_wan": "估算费用（万元）",
    "ready_by": "最早完成", "places": "可保障项目", "budget_wan": "预算（万元）", "placed_priority": "落地优先级合计",
    "placed_investment_yi": "落地投资（亿元）", "placed_count": "落地项目数", "placed_added": "新增落地项目",
    "frontier": "预算—效果曲线", "must_failed": "无法保障的项目", "cleared_mu": "清理土地（亩）",
    "parcels_layer": "用地保障方案地块", "chosen": "本报告建议的方案",
    "figure": "用地保障投入与新增落地投资"}
"""The plan's (用地保障方案) table headers; the action nouns are briefing.labels' WORK_NOUNS / FACTORY_WORK."""

# ------------------------------------------------------------------------------------------------ briefing

BRIEFING_FONT_ROLES: dict[str, str] = {"title": "标题", "heiti": "一级标题", "kaiti": "二级标题", "fangsong": "正文",
                                       "song": "页码"}
"""The briefing's font roles (GB/T 9704), as its appendix names them (``FontSet.describe``)."""

# ------------------------------------------------------------------------------------------ data import, validation
ROW_NAMES: dict[str, str] = {"fid": "fid {row}", "row": "第 {row} 行", "ledger": "台账第 {row} 行"}
"""How a report names where a feature is: a file's fid, an edited table's row (from 1), a ledger's Excel row."""

# layer import (formats): field names of the other layers as GIS files from elsewhere spell them
ZONE_LAYER_FIELDS: dict[str, tuple[str, ...]] = {
    "zone_id": ("园区编号", "片区编号", "园区代码", "zone_id", "YQBH", "YQDM"),
    "name": ("园区名称", "片区名称", "名称", "园区", "name", "YQMC", "MC"),
    "industries": ("准入产业", "主导产业", "产业", "industries", "ZDCY", "CY"),
    "county_code": ("县级行政区划代码", "行政区划代码", "行政区代码", "区划代码", "county_code", "XZQDM", "XZDM"),
}
FACTORY_LAYER_FIELDS: dict[str, tuple[str, ...]] = {
    "factory_id": ("厂房编号", "编号", "factory_id", "CFBH"),
    "zone_id": ("所属园区", "园区编号", "园区", "zone_id", "YQBH"),
    "name": ("厂房名称", "名称", "name", "CFMC", "MC"),
    "floors": ("层数", "floors", "CS"),
    "floor_area_m2": ("建筑面积", "建筑面积（m²）", "floor_area_m2", "JZMJ"),
    "vacant_m2": ("空置面积", "空置面积（m²）", "vacant_m2", "KZMJ"),
    "status": ("建设状态", "状态", "status", "JSZT", "ZT"),
    "ready_date": ("可入驻日期", "可入驻时间", "ready_date", "RZRQ"),
}
FLOOD_LAYER_FIELDS: dict[str, tuple[str, ...]] = {
    "return_period": ("重现期", "洪水重现期", "重现期（年）", "return_period", "CXQ", "HSCXQ"),
}
PARCEL_EXTRA_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("地块名称", "宗地名称", "DKMC", "ZDMC", "name"),
    "land_class": ("地类编码", "land_class"),
}
"""Parcel fields kept when a file has them (not in the schema: the 坐标文件's 地块名称 and 地类编码)."""
IMPORT_TARGET_LABELS: dict[str, str] = {
    "parcels": "地块", "zones": "园区边界", "factories": "标准厂房", "farmland": "永久基本农田",
    "eco_redline": "生态保护红线", "dev_boundary": "城镇开发边界", "flood": "洪水淹没范围",
}
EXCLUSION_LABELS: dict[str, str] = {
    "farmland": "永久基本农田", "eco_redline": "生态保护红线", "flood": "洪水淹没范围",
    "dev_boundary": "城镇开发边界外", "slope": "坡度超限",
}
"""What takes land out of net usable land (净用地), in geo.constraints.EXCLUSION_ORDER: reasons, briefing, map."""
TERRAIN_LABELS: dict[str, str] = {
    "parcel_id": "地块编号", "mean_slope_pct": "平均坡度（%）", "p90_slope_pct": "90%分位坡度（%）",
    "steep_share": "超坡比例", "mean_elevation_m": "平均高程（米）", "design_elevation_m": "设计标高（米）",
    "cut_m3": "挖方（立方米）", "fill_m3": "填方（立方米）", "imbalance_m3": "余缺方（立方米）",
    "max_cut_m": "最大挖深（米）", "max_fill_m": "最大填高（米）", "cost_wan": "平整费用（万元）",
    "nodata_share": "无数据比例", "net_mu": "净用地（亩）",
}
"""Headers of `cli.py terrain` (geo.parcel_terrain.TERRAIN_COLUMNS)."""
SLOPE_LAYER_LABEL = "坡度（橙色大于 8%，红色大于 {max}%）"
TERRAIN_TEXT = "平均坡度 {slope:.1f}%；平整挖方 {cut:,.0f} 立方米、填方 {fill:,.0f} 立方米，估算 {cost:,.1f} 万元"
"""A 待平整 parcel's slope and leveling earthwork in its map popup."""
POPUP_TERRAIN_LABEL = "坡度与平整土方"
"""The map's slope overlay (rendered locally from the DEM)."""
CONSTRAINED_LABEL = "受三区三线等限制"
"""The short label of the unplaced reason CONSTRAINED (matching.reasons)."""
IMPORT_RESULT_LABELS: dict[str, str] = {"imported": "已导入", "repaired": "已修复后导入", "rejected": "未导入"}

# ------------------------------------------------------------------------------------------------ app pages, CLI
LEDGER_EXAMPLE_HEADERS: dict[str, str] = {"land_mu": "拟用地（亩）", "floor_m2": "需厂房（平方米）"}
"""How project ledgers usually head their area columns (input spellings, recognised on import)."""
PROJECT_LEDGER_HELP = (
    f"表头按台账原样即可：项目名称、产业、阶段，{LEDGER_EXAMPLE_HEADERS['land_mu']}或用地面积（公顷/平方米）、"
    f"{LEDGER_EXAMPLE_HEADERS['floor_m2']}，总投资（亿元或万元）、意向园区（名称或编号）、需用地时间。"
    "标题行、合计行自动跳过；有任何错误则整表不导入。")
"""数据管理: what a project ledger may look like."""
# Streamlit's file uploader writes its own English texts (1.67 has no option for them): pages.common puts these in
# their place with CSS. ``limit`` takes the size in MB (server.maxUploadSize), ``types`` the accepted extensions.
UPLOADER_TEXTS = {
    "button": "上传文件",
    "drop": "将文件拖放到此处",
    "limit": "单个文件不超过 {mb} MB",
    "types": "{limit} · {types}",
    "refused": "（未上传：文件须不超过 {mb} MB，且为所列类型）",   # beside a file the browser refused (English tooltip)
}
ROLE_LABELS = {"viewer": "查看", "editor": "编辑", "admin": "管理"}
"""Team-mode roles (team.accounts.ROLES): 查看 maps, fit, gap, briefings; 编辑 also edits and imports; 管理 also
accounts and workspaces."""
WAN_UNIT_LABELS = {"（亩）": "（万亩）", "（m²）": "（万m²）"}      # a headline's unit in 万 (units.headline_figure)
TILE_TEXTS = {"loading": "地块加载中……", "filter": "按状态显示"}    # the tile map's loading note, its status filter

LOGIN_TEXTS = {"title": "LandGap 工业用地保障 · 登录", "name": "账号", "password": "密码", "submit": "登录",
               "logout": "退出登录", "expired": "登录已过期，请重新登录。", "who": "当前账号：{name}（{role}）",
               "denied": "当前账号（{role}）无权{action}，请联系管理员。",
               "logged_out": "已退出登录。", "need_login": "请先登录：正在转到登录页……",
               "go_login": "前往登录页",
               "bad_origin": "请求来源不符（可能是跨站伪造请求），已拒绝。请从登录页重新登录。",
               "bad_form": "登录请求格式不正确，请从登录页重新提交。", "hint": "团队模式 · 请使用管理员分配的账号登录"}
"""The team mode's login page (pages/login_http.py, served at /auth/login), the page's note before login and
the sidebar's account line."""
HISTORY_LABELS = {"at": "时间（UTC）", "by": "操作人", "layer": "图层", "id": "编号", "action": "操作",
                  "fields": "改动字段"}
"""数据管理 → 修改记录: the audit trail's columns."""
KPI_LABELS: dict[str, str] = {
    "title": "招商考核", "from": "统计期起", "to": "统计期止", "as_of": "截至", "signed_count": "新签约项目（个）",
    "signed_yi": "签约金额（亿元）", "prior_signed_count": "上年同期签约项目（个）",
    "prior_signed_yi": "上年同期签约金额（亿元）", "signed_count_yoy_pct": "签约项目数同比（%）",
    "signed_yi_yoy_pct": "签约金额同比（%）", "big_threshold_yi": "重大项目标准（亿元）",
    "big_signed_count": "重大签约项目（个）", "big_start_rate_pct": "重大签约项目开工率（%）",
    "on_time_rate_pct": "履约率（%）", "production_rate_pct": "投产率（%）", "funds_rate_pct": "资金到位率（%）",
    "indicator": "指标", "target": "目标", "actual": "完成", "completion_pct": "完成比（%）",
    "not_started": "签约未开工项目", "placed": "选址情况", "placed_yes": "有选址", "placed_no": "无选址",
    "funnel": "签约→开工→投产", "by_month": "分月签约", "signed": "签约", "started": "开工", "production": "投产",
    "month": "月份", "event": "签约平台/活动", "all_events": "全部",
}
"""招商考核 (geo.kpi, cli.py kpi, the 招商考核 page): indicator names and their labels."""
