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


class LRU:
    """Values by key, the least recently used dropped once their total ``weight`` passes ``limit`` (the newest always
    kept); thread-safe, and a key being made is made once however many threads ask for it at the same time: the
    others wait for the first instead of each making it."""

    def __init__(self, limit: float, weight: Callable[[Any], float] = lambda value: 1):
        self.limit, self.weight = limit, weight
        self._lock = threading.Lock()     # Streamlit sessions and the tile server's threads share one process
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._flights: dict[Hashable, threading.Lock] = {}     # key → held while one thread makes it
        self._total = 0.0

    def _hit(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return True, self._items[key]
            return False, None

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        found, value = self._hit(key)
        if found:
            return value
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            found, value = self._hit(key)       # made by the thread we waited for
            if found:
                return value
            try:
                value = make()
                with self._lock:
                    self._items[key] = value
                    self._total += self.weight(value)
                    while self._total > self.limit and len(self._items) > 1:
                        _, old = self._items.popitem(last=False)
                        self._total -= self.weight(old)
            finally:
                with self._lock:
                    self._flights.pop(key, None)
        return value

    def peek(self, key: Hashable) -> Any | None:
        with self._lock:
            return self._items.get(key)

    def items(self) -> list[tuple[Hashable, Any]]:
        with self._lock:
            return list(self._items.items())

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._flights.clear()
            self._total = 0.0


class DerivedCache:
    """``get(ws, key, compute)``: the value derived from workspace ``ws`` under ``key``, computed once (sessions after
    an import all want the new workspace's layers); at most ``max_entries`` kept."""

    def __init__(self, max_entries: int = 256):
        self._lru = LRU(max_entries)

    def get(self, ws: Workspace, key: Hashable, compute: Callable[[], T]) -> T:
        return self._lru.get((ws.version, key), compute)

    def peek(self, ws: Workspace, key: Hashable) -> Any | None:
        return self._lru.peek((ws.version, key))

    def entries_for(self, ws: Workspace) -> dict[Hashable, Any]:
        """Every entry derived from ``ws`` (e.g. to carry the scenario-independent ones over to a copy)."""
        return {k: v for (ver, k), v in self._lru.items() if ver == ws.version}

    def clear(self) -> None:
        self._lru.clear()


def own(cache: DerivedCache | None) -> DerivedCache:
    """``cache``, or a fresh one for this call when the caller passes none (the CLI runs one command)."""
    return cache if cache is not None else DerivedCache()


class BytesLRU(LRU):
    """Bytes by key, the least recently used dropped beyond ``max_bytes`` (the map's tiles: the warm-up and the
    browser's six requests make a tile once)."""

    def __init__(self, max_bytes: float):
        super().__init__(max_bytes, weight=len)
