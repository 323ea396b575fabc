"""Assembling one admin level: districts, joined tables, layer values, population.

This is the recipe the command line and the dashboard share:
:func:`load_level` reads the boundaries, joins each indicator table (reporting
what did not match), loads every layer, and rolls values up from the level
below where a table has no rows of its own for this level;
:func:`score_level` scores it; :func:`ranked_table` lays out the export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.config import Config, TableConfig
from geo.counts import layer_counts, pop_decile
from geo.errors import ConfigError, LayerDataError
from geo.io import BoundaryReport, read_boundaries, read_table
from geo.join import JoinReport, join_table
from geo.rollup import roll_up
from geo.scoring import Method, ScoreResult, score
from geo.text import normalise_code

__all__ = ["LevelData", "load_level", "score_level", "district_columns", "ranked_table", "reference_values",
           "target_counts", "export_metadata", "EXPORT_COLUMNS"]

EXPORT_COLUMNS = (
    "code", "name", "parent_code", "parent_name", "population", "score", "rank", "decile", "data_coverage",
)


@dataclass(frozen=True)
class LevelData:
    """One admin level, ready to score.

    Attributes
    ----------
    level, label : str
    districts : geopandas.GeoDataFrame
        Index ``code``; ``name``, ``parent_code``, ``parent_name`` and any
        configured fields; geometry in the boundary file's CRS.
    values : pandas.DataFrame
        Raw value of every layer (columns = layer ids).
    population : pandas.Series
    layers : tuple of Layer
    tables : Mapping[str, pandas.DataFrame]
        Tables joined at this level (for weights and profiles).
    boundary_report : BoundaryReport
    join_reports : tuple of JoinReport
    notes : tuple of str
        How values were obtained (e.g. rolled up from the level below).
    table_paths : Mapping[str, Path]
        The file each joined table came from, for messages.
    """

    level: str
    label: str
    districts: gpd.GeoDataFrame
    values: pd.DataFrame
    population: pd.Series
    layers: tuple[Any, ...]
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    boundary_report: BoundaryReport | None = None
    join_reports: tuple[JoinReport, ...] = ()
    notes: tuple[str, ...] = ()
    table_paths: Mapping[str, Any] = field(default_factory=dict)

    def report_lines(self) -> list[str]:
        """Everything a user should know about how this level was assembled."""
        lines = self.boundary_report.lines() if self.boundary_report else []
        for rep in self.join_reports:
            lines += rep.lines()
        return lines + list(self.notes)


def load_level(
    config: Config, level: str, *, layers: Sequence[str] | None = None, engine: Any = None
) -> LevelData:
    """Read, join and load every configured layer for ``level``.

    Point and raster layers compute on ``engine``; without one, on the
    configuration's ``[engine]`` (opened for this call), which is this process
    by default. Joins and roll-ups always run in this process.

    Parameters
    ----------
    config : Config
    level : str
        A level declared in the config.
    layers : sequence of str, optional
        Subset of layer ids (default: all configured layers).
    engine : LocalEngine or DaskEngine, optional
        An engine from :func:`geo.engine.open_engine`, to share it between calls.

    Raises
    ------
    ConfigError
        Unknown level or layer.
    TargetingError
        Any problem with the files (see :mod:`geo.io` and :mod:`geo.join`).
    """
    if engine is None and config.engine.kind != "local":
        from geo.engine import open_engine

        with open_engine(config.engine) as opened:
            return load_level(config, level, layers=layers, engine=opened)
    lv = _level(config, level)
    chosen = _layers(config, layers)
    districts, boundary_report = read_boundaries(
        lv.path, id_field=lv.id, name_field=lv.name_field, parent_field=lv.parent,
        layer=lv.layer, extra_fields=tuple(f for f in (*lv.fields, lv.parent_name) if f),
    )
    districts = _with_parent_names(config, lv, districts)

    needed = {l.table for l in chosen if l.table} | {config.population[0]}
    tables, reports = {}, []
    for name in sorted(needed):
        tcfg = config.tables[name]
        if tcfg.rows_for(level) is False:
            continue
        tables[name], rep = _join(tcfg, level, districts)
        reports.append(rep)

    from layers.base import LayerInputs

    direct = [l for l in chosen if not l.table or l.table in tables]
    rolled = [l for l in chosen if l not in direct]
    pop_table = config.population[0]
    notes: list[str] = []
    if rolled or pop_table not in tables:
        child_values, child_pop, notes = _roll_up_from_child(config, level, rolled, districts, engine)
    population = _population(config, tables) if pop_table in tables else child_pop
    inputs = LayerInputs(
        level=level, districts=districts, tables=tables,
        table_paths={n: config.tables[n].path for n in tables},
        base_dir=config.base_dir, analysis_crs=config.analysis_crs, population=population, engine=engine,
    )
    values = pd.DataFrame({l.id: l.load(inputs) for l in direct}, index=districts.index)
    if rolled:
        values = values.join(child_values)
    values = values[[l.id for l in chosen]]
    values, shapeless = _blank_shapeless(values, chosen, boundary_report)
    notes = [*notes, *shapeless, *_check_percentages(config, level, values, chosen)]
    return LevelData(
        level=level, label=lv.label, districts=districts, values=values,
        population=population.rename("population"), layers=tuple(chosen), tables=tables,
        boundary_report=boundary_report, join_reports=tuple(reports), notes=tuple(notes),
        table_paths={n: config.tables[n].path for n in tables},
    )


def _blank_shapeless(values: pd.DataFrame, layers: Sequence[Any], report: BoundaryReport | None
                     ) -> tuple[pd.DataFrame, list[str]]:
    """Point and raster values of districts without geometry become "no data", with a warning.

    A district without a shape contains no point and no pixel: its count or zonal statistic is
    unknown, not zero.
    """
    if report is None or not report.empty:
        return values, []
    spatial = [l.id for l in layers if hasattr(l.loader, "path") and not getattr(l.loader, "table", None)]
    if not spatial:
        return values, []
    values = values.copy()
    values.loc[values.index.isin(report.empty), spatial] = float("nan")
    return values, [f"warning: layers {spatial} are computed from shapes; the {len(report.empty)} district(s) "
                    f"without geometry {report.empty[:10]} get 'no data' for them."]


def _check_percentages(config: Config, level: str, values: pd.DataFrame, layers: Sequence[Any]) -> list[str]:
    """Percentage layers read from a table column must lie in 0-100; warn about 0-1 shares.

    Raises
    ------
    LayerDataError
        A percentage (unit ``%``) below 0 or above 100, naming the file, column and districts.
    """
    warnings = []
    for layer in layers:
        column = getattr(layer.loader, "column", None)
        if layer.unit != "%" or column is None or layer.table not in config.tables:
            continue
        found = values[layer.id].dropna()
        where = config.tables[layer.table].path
        outside = found[(found < 0) | (found > 100)]
        if len(outside):
            shown = ", ".join(f"{code!r}: {v:g}" for code, v in outside.head(5).items())
            raise LayerDataError(
                f"{where}: column {column!r} (layer {layer.id!r}, in %) has {len(outside)} value(s) outside "
                f"0-100 at level {level!r} ({shown}); a percentage must lie between 0 and 100. Fix "
                "these values in the table, or the layer's unit or scale if the column is not a percentage."
            )
        if getattr(layer.loader, "scale", 1.0) == 1.0 and len(found) > 1 and found.max() <= 1.0 \
                and found.max() > found.min():
            warnings.append(
                f"warning: layer {layer.id!r}: every value of column {column!r} in {where.name} lies between "
                "0 and 1 although the unit is %; if they are shares, set scale = 100 in the layer's "
                "declaration (the ranks do not change, the values and counts of people do)."
            )
    return warnings


def _population(config: Config, tables: Mapping[str, pd.DataFrame]) -> pd.Series:
    table, column = config.population
    if column not in tables[table].columns:
        raise LayerDataError(
            f"{config.tables[table].path}: population column {column!r} not found; available columns: "
            f"{list(tables[table].columns)}. Fix population.column in the configuration."
        )
    return pd.to_numeric(tables[table][column], errors="coerce")


def _level(config: Config, level: str):
    if level not in config.levels:
        raise ConfigError(f"Unknown level {level!r}; expected one of {list(config.levels)}.")
    return config.levels[level]


def _layers(config: Config, layers: Sequence[str] | None) -> list:
    if layers is None:
        return list(config.layers)
    known = {l.id: l for l in config.layers}
    unknown = [lid for lid in layers if lid not in known]
    if unknown:
        raise ConfigError(f"Unknown layer(s) {unknown}; configured layers: {sorted(known)}.")
    return [known[lid] for lid in layers]


def _with_parent_names(config: Config, lv, districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = districts.copy()
    if "parent_code" not in out.columns:
        out["parent_code"] = pd.Series(pd.NA, index=out.index, dtype=object)
    if lv.parent_name:
        out["parent_name"] = out.pop(lv.parent_name).astype(str)
    elif lv.parent_level:
        parent = config.levels[lv.parent_level]
        names = pyogrio.read_dataframe(
            parent.path, layer=parent.layer, columns=[c for c in (parent.id, parent.name_field) if c],
            read_geometry=False,
        )
        lookup = pd.Series(
            names[parent.name_field or parent.id].astype(str).to_numpy(),
            index=normalise_code(names[parent.id]).to_numpy(),
        )
        out["parent_name"] = out["parent_code"].map(lookup)
    else:
        out["parent_name"] = pd.Series(pd.NA, index=out.index, dtype=object)
    cols = ["name", "parent_code", "parent_name"]
    return out[cols + [c for c in out.columns if c not in cols]]


def _join(tcfg: TableConfig, level: str, districts: gpd.GeoDataFrame) -> tuple[pd.DataFrame, JoinReport]:
    table = read_table(tcfg.path, key=tcfg.key, sheet=tcfg.sheet)
    rows = tcfg.rows_for(level)
    if isinstance(rows, str):
        if tcfg.level_column not in table.columns:
            raise LayerDataError(
                f"{tcfg.path}: level column {tcfg.level_column!r} not found; available columns: "
                f"{list(table.columns)}. Fix tables.{tcfg.name}.level_column."
            )
        table = table[table[tcfg.level_column].astype(str) == rows].drop(columns=tcfg.level_column)
    crosswalk = None
    if tcfg.crosswalk is not None:
        cw = read_table(tcfg.crosswalk, key="table_key")
        if "district_code" not in cw.columns:
            raise LayerDataError(
                f"{tcfg.crosswalk}: a crosswalk needs columns 'table_key' and 'district_code'; "
                f"found {list(cw.columns)}."
            )
        crosswalk = dict(zip(cw["table_key"], normalise_code(cw["district_code"])))
    return join_table(
        districts, table, key=tcfg.key, by=tcfg.by, name=f"{tcfg.path.name} ({level})",
        parent_key=tcfg.parent_key, crosswalk=crosswalk,
    )


def _roll_up_from_child(
    config: Config, level: str, layers: list, districts: gpd.GeoDataFrame, engine: Any = None
) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    child = config.child_level(level)
    if child is None:
        missing = [l.id for l in layers] or [f"population ({config.population[1]})"]
        raise ConfigError(
            f"No table gives {missing} for level {level!r} and no lower level nests in it to roll up from; "
            "add the level to the table's levels or declare a lower level with parent_level."
        )
    data = load_level(config, child, layers=[l.id for l in layers], engine=engine)
    parent = data.districts["parent_code"]
    rates, counts = _rollup_weights(data, layers)
    notes = [
        f"{l.label}: summed from {data.label.lower()}." if l.id in counts else
        f"{l.label}: {data.label.lower()} averaged, weighted by {rates[l.id].name or 'population'}."
        for l in layers
    ]
    frame = data.values.assign(_population=data.population)
    up = roll_up(frame, parent, counts=counts + ["_population"], rates=rates)
    up = up.reindex(districts.index)
    orphans = sorted(set(parent.dropna()) - set(districts.index))
    if orphans:
        notes.append(f"{len(orphans)} parent code(s) of {data.label.lower()} match no district: {orphans[:10]}.")
    return up[[l.id for l in layers]], up["_population"], notes


def _rollup_weights(data: LevelData, layers: Sequence[Any]) -> tuple[dict[str, pd.Series], list[str]]:
    """Per rate layer its roll-up weights (its denominator, else population); the count layers."""
    rates, counts = {}, []
    for layer in layers:
        if layer.kind == "count":
            counts.append(layer.id)
            continue
        name = layer.rollup_weight
        table = data.tables.get(layer.table) if layer.table else None
        if name and table is not None and name in table.columns:
            rates[layer.id] = pd.to_numeric(table[name], errors="coerce").rename(name)
        else:
            rates[layer.id] = data.population.rename("population")
    return rates, counts


def reference_values(data: LevelData, groups: pd.Series | None = None) -> pd.DataFrame:
    """Layer values of groups of districts (or of all of them), aggregated like a roll-up.

    Rates are averaged weighted by their denominator, counts summed, so the
    national figure of a share of households is the share of all households.

    Parameters
    ----------
    data : LevelData
    groups : pandas.Series, optional
        Group label per district (e.g. its region); default: one group "all".

    Returns
    -------
    pandas.DataFrame
        One row per group, one column per layer.
    """
    if groups is None:
        groups = pd.Series("all", index=data.values.index)
    rates, counts = _rollup_weights(data, data.layers)
    return roll_up(data.values, groups.reindex(data.values.index).fillna("?"), counts=counts, rates=rates)


def target_counts(data: LevelData, layer_id: str) -> pd.Series:
    """People (or households) concerned by a layer per district: a count layer as it is, a
    percentage times its denominator (e.g. unemployment rate x labour force = unemployed people),
    as :func:`geo.counts.layer_counts`.

    Raises
    ------
    ConfigError
        Unknown layer, or a rate that is not a percentage of a known denominator.
    """
    layer = next((l for l in data.layers if l.id == layer_id), None)
    if layer is None:
        raise ConfigError(f"Unknown layer {layer_id!r}; expected one of {[l.id for l in data.layers]}.")
    if layer.kind == "count":
        return data.values[layer_id].rename(layer_id)
    if layer.unit != "%":
        raise ConfigError(
            f"Layer {layer_id!r} is in {layer.unit!r}, not a percentage: it gives no count of people; "
            "choose a percentage layer (e.g. unemployment) as the target group."
        )
    counts = layer_counts(data.values, [layer], data.tables)
    if counts.shape[1]:
        return counts.iloc[:, 0].rename(layer_id)
    rates, _ = _rollup_weights(data, [layer])  # no denominator column: the population, as a roll-up
    return (data.values[layer_id] / 100.0 * rates[layer_id]).rename(layer_id)


def score_level(
    data: LevelData,
    *,
    weights: Mapping[str, float] | None = None,
    theme_weights: Mapping[str, float] | None = None,
    method: Method | None = None,
    layers: Sequence[str] | None = None,
) -> ScoreResult:
    """Score a loaded level (see :func:`geo.scoring.score`)."""
    chosen = [l for l in data.layers if layers is None or l.id in layers]
    return score(
        data.values[[l.id for l in chosen]],
        higher_is_worse={l.id: l.higher_is_worse for l in chosen},
        themes={l.id: l.theme for l in chosen},
        weights=weights,
        theme_weights=theme_weights,
        method=method,
    )


def district_columns(data: LevelData) -> pd.DataFrame:
    """The leading columns of every export (:data:`EXPORT_COLUMNS` up to ``population``), one row
    per district in the boundary file's order, indexed by code."""
    d = data.districts
    return pd.DataFrame(
        {
            "code": d.index.astype(str),
            "name": d["name"].to_numpy(),
            "parent_code": d["parent_code"].to_numpy(),
            "parent_name": d["parent_name"].to_numpy(),
            "population": data.population.reindex(d.index).to_numpy(),
        },
        index=d.index.rename(None),
    )


