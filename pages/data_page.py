"""数据管理: load or switch the workspace, download it, edit the project list (validated), see the load report."""
import tempfile
from pathlib import Path

import streamlit as st

from formats.ledger import import_ledger, import_parcel_ledger, import_summary, ledger_sheets
from formats.ledger_stock import import_firm_ledger
from formats.shapefile import import_parcel_layer
from geo.errors import LandGapError, ValidationError
from geo.schema import PROJECTS
from geo.supply import known_industries
from geo.vocab import (
    FIELD_LABELS,
    FIRM_LEDGER_HEADERS,
    PARCEL_LEDGER_HEADERS,
    PROJECT_LEDGER_HELP,
    PROJECT_STAGE_LABELS,
    STOCK_DATA_TEXTS,
)
from layers import tables
from pages import auth, common, history_panel, stock_panel, targets, uploads
from pages.context import settings
from seeds.sample import default_workspace_path
from stores import ConflictError
from stores.archive import open_archive, workspace_archive
from stores.gpkg_file import save_workspace

auth.require_login()
st.title("数据管理")
ws, report, key = common.current()
if ws is not None:
    common.sidebar(ws)
path = common.workspace_path()

# ----------------------------------------------------------------------------------------- current file
st.subheader("当前工作空间")
edited = "ws_edited" in st.session_state
st.markdown(f"文件：`{targets.display(path)}`" + ("（已修改，尚未保存）" if edited else ""))
if ws is not None:
    c = st.columns(5)
    c[0].metric("园区", len(ws.zones))
    c[1].metric("地块", len(ws.parcels))
    c[2].metric("标准厂房", len(ws.factories))
    c[3].metric("招商项目", len(ws.projects))
    c[4].metric(STOCK_DATA_TEXTS["firms_metric"], len(ws.firms))
    st.caption(f"坐标系：{ws.crs.name}（EPSG:{ws.crs.to_epsg()}）；DEM：{ws.dem_path.name if ws.dem_path else '无'}")

# ----------------------------------------------------------------------------------------- switch
st.subheader("打开或切换工作空间")
if auth.team_mode():
    # team mode: only the workspaces an admin registered; no server paths typed, no uploads opened
    registered = auth.registered_workspaces()
    names = list(registered)
    chosen = st.selectbox("工作空间（管理员登记）", names, key="ws_registered",
                          index=next((i for i, n in enumerate(names) if registered[n] == str(path)), 0))
    if registered[chosen] != str(path) and st.button("打开所选工作空间"):
        common.set_workspace(registered[chosen])
        st.rerun()
else:
    c1, c2 = st.columns(2)
    with c1:
        upload = uploads.file_uploader("上传 GeoPackage（.gpkg），或本页下载的压缩包（.zip，含 DEM）", ["gpkg", "zip"],
                                       key="ws_upload")
        if upload is not None and st.button("打开上传的文件"):
            folder = Path(tempfile.gettempdir()) / "landgap-uploads"
            folder.mkdir(exist_ok=True)
            try:
                if upload.name.lower().endswith(".zip"):
                    target = open_archive(upload.getvalue(), upload.name, folder)
                else:
                    target = folder / Path(upload.name).name
                    target.write_bytes(upload.getvalue())
            except LandGapError as exc:
                st.error(str(exc))
            else:
                common.set_workspace(target)
                st.rerun()
    with c2:
        typed = st.text_input("或输入服务器上的文件路径", value=str(path))
        if st.button("打开该路径"):
            if Path(typed).is_file():
                common.set_workspace(typed)
                st.rerun()
            else:
                st.error(f"文件不存在：{typed}")
        if st.button("恢复默认（示例县或 $LANDGAP_WORKSPACE）"):
            common.set_workspace(default_workspace_path(settings().runtime))
            st.rerun()


def workspace_bytes() -> bytes:
    """The file as it stands, or the edited workspace written atomically to a temporary file."""
    if "ws_edited" not in st.session_state:
        return path.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        return save_workspace(st.session_state["ws_edited"], Path(tmp) / path.name).read_bytes()


if ws is not None and ws.dem_path is not None:
    st.download_button("下载工作空间（.zip：GeoPackage + DEM）",
                       lambda: workspace_archive(workspace_bytes(), path.name, ws.dem_path), f"{path.stem}.zip",
                       "application/zip", on_click="ignore")
else:
    st.download_button("下载工作空间（.gpkg）", workspace_bytes, path.name, "application/geopackage+sqlite3",
                       on_click="ignore", disabled=ws is None)



