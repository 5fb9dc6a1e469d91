"""Downloads: the current map as one standalone offline HTML file, tables as Excel with Chinese headers, and the
placed sites as a layer for other GIS."""
from __future__ import annotations

import io

import geopandas as gpd
import pandas as pd
import shapely

from formats.shapefile import shapefile_zip
from formats.spreadsheet_safe import safe_frame
from geo.errors import ExportError
from geo.vocab import SITE_LAYER_FIELDS
from geo.workspace import Workspace
from layers import assets


def standalone_html(m) -> bytes:
    """The map as a single HTML file with Leaflet inlined: opens offline, from a USB stick or an e-mail.

    Build ``m`` with an offline basemap (the 天地图 key must never reach a downloaded file); checked here too.
    The key and the map assets' folder are those of the settings the map was built with (``build.new_map``).
    """
    settings = m._landgap_settings
    html = assets.inline_assets(m.get_root().render(), assets.vendor_dir(settings.runtime.vendor_dir))
    key = settings.app.tianditu_key
    if key and key in html:
        raise ExportError("下载的地图文件中不得包含天地图 key")
    return html.encode("utf-8")


def excel_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An .xlsx with one sheet per table (sheet names ≤ 31 characters, as Excel requires); text that a spreadsheet
    would take for a formula (= + - @) is written as text (``formats.spreadsheet_safe``)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame = safe_frame(frame)
            frame.to_excel(writer, sheet_name=name[:31], index=False)
            ws = writer.sheets[name[:31]]
            for col, header in zip(ws.columns, frame.columns):   # readable widths for CJK headers
                width = max([len(str(header)) * 2] + [len(str(c.value or "")) for c in col[1:50]])
                ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 60)
    return buf.getvalue()


SITE_FIELDS = SITE_LAYER_FIELDS
_DBF_TEXT_BYTES = 254


def _fit_dbf(text: str) -> str:
    """A DBF text cell holds 254 bytes: a long parcel list ends with 等."""
    if len(text.encode("gbk", "replace")) <= _DBF_TEXT_BYTES:
        return text
    while len((text + "等").encode("gbk", "replace")) > _DBF_TEXT_BYTES:
        text = text[:-1]
    return text.rstrip(";") + "等"


def sites_frame(result, ws: Workspace) -> gpd.GeoDataFrame:
    """The land sites of a match (选址方案) in the workspace CRS, one row per placed land project, fields named as
    ``SITE_FIELDS`` (factory placements have no site of their own: they are in the Excel tables)."""
    land = [p for p in result.placed if p.kind == "land" and p.site_wkt]
    rows = {SITE_FIELDS["project_id"]: [p.project_id for p in land],
            SITE_FIELDS["name"]: [p.name for p in land],
            SITE_FIELDS["zone_id"]: [p.zone_id for p in land],
            SITE_FIELDS["parcel_ids"]: [_fit_dbf(";".join(p.parcel_ids)) for p in land],
            SITE_FIELDS["need_mu"]: [round(float(p.need_mu), 2) if p.need_mu is not None else None for p in land],
            SITE_FIELDS["site_mu"]: [round(float(p.site_mu), 2) if p.site_mu is not None else None for p in land],
            SITE_FIELDS["ready_date"]: [pd.Timestamp(p.ready_date) if p.ready_date is not None else pd.NaT
                                        for p in land],
            SITE_FIELDS["priority"]: [float(p.priority) for p in land]}
    return gpd.GeoDataFrame(rows, geometry=shapely.from_wkt([p.site_wkt for p in land]), crs=ws.crs)


def sites_shapefile_zip(result, ws: Workspace, stem: str = "选址方案") -> bytes:
    """The match's land sites as a zipped GBK Shapefile (``sites_frame``)."""
    return shapefile_zip(sites_frame(result, ws), stem)
