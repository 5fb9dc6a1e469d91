"""team.uploads: the team mode's managed upload storage — the size checked before anything is written (a stream
read in chunks and given up past the limit), names that stay inside the account's folder, atomic writes, the
per-account quota, retention."""
from __future__ import annotations

import hashlib
import io
import os

import pytest

from geo.errors import LandGapError, UploadError
from geo.settings import Settings, load_settings, read_config
from team.uploads import CHUNK, MB, StoredUpload, UploadStore, safe_name, uploads_root

DAY = 86400.0


def store(tmp_path, max_file_mb=1.0, max_total_mb=3.0, keep_days=30.0) -> UploadStore:
    return UploadStore(tmp_path / "uploads", max_file_mb, max_total_mb, keep_days)


def files_under(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_saved_upload_is_recorded_under_the_account(tmp_path):
    s = store(tmp_path)
    data = "项目名称,产业\n甲,纺织鞋服\n".encode("utf-8")
    got = s.save("编辑员", "招商台账.csv", data, now=1_800_000_000.0)
    assert isinstance(got, StoredUpload) and got.path.read_bytes() == data
    assert got.path.parent.parent == s.root / "编辑员" and got.path.name == "招商台账.csv"
    assert (got.size, got.sha256, got.user, got.original_name, got.saved_at) == (
        len(data), hashlib.sha256(data).hexdigest(), "编辑员", "招商台账.csv", 1_800_000_000.0)
    assert s.list("编辑员") == [got] and s.list("别人") == [] and s.list() == [got]
    assert s.used("编辑员") == len(data)


def test_the_configured_section_and_the_root(tmp_path):
    cfg = load_settings({}).uploads
    assert cfg.max_file_mb > 0 and cfg.max_total_mb >= cfg.max_file_mb and cfg.keep_days > 0
    assert uploads_root("").parts[-2:] == ("var", "uploads")
    assert uploads_root(str(tmp_path)) == tmp_path
    env = {"LANDGAP_UPLOADS_DIR": str(tmp_path)}          # read by load_settings, used when [uploads] has no folder
    assert load_settings(env).uploads.directory == str(tmp_path)
    configured = Settings.from_dict({**read_config(), "uploads": {**read_config()["uploads"], "directory": "/srv/x"}},
                                    env)
    assert uploads_root(configured.uploads.directory).as_posix() == "/srv/x"
    assert UploadStore.from_settings(load_settings(env).uploads).root == tmp_path


def test_an_over_limit_file_is_refused_with_its_name_and_the_limit_and_nothing_is_written(tmp_path):
    s = store(tmp_path, max_file_mb=0.5)
    with pytest.raises(UploadError) as err:
        s.save("编辑员", "大图层.zip", b"x" * (MB // 2 + 1))
    assert "大图层.zip" in str(err.value) and "0.5 MB" in str(err.value) and "上限" in str(err.value)
    assert isinstance(err.value, LandGapError) and isinstance(err.value, ValueError)
    assert files_under(s.root) == []
    s.save("编辑员", "刚好.zip", b"x" * (MB // 2))                 # exactly the limit is allowed
    assert len(s.list("编辑员")) == 1


class Stream:
    """A stream of ``total`` bytes that fails the test when read beyond ``allowed`` bytes (never read whole)."""

    def __init__(self, total: int, allowed: int):
        self.total, self.allowed, self.read_so_far = total, allowed, 0

    def read(self, n: int = -1) -> bytes:
        assert n > 0, "read() without a size reads the whole stream"
        n = min(n, self.total - self.read_so_far)
        self.read_so_far += n
        assert self.read_so_far <= self.allowed, f"read {self.read_so_far} bytes of an over-limit stream"
        return b"y" * n


def test_a_stream_is_read_in_chunks_and_given_up_past_the_limit(tmp_path):
    s = store(tmp_path, max_file_mb=2.0)
    huge = Stream(total=50 * MB, allowed=2 * MB + CHUNK)
    with pytest.raises(UploadError, match="巨大.shp"):
        s.save("编辑员", "巨大.shp", huge)
    assert 2 * MB < huge.read_so_far <= 2 * MB + CHUNK and files_under(s.root) == []


def test_a_generator_of_chunks_is_given_up_past_the_limit(tmp_path):
    s = store(tmp_path, max_file_mb=1.0)
    pulled = []

    def chunks():
        for i in range(100):
            pulled.append(i)
            if i > 2:
                raise AssertionError("pulled past limit + one chunk")
            yield b"z" * (MB // 2)
    with pytest.raises(UploadError):
        s.save("编辑员", "x.csv", chunks())
    assert pulled == [0, 1, 2] and files_under(s.root) == []
    small = s.save("编辑员", "small.csv", iter([b"a" * 10, b"b" * 5]))
    assert small.path.read_bytes() == b"a" * 10 + b"b" * 5 and small.size == 15


def test_an_uploaded_file_object_with_a_size_is_checked_before_reading(tmp_path):
    class Uploaded(io.BytesIO):
        name, size = "台账.xlsx", 5 * MB

        def read(self, *a):
            raise AssertionError("read although its size is over the limit")
    with pytest.raises(UploadError, match="台账.xlsx"):
        store(tmp_path).save("编辑员", "台账.xlsx", Uploaded())


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd", "passwd"), ("..\\x", "x"), ("..\\..\\windows\\system.ini", "system.ini"),
    ("/abs/path/地块图层.shp", "地块图层.shp"), ("地块图层（2026）.shp", "地块图层（2026）.shp"),
    ("..", "upload"), ("", "upload"), (".hidden", "hidden"), ("a\x00b<c>.csv", "a_b_c_.csv"),
    ("C:\\Users\\张三\\招商台账.xlsx", "招商台账.xlsx"), ("trailing. ", "trailing"),
])
def test_names_keep_only_their_last_component_and_their_chinese(name, expected):
    assert safe_name(name) == expected


def test_a_long_name_is_cut_below_the_file_system_limit_keeping_its_extension():
    cut = safe_name("很长的名字" * 40 + ".geojson")
    assert cut.endswith(".geojson") and len(cut.encode("utf-8")) <= 200 and cut.startswith("很长的名字")


def test_a_traversal_name_is_stored_inside_the_accounts_folder(tmp_path):
    s = store(tmp_path)
    for name in ("../../etc/passwd", "..\\..\\x.csv", "../编辑员2/偷.csv"):
        got = s.save("编辑员", name, b"data")
        assert got.path.resolve().is_relative_to((s.root / "编辑员").resolve()) and got.original_name == name
    assert {p.name for p in (s.root).iterdir()} == {"编辑员"}
    with pytest.raises(UploadError):
        s.user_dir("..")


def test_a_failure_mid_write_leaves_no_partial_file(tmp_path, monkeypatch):
    s = store(tmp_path)

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        s.save("编辑员", "台账.csv", b"half" * 1000)
    assert files_under(s.root) == [] and s.list("编辑员") == []
    monkeypatch.undo()
    assert s.save("编辑员", "台账.csv", b"whole").path.read_bytes() == b"whole"


def test_the_quota_counts_what_the_account_keeps(tmp_path):
    s = store(tmp_path, max_file_mb=1.0, max_total_mb=2.0)
    s.save("编辑员", "a.bin", b"a" * MB)
    s.save("编辑员", "b.bin", b"b" * MB)
    with pytest.raises(UploadError) as err:
        s.save("编辑员", "c.bin", b"c")
    assert "c.bin" in str(err.value) and "2 MB" in str(err.value) and "编辑员" in str(err.value)
    assert len(s.list("编辑员")) == 2
    assert s.save("另一位", "c.bin", b"c").size == 1             # the quota is per account


def test_a_batch_is_checked_together_and_stored_whole_or_not_at_all(tmp_path):
    s = store(tmp_path, max_file_mb=1.0, max_total_mb=3.0)
    with pytest.raises(UploadError, match="地块.dbf"):
        s.save_all("编辑员", [("地块.shp", b"s" * 10), ("地块.dbf", b"d" * (MB + 1))])
    assert files_under(s.root) == []
    with pytest.raises(UploadError):                               # a stream over the limit after one stored
        s.save_all("编辑员", [("地块.shp", b"s" * 10), ("地块.dbf", Stream(2 * MB, 2 * MB))])
    assert files_under(s.root) == []
    done = s.save_all("编辑员", [("地块.shp", b"s"), ("地块.shx", b"x"), ("地块.dbf", b"d")])
    assert [d.path.name for d in done] == ["地块.shp", "地块.shx", "地块.dbf"] and len(s.list("编辑员")) == 3


def test_the_same_file_saved_again_is_kept_once(tmp_path):
    s = store(tmp_path)
    first = s.save("编辑员", "台账.csv", b"same", now=1000.0)
    again = s.save("编辑员", "台账.csv", b"same", now=2000.0)
    assert again == first and len(s.list("编辑员")) == 1
    assert s.save("编辑员", "台账.csv", b"changed", now=3000.0) != first and len(s.list("编辑员")) == 2


def test_purge_removes_uploads_older_than_keep_days(tmp_path):
    s = store(tmp_path, keep_days=30)
    now = 1_800_000_000.0
    old = s.save("编辑员", "旧.csv", b"old", now=now - 31 * DAY)
    recent = s.save("编辑员", "新.csv", b"new", now=now - 29 * DAY)
    other = s.save("管理员", "旧2.csv", b"old2", now=now - 40 * DAY)
    gone = s.purge(now)
    assert sorted(gone) == sorted([old.path.parent, other.path.parent])
    assert not old.path.exists() and not other.path.exists() and recent.path.exists()
    assert s.list() == [recent]
    stray = s.root / "编辑员" / "stray-folder"                    # no record: its age on disk decides
    stray.mkdir()
    os.utime(stray, (now - 60 * DAY, now - 60 * DAY))
    assert s.purge(now) == [stray] and not stray.exists()
    assert store(tmp_path / "nowhere").purge(now) == []


def test_a_refused_batch_keeps_what_was_stored_before_it(tmp_path):
    s = store(tmp_path, max_file_mb=1.0)
    kept = s.save("编辑员", "地块.shp", b"s")
    with pytest.raises(UploadError):
        s.save_all("编辑员", [("地块.shp", b"s"), ("地块.dbf", Stream(2 * MB, 2 * MB))])
    assert s.list("编辑员") == [kept] and kept.path.exists()


def test_a_streamed_upload_is_held_once_in_memory(tmp_path):
    import tracemalloc
    size = 48 * MB
    s = store(tmp_path, max_file_mb=64.0, max_total_mb=200.0)

    def chunks():
        for _ in range(size // CHUNK):
            yield bytes(CHUNK)
    tracemalloc.start()
    try:
        stored = s.save("编辑员", "大图层.zip", chunks())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert stored.size == size and stored.path.stat().st_size == size
    assert peak < 1.5 * size                     # not a list of chunks plus their join (twice the file)
