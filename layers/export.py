"""Downloads: the current map as one standalone offline HTML file, and tables as Excel with Chinese headers."""
from __future__ import annotations

import io

import pandas as pd

from . import assets, basemaps


def standalone_html(m) -> bytes:
    """The map as a single HTML file with Leaflet inlined: opens offline, from a USB stick or an e-mail.

    Build ``m`` with an offline basemap (the 天地图 key must never reach a downloaded file); checked here too.
    """
    html = assets.inline_assets(m.get_root().render())
    key = basemaps.tianditu_key()
    if key and key in html:
        raise ValueError("下载的地图文件中不得包含天地图 key")
    return html.encode("utf-8")


def excel_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An .xlsx with one sheet per table (sheet names ≤ 31 characters, as Excel requires)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
            ws = writer.sheets[name[:31]]
            for col, header in zip(ws.columns, frame.columns):   # readable widths for CJK headers
                width = max([len(str(header)) * 2] + [len(str(c.value or "")) for c in col[1:50]])
                ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 60)
    return buf.getvalue()
