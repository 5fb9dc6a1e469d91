"""Zips judged by what they really hold: members whose headers misstate their size (bzip2 and deflate), many-member
bombs, damaged and encrypted members — refused early with a Chinese message naming the zip, memory bounded, and
nothing left behind in the temp directory or the target folder."""
from __future__ import annotations

import bz2
import io
import struct
import tempfile
import tracemalloc
import warnings
import zipfile
import zlib

import pytest

from formats import FormatError
from formats.layer_import import import_layer
from formats.shapefile import read_parcel_layer
from formats.unzip import unpack
from geo.errors import LayerFileError, WorkspaceError
from geo.settings import load_settings
from stores.archive import open_archive
from tests.formats.test_import_formats import layer, shp_parts

SETTINGS = load_settings()
MiB = 1024 ** 2

warnings.filterwarnings("ignore", category=RuntimeWarning)


def lie_about_size(data: bytes, declared: int) -> bytes:
    """``data`` (a zip) with every member's uncompressed size, in its local header and its central directory entry,
    rewritten as ``declared`` — a zip whose headers lie."""
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = out.find(sig)
        while at >= 0:
            out[at + offset:at + offset + 4] = struct.pack("<L", declared)
            at = out.find(sig, at + 4)
    return bytes(out)


def zip_with(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, body in members.items():
            z.writestr(name, body)
    return buf.getvalue()


def many_member_bomb(count: int, size: int) -> bytes:
    """``count`` members of ``size`` zero bytes, deflated once and repeated (zipfile would compress each again)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = comp.compress(bytes(size)) + comp.flush()
    crc = zlib.crc32(bytes(size))
    body, central = bytearray(), bytearray()
    for i in range(count):
        name = f"part{i:03d}.bin".encode()
        offset = len(body)
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(raw), size, len(name), 0)
        body += name + raw
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(raw), size, len(name),
                               0, 0, 0, 0, 0, offset) + name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central), len(body), 0)
    return bytes(body + central + end)


@pytest.fixture(scope="module")
def bzip2_liar() -> bytes:
    """A few hundred bytes: a bzip2 member of 256 MiB of zeros whose headers say 1,000 bytes."""
    data = zip_with({"地块.shp": bytes(256 * MiB)}, zipfile.ZIP_BZIP2)
    assert len(data) < 1500
    return lie_about_size(data, 1000)


def peak_of(call) -> int:
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_a_bzip2_member_lying_about_its_size_is_refused_early_with_memory_bounded(bzip2_liar, tmp_path):
    def refused():
        with pytest.raises(FormatError, match="声明的大小.*压缩炸弹"):
            unpack(bzip2_liar, "小.zip", tmp_path)
    assert peak_of(refused) < 16 * MiB             # zipfile itself decompresses the whole member in one call
    assert list(tmp_path.iterdir()) == []


def test_a_deflate_member_claiming_less_than_it_holds_is_refused(tmp_path):
    data = lie_about_size(zip_with({"a/地块.shp": bytes(5 * MiB)}), 1000)
    with pytest.raises(FormatError, match="声明的大小"):
        unpack(data, "改过.zip", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_member_claiming_more_than_it_holds_is_damaged_not_a_traceback(tmp_path):
    data = lie_about_size(zip_with({"地块.shp": b"x" * 5000}), 9000)
    with pytest.raises(FormatError, match="已损坏"):
        unpack(data, "短.zip", tmp_path)


def test_a_flipped_byte_is_named_as_damage(tmp_path):
    data = bytearray(zip_with({"地块.shp": bytes(range(256)) * 400}))
    data[60] ^= 0xFF
    with pytest.raises(FormatError, match="坏.zip.*已损坏"):
        unpack(bytes(data), "坏.zip", tmp_path)


def test_many_members_are_refused_by_the_total_budget_before_two_gigabytes(tmp_path, monkeypatch):
    data = many_member_bomb(127, 16 * MiB)                # 2 GB in all; each member on its own passes
    written = []
    real_open = open

    def counting_open(path, mode="r", *args, **kw):
        f = real_open(path, mode, *args, **kw)
        if "w" in mode:
            written.append(path)
        return f
    monkeypatch.setattr("builtins.open", counting_open)
    with pytest.raises(FormatError, match="压缩炸弹"):
        unpack(data, "炸弹.zip", tmp_path)
    assert 0 < len(written) < 40                          # refused after a few hundred MB at most
    assert list(tmp_path.iterdir()) == []


def test_an_import_of_a_bomb_leaves_the_temp_directory_as_it_was(tmp_path, monkeypatch, ws_path, bzip2_liar):
    from stores.gpkg_file import load_workspace
    ws = load_workspace(ws_path, SETTINGS)
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    for name, data in (("炸弹.zip", many_member_bomb(40, 16 * MiB)), ("小.zip", bzip2_liar)):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(FormatError, match="压缩炸弹"):
            import_layer(ws, "parcels", tmp_path / name)
        assert list(temp.iterdir()) == []
    parts = shp_parts(layer(), tmp_path / "s")             # and after a success
    (tmp_path / "好.zip").write_bytes(zip_with(parts))
    import_layer(ws, "parcels", tmp_path / "好.zip")
    assert list(temp.iterdir()) == []


def test_a_zipped_shapefile_is_read_by_what_it_holds(tmp_path, bzip2_liar):
    with pytest.raises(LayerFileError, match="压缩炸弹"):
        read_parcel_layer(bzip2_liar, "小.zip")
    with pytest.raises(LayerFileError, match="不是有效的 zip"):
        read_parcel_layer(b"PK\x03\x04 not really", "假.zip")
    parts = shp_parts(layer(), tmp_path / "s")
    assert len(read_parcel_layer(zip_with(parts, zipfile.ZIP_BZIP2), "好.zip").frame) == 2


def test_a_workspace_archive_is_read_by_what_it_holds(tmp_path, bzip2_liar):
    data = lie_about_size(zip_with({"县域.gpkg": bytes(64 * MiB)}, zipfile.ZIP_BZIP2), 4096)
    folder = tmp_path / "up"
    folder.mkdir()
    (folder / "县域.gpkg").write_bytes(b"the earlier upload")
    with pytest.raises(WorkspaceError, match="压缩炸弹"):
        open_archive(data, "县域.zip", folder)
    assert [p.name for p in folder.iterdir()] == ["县域.gpkg"]
    assert (folder / "县域.gpkg").read_bytes() == b"the earlier upload"
    good = zip_with({"县域.gpkg": b"sqlite" * 1000}, zipfile.ZIP_BZIP2)
    assert open_archive(good, "县域.zip", folder).read_bytes() == b"sqlite" * 1000


def test_an_encrypted_member_is_named(tmp_path):
    data = bytearray(zip_with({"地块.shp": b"abc"}, zipfile.ZIP_STORED))
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(sig)
        data[at + offset] |= 1
    with pytest.raises(FormatError, match="已加密"):
        unpack(bytes(data), "密.zip", tmp_path)


def test_bzip2_is_honoured(tmp_path):
    body = bz2.compress(b"x")                                # any content
    got = unpack(zip_with({"目录/说明.txt": body}, zipfile.ZIP_BZIP2), "正常.zip", tmp_path)
    assert [p.read_bytes() for p in got] == [body]
