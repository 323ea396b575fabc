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
    "ROLES",
    "TableColumn",
    "Ratio",
    "RelativeGrowth",
    "RelativeAnnualGrowth",
    "SumRatio",
    "Percentile",
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


ROLES = ("need", "readiness", "context")


@dataclass(frozen=True)
class Theme:
    """A group of layers that is weighted and reported together, declared in the configuration.

    Attributes
    ----------
    id, label : str
        Identity; layers name their theme by ``id``.
    role : {"need", "readiness", "context"}
        ``need`` themes make the need score, ``readiness`` themes say whether the
        conditions to act exist (both are scored); ``context`` themes are shown
        but never scored (their weight is 0).
    description : str
        A short sentence shown beside the label (what the theme measures, and
        what it is not).
    weight : float
        Default weight of the theme (>= 0) before themes are rescaled to sum to 1.
    """

    id: str
    label: str
    role: Literal["need", "readiness", "context"] = "need"
    description: str = ""
    weight: float = 1.0

    @property
    def scored(self) -> bool:
        """Whether the theme's layers count in the score."""
        return self.role != "context"


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
        reason = (frame.attrs.get("unreadable") or {}).get(column)
        if reason:
            raise LayerDataError(reason)
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
        raw = inputs.column(self.table, self.column)
        values = raw * self.scale
        overflow = np.isinf(values.to_numpy()) & np.isfinite(raw.to_numpy())
        if overflow.any():
            where = inputs.table_paths.get(self.table, self.table)
            raise LayerDataError(
                f"{where}: column {self.column!r} times scale = {self.scale:g} is too large to compute with for "
                f"{int(overflow.sum())} district(s) ({list(map(str, values.index[overflow][:5]))}); fix the "
                "layer's scale (e.g. 100 for shares stored as 0-1)."
            )
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
class SumRatio:
    """``sum(numerator) / sum(denominator) * per`` over columns of one table.

    With no denominator the numerator columns are simply added (e.g. two
    shares of the same population). Used for ratios of HCP's age groups (a
    dependency ratio: people aged 65+ per 100 aged 15-64) and for shares that
    HCP publishes in parts (self-employed plus unpaid family workers).
    """

    numerator: tuple[str, ...]
    denominator: tuple[str, ...] = ()
    per: float = 100.0
    table: str = "census"

    def __call__(self, inputs: LayerInputs) -> pd.Series:
        num = sum(inputs.column(self.table, c) for c in self.numerator)
        if not self.denominator:
            return num.round(9)  # shares published with one decimal: no binary noise such as 7.300000000000001
        den = sum(inputs.column(self.table, c) for c in self.denominator)
        return num / den.where(den > 0) * self.per

    @property
    def columns(self) -> tuple[str, ...]:
        """The table columns the loader reads."""
        return (*self.numerator, *self.denominator)

    @property
    def describe(self) -> str:
        num = " + ".join(f"{self.table}.{c}" for c in self.numerator)
        if not self.denominator:
            return num
        den = " + ".join(f"{self.table}.{c}" for c in self.denominator)
        return f"({num}) / ({den}) x {self.per:g}"


@dataclass(frozen=True)
class RelativeAnnualGrowth:
    """Average annual growth of a count minus that of all districts together, in points.

    ``100 * ((now / before) ** (1 / years) - (sum(now) / sum(before)) ** (1 / years))``:
    0 means the district grew like the country. The annual rate keeps a
    district whose count multiplied (a new town, a population counted apart
    one year and not the other) from setting the scale of everyone else, as a
    ratio of growth ratios does. Sums run over districts with both counts.
    """

    now: str
    before: str
    years: float
    table: str = "census"

    def __call__(self, inputs: LayerInputs) -> pd.Series:
        now = inputs.column(self.table, self.now)
        before = inputs.column(self.table, self.before)
        both = now.notna() & before.notna() & (before > 0) & (now > 0)
        national = (now[both].sum() / before[both].sum()) ** (1.0 / self.years)
        annual = (now / before.where(both)) ** (1.0 / self.years)
        return (100.0 * (annual - national)).where(both)

    @property
    def columns(self) -> tuple[str, ...]:
        """The table columns the loader reads."""
        return (self.now, self.before)

    @property
    def describe(self) -> str:
        return (f"100 x ((now/before)^(1/{self.years:g}) - national rate) with now={self.table}.{self.now}, "
                f"before={self.table}.{self.before}")


@dataclass(frozen=True)
class Percentile:
    """The percentile rank (0-100] of another loader's values among the districts of the level.

    For a proxy whose extremes are not the phenomenon it stands for (the sex
    ratio of a commune holding a garrison, the growth of one counted apart in
    one census): only the order of the districts is kept, so a handful of
    extremes cannot squash everyone else into a near-constant. Ties share
    their average rank; districts without a value stay without one.
    """

    of: Any

    def __call__(self, inputs: LayerInputs) -> pd.Series:
        values = pd.Series(self.of(inputs), dtype=float)
        values = values.where(np.isfinite(values))
        return (100.0 * values.rank(pct=True)).round(9)

    @property
    def table(self) -> str | None:
        """The table of the underlying loader."""
        return getattr(self.of, "table", None)

    @property
    def columns(self) -> tuple[str, ...]:
        """The table columns the loader reads."""
        return tuple(getattr(self.of, "columns", ()))

    @property
    def describe(self) -> str:
        return f"percentile rank among the districts of the level of: {self.of.describe}"


POINT_STATS = ("count", "per_100k", "distance_km")
RASTER_STATS = ("mean", "sum", "count", "min", "max", "weighted_mean")


@dataclass(frozen=True)
class PointStat:
    """Points (sites, facilities) aggregated per district: count, per 100k people, distance."""

    path: str
    stat: Literal["count", "per_100k", "distance_km"] = "count"
    x: str | None = None
    y: str | None = None
    #: Row filter, ``((column, (value, ...)), ...)``: keep rows whose column holds one of the values.
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __call__(self, inputs: LayerInputs) -> pd.Series:
        from geo.points import point_stats, read_points

        if self.where:
            from geo.points import point_layer

            stats, _report = point_layer(
                inputs.districts, _resolve(inputs.base_dir, self.path), x=self.x, y=self.y, where=dict(self.where),
                population=inputs.population, crs=inputs.analysis_crs,
            )
            return stats[self.stat].astype(float)
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
        Identity; ``theme`` is the id of a theme declared in the configuration.
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
    labels : tuple of (str, str)
        The label in other languages, ``(("fr", "..."), ("ar", "..."))``;
        :func:`geo.i18n.layer_label` falls back to HCP's heading, then ``label``.
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
    labels: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.theme, str) or not self.theme.strip():
            raise ValueError(f"Layer {self.id!r}: theme must be a theme id (text), got {self.theme!r}")
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
        infinite = np.isinf(values.to_numpy())
        if infinite.any():
            raise LayerDataError(
                f"Layer {self.id!r} ({self.loader.describe if hasattr(self.loader, 'describe') else 'its loader'}) "
                f"gives infinite values for {int(infinite.sum())} district(s) "
                f"({list(map(str, values.index[infinite][:5]))}); check its inputs, scale or denominator."
            )
        return values.rename(self.id)


def census_column(column: str, *, complement_of: float | None = None, scale: float = 1.0) -> TableColumn:
    """Shorthand for a column of the ``census`` table."""
    return TableColumn(column=column, table="census", complement_of=complement_of, scale=scale)
