"""Point layers per district: counts, counts per 100,000 people, distance to the nearest point.

Points are facilities, camps, incidents... read from a CSV of longitude/latitude
(or any other x/y) columns, or from any vector file OGR reads. Rows that cannot be
placed (missing or out-of-range coordinates) are returned in a report, never
dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.i18n import _
from geo.errors import BoundaryError, ConfigError, LayerDataError, MissingCRSError
from geo.rows import filter_rows

__all__ = ["X_NAMES", "Y_NAMES", "PointReport", "placed_points", "point_layer", "point_stats", "read_points"]

#: Column names recognised as the x (longitude, easting) coordinate, lower case.
X_NAMES: tuple[str, ...] = ("lon", "lng", "long", "longitude", "x", "point_x", "xcoord", "x_coord", "easting")

#: Column names recognised as the y (latitude, northing) coordinate, lower case.
Y_NAMES: tuple[str, ...] = ("lat", "latitude", "y", "point_y", "ycoord", "y_coord", "northing")

#: File suffixes read as delimited text rather than through OGR.
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt")

#: File suffixes read as (Geo)Parquet with pyarrow rather than through OGR.
_PARQUET_SUFFIXES = (".parquet", ".geoparquet")


def point_stats(
    zones: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame,
    *,
    population: pd.Series | None = None,
    crs: str | int | None = None,
) -> pd.DataFrame:
    """Count points per district and measure how far each district is from one.

    - ``count``: points inside the district or on its boundary. A point on a
      boundary shared by several districts is counted once, in the first of them in
      ``zones`` order. Points outside every district are not counted.
    - ``per_100k``: ``count / population * 100000``; NaN without ``population``, and
      where the population is missing or not positive.
    - ``distance_km``: distance in km from the district polygon to the nearest
      point, 0 when a point lies inside or on the boundary; NaN when there are no
      points or the district has no geometry. It is measured in a projected CRS:
      ``crs`` if given, else the UTM zone of the districts
      (``zones.estimate_utm_crs()``). UTM distorts distances by less than 0.1 % within
      its zone and by about 1 % three zones away; for a country spanning many zones
      pass an equidistant projection centred on it, e.g.
      ``"+proj=aeqd +lat_0=31 +lon_0=-7"``.

    Counting happens in the districts' own CRS (points are moved to it), so a
    point exactly on a border stays on it.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        The districts, with a CRS.
    points : geopandas.GeoDataFrame
        Point geometries with a CRS, e.g. from :func:`read_points`.
    population : pandas.Series, optional
        People per district, indexed like ``zones``.
    crs : str or int, optional
        Projected CRS (metres) for distances.

    Returns
    -------
    pandas.DataFrame
        Index ``zones.index``; columns ``count`` (``int64``), ``per_100k`` and
        ``distance_km`` (``float64``).

    Raises
    ------
    MissingCRSError
        If the zones or the points have no CRS.
    ConfigError
        If ``crs`` is not a projected CRS.
    LayerDataError
        If ``population`` is not a Series, has a duplicated index or shares no
        label with ``zones.index``, or ``points`` holds non-point geometries.

    Examples
    --------
    >>> from shapely.geometry import Point, box
    >>> squares = [box(500_000, 0, 501_000, 1000), box(501_000, 0, 502_000, 1000), box(503_000, 0, 504_000, 1000)]
    >>> zones = gpd.GeoDataFrame(geometry=squares, crs=32631)
    >>> points = gpd.GeoDataFrame(geometry=[Point(501_000, 500), Point(506_000, 500)], crs=32631)
    >>> point_stats(zones, points, population=pd.Series([50_000, 0, 10_000])).round(6)
       count  per_100k  distance_km
    0      1       2.0          0.0
    1      0       NaN          0.0
    2      0       0.0          2.0
    """
    _check_layer(zones, "zones")
    _check_layer(points, "points")
    _check_point_geometries(points)
    metric = _metric_crs(zones, crs)
    pairs = _point_zone_pairs(zones, points)
    count = _count_points(pairs, len(points), len(zones))
    return stats_frame(zones.index, count, _nearest_distance_km(zones, points, metric, pairs), population)


@dataclass(frozen=True)
class PointReport:
    """What became of every row of a point file: the point layer's join report.

    Attributes
    ----------
    file : str
        The file's name.
    layers : tuple of str
        Layers reading it.
    rows : int
        Rows in the file.
    filter_line : str
        What the ``where`` filter kept (``""`` without one).
    kept : int
        Rows the filter kept.
    inside, outside : int
        Placed points inside (or on the border of) a district, and outside every district.
    no_coordinates, invalid : tuple of (row, reason)
        Rows without coordinates, and with coordinates that are not usable (row: 0 = first data row).
    duplicates : int
        Points at the same place as an earlier point (each one counted).
    outside_rows : tuple of (row, x, y)
        The points outside every district.
    text : bool
        True for a table of coordinates (rows are lines of the file), False for a vector file.
    """

    file: str
    layers: tuple[str, ...]
    rows: int
    filter_line: str
    kept: int
    inside: int
    outside: int
    no_coordinates: tuple[tuple[int, str], ...] = ()
    invalid: tuple[tuple[int, str], ...] = ()
    duplicates: int = 0
    outside_rows: tuple[tuple[int, float, float], ...] = ()
    text: bool = True

    @property
    def complete(self) -> bool:
        """True when every kept row is a point inside a district."""
        return self.inside == self.kept

    def where_in_file(self, row: int) -> str:
        """A row as the user finds it: its line in a text file, its feature number in a vector file."""
        return f"line {row + 2}" if self.text else f"feature {row}"

    def lines(self, full: bool = False) -> list[str]:
        """Report lines for the command line, the dashboard and the export notes.

        Parameters
        ----------
        full : bool, default False
            List every unusable row and every point outside instead of the first ten.
        """
        used_by = f" (points of {', '.join(self.layers)})" if self.layers else ""
        head = (_("{file}{used_by}: {rows} rows; {inside} inside a "
                "district, {outside} outside every district (not counted), {n_no_coordinates} "
                "without coordinates, {n_invalid} with invalid coordinates (not used)").format(
                    file=self.file, used_by=used_by, rows=self.rows, inside=self.inside, outside=self.outside, n_no_coordinates=len(self.no_coordinates), n_invalid=len(self.invalid)))
        out = [head]
        if self.filter_line:
            out.append(_("  {filter_line}; the other rows are not used").format(filter_line=self.filter_line))
        if self.duplicates:
            out.append(_("  {duplicates} point(s) at the same place as an earlier point (each counted)").format(
                duplicates=self.duplicates))
        for label, items in (("without coordinates", self.no_coordinates), (_("with invalid coordinates"),
                                                                             self.invalid)):
            if items:
                shown = items if full else items[:10]
                more = f" and {len(items) - 10} more" if len(items) > 10 and not full else ""
                out.append(f"  {label}: " + "; ".join(f"{self.where_in_file(r)} ({why})" for r, why in shown)
                           + more)
        if self.outside_rows:
            shown = self.outside_rows if full else self.outside_rows[:10]
            more = f" and {len(self.outside_rows) - 10} more" if len(self.outside_rows) > 10 and not full else ""
            out.append(_("  outside every district: ") + "; ".join(
                f"{self.where_in_file(r)} ({x:g}, {y:g})" for r, x, y in shown) + more)
        return out

    def as_frame(self) -> pd.DataFrame:
        """Every point not counted, as a table (table, side, key, name, detail)."""
        rows = [(_("point without coordinates"), self.where_in_file(r), "", why) for r, why in self.no_coordinates]
        rows += [(_("point with invalid coordinates"), self.where_in_file(r), "", why) for r, why in self.invalid]
        rows += [(_("point outside every district"), self.where_in_file(r), "", f"{x:g}, {y:g}")
                 for r, x, y in self.outside_rows]
        frame = pd.DataFrame(rows, columns=["side", "key", "name", "detail"])
        frame.insert(0, "table", self.file)
        return frame


def point_layer(
    zones: gpd.GeoDataFrame,
    path: str | Path,
    *,
    x: str | None = None,
    y: str | None = None,
    where: Mapping[str, Sequence[str]] | None = None,
    population: pd.Series | None = None,
    crs: str | int | None = None,
    layers: Sequence[str] = (),
) -> tuple[pd.DataFrame, PointReport]:
    """Read a point file, keep the rows ``where`` selects, aggregate per district and report every row.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        The districts, with a CRS.
    path : str or Path
        The point file (see :func:`read_points`).
    x, y : str, optional
        Coordinate columns of a table.
    where : Mapping[str, sequence of str], optional
        Row filter (see :func:`geo.rows.filter_rows`).
    population : pandas.Series, optional
        People per district, for ``per_100k``.
    crs : str or int, optional
        Projected CRS for distances.
    layers : sequence of str, optional
        Layers reading the file, for the report.

    Returns
    -------
    (pandas.DataFrame, PointReport)
        The result of :func:`point_stats` and the report.

    Examples
    --------
    >>> import geopandas as gpd
    >>> zones = gpd.read_file("tests/data/own_data/districts.geojson").set_index("DIST_ID")
    >>> stats, report = point_layer(zones, "tests/data/points.csv")
    >>> report.lines()[0]
    'points.csv: 8 rows; 0 inside a district, 5 outside every district (not counted), 1 without coordinates, 2 with invalid coordinates (not used)'
    """
    path = Path(path)
    points, raw = read_points(path, x=x, y=y, where=where)
    _check_layer(zones, "zones")
    metric = _metric_crs(zones, crs)
    pairs = _point_zone_pairs(zones, points)
    count = _count_points(pairs, len(points), len(zones))
    stats = stats_frame(zones.index, count, _nearest_distance_km(zones, points, metric, pairs), population)
    inside = np.zeros(len(points), bool)
    inside[pairs[0]] = True
    xy = np.column_stack([shapely.get_x(points.geometry.array), shapely.get_y(points.geometry.array)]) \
        if len(points) else np.empty((0, 2))
    duplicates = int(pd.DataFrame(xy).duplicated().sum()) if len(points) else 0
    outside_rows = tuple((int(r), float(px), float(py)) for r, (px, py), ok in zip(points.index, xy, inside)
                         if not ok)
    missing = tuple((d["row"], d["reason"]) for d in raw["dropped"] if "is missing" in d["reason"])
    invalid = tuple((d["row"], d["reason"]) for d in raw["dropped"] if "is missing" not in d["reason"])
    report = PointReport(
        file=path.name, layers=tuple(layers), rows=raw["file_rows"], filter_line=raw["filter"],
        kept=raw["rows"], inside=int(inside.sum()), outside=len(outside_rows), no_coordinates=missing,
        invalid=invalid, duplicates=duplicates, outside_rows=outside_rows, text=raw["x"] is not None,
    )
    return stats, report


def placed_points(
    zones: gpd.GeoDataFrame,
    path: str | Path,
    *,
    x: str | None = None,
    y: str | None = None,
    where: Mapping[str, Sequence[str]] | None = None,
) -> tuple[np.ndarray, int]:
    """The points of a file that lie in a district, as longitude/latitude, for drawing them on a map.

    The same rows as :func:`point_layer` counts: read with :func:`read_points`, filtered by
    ``where``, inside (or on the border of) a district. Points outside every district and rows
    without usable coordinates are not returned; :func:`point_layer`'s report lists them.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        The districts, with a CRS.
    path : str or Path
        The point file.
    x, y : str, optional
        Coordinate columns of a table.
    where : Mapping[str, sequence of str], optional
        Row filter (see :func:`geo.rows.filter_rows`).

    Returns
    -------
    (numpy.ndarray, int)
        ``(n, 2)`` longitudes and latitudes (EPSG:4326) in file order, and the rows of the file.

    Examples
    --------
    >>> zones = gpd.read_file("tests/data/own_data/districts.geojson").set_index("DIST_ID")
    >>> xy, rows = placed_points(zones, "tests/data/own_data/sites.csv")
    >>> xy.tolist(), rows
    ([[0.5, 1.5], [0.6, 1.4], [2.5, 0.5]], 3)
    """
    points, raw = read_points(Path(path), x=x, y=y, where=where)
    _check_layer(zones, "zones")
    if not len(points):
        return np.empty((0, 2)), raw["file_rows"]
    inside = np.zeros(len(points), bool)
    inside[_point_zone_pairs(zones, points)[0]] = True
    kept = points[inside]
    geoms = np.asarray(kept.to_crs(4326).geometry.array, dtype=object)
    return np.column_stack([shapely.get_x(geoms), shapely.get_y(geoms)]), raw["file_rows"]


def stats_frame(index: pd.Index, count: np.ndarray, distance_km: np.ndarray,
                population: pd.Series | None) -> pd.DataFrame:
    """The result of :func:`point_stats` (any engine) from the counts and nearest distances."""
    return pd.DataFrame(
        {"count": count, "per_100k": _per_100k(count, index, population), "distance_km": distance_km},
        index=index.copy(),
    )


def read_points(
    path: str | Path,
    *,
    x: str | None = None,
    y: str | None = None,
    crs: str | int = "EPSG:4326",
    where: Mapping[str, Sequence[str]] | None = None,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Read a point layer from a CSV of coordinates or from any OGR vector file.

    For a ``.csv``, ``.tsv`` or ``.txt`` file the coordinate columns are ``x`` and
    ``y`` when given, else found by name (case-insensitive: :data:`X_NAMES`, such as
    ``lon``, ``lng``, ``longitude``, ``x``, ``POINT_X``; :data:`Y_NAMES` alike). Other
    files are read with OGR; their own CRS wins over ``crs``, which only fills in
    when the file declares none. A vector table without geometry is treated like a
    CSV.

    Rows whose coordinates are missing, not numbers, infinite or, for a
    geographic CRS, outside longitude -180..180 / latitude -90..90 are left out and
    listed in the report with the reason; so are empty and non-point geometries.

    Parameters
    ----------
    path : str or Path
        The file.
    x, y : str, optional
        Names of the coordinate columns of a table.
    crs : str or int, default "EPSG:4326"
        CRS of the coordinates in a table, or of a vector file that declares none.
    where : Mapping[str, sequence of str], optional
        Keep only the rows matching this filter (see :func:`geo.rows.filter_rows`).

    Returns
    -------
    points : geopandas.GeoDataFrame
        The usable rows with every attribute column; the index is the row's
        position in the file (first data row = 0).
    report : dict
        ``file``, ``x``, ``y`` (column names, None for vector geometry), ``crs``,
        ``rows`` (read, after the filter), ``kept``, and ``dropped``: a list of
        ``{"row": int, "reason": str, "x": ..., "y": ...}``, one per row left out;
        ``file_rows`` (rows in the file) and ``filter`` (what the filter kept, or ``""``).

    Raises
    ------
    LayerDataError
        If the file cannot be read, or its coordinate columns are missing or
        ambiguous (the message lists the columns found).
    ConfigError
        If ``crs`` is not a valid CRS.

    Examples
    --------
    >>> points, report = read_points("tests/data/points.csv")
    >>> (report["x"], report["y"], report["rows"], report["kept"])
    ('POINT_X', 'POINT_Y', 8, 5)
    >>> [d["reason"] for d in report["dropped"]]
    ['x is missing', 'x 190.5 outside -180..180', "x 'abc' is not a number"]
    """
    path = Path(path)
    table = _read_table(path).reset_index(drop=True)
    file_rows = len(table)
    table, filter_line = filter_rows(table, where or {}, source=path.name)
    if isinstance(table, gpd.GeoDataFrame) and not shapely.is_missing(np.asarray(table.geometry.array)).all():
        points, report = _points_from_geometry(table, path, crs)
    else:
        points, report = _points_from_columns(pd.DataFrame(table), path, x, y, crs)
    return points, {**report, "file_rows": file_rows, "filter": filter_line}


