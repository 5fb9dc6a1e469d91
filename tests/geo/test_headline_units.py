"""Headline figures that fit (geo.units.headline_figure): 万亩 / 万m² from WAN_FROM on, 亩 to 0.1 below."""
from __future__ import annotations

import pytest

from geo.units import WAN_FROM, headline_figure
from geo.vocab import FIELD_LABELS as F, WAN_UNIT_LABELS


@pytest.mark.parametrize("value, label, text", [
    (1_218_364.46, "可供面积（万亩）", "121.84"),
    (WAN_FROM, "可供面积（万亩）", "10.00"),
    (99_999.94, "可供面积（亩）", "99,999.9"),
    (22_653.3, "可供面积（亩）", "22,653.3"),
    (0.0, "可供面积（亩）", "0.0"),
])
def test_mu(value, label, text):
    assert headline_figure(F["available_mu"], value, WAN_UNIT_LABELS) == (label, text)
    shown = float(text.replace(",", "")) * (10_000 if "万" in label else 1)
    assert shown == pytest.approx(value, abs=50 if "万" in label else 0.05)     # the figure, to what it shows


def test_m2_and_the_text_fits_six_to_a_row():
    assert headline_figure(F["vacant_factory_m2"], 2_345_678, WAN_UNIT_LABELS) == ("空置厂房（万m²）", "234.57")
    assert headline_figure(F["vacant_factory_m2"], 47_900, WAN_UNIT_LABELS) == ("空置厂房（m²）", "47,900")
    # what the 100k county cut ("1,218,36…": 9 characters shown): every figure now has at most 9
    for v in (99_999.9, 1e5, 1.2e6, 9.9e7):
        assert len(headline_figure(F["available_mu"], v, WAN_UNIT_LABELS)[1]) <= 9
