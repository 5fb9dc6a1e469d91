"""Managed upload storage of the team mode: every uploaded file is saved on the server under the account that
uploaded it, then imported from there (a record of what was imported; limits a server can keep).

Layout: ``<root>/<account>/<id>/<name>`` with ``<id>/.meta.json`` beside it (original name, size, sha256, account,
time). The size is checked before anything is written — a stream is read in chunks and given up past the limit,
never read whole — then the per-account quota; the file is written atomically (``fileio.write_atomic``). Names
keep only their last component (no folders, no ``..``) and their Chinese characters. ``purge(now)`` removes uploads
older than ``[uploads] keep_days``. No Streamlit here: pages/uploads.py is the app's side.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import time
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Union

from formats.fileio import os_errors, write_atomic
from geo.errors import UploadError

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "var" / "uploads"
META = ".meta.json"
CHUNK = 1 << 20                       # a stream is read 1 MiB at a time
MB = 1024 * 1024
_MAX_NAME_BYTES = 200                 # below every common file system's 255-byte limit, with room for the id
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')      # control characters and what Windows refuses

Data = Union[bytes, bytearray, memoryview, BinaryIO, Iterable[bytes]]


def uploads_root(configured: str = "") -> Path:
    """The storage folder: ``configured`` (``Settings.uploads.directory``: ``[uploads] directory``, else
    $LANDGAP_UPLOADS_DIR), else var/uploads."""
    return Path(configured or DEFAULT_ROOT)


def safe_name(name: str, fallback: str = "upload") -> str:
    """``name`` as a file name that stays inside its folder: the last component only (``/`` and ``\\`` both split),
    no control or Windows-reserved characters, no leading dots (``..``, hidden files), at most 200 bytes (the
    extension kept); Chinese characters kept. ``fallback`` when nothing is left."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", str(name)))[-1]
    base = _FORBIDDEN.sub("_", base).strip().lstrip(".").rstrip(". ")
    if not base:
        return fallback
    stem, dot, ext = base.rpartition(".")
    stem, ext = (stem, dot + ext) if stem and len(ext) <= 16 else (base, "")
    while len((stem + ext).encode("utf-8")) > _MAX_NAME_BYTES:
        stem = stem[:-1]
    return (stem + ext) or fallback


@dataclass(frozen=True)
class StoredUpload:
    """One stored upload: where it is, what it was called, how big, its SHA-256, whose and when (seconds since
    the epoch)."""
    path: Path
    original_name: str
    size: int
    sha256: str
    user: str
    saved_at: float

    def read_bytes(self) -> bytes:
        with os_errors(self.path, "无法读取上传的文件"):
            return self.path.read_bytes()


def _mb(n: float) -> str:
    return f"{n:g} MB"


