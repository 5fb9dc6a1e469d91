"""Stock land's words (issue 19, 存量盘活): the classes, the plan's stock actions, the next legal steps, the
report's headers, the 亩均 grades, the class colours, the 存量盘活 page's and the 数据管理 page's texts. Split from
geo/vocab.py by cohesion (it re-exports every name: import them from geo.vocab)."""
from __future__ import annotations

STOCK_DATA_TEXTS: dict[str, str] = {
    "firms_metric": "企业（亩均台账）", "parcels_title": "存量土地：已供地块的合同与进度、未供地块的批准日期",
    "parcels_caption": "只列出填有这些字段的地块；在“从土地台账更新地块”中按受让单位、交地日期、约定/实际动工与"
                       "竣工日期、价款、开发与投资比例、停工日期、政府原因、批准日期等列更新。",
    "firms_title": "亩均效益台账（企业）", "firms_none": "尚无亩均效益台账：可在下方“导入亩均效益台账”导入。",
    "firms_import": "导入亩均效益台账（Excel / CSV）", "firms_upload": "亩均效益台账", "firms_button": "导入企业",
    "firms_caption": "表头如 企业编号/统一社会信用代码、企业名称/单位名称、地块编号/宗地号（多宗以 ; 、 ， 分隔）、"
                     "年度、营业收入（万元/亿元/元）、税收/实缴税金、综合能耗（吨标煤）、从业人数、研发投入；按企业编号"
                     "（无编号按名称）更新，其余新增；地块编号须在地块图层中。有任何错误则整表不导入。",
    "firms_mode": "导入方式", "firms_update": "按企业编号或名称更新，其余新增", "firms_replace": "替换整个企业表",
}
"""The 数据管理 page's texts on stock land and the firms table (issue 19)."""
FLAG_ALIASES: dict[str, int] = {"是": 1, "否": 0, "y": 1, "n": 0, "yes": 1, "no": 0, "true": 1, "false": 0,
                                "有": 1, "√": 1, "×": 0}
