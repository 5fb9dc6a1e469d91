"""The app's side of managed uploads (team.uploads): in the team mode every uploaded file is first saved into the
UploadStore under the logged-in account, and what is imported is read back from the stored file; the desktop mode
imports the upload as it is (one person on 127.0.0.1, nothing kept on disk).

``file_uploader`` is st.file_uploader with its texts in Chinese (the size note states the limit that applies);
``stored_files(files)`` is the one call the uploaders make: over the per-file limit or the account's quota it
raises UploadError (a LandGapError: the pages show its Chinese message) before anything is stored or imported.
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from geo.vocab import UPLOADER_TEXTS
from pages import auth
from pages.context import settings
from team.uploads import StoredUpload, UploadStore


def upload_store() -> UploadStore:
    """The server's upload storage ([uploads] of the configuration)."""
    return UploadStore.from_settings(settings().uploads)


def limit_mb() -> float:
    """The per-file limit the uploader states: [uploads] max_file_mb in the team mode, Streamlit's
    server.maxUploadSize in the desktop mode."""
    if auth.team_mode():
        return settings().uploads.max_file_mb
    return float(st.get_option("server.maxUploadSize"))


# ---------------------------------------------------------------------------------- the uploader's texts

_DROPZONE = '[data-testid="stFileUploaderDropzone"]'
_TEXT = "font-size:0.875rem;line-height:1.6"      # what Streamlit's uploader texts use (14px / 22.4px)


def _css_text(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _replace_text(selector: str, text: str) -> str:
    """CSS that hides the English text of ``selector`` and shows ``text`` in its place (same size)."""
    return f"{selector}{{font-size:0 !important}}{selector}::after{{content:{_css_text(text)};{_TEXT}}}"


def _limit_text() -> str:
    return UPLOADER_TEXTS["limit"].format(mb=f"{limit_mb():g}")


def uploader_css() -> str:
    """The uploader's button ("Upload"), size note ("200MB per file • …") and drag-over note ("Drag and drop …
    here") in Chinese, for every uploader of the page; the size note states ``limit_mb()``, and a file the browser
    refused (over the limit: Streamlit says so only in an English tooltip) is marked as not uploaded."""
    return "<style>" + "".join([
        _replace_text(f'{_DROPZONE} button [data-testid="stMarkdownContainer"] p', UPLOADER_TEXTS["button"]),
        _replace_text(f'{_DROPZONE} [data-testid="stFileUploaderDropzoneInstructions"] span', _limit_text()),
        _replace_text(f"{_DROPZONE} > div:not([data-testid]) > span:only-child", UPLOADER_TEXTS["drop"]),
        '[data-testid="stFileChip"][aria-invalid="true"] [data-testid="stFileChipName"]::after{content:'
        + _css_text(UPLOADER_TEXTS["refused"].format(mb=f"{limit_mb():g}")) + "}",
    ]) + "</style>"


def file_uploader(label: str, types, key: str, **kw):
    """st.file_uploader with its texts in Chinese; the size note names the accepted file types as Streamlit's does."""
    types = list(types)
    st.html(uploader_css() + "<style>" + _replace_text(
        f'.st-key-{key} {_DROPZONE} [data-testid="stFileUploaderDropzoneInstructions"] span',
        UPLOADER_TEXTS["types"].format(limit=_limit_text(), types="、".join(t.upper() for t in types))) + "</style>")
    return st.file_uploader(label, type=types, key=key, **kw)


# ------------------------------------------------------------------------------------ stored uploads

@dataclass(frozen=True)
class StoredFile:
    """A stored upload with the two members the import code uses of an UploadedFile (name, getvalue), read from
    the stored file, not from the browser's upload."""
    stored: StoredUpload

    @property
    def name(self) -> str:
        return self.stored.path.name

    def getvalue(self) -> bytes:
        return self.stored.read_bytes()


def stored_files(files) -> list:
    """Team mode: ``files`` (Streamlit UploadedFiles) saved under the logged-in account (an editor's right,
    checked here), as StoredFiles; UploadError when refused, nothing stored then. Desktop mode: ``files``."""
    if not auth.team_mode():
        return list(files)
    auth.require_role("editor", "上传文件")
    store = upload_store()
    store.purge(auth.clock())
    saved = store.save_all(auth.current_user(), [(f.name, f) for f in _rewound(files)], auth.clock())
    return [StoredFile(s) for s in saved]


def _rewound(files):
    for f in files:
        if hasattr(f, "seek"):
            f.seek(0)
        yield f
