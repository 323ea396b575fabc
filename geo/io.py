"""Reading district boundaries and tables, writing ranked exports.

Boundaries come from any OGR source pyogrio reads (GeoPackage, GeoJSON,
FlatGeobuf, Shapefile, a zipped Shapefile) or GeoParquet. They must carry a
CRS; invalid geometries are repaired and counted; district codes are kept as
text so leading zeros survive.
"""

from __future__ import annotations

import contextlib
import re
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.i18n import _, format_spec, ngettext
from geo.errors import BoundaryError, LayerDataError, MissingCRSError, TargetingError
from geo.tables import read_table
from geo.text import normalise_code

__all__ = [
    "BoundaryReport",
    "read_boundaries",
    "read_attributes",
    "read_table",
    "write_table",
    "neutralise_formulas",
    "EXPORT_SUFFIXES",
    "SETTINGS_SUFFIXES",
]

EXPORT_SUFFIXES = (".csv", ".xlsx", ".gpkg", ".geojson", ".parquet")
#: The export formats that keep the settings (``metadata``) beside the table; CSV and GeoParquet keep the table only.
SETTINGS_SUFFIXES = (".xlsx", ".gpkg", ".geojson")


@dataclass(frozen=True)
class BoundaryReport:
    """What reading a boundary file found and repaired."""

    path: str
    features: int
    repaired: int = 0
    empty: list[str] = field(default_factory=list)
    crs: str = ""
    reduced: int = 0
    unnamed: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when nothing was repaired, reduced or found empty."""
        return not (self.repaired or self.reduced or self.empty or self.unnamed)

    def lines(self) -> list[str]:
        """Human-readable summary."""
        out = [_("{path}: {features} districts, CRS {crs}").format(
            path=self.path, features=self.features, crs=self.crs)]
        if self.repaired:
            out.append(ngettext("  {repaired} invalid geometry repaired (make_valid)",
                                "  {repaired} invalid geometries repaired (make_valid)", self.repaired).format(
                repaired=self.repaired))
        if self.reduced:
            out.append(
                ngettext("  {reduced} geometry reduced to their polygons "
                         "(points and lines in a district's geometry are not part of its area)",
                         "  {reduced} geometries reduced to their polygons "
                         "(points and lines in a district's geometry are not part of its area)",
                         self.reduced).format(reduced=self.reduced)
            )
        if self.empty:
            out.append(_("  {n_empty} district(s) without geometry kept, shown as 'no shape': {empty}").format(
                n_empty=len(self.empty), empty=self.empty[:10]))
        if self.unnamed:
            out.append(_("  {n_unnamed} district(s) without a name, shown by their code: {unnamed}").format(
                n_unnamed=len(self.unnamed), unnamed=self.unnamed[:10]))
        return out


def _ogr_path(path: Path) -> str:
    if path.suffix.lower() == ".zip":
        _check_zip(path)
        return f"/vsizip/{path}"
    return str(path)


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile as exc:
        raise BoundaryError(_("{path}: not a valid zip file ({exc}); re-export the archive.").format(
            path=path, exc=exc)) from None
    bad = [n for n in names if n.startswith("/") or ".." in Path(n).parts]
    if bad:
        raise BoundaryError(
            _("{path}: archive member names leave the archive folder ({bad}); refusing to read it. "
            "Re-create the zip with plain relative names.").format(path=path, bad=bad[:3])
        )
    shps = [n for n in names if n.lower().endswith(".shp")]
    for shp in shps:
        stem = shp[:-4]
        lowered = {n.lower() for n in names}
        for ext in (".dbf", ".shx"):
            if (stem + ext).lower() not in lowered:
                raise BoundaryError(
                    _("{path}: shapefile {shp!r} has no {ext} file in the archive; add it to the zip.").format(
                        path=path, shp=shp, ext=ext)
                )
        if (stem + ".prj").lower() not in lowered:
            raise MissingCRSError(
                _("{path}: shapefile {shp!r} has no .prj file, so its coordinate reference system is "
                "unknown; add the .prj to the zip (or re-export with a CRS).").format(path=path, shp=shp)
            )


def _read_any(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    if not path.exists():
        raise BoundaryError(_("{path}: file not found; check the path in the configuration.").format(
            path=path))
    try:
        if path.suffix.lower() == ".parquet":
            frame = gpd.read_parquet(path)
        else:
            frame = gpd.read_file(_ogr_path(path), layer=layer, engine="pyogrio")
    except TargetingError:
        raise
    except Exception as exc:  # pyogrio/GDAL raise many types for unreadable files
        layers = ""
        try:
            layers = _(" Layers in the file: {value}.").format(
                value=[l[0] for l in pyogrio.list_layers(_ogr_path(path))])
        except Exception:
            pass
        raise BoundaryError(
            _("{path}: cannot read it as a vector dataset ({name}: {exc}).{layers} "
            "Use GeoPackage, GeoJSON, FlatGeobuf, GeoParquet or a (zipped) Shapefile.").format(
                path=path, name=type(exc).__name__, exc=exc, layers=layers)
        ) from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise BoundaryError(
            _("{path}: the file has no geometry column, so it holds no boundaries (is it a table?). Give a "
              "GeoPackage, GeoJSON, FlatGeobuf, GeoParquet or (zipped) Shapefile with the districts' "
              "shapes.").format(path=path)
        )
    return frame


def read_attributes(path: str | Path, fields: Sequence[str], layer: str | None = None) -> pd.DataFrame:
    """Read some fields of a boundary file (e.g. a parent level's codes and names), checked like the boundaries.

    Parameters
    ----------
    path : str or Path
        A boundary file.
    fields : sequence of str
        Fields that must exist.
    layer : str, optional
        Layer of a multi-layer file.

    Returns
    -------
    pandas.DataFrame
        The fields, without geometry.

    Raises
    ------
    BoundaryError
        Unreadable file, no geometry, or a missing field (naming the fields available).
    """
    path = Path(path)
    raw = _read_any(path, layer)
    _check_fields(raw, path, list(fields))
    return pd.DataFrame(raw[list(fields)])


def read_boundaries(
    path: str | Path,
    *,
    id_field: str,
    name_field: str | None = None,
    parent_field: str | None = None,
    layer: str | None = None,
    extra_fields: Sequence[str] = (),
) -> tuple[gpd.GeoDataFrame, BoundaryReport]:
    """Read district boundaries into a frame indexed by district code.

    Parameters
    ----------
    path : str or Path
        Any vector file pyogrio reads, a zipped Shapefile, or GeoParquet.
    id_field : str
        Field holding the unique district code (kept as text).
    name_field, parent_field : str, optional
        Fields for the district name and its parent district's code.
    layer : str, optional
        Layer inside a multi-layer file (GeoPackage).
    extra_fields : sequence of str
        Further fields to keep (e.g. ``type``, ``parent_name``).

    Returns
    -------
    (geopandas.GeoDataFrame, BoundaryReport)
        Index ``code`` (str); columns ``name``, ``parent_code`` (when given),
        the extra fields and ``geometry``.

    Raises
    ------
    MissingCRSError
        The file has no CRS.
    BoundaryError
        Unreadable file, missing field, duplicate or empty codes, no features,
        coordinates outside the range of a geographic CRS.

    Examples
    --------
    >>> from pathlib import Path
    >>> gdf, report = read_boundaries(Path("tests/data/own_data/districts.geojson"),
    ...                               id_field="DIST_ID", name_field="DIST_NAME")  # doctest: +SKIP
    """
    path = Path(path)
    raw = _read_any(path, layer)
    if len(raw) == 0:
        raise BoundaryError(_("{path}: the layer has no features; check the file or the layer name.").format(
            path=path))
    _check_fields(raw, path, [id_field, name_field, parent_field, *extra_fields])
    if raw.crs is None:
        raise MissingCRSError(
            _("{path}: no coordinate reference system. Set one, e.g. "
            "gdf.set_crs('EPSG:4326') or re-export the file with its CRS.").format(path=path)
        )
    _check_geographic_range(raw, path)
    codes = normalise_code(raw[id_field])
    _check_codes(codes, path, id_field)
    out = gpd.GeoDataFrame(index=pd.Index(codes.to_numpy(), name="code"), crs=raw.crs,
                           geometry=raw.geometry.to_numpy())
    names, unnamed = _names(raw[name_field], codes) if name_field else (codes.to_numpy(), [])
    out.insert(0, "name", names)
    if parent_field:
        out.insert(1, "parent_code", normalise_code(raw[parent_field]).to_numpy())
    for f in extra_fields:
        out[f] = raw[f].to_numpy()
    out = out.set_geometry("geometry")
    geoms, repaired, reduced = _repair(out.geometry)
    out = out.set_geometry(geoms)
    empty = list(out.index[out.geometry.isna() | out.geometry.is_empty])
    if len(empty) == len(out):
        raise BoundaryError(
            _("{path}: none of the {n_out} features has a geometry (all empty or null), so no district can be "
            "mapped nor hold a point or pixel; re-export the boundaries with their shapes.").format(
                path=path, n_out=len(out))
        )
    report = BoundaryReport(str(path), len(out), repaired, empty, out.crs.to_string(), reduced, unnamed)
    return out, report


def _names(raw: pd.Series, codes: pd.Series) -> tuple[np.ndarray, list[str]]:
    """District names as text; a missing or blank name is replaced by the code (and listed).

    A name is never a missing-value token: ``"NA"`` or ``"None"`` is kept as written.
    """
    def text(v: object) -> str:
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            return ""
        return str(v).strip()

    names = raw.map(text).to_numpy(dtype=object)
    blank = names == ""
    names[blank] = codes.to_numpy(dtype=object)[blank]
    return names, [str(c) for c in codes[blank]]


def _check_fields(frame: pd.DataFrame, path: Path, fields: Sequence[str | None]) -> None:
    missing = [f for f in fields if f is not None and f not in frame.columns]
    if missing:
        available = [c for c in frame.columns if c != frame.geometry.name]
        raise BoundaryError(
            _("{path}: field(s) {missing} not found; available fields: {available}. "
            "Fix the field names in the configuration.").format(
                path=path, missing=missing, available=available)
        )


def _check_codes(codes: pd.Series, path: Path, id_field: str) -> None:
    if codes.isna().any() or (codes == "").any():
        n = int((codes.isna() | (codes == "")).sum())
        raise BoundaryError(_("{path}: field {id_field!r} is empty for {n} feature(s); give every district a code.").format(
            path=path, id_field=id_field, n=n))
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        raise BoundaryError(
            _("{path}: field {id_field!r} has duplicate codes {sorted}; "
            "codes must be unique (dissolve multi-part districts or fix the codes).").format(
                path=path, id_field=id_field, sorted=sorted(dup.unique())[:10])
        )


def _check_geographic_range(gdf: gpd.GeoDataFrame, path: Path) -> None:
    if not gdf.crs.is_geographic:
        return
    minx, miny, maxx, maxy = gdf.total_bounds
    if np.isfinite([minx, miny, maxx, maxy]).all() and (
        minx < -180.5 or maxx > 360.5 or miny < -90.5 or maxy > 90.5
    ):
        raise BoundaryError(
            _("{path}: coordinates ({minx}, {miny}, {maxx}, {maxy}) are outside the range "
            "of the declared geographic CRS {to_string}; the file is probably projected and "
            "mislabelled. Set its real CRS (e.g. gdf.set_crs('EPSG:32629', allow_override=True)).").format(
                path=path, minx=format_spec(minx, ".0f"), miny=format_spec(miny, ".0f"), maxx=format_spec(maxx, ".0f"), maxy=format_spec(maxy, ".0f"), to_string=gdf.crs.to_string())
        )


def _repair(geoms: gpd.GeoSeries) -> tuple[gpd.GeoSeries, int, int]:
    """Repair invalid geometries and keep only the polygonal parts of every geometry.

    Returns the geometries, the number repaired with ``make_valid`` and the number
    of valid but not polygonal geometries (collections, lines, points) reduced to
    their polygons (an empty polygon when they have none).
    """
    arr = geoms.to_numpy()
    present = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    invalid = present & ~shapely.is_valid(arr)
    kinds = shapely.get_type_id(arr)
    polygonal = np.isin(kinds, (3, 6))  # Polygon, MultiPolygon
    other = present & ~invalid & ~polygonal
    if not invalid.any() and not other.any():
        return geoms, 0, 0
    fixed = arr.copy()
    if invalid.any():
        fixed[invalid] = [_polygonal(g) for g in shapely.make_valid(arr[invalid])]
    if other.any():
        fixed[other] = [_polygonal(g) for g in arr[other]]
    return gpd.GeoSeries(fixed, index=geoms.index, crs=geoms.crs), int(invalid.sum()), int(other.sum())


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygonal parts of a repaired geometry."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    polys = [p for g in parts for p in shapely.get_parts(g)]
    if not polys:
        return shapely.Polygon()
    return polys[0] if len(polys) == 1 else shapely.make_valid(shapely.union_all(polys))


def write_table(frame: pd.DataFrame, path: str | Path, *, metadata: dict | None = None,
                labels: Mapping[str, str] | None = None) -> Path:
    """Write a ranked table by file suffix: .csv, .xlsx, .gpkg, .geojson, .parquet.

    CSV is UTF-8 with full float precision (shortest round-trip form); Excel gets a second sheet
    ``settings`` with the metadata; GeoPackage/GeoJSON need a geometry column.

    In CSV and Excel files, text cells that a spreadsheet program would run as a
    formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return) are written with a leading apostrophe (``'=1+2``), see
    :func:`neutralise_formulas`; numbers, negative ones included, are left as
    they are.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; a GeoDataFrame for ``.gpkg``, ``.geojson`` and ``.parquet``.
    path : str or Path
        Output file; its suffix chooses the format.
    metadata : dict, optional
        Settings written to a ``settings`` sheet (Excel), layer (GeoPackage) or member (GeoJSON).
    labels : mapping, optional
        Column id -> label in the reader's language (:func:`geo.labels.column_labels`), written
        to a ``columns`` sheet of an Excel file; the ids stay the header of every format.

    Returns
    -------
    Path

    Raises
    ------
    TargetingError
        Unsupported suffix, or a geographic format without geometries.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise TargetingError(
            _("Unsupported export format {suffix!r} for {path}; use one of {list}.").format(
                suffix=suffix, path=path, list=list(EXPORT_SUFFIXES))
        )
    if path.is_dir():
        raise TargetingError(_("{path}: is a folder; give the export a file name ending in {suffix}.").format(
            path=path, suffix=suffix))
    try:
        _write(frame, path, suffix, metadata, labels)
    except OSError as exc:
        raise TargetingError(
            _("{path}: cannot write the export ({value}); choose a folder you can write to.").format(
                path=path, value=exc.strerror or exc)
        ) from None
    return path


def _write(frame: pd.DataFrame, path: Path, suffix: str, metadata: dict | None,
           labels: Mapping[str, str] | None = None) -> None:
    """Write ``frame`` in the format of ``suffix`` (see :func:`write_table`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    if suffix == ".csv":
        _floats_as_text(neutralise_formulas(plain)).to_csv(path, index=False)
    elif suffix == ".xlsx":
        with _full_precision_xlsx(), pd.ExcelWriter(path, engine="openpyxl") as xl:
            neutralise_formulas(plain).to_excel(xl, sheet_name="ranking", index=False)
            if metadata:
                settings = pd.DataFrame(sorted(metadata.items()), columns=["setting", "value"]).astype(str)
                neutralise_formulas(settings).to_excel(xl, sheet_name="settings", index=False)
            if labels:
                names = pd.DataFrame([(c, str(labels.get(c, c))) for c in plain.columns], columns=["column", "label"])
                neutralise_formulas(names).to_excel(xl, sheet_name="columns", index=False)
    else:
        if not isinstance(frame, gpd.GeoDataFrame):
            raise TargetingError(_("{path}: {suffix} export needs district geometries.").format(
                path=path, suffix=suffix))
        if suffix == ".parquet":
            frame.to_parquet(path)
        elif suffix == ".geojson":
            path.write_text(_geojson(frame, metadata), encoding="utf-8")
        else:
            driver = "GPKG" if suffix == ".gpkg" else "GeoJSON"
            if path.exists():
                path.unlink()
            frame.to_file(path, driver=driver, engine="pyogrio", layer="ranking" if driver == "GPKG" else None)
            if metadata and driver == "GPKG":
                meta = pd.DataFrame(sorted(metadata.items()), columns=["setting", "value"]).astype(str)
                pyogrio.write_dataframe(meta, path, layer="settings", driver="GPKG", append=False)


def _floats_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every ``float64`` column replaced by the text ``to_csv`` writes for it.

    ``to_csv`` writes a float cell as numpy's ``str`` of it (the shortest text that reads back as
    the same number) and a missing one as an empty cell; here each distinct value (by its bits, so
    ``-0.0`` stays ``-0.0``) is converted once, which is several times faster on columns such as
    layers in tenths or deciles, and the file is the same byte for byte.
    """
    out = frame.copy(deep=False)
    for i in range(out.shape[1]):
        values = out.iloc[:, i]
        if values.dtype != np.float64:
            continue
        codes, bits = pd.factorize(values.to_numpy().view(np.int64))
        distinct = bits.view(np.float64)
        text = distinct.astype(str).astype(object)
        text[np.isnan(distinct)] = ""
        out.isetitem(i, text[codes])
    return out


def _geojson(frame: gpd.GeoDataFrame, metadata: dict | None = None) -> str:
    """A GeoJSON FeatureCollection with every float in its shortest round-trip form.

    GDAL's GeoJSON writer rounds floats (9.900000000000002 becomes 9.9); Python's ``json`` writes
    ``repr`` of each float. Missing values become ``null``; a CRS other than EPSG:4326 is named in
    a ``crs`` member, as GDAL writes it; ``metadata`` becomes a ``settings`` member (a foreign
    member, RFC 7946 section 6.1).
    """
    import json

    data = json.loads(frame.to_json(drop_id=True, na="null"))
    data = {"type": "FeatureCollection", "name": "ranking", **{k: v for k, v in data.items() if k != "type"}}
    epsg = frame.crs.to_epsg() if frame.crs is not None else None
    if frame.crs is not None and epsg != 4326:
        name = f"urn:ogc:def:crs:EPSG::{epsg}" if epsg else frame.crs.to_wkt()
        data["crs"] = {"type": "name", "properties": {"name": name}}
    if metadata:
        data["settings"] = {str(k): str(v) for k, v in sorted(metadata.items())}
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells cannot run as spreadsheet formulas.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return gets a leading apostrophe, which spreadsheet programs show as text
    (CSV/formula injection). Numbers are left alone, and so is text that is a
    plain number such as ``"-12.5"``; column names are treated like cells.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        Same index, columns and dtypes; only text cells may change.

    Examples
    --------
    >>> t = pd.DataFrame({"name": ["=1+2", "-2+3", "Fès", "-7"], "score": [-1.5, 2.0, 0.0, 1.0]})
    >>> neutralise_formulas(t)["name"].tolist()
    ["'=1+2", "'-2+3", 'Fès', '-7']
    >>> neutralise_formulas(t)["score"].tolist()
    [-1.5, 2.0, 0.0, 1.0]
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = _neutralised(out[col])
    out.columns = [_neutralise_cell(c) for c in out.columns]
    return out


def _neutralised(column: pd.Series) -> pd.Series:
    """:func:`_neutralise_cell` of every cell, looking at each distinct text once."""
    values = column.to_numpy(dtype=object)
    try:
        changed = {v: _neutralise_cell(v) for v in pd.unique(values) if isinstance(v, str)}
    except TypeError:  # cells that cannot be hashed (lists): one by one
        return column.map(_neutralise_cell).astype(column.dtype)
    changed = {v: new for v, new in changed.items() if new is not v}
    if not changed:
        return column
    hit = column.isin(list(changed))
    out = column.astype(object).copy()
    out[hit] = column[hit].map(changed)
    return out.astype(column.dtype)


def _neutralise_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


_XLSX_LOCK = threading.Lock()


@contextlib.contextmanager
def _full_precision_xlsx() -> Iterator[None]:
    """Make openpyxl write floats in their shortest round-trip form while the block runs.

    openpyxl formats numbers with ``%.16g``, which loses the last digit of some
    doubles (49.999999999999986 is written 49.99999999999999); ``repr`` keeps
    every bit. The cell writer is swapped under a lock and restored afterwards;
    any other workbook written meanwhile only gains precision.
    """
    from openpyxl.cell import _writer

    original = _writer.safe_string

    def exact(value: object) -> str:
        if isinstance(value, (float, np.floating)) and np.isfinite(value):
            return float.__repr__(float(value))
        return original(value)

    with _XLSX_LOCK:
        _writer.safe_string = exact
        try:
            yield
        finally:
            _writer.safe_string = original