"""How ledgers write a yes/no field (政府原因 gov_delay), lower-cased, as 1/0."""
STOCK_CLASS_LABELS: dict[str, str] = {
    "gov_delay": "政府原因闲置", "reclaimable": "可无偿收回", "idle": "闲置", "overdue": "逾期未动工",
    "due_soon": "临近约定动工", "completion_overdue": "逾期未竣工", "low_efficiency": "低效用地",
    "approved_unsupplied": "批而未供", "normal": "正常",
}
"""Stock-land classes (存量土地分类) in the order they are tested: a parcel takes the first that applies."""
STOCK_ACTION_LABELS: dict[str, str] = {
    "reclaim": "无偿收回", "negotiate": "协议收回/置换", "redevelop": "低效用地再开发",
}
"""The plan's stock actions (存量盘活), beside clearing and factory completion."""
STOCK_ACTION_BASIS: dict[str, str] = {
    "reclaim": "《闲置土地处置办法》（国土资源部令第53号）第十四条第二项：未动工开发满两年的，"
               "无偿收回国有建设用地使用权",
    "negotiate": "《闲置土地处置办法》第八条、第十二条：政府原因或闲置满一年的，协议有偿收回、置换或延长动工期限",
    "redevelop": "《关于深入推进城镇低效用地再开发的指导意见（试行）》（国土资发〔2016〕147号）："
                 "收购储备、兼并重组或自行改造",
}
"""The legal basis (依据) of each stock action of the plan (``plan --json`` actions' ``basis``)."""
STOCK_ACTION_VERBS: dict[str, str] = {"reclaim": "无偿收回", "negotiate": "协议收回/置换", "redevelop": "再开发"}
"""How reasons and unlocks say the action (「……可于 2027-03 前无偿收回」)."""
STOCK_WORDS: dict[str, str] = {
    "stock_hint": "另有{label}地块 {parcel}（{mu:.0f} 亩{days}）可于 {month} 前{verb}",
    "stock_days": "，闲置 {days:.0f} 天",
    "stock_unlock": "{verb}存量地块 {parcels}（共 {mu:.1f} 亩，{label}），估算费用 {cost:,.1f} 万元，"
                    "最早 {date} 可供地",
    "no_free_land": "{zone}没有可供土地",
    "stock_pipeline": "可盘活存量",
    "with_clearing": "并完成平整/拆迁地块 {count} 块（{mu:.1f} 亩，估算 {cost:,.1f} 万元）",
    "places": "，可安排 {count} 个项目",
}
"""Words of the stock actions in match's and fit's reasons and unlocks and in ``available``."""
STOCK_NEXT_STEPS: dict[str, str] = {
    "gov_delay": "政府原因：与受让人协商延长动工期限（不超过一年）、调整用途、协议有偿收回或置换，不征闲置费"
                 "（《闲置土地处置办法》第十二条）",
    "reclaimable": "满两年未动工：报县政府批准后下达《收回国有建设用地使用权决定书》，无偿收回（第十四条第二项）",
    "idle": "满一年未动工：调查认定闲置，下达《征缴土地闲置费决定书》，按价款 20% 征缴闲置费；满两年可无偿收回"
            "（第十四条第一项）",
    "overdue": "逾期未动工：发函督促动工；满一年将认定为闲置土地（第二条）",
    "due_soon": "临近约定动工日期：提醒受让人按期动工",
    "completion_overdue": "逾期未竣工：督促竣工，按出让合同追究违约责任",
    "low_efficiency": "D 档企业用地：纳入低效用地再开发（收购储备、兼并重组或企业自行改造，国土资发〔2016〕147号）",
    "approved_unsupplied": "批而未供：尽快组织供地，或按增存挂钩规定处置（自然资规〔2018〕1号）",
    "normal": "",
}
"""The next legal step (下一步处置) of each stock class, shown with its deadline (``stock --json`` next_step)."""
STOCK_LABELS: dict[str, str] = {
    "title": "存量土地盘活", "class": "分类", "days_overdue": "逾期天数", "fee_wan": "闲置费（万元）",
    "next_step": "下一步处置", "deadline": "期限", "land_mu": "用地（亩）", "score": "综合得分", "grade": "评价档次",
    "tax_per_mu": "亩均税收（万元/亩）", "revenue_per_mu": "亩均营收（万元/亩）",
    "revenue_per_employee": "人均营收（万元/人）", "revenue_per_energy": "单位能耗营收（万元/吨标煤）",
    "rd_intensity": "研发投入强度（%）", "fees_wan": "应征闲置费（万元）", "parcels": "存量地块",
    "firms": "亩均效益评价", "totals": "按分类合计", "as_of": "截至", "not_graded": "不参评",
}
"""Headers and words of the stock report (``stock`` command, 存量盘活 page, briefing)."""
FIRM_GRADES: tuple[str, ...] = ("A", "B", "C", "D")
"""亩均效益 grades, best first."""
STOCK_CLASS_COLORS: dict[str, str] = {
    "gov_delay": "#7b2cbf", "reclaimable": "#c1121f", "idle": "#e8663d", "overdue": "#f2b705",
    "due_soon": "#ffd166", "completion_overdue": "#b5838d", "low_efficiency": "#6d4c41",
    "approved_unsupplied": "#219ebc", "normal": "#bdbdbd",
}
"""The map colour of each stock class (存量盘活 page, 用地一张图 popups' legend): the one place they are defined."""
STOCK_PAGE_LABELS: dict[str, str] = {
    "zone_name": "园区", "sheet_title": "存量土地处置督办单", "sheet_name": "督办单", "file_stem": "存量土地督办单",
    "download": "下载督办单（Excel）", "by_class_zone": "存量土地分类分园区面积（亩）", "grade_counts": "评价档次分布",
    "count": "企业数（家）", "map_layer": "地块（按存量分类着色）",
    "no_data": "工作空间中没有存量土地数据：在数据管理页导入含“约定动工日期”“实际动工日期”“出让价款”等列的土地台账，"
    "或用 `python cli.py import-firms` 导入亩均效益台账后，"
    "这里给出存量土地分类。", "bad_date": "截至日期无法识别", "stock_class_filter": "存量分类",
    "all_classes": "全部（不按存量分类筛选）",
}
"""The 存量盘活 page's headings, its 督办单 download and the map's stock-class filter."""