def ranked_table(data: LevelData, result: ScoreResult, extra: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """The ranked export: fixed leading columns, then ``<layer>`` and ``<layer>_norm`` per layer.

    Rows are sorted by rank (unscored districts last, never dropped); theme
    sub-indices follow the layer columns, then ``pop_decile`` (the population-weighted
    decile, :func:`geo.counts.pop_decile`) and ``<layer>_count`` for every layer that gives
    a number of people (:func:`geo.counts.layer_counts`), then the ``extra`` columns (the
    analytics of :func:`geo.analysis.analysis_columns`), in their order.
    """
    d = data.districts
    out = district_columns(data)
    out = out.join(result.table[["score", "rank", "decile", "data_coverage"]].rename_axis(None))
    for col in result.normalised.columns:
        out[col] = data.values[col]
        out[f"{col}_norm"] = result.normalised[col]
    for col in result.table.columns:
        if col.startswith("theme_"):
            out[col] = result.table[col]
    out["pop_decile"] = pop_decile(result.table["rank"], data.population).reindex(out.index)
    scored_layers = [l for l in data.layers if l.id in result.normalised.columns]
    counts = layer_counts(data.values, scored_layers, data.tables, table_paths=data.table_paths)
    out = out.join(counts.rename_axis(None))
    if extra is not None:
        out = out.join(extra.rename_axis(None))
    out = out.sort_values(["rank", "code"], na_position="last", kind="mergesort")
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry=d.geometry.reindex(out.index).to_numpy(),
                            crs=d.crs)


def export_metadata(config: Config, data: LevelData, result: ScoreResult, *,
                    weights: Mapping[str, float] | None = None,
                    theme_weights: Mapping[str, float] | None = None) -> dict[str, str]:
    """The settings an export was made with, so that it can be reproduced."""
    m = result.method
    meta = {
        "config": config.path.name,
        "level": data.level,
        "normalisation": m.normalisation,
        "aggregation": m.aggregation,
        "missing": m.missing,
        "min_coverage": str(m.min_coverage),
        "outliers": m.outliers,
        "districts": str(len(data.districts)),
        "scored": str(int(result.table["score"].notna().sum())),
    }
    for lid, w in result.effective_weights.items():
        meta[f"effective_weight.{lid}"] = f"{w:.6f}"
    for lid, w in (weights or {}).items():
        meta[f"weight.{lid}"] = str(w)
    for t, w in (theme_weights or {}).items():
        meta[f"theme_weight.{t}"] = str(w)
    for name, t in config.tables.items():
        meta[f"table.{name}"] = t.path.name
    for layer in data.layers:
        meta[f"source.{layer.id}"] = f"{layer.source.name} ({layer.source.year}, {layer.source.licence})"
    return meta
