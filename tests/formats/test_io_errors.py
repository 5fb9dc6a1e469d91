"""A file LandGap cannot reach — missing, unreadable, a folder it cannot write — is a WorkspaceIOError: caught by
``except OSError`` and by ``except WorkspaceError`` alike, with a Chinese message naming the file."""
import os
import re

import pytest

from geo.errors import WorkspaceError, WorkspaceIOError
from geo.settings import load_settings
from geo.workspace import build_workspace
from tests.conftest import make_layers, parcel, validated_by

SETTINGS = load_settings()   # loaded once, as the CLI and the app do

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0      # root reads and writes through any permission bits


def assert_io_error(call, path):
    """``call`` raises a WorkspaceIOError that both ``except OSError`` and ``except WorkspaceError`` catch."""
    for caught in (OSError, WorkspaceError):
        with pytest.raises(caught) as err:
            call()
        assert isinstance(err.value, WorkspaceIOError)
        message = str(err.value)
        assert str(path) in message and re.search(r"[\u4e00-\u9fff]", message), message
    return message


@pytest.fixture
def ws():
    ws, report = build_workspace(make_layers([parcel("P1", (0, 0, 100, 100))]), **validated_by(SETTINGS))
    assert report.ok, report.issues
    return ws


def test_a_missing_workspace_is_an_io_error(tmp_path):
    from stores.gpkg_file import load_workspace, read_workspace
    path = tmp_path / "没有.gpkg"
    assert "不存在" in assert_io_error(lambda: read_workspace(path, SETTINGS), path)
    assert_io_error(lambda: load_workspace(path, SETTINGS), path)


def test_an_unreadable_workspace_is_an_io_error(tmp_path):
    from stores.gpkg_file import read_workspace
    folder = tmp_path / "像文件的文件夹.gpkg"
    folder.mkdir()
    assert_io_error(lambda: read_workspace(folder, SETTINGS), folder)


@pytest.mark.skipif(AS_ROOT, reason="root reads a file whatever its permission bits")
def test_a_workspace_without_read_permission_is_an_io_error(tmp_path, ws):
    from stores.gpkg_file import read_workspace, save_workspace
    path = save_workspace(ws, tmp_path / "w.gpkg")
    path.chmod(0)
    try:
        assert "权限" in assert_io_error(lambda: read_workspace(path, SETTINGS), path)
    finally:
        path.chmod(0o644)


def test_a_file_the_system_refuses_to_open_is_an_io_error_saying_so(tmp_path, ws, monkeypatch):
    import formats.fileio
    from stores.gpkg_file import read_workspace, save_workspace
    path = save_workspace(ws, tmp_path / "w.gpkg")

    def refuse(file, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(file))
    monkeypatch.setattr(formats.fileio, "open", refuse, raising=False)      # as a non-root user with chmod 000
    assert "没有访问权限" in assert_io_error(lambda: read_workspace(path, SETTINGS), path)


def test_a_readable_file_that_is_no_geopackage_is_not_an_io_error(tmp_path):
    from stores.gpkg_file import read_workspace
    bad = tmp_path / "x.gpkg"
    bad.write_text("not a database")
    with pytest.raises(WorkspaceError, match="无法打开") as err:
        read_workspace(bad, SETTINGS)
    assert not isinstance(err.value, OSError)


def test_saving_where_no_folder_can_be_made_is_an_io_error(tmp_path, ws):
    from formats.fileio import write_atomic
    from stores.gpkg_file import save_workspace
    blocker = tmp_path / "是文件"
    blocker.write_text("x")
    target = blocker / "w.gpkg"
    assert_io_error(lambda: save_workspace(ws, target), blocker)
    assert_io_error(lambda: write_atomic(target, b"data"), blocker)
    assert blocker.read_text() == "x"


@pytest.mark.skipif(AS_ROOT, reason="root writes into a folder whatever its permission bits")
def test_saving_into_a_read_only_folder_is_an_io_error(tmp_path, ws):
    from stores.gpkg_file import save_workspace
    folder = tmp_path / "只读"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert_io_error(lambda: save_workspace(ws, folder / "w.gpkg"), folder)
    finally:
        folder.chmod(0o755)


def test_a_failing_replace_is_an_io_error_and_leaves_the_old_file(tmp_path, ws, monkeypatch):
    from stores.gpkg_file import save_workspace
    path = save_workspace(ws, tmp_path / "w.gpkg")
    before = path.read_bytes()

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))
    monkeypatch.setattr(os, "replace", refuse)
    assert "原文件未改动" in assert_io_error(lambda: save_workspace(ws, path), path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["w.gpkg"]


def test_missing_dem_ledger_and_archive_target_are_io_errors(tmp_path):
    from formats.dem import read_dem
    from formats.ledger import read_ledger
    from stores.archive import open_archive, workspace_archive
    assert_io_error(lambda: read_dem(tmp_path / "无.dem.tif"), tmp_path / "无.dem.tif")
    assert_io_error(lambda: read_ledger(tmp_path / "台账.xlsx"), tmp_path / "台账.xlsx")
    blocker = tmp_path / "是文件"
    blocker.write_text("x")
    data = workspace_archive(b"gpkg bytes", "县域.gpkg", None)
    assert_io_error(lambda: open_archive(data, "县域.zip", blocker / "up"), blocker)
