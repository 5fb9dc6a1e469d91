"""Unit conversions. The one place where 亩, 公顷 and 万元 are defined."""
from __future__ import annotations

M2_PER_MU: float = 10000.0 / 15.0
"""1 亩 = 10000/15 m² (≈666.67 m²); 15 亩 = 1 公顷; 1 km² = 1500 亩."""
MU_PER_HECTARE: float = 15.0
WAN_PER_YI: float = 10000.0
"""1 亿元 = 10000 万元."""


def m2_to_mu(m2):
    """Square metres → 亩 (works on scalars, numpy arrays and pandas Series)."""
    return m2 / M2_PER_MU


def fmt_mu(mu: float) -> str:
    """亩 shown to one decimal, as planners expect."""
    return f"{mu:,.1f}"


def investment_intensity_wan_per_mu(investment_yi: float, land_mu: float) -> float:
    """投资强度 in 万元/亩 = investment (亿元) × 10000 / land (亩)."""
    return investment_yi * WAN_PER_YI / land_mu
