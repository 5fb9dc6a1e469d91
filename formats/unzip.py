"""Zips from elsewhere, unpacked safely: GBK member names decoded (Chinese Windows writes them without the UTF-8
flag), nothing written outside the target folder (zip-slip refused), no zip bomb (declared and actual sizes
bounded), .kmz/.ovkmz being zips of a KML."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath

from formats import FormatError
from formats.encoding import zip_member_name

MAX_TOTAL_BYTES = 2 * 1024 ** 3
"""The most a zip may unpack to (2 GiB: a county's 三调 FileGDB is a few hundred MB)."""
MAX_RATIO = 200
"""The largest compression ratio a member over ``RATIO_MIN_BYTES`` may have (a zip bomb's is 1000:1)."""
RATIO_MIN_BYTES = 16 * 1024 ** 2
MAX_MEMBERS = 20_000


def _safe_parts(name: str, zip_name: str) -> tuple[str, ...]:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and path.parts[0].endswith(":")):
        raise FormatError(f"{zip_name}：压缩包中的“{name}”指向压缩包目录之外（路径穿越，zip-slip），为安全起见拒绝导入")
    return tuple(p for p in path.parts if p not in ("", "."))


def unpack(data: bytes, zip_name: str, folder: Path) -> list[Path]:
    """Unpack ``data`` into ``folder``; the files written. Raises FormatError for a bad, unsafe or oversized zip."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FormatError(f"{zip_name} 不是有效的 zip 压缩包：{exc}") from exc
    out: list[Path] = []
    with z:
        infos = z.infolist()
        if len(infos) > MAX_MEMBERS:
            raise FormatError(f"{zip_name}：压缩包有 {len(infos)} 个文件，超过上限 {MAX_MEMBERS}")
        total = sum(i.file_size for i in infos)
        if total > MAX_TOTAL_BYTES:
            raise FormatError(f"{zip_name}：解压后 {total / 1024 ** 3:.1f} GB，超过上限 "
                              f"{MAX_TOTAL_BYTES / 1024 ** 3:.0f} GB（疑似压缩炸弹），拒绝导入")
        for info in infos:
            if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise FormatError(f"{zip_name}：“{zip_member_name(info)}”压缩比 "
                                  f"{info.file_size / max(info.compress_size, 1):.0f}:1（解压后 "
                                  f"{info.file_size / 1024 ** 2:.0f} MB），疑似压缩炸弹，拒绝导入")
        written = 0
        for info in infos:
            name = zip_member_name(info)
            parts = _safe_parts(name, zip_name)
            if not parts or parts[0] == "__MACOSX":
                continue
            target = folder.joinpath(*parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with z.open(info) as src, open(target, "wb") as dst:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > MAX_TOTAL_BYTES:
                        raise FormatError(f"{zip_name}：解压数据超过上限（疑似压缩炸弹），拒绝导入")
                    dst.write(chunk)
            out.append(target)
    return out

