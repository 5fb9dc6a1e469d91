"""Configuration: config/landgap.toml, overridden key by key by the file named in $LANDGAP_CONFIG."""
from __future__ import annotations

import functools
import os
import tomllib
from pathlib import Path
from typing import Any

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "landgap.toml"


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@functools.lru_cache(maxsize=None)
def _load(override: str | None) -> dict[str, Any]:
    with open(DEFAULT_CONFIG_PATH, "rb") as f:
        cfg = tomllib.load(f)
    if override:
        with open(override, "rb") as f:
            cfg = _merge(cfg, tomllib.load(f))
    return cfg


def get_config() -> dict[str, Any]:
    """The merged configuration (cached per override path)."""
    return _load(os.environ.get("LANDGAP_CONFIG") or None)


def setting(section: str, key: str) -> Any:
    return get_config()[section][key]
