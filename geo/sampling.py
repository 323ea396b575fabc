"""How precise the data are: what the Monte Carlo draws for each layer, and small-number rates.

A published rate is an estimate. Two things make it move (methodology section 8):

* **Small numbers.** A share ``p`` of ``n`` people is, like any count of events among ``n``,
  a draw of ``Binomial(n, p) / n``: 2 unemployed out of 10 can be 1 or 3 next time, 2,000
  out of 10,000 hardly moves. This is the variance ``p (1 - p) / n`` that empirical-Bayes
  rate smoothing assumes (Marshall 1991).
* **Sampling.** When a rate comes from a sample of a fraction ``f`` of the ``n`` people, the
  sample's own variance ``p (1 - p) / (f n) x (1 - f)`` (with the finite population
  correction) comes on top. The two add up to ``p (1 - p) / (f n)``: the rate behaves as a
  share among ``m = f n`` people.

So a rate with a known denominator is drawn as ``Binomial(m, p) / m`` with ``m`` the number
of people it was *measured on* (:func:`measured_on`): the denominator where the district was
counted in full, ``f`` x the denominator where it was sampled. Which districts were sampled,
and at which fraction, is a property of the data set (a :class:`SamplingDesign` from the
configuration's ``[uncertainty]`` section), not of this code: Morocco's 2024 census (HCP)
gave the long questionnaire to a 20 % sample of households in communes of 2,000 households or
more and counted the other communes in full.

A layer that declares ``se_column`` (a standard error published with the estimate, as small
area estimates such as Nepal's FGT(0) headcounts are) is drawn from ``N(estimate, se^2)``,
clipped to the valid range (0-100 for a percentage, >= 0 for a layer with no negative value).

:func:`shrink_rates` offers empirical-Bayes shrinkage of small-population rates (esda's
``Empirical_Bayes``): off by default, and reported when used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from geo.i18n import _, format_spec
from geo.counts import denominators
from geo.errors import LayerDataError, TargetingError

__all__ = ["SamplingDesign", "DataNoise", "measured_on", "standard_errors", "data_noise", "shrink_rates",
           "few_people_note", "SHRINKAGE"]

SHRINKAGE = ("none", "empirical_bayes")


@dataclass(frozen=True)
class SamplingDesign:
    """Which districts' rates come from a sample, and at which fraction.

    A district whose ``size_column`` (e.g. households) is at least ``sampled_from`` had its
    rates measured on a sample of ``fraction`` of its people; the others were counted in full.
    ``fraction = 1`` (the default) means every district was counted in full.

    Attributes
    ----------
    fraction : float
        Sampling fraction, in (0, 1].
    sampled_from : float
        Size from which a district was sampled (0: every district).
    size_column : str or None
        Column of ``table`` holding each district's size; ``None`` with ``sampled_from = 0``.
    table : str or None
        The table whose percentage layers were sampled (``None``: every table).
    """

    fraction: float = 1.0
    sampled_from: float = 0.0
    size_column: str | None = None
    table: str | None = None

    def describe(self) -> str:
        """The design in words, for the notes of an export.

        Examples
        --------
        >>> SamplingDesign(0.2, 2000, "households_count").describe()
        'rates measured on a 20 % sample where households_count >= 2,000, counted in full elsewhere'
        """
        if self.fraction >= 1.0:
            return _("rates counted in full")
        where = f" where {self.size_column} >= {self.sampled_from:,.0f}" if self.sampled_from > 0 else ""
        rest = _(", counted in full elsewhere") if self.sampled_from > 0 else ""
        return _("rates measured on a {fraction} sample{where}{rest}").format(
            fraction=format_spec(self.fraction, ".0%"), where=where, rest=rest).replace("% sample", " % sample")


@dataclass(frozen=True)
class DataNoise:
    """What the Monte Carlo draws for each layer's data (build it with :func:`data_noise`).

    Attributes
    ----------
    trials : Mapping[str, pandas.Series]
        Layer id -> people each district's rate was measured on (``m``): drawn ``Binomial(m, p) / m``.
    counts : Mapping[str, tuple[pandas.Series, float]]
        Layer id -> (denominator, ``per``) of a rate per ``per`` people counted in full (e.g.
        jobs per 1,000 people): its numerator is drawn from ``Poisson(value x denominator / per)``.
    standard_errors : Mapping[str, pandas.Series]
        Layer id -> standard error per district: drawn ``N(value, se^2)``, clipped to ``bounds``.
    bounds : Mapping[str, tuple[float, float]]
        Valid range of each drawn layer.
    replicates : int
        Number of data sets drawn (at most a tenth of the Monte Carlo draws); each draw uses one
        of them, so the data's share of the rank variance can be told apart (the ``data`` factor
        of the sensitivity analysis).
    notes : tuple of str
        What is drawn and what is not.
    """

    trials: Mapping[str, pd.Series] = field(default_factory=dict)
    counts: Mapping[str, tuple[pd.Series, float]] = field(default_factory=dict)
    standard_errors: Mapping[str, pd.Series] = field(default_factory=dict)
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    replicates: int = 50
    notes: tuple[str, ...] = ()

    @property
    def layers(self) -> list[str]:
        """The layers whose data are drawn."""
        return [*self.trials, *self.counts, *[k for k in self.standard_errors if k not in self.trials]]

    def draw(self, values: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        """One data set: every drawn layer of ``values`` replaced by a draw (a new frame).

        Examples
        --------
        >>> v = pd.DataFrame({"a": [50.0, 50.0]}, index=["x", "y"])
        >>> noise = DataNoise(trials={"a": pd.Series([1e9, 0.0], index=["x", "y"])}, bounds={"a": (0, 100)})
        >>> out = noise.draw(v, np.random.default_rng(0))
        >>> round(float(out.at["x", "a"]), 1), float(out.at["y", "a"])
        (50.0, 50.0)
        """
        out = values.copy()
        for lid, m in self.trials.items():
            if lid not in out.columns:
                continue
            v = out[lid].to_numpy(dtype=float)
            n = np.round(m.reindex(out.index).to_numpy(dtype=float))
            ok = np.isfinite(v) & np.isfinite(n) & (n >= 1)
            p = np.clip(v[ok] / 100.0, 0.0, 1.0)
            drawn = v.copy()
            drawn[ok] = rng.binomial(n[ok].astype(np.int64), p) / n[ok] * 100.0
            out[lid] = drawn
        for lid, (den, per) in self.counts.items():
            if lid not in out.columns:
                continue
            v = out[lid].to_numpy(dtype=float)
            d = den.reindex(out.index).to_numpy(dtype=float)
            ok = np.isfinite(v) & np.isfinite(d) & (d > 0) & (v >= 0)
            drawn = v.copy()
            drawn[ok] = rng.poisson(v[ok] * d[ok] / per) / d[ok] * per
            out[lid] = drawn
        for lid, se in self.standard_errors.items():
            if lid not in out.columns or lid in self.trials:
                continue
            v = out[lid].to_numpy(dtype=float)
            s = se.reindex(out.index).to_numpy(dtype=float)
            ok = np.isfinite(v) & np.isfinite(s)
            lo, hi = self.bounds.get(lid, (-np.inf, np.inf))
            drawn = v.copy()
            drawn[ok] = np.clip(rng.normal(v[ok], s[ok]), lo, hi)
            out[lid] = drawn
        return out


def measured_on(
    layers: Sequence[Any],
    tables: Mapping[str, pd.DataFrame],
    design: SamplingDesign = SamplingDesign(),
    *,
    table_paths: Mapping[str, Path] | None = None,
) -> dict[str, pd.Series]:
    """People each percentage layer was measured on, per district (``m`` of the module's docstring).

    Parameters
    ----------
    layers : sequence of Layer
    tables : Mapping[str, pandas.DataFrame]
        Tables joined at the level.
    design : SamplingDesign
    table_paths : Mapping[str, Path], optional
        The file of each table, for messages.

    Returns
    -------
    dict
        Layer id -> float Series: the denominator, times ``design.fraction`` where sampled.

    Raises
    ------
    LayerDataError
        The design's size column is missing from its table, or a denominator is invalid.

    Examples
    --------
    >>> from layers import get_layer
    >>> t = {"census": pd.DataFrame({"labour_active": [1000, 100], "hh": [3000, 50]}, index=["a", "b"])}
    >>> m = measured_on([get_layer("unemployment")], t, SamplingDesign(0.2, 2000, "hh", "census"))
    >>> m["unemployment"].tolist()
    [200.0, 100.0]
    """
    dens = denominators(layers, tables, table_paths=table_paths)
    out = {}
    for layer in layers:
        if layer.id not in dens:
            continue
        den = dens[layer.id]
        sampled_table = design.table is None or layer.table == design.table
        if design.fraction >= 1.0 or not sampled_table:
            out[layer.id] = den
            continue
        if design.sampled_from > 0:
            table = tables[layer.table]
            if design.size_column not in table.columns:
                where = (table_paths or {}).get(layer.table, layer.table)
                raise LayerDataError(
                    _("{where}: column {size_column!r} (uncertainty.size_column) not found; it tells which "
                    "districts were sampled. Fix uncertainty.size_column, or set uncertainty.sampled_from = 0.").format(
                        where=where, size_column=design.size_column)
                )
            size = pd.to_numeric(table[design.size_column], errors="coerce")
            sampled = (size >= design.sampled_from).reindex(den.index, fill_value=False)
        else:
            sampled = pd.Series(True, index=den.index)
        out[layer.id] = den.where(~sampled, den * design.fraction)
    return out


def standard_errors(
    layers: Sequence[Any],
    tables: Mapping[str, pd.DataFrame],
    *,
    table_paths: Mapping[str, Path] | None = None,
) -> dict[str, pd.Series]:
    """The standard error of every layer that declares ``se_column``, in the layer's units.

    A layer scaled at loading (``scale``) has its standard error scaled alike; a complement
    (``100 - x``) keeps it.

    Raises
    ------
    LayerDataError
        The column is missing, non-numeric or negative: naming the file, the layer's
        ``se_column`` and the fix.

    Examples
    --------
    >>> from layers.base import Layer, Source, TableColumn
    >>> layer = Layer("fgt0", "Poverty", "poverty", "%", True, "rate", Source("x", 2011, "CC"),
    ...               TableColumn("fgt0", table="t", scale=100), se_column="fgt0_se")
    >>> t = {"t": pd.DataFrame({"fgt0": [0.3], "fgt0_se": [0.05]}, index=["a"])}
    >>> standard_errors([layer], t)["fgt0"].tolist()
    [5.0]
    """
    out = {}
    paths = table_paths or {}
    for layer in layers:
        column = getattr(layer, "se_column", None)
        if not column:
            continue
        where = paths.get(layer.table, layer.table)
        table = tables.get(layer.table) if layer.table else None
        if table is None:
            continue  # rolled up from a lower level: no standard error at this level (see data_noise's notes)
        if column not in table.columns:
            raise LayerDataError(
                _("{where}: column {column!r} (se_column of layer {id!r}) not found; available columns: "
                "{sorted}. Fix se_column in the layer's declaration or remove it.").format(
                    where=where, column=column, id=layer.id, sorted=sorted(map(str, table.columns))[:20])
            )
        raw = table[column]
        se = pd.to_numeric(raw, errors="coerce").astype(float)
        bad = se.isna() & raw.notna()
        if bad.any():
            # the table kept the column as text because of these cells: name those that are no number
            # in either decimal convention
            comma = pd.to_numeric(raw.astype(str).str.replace(",", ".", regex=False), errors="coerce")
            bad = bad & comma.isna() if (bad & comma.isna()).any() else bad
            raise LayerDataError(
                _("{where}: column {column!r} (se_column of layer {id!r}) has {int} non-numeric "
                "value(s), e.g. {list}; a standard error is a number >= 0. "
                "Clean these cells or leave them empty.").format(
                    where=where, column=column, id=layer.id, int=int(bad.sum()), list=list(raw[bad].astype(str).unique()[:3]))
            )
        negative = se < 0
        if negative.any():
            raise LayerDataError(
                _("{where}: column {column!r} (se_column of layer {id!r}) is negative for "
                "{int} district(s) {list}; a standard error "
                "is >= 0. Fix these cells.").format(
                    where=where, column=column, id=layer.id, int=int(negative.sum()), list=list(map(str, se.index[negative][:5])))
            )
        out[layer.id] = se * float(getattr(layer.loader, "scale", 1.0))
    return out


def _bounds(layer: Any, values: pd.Series) -> tuple[float, float]:
    if layer.unit == "%":
        return 0.0, 100.0
    return (0.0, np.inf) if bool((values.dropna() >= 0).all()) else (-np.inf, np.inf)


def _ratio_denominator(layer: Any, tables: Mapping[str, pd.DataFrame]) -> tuple[pd.Series, float] | None:
    """The denominator and ``per`` of a :class:`layers.base.Ratio` layer whose table is loaded."""
    loader = layer.loader
    if not all(hasattr(loader, a) for a in ("numerator", "denominator", "per")):
        return None
    table = tables.get(getattr(loader, "table", None))
    if table is None or loader.denominator not in table.columns:
        return None
    return pd.to_numeric(table[loader.denominator], errors="coerce").astype(float), float(loader.per)


def data_noise(
    values: pd.DataFrame,
    layers: Sequence[Any],
    tables: Mapping[str, pd.DataFrame],
    design: SamplingDesign = SamplingDesign(),
    *,
    table_paths: Mapping[str, Path] | None = None,
    replicates: int = 50,
) -> DataNoise:
    """What the Monte Carlo draws for the data of a level's layers, with notes.

    Layers with ``se_column`` are drawn from their standard errors; percentage layers with a
    known denominator from ``Binomial(m, p) / m`` (:func:`measured_on`); a rate per ``per``
    people of two counts of one table (:class:`layers.base.Ratio`, e.g. jobs per 1,000 people,
    counted in full) from a Poisson count on its denominator; other layers (people per room,
    distances, growth) are not drawn, and the notes say so.

    Parameters
    ----------
    values : pandas.DataFrame
        Raw layer values of the level.
    layers, tables, design, table_paths
        As in :func:`measured_on`.
    replicates : int
        Data sets to draw (see :class:`DataNoise`).

    Returns
    -------
    DataNoise

    Raises
    ------
    LayerDataError
        Invalid ``se_column`` or denominators.
    TargetingError
        ``replicates`` below 1.
    """
    if isinstance(replicates, bool) or not isinstance(replicates, (int, np.integer)) or replicates < 1:
        raise TargetingError(_("Invalid replicates: {replicates!r}. It must be a whole number >= 1.").format(
            replicates=replicates))
    chosen = [l for l in layers if l.id in values.columns]
    se = standard_errors(chosen, tables, table_paths=table_paths)
    trials = {k: v for k, v in measured_on(chosen, tables, design, table_paths=table_paths).items() if k not in se}
    counts = {l.id: ratio for l in chosen if l.id not in se and (ratio := _ratio_denominator(l, tables)) is not None}
    bounds = {l.id: _bounds(l, values[l.id]) for l in chosen if l.id in se or l.id in trials}
    fixed = [l.id for l in chosen if l.id not in se and l.id not in trials and l.id not in counts]
    notes = []
    if trials:
        notes.append(_("binomial on the denominator ({describe}): {join}").format(
            describe=design.describe(), join=', '.join(trials)))
    if counts:
        notes.append(_("Poisson on the denominator: {join}").format(join=', '.join(counts)))
    if se:
        notes.append(_("normal from the published standard errors: {join}").format(join=', '.join(se)))
    if fixed:
        notes.append(_("not drawn (no denominator or standard error): {join}").format(join=', '.join(fixed)))
    return DataNoise(trials=trials, counts=counts, standard_errors=se, bounds=bounds, replicates=int(replicates),
                     notes=tuple(notes))


def shrink_rates(values: pd.DataFrame, trials: Mapping[str, pd.Series]) -> tuple[pd.DataFrame, str]:
    """Empirical-Bayes shrinkage of percentage rates towards the overall rate (Marshall 1991).

    Each rate ``p_i`` on ``m_i`` people becomes ``w_i p_i + (1 - w_i) b`` with ``b`` the overall
    rate and ``w_i = a / (a + b / m_i)``, ``a`` the between-district variance estimated by the
    method of moments (``esda.smoothing.Empirical_Bayes``): small districts move most. It
    stabilises noisy rates but can hide a real pocket, so it is off by default and reported
    when on.

    Parameters
    ----------
    values : pandas.DataFrame
        Raw layer values (percentages for the layers of ``trials``).
    trials : Mapping[str, pandas.Series]
        Layer id -> people each rate was measured on (:func:`measured_on`).

    Returns
    -------
    (pandas.DataFrame, str)
        A new frame with the shrunk rates, and a note saying which layers moved and by how much.

    Examples
    --------
    >>> v = pd.DataFrame({"a": [10.0, 50.0, 12.0]}, index=list("xyz"))
    >>> out, note = shrink_rates(v, {"a": pd.Series([1000.0, 4.0, 1000.0], index=list("xyz"))})
    >>> bool(abs(out.at["y", "a"] - 50.0) > abs(out.at["x", "a"] - 10.0))
    True
    """
    from esda.smoothing import Empirical_Bayes

    out = values.copy()
    moved = []
    for lid, m in trials.items():
        if lid not in out.columns:
            continue
        v = out[lid].astype(float)
        n = m.reindex(v.index).astype(float)
        ok = v.notna() & n.notna() & (n > 0)
        if ok.sum() < 3:
            continue
        events = (v[ok] / 100.0 * n[ok]).to_numpy()[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            smoothed = np.asarray(Empirical_Bayes(events, n[ok].to_numpy()[:, None]).r, dtype=float).ravel() * 100.0
        new = v.copy()
        new[ok] = np.where(np.isfinite(smoothed), smoothed, v[ok].to_numpy())
        out[lid] = new
        moved.append(_("{lid} (largest move {float} points)").format(
            lid=lid, float=format_spec(float((new - v).abs().max()), ".2f")))
    note = (_("empirical-Bayes shrinkage of small-population rates towards the overall rate (Marshall 1991, "
            "esda): ") + (", ".join(moved) if moved else _("no layer with a denominator")))
    return out, note


def few_people_note(population: pd.Series, code: Any, *, share: float = 0.1,
                    interval: tuple[float, float] | None = None) -> str | None:
    """A sentence when a district's place rests on few people, else ``None``.

    A district is "small" when fewer than ``share`` of the level's districts with a population
    are smaller than it (the bottom decile by population): its rates are shares of few people,
    so a handful of them can move it many places.

    Parameters
    ----------
    population : pandas.Series
        Population per district of the level.
    code
        The district.
    share : float
        The bottom share of districts by population that counts as small.
    interval : (float, float), optional
        The district's 5th-95th percentile rank interval, quoted when given.

    Examples
    --------
    >>> pop = pd.Series([983, 5000, 8000, 12000, 20000, 30000, 40000, 50000, 60000, 70000, 80000],
    ...                 index=list("abcdefghijk"))
    >>> few_people_note(pop, "a")[:70]
    'Its place rests on few people: 983 residents, fewer than in 10 of the '
    >>> few_people_note(pop, "f") is None
    True
    """
    pop = pd.to_numeric(population, errors="coerce").dropna()
    if code not in pop.index or len(pop) < 2:
        return None
    own = float(pop[code])
    larger = int((pop > own).sum())
    if larger < (1.0 - share) * len(pop):
        return None
    text = (_("Its place rests on few people: {own} residents, fewer than in {larger} of the "
            "{n_pop} districts; ").format(
                own=format_spec(own, ",.0f"), larger=format_spec(larger, ","), n_pop=format_spec(len(pop), ",")))
    if interval is not None and all(np.isfinite(interval)):
        return text + (_("its rank could lie anywhere from {interval} to {interval2} "
                       "({middle} of the Monte Carlo draws, which draw the data too).").format(
                           middle="5-95 %", interval=format_spec(interval[0], ".0f"), interval2=format_spec(interval[1], ".0f")))
    return text + _("a few people more or less in a rate can move it many places.")
