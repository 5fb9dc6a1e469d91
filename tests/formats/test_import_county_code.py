"""A park layer from another GIS brings its county code in under the names 三调/GB/T 2260 data use (XZQDM,
行政区划代码 …); a malformed code is refused with its feature and field named."""
from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from formats.layer_import import import_layer
from geo.errors import ValidationError
from tests.conftest import X0, Y0
from tests.formats.test_import_formats import write, ws  # noqa: F401  (the sample-like workspace fixture)


@pytest.mark.parametrize("field", ["XZQDM", "行政区划代码", "county_code"])
def test_zone_layer_county_code(ws, tmp_path, field):  # noqa: F811
    zones = gpd.GeoDataFrame({"园区编号": ["Z2"], "园区名称": ["新园区"], field: ["511521"]},
                             geometry=[box(X0 + 3000, Y0, X0 + 4000, Y0 + 1000)], crs=4544)
    new = import_layer(ws, "zones", write(zones, tmp_path / "园区.geojson")).workspace
    assert new.zones.at["Z2", "county_code"] == "511521"


def test_zone_layer_bad_county_code(ws, tmp_path):  # noqa: F811
    zones = gpd.GeoDataFrame({"园区编号": ["Z2"], "园区名称": ["新园区"], "XZQDM": ["5115"]},
                             geometry=[box(X0 + 3000, Y0, X0 + 4000, Y0 + 1000)], crs=4544)
    with pytest.raises(ValidationError) as exc:
        import_layer(ws, "zones", write(zones, tmp_path / "园区.geojson"))
    (issue,) = [i for i in exc.value.report.errors if i.code == "BAD_COUNTY_CODE"]
    assert issue.field == "county_code" and "Z2" in issue.message and "5115" in issue.message
