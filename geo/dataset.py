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

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.i18n import _, format_spec
from geo.config import Config, TableConfig
from geo.counts import layer_counts, pop_decile
from geo.errors import ConfigError, JoinError, LayerDataError
from geo.identifiers import EXPORT_COLUMNS
from geo.io import BoundaryReport, read_attributes, read_boundaries, read_table
from geo.join import JoinReport, check_join, group_rows, join_table, pad_codes
from geo.points import PointReport, point_layer
from geo.rollup import roll_up
from geo.rows import filter_rows
from geo.scoring import Method, ScoreResult, score
from geo.text import normalise_code

__all__ = ["LevelData", "load_level", "score_level", "district_columns", "ranked_table", "reference_values",
           "target_counts", "export_metadata", "EXPORT_COLUMNS"]



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
    point_reports : tuple of PointReport
        What became of every row of each point file (any engine).
    table_paths : Mapping[str, Path]
        The file of each joined table, for messages.
    theme_weights : Mapping[str, float]
        The configuration's theme weights (0 for a theme with role ``context``): the
        defaults of :func:`score_level`, which theme weights given to it override.
    roles : Mapping[str, str]
        Theme id -> role (``need``, ``readiness`` or ``context``), from the configuration.
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
    point_reports: tuple[PointReport, ...] = ()
    table_paths: Mapping[str, Path] = field(default_factory=dict)
    theme_weights: Mapping[str, float] = field(default_factory=dict)
    roles: Mapping[str, str] = field(default_factory=dict)

    def report_lines(self, full: bool = False) -> list[str]:
        """Everything a user should know about how this level was assembled.

        Parameters
        ----------
        full : bool, default False
            List every unmatched item, not the first ten of each kind.
        """
        lines = self.boundary_report.lines() if self.boundary_report else []
        for rep in self.join_reports:
            lines += rep.lines(full=full)
        for prep in self.point_reports:
            lines += prep.lines(full=full)
        return lines + list(self.notes)

    def report_frame(self) -> pd.DataFrame:
        """Every unmatched item of every join and point file (table, side, key, name, detail), e.g. for a CSV."""
        frames = [r.as_frame() for r in self.join_reports] + [r.as_frame() for r in self.point_reports]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame(columns=["table", "side", "key", "name", "detail"])
        return pd.concat(frames, ignore_index=True)


