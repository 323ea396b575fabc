"""Building blocks of a layer declaration: :class:`Layer`, :class:`Source`, themes and loaders.

A loader is a small frozen object that, given the inputs of one admin level
(:class:`LayerInputs`), returns one value per district. Loaders never read the
configuration themselves: paths and tables arrive through ``LayerInputs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import LayerDataError

__all__ = [
    "Source",
    "Theme",
    "Layer",
    "LayerInputs",
    "Loader",
    "THEMES",
    "TableColumn",
    "Ratio",
    "RelativeGrowth",
    "PointStat",
    "RasterStat",
    "census_column",
]

Kind = Literal["rate", "count"]


@dataclass(frozen=True)
class Source:
    """Where a layer's numbers come from."""

    name: str
    year: int
    licence: str
    url: str = ""


@dataclass(frozen=True)
class Theme:
    """A group of layers that is weighted and reported together.

    ``role`` says whether the theme measures need (poverty, unemployment,
    displacement) or readiness to act (infrastructure and economic base).
    """

    id: str
    label: str
    role: Literal["need", "readiness"]
    description: str = ""


THEMES: dict[str, Theme] = {
    t.id: t
    for t in (
        Theme(
            "poverty",
            "Basic needs (census deprivation)",
            "need",
            "Census deprivation in the style of Unsatisfied Basic Needs (NBI): education, "
            "housing, cooking fuel, crowding, sanitation. Not a monetary poverty rate.",
        ),
        Theme("unemployment", "Unemployment and work", "need", "Labour-market exclusion."),
        Theme(
            "displacement",
            "Displacement and migration",
            "need",
            "Population movement: growth relative to the nation as a net-migration proxy, "
            "and sites of displaced people when provided.",
        ),
        Theme(
            "infrastructure",
            "Infrastructure and economic base",
            "readiness",
            "Basic services, road access and the local economic base.",
        ),
    )
}


@dataclass(frozen=True)
class LayerInputs:
    """Everything a loader may use for one admin level.

    Attributes
    ----------
    level : str
        Name of the admin level (e.g. ``"provinces"``).
    districts : geopandas.GeoDataFrame
        The districts, indexed by their code (str).
    tables : Mapping[str, pandas.DataFrame]
        Indicator tables already joined to the districts (same index).
    table_paths : Mapping[str, Path]
        The file each table came from, for messages.
    base_dir : Path
        Folder that relative paths in layer declarations are resolved against.
    analysis_crs : str or None
        Projected CRS for distances; ``None`` picks a UTM zone.
    population : pandas.Series or None
        Population per district, for rates per inhabitant.
    engine : LocalEngine or DaskEngine, optional
        Where point and raster layers compute (:func:`geo.engine.open_engine`);
        ``None`` computes in this process.
    """

    level: str
    districts: gpd.GeoDataFrame
    tables: Mapping[str, pd.DataFrame]
    table_paths: Mapping[str, Path] = field(default_factory=dict)
    base_dir: Path = Path(".")
    analysis_crs: str | None = None
    population: pd.Series | None = None
    engine: Any = None

    def column(self, table: str, column: str) -> pd.Series:
        """Return a numeric column of a joined table, with a clear error if absent."""
        if table not in self.tables:
            raise LayerDataError(
                f"Table {table!r} is not loaded for level {self.level!r}; "
                f"loaded tables: {sorted(self.tables)}. Declare it under [tables] in the config."
            )
        frame = self.tables[table]
        if column not in frame.columns:
            where = self.table_paths.get(table, table)
            raise LayerDataError(
                f"{where}: column {column!r} not found; available columns: "
                f"{sorted(map(str, frame.columns))}. Fix the column name in the layer declaration."
            )
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            where = self.table_paths.get(table, table)
            sample = list(frame.loc[bad, column].astype(str).unique()[:3])
            raise LayerDataError(
                f"{where}: column {column!r} has {int(bad.sum())} non-numeric value(s), "
                f"e.g. {sample}; clean them or leave the cells empty for 'no data'."
            )
        values = values.astype(float)
        infinite = np.isinf(values.to_numpy())
        if infinite.any():
            where = self.table_paths.get(table, table)
            rows = list(map(str, values.index[infinite][:5]))
            raise LayerDataError(
                f"{where}: column {column!r} has {int(infinite.sum())} infinite value(s), for district(s) "
                f"{rows}; replace them with the true figure or leave the cells empty for 'no data'."
            )
        return values


