"""The sample county's parks, firms and pending projects, after the bureau's H1-2023 report (seed-docs/000_*.txt).

All values are fictional (虚构): the report's redacted figures (*) are invented here. Redacted place names are
invented too: *溪工业园区 → 桐溪工业园区, *州产城新区 → 龙州产城新区.
"""
from __future__ import annotations

SAMPLE_SEED = 0          # the sample county's seed (seeds.sample): its own stock cases apply to this seed only
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

# 存量土地 (issue 19). As of STOCK_AS_OF every stock class appears once or more; every other supplied parcel gets an
# ordinary, completed contract (seeds.stock_seed), two old ones none at all (old land often has none: a warning).
STOCK_AS_OF = "2026-12-01"
# parcel_id: (受让单位, 交地日期, 约定动工, 约定竣工, 实际动工, 实际竣工, 价款 万元, 已开发占比, 已投资占比,
#             中止开发日期, 政府原因) — the class it takes at STOCK_AS_OF in the comment
STOCK_CASES = {
    "RJB-005-9": ("冉家坝锂源材料科技有限公司", "2022-03-15", "2022-09-15", "2024-09-15", None, None, 1150.0, 0.0, 0.0,
                  None, 0),                                                      # reclaimable (> 2 full years)
    "TX-004-5": ("桐溪味源食品有限公司", "2022-11-20", "2023-05-20", "2025-05-20", None, None, 860.0, 0.0, 0.0,
                 None, 0),                                                       # reclaimable
    "QDB-015-2": ("青东坝步云鞋材有限公司", "2024-12-30", "2025-06-30", "2027-06-30", None, None, 980.0, 0.0, 0.0, None,
                  0),                                                            # idle (1–2 full years)
    "JKSP-008-1": ("云台康谷生物科技有限公司", "2022-04-01", "2022-10-01", "2024-10-01", "2022-11-20", None, 910.0, 0.2,
                   0.15, "2025-08-01", 0),                 # idle: started, < 1/3 developed, halted a full year
    "RJB-007-9": ("冉家坝储能科技有限公司", "2023-09-01", "2024-03-01", "2026-03-01", None, None, 1090.0, 0.0, 0.0,
                  None, 1),                                 # gov_delay (征地拆迁 not finished around it)
    "LZ-006-1": ("龙州智造装备有限公司", "2025-10-15", "2026-04-15", "2028-04-15", None, None, 1260.0, 0.0, 0.0, None,
                 0),                                                             # overdue (< 1 year)
    "TX-008-4": ("桐溪冷链物流有限公司", "2026-07-20", "2027-01-20", "2029-01-20", None, None, 1010.0, 0.0, 0.0, None,
                 0),                                                             # due_soon (50 days)
    "JKSP-002-2": ("云台山珍食品有限公司", "2026-08-10", "2027-02-10", "2029-02-10", None, None, 1180.0, 0.0, 0.0,
                   None, 0),                                                     # due_soon (71 days)
    "QDB-016-2": ("青东坝华履鞋业有限公司", "2022-06-01", "2022-12-01", "2025-12-01", "2022-11-25", None, 1130.0, 0.8,
                  0.7, None, 0),                                                 # completion_overdue
    "LZ-017-1": ("龙州云仓电商物流有限公司", "2025-01-10", "2025-07-10", "2027-07-10", "2025-07-01", None, 760.0, 0.5,
                 0.45, None, 0),                                                 # normal (building, on time)
    "LZ-017-2": ("龙州精工机械有限公司", "2026-09-01", "2027-06-01", "2029-06-01", None, None, 770.0, 0.0, 0.0,
                 None, 0),                                                       # normal (start far off)
}
OLD_LAND_WITHOUT_DATES = ("TX-009-3", "LZ-008-1")          # supplied long ago, no contract recorded
# 批而未供: parcel_id → 农转用/征收批准日期 (≥ 2 years before STOCK_AS_OF: approved_unsupplied; the last two recent)
APPROVED_DATES = {"QDB-019-1": "2022-11-10", "QDB-009-2": "2023-06-20", "QDB-002-1": "2024-03-18",
                  "QDB-012-1": "2025-10-09", "JKSP-004-1": "2025-04-30"}

# 亩均效益台账 (fictional firms, 2025): firm_id, name, parcel_ids, revenue 万元, tax 万元, energy 吨标煤,
# employees, R&D 万元.
# The report's firms' parcels are held by fictional firms here (no real firm gets made-up figures); LZ-014-1's
# 鑫达建材 yields least per 亩 by far (the D grade: 低效用地).
STOCK_FIRMS_YEAR = 2025
STOCK_FIRMS = [
    ("QY-001", "青东坝星驰鞋服有限公司", "QDB-001-1", 21000, 760, 1500, 620, 420),
    ("QY-002", "青东坝瀚林服饰有限公司", "QDB-001-2", 9800, 330, 700, 310, 150),
    ("QY-003", "青东坝安纳织造有限公司", "QDB-001-4", 16500, 540, 1300, 480, 260),
    ("QY-004", "青东坝雄峰鞋材有限公司", "QDB-003-1", 12800, 410, 1100, 420, 160),
    ("QY-005", "云台领鲜食品有限公司", "JKSP-001-1", 15200, 620, 2300, 260, 230),
    ("QY-006", "云台力元饲料有限公司", "JKSP-001-2", 36500, 1250, 5200, 540, 610),
    ("QY-007", "冉家坝臻能电池有限公司", "RJB-002-1", 11200, 450, 2600, 150, 480),
    ("QY-008", "冉家坝飞腾新能源有限公司", "RJB-002-2", 17800, 690, 4100, 230, 720),
    ("QY-009", "冉家坝锂电新材料有限公司", "RJB-002-3;RJB-002-4", 42000, 1580, 9800, 420, 1500),
    ("QY-010", "青东坝织锦纺织有限公司", "QDB-010-1", 11400, 320, 1900, 380, 120),
    ("QY-011", "青东坝云履鞋服有限公司", "QDB-010-2", 13600, 450, 1200, 460, 200),
    ("QY-012", "云台山泉饮品有限公司", "JKSP-006-2", 14800, 520, 2100, 210, 180),
    ("QY-013", "云台蜀味调味品有限公司", "JKSP-006-3", 9300, 360, 1400, 170, 110),
    ("QY-014", "桐溪嘉禾食品有限公司", "TX-003-1", 8200, 240, 1600, 190, 70),
    ("QY-015", "桐溪锦绣服饰有限公司", "TX-003-1", 5600, 150, 500, 260, 40),
    ("QY-016", "桐溪永丰粮油有限公司", "TX-001-3", 9600, 130, 2400, 140, 20),
    ("QY-017", "龙州鑫达建材有限公司", "LZ-014-1", 780, 6, 900, 22, 0),
    ("QY-018", "龙州华瑞电子有限公司", "LZ-004-1", 19800, 610, 1700, 520, 680),
    ("QY-019", "龙州同创包装有限公司", "LZ-004-2", 7400, 210, 800, 160, 60),
    ("QY-020", "冉家坝新能电池回收有限公司", "RJB-009-3", 12600, 380, 3300, 180, 260),
]
