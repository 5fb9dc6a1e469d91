"""Files planners are sent and send on: the 自然资源部 坐标文件, GDAL vector formats (GeoPackage, FileGDB, GeoJSON,
KML/KMZ and 奥维 .ovkml/.ovkmz, DXF, CSV with WKT, Shapefile), zips made on Chinese Windows — and the exports back
(坐标文件, KML for 奥维, GeoJSON).

``layer_import.import_layer`` is the one import into any workspace layer; ``formats.shapefile`` keeps the Shapefile
specifics (encoding detection, cut field names) and is called from here.
"""
from __future__ import annotations

from geo.errors import CRS_REQUIRED, LayerFileError


class FormatError(LayerFileError):
    """A file from elsewhere cannot be used as a whole (unreadable, unsafe zip, no CRS, an undecidable encoding);
    the message names the file and, where there is one, the feature/row and the field."""


class CRSMissingError(FormatError):
    """The file's coordinates have no usable CRS (LOCAL_CS, unknown or empty .prj, DXF, a 坐标文件 without 带号):
    ``candidates`` are EPSG codes the coordinates suggest, for the CRS the caller asks for (code CRS_REQUIRED)."""

    def __init__(self, message: str, candidates: list[int] | None = None):
        super().__init__(message, code=CRS_REQUIRED)
        self.candidates = candidates or []