class Loader(Protocol):
    """Anything that turns :class:`LayerInputs` into one float per district."""

    def __call__(self, inputs: LayerInputs) -> pd.Series: ...


@dataclass(frozen=True)
class TableColumn:
    """A column of an indicator table, optionally complemented or scaled.

    ``complement_of=100`` turns a share *with* an amenity into a share *without*
    it (``100 - x``); ``scale`` multiplies (e.g. 100 for shares stored as 0-1).
    """

    column: str
    table: str = "census"
    complement_of: float | None = None
    scale: float = 1.0

    def __call__(self, inputs: LayerInputs) -> pd.Series:
        values = inputs.column(self.table, self.column) * self.scale
        if self.complement_of is not None:
            # published with one decimal: round away binary noise such as 11.799999999999997
            values = (self.complement_of - values).round(9)
        return values

    @property
    def columns(self) -> tuple[str, ...]:
        """The table columns the loader reads."""
        return (self.column,)

    @property
    def describe(self) -> str:
        base = f"{self.table}.{self.column}"
        if self.scale != 1:
            base = f"{self.scale:g} x {base}"
        return f"{self.complement_of:g} - {base}" if self.complement_of is not None else base


@dataclass(frozen=True)
class Ratio:
    """``numerator / denominator * per`` from one table (e.g. jobs per 1,000 people)."""

    numerator: str
    denominator: str
    per: float = 1000.0
    table: str = "census"

    def __call__(self, inputs: LayerInputs) -> pd.Series:
        num = inputs.column(self.table, self.numerator)
        den = inputs.column(self.table, self.denominator)
        return (num / den.where(den > 0)) * self.per

    @property
    def columns(self) -> tuple[str, ...]:
        """The table columns the loader reads."""
        return (self.numerator, self.denominator)

    @property
    def describe(self) -> str:
        return f"{self.table}.{self.numerator} / {self.table}.{self.denominator} x {self.per:g}"


@dataclass(frozen=True)
class RelativeGrowth:
    """Growth between two counts relative to the growth of all districts together.

    ``100 * ((now / before) / (sum(now) / sum(before)) - 1)``: 0 means the
    district grew like the country, negative values that it grew less (a
    net out-migration proxy when natural increase is similar). The sums run
    over districts with both counts.
    """

    now: str
    before: str
    table: str = "census"

    def __call__(self, inputs: LayerInputs) -> pd.Series:
        now = inputs.column(self.table, self.now)
        before = inputs.column(self.table, self.before)
        both = now.notna() & before.notna() & (before > 0)
        national = now[both].sum() / before[both].sum()
        growth = (now / before.where(before > 0)) / national - 1.0
        return (100.0 * growth).where(both)

    @property
    def columns(self) -> tuple[str, ...]:
        """The table columns the loader reads."""
        return (self.now, self.before)

    @property
    def describe(self) -> str:
        return f"100 x ((now/before) / national ratio - 1) with now={self.now}, before={self.before}"


@dataclass(frozen=True)
class PointStat:
    """Points (sites, facilities) aggregated per district: count, per 100k people, distance."""

    path: str
    stat: Literal["count", "per_100k", "distance_km"] = "count"
    x: str | None = None
    y: str | None = None

    def __call__(self, inputs: LayerInputs) -> pd.Series:
        from geo.points import point_stats, read_points

        if inputs.engine is not None:
            stats = inputs.engine.point_stats(
                inputs.districts, _resolve(inputs.base_dir, self.path), x=self.x, y=self.y,
                population=inputs.population, crs=inputs.analysis_crs,
            )
            return stats[self.stat].astype(float)
        points, _report = read_points(_resolve(inputs.base_dir, self.path), x=self.x, y=self.y)
        stats = point_stats(
            inputs.districts, points, population=inputs.population, crs=inputs.analysis_crs
        )
        return stats[self.stat].astype(float)

    @property
    def describe(self) -> str:
        return f"{self.stat} of points in {self.path}"


