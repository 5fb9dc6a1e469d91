"""The load report: every problem found in a workspace, each naming its layer, row and field — and, when it is about
one feature, that feature by its id (地块编号 B1) and where it is (fid 1, 第 1 行, 台账第 5 行)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from geo.vocab import FIELD_LABELS, ROW_NAMES

LEVEL_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}


@dataclass
class Issue:
    level: str                 # "error" | "warning" | "info"
    layer: str
    code: str                  # stable machine code, e.g. DUPLICATE_ID
    detail: str                # the Chinese sentence a check writes (``message`` adds the feature it is about)
    row: object = None         # the feature's fid in the file; for an edited table, its row number from 1
    field: str | None = None
    feature: str | None = None   # the feature's id (parcel_id, zone_id …) when the issue is about one feature
    id_field: str | None = None  # the layer's id field, set with ``feature`` by ``LoadReport.name_features``
    rows: str | None = None      # how ``row`` counts (a key of ``ROW_NAMES``: fid, row, ledger); None = not named

    @property
    def about(self) -> str:
        """The feature named for people: '地块编号 B1（fid 1）'; '' when the issue is not about one feature."""
        if self.rows is None or self.row is None:
            return ""
        where = ROW_NAMES[self.rows].format(row=self.row)
        if self.feature is None:
            return where
        return f"{FIELD_LABELS.get(self.id_field, self.id_field)} {self.feature}（{where}）"

    @property
    def message(self) -> str:
        """The sentence shown to people: the feature it is about, then the detail."""
        return f"{self.about}：{self.detail}" if self.about else self.detail

    def to_dict(self) -> dict:
        row = self.row
        if row is not None:
            row = int(row) if str(row).lstrip("-").isdigit() else str(row)
        return {"level": self.level, "layer": self.layer, "code": self.code, "message": self.message, "row": row,
                "field": self.field, "feature": self.feature}

    def __str__(self) -> str:
        where = self.layer
        if self.about:
            where += f" {self.about}"
        elif self.row is not None:
            where += f" 第 {self.row} 条"
        if self.field:
            where += f" 字段 {self.field}"
        return f"[{LEVEL_LABELS.get(self.level, self.level)}] {where}：{self.detail}"


@dataclass
class LoadReport:
    source: str = ""
    issues: list[Issue] = field(default_factory=list)

    def add(self, level: str, layer: str, code: str, message: str, row=None, field: str | None = None) -> None:
        self.issues.append(Issue(level, layer, code, message, row, field))

    def error(self, layer: str, code: str, message: str, row=None, field: str | None = None) -> None:
        self.add("error", layer, code, message, row, field)

    def warning(self, layer: str, code: str, message: str, row=None, field: str | None = None) -> None:
        self.add("warning", layer, code, message, row, field)

    def info(self, layer: str, code: str, message: str, row=None, field: str | None = None) -> None:
        self.add("info", layer, code, message, row, field)

    def missing_layers(self, layers, required, present: set[str], source: str) -> None:
        """An error for each required layer absent from ``source``, a note for each optional one (an empty table)."""
        for name in layers:
            if name in present:
                continue
            if name in required:
                self.error(name, "MISSING_LAYER",
                           f"工作空间 {source} 缺少图层 {name}（现有：{', '.join(sorted(present))}）")
            else:
                self.info(name, "EMPTY_LAYER", f"没有图层 {name}，按空表处理")

    def name_features(self, layer: str, ids: pd.Series, rows: str = "fid") -> None:
        """Name the feature of every issue of ``layer`` that has a row and is not yet named: its id from ``ids``
        (indexed by row, named after the id field; a row without an id is named by ``rows`` alone)."""
        for issue in self.issues:
            if issue.layer != layer or issue.row is None or issue.rows is not None:
                continue
            issue.rows, issue.id_field = rows, ids.name
            value = ids.get(issue.row) if issue.row in ids.index else None
            issue.feature = None if value is None or pd.isna(value) or not str(value).strip() else str(value).strip()

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def codes(self) -> set[str]:
        return {i.code for i in self.issues}

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "ok": self.ok,
            "error_count": len(self.errors),
            "warning_count": len(self.warnings),
            "issues": [i.to_dict() for i in self.issues],
        }

    def summary(self) -> str:
        return f"{len(self.errors)} 个错误，{len(self.warnings)} 个警告"
