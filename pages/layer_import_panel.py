"""数据管理 → 导入图层: one uploader for every format and every layer (``formats.layer_import``): check and
preview (the features drawn locally, no tile server), pick the layer, the CRS or the datum when the file cannot
tell, see the report (every feature imported / repaired / rejected), then apply (written atomically)."""
from __future__ import annotations

import io

import streamlit as st

import geo.errors as E
from formats import CRSMissingError
from formats.layer_import import TARGETS, import_layer
from geo.errors import LandGapError, ValidationError
from geo.vocab import IMPORT_RESULT_LABELS, IMPORT_TARGET_LABELS
from geo.workspace import Workspace
from layers import tables
from pages import auth, uploads
from pages.context import settings

TYPES = ("txt", "shp", "shx", "dbf", "prj", "cpg", "zip", "gpkg", "geojson", "json", "kml", "kmz", "ovkml", "ovkmz",
         "dxf", "csv")
_DATUMS = {"自动（奥维/KML 按 GCJ-02，其余按 CGCS2000）": None, "CGCS2000": "cgcs2000", "WGS-84": "wgs84",
           "GCJ-02（高德/奥维/DataV）": "gcj02"}


def preview_png(result) -> bytes:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    result.workspace.zones.boundary.plot(ax=ax, color="#888", linewidth=0.6)
    result.table.plot(ax=ax, color="#d62728", alpha=0.5)
    ax.set_axis_off()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()

# the panel's words for what an error asks of the user (geo.errors codes): the widget to fill in
WIDGET_HINTS = {
    E.LAYER_NAME_REQUIRED: "请在“图层名”中填入上面列出的图层之一（压缩包：文件名，不含扩展名），再点“检查并预览”。",
    E.ENCODING_REQUIRED: "请在“属性编码”中填入编码（如 GBK），再点“检查并预览”。",
    E.CRS_INVALID: "请在“坐标系 EPSG”中改填 EPSG 编号（如 4544），再点“检查并预览”。",
    E.DATUM_INVALID: "请改选“经纬度基准”，再点“检查并预览”。",
    E.DEFAULT_INVALID: "请改正“缺省字段”（如 status=available；多个用分号），再点“检查并预览”。",
    E.FIELD_MISSING: "文件没有的字段可在“缺省字段”中统一指定（如 status=available），再点“检查并预览”。",
}



def render(ws: Workspace, path, set_workspace) -> None:
    with st.expander("导入图层（坐标文件、Shapefile、GeoPackage、FileGDB、GeoJSON、KML/奥维、DXF、CSV）",
                     expanded="layer_import_done" in st.session_state):
        st.caption("自动识别格式和编码；文件没有坐标系时请选择坐标系；奥维/KML 经纬度默认按 GCJ-02 纠偏。先“检查”，"
                   "看过报告（每个要素：导入、修复后导入或未导入）再“应用”；有错误时不写入，除非勾选“跳过有错误的要素”。")
        if "layer_import_done" in st.session_state:
            st.success(st.session_state.pop("layer_import_done"))
        files = st.file_uploader("文件（Shapefile 的各部分一起选中，或任一单个文件/压缩包）", type=list(TYPES),
                                 accept_multiple_files=True, key="layer_import_upload")
        c = st.columns(3)
        into = c[0].selectbox("导入到", TARGETS, format_func=lambda k: f"{IMPORT_TARGET_LABELS[k]}（{k}）")
        layer_name = c[1].text_input("图层名（多图层时）", key="layer_import_layer") or None
        crs_text = c[2].text_input("坐标系 EPSG（文件没有时）", value=st.session_state.get("layer_import_crs", ""))
        c = st.columns(3)
        datum = _DATUMS[c[0].selectbox("经纬度基准", list(_DATUMS))]
        encoding = c[1].text_input("属性编码（默认自动）", key="layer_import_encoding") or None
        defaults = [d.strip() for d in c[2].text_input("缺省字段（如 status=available；多个用分号）",
                                                        key="layer_import_defaults").split(";") if d.strip()]
        replace = st.checkbox("替换整个图层", key="layer_import_replace")
        partial = st.checkbox("跳过有错误的要素，导入其余的", key="layer_import_partial")
        if not files:
            return
        check, apply = st.columns(2)
        run_check, run_apply = check.button("检查并预览"), apply.button("应用", type="primary")
        if not (run_check or run_apply):
            return
        crs = int(crs_text) if crs_text.strip().isdigit() else (crs_text or None)
        try:
            # team mode: saved under the account first (size limit, quota), then read back from the stored files
            source = {f.name: f.getvalue() for f in uploads.stored_files(files)}

            def run(w):
                return import_layer(w, into, source, layer_name=layer_name, encoding=encoding, datum=datum, crs=crs,
                                    defaults=defaults, replace=replace, allow_partial=partial,
                                    seven_parameters=settings().layer_import.seven_parameters,
                                    limits=settings().layer_import)
            result = run(ws)
        except CRSMissingError as exc:
            st.error(str(exc))
            if exc.candidates:
                st.session_state["layer_import_crs"] = str(exc.candidates[0])
                st.info(f"已在“坐标系 EPSG”中填入 {exc.candidates[0]}（可改），请再点“检查并预览”。")
            else:
                st.info("请在“坐标系 EPSG”中填入坐标系的 EPSG 编号，再点“检查并预览”。")
            return
        except ValidationError as exc:
            st.error(f"{exc}：未写入。")
            st.dataframe(tables.report_table(exc.report).query("级别 == '错误'"), hide_index=True, width="stretch")
            return
        except LandGapError as exc:
            st.error(str(exc))
            if exc.code in WIDGET_HINTS:
                st.info(WIDGET_HINTS[exc.code])
            return
        t = result.tally
        st.markdown(f"**{result.source.name}**（{result.source.kind}）：输入 {t['input']} 个要素，"
                    f"导入 {t['imported']}、修复后导入 {t['repaired']}、未导入 {t['rejected']}")
        rows = [{result.source.row_label: str(k), "结果": IMPORT_RESULT_LABELS[r], "说明": d}
                for k, (r, d) in result.outcome.items() if r != "imported"]
        if rows:
            st.dataframe(rows, hide_index=True, width="stretch")
        for issue in result.report.issues:
            (st.warning if issue.level == "warning" else st.info)(issue.message)
        st.image(preview_png(result), caption="预览：红色为导入后的图层，灰线为园区边界")
        if run_apply:
            if "ws_edited" in st.session_state:
                st.error("当前工作空间有未保存的修改：请先“保存到文件”再导入。")
                return
            from stores.layer_write import store_result
            try:
                auth.require_role("editor", "导入图层")      # checked where it writes, not only by hiding the panel
                # through the store (GeoPackage or PostGIS): row-level, versioned, audited — never a file rewrite
                store_result(path, settings(), ws, result, run, auth.current_user())
            except LandGapError as exc:
                st.error(str(exc))
                return
            st.session_state["layer_import_done"] = (f"已导入 {result.source.name} 到{IMPORT_TARGET_LABELS[into]}图层"
                                                     f"并写回 {path.name}：{result.counts}")
            set_workspace(path)
            st.rerun()
