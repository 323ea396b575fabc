"""Point aggregation and zonal statistics on a Dask cluster, equal to the local engine's.

Both follow one pattern: the districts are small, so they are sent once to
every worker (``client.scatter(..., broadcast=True)``); the large input is
split into pieces (partitions of the point file, windows of raster rows), each
task reduces its piece to a few numbers per district, and the partial results
are added up in a tree and returned to the caller, who finishes off the small
steps (rates, distances in km, statistics of districts smaller than a pixel).

- Points: a GeoParquet file is read with ``dask_geopandas.read_parquet`` (one
  partition per row group), a CSV/TSV with ``dask.dataframe.read_csv`` (64 MB
  blocks; the coordinate columns as text, parsed like :func:`geo.points.read_points`
  does); other files are read in this process and split. Each partition is
  cleaned with :func:`geo.points.read_points`' own rules, then gives per district
  the points counted in it (first district in order for a point on a shared
  border), whether a point touches it, and the distance to its nearest point.
  The counts add up, the touches combine with "or" and the distances with
  "min", so the results equal :func:`geo.points.point_stats`'s exactly. With
  :func:`point_layer_dask` each task also reports its rows (without or with
  invalid coordinates, outside every district, distinct places), and the merge
  numbers them through the file: the same :class:`geo.points.PointReport` as
  :func:`geo.points.point_layer`.
- Rasters: each task takes one window of rows (by default the windows
  :func:`geo.zonal.zonal_stats` reads), reads it with rasterio, burns the districts into
  labels for it and returns the per-district sums, counts, minima, maxima and
  weighted sums (the ``_Totals`` of :mod:`geo.zonal`) and the pixel centres each
  district owns. Counts, minima and maxima are exact; sums are added in another
  order than in one process, so they may differ in the last bits (about 1e-15
  relative).

Dask is imported inside the functions: importing this module does not need it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.i18n import _
from geo import points as _points
from geo import zonal as _zonal
from geo.errors import LayerDataError
from geo.rows import describe_filter, filter_rows

__all__ = ["point_layer_dask", "point_stats_dask", "zonal_stats_dask"]

#: Partial results merged per task of the reduction tree.
_FAN_IN = 8

#: Size of the CSV blocks read by one task.
_CSV_BLOCKSIZE = "64MB"


# ----------------------------------------------------------------------- points


def point_stats_dask(
    client: Any,
    zones: gpd.GeoDataFrame,
    path: str | Path,
    *,
    x: str | None = None,
    y: str | None = None,
    points_crs: str | int = "EPSG:4326",
    population: pd.Series | None = None,
    crs: str | int | None = None,
    partitions: int | None = None,
) -> pd.DataFrame:
    """Count points per district, per 100,000 people, and the distance to the nearest, on a cluster.

    The result equals ``point_stats(zones, read_points(path, x=x, y=y,
    crs=points_crs)[0], population=population, crs=crs)`` exactly (see
    :func:`geo.points.point_stats` for the definitions), but the point file is
    never held in memory at once: it is read and reduced partition by partition
    on the workers.

    Parameters
    ----------
    client : distributed.Client
        Client of the cluster; its workers read ``path`` themselves.
    zones : geopandas.GeoDataFrame
        The districts, with a CRS.
    path : str or Path
        Points: GeoParquet (or Parquet with coordinate columns), CSV/TSV with
        coordinate columns, or any OGR vector file (read here, then split).
    x, y : str, optional
        Coordinate columns of a table; found by name when not given.
    points_crs : str or int, default "EPSG:4326"
        CRS of the coordinates of a table, or of a file that declares none.
    population : pandas.Series, optional
        People per district, indexed like ``zones``.
    crs : str or int, optional
        Projected CRS for distances; default the districts' UTM zone.
    partitions : int, optional
        Split the points into this many partitions.

    Returns
    -------
    pandas.DataFrame
        Index ``zones.index``; ``count`` (``int64``), ``per_100k`` and ``distance_km``.

    Raises
    ------
    MissingCRSError, ConfigError, LayerDataError
        As :func:`geo.points.point_stats` and :func:`geo.points.read_points`.
    """
    return _point_totals(client, zones, path, x, y, points_crs, population, crs, partitions, report=False)[0]


def point_layer_dask(
    client: Any,
    zones: gpd.GeoDataFrame,
    path: str | Path,
    *,
    x: str | None = None,
    y: str | None = None,
    points_crs: str | int = "EPSG:4326",
    population: pd.Series | None = None,
    crs: str | int | None = None,
    partitions: int | None = None,
    layers: Sequence[str] = (),
    where: Mapping[str, Sequence[str]] | None = None,
) -> tuple[pd.DataFrame, _points.PointReport]:
    """:func:`point_stats_dask` and the point file's report, equal to :func:`geo.points.point_layer`'s.

    Each task also returns what became of its rows: how many it read, those without or with
    invalid coordinates, the points outside every district, and the distinct places of its
    points; the merge numbers the rows through the file (partitions are merged in file order),
    so the report names the same lines as the local one. Duplicates are counted against the
    distinct places of the whole file, which travel to this process (16 bytes per distinct
    point).

    Parameters
    ----------
    client, zones, path, x, y, points_crs, population, crs, partitions
        As :func:`point_stats_dask`.
    layers : sequence of str, optional
        Layers reading the file, for the report.
    where : Mapping[str, sequence of str], optional
        Row filter (see :func:`geo.rows.filter_rows`), applied to each partition on the workers.

    Returns
    -------
    (pandas.DataFrame, geo.points.PointReport)
        The statistics and the report.
    """
    path = Path(path)
    stats, total, reader = _point_totals(client, zones, path, x, y, points_crs, population, crs, partitions,
                                         report=True, where=where)
    missing = tuple((r, why) for r, why in total.dropped if "is missing" in why)
    invalid = tuple((r, why) for r, why in total.dropped if "is missing" not in why)
    filter_line = _("where {describe_filter} keeps {n_kept} of {n_table} rows").format(
        describe_filter=describe_filter(where), n_kept=total.kept, n_table=total.rows) if where else ""
    report = _points.PointReport(
        file=path.name, layers=tuple(layers), rows=total.rows, filter_line=filter_line, kept=total.kept,
        inside=total.inside, outside=len(total.outside), no_coordinates=missing, invalid=invalid,
        duplicates=total.placed - int(total.places.size), outside_rows=tuple(total.outside),
        text=reader.x is not None,
    )
    return stats, report


def _point_totals(client: Any, zones: gpd.GeoDataFrame, path: str | Path, x: str | None, y: str | None,
                  points_crs: str | int, population: pd.Series | None, crs: str | int | None, partitions: int | None,
                  *, report: bool, where: Mapping[str, Sequence[str]] | None = None
                  ) -> tuple[pd.DataFrame, _PointTotals, _Reader]:
    """Statistics and merged totals of a point file; ``report`` also gathers what became of every row."""
    _points._check_layer(zones, "zones")
    metric = _points._metric_crs(zones, crs)
    frame, reader = _point_frame(Path(path), x, y, points_crs, partitions)
    if where:
        filter_rows(frame._meta, where, source=Path(path).name)  # a column not in the file: said here, at once
        reader = replace(reader, where=tuple((c, tuple(v)) for c, v in where.items()))
    districts = client.scatter(_Districts.of(zones, metric), broadcast=True, hash=False)
    partials = [_delayed(_point_partial)(part, districts, reader, report) for part in frame.to_delayed()]
    if partials:
        total: _PointTotals = client.compute(_tree(partials, _merge_points)).result()
    else:
        total = _no_points(len(zones), _Districts.of(zones, metric).usable)
    return _points.stats_frame(zones.index, total.count, total.distance_km(), population), total, reader


@dataclass(frozen=True)
class _Reader:
    """How a partition of the point file becomes points: its columns or its geometry."""

    path: Path
    x: str | None
    y: str | None
    crs: str | int
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def points(self, part: pd.DataFrame) -> tuple[gpd.GeoDataFrame, list[dict[str, Any]]]:
        """Return the usable points of a partition and its rows left out, by :func:`geo.points.read_points`' rules."""
        if self.x is None:
            points, report = _points._points_from_geometry(part, self.path, self.crs)
        else:
            points, report = _points._points_from_columns(pd.DataFrame(part), self.path, self.x, self.y, self.crs)
        return points, report["dropped"]


