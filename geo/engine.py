"""Where the heavy build runs: in this process (the default) or on a Dask cluster.

The build's heavy steps are zonal statistics of rasters and the aggregation of
point files; an engine runs them. :class:`LocalEngine` calls
:func:`geo.zonal.zonal_stats` and :func:`geo.points.point_stats` in this
process. :class:`DaskEngine` sends the same computations, split into row
windows of the raster and partitions of the point file, to a Dask cluster
(see :mod:`geo.dask_stats`); its results equal the local engine's (counts,
minima and maxima exactly, sums and means to about 1e-15 relative).

The joins of indicator tables and the roll-ups between levels are small pandas
operations and always run in the calling process.

Dask is optional: this module imports it only when a Dask engine is opened, so
``geo`` works without it.

Examples
--------
>>> with open_engine() as engine:
...     engine.describe()
'local (this process)'
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.i18n import _
from geo.errors import ConfigError

__all__ = ["DASK_INSTALL", "DaskEngine", "EngineConfig", "LocalEngine", "open_engine", "require_dask"]

#: The command that installs the optional Dask engine.
DASK_INSTALL = 'pip install "dask[distributed]" dask-geopandas'

#: Seconds to wait for a remote scheduler before giving up.
_CONNECT_TIMEOUT = 20


@dataclass(frozen=True)
class EngineConfig:
    """Where the heavy build (zonal statistics, point aggregation) runs: section ``[engine]``.

    ``kind = "local"`` (the default) computes in this process. ``kind = "dask"``
    runs on a Dask cluster: an existing one at ``scheduler`` (``"tcp://host:8786"``),
    else a ``distributed.LocalCluster`` of ``workers`` single-threaded worker
    processes (default: one per CPU). ``partitions`` splits point files into that
    many partitions (default: the file's own row groups, or 64 MB blocks of a
    CSV); ``chunk_rows`` is the number of raster rows per task (default: about
    four million pixels).
    """

    kind: str = "local"
    scheduler: str | None = None
    workers: int | None = None
    partitions: int | None = None
    chunk_rows: int | None = None


def require_dask(where: str = "engine") -> None:
    """Check that Dask, distributed and dask-geopandas can be imported.

    Parameters
    ----------
    where : str, default "engine"
        What asked for Dask (e.g. the configuration file), for the message.

    Raises
    ------
    ConfigError
        If one of them is missing, with the command that installs them.
    """
    for module in ("dask", "distributed", "dask_geopandas"):
        try:
            __import__(module)
        except ImportError as exc:
            raise ConfigError(
                _("{where}: engine.kind = \"dask\" needs the {module!r} package, which is not installed "
                "({exc}); install it with `{dask_install}`, or set kind = \"local\".").format(
                    where=where, module=module, exc=exc, dask_install=DASK_INSTALL)
            ) from None


class LocalEngine:
    """Compute in this process with :func:`geo.zonal.zonal_stats` and :func:`geo.points.point_stats`."""

    kind = "local"

    def describe(self) -> str:
        """Return a one-line description for reports."""
        return _("local (this process)")

    def point_stats(
        self,
        zones: gpd.GeoDataFrame,
        path: str | Path,
        *,
        x: str | None = None,
        y: str | None = None,
        population: pd.Series | None = None,
        crs: str | int | None = None,
    ) -> pd.DataFrame:
        """Read a point file and aggregate it per district (see :func:`geo.points.point_stats`).

        Parameters
        ----------
        zones : geopandas.GeoDataFrame
            The districts, with a CRS.
        path : str or Path
            Points: a CSV of coordinates, a (Geo)Parquet file or any OGR vector file.
        x, y : str, optional
            Coordinate columns of a table (found by name when not given).
        population : pandas.Series, optional
            People per district, for ``per_100k``.
        crs : str or int, optional
            Projected CRS for distances (default: the districts' UTM zone).

        Returns
        -------
        pandas.DataFrame
            ``count``, ``per_100k`` and ``distance_km`` per district.
        """
        from geo.points import point_stats, read_points

        points, _report = read_points(path, x=x, y=y)
        return point_stats(zones, points, population=population, crs=crs)

    def point_layer(
        self,
        zones: gpd.GeoDataFrame,
        path: str | Path,
        *,
        x: str | None = None,
        y: str | None = None,
        population: pd.Series | None = None,
        crs: str | int | None = None,
        layers: Sequence[str] = (),
        where: Any = None,
    ) -> tuple[pd.DataFrame, Any]:
        """:meth:`point_stats` and the file's :class:`geo.points.PointReport` (see :func:`geo.points.point_layer`)."""
        from geo.points import point_layer

        return point_layer(zones, path, x=x, y=y, where=where, population=population, crs=crs, layers=layers)

    def zonal_stats(
        self,
        zones: gpd.GeoDataFrame,
        raster: str | Path,
        *,
        stats: Sequence[str] | str = ("mean",),
        weights: str | Path | None = None,
        band: int = 1,
        small_zone_fallback: bool = True,
    ) -> pd.DataFrame:
        """Summarise a raster per district (see :func:`geo.zonal.zonal_stats`).

        Parameters
        ----------
        zones : geopandas.GeoDataFrame
        raster : str or Path
        stats : sequence of str or str, default ("mean",)
        weights : str or Path, optional
        band : int, default 1
        small_zone_fallback : bool, default True

        Returns
        -------
        pandas.DataFrame
        """
        from geo.zonal import zonal_stats

        return zonal_stats(
            zones, raster, stats=stats, weights=weights, band=band, small_zone_fallback=small_zone_fallback
        )


class DaskEngine:
    """Compute on a Dask cluster through a connected ``distributed.Client``.

    Parameters
    ----------
    client : distributed.Client
        A client connected to the cluster. Its workers must be able to import
        this project's ``geo`` package and to read the same file paths.
    partitions : int, optional
        Number of partitions point files are split into (default: the file's
        own row groups, or 64 MB blocks of a CSV).
    chunk_rows : int, optional
        Raster rows per task (default: about four million pixels per task).
    """

    kind = "dask"

    def __init__(self, client: Any, *, partitions: int | None = None, chunk_rows: int | None = None) -> None:
        self.client = client
        self.partitions = partitions
        self.chunk_rows = chunk_rows

    def describe(self) -> str:
        """Return a one-line description for reports."""
        workers = self.client.scheduler_info().get("workers", {})
        threads = sum(w.get("nthreads", 1) for w in workers.values())
        return _("dask ({address}, {n_workers} workers, {threads} threads)").format(
            address=self.client.scheduler.address, n_workers=len(workers), threads=threads)

    def point_stats(
        self,
        zones: gpd.GeoDataFrame,
        path: str | Path,
        *,
        x: str | None = None,
        y: str | None = None,
        population: pd.Series | None = None,
        crs: str | int | None = None,
    ) -> pd.DataFrame:
        """Aggregate a point file per district on the cluster (see :func:`geo.dask_stats.point_stats_dask`).

        Parameters and result as :meth:`LocalEngine.point_stats`.
        """
        from geo.dask_stats import point_stats_dask

        return point_stats_dask(
            self.client, zones, path, x=x, y=y, population=population, crs=crs, partitions=self.partitions
        )

    def point_layer(
        self,
        zones: gpd.GeoDataFrame,
        path: str | Path,
        *,
        x: str | None = None,
        y: str | None = None,
        population: pd.Series | None = None,
        crs: str | int | None = None,
        layers: Sequence[str] = (),
        where: Any = None,
    ) -> tuple[pd.DataFrame, Any]:
        """:meth:`point_stats` and the same report as the local engine's (see :func:`geo.dask_stats.point_layer_dask`)."""
        from geo.dask_stats import point_layer_dask

        return point_layer_dask(self.client, zones, path, x=x, y=y, population=population, crs=crs,
                                partitions=self.partitions, layers=layers, where=where)

    def zonal_stats(
        self,
        zones: gpd.GeoDataFrame,
        raster: str | Path,
        *,
        stats: Sequence[str] | str = ("mean",),
        weights: str | Path | None = None,
        band: int = 1,
        small_zone_fallback: bool = True,
    ) -> pd.DataFrame:
        """Summarise a raster per district on the cluster (see :func:`geo.dask_stats.zonal_stats_dask`).

        Parameters and result as :meth:`LocalEngine.zonal_stats`.
        """
        from geo.dask_stats import zonal_stats_dask

        return zonal_stats_dask(
            self.client, zones, raster, stats=stats, weights=weights, band=band,
            small_zone_fallback=small_zone_fallback, chunk_rows=self.chunk_rows,
        )


@contextmanager
def open_engine(settings: EngineConfig | None = None) -> Iterator[LocalEngine | DaskEngine]:
    """Open the engine a configuration's ``[engine]`` section asks for, and close it after use.

    With ``kind = "dask"`` and a ``scheduler`` address, connect to that cluster;
    without one, start a ``distributed.LocalCluster`` of ``workers`` (default:
    one per CPU) single-threaded worker processes, shut down on exit.

    Parameters
    ----------
    settings : EngineConfig, optional
        ``config.engine``; default: the local engine.

    Yields
    ------
    LocalEngine or DaskEngine

    Raises
    ------
    ConfigError
        If Dask is not installed, or the scheduler cannot be reached.
    """
    settings = settings or EngineConfig()
    if settings.kind == "local":
        yield LocalEngine()
        return
    require_dask()
    with _dask_client(settings) as client:
        yield DaskEngine(client, partitions=settings.partitions, chunk_rows=settings.chunk_rows)


@contextmanager
def _dask_client(settings: EngineConfig) -> Iterator[Any]:
    """Yield a client of the configured scheduler, or of a local cluster started for the occasion."""
    from distributed import Client, LocalCluster

    if settings.scheduler is not None:
        try:
            client = Client(settings.scheduler, timeout=_CONNECT_TIMEOUT)
        except OSError as exc:
            raise ConfigError(
                _("engine.scheduler = {scheduler!r}: cannot connect ({exc}); start it with "
                "`dask scheduler` and check the address and port, or remove scheduler to use a local cluster.").format(
                    scheduler=settings.scheduler, exc=exc)
            ) from None
        with client:
            yield client
        return
    workers = settings.workers or os.cpu_count() or 1
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster, Client(cluster) as client:
        yield client
