"""Zonal statistics of district polygons over a raster.

The districts are burnt once into a label raster (one integer per pixel: 0 for no
district, ``k`` for the district at position ``k - 1``) with the pixel-centre rule
that ``rasterstats`` uses by default (``all_touched=False``). The label raster is
kept run-length encoded, one list of runs per row, so that it costs a few bytes
per district boundary crossing rather than per pixel, and it is built window by
window so that peak memory is bounded by the window size, not by the raster size.

The value raster is read window by window (only the columns and rows that cover
the districts; a thread reads ahead while the current window is reduced), the
labels of each window are burnt just before it is reduced, and each window is
reduced run by run with
``numpy.add.reduceat`` / ``numpy.minimum.reduceat`` / ``numpy.maximum.reduceat``;
the per-run results are added up per district with ``numpy.bincount`` (sums,
counts, weighted sums) and ``numpy.minimum.at`` / ``numpy.maximum.at`` (extremes).
Because the per-run arrays are hundreds of times shorter than the pixel arrays,
the cost per window is little more than reading it.

A :class:`ZoneLabels` belongs to one boundary version and one grid. It can be
reused for every raster on that grid (population, night lights, travel time...)
and for point look-ups; :class:`LabelCache` keeps a few of them keyed by
(boundary fingerprint, grid).
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict, deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
import shapely.geometry
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import RasterioIOError
from rasterio.features import rasterize
from rasterio.windows import Window

from geo.i18n import _, format_spec
from geo.errors import BoundaryError, ConfigError, MissingCRSError, RasterError

__all__ = [
    "STATS",
    "Grid",
    "ZoneLabels",
    "LabelCache",
    "boundary_fingerprint",
    "zone_labels",
    "zonal_stats",
]

#: Statistics :func:`zonal_stats` can compute, in output column order.
STATS: tuple[str, ...] = ("mean", "sum", "count", "min", "max", "weighted_mean")

#: Pixels per window when ``window_rows`` is not given (about 16 MB of float32).
_WINDOW_PIXELS = 1 << 22

#: Blocks read ahead of the one being reduced.
_READ_AHEAD = 2

#: Bytes read from one file handle before it is reopened to empty GDAL's block cache.
_REOPEN_BYTES = 64 << 20

#: Zones with at most this many pixel centres, all nodata, fall back to touched pixels.
_FEW_PIXELS = 4

#: Relative tolerance when comparing two grids' origins and pixel sizes.
_GRID_TOLERANCE = 1e-9


# --------------------------------------------------------------------------- grid


@dataclass(frozen=True)
class Grid:
    """The pixel grid of a raster: CRS, affine transform and size.

    Parameters
    ----------
    crs_wkt : str
        The raster's CRS as WKT.
    transform : tuple of float
        The six affine coefficients ``(a, b, c, d, e, f)`` mapping (col, row) to (x, y).
    width, height : int
        Number of columns and rows.

    Examples
    --------
    >>> grid = Grid.of("tests/data/zonal_10x10.tif")
    >>> (grid.width, grid.height)
    (10, 10)
    """

    crs_wkt: str
    transform: tuple[float, float, float, float, float, float]
    width: int
    height: int

    @classmethod
    def of(cls, raster: str | Path | Mapping[str, Any] | Any) -> Grid:
        """Return the grid of a raster file, an open dataset, a profile or a grid.

        Parameters
        ----------
        raster : str, Path, mapping, rasterio dataset or Grid
            A raster path, an open ``rasterio`` dataset, or a profile-like mapping
            with ``crs``, ``transform``, ``width`` and ``height``.

        Returns
        -------
        Grid

        Raises
        ------
        RasterError
            If the file cannot be opened, has no CRS or a rotated transform.
        """
        if isinstance(raster, Grid):
            return raster
        if isinstance(raster, (str, Path)):
            with _open_raster(raster, "raster") as src:
                return cls.of(src)
        name = getattr(raster, "name", "raster profile")
        if isinstance(raster, Mapping):
            crs, transform = raster.get("crs"), raster.get("transform")
            width, height = raster.get("width"), raster.get("height")
        else:
            crs, transform = raster.crs, raster.transform
            width, height = raster.width, raster.height
        if crs is None:
            raise RasterError(
                _("raster '{name}': has no CRS; zones cannot be placed on it. "
                "Assign one, e.g. `gdal_edit.py -a_srs EPSG:4326 FILE`.").format(name=name)
            )
        if transform is None or width is None or height is None:
            raise RasterError(
                _("raster '{name}': profile lacks transform/width/height; "
                "pass a rasterio profile or the raster's path.").format(name=name)
            )
        transform = Affine(*tuple(transform)[:6])
        if transform.b != 0 or transform.d != 0:
            raise RasterError(
                _("raster '{name}': rotated grid {tuple} is not supported; "
                "warp it to a north-up grid first, e.g. with `gdalwarp`.").format(
                    name=name, tuple=tuple(transform)[:6])
            )
        return cls(
            crs_wkt=CRS.from_user_input(crs).to_wkt(),
            transform=tuple(float(v) for v in tuple(transform)[:6]),  # type: ignore[arg-type]
            width=int(width),
            height=int(height),
        )

    @property
    def affine(self) -> Affine:
        """The transform as an :class:`affine.Affine`."""
        return Affine(*self.transform)

    @property
    def crs(self) -> CRS:
        """The CRS as a :class:`rasterio.crs.CRS`."""
        return CRS.from_wkt(self.crs_wkt)

    def matches(self, other: Grid) -> bool:
        """Return whether two grids have the same CRS, size and pixels.

        Origins and pixel sizes may differ by rounding (relative ``1e-9`` of a pixel).

        Parameters
        ----------
        other : Grid

        Returns
        -------
        bool
        """
        if (self.width, self.height) != (other.width, other.height):
            return False
        pixel = max(abs(self.transform[0]), abs(self.transform[4]))
        close = all(
            math.isclose(a, b, rel_tol=_GRID_TOLERANCE, abs_tol=_GRID_TOLERANCE * pixel)
            for a, b in zip(self.transform, other.transform)
        )
        return close and (self.crs_wkt == other.crs_wkt or self.crs == other.crs)

    def describe(self) -> str:
        """Return a one-line description used in error messages."""
        a, _unused, c, _unused, e, f = self.transform
        return _("{width}x{height} pixels of {a} x {e} from ({c}, {f})").format(
            width=self.width, height=self.height, a=format_spec(a, "g"), e=format_spec(e, "g"), c=format_spec(c, "g"), f=format_spec(f, "g"))


# ------------------------------------------------------------------------ labels


@dataclass(frozen=True, eq=False)
class ZoneLabels:
    """The label raster of one boundary version on one grid, run-length encoded.

    Build it with :func:`zone_labels` (or :meth:`LabelCache.get`) and pass it to
    :func:`zonal_stats` for every raster on the same grid.

    Only the window covering the zones' bounds is stored. Row ``r`` of that window
    holds the runs ``row_ptr[r]:row_ptr[r + 1]``; run ``i`` starts at column
    ``run_start[i]`` (relative to the window) and carries label ``run_label[i]``
    (0 for no zone, ``k`` for the zone at position ``k - 1``).

    Attributes
    ----------
    fingerprint : str
        :func:`boundary_fingerprint` of the zones the labels were built from.
    grid : Grid
        The raster grid.
    n_zones : int
        Number of zones (rows of the zones' frame).
    window : rasterio.windows.Window
        Part of the grid covering the zones' bounds (may be empty).
    row_ptr, run_start, run_label : numpy.ndarray
        The runs, as described above. ``run_label`` is ``uint16`` for fewer than
        65,535 zones, else ``uint32``.
    fallback_zone, fallback_row, fallback_col : numpy.ndarray
        Pixels (absolute row and column) for zones that hold no pixel centre: the
        pixels the zone touches, or the pixel under its representative point.
    """

    fingerprint: str
    grid: Grid
    n_zones: int
    window: Window
    row_ptr: np.ndarray
    run_start: np.ndarray
    run_label: np.ndarray
    fallback_zone: np.ndarray
    fallback_row: np.ndarray
    fallback_col: np.ndarray

    @property
    def key(self) -> tuple[str, Grid]:
        """The cache key: (boundary fingerprint, grid)."""
        return (self.fingerprint, self.grid)

    @property
    def nbytes(self) -> int:
        """Memory held by the label arrays, in bytes."""
        arrays = (self.row_ptr, self.run_start, self.run_label, self.fallback_zone)
        return sum(a.nbytes for a in arrays) + self.fallback_row.nbytes * 2

    def pixel_counts(self) -> np.ndarray:
        """Return the number of pixel centres owned by each zone.

        Returns
        -------
        numpy.ndarray
            ``int64`` array of length ``n_zones``; 0 for zones smaller than a pixel,
            outside the grid or hidden under another zone.

        Examples
        --------
        >>> zones = gpd.read_file("tests/data/zonal_zones.geojson")
        >>> zone_labels(zones, "tests/data/zonal_10x10.tif").pixel_counts().tolist()
        [12, 24, 24, 24, 0, 0, 0]
        """
        return _pixel_counts(self.row_ptr, self.run_start, self.run_label, int(self.window.width), self.n_zones)

    def zone_at(self, x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> np.ndarray:
        """Return the position of the zone owning the pixel under each point.

        Parameters
        ----------
        x, y : array-like of float
            Coordinates in the grid's CRS.

        Returns
        -------
        numpy.ndarray
            ``int64`` zone positions (``zones.iloc[pos]``), ``-1`` where the pixel
            belongs to no zone or lies outside the grid.

        Examples
        --------
        >>> zones = gpd.read_file("tests/data/zonal_zones.geojson")
        >>> labels = zone_labels(zones, "tests/data/zonal_10x10.tif")
        >>> labels.zone_at([500_500.0, 500_500.0], [4_009_500.0, 4_006_500.0]).tolist()
        [0, -1]
        """
        cols, rows = _to_pixel(self.grid, np.asarray(x, float), np.asarray(y, float))
        rows = np.floor(np.asarray(rows)).astype(np.int64) - int(self.window.row_off)
        cols = np.floor(np.asarray(cols)).astype(np.int64) - int(self.window.col_off)
        inside = (rows >= 0) & (rows < self.window.height) & (cols >= 0) & (cols < self.window.width)
        width = int(self.window.width)
        run_row = np.repeat(np.arange(int(self.window.height)), np.diff(self.row_ptr))
        flat_starts = run_row * width + self.run_start
        keys = np.where(inside, rows * width + cols, 0)
        found = self.run_label[np.searchsorted(flat_starts, keys, side="right") - 1] if len(flat_starts) else 0
        return np.where(inside, np.asarray(found, np.int64) - 1, -1)

    def window_runs(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the runs of window rows ``start:stop`` as flat offsets and labels.

        Parameters
        ----------
        start, stop : int
            Rows relative to :attr:`window`.

        Returns
        -------
        offsets : numpy.ndarray
            Start of each run in the row-major flattened ``(stop - start, width)`` block.
        labels : numpy.ndarray
            The run labels (0 = no zone).
        """
        first, last = int(self.row_ptr[start]), int(self.row_ptr[stop])
        run_row = np.repeat(np.arange(stop - start, dtype=np.int64), np.diff(self.row_ptr[start : stop + 1]))
        offsets = run_row * int(self.window.width) + self.run_start[first:last]
        return offsets, self.run_label[first:last]

    def to_array(self) -> np.ndarray:
        """Return the dense label raster of :attr:`window` (for inspection and tests).

        Returns
        -------
        numpy.ndarray
            ``(window.height, window.width)`` array of labels.
        """
        height, width = int(self.window.height), int(self.window.width)
        lengths = _run_lengths(self.row_ptr, self.run_start, width)
        return np.repeat(self.run_label, lengths).reshape(height, width)


class LabelCache:
    """A few :class:`ZoneLabels` held by the caller, keyed by (boundary fingerprint, grid).

    Parameters
    ----------
    maxsize : int, default 8
        Number of label rasters kept; the least recently used goes first.

    Examples
    --------
    >>> cache = LabelCache()
    >>> zones = gpd.read_file("tests/data/zonal_zones.geojson")
    >>> first = cache.get(zones, "tests/data/zonal_10x10.tif")
    >>> cache.get(zones, "tests/data/zonal_weights.tif") is first  # same grid
    True
    """

    def __init__(self, maxsize: int = 8) -> None:
        if maxsize < 1:
            raise ConfigError(_("LabelCache maxsize={maxsize!r} not valid; must be >= 1.").format(
                maxsize=maxsize))
        self.maxsize = maxsize
        self._items: OrderedDict[tuple[str, Grid], ZoneLabels] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, zones: gpd.GeoDataFrame, raster: str | Path | Mapping[str, Any] | Grid) -> ZoneLabels:
        """Return the labels of ``zones`` on the grid of ``raster``, building them once.

        Parameters
        ----------
        zones : geopandas.GeoDataFrame
            The districts.
        raster : str, Path, mapping or Grid
            A raster path, a rasterio profile or a :class:`Grid`.

        Returns
        -------
        ZoneLabels
        """
        key = (boundary_fingerprint(zones), Grid.of(raster))
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        labels = zone_labels(zones, key[1])
        self._items[key] = labels
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)
        return labels

    def clear(self) -> None:
        """Forget every label raster."""
        self._items.clear()


