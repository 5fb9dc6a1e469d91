"""The sample county's parks, firms and pending projects, after the bureau's H1-2023 report (seed-docs/000_*.txt).

All values are fictional (虚构): the report's redacted figures (*) are invented here. Redacted place names are
invented too: *溪工业园区 → 桐溪工业园区, *州产城新区 → 龙州产城新区.
"""
from __future__ import annotations

FICTIONAL_NOTE = "虚构示例数据，仅供演示（fictional sample data）"

# zone_id, name, industries, grid spacing (m, along/across), rows, cols, rotation (deg), offset from the county
# centre (km), floor elevation (m)
ZONES = [
    ("QDB", "青东坝鞋服产业园", "纺织鞋服", (330, 280), 5, 6, 12, (-6.0, 3.5), 560),
    ("JKSP", "云台健康食品产业园", "健康食品", (340, 300), 4, 5, -8, (3.5, 5.0), 585),
    ("RJB", "冉家坝新能源产业园", "新能源电池", (620, 520), 3, 4, 20, (5.5, -4.0), 540),
    ("TX", "桐溪工业园区", "健康食品;纺织鞋服", (540, 470), 3, 4, -15, (-4.5, -5.5), 610),
    ("LZ", "龙州产城新区", "纺织鞋服;其他", (360, 320), 4, 5, 5, (0.0, 0.0), 575),
]

# Existing firms named in the report, put on supplied parcels of their park (occupant field).
FIRMS = {
    "QDB": ["鸿星尔克", "翰彬霖", "安吉纳", "雄兴"],
    "JKSP": ["领旗", "铁骑力士"],
    "RJB": ["臻秦", "飞尚"],
}

# The two 有项目、无选址 cases of the report, and the pipeline work that unblocks them.
SHORTFALL_CASES = {
    # project_id: (zone whose largest road block is put into the pipeline, status, ready date)
    "P-RJB-01": ("RJB", "demolition", "2027-06-30"),
    "P-TX-01": ("TX", "leveling", "2027-03-31"),
}

# project_id, name, industry, investment (亿元), land (亩), floor (m²), preferred zone, stage, needed_by
PROJECTS = [
    ("P-RJB-01", "新能源材料生产项目", "新能源电池", 18.0, 360.0, None, "RJB", "signed", None),
    ("P-TX-01", "福建安井速冻食品生产基地项目", "健康食品", 12.0, 290.0, None, "TX", "signed", None),
    ("P-FZ-01", "秦禾轻纺产业园项目", "纺织鞋服", 10.0, 120.0, None, "QDB", "signed", None),
    ("P-FZ-02", "年产300万件（套）特种服装生产线项目", "纺织鞋服", 2.5, None, 12000.0, "QDB", "signed", None),
    ("P-FZ-03", "年产500万件（套）服装项目", "纺织鞋服", 1.8, None, 9000.0, "LZ", "negotiating", None),
    ("P-FZ-04", "运动鞋材配套项目", "纺织鞋服", 3.0, 45.0, None, "QDB", "negotiating", None),
    ("P-FZ-05", "智能制鞋生产线项目", "纺织鞋服", 4.0, 60.0, 8000.0, "QDB", "started", None),
    ("P-FZ-06", "功能性面料印染整理项目", "纺织鞋服", 5.0, 80.0, None, "TX", "negotiating", "2027-06-30"),
    ("P-FZ-07", "童装设计生产基地项目", "纺织鞋服", 1.2, None, 6000.0, "LZ", "signed", None),
    ("P-FZ-08", "户外服装研发生产项目", "纺织鞋服", 2.0, 35.0, None, "LZ", "negotiating", None),
    ("P-SP-01", "川北道地药材集散中心项目", "健康食品", 6.0, 85.0, None, "JKSP", "signed", None),
    ("P-SP-02", "健康食品产业园项目", "健康食品", 8.0, 130.0, None, "JKSP", "negotiating", None),
    ("P-SP-03", "米粉及肥肠预制菜加工项目", "健康食品", 2.2, 30.0, None, "JKSP", "signed", None),
    ("P-SP-04", "冷链物流及中央厨房项目", "健康食品", 3.5, 50.0, None, "TX", "negotiating", None),
    ("P-SP-05", "猕猴桃精深加工项目", "健康食品", 2.0, 28.0, None, "JKSP", "started", None),
    ("P-SP-06", "植物蛋白饮品生产线项目", "健康食品", 1.5, None, 7000.0, "TX", "negotiating", None),
    ("P-SP-07", "富硒茶叶精制加工项目", "健康食品", 0.8, 15.0, None, "JKSP", "negotiating", "2027-12-31"),
    ("P-SP-08", "休闲食品生产基地项目", "健康食品", 2.6, 40.0, None, None, "signed", None),
    ("P-NE-01", "第三代半导体太阳能电池芯片研发制造项目", "新能源电池", 25.0, 210.0, None, "RJB", "signed", None),
    ("P-NE-02", "年产5万吨（锂、钠）电池负极材料项目", "新能源电池", 15.0, 160.0, None, "RJB", "negotiating", None),
    ("P-NE-03", "储能电池模组组装项目", "新能源电池", 4.0, None, 15000.0, "RJB", "negotiating", None),
    ("P-NE-04", "电池回收综合利用项目", "新能源电池", 6.0, 90.0, None, "RJB", "negotiating", "2028-06-30"),
    ("P-NE-05", "锂电池隔膜生产项目", "新能源电池", 9.0, 110.0, None, "RJB", "negotiating", None),
    ("P-QT-01", "智能装备制造产业园项目", "其他", 5.0, 70.0, None, "LZ", "negotiating", None),
    ("P-QT-02", "电商物流分拨中心项目", "其他", 2.0, 45.0, None, "LZ", "signed", None),
    ("P-QT-03", "新型建材生产项目", "其他", 3.0, 55.0, None, "LZ", "negotiating", None),
    ("P-QT-04", "电子元器件组装项目", "其他", 1.0, None, 5000.0, "LZ", "signed", None),
    ("P-QT-05", "医疗器械生产项目", "其他", 3.5, 40.0, None, None, "negotiating", None),
    ("P-QT-06", "汽车零部件加工项目", "其他", 4.5, 65.0, None, "LZ", "started", None),
    ("P-QT-07", "家居定制生产基地项目", "其他", 2.8, 50.0, None, None, "negotiating", "2027-09-30"),
]