def sheet_choice(file, find, key: str) -> dict:
    """``{"sheet": …}`` chosen by the user when several visible sheets of the uploaded workbook look like ledgers
    (``find``(bytes, name) → their names); else nothing (the import reads the one there is, or says why not)."""
    if not file.name.lower().endswith((".xlsx", ".xlsm")):
        return {}
    try:
        names = find(file.getvalue(), file.name)
    except LandGapError:
        return {}
    if len(names) < 2:
        return {}
    label = f"工作表（有 {len(names)} 个工作表像台账，请选择要导入的）"
    return {"sheet": st.selectbox(label, names, key=f"{key}_sheet")}


def ledger_section(title: str, key: str, label: str, button: str, caption: str, options, apply,
                   types: tuple[str, ...] = ("xlsx", "csv"), multiple: bool = False, noun: str = "台账",
                   row_hint: str = "行号为 Excel 中的行号", row_column: str = "台账行号", sheets=None) -> None:
    """An expander to upload a ledger (Excel/CSV), or a layer's files, and apply it: ``options``() draws extra
    widgets and returns the keyword arguments of ``apply``(file, **options) → (workspace, counts, report) — ``file``
    a list when ``multiple``; bad cells are listed by the source's own row (``row_hint``). ``sheets``(bytes, name):
    the workbook's sheets that look like ledgers, offered as a choice when there are several."""
    with st.expander(title, expanded=f"{key}_done" in st.session_state):
        st.caption(caption)
        if f"{key}_done" in st.session_state:
            st.success(st.session_state.pop(f"{key}_done"))
        file = uploads.file_uploader(label, types, key=f"{key}_upload", accept_multiple_files=multiple)
        kwargs = options()
        if file and sheets is not None and not multiple:
            kwargs.update(sheet_choice(file, sheets, key))
        if not file or not st.button(button, key=f"{key}_import"):
            return
        files = file if multiple else [file]
        names = "、".join([f.name for f in files if f.name.lower().endswith((".shp", ".zip"))]
                         or [f.name for f in files])
        try:
            stored = uploads.stored_files(files)      # team mode: saved under the account first, then read from there
            new, counts, notes = apply(stored if multiple else stored[0], **kwargs)
        except ValidationError as exc:
            st.error(f"{exc}。请按下表修改{noun}（{row_hint}）：")
            common.grid(tables.report_table(exc.report).query("级别 == '错误'").rename(columns={"行": row_column}))
        except LandGapError as exc:
            st.error(str(exc))
        else:
            common.set_workspace(edited=new)
            st.session_state[f"{key}_done"] = (f"已导入{noun} {names}：{import_summary(counts, new)}"
                                               "（尚未保存，点“保存到文件”写回）。"
                                               + "".join(f"\n\n提示：{i.message}" for i in notes.issues))
            st.rerun()


# ----------------------------------------------------------------------------------------- projects
viewer = ws is not None and not auth.can("editor")
if viewer:                  # 查看: the table only; no edit, save or import controls at all
    st.subheader("招商项目表")
    common.grid(tables.project_editor_frame(ws))