@dataclass(frozen=True)
class RasterStat:
    """A zonal statistic of a raster per district (optionally population-weighted)."""

    path: str
    stat: Literal["mean", "sum", "count", "min", "max", "weighted_mean"] = "mean"
    weights: str | None = None

    def __call__(self, inputs: LayerInputs) -> pd.Series:
        from geo.zonal import zonal_stats

        weights = _resolve(inputs.base_dir, self.weights) if self.weights else None
        if inputs.engine is not None:
            stats = inputs.engine.zonal_stats(
                inputs.districts, _resolve(inputs.base_dir, self.path), stats=(self.stat,), weights=weights
            )
            return stats[self.stat].astype(float)
        stats = zonal_stats(
            inputs.districts,
            _resolve(inputs.base_dir, self.path),
            stats=(self.stat,),
            weights=weights,
        )
        return stats[self.stat].astype(float)

    @property
    def describe(self) -> str:
        return f"zonal {self.stat} of {self.path}"


def _resolve(base_dir: Path, path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else base_dir / p


@dataclass(frozen=True)
class Layer:
    """One indicator layer: what it measures, where it comes from, how to load it.

    Attributes
    ----------
    id, label, theme, unit : str
        Identity; ``theme`` is a key of :data:`THEMES`.
    higher_is_worse : bool
        Direction: ``True`` when a higher value means more need.
    kind : {"rate", "count"}
        Rates are averaged when rolled up to a larger district (weighted by
        ``rollup_weight``), counts are summed.
    source : Source
    loader : Loader
    rollup_weight : str or None
        Column of the layer's table that weights the average when a rate is
        rolled up (its denominator, e.g. households for a household share).
    description : str
        A sentence for the Data & method page.
    se_column : str or None
        Column of the layer's table holding the standard error of each value, in the column's
        units (e.g. small-area estimates); the Monte Carlo then draws the layer from
        ``N(value, se^2)`` (see :mod:`geo.sampling`).
    """

    id: str
    label: str
    theme: str
    unit: str
    higher_is_worse: bool
    kind: Kind
    source: Source
    loader: Loader
    rollup_weight: str | None = None
    description: str = ""
    # data uncertainty (geo.sampling): the standard error of each value, if published
    se_column: str | None = None

    def __post_init__(self) -> None:
        if self.theme not in THEMES:
            raise ValueError(
                f"Layer {self.id!r}: unknown theme {self.theme!r}; expected one of {sorted(THEMES)}"
            )
        if self.kind not in ("rate", "count"):
            raise ValueError(f"Layer {self.id!r}: kind must be 'rate' or 'count', got {self.kind!r}")

    @property
    def direction(self) -> str:
        """Human wording of the direction."""
        return "higher is worse" if self.higher_is_worse else "lower is worse"

    @property
    def table(self) -> str | None:
        """The indicator table the loader reads, if any."""
        return getattr(self.loader, "table", None)

    def load(self, inputs: LayerInputs) -> pd.Series:
        """Return the layer's raw values for the districts of ``inputs``, named after the layer."""
        values = self.loader(inputs)
        values = pd.Series(values, index=inputs.districts.index, dtype=float)
        values[~np.isfinite(values)] = np.nan
        return values.rename(self.id)


def census_column(column: str, *, complement_of: float | None = None, scale: float = 1.0) -> TableColumn:
    """Shorthand for a column of the ``census`` table."""
    return TableColumn(column=column, table="census", complement_of=complement_of, scale=scale)
