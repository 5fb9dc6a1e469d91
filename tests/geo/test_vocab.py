"""The label catalogue: every user-facing label with a unit lives in geo/vocab.py (and the sections it re-exports,
geo/vocab_*.py) and is looked up by key."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNIT_LABEL = re.compile(r"（(亩|m²|亿元)）")
SKIP_DIRS = {".venv", "tests", "bench", "static", "assets", "artifacts", ".git"}


def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in SKIP_DIRS or (rel.parent == Path("geo") and rel.name.startswith("vocab")):
            continue
        yield rel, path.read_text(encoding="utf-8")


def _docstrings(tree) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):   # attribute docstrings
            ids.add(id(node.value))
    return ids


def unit_label_literals() -> list[str]:
    """``file:line: text`` of every string literal (f-string parts included, docstrings not) with a unit label."""
    found = []
    for rel, text in _sources():
        tree = ast.parse(text)
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip \
                    and UNIT_LABEL.search(node.value):
                found.append(f"{rel}:{node.lineno}: {node.value}")
    return found


def test_no_unit_label_literal_outside_the_catalogue():
    assert unit_label_literals() == []


def test_the_check_finds_a_label_literal(tmp_path):
    """The scan itself: a planted literal is found, a docstring is not."""
    code = ('def f():\n    """需用地（亩） in a docstring is prose."""\n'
            '    return {"x": "需用地（亩）", "y": f"{1}（亿元）"}\n')
    tree = ast.parse(code)
    skip = _docstrings(tree)
    hits = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in skip and UNIT_LABEL.search(n.value)]
    assert hits == ["需用地（亩）", "（亿元）"]


def test_one_spelling_per_field():
    from geo import vocab
    values = list(vocab.FIELD_LABELS.values())
    assert len(values) == len(set(values)), "two fields share a label"
    # the variants the review found are gone: one name for available land, a project's need, the unzoned row
    everything = [*values, *vocab.GAP_ZONE_LABELS.values(), vocab.UNZONED_LABEL]
    for variant in ("可供（亩）", "可供地（亩）", "拟用地（亩）", "需地（亩）", "需求用地（亩）", "未指定园区"):
        assert variant not in everything, variant
    assert vocab.FIELD_LABELS["land_mu"].startswith(vocab.NEED_LABEL)
    assert vocab.FIELD_LABELS["gap_mu"].startswith(vocab.SHORTFALL_LABEL)
    assert vocab.NEED_LABEL not in vocab.GAP_ZONE_LABELS["unplaced_gap_mu"]