def boundary_fingerprint(zones: gpd.GeoDataFrame | gpd.GeoSeries) -> str:
    """Return a hash of the zones' CRS and geometries, in order.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame or GeoSeries

    Returns
    -------
    str
        A 32-character hexadecimal digest; the index and attributes do not count.

    Raises
    ------
    MissingCRSError
        If the zones have no CRS.

    Examples
    --------
    >>> zones = gpd.read_file("tests/data/zonal_zones.geojson")
    >>> boundary_fingerprint(zones) == boundary_fingerprint(zones.copy())
    True
    """
    _check_zones(zones)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(zones.crs.to_wkt().encode())
    for wkb in shapely.to_wkb(np.asarray(zones.geometry.array)):
        digest.update(b"\x00" if wkb is None else wkb)
    return digest.hexdigest()


def zone_labels(
    zones: gpd.GeoDataFrame,
    raster_profile_or_path: str | Path | Mapping[str, Any] | Grid,
    *,
    window_rows: int | None = None,
) -> ZoneLabels:
    """Rasterize the zones once into a label raster for one grid.

    Zones are reprojected to the grid's CRS and burnt with the pixel-centre rule
    (a pixel belongs to a zone when its centre lies inside, like ``rasterstats``
    with ``all_touched=False``), one window of rows at a time, so memory stays
    bounded by the window size. Where zones overlap, a pixel goes to the zone that
    comes last in ``zones``; administrative boundaries do not overlap, so this only
    matters for sliver overlaps from digitising. Zones that hold no pixel centre
    (smaller than a pixel, or hidden under another zone) also get the pixels they
    touch, used by :func:`zonal_stats` when ``small_zone_fallback=True``.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        The districts, with a CRS.
    raster_profile_or_path : str, Path, mapping or Grid
        A raster path, a rasterio profile or a :class:`Grid`.
    window_rows : int, optional
        Rows rasterized at a time; by default about four million pixels.

    Returns
    -------
    ZoneLabels

    Raises
    ------
    MissingCRSError
        If the zones have no CRS.
    RasterError
        If the raster cannot be opened or has no CRS.
    ConfigError
        If ``window_rows`` is not a positive integer.

    Examples
    --------
    >>> zones = gpd.read_file("tests/data/zonal_zones.geojson")
    >>> labels = zone_labels(zones, "tests/data/zonal_10x10.tif")
    >>> labels.to_array()[0].tolist()
    [1, 1, 1, 1, 2, 2, 2, 2, 2, 2]
    """
    _check_window_rows(window_rows)
    grid = Grid.of(raster_profile_or_path)
    fingerprint = boundary_fingerprint(zones)
    geoms = _geometries_in(zones, grid)
    window = _zones_window(geoms, grid)
    builder = _LabelBuilder(geoms, grid, window)
    for start, stop in _row_windows(window, window_rows, 1):
        builder.add(start, stop)
    return builder.finish(fingerprint)


