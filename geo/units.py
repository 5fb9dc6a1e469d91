"""Unit conversions. The one place where 亩, 公顷 and 万元 are defined."""
from __future__ import annotations

from collections.abc import Mapping

M2_PER_MU: float = 10000.0 / 15.0
"""1 亩 = 10000/15 m² (≈666.67 m²); 15 亩 = 1 公顷; 1 km² = 1500 亩."""
MU_PER_HECTARE: float = 15.0
WAN_PER_YI: float = 10000.0
"""1 亿元 = 10000 万元."""


def m2_to_mu(m2):
    """Square metres → 亩 (works on scalars, numpy arrays and pandas Series)."""
    return m2 / M2_PER_MU


WAN: float = 10000.0
"""1 万 = 10,000."""
WAN_FROM: float = 100_000.0
"""A headline figure from this many 亩 (m²) on is shown in 万亩 (万m²): six figures to a row, "1,218,364.5" is cut
to "1,218,36…" (issue 20, 100k parcels), while "99,999.9" still fits — and a county keeps its 亩 to 0.1."""


def headline_figure(label: str, value: float, wan_units: Mapping[str, str]) -> tuple[str, str]:
    """(label, text) of a headline figure whose label ends in a unit — "可供面积（亩）" → from ``WAN_FROM`` 亩 on
    "可供面积（万亩）" and "121.84"; below, the label as it is and 亩 to one decimal (m²: whole).
    ``wan_units``: a label's unit → the same in 万 (``geo.vocab.WAN_UNIT_LABELS``)."""
    for unit, wan in wan_units.items():
        if label.endswith(unit):
            if abs(value) >= WAN_FROM:
                return label[:-len(unit)] + wan, f"{value / WAN:,.2f}"
            return label, fmt_mu(value) if "亩" in unit else f"{value:,.0f}"
    return label, fmt_mu(value)


def fmt_mu(mu: float) -> str:
    """亩 shown to one decimal, as planners expect."""
    return f"{mu:,.1f}"


def investment_intensity_wan_per_mu(investment_yi: float, land_mu: float) -> float:
    """投资强度 in 万元/亩 = investment (亿元) × 10000 / land (亩)."""
    return investment_yi * WAN_PER_YI / land_mu