# --------------------------------------------------------------------- helpers


def _check_layer(frame: Any, name: str) -> None:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise BoundaryError(_("{name}: got {name2}; must be a GeoDataFrame. Read it with read_points or geopandas.").format(
            name=name, name2=type(frame).__name__))
    if frame.crs is None:
        raise MissingCRSError(
            _("{name}: has no CRS, so it cannot be matched with the other layer. "
            "Set it, e.g. `{name}.set_crs('EPSG:4326')` for longitude/latitude.").format(name=name)
        )


def _check_point_geometries(points: gpd.GeoDataFrame) -> None:
    kinds = points.geometry.geom_type.dropna()
    wrong = sorted(set(kinds) - {"Point"})
    if wrong:
        raise LayerDataError(
            _("points: geometry types {wrong} not valid; must be Point. "
            "Use representative points, e.g. `layer.set_geometry(layer.representative_point())`.").format(
                wrong=wrong)
        )


def _metric_crs(zones: gpd.GeoDataFrame, crs: str | int | None) -> CRS:
    if crs is None:
        return zones.estimate_utm_crs()
    try:
        metric = CRS.from_user_input(crs)
    except CRSError as exc:
        raise ConfigError(_("crs={crs!r} not valid ({exc}); pass an EPSG code or PROJ string of a projected CRS.").format(
            crs=crs, exc=exc)) from exc
    if not metric.is_projected:
        raise ConfigError(
            _("crs={crs!r} not valid for distances: it is not projected; pass a CRS in metres, "
            "e.g. a UTM zone (32629) or '+proj=aeqd +lat_0=LAT +lon_0=LON'.").format(crs=crs)
        )
    return metric


