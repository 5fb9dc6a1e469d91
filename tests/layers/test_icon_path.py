"""The map names Leaflet's marker images itself (issue 22 item 11a): a folder URL with its trailing slash, where the
vendor files are installed — not Leaflet's guess from the stylesheet ("static/vendor/leafletmarker-icon.png")."""
from __future__ import annotations

import re

import folium

from layers import assets
from layers.elements import OfflineMap


def test_marker_icons_come_from_the_vendor_images_folder():
    m = OfflineMap(location=[30.0, 105.0])
    folium.Marker([30.0, 105.0]).add_to(m)
    html = m.get_root().render()
    found = re.search(r'L\.Icon\.Default\.imagePath = "([^"]+)"', html)
    assert found and found.group(1).endswith("/")
    assert html.index("L.Icon.Default.imagePath") < html.index("L.marker(")
    folder = found.group(1).removeprefix(assets.URL_PREFIX)
    assert assets.url(folder) == found.group(1)
    assert (assets.VENDOR / folder / "marker-icon.png").exists() or assets.missing()