def load_level(
    config: Config, level: str, *, layers: Sequence[str] | None = None, engine: Any = None, strict: bool = False
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
    strict : bool, default False
        Stop at any district without a row and any row unused (``--strict``);
        otherwise stop beyond ``[joins] max_unmatched``.

    Raises
    ------
    ConfigError
        Unknown level or layer.
    JoinError
        A join leaving more districts without data than allowed.
    TargetingError
        Any problem with the files (see :mod:`geo.io` and :mod:`geo.join`).
    """
    if engine is None and config.engine.kind != "local":
        from geo.engine import open_engine

        with open_engine(config.engine) as opened:
            return load_level(config, level, layers=layers, engine=opened, strict=strict)
    lv = _level(config, level)
    chosen = _layers(config, layers)
    districts, boundary_report = read_boundaries(
        lv.path, id_field=lv.id, name_field=lv.name_field, parent_field=lv.parent,
        layer=lv.layer, extra_fields=tuple(f for f in (*lv.fields, lv.parent_name) if f),
    )
    districts = _with_parent_names(config, lv, districts)

    needed = {l.table for l in chosen if l.table} | {config.population[0]}
    tables, reports = {}, []
    pop_table = config.population[0]
    for name in sorted(needed, key=lambda n: (n != pop_table, n)):  # the population first: splits may use it
        tcfg = config.tables[name]
        if tcfg.rows_for(level) is False:
            continue
        people = _population(config, tables) if pop_table in tables else None
        tables[name], rep = _join(config, tcfg, level, districts, people)
        check_join(rep, config.joins.max_unmatched, strict=strict)
        reports.append(rep)

    from layers.base import LayerInputs

    direct = [l for l in chosen if not l.table or l.table in tables]
    rolled = [l for l in chosen if l not in direct]
    notes: list[str] = []
    if rolled or pop_table not in tables:
        child_values, child_pop, notes = _roll_up_from_child(config, level, rolled, districts, engine, strict)
    population = _population(config, tables) if pop_table in tables else child_pop
    inputs = LayerInputs(
        level=level, districts=districts, tables=tables,
        table_paths={n: config.tables[n].path for n in tables},
        base_dir=config.base_dir, analysis_crs=config.analysis_crs, population=population, engine=engine,
    )
    point_values, point_reports, point_notes = _point_layers(config, [l for l in direct if _is_points(l)],
                                                             districts, population, engine)
    values = pd.DataFrame({l.id: point_values[l.id] if l.id in point_values else l.load(inputs) for l in direct},
                          index=districts.index)
    if rolled:
        values = values.join(child_values)
    values = values[[l.id for l in chosen]]
    values, shapeless = _blank_shapeless(values, chosen, boundary_report)
    read_notes = list(dict.fromkeys(n for t in tables.values() for n in t.attrs.get("notes", ())))
    notes = [*read_notes, *notes, *point_notes, *shapeless, *_raster_notes(config, values, direct, districts),
             *_check_percentages(config, level, values, chosen)]
    return LevelData(
        level=level, label=lv.label, districts=districts, values=values,
        population=population.rename("population"), layers=tuple(chosen), tables=tables,
        boundary_report=boundary_report, join_reports=tuple(reports), notes=tuple(notes),
        point_reports=tuple(point_reports), table_paths={n: config.tables[n].path for n in tables},
        theme_weights=dict(config.theme_weights), roles=dict(config.roles),
    )


def _raster_notes(config: Config, values: pd.DataFrame, layers: Sequence[Any], districts: gpd.GeoDataFrame
                  ) -> list[str]:
    """Why districts with a shape got no value from a raster: outside it, or all their pixels nodata."""
    from layers.base import RasterStat

    rasters = [layer for layer in layers if isinstance(layer.loader, RasterStat)]
    if not rasters:  # rasterio is only imported for a raster
        return []
    import rasterio
    from shapely.geometry import box

    notes = []
    shaped = ~(districts.geometry.isna() | districts.geometry.is_empty)
    for layer in rasters:
        empty = values[layer.id].isna() & shaped
        if not empty.any():
            continue
        path = Path(layer.loader.path)
        path = path if path.is_absolute() else config.base_dir / path
        with rasterio.open(path) as src:
            extent = gpd.GeoSeries([box(*src.bounds)], crs=src.crs)
        geoms = np.asarray(districts.geometry[empty].to_crs(extent.crs).array, dtype=object)
        overlap = shapely.area(shapely.intersection(geoms, extent.iloc[0])) > 0  # touching the edge is outside
        inside = pd.Series(overlap, index=districts.index[empty.to_numpy()])
        for codes, reason in ((list(inside.index[inside.to_numpy()]), _("all their pixels are nodata")),
                              (list(inside.index[~inside.to_numpy()]), _("they lie outside the raster"))):
            if codes:
                notes.append(_("{label}: {n_codes} district(s) without a value from {name}: {reason} "
                             "({join}{value}).").format(
                                 label=layer.label, n_codes=len(codes), name=path.name, reason=reason, join=', '.join(map(str, codes[:10])), value=' ...' if len(codes) > 10 else ''))
    return notes


def _is_points(layer: Any) -> bool:
    """A point layer: computed with its report by :func:`_point_layers`, on any engine."""
    from layers.base import PointStat

    return isinstance(layer.loader, PointStat)


def _point_layers(config: Config, layers: Sequence[Any], districts: gpd.GeoDataFrame, population: pd.Series,
                  engine: Any = None) -> tuple[dict[str, pd.Series], list[PointReport], list[str]]:
    """Values and one report per point file (read once for all layers using it with the same settings).

    On a Dask engine the file is read, filtered and reported on the cluster
    (:func:`geo.dask_stats.point_layer_dask`, the same report as here).
    """
    groups: dict[tuple, list[Any]] = {}
    for layer in layers:
        ld = layer.loader
        groups.setdefault((ld.path, ld.x, ld.y, ld.where), []).append(layer)
    values, reports, notes = {}, [], []
    for (path, x, y, where), members in groups.items():
        full = Path(path) if Path(path).is_absolute() else config.base_dir / path
        if engine is not None and engine.kind != "local":
            stats, report = engine.point_layer(districts, full, x=x, y=y, where=dict(where), population=population,
                                               crs=config.analysis_crs, layers=[l.id for l in members])
        else:
            stats, report = point_layer(districts, full, x=x, y=y, where=dict(where), population=population,
                                        crs=config.analysis_crs, layers=[l.id for l in members])
        reports.append(report)
        for layer in members:
            v = stats[layer.loader.stat].astype(float)
            values[layer.id] = v.where(np.isfinite(v)).rename(layer.id)
    if groups and config.analysis_crs is None and any(l.loader.stat == "distance_km" for l in layers):
        crs = districts.estimate_utm_crs()
        notes.append(_("analysis_crs = \"auto\": distances to points measured in {to_string} ({name}), "
                     "the UTM zone of the districts; set analysis_crs to choose another projected CRS.").format(
                         to_string=crs.to_string(), name=crs.name))
    return values, reports, notes


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
    return values, [_("warning: layers {spatial} are computed from shapes; the {n_empty} district(s) "
                    "without geometry {empty} get 'no data' for them.").format(
                        spatial=spatial, n_empty=len(report.empty), empty=report.empty[:10])]


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
        ratio = getattr(layer.loader, "numerator", None)
        if layer.unit != "%" or (column is None and ratio is None) or layer.table not in config.tables:
            continue
        found = values[layer.id].dropna()
        where = config.tables[layer.table].path
        outside = found[(found < 0) | (found > 100)]
        if len(outside) and column is None:
            shown = ", ".join(f"{code!r}: {v:g}" for code, v in outside.head(5).items())
            raise LayerDataError(
                _("{where}: {numerator!r} / {denominator!r} x 100 (layer {id!r}, "
                "in %) gives {n_outside} value(s) outside 0-100 at level {level!r} ({shown}); the numerator "
                "must be part of the denominator. Fix these values in the table, or the layer's unit.").format(
                    where=where, numerator=layer.loader.numerator, denominator=layer.loader.denominator, id=layer.id, n_outside=len(outside), level=level, shown=shown)
            )
        if column is None:
            continue
        if len(outside):
            shown = ", ".join(f"{code!r}: {v:g}" for code, v in outside.head(5).items())
            raise LayerDataError(
                _("{where}: column {column!r} (layer {id!r}, in %) has {n_outside} value(s) outside "
                "0-100 at level {level!r} ({shown}); a percentage must lie between 0 and 100. Fix "
                "these values in the table, or the layer's unit or scale if the column is not a percentage.").format(
                    where=where, column=column, id=layer.id, n_outside=len(outside), level=level, shown=shown)
            )
        if getattr(layer.loader, "scale", 1.0) == 1.0 and len(found) > 1 and found.max() <= 1.0 \
                and found.max() > found.min():
            warnings.append(
                _("warning: layer {id!r}: every value of column {column!r} in {name} lies between "
                "0 and 1 although the unit is %; if they are shares, set scale = 100 in the layer's "
                "declaration (the ranks do not change, the values and counts of people do).").format(
                    id=layer.id, column=column, name=where.name)
            )
    return warnings


def _population(config: Config, tables: Mapping[str, pd.DataFrame]) -> pd.Series:
    table, column = config.population
    if column not in tables[table].columns:
        raise LayerDataError(
            _("{path}: population column {column!r} not found; available columns: "
            "{list}. Fix population.column in the configuration.").format(
                path=config.tables[table].path, column=column, list=list(tables[table].columns))
        )
    frame = tables[table]
    where = config.tables[table].path
    reason = (frame.attrs.get("unreadable") or {}).get(column)
    if reason:
        raise LayerDataError(_("{reason} (It is the population column, population.column.)").format(
            reason=reason))
    values = pd.to_numeric(frame[column], errors="coerce")
    text = values.isna() & frame[column].notna()
    if text.any():
        raise LayerDataError(
            _("{where}: population column {column!r} has {int} value(s) that are not numbers for "
            "district(s) {list}; fix these cells or leave them empty.").format(
                where=where, column=column, int=int(text.sum()), list=list(map(str, values.index[text][:5])))
        )
    negative = values < 0
    if negative.any():
        shown = ", ".join(f"{c!r}: {v:g}" for c, v in values[negative].head(5).items())
        raise LayerDataError(
            _("{where}: population column {column!r} has {int} negative value(s) ({shown}); "
            "a population cannot be negative. Fix these cells or leave them empty.").format(
                where=where, column=column, int=int(negative.sum()), shown=shown)
        )
    return values


def _level(config: Config, level: str):
    if level not in config.levels:
        raise ConfigError(_("Unknown level {level!r}; expected one of {list}.").format(
            level=level, list=list(config.levels)))
    return config.levels[level]


def _layers(config: Config, layers: Sequence[str] | None) -> list:
    if layers is None:
        return list(config.layers)
    known = {l.id: l for l in config.layers}
    unknown = [lid for lid in layers if lid not in known]
    if unknown:
        raise ConfigError(_("Unknown layer(s) {unknown}; configured layers: {sorted}.").format(
            unknown=unknown, sorted=sorted(known)))
    return [known[lid] for lid in layers]


def _with_parent_names(config: Config, lv, districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = districts.copy()
    if "parent_code" not in out.columns:
        out["parent_code"] = pd.Series(pd.NA, index=out.index, dtype=object)
    if lv.parent_name:
        out["parent_name"] = out.pop(lv.parent_name).map(_text_or_missing)
    elif lv.parent_level:
        parent = config.levels[lv.parent_level]
        names = read_attributes(parent.path, [c for c in (parent.id, parent.name_field) if c], layer=parent.layer)
        lookup = pd.Series(
            names[parent.name_field or parent.id].map(_text_or_missing).to_numpy(),
            index=normalise_code(names[parent.id]).to_numpy(),
        )
        out["parent_name"] = out["parent_code"].map(lookup)
    else:
        out["parent_name"] = pd.Series(pd.NA, index=out.index, dtype=object)
    cols = ["name", "parent_code", "parent_name"]
    return out[cols + [c for c in out.columns if c not in cols]]


def _text_or_missing(value: object) -> object:
    """A name as text, a missing one as ``None`` (never the text ``"None"`` or ``"nan"``)."""
    return None if value is None or value is pd.NA or (isinstance(value, float) and value != value) else str(value)


def _join(config: Config, tcfg: TableConfig, level: str, districts: gpd.GeoDataFrame,
          people: pd.Series | None) -> tuple[pd.DataFrame, JoinReport]:
    """Read one table, keep its rows for ``level``, filter, pad, group, and join it with its crosswalk."""
    table = read_table(tcfg.path, key=tcfg.key, sheet=tcfg.sheet)
    rows = tcfg.rows_for(level)
    if isinstance(rows, str):
        if tcfg.level_column not in table.columns:
            raise LayerDataError(
                _("{path}: level column {level_column!r} not found; available columns: "
                "{list}. Fix tables.{name}.level_column.").format(
                    path=tcfg.path, level_column=tcfg.level_column, list=list(table.columns), name=tcfg.name)
            )
        table = table[table[tcfg.level_column].astype(str) == rows].drop(columns=tcfg.level_column)
    name = f"{tcfg.path.name} ({level})"
    details = []
    table, line = filter_rows(table, tcfg.where, source=tcfg.path.name)
    if line:
        details.append(_("{line}; the other rows are not used").format(line=line))
    if tcfg.pad:
        table = table.assign(**{tcfg.key: pad_codes(table[tcfg.key], tcfg.pad)})
    if tcfg.group_by:
        table, lines = group_rows(table, tcfg.group_by, tcfg.aggregate, name=tcfg.path.name, by=tcfg.by)
        details += lines
    counts, rates = _column_kinds(config, tcfg.name)
    crosswalk = _read_crosswalk(tcfg) if tcfg.crosswalk is not None else None
    split_weights = None
    if tcfg.split == "area":
        split_weights = districts.geometry.to_crs("EPSG:6933").area.set_axis(districts.index.astype(str))
    elif tcfg.split == "population":
        if people is None:
            raise ConfigError(
                _("tables.{name}.split = \"population\" needs the districts' population from another table, "
                "but the population comes from this table ({name2}); use split = \"area\" or a share "
                "column in the crosswalk file.").format(name=tcfg.name, name2=tcfg.path.name)
            )
        split_weights = people.set_axis(people.index.astype(str))
    return join_table(
        districts, table, key=tcfg.key, by=tcfg.by, name=name, parent_key=tcfg.parent_key, crosswalk=crosswalk,
        crosswalk_source=str(tcfg.crosswalk), split=tcfg.split, split_weights=split_weights, counts=counts,
        rates=rates, config_key=f"tables.{tcfg.name}", details=details,
    )


def _read_crosswalk(tcfg: TableConfig) -> pd.DataFrame:
    """The crosswalk file's lines (table_key, district_code, optional share, line number)."""
    path = tcfg.crosswalk
    try:
        cw = read_table(path, key="table_key")
    except LayerDataError as exc:
        if "key column" not in str(exc):
            raise
        cw = None
    if cw is None or "district_code" not in cw.columns:
        found = list(cw.columns) if cw is not None else _columns_of(path)
        raise LayerDataError(
            _("{path}: a crosswalk needs columns 'table_key' and 'district_code' (and optionally 'share'); found "
            "{found}. Fix the header of the crosswalk file.").format(path=path, found=found)
        )
    cw = cw.reset_index(drop=True).assign(line=lambda f: np.arange(len(f)) + 2)
    cw["district_code"] = normalise_code(cw["district_code"])
    if tcfg.pad:
        cw["table_key"] = pad_codes(cw["table_key"], tcfg.pad)
    if "share" in cw.columns:
        raw = cw["share"]
        cw["share"] = pd.to_numeric(raw, errors="coerce")
        bad = cw["share"].isna() & raw.notna() & (raw.astype(str).str.strip() != "")
        if bad.any():
            ln = int(cw.loc[bad, "line"].iloc[0])
            raise JoinError(_("{path} line {ln}: share {iloc!r} is not a number; write it as 0.25 (a "
                            "share between 0 and 1) in the crosswalk file.").format(
                                path=path, ln=ln, iloc=raw[bad].iloc[0]))
    return cw


def _columns_of(path: Path) -> list[str]:
    try:
        return list(pd.read_csv(path, nrows=0, sep=None, engine="python").columns)
    except Exception:  # the reader's own message is not needed: the columns are shown as unknown
        return []


def _column_kinds(config: Config, table: str) -> tuple[list[str], dict[str, str | None]]:
    """Which columns of a table are counts and which are rates (with their weight), from the layers reading it.

    Counts: columns of count layers, a ratio's numerator and denominator, the population column and the
    roll-up weights. Rates: columns of rate layers, weighted by their ``rollup_weight``, else by the
    population column when it is in the same table.
    """
    from layers.base import Ratio, RelativeGrowth

    counts = {config.population[1]} if config.population[0] == table else set()
    counts.update(config.tables[table].counts)
    rates: dict[str, str | None] = {}
    for layer in config.layers:
        if layer.table != table:
            continue
        if isinstance(layer.loader, (Ratio, RelativeGrowth)) or layer.kind == "count":
            counts.update(layer.loader.columns)
        if layer.rollup_weight:
            counts.add(layer.rollup_weight)
    for layer in config.layers:
        if layer.table == table and layer.kind == "rate" and not isinstance(layer.loader, (Ratio, RelativeGrowth)):
            for col in layer.loader.columns:
                if col not in counts:
                    rates[col] = layer.rollup_weight or (config.population[1] if config.population[0] == table
                                                         else None)
    return sorted(counts), rates


def _roll_up_from_child(
    config: Config, level: str, layers: list, districts: gpd.GeoDataFrame, engine: Any = None, strict: bool = False
) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    from layers.base import Ratio

    child = config.child_level(level)
    if child is None:
        missing = [l.id for l in layers] or [f"population ({config.population[1]})"]
        raise ConfigError(
            _("No table gives {missing} for level {level!r} and no lower level nests in it to roll up from; "
            "add the level to the table's levels or declare a lower level with parent_level.").format(
                missing=missing, level=level)
        )
    data = load_level(config, child, layers=[l.id for l in layers], engine=engine, strict=strict)
    parent = data.districts["parent_code"]
    ratios = [l for l in layers if isinstance(l.loader, Ratio) and l.table in data.tables]
    rates, counts = _rollup_weights(data, [l for l in layers if l not in ratios])
    notes = [
        f"{l.label}: summed from {data.label.lower()}." if l.id in counts else
        _("{label}: sum of {numerator} / sum of {denominator} x {per} over the "
        "{lower}.").format(
            label=l.label, numerator=l.loader.numerator, denominator=l.loader.denominator, per=format_spec(l.loader.per, "g"), lower=data.label.lower()) if l in ratios else
        _("{label}: {lower} averaged, weighted by {value}.").format(
            label=l.label, lower=data.label.lower(), value=rates[l.id].name or 'population')
        for l in layers
    ]
    frame = data.values.assign(_population=data.population)
    parts = {}
    for l in ratios:
        for col in l.loader.columns:
            parts[f"_{l.id}_{col}"] = pd.to_numeric(data.tables[l.table][col], errors="coerce")
    frame = frame.assign(**parts)
    up = roll_up(frame, parent, counts=counts + ["_population", *parts], rates=rates)
    for l in ratios:
        num, den = up[f"_{l.id}_{l.loader.numerator}"], up[f"_{l.id}_{l.loader.denominator}"]
        up[l.id] = num / den.where(den > 0) * l.loader.per
    up = up.reindex(districts.index)
    orphans = sorted(set(parent.dropna()) - set(districts.index))
    if orphans:
        notes.append(_("{n_orphans} parent code(s) of {lower} match no district: {orphans}.").format(
            n_orphans=len(orphans), lower=data.label.lower(), orphans=orphans[:10]))
    return up[[l.id for l in layers]], up["_population"], notes


def _rollup_weights(data: LevelData, layers: Sequence[Any]) -> tuple[dict[str, pd.Series], list[str]]:
    """Per rate layer its roll-up weights (its ``rollup_weight`` column, else population); the count layers.

    Raises
    ------
    LayerDataError
        A ``rollup_weight`` column that is not in the layer's table (a misspelt name never falls back to
        population silently).
    """
    rates, counts = {}, []
    for layer in layers:
        if layer.kind == "count":
            counts.append(layer.id)
            continue
        name = layer.rollup_weight
        table = data.tables.get(layer.table) if layer.table else None
        if name and table is None and not layer.table:
            raise ConfigError(_("layer {id!r}: rollup_weight {name!r} needs the layer to read a table (its "
                              "column); remove rollup_weight to weight by population.").format(
                                  id=layer.id, name=name))
        if name and table is not None and name not in table.columns:
            raise LayerDataError(
                _("{get}: rollup_weight column {name!r} of layer {id!r} not found; available columns: "
                "{sorted}. Fix rollup_weight in the layer's declaration.").format(
                    get=data.table_paths.get(layer.table, layer.table), name=name, id=layer.id, sorted=sorted(map(str, table.columns)))
            )
        if name and table is not None:
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
        raise ConfigError(_("Unknown layer {layer_id!r}; expected one of {value}.").format(
            layer_id=layer_id, value=[l.id for l in data.layers]))
    if layer.kind == "count":
        return data.values[layer_id].rename(layer_id)
    if layer.unit != "%":
        raise ConfigError(
            _("Layer {layer_id!r} is in {unit!r}, not a percentage: it gives no count of people; "
            "choose a percentage layer (e.g. unemployment) as the target group.").format(
                layer_id=layer_id, unit=layer.unit)
        )
    counts = layer_counts(data.values, [layer], data.tables)
    if counts.shape[1]:
        return counts.iloc[:, 0].rename(layer_id)
    rates, _unused = _rollup_weights(data, [layer])  # no denominator column: the population, as a roll-up
    return (data.values[layer_id] / 100.0 * rates[layer_id]).rename(layer_id)


def score_level(
    data: LevelData,
    *,
    weights: Mapping[str, float] | None = None,
    theme_weights: Mapping[str, float] | None = None,
    method: Method | None = None,
    layers: Sequence[str] | None = None,
) -> ScoreResult:
    """Score a loaded level (see :func:`geo.scoring.score`); ``theme_weights`` override the
    configuration's (context themes weigh 0 unless given a weight here)."""
    chosen = [l for l in data.layers if layers is None or l.id in layers]
    theme_weights = {**data.theme_weights, **(theme_weights or {})}
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
    sub-indices follow the layer columns, then ``name_ar`` when the districts
    have it (the name in Arabic script), then ``pop_decile`` (the population-weighted
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
    if "name_ar" in d.columns:  # the name in Arabic script, when the boundary file has it
        out["name_ar"] = d["name_ar"].reindex(out.index)
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
    for lid, action in result.treatments.items():
        meta[f"outlier_treatment.{lid}"] = _("{action} (COINr rule: |skewness| > 2 and kurtosis > 3.5)").format(
            action=action)
    for lid, w in (weights or {}).items():
        meta[f"weight.{lid}"] = str(w)
    for t, w in (theme_weights or {}).items():
        meta[f"theme_weight.{t}"] = str(w)
    for name, t in config.tables.items():
        meta[f"table.{name}"] = t.path.name
    for layer in data.layers:
        meta[f"source.{layer.id}"] = f"{layer.source.name} ({layer.source.year}, {layer.source.licence})"
    meta["joins.max_unmatched"] = f"{config.joins.max_unmatched:g}"
    for i, line in enumerate(data.report_lines(full=True), start=1):
        meta[f"report.{i:03d}"] = line.strip()
    return meta