if ws is not None and not viewer:
    st.subheader("招商项目表")
    st.caption("直接在表中修改、增加或删除行；“校验并应用”后各页面即按新表计算，“保存到文件”以原子方式写回。")
    doc = {f.name: f.doc for f in PROJECTS.fields}
    cfg = {c: st.column_config.Column(FIELD_LABELS.get(c, c), help=doc.get(c)) for c in tables.PROJECT_COLUMNS}
    cfg["stage"] = st.column_config.SelectboxColumn(FIELD_LABELS["stage"], options=list(PROJECT_STAGE_LABELS.values()),
                                                    required=True, help=doc["stage"])
    cfg["industry"] = st.column_config.SelectboxColumn(FIELD_LABELS["industry"], required=True,
                                                       options=known_industries(ws.zones, ws.projects))
    cfg["preferred_zone"] = st.column_config.SelectboxColumn(FIELD_LABELS["preferred_zone"],
                                                             options=list(ws.zones.index), help=doc["preferred_zone"])
    cfg["needed_by"] = st.column_config.DateColumn(FIELD_LABELS["needed_by"], format="YYYY-MM-DD")
    table = st.data_editor(tables.project_editor_frame(ws), column_config=cfg, num_rows="dynamic",
                           hide_index=True, width="stretch", placeholder=common.EMPTY_CELL,
                           key=f"projects_editor_{key}")
    a, b = st.columns(2)
    if a.button("校验并应用", type="primary"):
        try:
            new = ws.with_projects(tables.editor_to_projects(ws, table))
        except ValidationError as exc:
            st.error("项目表有误，未应用。请按下表修改（行号为表中第几行）：")
            common.grid(tables.report_table(exc.report, "projects").query("级别 == '错误'"))
        else:
            common.set_workspace(edited=new)
            st.success(f"已应用：{len(new.projects)} 个项目。")
            st.rerun()
    if b.button("保存到文件", disabled=not edited):
        try:
            done = common.save_edits(path)
        except ConflictError as exc:
            st.error(f"{exc}")
            st.session_state["save_conflict"] = True
        except LandGapError as exc:
            st.error(str(exc))
        else:
            st.session_state["save_done"] = done
            st.rerun()
    if st.session_state.get("save_conflict") and st.button("放弃本次修改并重新读取", key="reload_after_conflict"):
        st.session_state.pop("save_conflict", None)
        common.set_workspace(path)
        st.rerun()
    if "save_done" in st.session_state:
        st.success(st.session_state.pop("save_done"))

    ledger_section(
        "从台账导入（Excel / CSV）", "ledger", "招商项目台账", "导入台账",
        PROJECT_LEDGER_HELP,
        options=lambda: {"replace": st.radio("导入方式", ["按编号或名称更新，其余新增", "替换整个项目表"],
                                             horizontal=True, key="ledger_mode").startswith("替换")},
        apply=lambda f, replace, sheet=None: import_ledger(ws, f.getvalue(), f.name, replace=replace,
                                                           cny_per_usd=settings().ledger.cny_per_usd, sheet=sheet),
        sheets=ledger_sheets)
    ledger_section(
        "从土地台账更新地块（状态、可供日期）", "parcel_ledger", "土地台账", "更新地块",
        "按地块编号（宗地号）更新供地状态、预计可供时间、用地类型、台账面积；地块范围仍以图层为准，台账未列的地块不变。",
        options=dict, apply=lambda f, sheet=None: import_parcel_ledger(ws, f.getvalue(), f.name, sheet=sheet),
        sheets=lambda data, name: ledger_sheets(data, name, PARCEL_LEDGER_HEADERS, "parcel_id"))
    ledger_section(
        "从其他 GIS 导入地块图层（Shapefile）", "parcel_layer", "地块图层：.shp、.shx、.dbf、.prj（及 .cpg）一起选中，"
        "或打包的 .zip", "导入图层",
        "字段名按常见写法识别（地块编号/宗地号/DKBH、供地状态/GDZT、预计可供时间、地类名称/DLMC、面积/MJ、园区），"
        "被截断为 10 字节的中文字段名也能识别；没有 .cpg 时按内容识别 GBK 或 UTF-8 并提示；坐标系按 .prj 转换；"
        "面积字段为平方米或公顷时按图形面积识别并换算为亩；没有园区字段的地块按所在位置归入园区。有任何错误则整层不导入。",
        options=lambda: {
            "encoding": {"自动识别（.cpg 或按内容）": None, "GBK / GB2312": "GBK", "UTF-8": "UTF-8"}[
                st.selectbox("属性编码", ["自动识别（.cpg 或按内容）", "GBK / GB2312", "UTF-8"],
                             key="parcel_layer_encoding")],
            "replace": st.radio("导入方式", ["按地块编号更新，其余新增", "替换整个地块图层"], horizontal=True,
                                key="parcel_layer_mode").startswith("替换")},
        apply=lambda files, encoding, replace: import_parcel_layer(
            ws, {f.name: f.getvalue() for f in files}, "、".join(f.name for f in files), encoding, replace),
        types=("shp", "shx", "dbf", "prj", "cpg", "zip"), multiple=True, noun="图层",
        row_hint="按要素 FID，与 QGIS/ArcGIS 属性表一致", row_column="要素 FID")
    ledger_section(
        STOCK_DATA_TEXTS["firms_import"], "firm_ledger", STOCK_DATA_TEXTS["firms_upload"],
        STOCK_DATA_TEXTS["firms_button"], STOCK_DATA_TEXTS["firms_caption"],
        options=lambda: {"replace": st.radio(STOCK_DATA_TEXTS["firms_mode"], [STOCK_DATA_TEXTS["firms_update"],
                                             STOCK_DATA_TEXTS["firms_replace"]], horizontal=True,
                                             key="firm_ledger_mode") == STOCK_DATA_TEXTS["firms_replace"]},
        apply=lambda f, replace, sheet=None: import_firm_ledger(ws, f.getvalue(), f.name, replace=replace,
                                                                sheet=sheet),
        sheets=lambda data, name: ledger_sheets(data, name, FIRM_LEDGER_HEADERS, "name"))
    from pages import layer_import_panel
    layer_import_panel.render(ws, path, common.set_workspace)
if ws is not None:
    stock_panel.render(ws)
history_panel.render(path)

# ----------------------------------------------------------------------------------------- report
st.subheader("校验报告")
st.markdown(f"{report.source}：{report.summary()}")
issues = tables.report_table(report)
if issues.empty:
    st.success("未发现问题。")
else:
    common.grid(issues)
