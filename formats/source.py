"""What a read of a layer file gives: the features indexed by how the planner finds them in the source (FID, the
坐标文件's line, the DXF handle), the features rejected already with their reason, and notes. Shared by the readers
(``vector``, ``dxf``) and the import (``layer_import``)."""
from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd


@dataclass
class SourceLayer:
    name: str                                   # as the planner knows it: 地块.shp, DLTB (三调.gdb) …
    # kind: Shapefile, GeoPackage, FileGDB, GeoJSON, KML, 奥维 KML, DXF, CSV, 坐标文件
    kind: str
    frame: gpd.GeoDataFrame                     # index = the feature's label in the source
    row_label: str = "要素 FID"
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    rejected: dict = field(default_factory=dict)   # label → reason, features not in ``frame``
    input_count: int = 0
    lonlat_datum_default: str | None = None     # "gcj02" for 奥维/KML: what lon/lat are unless --datum says
