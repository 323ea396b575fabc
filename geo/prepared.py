"""The built table of one level: every district with every layer's raw value.

``python -m geo prepare`` runs the heavy build (zonal statistics, point
aggregation, joins and roll-ups) once, possibly on a Dask cluster, and writes
:func:`prepared_table` to a file. A configuration for the dashboard can then
read that file as an ordinary indicator table whose columns are the layers, so
the dashboard never recomputes rasters or point files on a slider move.
"""

from __future__ import annotations

import geopandas as gpd

from geo.dataset import LevelData, district_columns

__all__ = ["PREPARED_COLUMNS", "prepared_table", "prepared_metadata"]

#: Leading columns of a prepared table; one column per layer id follows.
PREPARED_COLUMNS = ("code", "name", "parent_code", "parent_name", "population")


def prepared_table(data: LevelData) -> gpd.GeoDataFrame:
    """Return the districts of a loaded level with their population and every layer's raw value.

    Parameters
    ----------
    data : LevelData
        From :func:`geo.dataset.load_level`.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per district in the boundary file's order, columns
        :data:`PREPARED_COLUMNS`, then one per layer id (``float64``, NaN where
        no value), and the districts' geometry in their own CRS.
    """
    d = data.districts
    table = district_columns(data)
    for layer in data.layers:
        table[layer.id] = data.values[layer.id].reindex(d.index).to_numpy(dtype=float)
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=d.geometry.to_numpy(), crs=d.crs)


def prepared_metadata(data: LevelData, *, config_name: str, engine: str) -> dict[str, str]:
    """Return how a prepared table was made: configuration, level, engine, and each layer's source.

    Parameters
    ----------
    data : LevelData
    config_name : str
        The configuration file's name.
    engine : str
        The engine's description (:meth:`geo.engine.LocalEngine.describe`).

    Returns
    -------
    dict of str to str
    """
    meta = {"config": config_name, "level": data.level, "engine": engine, "districts": str(len(data.districts))}
    for layer in data.layers:
        meta[f"layer.{layer.id}"] = f"{layer.label} [{layer.unit}], {layer.kind}, {layer.direction}"
        meta[f"source.{layer.id}"] = f"{layer.source.name} ({layer.source.year}, {layer.source.licence})"
    for i, line in enumerate(data.report_lines(full=True), start=1):  # what the joins and point files lost
        meta[f"report.{i:03d}"] = line.strip()
    return meta
