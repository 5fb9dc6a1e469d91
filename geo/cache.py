"""An explicit cache of derived data (blocks, land models, committed placements, map layers), keyed by the
workspace's version — never stored inside the caller's workspace object, and no module global: the caller owns it
and passes it in (the app one for its process, ``pages.context.derived``; an engine call given none makes its own,
``own``, for that call).

A Workspace gets a new ``version`` whenever it is built, loaded or copied with other layers, so an entry can never
outlive the data it was derived from; entries are evicted least recently used past ``max_entries``.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from geo.workspace import Workspace

T = TypeVar("T")


class DerivedCache:
    """``get(ws, key, compute)``: the value derived from workspace ``ws`` under ``key``, computed once."""

    def __init__(self, max_entries: int = 256):
        self.max_entries = max_entries
        self._data: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.RLock()     # Streamlit sessions share one process
        self._flights: dict[tuple, threading.Lock] = {}     # key → held while one thread computes it

    def get(self, ws: Workspace, key: Hashable, compute: Callable[[], T]) -> T:
        """Computed once even when several threads ask at once (sessions after an import all want the new
        workspace's layers): the others wait for the first instead of each computing it."""
        full = (ws.version, key)
        with self._lock:
            if full in self._data:
                self._data.move_to_end(full)
                return self._data[full]
            flight = self._flights.setdefault(full, threading.Lock())
        with flight:
            with self._lock:
                if full in self._data:          # computed by the thread we waited for
                    self._data.move_to_end(full)
                    return self._data[full]
            try:
                value = compute()
                with self._lock:
                    self._data[full] = value
                    self._data.move_to_end(full)
                    while len(self._data) > self.max_entries:
                        self._data.popitem(last=False)
            finally:
                with self._lock:
                    self._flights.pop(full, None)
        return value

    def peek(self, ws: Workspace, key: Hashable) -> Any | None:
        with self._lock:
            return self._data.get((ws.version, key))

    def entries_for(self, ws: Workspace) -> dict[Hashable, Any]:
        """Every entry derived from ``ws`` (e.g. to carry the scenario-independent ones over to a copy)."""
        with self._lock:
            return {k: v for (ver, k), v in self._data.items() if ver == ws.version}

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._flights.clear()


def own(cache: DerivedCache | None) -> DerivedCache:
    """``cache``, or a fresh one for this call when the caller passes none (the CLI runs one command)."""
    return cache if cache is not None else DerivedCache()


class BytesLRU:
    """Bytes by key, the least recently used dropped beyond ``max_bytes`` (the newest always kept); thread-safe, and
    a key being made is made once however many threads ask for it at the same time (the map's tiles: the warm-up and
    the browser's six requests)."""

    def __init__(self, max_bytes: float):
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._flights: dict[Hashable, threading.Lock] = {}
        self._size = 0

    def get(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            try:
                data = make()
                with self._lock:
                    self._items[key] = data
                    self._size += len(data)
                    while self._size > self.max_bytes and len(self._items) > 1:
                        _, old = self._items.popitem(last=False)
                        self._size -= len(old)
            finally:
                with self._lock:
                    self._flights.pop(key, None)
        return data