# ------------------------------------------------------------------ zonal stats


def zonal_stats(
    zones: gpd.GeoDataFrame,
    raster: str | Path,
    *,
    stats: Sequence[str] | str = ("mean",),
    weights: str | Path | None = None,
    band: int = 1,
    small_zone_fallback: bool = True,
    labels: ZoneLabels | None = None,
    window_rows: int | None = None,
    require_overlap: bool = True,
) -> pd.DataFrame:
    """Summarise a raster's pixels inside each district.

    The recipe: reproject the zones to the raster's CRS; read only the window of
    the raster covering the zones, a block of rows at a time (the next blocks are
    read ahead in a thread); rasterize the zones over each block into labels
    (pixel-centre rule, as ``rasterstats`` by default; skipped when ``labels`` are
    given) and add the block up per zone. Results do not depend on ``window_rows``.

    - Memory: a few blocks of about four million pixels, the run-length labels,
      and at most about 64 MB of decompressed tiles in GDAL's block cache (the
      file is reopened every 64 MB read, which empties it), whatever the
      raster's size.

    - Nodata: pixels equal to the band's nodata value, and NaN pixels, are
      skipped, in the value raster and in the weight raster.
    - Overlapping zones: each pixel is given to one zone only (the last one in
      ``zones``). Fine for administrative boundaries, which do not overlap.
    - Small zones: a zone that holds no pixel centre (smaller than a pixel) gets
      the statistics of the pixels it touches (``all_touched=True``; the pixel under
      its representative point if it touches none) when ``small_zone_fallback`` is
      true, else NaN and a count of 0. So does a zone whose few (at most 4) pixel
      centres are all nodata, such as a coastal city on a coarse grid. Touched
      pixels are shared with neighbours, so for extensive quantities (people per
      pixel) sums of small zones double count: use ``small_zone_fallback=False``
      for totals, or a mean density times the zone's area.
    - Zones outside the raster, or with an empty geometry, get NaN and a count
      of 0; they are never dropped. When no zone overlaps the raster at all
      (a wrong file or a wrong CRS), ``require_overlap`` makes it an error.
    - GDAL decompresses with one thread unless told otherwise: wrap the call in
      ``rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS")`` to use every core.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        The districts, with a CRS (any; they are reprojected to the raster's).
    raster : str or Path
        A raster readable by GDAL, with a CRS.
    stats : sequence of str or str, default ("mean",)
        Among ``"mean"``, ``"sum"``, ``"count"`` (valid pixels), ``"min"``, ``"max"``
        and ``"weighted_mean"``; a string may list several separated by spaces.
    weights : str or Path, optional
        A raster on the same grid (band 1), e.g. population, required by
        ``"weighted_mean"``: ``sum(w * v) / sum(w)`` over pixels where both are valid.
    band : int, default 1
        Band of ``raster`` to summarise.
    small_zone_fallback : bool, default True
        Give zones smaller than a pixel (or with at most 4 pixel centres, all
        nodata) the values of the pixels they touch.
    labels : ZoneLabels, optional
        Labels from :func:`zone_labels` for these zones and this grid, to skip
        rasterizing when several rasters share a grid.
    window_rows : int, optional
        Rows read at a time; by default a multiple of the raster's block height
        holding about four million pixels.
    require_overlap : bool, default True
        Raise :class:`~geo.errors.RasterError` when the raster overlaps none of
        the zones (with geometry); ``False`` returns NaN for all of them.

    Returns
    -------
    pandas.DataFrame
        Index ``zones.index``, one column per requested statistic in the order
        given: ``count`` is ``int64``, the others ``float64``.

    Raises
    ------
    MissingCRSError
        If the zones have no CRS.
    RasterError
        If a raster cannot be opened, has no CRS, lacks ``band``, the weight
        raster's grid differs from the value raster's, or (``require_overlap``)
        the raster overlaps no zone.
    ConfigError
        If a statistic is unknown, ``weighted_mean`` lacks ``weights``,
        ``window_rows`` is not positive, or ``labels`` belong to other zones.

    Examples
    --------
    >>> zones = gpd.read_file("tests/data/zonal_zones.geojson")
    >>> table = zonal_stats(zones, "tests/data/zonal_10x10.tif", stats=["sum", "count"])
    >>> table.loc[0].tolist()
    [138.0, 12.0]
    """
    _check_zones(zones)
    wanted = _check_stats(stats, weights)
    _check_window_rows(window_rows)
    with _open_raster(raster, "raster") as src:
        _check_band(src, band, raster)
        grid = Grid.of(src)
        if labels is None:
            builder = _LabelBuilder(_geometries_in(zones, grid), grid)
            window = builder.window
        else:
            _check_labels(labels, zones, grid, raster)
            window = labels.window
        if require_overlap:
            _check_overlap(window, zones, grid, raster)
        with _open_weights(weights, grid) as wsrc:
            totals = _Totals.empty(len(zones), wanted)
            cuts = _row_windows(window, window_rows, src.block_shapes[band - 1][0])
            for start, stop, block, wblock in _prefetched_blocks(src, band, wsrc, window, cuts):
                runs = builder.add(start, stop) if labels is None else labels.window_runs(start, stop)
                totals.add_runs(runs, block, wblock)
            if labels is None:
                labels = builder.finish(boundary_fingerprint(zones))
            if small_zone_fallback:
                _add_fallback_pixels(totals, labels, src, band, wsrc)
                _add_touched_pixels(totals, zones, labels, src, band, wsrc)
    return totals.to_frame(wanted, zones.index)


