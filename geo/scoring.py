"""Composite scoring: direction, outlier treatment, normalisation, weighting,
aggregation, missing data, ranking and per-layer contributions.

The steps follow the JRC/OECD Handbook on Constructing Composite Indicators:

1. **Direction**: every layer is oriented so that a higher value means more need.
2. **Outliers** (optional, the COINr rule): a layer with ``|skewness| > 2`` and
   ``kurtosis > 3.5`` is winsorised, up to 5 points; if it is still skewed, the
   original values are log-transformed instead.
3. **Normalisation**: min-max to 0-100 (1-100 with geometric aggregation, so a
   geometric mean never meets zero), z-score, or percentile rank (0-100].
4. **Weights**: per-layer weights are rescaled to sum to 1 within each theme,
   theme weights to sum to 1 across themes; a layer's effective weight is the
   product, reported to the user.
5. **Aggregation**: arithmetic ``sum(w x) / sum(w)`` (fully compensatory) or
   geometric ``exp(sum(w ln x) / sum(w))`` (partly compensatory), over the
   layers a district has, with the weights renormalised over them.
6. **Missing data**: each district's data coverage is the share of the
   effective weight it has data for. ``"renormalise"`` scores districts with a
   coverage of at least ``min_coverage``; ``"exclude"`` scores only complete
   districts. Districts left unscored are listed with the reason, never dropped.
7. **Ranking**: rank 1 is the highest score (most in need); ties (scores equal
   to 1e-9, as in the Monte Carlo) share the best rank; decile 1 holds the 10 %
   most in need.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from geo.i18n import _, format_spec
from geo.errors import TargetingError

__all__ = [
    "NORMALISATIONS",
    "AGGREGATIONS",
    "MISSING_POLICIES",
    "OUTLIER_TREATMENTS",
    "Method",
    "ScoreResult",
    "orient",
    "treat_outliers",
    "skew_kurtosis",
    "meets_coinr_rule",
    "normalise",
    "effective_weights",
    "aggregate",
    "rank_scores",
    "score",
]

NORMALISATIONS = ("minmax", "zscore", "rank")
AGGREGATIONS = ("arithmetic", "geometric")
MISSING_POLICIES = ("renormalise", "exclude")
OUTLIER_TREATMENTS = ("none", "coinr")


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise TargetingError(_("Invalid {name}: {value!r}. {name} must be one of {list}").format(
            name=name, value=value, list=list(allowed)))


@dataclass(frozen=True)
class Method:
    """Method choices of a composite score.

    Examples
    --------
    >>> Method(normalisation="rank").aggregation
    'arithmetic'
    """

    normalisation: str = "minmax"
    aggregation: str = "arithmetic"
    missing: str = "renormalise"
    min_coverage: float = 0.5
    outliers: str = "none"

    def __post_init__(self) -> None:
        _check_choice("normalisation", self.normalisation, NORMALISATIONS)
        _check_choice("aggregation", self.aggregation, AGGREGATIONS)
        _check_choice("missing", self.missing, MISSING_POLICIES)
        _check_choice("outliers", self.outliers, OUTLIER_TREATMENTS)
        if isinstance(self.min_coverage, bool) or not isinstance(self.min_coverage, (int, float)) \
                or not 0.0 <= float(self.min_coverage) <= 1.0:
            raise TargetingError(
                _("Invalid min_coverage: {min_coverage!r}. It must lie between 0 and 1 "
                "(a share of the effective weight).").format(min_coverage=self.min_coverage)
            )
        if self.aggregation == "geometric" and self.normalisation == "zscore":
            raise TargetingError(
                _("Geometric aggregation needs positive values, which z-scores are not; "
                "use normalisation 'minmax' or 'rank', or arithmetic aggregation.")
            )


@dataclass(frozen=True)
class ScoreResult:
    """Everything a score is made of, so that every number can be explained.

    Attributes
    ----------
    table : pandas.DataFrame
        ``score, rank, decile, data_coverage`` and one ``theme_<id>`` sub-index
        per theme, indexed like the input.
    normalised : pandas.DataFrame
        Normalised layer values (higher = more need).
    contributions : pandas.DataFrame
        Points each layer adds to the score; rows sum to the score.
    effective_weights : pandas.Series
        Weight of each layer in the composite after rescaling (sums to 1).
    unscored : pandas.DataFrame
        Districts without a score and why (column ``reason``).
    notes : list of str
        Layers left out or transformed, and why.
    method : Method
    treatments : Mapping[str, str]
        Per layer treated by the COINr outlier rule, what was done
        (e.g. ``"winsorised 2 point(s)"``, ``"log-transformed"``).
    """

    table: pd.DataFrame
    normalised: pd.DataFrame
    contributions: pd.DataFrame
    effective_weights: pd.Series
    unscored: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    method: Method = Method()
    treatments: Mapping[str, str] = field(default_factory=dict)


def orient(values: pd.DataFrame, higher_is_worse: Mapping[str, bool]) -> pd.DataFrame:
    """Return the values with "lower is worse" layers negated, so higher means more need.

    Examples
    --------
    >>> orient(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}), {"a": True, "b": False})["b"].tolist()
    [-3.0, -4.0]
    """
    return values.astype(float) * _signs(values.columns, higher_is_worse)


def _signs(columns: Sequence[str], higher_is_worse: Mapping[str, bool]) -> np.ndarray:
    missing = [c for c in columns if c not in higher_is_worse]
    if missing:
        raise TargetingError(_("No direction declared for layer(s) {missing}; set higher_is_worse.").format(
            missing=missing))
    return np.array([1.0 if higher_is_worse[c] else -1.0 for c in columns])


def skew_kurtosis(x: pd.Series | np.ndarray) -> tuple[float, float]:
    """Sample skewness and excess kurtosis of ``x`` (pandas' estimators), ``(0, 0)`` for fewer than 4
    values or 3 distinct ones.

    The same arithmetic as ``Series.skew`` and ``Series.kurt`` (pandas' ``nanskew`` and ``nankurt``:
    the same sums in the same order, moments below 1e-14 taken as 0), in numpy: the Monte Carlo
    tests every layer of every drawn data set against the outlier rule.
    """
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) < 4:
        return 0.0, 0.0
    lo, hi = v.min(), v.max()
    if not ((v != lo) & (v != hi)).any():  # fewer than 3 distinct values
        return 0.0, 0.0
    v = _rescaled_array(v[:, None])[:, 0]  # scale-free; no overflow near 1e300
    n = np.float64(len(v))
    adjusted = v - v.sum(dtype=np.float64) / n
    adjusted2 = adjusted ** 2
    m2 = adjusted2.sum(dtype=np.float64)
    m3 = (adjusted2 * adjusted).sum(dtype=np.float64)
    m4 = (adjusted2 ** 2).sum(dtype=np.float64)
    m2z, m3z = _fp_zero(m2), _fp_zero(m3)
    skew = 0.0 if m2z == 0 else float((n * (n - 1) ** 0.5 / (n - 2)) * (m3z / m2z ** 1.5))
    numerator = _fp_zero(n * (n + 1) * (n - 1) * m4)
    denominator = _fp_zero((n - 2) * (n - 3) * m2 ** 2)
    kurt = 0.0 if denominator == 0 else float(numerator / denominator - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3)))
    return skew, kurt


def _fp_zero(value: np.float64) -> np.float64:
    """pandas' floating-point guard of the moments: below 1e-14 in absolute value is 0."""
    return np.float64(0) if abs(value) < 1e-14 else value


def meets_coinr_rule(x: pd.Series) -> bool:
    """The COINr outlier rule: ``|skewness| > 2`` and ``kurtosis > 3.5``."""
    skew, kurt = skew_kurtosis(x)
    return abs(skew) > 2 and kurt > 3.5


def treat_outliers(values: pd.DataFrame, *, max_winsorised: int = 5) -> tuple[pd.DataFrame, dict[str, str]]:
    """Apply the COINr outlier rule to each column.

    A column with ``|skewness| > 2`` and ``kurtosis > 3.5`` has its most extreme
    value (on the side of the skew) set to the next one, repeatedly, up to
    ``max_winsorised`` points; if the column is still beyond the thresholds, the
    original values are log-transformed instead (``sign * log(1 + |x - m|)``
    around the column's minimum or maximum so that all values are defined).

    Returns
    -------
    (pandas.DataFrame, dict)
        The treated values and, per treated column, what was done.
    """
    out = values.astype(float)
    treated: dict[str, np.ndarray] = {}
    actions: dict[str, str] = {}
    for col in out.columns:
        x = out[col].to_numpy(dtype=float)
        if not meets_coinr_rule(x):
            continue
        w = x.copy()
        for n in range(1, max_winsorised + 1):
            skew, _unused = skew_kurtosis(w)
            ordered = np.sort(w[~np.isnan(w)])
            # the most extreme value on the side of the skew takes the next one's value (ties: any of them)
            extreme = np.nanargmax(w) if skew > 0 else np.nanargmin(w)
            w[extreme] = ordered[-2] if skew > 0 else ordered[1]
            if not meets_coinr_rule(w):
                treated[col] = w
                actions[col] = f"winsorised {n} point(s)"
                break
        else:
            skew, _unused = skew_kurtosis(x)
            treated[col] = np.log1p(x - np.nanmin(x)) if skew > 0 else -np.log1p(np.nanmax(x) - x)
            actions[col] = "log-transformed"
    if treated:
        out = out.copy()
        for col, column in treated.items():
            out[col] = column
    return out, actions


def normalise(oriented: pd.DataFrame, how: str = "minmax", *, lower: float = 0.0) -> pd.DataFrame:
    """Normalise oriented values column by column.

    Parameters
    ----------
    oriented : pandas.DataFrame
        Values where higher means more need.
    how : {"minmax", "zscore", "rank"}
        ``minmax``: ``(x - min) / (max - min) * (100 - lower) + lower``;
        ``zscore``: ``(x - mean) / sd``; ``rank``: percentile rank in (0, 100]
        (ties share their average rank).
    lower : float
        Lower end of the min-max scale (1 for geometric aggregation).

    Returns
    -------
    pandas.DataFrame
        Same shape and index; missing stays missing; a column without spread is
        all missing (it carries no information).

    Examples
    --------
    >>> normalise(pd.DataFrame({"a": [0.0, 5.0, 10.0]}))["a"].tolist()
    [0.0, 50.0, 100.0]
    """
    _check_choice("normalisation", how, NORMALISATIONS)
    x = _rescaled(oriented.astype(float))
    if how == "rank":
        ranked = x.rank(method="average", pct=True) * 100.0
        lo, hi = _column_range(x.to_numpy())
        flat = x.columns[~(hi > lo)]  # fewer than two distinct values (or none)
        ranked[flat] = np.nan
        return ranked
    return pd.DataFrame(_normalise_array(x.to_numpy(), how, lower), index=x.index, columns=x.columns)


def _normalise_array(x: np.ndarray, how: str, lower: float, *, inplace: bool = False,
                     column_range: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Min-max or z-score of each column of ``x`` (NaN = missing, already rescaled), as :func:`normalise`.

    With ``inplace``, min-max overwrites ``x`` (no new array; the same operations in the same
    order, so the same bits as without). ``column_range`` (each column's min and max, if known)
    saves a pass.
    """
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns
        if how == "minmax":
            lo, hi = column_range or _column_range(x)
            span = np.where(hi > lo, hi - lo, np.nan)
            out = x if inplace else x.copy()
            out -= lo
            out /= span
            out *= 100.0 - lower
            out += lower
            return out
        sd = np.nanstd(x, axis=0, ddof=1)
        return (x - np.nanmean(x, axis=0)) / np.where(sd > 0, sd, np.nan)


def _column_range(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest value of each column, ignoring NaN (NaN for an all-missing column).

    ``fmin``/``fmax`` skip NaN in one pass without the copies ``nanmin``/``nanmax`` make.
    """
    if len(x) == 0:
        return np.full(x.shape[1], np.nan), np.full(x.shape[1], np.nan)
    return np.fmin.reduce(x, axis=0), np.fmax.reduce(x, axis=0)


def _rescaled(x: pd.DataFrame) -> pd.DataFrame:
    """Divide each column by the power of two at or below its largest absolute value.

    All three normalisations are invariant to this scaling, which is exact in
    binary floating point, and it keeps differences and squares of values near the
    float limits (1e300) from overflowing.
    """
    return pd.DataFrame(_rescaled_array(x.to_numpy(dtype=float)), index=x.index, columns=x.columns)


def _rescaled_array(x: np.ndarray) -> np.ndarray:
    return x / _power_of_two_scale(*_column_range(x))


def _power_of_two_scale(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per column, the power of two at or below its largest absolute value (1 without values)."""
    biggest = np.fmax(np.abs(lo), np.abs(hi))
    usable = np.isfinite(biggest) & (biggest > 0)
    return np.where(usable, np.exp2(np.floor(np.log2(np.where(usable, biggest, 1.0)))), 1.0)


def _oriented_rescaled(x: np.ndarray, signs: np.ndarray, column_range: tuple[np.ndarray, np.ndarray]
                       ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """``x`` with "lower is worse" columns negated and every column rescaled (see :func:`_rescaled`),
    in one pass, and the new columns' range (exact: a sign and a power of two)."""
    lo, hi = column_range
    factor = _power_of_two_scale(lo, hi) * signs
    new_lo, new_hi = np.where(signs > 0, lo, hi) / factor, np.where(signs > 0, hi, lo) / factor
    return x / factor, (new_lo, new_hi)  # exact: its inverse may overflow for subnormal values


def _positions(columns: Sequence[str], chosen: Sequence[str]) -> list[int]:
    where = {c: j for j, c in enumerate(columns)}
    return [where[c] for c in chosen]


def _check_finite(values: pd.DataFrame) -> None:
    infinite = np.isinf(values.to_numpy(dtype=float))
    if infinite.any():
        col = values.columns[infinite.any(axis=0)][0]
        rows = list(map(str, values.index[np.isinf(values[col].to_numpy(dtype=float))][:5]))
        raise TargetingError(
            _("Layer {col!r} has infinite values for district(s) {rows}; they cannot be normalised. "
            "Fix the data (an infinite value usually comes from a division by zero) or leave the cells "
            "empty for 'no data'.").format(col=col, rows=rows)
        )


def effective_weights(
    themes: Mapping[str, str],
    weights: Mapping[str, float],
    theme_weights: Mapping[str, float] | None = None,
) -> pd.Series:
    """Rescale layer weights within themes and theme weights across themes.

    Parameters
    ----------
    themes : Mapping[str, str]
        Layer id -> theme id, for the layers in the score.
    weights : Mapping[str, float]
        Layer id -> weight (>= 0); layers not given weigh 1.
    theme_weights : Mapping[str, float], optional
        Theme id -> weight (>= 0); themes not given weigh 1.

    Returns
    -------
    pandas.Series
        Effective weight per layer, summing to 1.

    Raises
    ------
    TargetingError
        On a negative weight or when all weights are zero.

    Examples
    --------
    >>> effective_weights({"a": "t1", "b": "t1", "c": "t2"}, {"a": 3, "b": 1, "c": 1}).round(3).tolist()
    [0.375, 0.125, 0.5]
    """
    theme_weights = dict(theme_weights or {})
    for name, w in list(weights.items()) + list(theme_weights.items()):
        if not np.isfinite(float(w)) or float(w) < 0:
            raise TargetingError(
                _("Invalid weight {w!r} for {name!r}: weights must be finite and >= 0.").format(
                    w=w, name=name)
            )
    # a handful of layers: plain Python, as this runs on every slider move
    layer_w = {lid: float(weights.get(lid, 1.0)) for lid in themes}
    within: dict[str, float] = {}
    for lid, t in themes.items():
        within[t] = within.get(t, 0.0) + layer_w[lid]
    tw = {t: float(theme_weights.get(t, 1.0)) for t in sorted(within) if within[t] > 0}
    if sum(layer_w.values()) <= 0 or sum(tw.values()) <= 0:
        raise TargetingError(
            _("All weights are zero: give at least one layer (and its theme) a positive weight.")
        )
    total_tw = sum(tw.values())
    eff = {lid: (layer_w[lid] / within[t] * tw[t] / total_tw if within[t] > 0 and t in tw else 0.0)
           for lid, t in themes.items()}
    total = sum(eff.values())
    return pd.Series({lid: e / total for lid, e in eff.items()}, dtype=float, name="effective_weight")


def aggregate(
    normalised: pd.DataFrame, weights: pd.Series, how: str = "arithmetic"
) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Aggregate normalised layers into one score per district.

    Weights are renormalised over the layers each district has.

    Returns
    -------
    (score, coverage, contributions)
        ``coverage`` is the share of the total weight available per district;
        ``contributions`` hold the points each layer adds (rows sum to the
        score; for the geometric mean, the score is split in proportion to
        ``w * ln(x)``).

    Examples
    --------
    >>> s, c, _ = aggregate(pd.DataFrame({"a": [10.0, None], "b": [30.0, 40.0]}),
    ...                     pd.Series({"a": 0.5, "b": 0.5}))
    >>> s.tolist(), c.tolist()
    ([20.0, 40.0], [1.0, 0.5])
    """
    _check_choice("aggregation", how, AGGREGATIONS)
    score, coverage, parts = _aggregate_array(normalised[weights.index].to_numpy(dtype=float),
                                              weights.to_numpy(dtype=float), how)
    idx = normalised.index
    return (
        pd.Series(score, index=idx, name="score"),
        pd.Series(coverage, index=idx, name="data_coverage"),
        pd.DataFrame(parts, index=idx, columns=weights.index),
    )


def _aggregate_array(x: np.ndarray, w: np.ndarray, how: str, *, parts: bool = True
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Score, coverage and (with ``parts``) contributions of :func:`aggregate`, on arrays."""
    have = ~np.isnan(x)
    w_avail = have @ w
    coverage = np.round(w_avail / w.sum(), 12)
    contrib = None
    with np.errstate(invalid="ignore", divide="ignore"):
        if how == "arithmetic":
            weighted = np.where(have, x, 0.0) * w
            score = weighted.sum(axis=1) / w_avail
            if parts:
                contrib = weighted / w_avail[:, None]
        else:
            if np.nanmin(x, initial=np.inf) <= 0:
                raise TargetingError(
                    _("Geometric aggregation needs values above zero; use min-max (1-100) or rank "
                    "normalisation.")
                )
            logs = np.where(have, np.log(np.where(have, x, 1.0)) * w, 0.0)
            log_total = logs.sum(axis=1)
            score = np.exp(log_total / w_avail)
            if parts:
                share = np.where(log_total[:, None] > 0, logs / log_total[:, None], have * w / w_avail[:, None])
                contrib = share * score[:, None]
    ok = w_avail > 0
    score = np.where(ok, score, np.nan)
    if contrib is not None and not ok.all():
        contrib[~ok] = np.nan
    return score, coverage, contrib


def _theme_scores(x: np.ndarray, w: np.ndarray, theme_of: Sequence[int], n_themes: int, how: str) -> np.ndarray:
    """Each theme's sub-index (columns), aggregating its layers with their weights renormalised.

    The same as :func:`_aggregate_array` per theme (the common rescaling of the weights cancels),
    for all themes at once with two matrix products.
    """
    member = np.zeros((len(w), n_themes))
    member[np.arange(len(w)), theme_of] = 1.0
    have = ~np.isnan(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(have, np.log(np.where(have, x, 1.0)) if how == "geometric" else x, 0.0) * w
        avail = have @ (member * w[:, None])
        sub = (terms @ member) / avail
        if how == "geometric":
            sub = np.exp(sub)
    return np.where(avail > 0, sub, np.nan)


def rank_scores(score: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Rank scores (1 = highest) and cut them into deciles (1 = the 10 % most in need).

    Ties share the best rank (competition ranking); missing scores get no rank.
    ``decile = floor((rank - 1) * 10 / N) + 1`` over the N ranked districts,
    so the top district is always in decile 1.

    Examples
    --------
    >>> r, d = rank_scores(pd.Series([5.0, 9.0, 9.0, None]))
    >>> r.tolist(), d.tolist()
    ([3, 1, 1, <NA>], [7, 1, 1, <NA>])
    """
    rank = _competition_rank(score.to_numpy(dtype=float))
    missing = np.isnan(rank)
    n = int((~missing).sum())
    decile = np.floor((rank - 1) * 10.0 / max(n, 1)) + 1
    as_int = [pd.arrays.IntegerArray(np.where(missing, 0, a).astype("int64"), missing.copy()) for a in (rank, decile)]
    return (pd.Series(as_int[0], index=score.index, name="rank"),
            pd.Series(as_int[1], index=score.index, name="decile"))


def _competition_rank(score: np.ndarray) -> np.ndarray:
    """Rank 1 for the highest score, ties sharing the best rank, NaN for a missing score."""
    missing = np.isnan(score)
    key = np.where(missing, np.inf, -score)
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    start = np.ones(len(key), dtype=bool)
    start[1:] = ordered[1:] != ordered[:-1]
    first = np.maximum.accumulate(np.where(start, np.arange(len(key)), 0))
    rank = np.empty(len(key))
    rank[order] = first + 1.0
    rank[missing] = np.nan
    return rank


def _informative(x: np.ndarray, columns: Sequence[str]
                 ) -> tuple[list[str], list[str], tuple[np.ndarray, np.ndarray]]:
    """The columns of ``x`` with at least two distinct values, a note for each left out, and each
    column's range."""
    notes, keep = [], []
    lo, hi = _column_range(x)
    for col, any_value, spread in zip(columns, ~np.isnan(lo), hi > lo):
        if spread:
            keep.append(col)
        else:
            what = _("has the same value everywhere") if any_value else _("has no data")
            notes.append(_("Layer {col!r} {what} at this level and was left out of the score.").format(
                col=col, what=what))
    return keep, notes, (lo, hi)


def score(
    values: pd.DataFrame,
    *,
    higher_is_worse: Mapping[str, bool],
    themes: Mapping[str, str],
    weights: Mapping[str, float] | None = None,
    theme_weights: Mapping[str, float] | None = None,
    method: Method | None = None,
) -> ScoreResult:
    """Compute the composite score, theme sub-indices, ranks and contributions.

    Parameters
    ----------
    values : pandas.DataFrame
        Raw layer values, one column per layer, one row per district.
    higher_is_worse : Mapping[str, bool]
        Direction per layer.
    themes : Mapping[str, str]
        Theme per layer.
    weights, theme_weights : Mapping[str, float], optional
        Raw weights (rescaled here); missing entries weigh 1. Layers with a
        zero weight are shown but do not count.
    method : Method, optional

    Returns
    -------
    ScoreResult

    Raises
    ------
    TargetingError
        No layer, all weights zero, a negative or infinite weight, an infinite
        value, or geometric aggregation of values that are not positive.

    Examples
    --------
    >>> v = pd.DataFrame({"a": [0.0, 5.0, 10.0], "b": [1.0, 1.5, 2.0]}, index=["x", "y", "z"])
    >>> r = score(v, higher_is_worse={"a": True, "b": False}, themes={"a": "t", "b": "t"})
    >>> r.table["score"].tolist()
    [50.0, 50.0, 50.0]
    """
    method = method or Method()
    weights = dict(weights or {})
    if values.shape[1] == 0:
        raise TargetingError(_("No layers selected: choose at least one layer to score."))
    _check_finite(values)
    raw = values.to_numpy(dtype=float)
    usable_cols, notes, (lo, hi) = _informative(raw, values.columns)
    zero = [c for c in usable_cols if float(weights.get(c, 1.0)) == 0.0]
    counted = [c for c in usable_cols if c not in zero]
    if not counted:
        raise TargetingError(
            _("All weights are zero or no selected layer has data: give at least one layer with "
            "data a positive weight.")
        )
    eff = effective_weights({c: themes[c] for c in counted}, weights, theme_weights)

    lower = 1.0 if method.aggregation == "geometric" else 0.0
    actions: dict[str, str] = {}
    if method.outliers == "coinr" or method.normalisation == "rank":
        treated = pd.DataFrame(raw, index=values.index, columns=values.columns)[usable_cols]
        if method.outliers == "coinr":
            treated, actions = treat_outliers(treated)
            notes += [_("Layer {c!r}: {a} (COINr outlier rule).").format(
                c=c, a=a) for c, a in actions.items()]
        norm = normalise(orient(treated, higher_is_worse), method.normalisation, lower=lower)
    else:  # the common case on every slider move: straight on arrays
        at = _positions(values.columns, usable_cols)
        picked = raw if len(usable_cols) == len(values.columns) else raw[:, at]
        x, oriented_range = _oriented_rescaled(picked, _signs(usable_cols, higher_is_worse), (lo[at], hi[at]))
        norm = pd.DataFrame(_normalise_array(x, method.normalisation, lower, inplace=True,
                                             column_range=oriented_range), index=values.index, columns=usable_cols)

    position = {c: j for j, c in enumerate(norm.columns)}
    x = norm.to_numpy()
    cols = [position[c] for c in counted]
    counted_x = x if cols == list(range(x.shape[1])) else x[:, cols]
    composite, coverage, parts = _aggregate_array(counted_x, eff.to_numpy(dtype=float), method.aggregation)
    index = values.index
    composite, unscored = _apply_missing_policy(pd.Series(composite, index=index, name="score"),
                                                pd.Series(coverage, index=index, name="data_coverage"), method)
    parts[composite.isna().to_numpy()] = np.nan

    table = pd.DataFrame({"score": composite})
    # ranked on scores rounded to 1e-9, as the Monte Carlo does: sums in another order never split a tie
    table["rank"], table["decile"] = rank_scores(composite.round(9))
    table["data_coverage"] = coverage
    theme_ids = sorted(set(themes[c] for c in counted))
    for theme, sub in zip(theme_ids, _theme_scores(counted_x, eff.to_numpy(dtype=float),
                                                   [theme_ids.index(themes[c]) for c in counted],
                                                   len(theme_ids), method.aggregation).T):
        table[f"theme_{theme}"] = sub
    if list(counted) == list(values.columns):  # the usual case: no copies
        contributions = parts
    else:
        contributions = np.full((len(index), values.shape[1]), np.nan)
        contributions[:, _positions(values.columns, counted)] = parts
    return ScoreResult(
        table=table,
        normalised=norm if list(norm.columns) == list(values.columns) else norm.reindex(columns=values.columns),
        contributions=pd.DataFrame(contributions, index=index, columns=values.columns),
        effective_weights=eff.reindex(values.columns).fillna(0.0),
        unscored=unscored,
        notes=notes,
        method=method,
        treatments=actions,
    )


def _apply_missing_policy(
    composite: pd.Series, coverage: pd.Series, method: Method
) -> tuple[pd.Series, pd.DataFrame]:
    threshold = 1.0 - 1e-9 if method.missing == "exclude" else method.min_coverage
    none = composite.isna().to_numpy()
    too_low = ~none & (coverage.to_numpy() < threshold)
    mask = none | too_low
    low_cov = coverage[too_low]
    if method.missing == "exclude":
        low_reasons = [_("incomplete data (missing-data policy 'exclude')")] * len(low_cov)
    else:
        low_reasons = [_("data coverage {c} below the minimum {min_coverage}").format(
            c=format_spec(c, ".0%"), min_coverage=format_spec(method.min_coverage, ".0%")) for c in low_cov]
    reasons = pd.Series(_("no data for any weighted layer"), index=composite.index[mask], dtype=object)
    reasons[low_cov.index] = low_reasons
    unscored = pd.DataFrame({"reason": reasons, "data_coverage": coverage[mask]})
    return composite.where(~mask), unscored
