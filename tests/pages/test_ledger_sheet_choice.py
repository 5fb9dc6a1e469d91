"""数据管理 (AppTest): a workbook with several visible sheets that look like ledgers offers a choice of sheet, and the
chosen one is imported (a hidden obsolete sheet is never offered)."""
from __future__ import annotations

import io

import openpyxl
from streamlit.testing.v1 import AppTest

from tests.pages.test_team_app import DATA, login_token, team  # noqa: F401 (team mode with three accounts)
from tests.pages.test_team_uploads import uploads  # noqa: F401 (the uploader fake)


def _book() -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, name, state in (("旧台账", "旧表项目", "hidden"), ("内资", "内资项目", "visible"),
                               ("外资", "外资项目", "visible")):
        ws = book.create_sheet(title)
        ws.append(["项目名称", "产业", "阶段", "拟用地（亩）"])
        ws.append([name, "纺织鞋服", "在谈", 20])
        ws.sheet_state = state
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_several_ledger_sheets_offer_a_choice(team, settings, uploads):  # noqa: F811
    _, db = team
    _, give = uploads
    give("ledger_upload", [("两表台账.xlsx", _book())])
    at = AppTest.from_file(DATA, default_timeout=120)
    at.session_state["auth_token"] = login_token(db, settings, "编辑员")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    choice = at.selectbox(key="ledger_sheet")
    assert list(choice.options) == ["内资", "外资"]
    choice.select("外资").run()
    at.button(key="ledger_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    names = set(at.session_state["ws_edited"].projects["name"])
    assert "外资项目" in names and not {"内资项目", "旧表项目"} & names