# --------------------------------------------------------------------- helpers


@dataclass
class _Block:
    """Values of one window of rows and the mask of valid pixels (None: all valid)."""

    values: np.ndarray
    valid: np.ndarray | None

    def take(self, flat: np.ndarray) -> _Block:
        """Return the pixels at row-major positions ``flat`` as a flat block."""
        return _Block(self.values.ravel()[flat], None if self.valid is None else self.valid.ravel()[flat])


@dataclass
class _Totals:
    """Per-zone running totals; slot 0 collects pixels of no zone and is dropped."""

    count: np.ndarray
    total: np.ndarray | None
    low: np.ndarray | None
    high: np.ndarray | None
    weighted: np.ndarray | None
    weight: np.ndarray | None

    @classmethod
    def empty(cls, n_zones: int, wanted: Sequence[str]) -> _Totals:
        size = n_zones + 1

        def zeros(needed: bool, fill: float = 0.0) -> np.ndarray | None:
            return np.full(size, fill) if needed else None

        return cls(
            count=np.zeros(size, np.int64),
            total=zeros("sum" in wanted or "mean" in wanted),
            low=zeros("min" in wanted, np.inf),
            high=zeros("max" in wanted, -np.inf),
            weighted=zeros("weighted_mean" in wanted),
            weight=zeros("weighted_mean" in wanted),
        )

    def add_runs(self, runs: tuple[np.ndarray, np.ndarray], block: _Block, wblock: _Block | None) -> None:
        """Add a block of rows, given its label runs as (flat offsets, labels)."""
        offsets, zone = runs
        if offsets.size == 0:
            return
        values = block.values.ravel()
        if block.valid is not None:  # nodata pixels become runs of no zone: every run is all valid
            offsets, zone = _valid_runs(offsets, zone, block.valid.ravel())
        zone = zone.astype(np.intp)
        size = self.count.size
        counts = np.diff(np.append(offsets, values.size))
        self.count += np.bincount(zone, weights=counts, minlength=size).astype(np.int64)
        if self.total is not None:
            self.total += np.bincount(zone, weights=np.add.reduceat(values, offsets, dtype=np.float64), minlength=size)
        with np.errstate(invalid="ignore"):  # NaN pixels sit in runs of no zone (slot 0, dropped)
            if self.low is not None:
                np.minimum.at(self.low, zone, np.minimum.reduceat(values, offsets).astype(np.float64))
            if self.high is not None:
                np.maximum.at(self.high, zone, np.maximum.reduceat(values, offsets).astype(np.float64))
        if self.weighted is not None and self.weight is not None and wblock is not None:
            w, wv = _weighted_terms(values, None, wblock.values.ravel(), _ravel(wblock.valid))
            self.weighted += np.bincount(zone, weights=np.add.reduceat(wv, offsets, dtype=np.float64), minlength=size)
            self.weight += np.bincount(zone, weights=np.add.reduceat(w, offsets, dtype=np.float64), minlength=size)

    def add_values(self, zone_pos: np.ndarray, picked: _Block, wpicked: _Block | None) -> None:
        """Add single pixels' values to the zones at positions ``zone_pos``."""
        zone = zone_pos + 1
        values = picked.values.astype(np.float64)
        valid = np.ones(values.size, bool) if picked.valid is None else picked.valid
        np.add.at(self.count, zone, valid.astype(np.int64))
        if self.total is not None:
            np.add.at(self.total, zone, np.where(valid, values, 0.0))
        if self.low is not None:
            np.minimum.at(self.low, zone, np.where(valid, values, np.inf))
        if self.high is not None:
            np.maximum.at(self.high, zone, np.where(valid, values, -np.inf))
        if self.weighted is not None and self.weight is not None and wpicked is not None:
            w, wv = _weighted_terms(values, valid, wpicked.values.astype(np.float64), wpicked.valid)
            np.add.at(self.weighted, zone, wv)
            np.add.at(self.weight, zone, w)

    def merge(self, other: _Totals) -> _Totals:
        """Return the totals of two disjoint sets of pixels (e.g. two row windows) added up."""

        def both(a: np.ndarray | None, b: np.ndarray | None, op: Any) -> np.ndarray | None:
            return None if a is None or b is None else op(a, b)

        return _Totals(
            count=self.count + other.count,
            total=both(self.total, other.total, np.add),
            low=both(self.low, other.low, np.minimum),
            high=both(self.high, other.high, np.maximum),
            weighted=both(self.weighted, other.weighted, np.add),
            weight=both(self.weight, other.weight, np.add),
        )

    def to_frame(self, wanted: Sequence[str], index: pd.Index) -> pd.DataFrame:
        """Return the statistics as a frame indexed like the zones."""
        count = self.count[1:]
        empty = count == 0
        columns: dict[str, np.ndarray] = {}
        for stat in wanted:
            if stat == "count":
                columns[stat] = count.copy()
            elif stat == "sum":
                columns[stat] = np.where(empty, np.nan, self.total[1:])  # type: ignore[index]
            elif stat == "mean":
                with np.errstate(invalid="ignore", divide="ignore"):
                    columns[stat] = np.where(empty, np.nan, self.total[1:] / count)  # type: ignore[index]
            elif stat == "min":
                columns[stat] = np.where(empty, np.nan, self.low[1:])  # type: ignore[index]
            elif stat == "max":
                columns[stat] = np.where(empty, np.nan, self.high[1:])  # type: ignore[index]
            else:
                weight = self.weight[1:]  # type: ignore[index]
                with np.errstate(invalid="ignore", divide="ignore"):
                    columns[stat] = np.where(weight != 0, self.weighted[1:] / weight, np.nan)  # type: ignore[index]
        return pd.DataFrame(columns, index=index.copy())


