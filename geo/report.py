"""The load report: every problem found in a workspace, each naming its layer, row and field."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

LEVEL_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}


@dataclass
class Issue:
    level: str                 # "error" | "warning" | "info"
    layer: str
    code: str                  # stable machine code, e.g. DUPLICATE_ID
    message: str               # Chinese sentence for people
    row: object = None         # the feature's fid in the file; for an edited table, its row number from 1
    field: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["row"] is not None:
            d["row"] = int(d["row"]) if str(d["row"]).lstrip("-").isdigit() else str(d["row"])
        return d

    def __str__(self) -> str:
        where = self.layer
        if self.row is not None:
            where += f" 第 {self.row} 条"
        if self.field:
            where += f" 字段 {self.field}"
        return f"[{LEVEL_LABELS.get(self.level, self.level)}] {where}：{self.message}"


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
