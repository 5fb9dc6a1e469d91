"""File-system edges shared by the readers and writers: OS failures as WorkspaceIOError, atomic writes."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from geo.errors import WorkspaceIOError

_REASONS = ((FileNotFoundError, "文件或文件夹不存在"), (IsADirectoryError, "这是文件夹而不是文件"),
            (NotADirectoryError, "上级路径不是文件夹"), (PermissionError, "没有访问权限"))


def io_error(exc: OSError, path, action: str) -> WorkspaceIOError:
    """``exc`` as a WorkspaceIOError whose message says what failed on which file ('无法读取台账 x.xlsx：没有访问权限');
    ``action`` names the file where it writes ``{path}``, else the path follows it."""
    reason = next((text for kind, text in _REASONS if isinstance(exc, kind)), exc.strerror or str(exc))
    what = action.format(path=path) if "{path}" in action else f"{action} {path}"
    return WorkspaceIOError(f"{what}：{reason}")     # one argument: str() is the message (no errno prefix)


@contextmanager
def os_errors(path, action: str):
    """Raise any OSError inside the block as a WorkspaceIOError naming ``path`` (``action``: 无法读取 …)."""
    try:
        yield
    except WorkspaceIOError:
        raise
    except OSError as exc:
        raise io_error(exc, path, action) from exc


def readable(path, what: str) -> Path:
    """``path`` after checking it is a file that can be opened for reading (WorkspaceIOError otherwise); ``what``
    names it in the message (工作空间文件, 高程文件（DEM）, 台账)."""
    path = Path(path)
    if not path.exists():
        raise WorkspaceIOError(f"{what}不存在：{path}")
    with os_errors(path, f"无法读取{what}"):
        with open(path, "rb"):
            pass
    return path


def read_bytes(path, what: str) -> bytes:
    """The file's contents (WorkspaceIOError naming it, as ``readable`` says, when it cannot be read)."""
    path = readable(path, what)
    with os_errors(path, f"无法读取{what}"):
        return path.read_bytes()


def prepare_folder(path: Path, what: str) -> None:
    """The folder ``path`` is to be written into, created if needed (WorkspaceIOError when it cannot be)."""
    with os_errors(path.parent, f"无法写入{what}所在的文件夹"):
        path.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(path.parent, os.W_OK):
            raise PermissionError(13, "permission denied", str(path.parent))


def write_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file beside it, fsynced and renamed: never half a file.
    Raises WorkspaceIOError (an OSError) naming the file when it cannot be written."""
    path = Path(path)
    prepare_folder(path, "文件")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with os_errors(path, "无法写入文件"):
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