def _point_zone_pairs(zones: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return (point position, zone position) of every point inside or on a zone, in the zones' CRS."""
    geoms = np.asarray(points.to_crs(zones.crs).geometry.array, dtype=object)
    tree = shapely.STRtree(np.asarray(zones.geometry.array, dtype=object))
    point_pos, zone_pos = tree.query(geoms, predicate="intersects")
    return point_pos.astype(np.int64), zone_pos.astype(np.int64)


def _count_points(pairs: tuple[np.ndarray, np.ndarray], n_points: int, n_zones: int) -> np.ndarray:
    """Return points per zone; a point on shared boundaries goes to the first zone."""
    point_pos, zone_pos = pairs
    first = np.full(n_points, n_zones, np.int64)
    np.minimum.at(first, point_pos, zone_pos)
    return np.bincount(first, minlength=n_zones + 1)[:n_zones].astype(np.int64)


def _per_100k(count: np.ndarray, index: pd.Index, population: pd.Series | None) -> np.ndarray:
    if population is None:
        return np.full(len(count), np.nan)
    if not isinstance(population, pd.Series):
        raise LayerDataError(_("population: got {name}; must be a pandas Series indexed like zones.").format(
            name=type(population).__name__))
    if population.index.has_duplicates:
        dup = population.index[population.index.duplicated()].unique().tolist()[:5]
        raise LayerDataError(_("population: index has duplicated labels {dup}; must have one value per district.").format(
            dup=dup))
    if len(population) and len(index) and not population.index.isin(index).any():
        raise LayerDataError(
            _("population: none of its index labels (e.g. {tolist}) is in zones.index "
            "(e.g. {tolist2}); index it by the districts' index, e.g. `series.reindex(zones.index)`.").format(
                tolist=population.index[:3].tolist(), tolist2=index[:3].tolist())
        )
    people = pd.to_numeric(population, errors="coerce").reindex(index).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(people > 0, count / people * 100_000, np.nan)


def _nearest_distance_km(
    zones: gpd.GeoDataFrame, points: gpd.GeoDataFrame, metric: CRS, pairs: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """Return km from each zone to its nearest point, 0 if one is inside or on its boundary.

    The 0 comes from the zones' own CRS, so reprojection rounding cannot turn a
    point on a boundary into one a few millimetres away.
    """
    zone_geoms = np.asarray(zones.to_crs(metric).geometry.array, dtype=object)
    point_geoms = np.asarray(points.to_crs(metric).geometry.array, dtype=object)
    point_geoms = point_geoms[~(shapely.is_missing(point_geoms) | shapely.is_empty(point_geoms))]
    distance = np.full(len(zone_geoms), np.nan)
    usable = np.flatnonzero(~(shapely.is_missing(zone_geoms) | shapely.is_empty(zone_geoms)))
    if len(point_geoms) == 0 or len(usable) == 0:
        return distance
    tree = shapely.STRtree(point_geoms)
    (zone_pos, _unused), metres = tree.query_nearest(zone_geoms[usable], return_distance=True, all_matches=False)
    distance[usable[zone_pos]] = metres / 1000.0
    distance[pairs[1]] = 0.0
    return distance


def _read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise LayerDataError(_("points file '{path}': not found; check the path.").format(path=path))
    try:
        if path.suffix.lower() in _TEXT_SUFFIXES:
            if path.suffix.lower() == ".tsv":
                return pd.read_csv(path, sep="\t")
            if path.suffix.lower() == ".txt":
                return pd.read_csv(path, sep=None, engine="python")
            return pd.read_csv(path)
        if path.suffix.lower() in _PARQUET_SUFFIXES:
            return _read_parquet(path)
        return gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # any reader failure is a problem with the file
        raise LayerDataError(
            _("points file '{path}': cannot be read ({name}: {exc}); "
            "pass a CSV with coordinate columns or a vector file OGR reads (GeoPackage, GeoJSON, shapefile).").format(
                path=path, name=type(exc).__name__, exc=exc)
        ) from exc


def _read_parquet(path: Path) -> pd.DataFrame:
    """Read a GeoParquet file, or a plain Parquet table of coordinates."""
    import pyarrow.parquet as pq

    if b"geo" in (pq.read_schema(path).metadata or {}):
        return gpd.read_parquet(path)
    return pd.read_parquet(path)


def _find_column(columns: Sequence[str], given: str | None, names: Sequence[str], axis: str, path: Path) -> str:
    if given is not None:
        if given not in columns:
            raise LayerDataError(_("points file '{path}': {axis} column {given!r} not found; columns are {list}.").format(
                path=path, axis=axis, given=given, list=list(columns)))
        return given
    found = [c for c in columns if str(c).strip().lower() in names]
    if len(found) != 1:
        problem = "no" if not found else f"several ({found})"
        raise LayerDataError(
            _("points file '{path}': {problem} {axis} coordinate column among {list}; "
            "expected one of {list2} (any case). Pass {axis}='COLUMN'.").format(
                path=path, problem=problem, axis=axis, list=list(columns), list2=list(names))
        )
    return found[0]


def _points_from_columns(
    table: pd.DataFrame, path: Path, x: str | None, y: str | None, crs: str | int
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    x = _find_column(list(table.columns), x, X_NAMES, "x", path)
    y = _find_column(list(table.columns), y, Y_NAMES, "y", path)
    target = _parse_crs(crs)
    reasons = _coordinate_problems(table[x], table[y], target)
    keep = reasons.isna()
    kept = table[keep]
    xs = pd.to_numeric(kept[x].map(_clean_number), errors="coerce").to_numpy(float)
    ys = pd.to_numeric(kept[y].map(_clean_number), errors="coerce").to_numpy(float)
    points = gpd.GeoDataFrame(kept, geometry=gpd.points_from_xy(xs, ys), crs=target)
    dropped = [
        {"row": int(row), "reason": str(reasons[row]), "x": _raw(table.at[row, x]), "y": _raw(table.at[row, y])}
        for row in table.index[~keep]
    ]
    return points, _report(path, x, y, target, len(table), dropped)


def _points_from_geometry(
    table: gpd.GeoDataFrame, path: Path, crs: str | int
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    if table.crs is None:
        table = table.set_crs(_parse_crs(crs))
    geoms = np.asarray(table.geometry.array, dtype=object)
    kinds = shapely.get_type_id(geoms)
    reasons = pd.Series(np.nan, index=table.index, dtype=object)
    reasons[shapely.is_missing(geoms) | shapely.is_empty(geoms)] = _("geometry is missing")
    not_point = reasons.isna().to_numpy() & (kinds != 0)
    reasons[not_point] = [_("geometry is a {geom_type}, not a Point").format(
        geom_type=g.geom_type) for g in geoms[not_point]]
    points_mask = reasons.isna().to_numpy()
    xs = np.full(len(geoms), np.nan)
    ys = np.full(len(geoms), np.nan)
    xs[points_mask] = shapely.get_x(geoms[points_mask])
    ys[points_mask] = shapely.get_y(geoms[points_mask])
    xs_by_row = pd.Series(xs, index=table.index)
    ys_by_row = pd.Series(ys, index=table.index)
    coords = _coordinate_problems(xs_by_row, ys_by_row, table.crs)
    reasons = reasons.where(reasons.notna(), coords)
    keep = reasons.isna()
    dropped = [
        {"row": int(row), "reason": str(reasons[row]), "x": _raw(xs_by_row[row]), "y": _raw(ys_by_row[row])}
        for row in table.index[~keep]
    ]
    return table[keep], _report(path, None, None, table.crs, len(table), dropped)


def _parse_crs(crs: str | int) -> CRS:
    try:
        return CRS.from_user_input(crs)
    except CRSError as exc:
        raise ConfigError(_("crs={crs!r} not valid ({exc}); pass e.g. 'EPSG:4326' or an EPSG code.").format(
            crs=crs, exc=exc)) from exc


def _clean_number(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _coordinate_problems(xs: pd.Series, ys: pd.Series, crs: CRS) -> pd.Series:
    """Return, per row, why its coordinates are unusable (NaN when they are fine)."""
    x_reasons = _axis_problems(xs, "x", -180.0, 180.0, crs.is_geographic)
    y_reasons = _axis_problems(ys, "y", -90.0, 90.0, crs.is_geographic)
    both = x_reasons.notna() & y_reasons.notna()
    reasons = x_reasons.where(x_reasons.notna(), y_reasons)
    reasons[both] = x_reasons[both] + "; " + y_reasons[both]
    return reasons


def _axis_problems(raw: pd.Series, axis: str, low: float, high: float, geographic: bool) -> pd.Series:
    """Return, per row, why one coordinate is unusable (NaN when it is fine)."""
    text = raw.map(_clean_number)
    missing = text.isna() | text.isin(["", "NA", "NaN", "nan", "NULL", "null", "None"])
    number = pd.to_numeric(text.where(~missing), errors="coerce")
    not_number = ~missing & number.isna()
    infinite = ~missing & ~not_number & ~np.isfinite(number.fillna(0.0))
    outside = ~missing & ~not_number & ~infinite & ((number < low) | (number > high)) & geographic
    reasons = pd.Series(np.nan, index=raw.index, dtype=object)
    reasons[missing] = f"{axis} is missing"
    reasons[not_number] = [_("{axis} {v!r} is not a number").format(axis=axis, v=v) for v in text[not_number]]
    reasons[infinite] = [_("{axis} {v} is not finite").format(axis=axis, v=v) for v in number[infinite]]
    reasons[outside] = [f"{axis} {v:g} outside {low:g}..{high:g}" for v in number[outside]]
    return reasons


def _raw(value: object) -> object:
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    return value


def _report(path: Path, x: str | None, y: str | None, crs: CRS, rows: int, dropped: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "file": str(path),
        "x": x,
        "y": y,
        "crs": crs.to_string(),
        "rows": rows,
        "kept": rows - len(dropped),
        "dropped": dropped,
    }
