"""Zips from elsewhere, unpacked safely: GBK member names decoded (Chinese Windows writes them without the UTF-8
flag), nothing written outside the target folder (zip-slip refused), no zip bomb, .kmz/.ovkmz being zips of a KML.

A zip is judged by what it really holds, not by what its headers claim: every member is decompressed here, a chunk
at a time with a bound on each chunk's output (``zipfile`` decompresses a bzip2 chunk whole: 1.5 KB can become GBs
in memory), against a byte budget per member and across members; a member yielding more than its header declared,
or more than ``MAX_RATIO`` times the zip's size in all, is refused as soon as it does. Whatever was written before a
refusal is removed again.
"""
from __future__ import annotations

import bz2
import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from formats import FormatError
from formats.encoding import zip_member_name
from geo.errors import LandGapError

MAX_TOTAL_BYTES = 2 * 1024 ** 3
"""The most a zip may unpack to (2 GiB: a county's 三调 FileGDB is a few hundred MB)."""
MAX_RATIO = 200
"""The largest compression ratio a member, or the whole zip, may have past ``RATIO_MIN_BYTES`` (a bomb's is 1000:1;
GIS data compresses 3–20:1)."""
RATIO_MIN_BYTES = 16 * 1024 ** 2
MAX_MEMBERS = 20_000
CHUNK = 1 << 20
"""At most this many bytes are decompressed at a time (memory stays bounded whatever a member holds)."""
_METHODS = {zipfile.ZIP_STORED: "存储", zipfile.ZIP_DEFLATED: "Deflate", zipfile.ZIP_BZIP2: "BZIP2"}
_LOCAL = struct.Struct("<4s5H3L2H")


class Budget:
    """Bytes a zip may still unpack to: ``total`` across members; a member may also not exceed its declared size
    nor, past ``RATIO_MIN_BYTES``, ``MAX_RATIO`` times its compressed size; nor may the zip as a whole."""

    def __init__(self, zip_name: str, zip_size: int, total: int = MAX_TOTAL_BYTES, error=FormatError):
        self.zip_name, self.zip_size, self.total, self.error = zip_name, zip_size, total, error
        self.used = 0

    def bomb(self, what: str) -> Exception:
        return self.error(f"{self.zip_name}：{what}，疑似压缩炸弹，拒绝导入")

    def take(self, info: zipfile.ZipInfo, member_bytes: int, n: int) -> None:
        """Count ``n`` more bytes of ``info`` (``member_bytes`` of it so far, these included)."""
        self.used += n
        name = zip_member_name(info)
        if member_bytes > info.file_size:
            raise self.bomb(f"“{name}”解压出的数据超过其声明的大小（声明 {info.file_size} 字节）")
        if member_bytes > RATIO_MIN_BYTES and member_bytes > MAX_RATIO * max(info.compress_size, 1):
            raise self.bomb(f"“{name}”压缩比超过 {MAX_RATIO}:1（已解压 {member_bytes / 1024 ** 2:.0f} MB）")
        if self.used > self.total:
            raise self.bomb(f"解压后超过上限 {self.total / 1024 ** 2:.0f} MB")
        if self.used > RATIO_MIN_BYTES and self.used > MAX_RATIO * max(self.zip_size, 1):
            raise self.bomb(f"解压数据已达压缩包大小的 {MAX_RATIO} 倍以上（{self.used / 1024 ** 2:.0f} MB）")


def open_zip(data: bytes, zip_name: str, error=FormatError) -> zipfile.ZipFile:
    """``data`` as a ZipFile (``error`` naming ``zip_name`` when it is not one, or has too many members)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise error(f"{zip_name} 不是有效的 zip 压缩包：{exc}") from exc
    if len(z.infolist()) > MAX_MEMBERS:
        z.close()
        raise error(f"{zip_name}：压缩包有 {len(z.infolist())} 个文件，超过上限 {MAX_MEMBERS}")
    return z


def _raw(data: bytes, info: zipfile.ZipInfo, budget: Budget) -> memoryview:
    """The compressed bytes of ``info`` in ``data`` (read from its local header, as zipfile does)."""
    start = info.header_offset
    head = data[start:start + _LOCAL.size]
    if len(head) < _LOCAL.size or head[:4] != b"PK\x03\x04":
        raise budget.error(f"{budget.zip_name} 中的“{zip_member_name(info)}”已损坏（文件头无效）")
    fields = _LOCAL.unpack(head)
    begin = start + _LOCAL.size + fields[9] + fields[10]
    return memoryview(data)[begin:begin + info.compress_size]


def _decompressed(raw: memoryview, method: int) -> Iterator[bytes]:
    """The member's bytes, at most ``CHUNK`` at a time whatever their compression ratio."""
    if method == zipfile.ZIP_STORED:
        for i in range(0, len(raw), CHUNK):
            yield bytes(raw[i:i + CHUNK])
        return
    dec = zlib.decompressobj(-15) if method == zipfile.ZIP_DEFLATED else bz2.BZ2Decompressor()
    for i in range(0, len(raw), CHUNK):
        piece = bytes(raw[i:i + CHUNK])
        while True:
            if method == zipfile.ZIP_DEFLATED:
                out = dec.decompress(piece, CHUNK)
                piece = dec.unconsumed_tail
                more = bool(piece)
            else:
                if dec.eof:
                    return
                out = dec.decompress(piece, CHUNK)
                piece = b""
                more = not dec.needs_input and not dec.eof
            if out:
                yield out
            if not more:
                break
    if method == zipfile.ZIP_DEFLATED:
        if tail := dec.flush(CHUNK):
            yield tail


