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


def test_the_firms_ledger_is_imported_on_the_data_page_and_saved_through_the_store(team, settings,  # noqa: F811
                                                                                    uploads):  # noqa: F811
    """Issue 19: 数据管理 → 导入亩均效益台账: the firms table gains the ledger's firm, a bad ledger is listed by Excel
    row and nothing changes, and 保存到文件 writes the firm through the store (audited under the account)."""
    from stores import open_store
    path, db = team
    _, give = uploads
    good = "企业编号,企业名称,宗地号,营业收入（亿元）,税收（万元）\nQY-777,页面导入企业,QDB-003-2、QDB-003-3,1.5,60\n"
    give("firm_ledger_upload", [("亩均.csv", good.encode("gbk"))])
    at = AppTest.from_file(DATA, default_timeout=120)
    at.session_state["auth_token"] = login_token(db, settings, "编辑员")
    at.run()
    at.button(key="firm_ledger_import").click().run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    firms = at.session_state["ws_edited"].firms
    assert firms.at["QY-777", "revenue_wan"] == 15000 and firms.at["QY-777", "parcel_ids"] == "QDB-003-2;QDB-003-3"
    save = next(b for b in at.button if b.label == "保存到文件")
    save.click().run()
    assert not at.exception, [e.value for e in at.exception]
    with open_store(path, settings) as store:
        assert store.load().firms.at["QY-777", "tax_wan"] == 60
        assert [(e.layer, e.id, e.by) for e in store.history()] == [("firms", "QY-777", "编辑员")]
    give("firm_ledger_upload", [("坏.csv", "企业编号,企业名称,宗地号\nQY-778,坏企业,NOPE-1\n".encode())])
    at.button(key="firm_ledger_import").click().run()
    assert at.error and "未导入" in at.error[0].value
    with open_store(path, settings) as store:
        assert "QY-778" not in store.load().firms.index
    if "ws_edited" in at.session_state:
        assert "QY-778" not in at.session_state["ws_edited"].firms.index