@dataclass(frozen=True)
class _Districts:
    """What every task needs of the districts: geometries in their CRS and in the metric CRS."""

    crs: Any
    geoms: np.ndarray
    metric: CRS
    metric_geoms: np.ndarray
    usable: np.ndarray

    @classmethod
    def of(cls, zones: gpd.GeoDataFrame, metric: CRS) -> _Districts:
        metric_geoms = np.asarray(zones.to_crs(metric).geometry.array, dtype=object)
        usable = np.flatnonzero(~(shapely.is_missing(metric_geoms) | shapely.is_empty(metric_geoms)))
        return cls(
            crs=zones.crs,
            geoms=np.asarray(zones.geometry.array, dtype=object),
            metric=metric,
            metric_geoms=metric_geoms[usable],
            usable=usable,
        )


@dataclass
class _PointTotals:
    """Per district: points counted, whether a point touches it, metres to the nearest point.

    And per piece of the file, for its report: rows read, rows left out ``(row, reason)``,
    points placed, inside a district, outside every district ``(row, x, y)``, and the distinct
    places of the points (``x + 1j * y``, sorted). Rows count from the piece's first row.
    """

    count: np.ndarray
    touched: np.ndarray
    nearest: np.ndarray
    usable: np.ndarray
    rows: int = 0
    kept: int = 0
    dropped: tuple[tuple[int, str], ...] = ()
    placed: int = 0
    inside: int = 0
    outside: tuple[tuple[int, float, float], ...] = ()
    places: np.ndarray = field(default_factory=lambda: np.empty(0, np.complex128))

    def merge(self, other: _PointTotals) -> _PointTotals:
        """The totals of this piece followed by ``other`` (its rows numbered after this one's)."""
        shift = self.rows
        return _PointTotals(
            count=self.count + other.count,
            touched=self.touched | other.touched,
            nearest=np.fmin(self.nearest, other.nearest),
            usable=self.usable,
            rows=self.rows + other.rows,
            kept=self.kept + other.kept,
            dropped=self.dropped + tuple((r + shift, why) for r, why in other.dropped),
            placed=self.placed + other.placed,
            inside=self.inside + other.inside,
            outside=self.outside + tuple((r + shift, px, py) for r, px, py in other.outside),
            places=np.union1d(self.places, other.places),
        )

    def distance_km(self) -> np.ndarray:
        """Return km to the nearest point as :func:`geo.points.point_stats` does; NaN without points."""
        distance = np.full(self.count.size, np.nan)
        found = np.isfinite(self.nearest)
        distance[self.usable[found]] = self.nearest[found] / 1000.0
        distance[self.touched] = 0.0
        return distance


