"""What a layer becomes once an import is merged into the workspace, validated.

Parcels go through ``formats.shapefile.parcels_from_layer`` / ``merge_parcels`` (field names, units, parks by
location); zones and factories are merged by id like them; the constraint layers keep every field of the source.
Writing the result through the workspace's store is ``stores.layer_write.store_result``.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from formats import FormatError
from formats.ledger import validated_by_row
from geo.area import area_mu
from geo.errors import FIELD_MISSING, ValidationError
from geo.parse import text_cells
from geo.report import LoadReport
from geo.schema import CONSTRAINT_LAYERS, LAYERS, STORE_COLUMNS
from geo.vocab import FACTORY_LAYER_FIELDS, FLOOD_LAYER_FIELDS, ZONE_LAYER_FIELDS
from geo.workspace import Workspace

_FIELDS = {"zones": ZONE_LAYER_FIELDS, "factories": FACTORY_LAYER_FIELDS, "flood": FLOOD_LAYER_FIELDS}
STORE_OWN = ("fid", "geom", *STORE_COLUMNS)
"""Column names a store keeps for itself (the GeoPackage's feature id and geometry, the bookkeeping columns); field
names are compared as SQL does, ignoring case."""


def field_columns(frame: gpd.GeoDataFrame, fields: dict, codec: str | None) -> dict[str, str]:
    """field → the source's column for it, by the recognised names in ``fields`` (the first column wins)."""
    from formats.shapefile import field_for
    out: dict[str, str] = {}
    for column in frame.columns.drop(frame.geometry.name):
        got = field_for(str(column), codec or "UTF-8", fields)
        if got and got not in out:
            out[got] = column
    return out


def apply_defaults(frame: gpd.GeoDataFrame, columns: dict, defaults: dict, layer: str,
                   report: LoadReport) -> gpd.GeoDataFrame:
    """Default values (FIELD=VALUE): blanks of a present column filled, an absent field added (``columns`` updated)."""
    for key, value in defaults.items():
        if key in columns:
            col = columns[key]
            blank = frame[col].isna() | (frame[col].astype(str).str.strip() == "")
            if blank.any():
                frame.loc[blank, col] = value
                report.info(layer, "DEFAULT_FILLED", f"{int(blank.sum())} 个要素的“{col}”为空，按缺省值填为 {value}",
                            field=key)
        else:
            frame[key] = value
            columns[key] = key
            report.info(layer, "DEFAULT_FIELD", f"文件没有字段 {key}，全部按缺省值取 {value}", field=key)
    return frame


def _missing(into: str, columns: dict, frame, name: str, required: tuple[str, ...]):
    fields = _FIELDS.get(into, {})
    missing = [f"“{fields.get(f, (f,))[0]}”（{f}；可用的字段名：{'、'.join(fields.get(f, (f,))[:6])}）"
               for f in required if f not in columns]
    if missing:
        present = "、".join(map(str, frame.columns.drop(frame.geometry.name))) or "无"
        raise FormatError(f"{name} 缺少必填字段 {'，'.join(missing)}；现有字段：{present}；"
                          f"可按 字段=取值 统一指定缺省值", code=FIELD_MISSING)


def merged_layer(ws: Workspace, into: str, src, frame: gpd.GeoDataFrame, defaults: dict, replace: bool,
                 report: LoadReport):
    """(new workspace, the layer's table, counts); raises ValidationError (rows = the source's labels)."""
    if into == "parcels":
        from formats.shapefile import ParcelLayer, merge_parcels, parcels_from_layer
        from geo.vocab import PARCEL_EXTRA_FIELDS, PARCEL_LAYER_FIELDS
        columns = field_columns(frame, PARCEL_LAYER_FIELDS, src.encoding)
        columns.update({k: v for k, v in field_columns(frame, PARCEL_EXTRA_FIELDS, src.encoding).items()
                        if v not in columns.values()})
        frame = apply_defaults(frame, columns, defaults, into, report)
        if "parcel_id" not in columns and "name" in columns and frame[columns["name"]].notna().all():
            columns["parcel_id"] = columns["name"]             # KML/奥维 地标: the name is the parcel's number
            report.info(into, "ID_FROM_NAME", f"{src.name} 没有地块编号字段，以名称（{columns['name']}）作地块编号",
                        field="parcel_id")
        if "parcel_id" not in columns and "cad_handle" in frame.columns:
            columns["parcel_id"] = "cad_handle"
        table, rep, zoned = parcels_from_layer(ParcelLayer(src.name, frame, columns, src.encoding or "UTF-8"), ws)
        report.issues += rep.issues
        new, counts = merge_parcels(ws, table, report, replace, src.name, zoned)
        counts["overlapping_existing"] = report_overlaps(ws, table, replace, report)
        return new, new.parcels, counts
    if into in LAYERS:
        return _core(ws, into, src, frame, defaults, replace, report)
    return _constraint(ws, into, src, frame, defaults, replace, report)


def report_overlaps(ws: Workspace, table: gpd.GeoDataFrame, replace: bool, report: LoadReport) -> int:
    """A warning for each imported parcel (``table``: index = the source's labels) that overlaps a parcel the
    workspace keeps (not replaced by this import) by more than ``[validation] overlap_min_mu``: the ids and the
    overlap in 亩 (GRS80 ellipsoidal, ``geo.area``). Vectorised with an STRtree; returns how many imported parcels
    overlap."""
    if replace or not len(table) or not len(ws.parcels):
        return 0
    existing = ws.parcels[~ws.parcels.index.isin(table["parcel_id"].dropna().astype(str))]
    if not len(existing):
        return 0
    metric = ws.metric_crs
    new = np.asarray(gpd.GeoSeries(table.geometry.values, crs=table.crs).to_crs(metric).values)
    old = np.asarray(existing.geometry.to_crs(metric).values)
    left, right = shapely.STRtree(old).query(new, predicate="intersects")
    if not len(left):
        return 0
    inter = shapely.intersection(new[left], old[right])
    mu = area_mu(gpd.GeoSeries(inter, crs=metric), ws.center).to_numpy()
    tol = ws.validation.overlap_min_mu if ws.validation is not None else 0.0
    big = mu > tol
    ids, labels = existing["parcel_id"].to_numpy(), table.index.to_numpy()
    own = table["parcel_id"].to_numpy()
    for i, j, m in zip(left[big], right[big], mu[big]):
        report.warning("parcels", "OVERLAPS_EXISTING", f"导入的地块 {own[i]} 与工作空间已有的地块 {ids[j]} 重叠 "
                       f"{m:.2f} 亩（合计时只计一次）：请核对是否重复或边界有误", row=labels[i], field="geometry")
    return int(len(np.unique(left[big])))


def _core(ws: Workspace, into, src, frame, defaults, replace, report):
    from formats.shapefile import zones_by_location
    schema = LAYERS[into]
    columns = field_columns(frame, _FIELDS[into], src.encoding)
    frame = apply_defaults(frame, columns, defaults, into, report)
    required = tuple(f.name for f in schema.fields if f.required and not (into == "factories" and f.name == "zone_id"))
    _missing(into, columns, frame, src.name, required)
    id_field = schema.id_field
    table = gpd.GeoDataFrame({f: frame[c].to_numpy() for f, c in columns.items()}, geometry=frame.geometry.values,
                             crs=ws.crs, index=frame.index)
    text_cells(table, [f.name for f in schema.fields if f.kind == "text" and f.name in table.columns])
    located = 0
    if into == "factories":
        given = table["zone_id"] if "zone_id" in table.columns else pd.Series(None, index=table.index, dtype=object)
        blank = given.isna()
        if blank.any():
            found = zones_by_location(np.asarray(table.geometry[blank].values), ws.zones)
            given = given.astype(object)
            given[blank] = found
            located = int(pd.notna(found).sum())
            report.info(into, "ZONED_BY_LOCATION", f"{located} 栋厂房没有园区字段，已按所在位置归入园区",
                        field="zone_id")
        table["zone_id"] = given
    ids = table[id_field]
    for label in table.index[ids.notna() & ids.duplicated(keep=False)]:
        report.error(into, "DUPLICATE_ID", f"编号“{ids[label]}”在文件中出现多次", row=label, field=id_field)
    existing = getattr(ws, into)
    cols = [c for c in existing.columns if c not in ("area_mu", "net_mu")]
    base = existing[cols].iloc[0:0] if replace else existing[cols]
    table = table[~(ids.duplicated() & ids.notna())]
    updated = int(table[id_field].isin(base.index).sum())
    kept = base[~base.index.isin(table[id_field].dropna())]
    fresh = table.reindex(columns=[c for c in cols if c != "geometry"] + [c for c in table.columns if c not in cols
                                                                           and c != "geometry"] + ["geometry"])
    merged = gpd.GeoDataFrame(pd.concat([kept.reset_index(drop=True), fresh.reset_index(drop=True)],
                                        ignore_index=True), geometry="geometry", crs=ws.crs)
    row_of = {len(kept) + k: label for k, label in enumerate(table.index, start=1)}
    new = validated_by_row(report, into, lambda: ws.with_layers(**{into: merged}), {None: None, **row_of})
    if report.errors:
        raise ValidationError(f"{src.name} 有 {len(report.errors)} 处错误，未导入", report)
    counts = {f"{into}_added": len(table) - updated, f"{into}_updated": updated, f"{into}_kept": len(kept),
              "zoned_by_location": located}
    return new, getattr(new, into), counts


def _constraint(ws: Workspace, into, src, frame, defaults, replace, report):
    schema = CONSTRAINT_LAYERS[into]
    columns = field_columns(frame, _FIELDS.get(into, {}), src.encoding)
    frame = apply_defaults(frame, columns, defaults, into, report)
    _missing(into, columns, frame, src.name, tuple(f.name for f in schema.fields if f.required))
    table = frame.rename(columns={c: f for f, c in columns.items()})
    table.columns = [str(c) for c in table.columns]
    table = table.set_geometry(table.geometry.name).rename_geometry("geometry") \
        if table.geometry.name != "geometry" else table
    if into == "flood":
        from formats.cells import parsed_distinct
        from geo.parse import parse_number
        years = pd.to_numeric(parsed_distinct(table["return_period"], parse_number, report, into, "BAD_NUMBER",
                                              "重现期"), errors="coerce")         # 50, 50年, 五十 is an error
        bad_before = {i.row for i in report.errors}
        for label in table.index[(years.isna() | (years <= 0)) & ~table.index.isin(list(bad_before))]:
            report.error(into, "BAD_NUMBER", f"重现期“{table.at[label, 'return_period']}”应为正数（年）", row=label,
                         field="return_period")
        table["return_period"] = years
    if report.errors:
        raise ValidationError(f"{src.name} 有 {len(report.errors)} 处错误，未导入", report)
    table = _unclashed(table, into, report)
    old = None if replace else ws.constraints.get(into)      # as the store read it: a GeoPackage or PostGIS
    kept = 0
    if old is not None and len(old):
        kept = len(old)
        old = old.to_crs(ws.crs) if old.crs is not None and not old.crs.equals(ws.crs) else old
        table = gpd.GeoDataFrame(pd.concat([old, table.reset_index(drop=True)], ignore_index=True),
                                 geometry="geometry", crs=ws.crs)
        report.info(into, "APPENDED", f"追加到已有的 {kept} 个要素之后（可选择替换整个图层）")
    table = table.reset_index(drop=True)
    return ws, table, {f"{into}_added": len(table) - kept, f"{into}_kept": kept}


def _unclashed(table: gpd.GeoDataFrame, into: str, report: LoadReport) -> gpd.GeoDataFrame:
    """``table`` with every field whose name clashes with a store's own (FID from QGIS, version …) or, ignoring case,
    with an earlier field renamed ``name_1`` (``_2`` …), each with a note."""
    taken = {c.lower() for c in STORE_OWN} | {"geometry"}
    renames = {}
    for col in table.columns.drop(table.geometry.name):
        new, k = col, 0
        while new.lower() in taken:
            k += 1
            new = f"{col}_{k}"
        taken.add(new.lower())
        if new != col:
            renames[col] = new
            report.info(into, "FIELD_RENAMED", f"字段“{col}”与工作空间自身的字段重名，已改名为“{new}”", field=col)
    return table.rename(columns=renames) if renames else table
