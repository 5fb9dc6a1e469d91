"""The app's side of managed uploads (geo.uploads): in the team mode every uploaded file is first saved into the
UploadStore under the logged-in account, and what is imported is read back from the stored file; the desktop mode
imports the upload as it is (one person on 127.0.0.1, nothing kept on disk).

``stored_files(files)`` is the one call the uploaders make: over the per-file limit or the account's quota it
raises UploadError (a LandGapError: the pages show its Chinese message) before anything is stored or imported.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import streamlit as st

from geo.uploads import StoredUpload, UploadStore
from pages import auth
from pages.context import settings


def upload_store() -> UploadStore:
    """The server's upload storage ([uploads] of the configuration)."""
    return UploadStore.from_settings(settings().uploads)


def limit_mb() -> float:
    """The per-file limit the uploader states: [uploads] max_file_mb in the team mode, Streamlit's
    server.maxUploadSize in the desktop mode."""
    if auth.team_mode():
        return settings().uploads.max_file_mb
    return float(st.get_option("server.maxUploadSize"))


def streamlit_limit_mb(max_file_mb: float) -> int:
    """Streamlit's server.maxUploadSize (whole MB) that lets every file of the configured limit through."""
    return max(1, math.ceil(max_file_mb))


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
