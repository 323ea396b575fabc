"""Reading district boundaries and tables, writing ranked exports.

Boundaries come from any OGR source pyogrio reads (GeoPackage, GeoJSON,
FlatGeobuf, Shapefile, a zipped Shapefile) or GeoParquet. They must carry a
CRS; invalid geometries are repaired and counted; district codes are kept as
text so leading zeros survive.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.errors import BoundaryError, LayerDataError, MissingCRSError, TargetingError
from geo.text import normalise_code

__all__ = [
    "BoundaryReport",
    "read_boundaries",
    "read_table",
    "write_table",
    "neutralise_formulas",
    "EXPORT_SUFFIXES",
]

EXPORT_SUFFIXES = (".csv", ".xlsx", ".gpkg", ".geojson", ".parquet")


@dataclass(frozen=True)
class BoundaryReport:
    """What reading a boundary file found and repaired."""

    path: str
    features: int
    repaired: int = 0
    empty: list[str] = field(default_factory=list)
    crs: str = ""
    reduced: int = 0

    @property
    def complete(self) -> bool:
        """True when nothing was repaired, reduced or found empty."""
        return not (self.repaired or self.reduced or self.empty)

    def lines(self) -> list[str]:
        """Human-readable summary."""
        out = [f"{self.path}: {self.features} districts, CRS {self.crs}"]
        if self.repaired:
            out.append(f"  {self.repaired} invalid geometr{'y' if self.repaired == 1 else 'ies'} repaired (make_valid)")
        if self.reduced:
            out.append(
                f"  {self.reduced} geometr{'y' if self.reduced == 1 else 'ies'} reduced to their polygons "
                "(points and lines in a district's geometry are not part of its area)"
            )
        if self.empty:
            out.append(f"  {len(self.empty)} district(s) without geometry kept, shown as 'no shape': {self.empty[:10]}")
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
        raise BoundaryError(f"{path}: not a valid zip file ({exc}); re-export the archive.") from None
    bad = [n for n in names if n.startswith("/") or ".." in Path(n).parts]
    if bad:
        raise BoundaryError(
            f"{path}: archive member names leave the archive folder ({bad[:3]}); refusing to read it. "
            "Re-create the zip with plain relative names."
        )
    shps = [n for n in names if n.lower().endswith(".shp")]
    for shp in shps:
        stem = shp[:-4]
        lowered = {n.lower() for n in names}
        for ext in (".dbf", ".shx"):
            if (stem + ext).lower() not in lowered:
                raise BoundaryError(
                    f"{path}: shapefile {shp!r} has no {ext} file in the archive; add it to the zip."
                )
        if (stem + ".prj").lower() not in lowered:
            raise MissingCRSError(
                f"{path}: shapefile {shp!r} has no .prj file, so its coordinate reference system is "
                "unknown; add the .prj to the zip (or re-export with a CRS)."
            )


def _read_any(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    if not path.exists():
        raise BoundaryError(f"{path}: file not found; check the path in the configuration.")
    try:
        if path.suffix.lower() == ".parquet":
            return gpd.read_parquet(path)
        return gpd.read_file(_ogr_path(path), layer=layer, engine="pyogrio")
    except TargetingError:
        raise
    except Exception as exc:  # pyogrio/GDAL raise many types for unreadable files
        layers = ""
        try:
            layers = f" Layers in the file: {[l[0] for l in pyogrio.list_layers(_ogr_path(path))]}."
        except Exception:
            pass
        raise BoundaryError(
            f"{path}: cannot read it as a vector dataset ({type(exc).__name__}: {exc}).{layers} "
            "Use GeoPackage, GeoJSON, FlatGeobuf, GeoParquet or a (zipped) Shapefile."
        ) from None


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
        raise BoundaryError(f"{path}: the layer has no features; check the file or the layer name.")
    _check_fields(raw, path, [id_field, name_field, parent_field, *extra_fields])
    if raw.crs is None:
        raise MissingCRSError(
            f"{path}: no coordinate reference system. Set one, e.g. "
            "gdf.set_crs('EPSG:4326') or re-export the file with its CRS."
        )
    _check_geographic_range(raw, path)
    codes = normalise_code(raw[id_field])
    _check_codes(codes, path, id_field)
    out = gpd.GeoDataFrame(index=pd.Index(codes.to_numpy(), name="code"), crs=raw.crs,
                           geometry=raw.geometry.to_numpy())
    out.insert(0, "name", raw[name_field].astype(str).to_numpy() if name_field else codes.to_numpy())
    if parent_field:
        out.insert(1, "parent_code", normalise_code(raw[parent_field]).to_numpy())
    for f in extra_fields:
        out[f] = raw[f].to_numpy()
    out = out.set_geometry("geometry")
    geoms, repaired, reduced = _repair(out.geometry)
    out = out.set_geometry(geoms)
    empty = list(out.index[out.geometry.isna() | out.geometry.is_empty])
    report = BoundaryReport(str(path), len(out), repaired, empty, out.crs.to_string(), reduced)
    return out, report


def _check_fields(frame: pd.DataFrame, path: Path, fields: Sequence[str | None]) -> None:
    missing = [f for f in fields if f and f not in frame.columns]
    if missing:
        available = [c for c in frame.columns if c != frame.geometry.name]
        raise BoundaryError(
            f"{path}: field(s) {missing} not found; available fields: {available}. "
            "Fix the field names in the configuration."
        )


def _check_codes(codes: pd.Series, path: Path, id_field: str) -> None:
    if codes.isna().any() or (codes == "").any():
        n = int((codes.isna() | (codes == "")).sum())
        raise BoundaryError(f"{path}: field {id_field!r} is empty for {n} feature(s); give every district a code.")
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        raise BoundaryError(
            f"{path}: field {id_field!r} has duplicate codes {sorted(dup.unique())[:10]}; "
            "codes must be unique (dissolve multi-part districts or fix the codes)."
        )


def _check_geographic_range(gdf: gpd.GeoDataFrame, path: Path) -> None:
    if not gdf.crs.is_geographic:
        return
    minx, miny, maxx, maxy = gdf.total_bounds
    if np.isfinite([minx, miny, maxx, maxy]).all() and (
        minx < -180.5 or maxx > 360.5 or miny < -90.5 or maxy > 90.5
    ):
        raise BoundaryError(
            f"{path}: coordinates ({minx:.0f}, {miny:.0f}, {maxx:.0f}, {maxy:.0f}) are outside the range "
            f"of the declared geographic CRS {gdf.crs.to_string()}; the file is probably projected and "
            "mislabelled. Set its real CRS (e.g. gdf.set_crs('EPSG:32629', allow_override=True))."
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


def read_table(path: str | Path, *, key: str, sheet: str | int | None = None) -> pd.DataFrame:
    """Read an indicator table (CSV or Excel) with its key column as text.

    CSV encoding (UTF-8, UTF-8 with BOM, UTF-16 with BOM, Windows-1252/Latin-1)
    and separator (``,`` ``;`` tab) are detected; the key column is never
    converted to numbers, so leading zeros survive. Every other column whose
    cells all read as numbers becomes numeric, with the rules of
    :func:`geo.upload.to_number`: decimal commas in a ``;``-separated file,
    thousands separators (``1,000`` ``1.000`` ``1 000``), ``12 %``; cells such
    as ``n/a``, ``-``, ``..`` or empty are missing (see
    :data:`geo.upload.MISSING_TOKENS`). A column holding codes with leading
    zeros (``01``) and a column with any cell that is not a number stay text.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` (or ``.txt``/``.tsv``), ``.xlsx`` or ``.parquet`` file (e.g. the district table
        ``python -m geo prepare`` writes; a GeoParquet file's geometry is ignored, Parquet's own
        column types are kept).
    key : str
        The column with the district codes or names.
    sheet : str or int, optional
        The worksheet of an Excel file (default: the first).

    Returns
    -------
    pandas.DataFrame
        The key column as text (``None`` where missing), the other columns as
        numbers or text.

    Raises
    ------
    LayerDataError
        File missing or unreadable, or the key column absent.

    Examples
    --------
    >>> read_table("tests/data/own_data/indicators.csv", key="DISTRICT_CODE")["poor_share"].tolist()[:2]
    [0.1, 0.3]
    """
    path = Path(path)
    if not path.exists():
        raise LayerDataError(f"{path}: file not found; check the path in the configuration.")
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        return _read_parquet(path, key)
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=object, na_filter=False)
            decimal = None
        else:
            frame, decimal = _read_csv(path)
    except TargetingError:
        raise
    except Exception as exc:
        raise LayerDataError(f"{path}: cannot read the table ({type(exc).__name__}: {exc}).") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if key not in frame.columns:
        raise LayerDataError(
            f"{path}: key column {key!r} not found; available columns: {list(frame.columns)}. "
            "Fix the key name in the configuration."
        )
    return _typed(frame, key, path.name, decimal)


def _read_parquet(path: Path, key: str) -> pd.DataFrame:
    """A Parquet table as it is typed, without geometry, its key as text."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:
        raise LayerDataError(f"{path}: cannot read the Parquet table ({type(exc).__name__}: {exc}).") from None
    if key not in frame.columns:
        raise LayerDataError(
            f"{path}: key column {key!r} not found; available columns: {list(frame.columns)}. "
            "Fix the key name in the configuration."
        )
    binary = [c for c in frame.columns if c != key and frame[c].dtype == object
              and isinstance(next(iter(frame[c].dropna()), None), bytes)]  # geometry as WKB
    frame = frame.drop(columns=binary)
    frame[key] = normalise_code(frame[key].map(lambda v: None if pd.isna(v) else str(v)))
    return frame


def _read_csv(path: Path) -> tuple[pd.DataFrame, str | None]:
    """Every cell of a CSV file as text, and the file's decimal mark."""
    from geo.upload import _decode, _separator

    text, _encoding = _decode(path.read_bytes(), str(path))
    sep = _separator(text)
    # A semicolon-separated file is the spreadsheet convention of decimal-comma locales.
    decimal = {";": ",", ",": "."}.get(sep)
    frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False)
    return frame, decimal


_CODE_LIKE = re.compile(r"\s*[+-]?0[0-9]")


def _typed(frame: pd.DataFrame, key: str, name: str, decimal: str | None) -> pd.DataFrame:
    """Key as text; columns of numbers as numbers; missing-value tokens as missing."""
    out = {}
    for col in frame.columns:
        cells = frame[col].map(_text_cell)
        if col == key:
            out[col] = normalise_code(cells)
        else:
            out[col] = _maybe_numbers(cells, col, name, decimal)
    return pd.DataFrame(out, index=frame.index)


def _text_cell(value: object) -> object:
    from geo.upload import MISSING_TOKENS

    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        text = value.strip()
        return None if text.lower() in MISSING_TOKENS else text
    return value


def _maybe_numbers(cells: pd.Series, column: str, name: str, decimal: str | None) -> pd.Series:
    from geo.upload import to_number

    texts = cells.dropna()
    if texts.empty:
        return pd.Series(np.nan, index=cells.index, dtype=float)
    if any(isinstance(v, str) and _CODE_LIKE.match(v) for v in texts):
        return cells.astype(object)  # codes such as "01": keep their zeros
    try:
        numbers = to_number(cells, column=column, filename=name, decimal=decimal)
    except LayerDataError:
        return cells.astype(object)  # text (names, levels), or numbers mixed with words: reported when used
    whole = numbers.notna().all() and np.isfinite(numbers).all() and (numbers == np.round(numbers)).all()
    return numbers.astype("int64") if whole and (numbers.abs() < 2**53).all() else numbers


def write_table(frame: pd.DataFrame, path: str | Path, *, metadata: dict | None = None,
                columns: pd.DataFrame | None = None) -> Path:
    """Write a ranked table by file suffix: .csv, .xlsx, .gpkg, .geojson, .parquet.

    CSV is UTF-8 with full float precision (shortest round-trip form); Excel gets a second sheet
    ``settings`` with the metadata, GeoPackage a ``settings`` table, GeoJSON a ``settings`` member;
    GeoPackage/GeoJSON need a geometry column.

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
        Settings written to a ``settings`` sheet (Excel), layer (GeoPackage) or member of the
        FeatureCollection (GeoJSON).
    columns : pandas.DataFrame, optional
        One row per column id with its plain ``label`` and ``meaning``
        (:func:`geo.labels.column_sheet`), written to a ``columns`` sheet (Excel only).

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
            f"Unsupported export format {suffix!r} for {path}; use one of {list(EXPORT_SUFFIXES)}."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    if suffix == ".csv":
        neutralise_formulas(plain).to_csv(path, index=False)
    elif suffix == ".xlsx":
        with _full_precision_xlsx(), pd.ExcelWriter(path, engine="openpyxl") as xl:
            neutralise_formulas(plain).to_excel(xl, sheet_name="ranking", index=False)
            if metadata:
                settings = pd.DataFrame(sorted(metadata.items()), columns=["setting", "value"]).astype(str)
                neutralise_formulas(settings).to_excel(xl, sheet_name="settings", index=False)
            if columns is not None:
                neutralise_formulas(columns.astype(str)).to_excel(xl, sheet_name="columns", index=False)
    else:
        if not isinstance(frame, gpd.GeoDataFrame):
            raise TargetingError(f"{path}: {suffix} export needs district geometries.")
        if suffix == ".parquet":
            frame.to_parquet(path)
        else:
            driver = "GPKG" if suffix == ".gpkg" else "GeoJSON"
            if path.exists():
                path.unlink()
            options = {}
            if metadata and driver == "GeoJSON":  # a "settings" member of the FeatureCollection (RFC 7946 s. 6.1)
                settings = {str(k): str(v) for k, v in sorted(metadata.items())}
                options["FOREIGN_MEMBERS_COLLECTION"] = json.dumps({"settings": settings}, ensure_ascii=False)
            frame.to_file(path, driver=driver, engine="pyogrio", layer="ranking" if driver == "GPKG" else None,
                          layer_options=options or None)
            if metadata and driver == "GPKG":
                meta = pd.DataFrame(sorted(metadata.items()), columns=["setting", "value"]).astype(str)
                pyogrio.write_dataframe(meta, path, layer="settings", driver="GPKG", append=False)
    return path


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
            out[col] = out[col].map(_neutralise_cell).astype(out[col].dtype)
    out.columns = [_neutralise_cell(c) for c in out.columns]
    return out


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