class UploadStore:
    """Uploads under ``root``, one folder per account; ``max_file_mb`` per file, ``max_total_mb`` per account
    (what it keeps), ``keep_days`` before ``purge`` removes an upload."""

    def __init__(self, root: str | os.PathLike, max_file_mb: float, max_total_mb: float, keep_days: float):
        self.root = Path(root)
        self.max_file_bytes = int(max_file_mb * MB)
        self.max_total_bytes = int(max_total_mb * MB)
        self.max_file_mb, self.max_total_mb, self.keep_days = max_file_mb, max_total_mb, keep_days

    @classmethod
    def from_settings(cls, cfg) -> "UploadStore":
        """From ``Settings.uploads`` (the [uploads] section, $LANDGAP_UPLOADS_DIR applied by load_settings)."""
        return cls(uploads_root(cfg.directory), cfg.max_file_mb, cfg.max_total_mb, cfg.keep_days)

    # ------------------------------------------------------------------------------------------ limits
    def _too_large(self, name: str, size: int | None = None) -> UploadError:
        got = f"（{size / MB:.1f} MB）" if size is not None else ""
        return UploadError(f"文件 {name}{got} 超过单个文件 {_mb(self.max_file_mb)} 的上限，未保存、未导入")

    def check(self, user: str, files: Iterable[tuple[str, int]]) -> None:
        """Refuse (UploadError) a batch of (name, size) before any of it is stored: a file over the per-file
        limit, or the batch taking ``user`` over the quota."""
        files = list(files)
        for name, size in files:
            if size > self.max_file_bytes:
                raise self._too_large(name, size)
        used = self.used(user)
        if used + sum(s for _, s in files) > self.max_total_bytes:
            names = "、".join(n for n, _ in files)
            raise UploadError(f"文件 {names} 超过账号 {user} 的上传空间上限 {_mb(self.max_total_mb)}（已用 "
                              f"{used / MB:.1f} MB），未保存、未导入：请管理员清理旧的上传文件")

    def _bounded(self, name: str, data: Data) -> bytes | bytearray | memoryview:
        """The bytes of ``data``, read at most ``CHUNK`` past the limit (a stream is never read whole), held once:
        bytes given are not copied, a stream grows one buffer (no list of chunks joined into a second copy)."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            if len(data) > self.max_file_bytes:
                raise self._too_large(name, len(data))
            return data
        chunks = iter(lambda: data.read(CHUNK), b"") if hasattr(data, "read") else iter(data)
        body = bytearray()
        for chunk in chunks:
            if len(body) + len(chunk) > self.max_file_bytes:
                raise self._too_large(name)
            body += chunk
        return body

    # -------------------------------------------------------------------------------------------- write
    def user_dir(self, user: str) -> Path:
        folder = safe_name(user, fallback="")
        if not folder:
            raise UploadError(f"账号名“{user}”不能用作上传文件夹的名字")
        return self.root / folder

    def save(self, user: str, filename: str, data: Data, now: float | None = None) -> StoredUpload:
        """Store ``data`` (bytes, a binary file or an iterable of byte chunks) as ``filename`` of ``user``.
        UploadError, with nothing written, when it is over the per-file limit or the quota. The same file (name
        and SHA-256) already kept for ``user`` is returned as it is (a check, then an apply, store it once)."""
        size = _known_size(data)
        if size is not None and size > self.max_file_bytes:
            raise self._too_large(filename, size)
        body = self._bounded(filename, data)
        digest, name = hashlib.sha256(body).hexdigest(), safe_name(filename)
        kept = [s for s in self.list(user) if s.sha256 == digest and s.path.name == name]
        if kept:
            return kept[-1]
        self.check(user, [(filename, len(body))])
        now = time.time() if now is None else now
        folder = self.user_dir(user) / f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(now))}-{secrets.token_hex(4)}"
        stored = StoredUpload(folder / name, str(filename), len(body), digest, user, now)
        try:
            write_atomic(stored.path, body)
            write_atomic(folder / META, json.dumps({**asdict(stored), "path": stored.path.name},
                                                   ensure_ascii=False).encode("utf-8"))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return stored

    def save_all(self, user: str, files: Iterable[tuple[str, Data]], now: float | None = None) -> list[StoredUpload]:
        """Store several files as one batch (a Shapefile's parts): checked together first; when one fails, the
        ones already stored in this batch are removed again."""
        files = list(files)
        self.check(user, [(n, _known_size(d)) for n, d in files if _known_size(d) is not None])
        before = {s.path for s in self.list(user)}
        done: list[StoredUpload] = []
        try:
            for name, data in files:
                done.append(self.save(user, name, data, now))
        except BaseException:
            for s in done:
                if s.path not in before:          # not one kept from an earlier upload
                    self.remove(s)
            raise
        return done

    def remove(self, stored: StoredUpload) -> None:
        with os_errors(stored.path.parent, "无法删除上传的文件"):
            shutil.rmtree(stored.path.parent, ignore_errors=False)

    # --------------------------------------------------------------------------------------------- read
    def list(self, user: str | None = None) -> list[StoredUpload]:
        """The kept uploads of ``user`` (every account's when None), oldest first."""
        dirs = [self.user_dir(user)] if user is not None else \
            ([d for d in self.root.iterdir() if d.is_dir()] if self.root.is_dir() else [])
        out = []
        for meta in (m for d in dirs if d.is_dir() for m in d.glob(f"*/{META}")):
            try:
                rec = json.loads(meta.read_text("utf-8"))
                out.append(StoredUpload(meta.parent / rec["path"], rec["original_name"], int(rec["size"]),
                                        rec["sha256"], rec["user"], float(rec["saved_at"])))
            except (OSError, ValueError, KeyError):       # a damaged record: purge removes it by its age
                continue
        return sorted(out, key=lambda s: (s.saved_at, str(s.path)))

    def used(self, user: str) -> int:
        """Bytes ``user``'s kept uploads take."""
        return sum(s.size for s in self.list(user))

    def purge(self, now: float | None = None) -> list[Path]:
        """Remove every upload older than ``keep_days`` (by its record; a folder without one, by its age on disk);
        the folders removed."""
        now = time.time() if now is None else now
        limit = now - self.keep_days * 86400
        kept = {s.path.parent: s.saved_at for s in self.list()}
        folders = [f for d in (self.root.iterdir() if self.root.is_dir() else []) if d.is_dir()
                   for f in d.iterdir() if f.is_dir()]
        gone = [f for f in folders if kept.get(f, _mtime(f)) < limit]
        for f in gone:
            with os_errors(f, "无法删除过期的上传文件"):
                shutil.rmtree(f)
        return gone


def _known_size(data: Data) -> int | None:
    """The size of ``data`` when it is known without reading it (bytes; a Streamlit UploadedFile's ``size``)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return len(data)
    size = getattr(data, "size", None)
    return size if isinstance(size, int) else None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return float("inf")
