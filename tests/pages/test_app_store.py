"""The 数据管理 page saves through the store: only the rows that changed, version-checked, audited; a save that
would overwrite someone else's change is refused with their name, and nothing is written."""
from __future__ import annotations

import getpass
import shutil
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from streamlit.testing.v1 import AppTest

from geo.settings import load_settings
from stores import open_store

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture
def county(sample_path, tmp_path, monkeypatch):
    path = tmp_path / "county.gpkg"
    shutil.copy(sample_path, path)
    monkeypatch.setenv("LANDGAP_WORKSPACE", str(path))
    monkeypatch.delenv("LANDGAP_TIANDITU_KEY", raising=False)
    return path


def _add_prospect(at, name: str):
    """项目选址 → check a small prospect → 加入招商项目表: an edit of the session's workspace."""
    at.switch_page("pages/fit_page.py").run()
    at.text_input(key="fit_name").set_value(name)
    at.number_input(key="fit_amount").set_value(20.0)
    at.button(key="fit_submit").click().run()
    at.button(key="fit_save").click().run()
    assert not at.exception, [e.value for e in at.exception]


def _save(at):
    at.switch_page("pages/data_page.py").run()
    next(b for b in at.button if b.label == "保存到文件").click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_save_writes_only_the_new_row_and_audits_it(county):
    before = pyogrio.read_dataframe(county, layer="projects")
    at = AppTest.from_file(APP, default_timeout=120).run()
    _add_prospect(at, "页面保存测试项目")
    _save(at)
    assert at.success and "已保存" in at.success[0].value, [e.value for e in at.error]
    after = pyogrio.read_dataframe(county, layer="projects")          # read back by GDAL
    assert len(after) == len(before) + 1 and "页面保存测试项目" in set(after["name"])
    with open_store(county, SETTINGS) as store:
        changes = store.history()
    assert [(c.layer, c.action) for c in changes] == [("projects", "insert")]
    assert changes[0].after["name"] == "页面保存测试项目" and changes[0].by == getpass.getuser()
    # every other project row as it was (the whole-file rewrite is gone)
    old = before.drop(columns="geometry", errors="ignore").set_index("project_id")
    new = after.set_index("project_id").loc[old.index, old.columns]
    pd.testing.assert_frame_equal(new, old, check_dtype=False)


def test_a_save_over_someone_elses_change_is_refused_and_writes_nothing(county):
    at = AppTest.from_file(APP, default_timeout=120).run()
    _add_prospect(at, "甲科室的项目")
    new_id = at.session_state["ws_edited"].projects.index[-1]
    # meanwhile another editor (the CLI, another session) adds a project under the same new id
    with open_store(county, SETTINGS) as store:
        ws = store.load()
        row = ws.projects.loc[[ws.projects.index[0]]].assign(project_id=new_id, name="乙科室的项目")
        store.save(ws, ws.with_projects(pd.concat([ws.projects, row], ignore_index=True)), "乙")
    _save(at)
    assert at.error and "乙" in at.error[0].value and new_id in at.error[0].value
    with open_store(county, SETTINGS) as store:
        names = set(store.load().projects["name"])
        assert "乙科室的项目" in names and "甲科室的项目" not in names      # nothing of the refused save
        assert len(store.history()) == 1
    next(b for b in at.button if b.label == "放弃本次修改并重新读取").click().run()
    assert "ws_edited" not in at.session_state