def _no_points(n_zones: int, usable: np.ndarray) -> _PointTotals:
    return _PointTotals(np.zeros(n_zones, np.int64), np.zeros(n_zones, bool), np.full(usable.size, np.inf), usable)


def _point_frame(path: Path, x: str | None, y: str | None, crs: str | int, partitions: int | None) -> tuple[Any, _Reader]:
    """Return the point file as a partitioned dask frame and how to turn a partition into points."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise LayerDataError(_("points file '{path}': not found; check the path.").format(path=path))
    if suffix in _points._PARQUET_SUFFIXES:
        frame, reader = _parquet_frame(path, x, y, crs)
    elif suffix in (".csv", ".tsv"):
        frame, reader = _csv_frame(path, x, y, crs)
    else:
        frame, reader = _local_frame(path, x, y, crs, partitions)
    if partitions is not None and frame.npartitions != partitions:
        frame = frame.repartition(npartitions=partitions)
    return frame, reader


def _parquet_frame(path: Path, x: str | None, y: str | None, crs: str | int) -> tuple[Any, _Reader]:
    import dask.dataframe as dd
    import dask_geopandas
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    if b"geo" in (schema.metadata or {}):
        return dask_geopandas.read_parquet(path, split_row_groups=True), _Reader(path, None, None, crs)
    columns = list(schema.names)
    x = _points._find_column(columns, x, _points.X_NAMES, "x", path)
    y = _points._find_column(columns, y, _points.Y_NAMES, "y", path)
    return dd.read_parquet(path, split_row_groups=True), _Reader(path, x, y, crs)


def _csv_frame(path: Path, x: str | None, y: str | None, crs: str | int) -> tuple[Any, _Reader]:
    """Read a CSV in blocks; coordinates as text, so that a bad value in one block cannot break its type."""
    import dask.dataframe as dd

    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        columns = list(pd.read_csv(path, sep=sep, nrows=0).columns)
    except Exception as exc:  # any reader failure is a problem with the file
        raise LayerDataError(_("points file '{path}': cannot be read ({name}: {exc}).").format(
            path=path, name=type(exc).__name__, exc=exc)) from exc
    x = _points._find_column(columns, x, _points.X_NAMES, "x", path)
    y = _points._find_column(columns, y, _points.Y_NAMES, "y", path)
    frame = dd.read_csv(path, sep=sep, dtype={x: object, y: object}, blocksize=_CSV_BLOCKSIZE)
    return frame, _Reader(path, x, y, crs)


def _local_frame(
    path: Path, x: str | None, y: str | None, crs: str | int, partitions: int | None
) -> tuple[Any, _Reader]:
    """Read a file Dask cannot split (GeoPackage, GeoJSON...) here and split its rows in partitions.

    The rows are split as read, so that every partition is cleaned and reported on the workers
    like those of a CSV; vector geometry or coordinate columns as :func:`geo.points.read_points`
    chooses.
    """
    import dask.dataframe as dd
    import dask_geopandas

    table = _points._read_table(path).reset_index(drop=True)
    n = max(1, min(partitions or 1, len(table)))
    if isinstance(table, gpd.GeoDataFrame) and not shapely.is_missing(np.asarray(table.geometry.array)).all():
        return dask_geopandas.from_geopandas(table, npartitions=n, sort=False), _Reader(path, None, None, crs)
    table = pd.DataFrame(table.drop(columns=table.geometry.name) if isinstance(table, gpd.GeoDataFrame) else table)
    columns = list(table.columns)
    x = _points._find_column(columns, x, _points.X_NAMES, "x", path)
    y = _points._find_column(columns, y, _points.Y_NAMES, "y", path)
    return dd.from_pandas(table, npartitions=n, sort=False), _Reader(path, x, y, crs)


def _point_partial(part: pd.DataFrame, districts: _Districts, reader: _Reader, report: bool = True) -> _PointTotals:
    """Reduce one partition of points to per-district counts, touches and nearest distances (and its report)."""
    part = part.reset_index(drop=True)  # rows from the partition's first row; the merge numbers them in the file
    rows = len(part)
    if reader.where:  # the kept rows keep their positions, so the report names the file's lines
        part, _line = filter_rows(part, dict(reader.where), source=reader.path.name)
    points, dropped = reader.points(part)
    n_zones = len(districts.geoms)
    geoms = np.asarray(points.to_crs(districts.crs).geometry.array, dtype=object)
    tree = shapely.STRtree(districts.geoms)
    point_pos, zone_pos = tree.query(geoms, predicate="intersects")
    pairs = (point_pos.astype(np.int64), zone_pos.astype(np.int64))
    touched = np.zeros(n_zones, bool)
    touched[pairs[1]] = True
    totals = _PointTotals(
        count=_points._count_points(pairs, len(points), n_zones),
        touched=touched,
        nearest=_nearest_metres(points, districts),
        usable=districts.usable,
        rows=rows,
        kept=len(part),
    )
    if not report:
        return totals
    inside = np.zeros(len(points), bool)
    inside[pairs[0]] = True
    own = np.asarray(points.geometry.array, dtype=object)
    xs, ys = (shapely.get_x(own), shapely.get_y(own)) if len(points) else (np.empty(0), np.empty(0))
    outside = tuple((int(r), float(px), float(py))
                    for r, px, py, ok in zip(points.index, xs, ys, inside) if not ok)
    return replace(
        totals,
        dropped=tuple((int(d["row"]), str(d["reason"])) for d in dropped),
        placed=len(points),
        inside=int(inside.sum()),
        outside=outside,
        places=np.unique(xs + 1j * ys),
    )


def _nearest_metres(points: gpd.GeoDataFrame, districts: _Districts) -> np.ndarray:
    """Return metres from each usable district to the nearest of these points (inf if none)."""
    nearest = np.full(districts.usable.size, np.inf)
    point_geoms = np.asarray(points.to_crs(districts.metric).geometry.array, dtype=object)
    point_geoms = point_geoms[~(shapely.is_missing(point_geoms) | shapely.is_empty(point_geoms))]
    if len(point_geoms) == 0 or districts.usable.size == 0:
        return nearest
    tree = shapely.STRtree(point_geoms)
    (zone_pos, _unused), metres = tree.query_nearest(districts.metric_geoms, return_distance=True, all_matches=False)
    nearest[zone_pos] = metres
    return nearest


def _merge_points(partials: Sequence[_PointTotals]) -> _PointTotals:
    total = partials[0]
    for other in partials[1:]:
        total = total.merge(other)
    return total


# ---------------------------------------------------------------------- rasters


def zonal_stats_dask(
    client: Any,
    zones: gpd.GeoDataFrame,
    raster: str | Path,
    *,
    stats: Sequence[str] | str = ("mean",),
    weights: str | Path | None = None,
    band: int = 1,
    small_zone_fallback: bool = True,
    chunk_rows: int | None = None,
) -> pd.DataFrame:
    """Summarise a raster's pixels inside each district, one task per window of rows, on a cluster.

    The result equals :func:`geo.zonal.zonal_stats`'s (same definitions, nodata
    handling and small-district fallback): counts, minima and maxima exactly,
    sums, means and weighted means to about 1e-15 relative (they are added up in
    another order).

    Parameters
    ----------
    client : distributed.Client
        Client of the cluster; its workers open ``raster`` (and ``weights``) themselves.
    zones : geopandas.GeoDataFrame
        The districts, with a CRS.
    raster : str or Path
        A raster GDAL reads, with a CRS.
    stats : sequence of str or str, default ("mean",)
        Among :data:`geo.zonal.STATS`.
    weights : str or Path, optional
        Weight raster on the same grid, for ``"weighted_mean"``.
    band : int, default 1
        Band of ``raster``.
    small_zone_fallback : bool, default True
        As in :func:`geo.zonal.zonal_stats`.
    chunk_rows : int, optional
        Raster rows per task, read as one window (tasks start at multiples of
        it); default as :func:`geo.zonal.zonal_stats`'s windows: a multiple of
        the block height holding about four million pixels.

    Returns
    -------
    pandas.DataFrame
        Index ``zones.index``, one column per statistic; ``count`` is ``int64``.

    Raises
    ------
    MissingCRSError, RasterError, ConfigError
        As :func:`geo.zonal.zonal_stats`.
    """
    _zonal._check_zones(zones)
    wanted = _zonal._check_stats(stats, weights)
    _zonal._check_window_rows(chunk_rows)
    with _zonal._open_raster(raster, "raster") as src:
        _zonal._check_band(src, band, raster)
        grid = _zonal.Grid.of(src)
        block_height = src.block_shapes[band - 1][0]
        with _zonal._open_weights(weights, grid):
            pass
    geoms = _zonal._geometries_in(zones, grid)
    window = _zonal._zones_window(geoms, grid)
    job = _RasterJob(str(raster), None if weights is None else str(weights), band, grid, window, tuple(wanted))
    shared = client.scatter(geoms, broadcast=True, hash=False)
    cuts = _zonal._row_windows(window, chunk_rows, block_height)
    partials = [_delayed(_raster_partial)(job, shared, [cut]) for cut in cuts]
    if partials:
        totals, owned = client.compute(_tree(partials, _merge_rasters)).result()
    else:
        totals, owned = _zonal._Totals.empty(len(zones), wanted), np.zeros(len(zones), np.int64)
    if small_zone_fallback:
        _add_small_zones(totals, zones, geoms, owned, job)
    return totals.to_frame(wanted, zones.index)


@dataclass(frozen=True)
class _RasterJob:
    """What every raster task needs besides the districts and its windows."""

    raster: str
    weights: str | None
    band: int
    grid: Any
    window: Any
    wanted: tuple[str, ...]


def _raster_partial(job: _RasterJob, geoms: np.ndarray, cuts: list[tuple[int, int]]) -> tuple[Any, np.ndarray]:
    """Reduce some row windows of the raster: (totals per district, pixel centres owned per district)."""
    n_zones = len(geoms)
    totals = _zonal._Totals.empty(n_zones, job.wanted)
    owned = np.zeros(n_zones + 1, np.int64)
    builder = _zonal._LabelBuilder(geoms, job.grid, job.window)
    with _zonal._open_raster(job.raster, "raster") as src, _open_optional(job.weights) as wsrc:
        blocks = _zonal._prefetched_blocks(src, job.band, wsrc, job.window, iter(cuts))
        for start, stop, block, wblock in blocks:
            offsets, labels = builder.add(start, stop)
            totals.add_runs((offsets, labels), block, wblock)
            lengths = np.diff(np.append(offsets, block.values.size))
            owned += np.bincount(labels, weights=lengths, minlength=n_zones + 1).astype(np.int64)
    return totals, owned[1:]


def _merge_rasters(partials: Sequence[tuple[Any, np.ndarray]]) -> tuple[Any, np.ndarray]:
    totals, owned = partials[0]
    for other, other_owned in partials[1:]:
        totals, owned = totals.merge(other), owned + other_owned
    return totals, owned


def _add_small_zones(totals: Any, zones: gpd.GeoDataFrame, geoms: np.ndarray, owned: np.ndarray, job: _RasterJob) -> None:
    """Give districts owning no pixel centre (or a few, all nodata) the pixels they touch, as zonal_stats does."""
    fallback = _zonal._fallback_pixels(geoms, job.grid, job.window, owned)
    with _zonal._open_raster(job.raster, "raster") as src, _open_optional(job.weights) as wsrc:
        _zonal._add_zone_pixels(totals, *fallback, src, job.band, wsrc)
        _zonal._add_touched_owned(totals, zones, owned, job.grid, job.window, src, job.band, wsrc)


class _open_optional:
    """Open the weight raster when there is one."""

    def __init__(self, path: str | None) -> None:
        self.opener = None if path is None else _zonal._open_raster(path, "weights")

    def __enter__(self) -> Any:
        return None if self.opener is None else self.opener.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self.opener is not None:
            self.opener.__exit__()


# ---------------------------------------------------------------------- helpers


def _delayed(function: Callable[..., Any]) -> Any:
    import dask

    return dask.delayed(function, pure=False)


def _tree(partials: list[Any], merge: Callable[[Sequence[Any]], Any]) -> Any:
    """Merge delayed partial results in a tree, ``_FAN_IN`` at a time, into one delayed result."""
    level = list(partials)
    while len(level) > 1:
        level = [_delayed(merge)(level[i : i + _FAN_IN]) for i in range(0, len(level), _FAN_IN)]
    return level[0]