def member_chunks(z: zipfile.ZipFile, data: bytes, info: zipfile.ZipInfo, budget: Budget) -> Iterator[bytes]:
    """The bytes of member ``info`` a chunk at a time, each counted against ``budget``; the error names a member
    that is encrypted, compressed in a way not supported, damaged (CRC), or larger than it or the budget allows."""
    name = zip_member_name(info)
    if info.flag_bits & 0x1:
        raise budget.error(f"{budget.zip_name} 中的“{name}”已加密，无法读取：请解密后重新打包")
    if info.compress_type not in _METHODS:
        raise budget.error(f"{budget.zip_name} 中的“{name}”使用了不支持的压缩方式（编号 {info.compress_type}）："
                           "请用常规 zip（Deflate）方式重新压缩")
    got, crc = 0, 0
    try:
        for chunk in _decompressed(_raw(data, info, budget), info.compress_type):
            got += len(chunk)
            budget.take(info, got, len(chunk))
            crc = zlib.crc32(chunk, crc)
            yield chunk
    except (zlib.error, OSError, EOFError, ValueError) as exc:
        if isinstance(exc, LandGapError):
            raise
        raise budget.error(f"{budget.zip_name} 中的“{name}”已损坏：{exc}") from exc
    if got != info.file_size or crc != info.CRC:
        raise budget.error(f"{budget.zip_name} 中的“{name}”已损坏（实际 {got} 字节，声明 {info.file_size} 字节；"
                           f"{'校验和不符' if crc != info.CRC else '大小不符'}）")


def read_member(z: zipfile.ZipFile, data: bytes, info: zipfile.ZipInfo, budget: Budget) -> bytes:
    """The whole member ``info`` (bounded by ``budget``: for small members such as a Shapefile's parts)."""
    buf = bytearray()
    for chunk in member_chunks(z, data, info, budget):
        buf += chunk
    return bytes(buf)


def write_member(z: zipfile.ZipFile, data: bytes, info: zipfile.ZipInfo, budget: Budget, target: Path) -> None:
    """Member ``info`` streamed into ``target`` (removed again when it fails)."""
    try:
        with open(target, "wb") as dst:
            for chunk in member_chunks(z, data, info, budget):
                dst.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _safe_parts(name: str, zip_name: str) -> tuple[str, ...]:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and path.parts[0].endswith(":")):
        raise FormatError(f"{zip_name}：压缩包中的“{name}”指向压缩包目录之外（路径穿越，zip-slip），为安全起见拒绝导入")
    return tuple(p for p in path.parts if p not in ("", "."))


def _declared(infos: list[zipfile.ZipInfo], zip_name: str) -> None:
    """Refuse at once what the headers themselves admit to (the streaming checks catch the ones that lie)."""
    total = sum(i.file_size for i in infos)
    if total > MAX_TOTAL_BYTES:
        raise FormatError(f"{zip_name}：解压后 {total / 1024 ** 3:.1f} GB，超过上限 "
                          f"{MAX_TOTAL_BYTES / 1024 ** 3:.0f} GB（疑似压缩炸弹），拒绝导入")
    for info in infos:
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise FormatError(f"{zip_name}：“{zip_member_name(info)}”压缩比 "
                              f"{info.file_size / max(info.compress_size, 1):.0f}:1（解压后 "
                              f"{info.file_size / 1024 ** 2:.0f} MB），疑似压缩炸弹，拒绝导入")


def unpack(data: bytes, zip_name: str, folder: Path) -> list[Path]:
    """Unpack ``data`` into ``folder``; the files written. Raises FormatError for a bad, unsafe or oversized zip,
    with nothing of it left in ``folder``."""
    out: list[Path] = []
    made: list[Path] = []
    budget = Budget(zip_name, len(data))
    with open_zip(data, zip_name) as z:
        infos = z.infolist()
        _declared(infos, zip_name)
        try:
            for info in infos:
                parts = _safe_parts(zip_member_name(info), zip_name)
                if not parts or parts[0] == "__MACOSX":
                    continue
                target = folder.joinpath(*parts)
                for parent in reversed([target, *target.parents] if info.is_dir() else list(target.parents)):
                    if not parent.exists() and folder in parent.parents:
                        parent.mkdir()
                        made.append(parent)
                if info.is_dir():
                    continue
                write_member(z, data, info, budget, target)
                out.append(target)
        except BaseException:
            for path in out:
                path.unlink(missing_ok=True)
            for path in reversed(made):
                if path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
            raise
    return out