# Standard factories (标准厂房) per park, as the report proposes for 青东坝, *溪 and *州:
# (zone_id, status, ready_date or None, floors)
FACTORIES = [
    ("QDB", "built", None, 4), ("QDB", "built", None, 4), ("QDB", "building", "2027-05-31", 5),
    ("TX", "built", None, 3), ("TX", "planned", "2028-03-31", 4),
    ("LZ", "built", None, 4), ("LZ", "building", "2027-08-31", 4), ("LZ", "planned", "2028-06-30", 5),
]

# The signed and started projects' lifecycle (issue 21: 招商考核), across 2025 and 2026 so that 同比 means something:
# project_id: (签约日期, 合同约定开工日期, 实际开工日期, 投产日期, 到位资金 亿元, 签约平台/活动)
PROJECT_DATES = {
    "P-FZ-05": ("2025-02-18", "2025-05-01", "2025-04-20", "2026-03-15", 3.2, "广州行"),
    "P-SP-05": ("2025-03-28", "2025-07-01", "2025-08-10", "2026-06-20", 1.5, "食博会"),
    "P-QT-06": ("2025-05-21", "2025-09-01", "2025-08-25", None, 2.1, "西博会"),
    "P-FZ-02": ("2025-06-12", "2025-12-01", None, None, 0.4, "广州行"),
    "P-QT-04": ("2025-11-05", "2026-03-01", None, None, 0.1, None),
    "P-RJB-01": ("2026-01-16", "2026-07-01", None, None, 1.8, "西博会"),
    "P-TX-01": ("2026-02-26", "2026-06-30", None, None, 1.0, "食博会"),
    "P-FZ-01": ("2026-03-08", "2026-09-01", None, None, 0.8, "广州行"),
    "P-SP-01": ("2026-03-20", "2026-08-01", None, None, 0.5, "食博会"),
    "P-NE-01": ("2026-04-09", "2026-10-01", None, None, 2.5, "西博会"),
    "P-SP-03": ("2026-04-27", "2026-09-30", None, None, 0.3, "食博会"),
    "P-QT-02": ("2026-05-15", "2026-11-01", None, None, 0.2, None),
    "P-FZ-07": ("2026-06-03", "2026-10-15", None, None, 0.1, "广州行"),
    "P-SP-08": ("2026-06-24", "2026-12-31", None, None, None, None),
}
SIGNING_EVENTS = ("西博会", "食博会", "广州行")