def _valid_runs(offsets: np.ndarray, zone: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split label runs where pixels turn valid or invalid; invalid runs get zone 0 (no zone)."""
    change = np.flatnonzero(valid[1:] != valid[:-1]) + 1
    cuts = np.union1d(offsets, change[change > offsets[0]])
    owner = np.searchsorted(offsets, cuts, side="right") - 1
    return cuts, np.where(valid[cuts], zone[owner], 0).astype(zone.dtype)


def _ravel(mask: np.ndarray | None) -> np.ndarray | None:
    return None if mask is None else mask.ravel()


def _weighted_terms(
    values: np.ndarray, valid: np.ndarray | None, weights: np.ndarray, wvalid: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Return weights and weight x value products, both 0 where either input is not valid.

    Products keep the inputs' precision (float32 for float32 rasters); the sums
    over runs are taken in float64.
    """
    both = valid if wvalid is None else (wvalid if valid is None else valid & wvalid)
    with np.errstate(over="ignore", invalid="ignore"):
        product = np.multiply(values, weights)
    if both is None:
        return weights, product
    return np.where(both, weights, 0), np.where(both, product, 0)


def _check_zones(zones: Any) -> None:
    if not isinstance(zones, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise BoundaryError(
            _("zones: got {name}; must be a GeoDataFrame of district polygons. "
            "Read the boundaries with geopandas.read_file.").format(name=type(zones).__name__)
        )
    if zones.crs is None:
        raise MissingCRSError(
            _("zones: the district polygons have no CRS, so they cannot be placed on the raster. "
            "Set it, e.g. `zones.set_crs('EPSG:4326')` if the coordinates are longitude/latitude.")
        )


def _check_stats(stats: Sequence[str] | str, weights: str | Path | None) -> list[str]:
    names = stats.split() if isinstance(stats, str) else list(stats)
    if not names:
        raise ConfigError(_("stats: empty; must list one or more of {list}.").format(list=list(STATS)))
    for name in names:
        if name not in STATS:
            raise ConfigError(_("Stat {name!r} not valid; must be one of {list}. Fix the `stats` argument.").format(
                name=name, list=list(STATS)))
    if "weighted_mean" in names and weights is None:
        raise ConfigError(
            _("stats: 'weighted_mean' needs a weight raster; pass weights=PATH "
            "(e.g. a population raster on the same grid).")
        )
    return list(dict.fromkeys(names))


def _check_window_rows(window_rows: int | None) -> None:
    if window_rows is not None and (not isinstance(window_rows, (int, np.integer)) or window_rows < 1):
        raise ConfigError(_("window_rows={window_rows!r} not valid; must be a positive integer or None.").format(
            window_rows=window_rows))


def _check_overlap(window: Window, zones: gpd.GeoDataFrame, grid: Grid, path: str | Path) -> None:
    """Refuse a raster that covers none of the zones (the zones without geometry aside)."""
    if window.width > 0 and window.height > 0:
        return
    geoms = _geometries_in(zones, grid)
    present = [g for g in geoms if g is not None]
    if not present:
        return
    zx0, zy0, zx1, zy1 = shapely.total_bounds(np.asarray(present, dtype=object))
    a = grid.affine
    rx = sorted((a.c, a.c + a.a * grid.width))
    ry = sorted((a.f, a.f + a.e * grid.height))
    raise RasterError(
        _("raster '{path}': does not overlap any district: it covers x {rx}..{rx2}, "
        "y {ry}..{ry2} and the districts lie at x {zx0}..{zx1}, y {zy0}..{zy1} "
        "in its CRS ({to_string}). Use a raster covering the districts, or fix its CRS if it "
        "is wrong (check with `gdalinfo FILE`).").format(
            path=path, rx=format_spec(rx[0], ".6g"), rx2=format_spec(rx[1], ".6g"), ry=format_spec(ry[0], ".6g"), ry2=format_spec(ry[1], ".6g"), zx0=format_spec(zx0, ".6g"), zx1=format_spec(zx1, ".6g"), zy0=format_spec(zy0, ".6g"), zy1=format_spec(zy1, ".6g"), to_string=grid.crs.to_string())
    )


def _check_band(src: Any, band: int, path: str | Path) -> None:
    if not isinstance(band, (int, np.integer)) or not 1 <= band <= src.count:
        raise RasterError(_("raster '{path}': band={band!r} not valid; the file has bands 1..{count}.").format(
            path=path, band=band, count=src.count))


def _check_labels(labels: ZoneLabels, zones: gpd.GeoDataFrame, grid: Grid, path: str | Path) -> None:
    if not labels.grid.matches(grid):
        raise RasterError(
            _("raster '{path}': grid {describe} differs from the labels' grid "
            "{describe2}; build labels for this raster with zone_labels(zones, raster).").format(
                path=path, describe=grid.describe(), describe2=labels.grid.describe())
        )
    if labels.fingerprint != boundary_fingerprint(zones):
        raise ConfigError(
            _("labels: built from other district boundaries (fingerprint "
            "{fingerprint} != {boundary_fingerprint}); "
            "build them from these zones with zone_labels(zones, raster).").format(
                fingerprint=labels.fingerprint, boundary_fingerprint=boundary_fingerprint(zones))
        )


class _open_raster:
    """Context manager opening a raster, turning GDAL errors into RasterError."""

    def __init__(self, path: str | Path, role: str) -> None:
        self.path, self.role = path, role
        self.src: Any = None

    def __enter__(self) -> Any:
        try:
            self.src = rasterio.open(self.path)
        except RasterioIOError as exc:
            raise RasterError(
                _("{role} '{path}': cannot be opened ({exc}); "
                "pass the path of a GeoTIFF or another raster GDAL can read.").format(
                    role=self.role, path=self.path, exc=exc)
            ) from exc
        if self.src.crs is None:
            self.src.close()
            raise RasterError(
                _("{role} '{path}': has no CRS; zones cannot be placed on it. "
                "Assign one, e.g. `gdal_edit.py -a_srs EPSG:4326 FILE`.").format(
                    role=self.role, path=self.path)
            )
        return self.src

    def __exit__(self, *exc: object) -> None:
        self.src.close()


class _open_weights:
    """Context manager opening the weight raster (or nothing) and checking its grid."""

    def __init__(self, path: str | Path | None, grid: Grid) -> None:
        self.path, self.grid = path, grid
        self.opener: _open_raster | None = None

    def __enter__(self) -> Any:
        if self.path is None:
            return None
        self.opener = _open_raster(self.path, "weights")
        src = self.opener.__enter__()
        wgrid = Grid.of(src)
        if not wgrid.matches(self.grid):
            self.opener.__exit__()
            raise RasterError(
                _("weights '{path}': grid {describe} differs from the value raster's "
                "{describe2}; the weight raster must be on the same grid and CRS. "
                "Resample it, e.g. `gdalwarp -te ... -tr ... -r sum`.").format(
                    path=self.path, describe=wgrid.describe(), describe2=self.grid.describe())
            )
        return src

    def __exit__(self, *exc: object) -> None:
        if self.opener is not None:
            self.opener.__exit__()


def _geometries_in(zones: gpd.GeoDataFrame, grid: Grid) -> np.ndarray:
    """Return the zones' geometries in the grid's CRS (None for missing or empty)."""
    series = zones.geometry
    if not zones.crs.equals(grid.crs_wkt, ignore_axis_order=True):
        series = series.to_crs(grid.crs_wkt)
    geoms = np.asarray(series.array, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    return np.where(missing, None, geoms)


def _zones_window(geoms: np.ndarray, grid: Grid) -> Window:
    """Return the grid window covering the zones' bounds, rounded outwards."""
    rows, cols = _pixel_bounds(geoms, grid)
    present = ~np.isnan(rows[:, 0])
    if not present.any():
        return Window(0, 0, 0, 0)
    row0 = int(np.clip(rows[present, 0].min(), 0, grid.height))
    row1 = int(np.clip(rows[present, 1].max(), 0, grid.height))
    col0 = int(np.clip(cols[present, 0].min(), 0, grid.width))
    col1 = int(np.clip(cols[present, 1].max(), 0, grid.width))
    if row1 <= row0 or col1 <= col0:
        return Window(0, 0, 0, 0)
    return Window(col0, row0, col1 - col0, row1 - row0)


def _pixel_bounds(geoms: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Return each geometry's (first, stop) rows and columns, rounded outwards; NaN if empty."""
    bounds = shapely.bounds(geoms)  # NaN for None
    c0, r0 = _to_pixel(grid, bounds[:, 0], bounds[:, 1])
    c1, r1 = _to_pixel(grid, bounds[:, 2], bounds[:, 3])
    with np.errstate(invalid="ignore"):
        rows = np.column_stack([np.floor(np.fmin(r0, r1)), np.ceil(np.fmax(r0, r1))])
        cols = np.column_stack([np.floor(np.fmin(c0, c1)), np.ceil(np.fmax(c0, c1))])
    return rows, cols


def _to_pixel(grid: Grid, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return fractional (col, row) of coordinates on a north-up grid."""
    a, _unused, c, _unused, e, f = grid.transform
    return (x - c) / a, (y - f) / e


def _label_dtype(n_zones: int) -> type[np.unsignedinteger]:
    return np.uint16 if n_zones < np.iinfo(np.uint16).max else np.uint32


class _LabelBuilder:
    """Rasterizes zones one block of rows at a time and keeps the label runs.

    Blocks must be added in order, covering the window from its first row.
    """

    def __init__(self, geoms: np.ndarray, grid: Grid, window: Window | None = None) -> None:
        self.geoms, self.grid = geoms, grid
        self.window = _zones_window(geoms, grid) if window is None else window
        self.dtype = _label_dtype(len(geoms))
        self.row_bounds, _unused = _pixel_bounds(geoms, grid)
        self.present = np.flatnonzero(~np.isnan(self.row_bounds[:, 0]))
        self.counts: list[np.ndarray] = [np.zeros(1, np.int64)]
        self.starts: list[np.ndarray] = []
        self.labels: list[np.ndarray] = []
        self.shapes: dict[int, dict[str, Any]] = {}
        self.rings = _PolygonRings.of(geoms[self.present], self.present, len(geoms))

    def add(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Rasterize rows ``start:stop`` of the window; return their runs as (flat offsets, labels)."""
        width = int(self.window.width)
        first, last = start + int(self.window.row_off), stop + int(self.window.row_off)
        bounds = self.row_bounds[self.present]
        near = self.present[(bounds[:, 1] >= first) & (bounds[:, 0] <= last)]
        shapes = [self._shape(pos) for pos in near]
        block = _burn(shapes, near + 1, self.grid, Window(self.window.col_off, first, width, stop - start), self.dtype)
        for pos in near[self.row_bounds[near, 1] < last]:
            del self.shapes[pos]
        row_counts, run_start, run_label = _encode_runs(block)
        self.counts.append(row_counts)
        self.starts.append(run_start)
        self.labels.append(run_label)
        run_row = np.repeat(np.arange(stop - start, dtype=np.int64), row_counts)
        return run_row * width + run_start, run_label

    def _shape(self, pos: int) -> dict[str, Any]:
        """Return a zone as a GeoJSON-like mapping, converted once while blocks need it."""
        if pos not in self.shapes:
            self.shapes[pos] = self.rings.mapping(pos) if self.rings else shapely.geometry.mapping(self.geoms[pos])
        return self.shapes[pos]

    def finish(self, fingerprint: str) -> ZoneLabels:
        """Return the labels, with the touched pixels of zones that own no pixel centre."""
        row_ptr = np.cumsum(np.concatenate(self.counts))
        run_start = np.concatenate(self.starts) if self.starts else np.empty(0, np.int32)
        run_label = np.concatenate(self.labels) if self.labels else np.empty(0, self.dtype)
        owned = _pixel_counts(row_ptr, run_start, run_label, int(self.window.width), len(self.geoms))
        fallback_zone, fallback_row, fallback_col = _fallback_pixels(self.geoms, self.grid, self.window, owned)
        return ZoneLabels(
            fingerprint=fingerprint,
            grid=self.grid,
            n_zones=len(self.geoms),
            window=self.window,
            row_ptr=row_ptr,
            run_start=run_start,
            run_label=run_label,
            fallback_zone=fallback_zone,
            fallback_row=fallback_row,
            fallback_col=fallback_col,
        )


class _PolygonRings:
    """Polygon zones' coordinates in one array (shapely's ragged layout), made into GeoJSON-like
    mappings from slices: the per-coordinate Python loop of ``shapely.geometry.mapping`` was a
    third of zonal statistics' time at 7,500 zones."""

    def __init__(self, coords: np.ndarray, offsets: tuple[np.ndarray, ...], where: np.ndarray) -> None:
        self.coords, self.offsets, self.where = coords, offsets, where

    @classmethod
    def of(cls, geoms: np.ndarray, positions: np.ndarray, n_zones: int) -> _PolygonRings | None:
        """The rings of ``geoms`` (zones at ``positions``), or None unless all are (multi)polygons."""
        kinds = shapely.get_type_id(geoms)
        if geoms.size == 0 or not np.isin(kinds, (3, 6)).all():  # Polygon, MultiPolygon
            return None
        _kind, coords, offsets = shapely.to_ragged_array(geoms, include_z=False)
        where = np.full(n_zones, -1, np.int64)
        where[positions] = np.arange(positions.size)
        if len(offsets) == 2:  # all Polygons: one polygon per zone
            offsets = (*offsets, np.arange(positions.size + 1))
        return cls(coords, offsets, where)

    def mapping(self, pos: int) -> dict[str, Any]:
        """Zone ``pos`` as a GeoJSON-like MultiPolygon."""
        rings, polygons, parts = self.offsets
        i = self.where[pos]
        return {"type": "MultiPolygon", "coordinates": [
            [self.coords[rings[r]:rings[r + 1]].tolist() for r in range(polygons[p], polygons[p + 1])]
            for p in range(parts[i], parts[i + 1])]}


def _burn(
    geoms: Sequence[Any], values: np.ndarray, grid: Grid, window: Window, dtype: Any, all_touched: bool = False
) -> np.ndarray:
    """Rasterize geometries with their values over one window of the grid."""
    shape = (int(window.height), int(window.width))
    if len(geoms) == 0:
        return np.zeros(shape, dtype)
    a, b, c, d, e, f = grid.transform
    col, row = float(window.col_off), float(window.row_off)
    transform = Affine(a, b, c + a * col + b * row, d, e, f + d * col + e * row)
    return rasterize(
        zip(geoms, values.tolist()),
        out_shape=shape,
        transform=transform,
        fill=0,
        all_touched=all_touched,
        dtype=dtype,
    )


def _encode_runs(block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (runs per row, run start columns, run labels) of a dense label block."""
    height, width = block.shape
    if height == 0 or width == 0:
        return np.zeros(height, np.int64), np.empty(0, np.int32), np.empty(0, block.dtype)
    starts = np.empty(block.shape, bool)
    starts[:, 0] = True
    np.not_equal(block[:, 1:], block[:, :-1], out=starts[:, 1:])
    flat = np.flatnonzero(starts)
    run_row, run_col = np.divmod(flat, width)
    return np.bincount(run_row, minlength=height), run_col.astype(np.int32), block.ravel()[flat]


def _pixel_counts(
    row_ptr: np.ndarray, run_start: np.ndarray, run_label: np.ndarray, width: int, n_zones: int
) -> np.ndarray:
    """Return the number of pixels labelled with each zone (label 0 left out)."""
    lengths = _run_lengths(row_ptr, run_start, width)
    return np.bincount(run_label, weights=lengths, minlength=n_zones + 1)[1:].astype(np.int64)


def _run_lengths(row_ptr: np.ndarray, run_start: np.ndarray, width: int) -> np.ndarray:
    """Return the length of every run; the last run of a row ends at ``width``."""
    ends = np.empty(run_start.size, np.int64)
    ends[:-1] = run_start[1:]
    last = row_ptr[1:][np.diff(row_ptr) > 0] - 1
    ends[last] = width
    return ends - run_start


def _fallback_pixels(
    geoms: np.ndarray, grid: Grid, window: Window, pixel_counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (zone, row, col) of the pixels touched by zones that own no pixel centre."""
    zone, row, col = [np.empty(0, np.int64)], [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for pos in np.flatnonzero(pixel_counts == 0):
        if geoms[pos] is None:
            continue
        rows, cols = _touched_pixels(geoms[pos], grid, window)
        zone.append(np.full(rows.size, pos, np.int64))
        row.append(rows)
        col.append(cols)
    return np.concatenate(zone), np.concatenate(row), np.concatenate(col)


def _touched_pixels(geom: Any, grid: Grid, window: Window) -> tuple[np.ndarray, np.ndarray]:
    """Return (rows, cols) of the pixels of ``window`` a geometry touches.

    When it touches none (a degenerate sliver), the pixel under its representative
    point is used if it lies in the window.
    """
    rows, cols = _pixel_bounds(np.array([geom], dtype=object), grid)
    r0, c0 = int(window.row_off), int(window.col_off)
    r1, c1 = r0 + int(window.height), c0 + int(window.width)
    top, bottom = max(int(rows[0, 0]) - 1, r0), min(int(rows[0, 1]) + 1, r1)
    left, right = max(int(cols[0, 0]) - 1, c0), min(int(cols[0, 1]) + 1, c1)
    if bottom <= top or right <= left:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    box = Window(left, top, right - left, bottom - top)
    hit_rows, hit_cols = np.nonzero(_burn(np.array([geom], dtype=object), np.ones(1), grid, box, np.uint8, True))
    if hit_rows.size:
        return hit_rows.astype(np.int64) + top, hit_cols.astype(np.int64) + left
    return _representative_pixel(geom, grid, (r0, r1, c0, c1))


def _representative_pixel(geom: Any, grid: Grid, limits: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Return the pixel under the geometry's representative point, if inside ``limits``."""
    point = shapely.point_on_surface(geom)
    col, row = _to_pixel(grid, np.array([point.x]), np.array([point.y]))
    row_i, col_i = math.floor(row[0]), math.floor(col[0])
    r0, r1, c0, c1 = limits
    if r0 <= row_i < r1 and c0 <= col_i < c1:
        return np.array([row_i], np.int64), np.array([col_i], np.int64)
    return np.empty(0, np.int64), np.empty(0, np.int64)


def _add_fallback_pixels(totals: _Totals, labels: ZoneLabels, src: Any, band: int, wsrc: Any) -> None:
    """Add the pixels touched by zones that own no pixel centre, reading a small box per zone."""
    _add_zone_pixels(totals, labels.fallback_zone, labels.fallback_row, labels.fallback_col, src, band, wsrc)


def _add_zone_pixels(
    totals: _Totals, zones: np.ndarray, rows: np.ndarray, cols: np.ndarray, src: Any, band: int, wsrc: Any
) -> None:
    """Add pixels given as (zone position, row, col), sorted by zone, reading a small box per zone."""
    if zones.size == 0:
        return
    cuts = np.flatnonzero(np.diff(zones)) + 1
    for zone, zone_rows, zone_cols in zip(np.split(zones, cuts), np.split(rows, cuts), np.split(cols, cuts)):
        _add_pixel_values(totals, zone[0], zone_rows, zone_cols, src, band, wsrc)


def _add_pixel_values(totals: _Totals, pos: int, rows: np.ndarray, cols: np.ndarray, src: Any, band: int, wsrc: Any) -> None:
    """Read the box around some pixels and add their values to the zone at ``pos``."""
    box = Window(int(cols.min()), int(rows.min()), int(cols.max() - cols.min() + 1), int(rows.max() - rows.min() + 1))
    flat = (rows - rows.min()) * int(box.width) + cols - cols.min()
    block = _read_block(src, band, box).take(flat)
    wblock = None if wsrc is None else _read_block(wsrc, 1, box).take(flat)
    totals.add_values(np.full(flat.size, pos), block, wblock)


def _add_touched_pixels(
    totals: _Totals, zones: gpd.GeoDataFrame, labels: ZoneLabels, src: Any, band: int, wsrc: Any
) -> None:
    """Give zones with a few pixel centres, all nodata, the valid pixels they touch."""
    _add_touched_owned(totals, zones, labels.pixel_counts(), labels.grid, labels.window, src, band, wsrc)


def _add_touched_owned(
    totals: _Totals, zones: gpd.GeoDataFrame, owned: np.ndarray, grid: Grid, window: Window, src: Any, band: int,
    wsrc: Any,
) -> None:
    """Give zones owning ``owned`` pixel centres, at most a few and all nodata, the valid pixels they touch."""
    retry = np.flatnonzero((totals.count[1:] == 0) & (owned > 0) & (owned <= _FEW_PIXELS))
    if retry.size == 0:
        return
    geoms = _geometries_in(zones.iloc[retry], grid)
    for pos, geom in zip(retry, geoms):
        rows, cols = _touched_pixels(geom, grid, window)
        if rows.size:
            _add_pixel_values(totals, pos, rows, cols, src, band, wsrc)


def _row_windows(window: Window, window_rows: int | None, block_height: int) -> Iterator[tuple[int, int]]:
    """Yield (start, stop) rows of the label window, cut at multiples of the step.

    The cuts fall on absolute raster rows that are multiples of the step, so with
    the default step (a multiple of the block height) every block is decoded once.
    """
    height = int(window.height)
    if height == 0 or int(window.width) == 0:
        return
    if window_rows is None:
        block_height = max(int(block_height), 1)
        target = max(_WINDOW_PIXELS // int(window.width), 1)
        window_rows = max(block_height, target // block_height * block_height)
    row_off = int(window.row_off)
    start = 0
    while start < height:
        stop = min(((row_off + start) // window_rows + 1) * window_rows - row_off, height)
        yield start, stop
        start = stop


def _read_block(src: Any, band: int, window: Window) -> _Block:
    """Read a window of a band and mark its nodata and NaN pixels."""
    values = src.read(band, window=window)
    return _Block(values, _valid_mask(values, src.nodatavals[band - 1]))


def _prefetched_blocks(
    src: Any, band: int, wsrc: Any, window: Window, cuts: Iterator[tuple[int, int]]
) -> Iterator[tuple[int, int, _Block, _Block | None]]:
    """Yield (start, stop, values, weights) per block of rows, reading ahead in a thread.

    GDAL decompresses the next blocks while the caller reduces the current one
    (values and weights each in their own thread); at most ``_READ_AHEAD + 1``
    blocks are held at a time. The reading threads run in the caller's GDAL
    settings (e.g. ``GDAL_NUM_THREADS``).
    """
    options = rasterio.env.getenv() if rasterio.env.hasenv() else {}
    values = _BlockReader(src.name, band)
    weights = None if wsrc is None else _BlockReader(wsrc.name, 1)

    def read(reader: _BlockReader, start: int, stop: int) -> _Block:
        with rasterio.Env(**options):
            return reader.read(_rows_of(window, start, stop))

    with values, _maybe(weights), ThreadPoolExecutor(1) as value_pool, ThreadPoolExecutor(1) as weight_pool:

        def submit(cut: tuple[int, int]) -> tuple[tuple[int, int], Future[_Block], Future[_Block] | None]:
            later = None if weights is None else weight_pool.submit(read, weights, *cut)
            return cut, value_pool.submit(read, values, *cut), later

        pending: deque[tuple[tuple[int, int], Future[_Block], Future[_Block] | None]] = deque()
        for cut in cuts:
            pending.append(submit(cut))
            if len(pending) > _READ_AHEAD:
                (start, stop), block, wblock = pending.popleft()
                yield start, stop, block.result(), None if wblock is None else wblock.result()
        while pending:
            (start, stop), block, wblock = pending.popleft()
            yield start, stop, block.result(), None if wblock is None else wblock.result()


class _BlockReader:
    """Reads windows of one band from its own handle, reopened every ``_REOPEN_BYTES``.

    Closing a dataset drops its decompressed tiles from GDAL's block cache, so
    memory stays flat however large the raster is, without touching the
    process-wide ``GDAL_CACHEMAX``. Blocks are read once and in order, so the
    cache has nothing to offer between them.
    """

    def __init__(self, path: str, band: int) -> None:
        self.path, self.band = path, band
        self.src: Any = None
        self.bytes_read = 0

    def read(self, window: Window) -> _Block:
        if self.src is None or self.bytes_read >= _REOPEN_BYTES:
            self.close()
            self.src = rasterio.open(self.path)
            self.bytes_read = 0
        block = _read_block(self.src, self.band, window)
        self.bytes_read += block.values.nbytes
        return block

    def close(self) -> None:
        if self.src is not None:
            self.src.close()
            self.src = None

    def __enter__(self) -> _BlockReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _maybe:
    """Context manager entering ``reader`` when there is one."""

    def __init__(self, reader: _BlockReader | None) -> None:
        self.reader = reader

    def __enter__(self) -> None:
        if self.reader is not None:
            self.reader.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self.reader is not None:
            self.reader.close()


def _rows_of(window: Window, start: int, stop: int) -> Window:
    """Return rows ``start:stop`` of a window as a window of the grid."""
    return Window(window.col_off, window.row_off + start, window.width, stop - start)


def _valid_mask(values: np.ndarray, nodata: float | None) -> np.ndarray | None:
    """Return where values are neither nodata nor NaN, or None if all are valid."""
    valid = None
    is_float = np.issubdtype(values.dtype, np.floating)
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        cast = np.asarray(nodata).astype(values.dtype)
        if cast == nodata or is_float:
            valid = values != cast
    if is_float:
        valid = ~np.isnan(values) if valid is None else np.logical_and(valid, values == values, out=valid)
    if valid is not None and valid.all():
        return None
    return valid
