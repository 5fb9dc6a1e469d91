"""geo.cache.DerivedCache: one value per workspace version and key, computed once even when many threads (the
server's sessions) ask for it at the same moment; a failed computation is not cached and does not block others."""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from geo.cache import DerivedCache


def test_concurrent_requests_compute_once_and_all_get_the_value():
    cache, ws, calls = DerivedCache(), SimpleNamespace(version="v1"), []
    start = threading.Barrier(8)

    def compute():
        calls.append(threading.get_ident())
        time.sleep(0.2)                 # long enough for every other thread to arrive meanwhile
        return object()

    got = []

    def ask():
        start.wait()
        got.append(cache.get(ws, "layer", compute))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(got) == 8 and all(g is got[0] for g in got)


def test_other_keys_and_versions_do_not_wait_and_are_separate():
    cache = DerivedCache()
    v1, v2 = SimpleNamespace(version="v1"), SimpleNamespace(version="v2")
    release = threading.Event()
    slow = threading.Thread(target=lambda: cache.get(v1, "slow", lambda: release.wait(5) and "slow"))
    slow.start()
    time.sleep(0.05)
    t0 = time.perf_counter()
    assert cache.get(v1, "fast", lambda: 1) == 1 and cache.get(v2, "slow", lambda: 2) == 2
    assert time.perf_counter() - t0 < 1.0       # not behind the slow computation
    release.set()
    slow.join()
    assert cache.get(v1, "slow", lambda: "again") == "slow"


def test_a_failed_computation_is_retried_not_cached():
    cache, ws = DerivedCache(), SimpleNamespace(version="v1")

    def boom():
        raise OSError("disk")

    with pytest.raises(OSError):
        cache.get(ws, "k", boom)
    assert cache.get(ws, "k", lambda: 42) == 42


def test_least_recently_used_entries_go_first():
    cache, ws = DerivedCache(max_entries=2), SimpleNamespace(version="v1")
    cache.get(ws, "a", lambda: 1), cache.get(ws, "b", lambda: 2), cache.get(ws, "a", lambda: 0)
    cache.get(ws, "c", lambda: 3)
    assert cache.peek(ws, "a") == 1 and cache.peek(ws, "b") is None and cache.peek(ws, "c") == 3


def test_bytes_lru_drops_the_oldest_beyond_its_budget_and_makes_a_key_once():
    from geo.cache import BytesLRU
    lru, made = BytesLRU(max_bytes=10), []

    def make(k: str, n: int):
        def run() -> bytes:
            made.append(k)
            return b"x" * n
        return run
    lru.get("a", make("a", 4)), lru.get("b", make("b", 4)), lru.get("a", make("a", 4))   # a is the newest now
    lru.get("c", make("c", 4))                                                           # 12 > 10: b goes
    lru.get("a", make("a", 4)), lru.get("b", make("b", 4))
    assert made == ["a", "b", "c", "b"]
    assert lru.get("big", make("big", 50)) == b"x" * 50                                  # the newest is kept
    gate, calls = threading.Event(), []

    def slow() -> bytes:
        calls.append(1)
        gate.wait(5)
        return b"tile"
    threads = [threading.Thread(target=lru.get, args=("t", slow)) for _ in range(6)]
    [t.start() for t in threads]
    time.sleep(0.2)
    gate.set()
    [t.join() for t in threads]
    assert calls == [1] and lru.get("t", lambda: b"other") == b"tile"
