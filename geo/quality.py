"""Data checks on indicator layers and a reliability label per district.

The layer checks are those of UNHCR's A2SIT (after the JRC/OECD Handbook):
an indicator is flagged when it is available for fewer than 66 % of the
districts, when more than half of its values are identical, when it correlates
above 0.9 (in absolute value) with another indicator (double counting), or when
it correlates below -0.4 with the rest of its theme. Flags are advice: nothing
is removed from the score.

:func:`index_checks` checks the *index* built from them, on the scored result:
effective weights, each layer's share of the score's variance and its
first-order importance beside its weight (Paruolo, Saisana & Saltelli 2013),
squashed layers, the COINr outlier rule, the internal consistency of each
theme (Cronbach's alpha), themes that double count, and top-decile districts
resting on few people. Every flag names the layer, theme or districts and what
to do.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from dataclasses import dataclass, field

from geo.errors import TargetingError
from geo.i18n import _, format_number, format_percent, format_spec
from geo.scoring import ScoreResult, meets_coinr_rule, skew_kurtosis, normalise, orient

__all__ = [
    "LOW_AVAILABILITY",
    "MANY_IDENTICAL",
    "DOUBLE_COUNTING",
    "NEGATIVE_IN_THEME",
    "MIN_PAIRS",
    "RELIABILITY_LABELS",
    "indicator_checks",
    "district_reliability",
    "CheckThresholds",
    "IndexChecks",
    "index_checks",
    "first_order_importance",
    "cronbach_alpha",
    "check_lines",
]

LOW_AVAILABILITY = 0.66
MANY_IDENTICAL = 0.5
DOUBLE_COUNTING = 0.9
NEGATIVE_IN_THEME = -0.4
MIN_PAIRS = 3
"""Fewest districts with both values for a correlation (two points always give |r| = 1)."""
RELIABILITY_LABELS = ("good", "partial", "low")


def _share_identical(x: pd.Series) -> float:
    counts = x.dropna().value_counts()
    return float(counts.iloc[0] / counts.sum()) if len(counts) else float("nan")


def _most_correlated(oriented: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    corr = oriented.corr(method="pearson", min_periods=MIN_PAIRS).abs()
    corr = corr.mask(np.eye(len(corr), dtype=bool))
    partner = pd.Series(
        [corr.loc[c].idxmax() if corr.loc[c].notna().any() else None for c in corr.index],
        index=corr.index,
        dtype=object,
    )
    return corr.max(axis=1, skipna=True).astype(float), partner


def _corr_with_theme(oriented: pd.DataFrame, themes: Mapping[str, str]) -> pd.Series:
    scaled = normalise(oriented, "minmax")
    out = {}
    for col in oriented.columns:
        others = [c for c in oriented.columns if c != col and themes[c] == themes[col]]
        rest = scaled[others].mean(axis=1, skipna=True) if others else None
        out[col] = oriented[col].corr(rest, min_periods=MIN_PAIRS) if rest is not None else np.nan
    return pd.Series(out, dtype=float)


def _flag_text(row: pd.Series) -> str:
    parts = []
    if row["low_availability"]:
        parts.append(_("low availability ({share} of districts)").format(
            share=format_percent(100 * row["availability"], 0)))
    if row["many_identical"]:
        parts.append(_("many identical values ({share} share one value)").format(
            share=format_percent(100 * row["share_identical"], 0)))
    if row["double_counting"]:
        parts.append(_("double counting with {layer!r} (r = {r})").format(
            layer=row["most_correlated_with"], r=format_number(row["max_abs_corr"], 2)))
    if row["negative_in_theme"]:
        parts.append(_("negatively related to its theme (r = {r})").format(
            r=format_number(row["corr_with_theme"], 2)))
    return "; ".join(parts)


def indicator_checks(
    values: pd.DataFrame,
    themes: Mapping[str, str],
    higher_is_worse: Mapping[str, bool],
) -> pd.DataFrame:
    """Run the A2SIT data checks on every layer.

    Parameters
    ----------
    values : pandas.DataFrame
        Raw layer values, one column per layer, one row per district.
    themes : Mapping[str, str]
        Theme per layer.
    higher_is_worse : Mapping[str, bool]
        Direction per layer; correlations are computed on oriented values
        (higher = more need), so a positive correlation means "agrees".

    Returns
    -------
    pandas.DataFrame
        One row per layer (indexed by layer id) with ``availability`` (share
        non-missing), ``low_availability`` (< 0.66), ``share_identical`` (share
        of the most frequent value among non-missing), ``many_identical``
        (> 0.5), ``max_abs_corr`` and ``most_correlated_with`` (Pearson,
        pairwise complete over at least ``MIN_PAIRS`` districts; NaN when no
        other layer qualifies),
        ``double_counting``
        (> 0.9), ``corr_with_theme`` (with the mean of the other layers of the
        theme, each min-max normalised; NaN for a theme's only layer),
        ``negative_in_theme`` (< -0.4) and
        ``flags``, the raised checks in words ("" when none).

    Raises
    ------
    TargetingError
        When a layer has no theme or no direction.

    Examples
    --------
    >>> v = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 4.0, 6.0, 8.0],
    ...                   "c": [1.0, 1.0, 1.0, 2.0]})
    >>> t = indicator_checks(v, {"a": "t", "b": "t", "c": "t"}, {"a": True, "b": True, "c": True})
    >>> t["double_counting"].tolist(), t["many_identical"].tolist()
    ([True, True, False], [False, False, True])
    """
    if values.shape[1] == 0:
        raise TargetingError(_("No layers given: values must have at least one layer column."))
    no_theme = [c for c in values.columns if c not in themes]
    if no_theme:
        raise TargetingError(_("No theme declared for layer(s) {no_theme}; set themes.").format(
            no_theme=no_theme))
    oriented = orient(values, higher_is_worse)
    best, partner = _most_correlated(oriented)
    table = pd.DataFrame(index=pd.Index(values.columns, name="layer"))
    table["availability"] = values.notna().mean().astype(float)
    table["low_availability"] = table["availability"] < LOW_AVAILABILITY
    table["share_identical"] = [_share_identical(values[c]) for c in values.columns]
    table["many_identical"] = table["share_identical"] > MANY_IDENTICAL
    table["max_abs_corr"] = best
    table["most_correlated_with"] = partner
    table["double_counting"] = table["max_abs_corr"] > DOUBLE_COUNTING
    table["corr_with_theme"] = _corr_with_theme(oriented, themes)
    table["negative_in_theme"] = table["corr_with_theme"] < NEGATIVE_IN_THEME
    table["flags"] = table.apply(_flag_text, axis=1).astype(object) if len(table) else ""
    return table


def district_reliability(coverage: pd.Series, *, low: float = 0.66, good: float = 1.0) -> pd.Series:
    """Label each district's data reliability from its data coverage.

    Coverage is the share of the effective weight a district has data for
    (``geo.scoring.score(...).table["data_coverage"]``):

    - ``"good"``: coverage >= ``good`` (by default: data for every layer);
    - ``"partial"``: ``low`` <= coverage < ``good``;
    - ``"low"``: coverage < ``low`` or unknown (the 0.66 default is A2SIT's
      availability threshold).

    Parameters
    ----------
    coverage : pandas.Series
        Data coverage per district, in [0, 1].
    low : float
        Coverage below which the label is ``"low"``.
    good : float
        Coverage from which the label is ``"good"`` (``low <= good <= 1``).

    Returns
    -------
    pandas.Series
        Labels named ``reliability``, indexed like ``coverage``.

    Examples
    --------
    >>> district_reliability(pd.Series([1.0, 0.8, 0.5, None])).tolist()
    ['good', 'partial', 'low', 'low']
    """
    for name, value in (("low", low), ("good", good)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise TargetingError(_("Invalid {name}: {value!r}. It must lie between 0 and 1.").format(
                name=name, value=value))
    if low > good:
        raise TargetingError(
            _("Invalid thresholds: low={low!r} is above good={good!r}; set low <= good.").format(
                low=low, good=good)
        )
    cov = pd.to_numeric(coverage, errors="coerce").astype(float)
    labels = np.where(cov >= good - 1e-9, "good", np.where(cov >= low, "partial", "low"))
    return pd.Series(labels, index=coverage.index, name="reliability", dtype=object)


@dataclass(frozen=True)
class CheckThresholds:
    """Where the index checks of :func:`index_checks` raise a flag (section ``[checks]`` of the config).

    Attributes
    ----------
    max_weight : float
        Largest effective weight of one layer (0.15: no layer above 15 % of the score).
    max_variance_share : float
        Largest share of the score's variance one layer may explain (0.30).
    squashed_iqr, squashed_median : float
        A layer is squashed when the interquartile range of its normalised values
        is below ``squashed_iqr`` points while their median is above
        ``squashed_median`` (10 and 50, on the 0-100 scale): a near-constant added
        to everyone.
    importance_ratio : float
        A layer's share of first-order importance below ``importance_ratio`` times
        its share of the weight is flagged (1/3).
    min_alpha : float
        Cronbach's alpha below which a theme's layers are not one construct (0.5).
    max_theme_corr : float
        Correlation above which two themes double count (0.8).
    small_population : float
        A top-decile district with fewer people than this rests on a small
        population (2,000: a rate on a few hundred adults moves by points when a
        handful of people change).
    """

    max_weight: float = 0.15
    max_variance_share: float = 0.30
    squashed_iqr: float = 10.0
    squashed_median: float = 50.0
    importance_ratio: float = 1.0 / 3.0
    min_alpha: float = 0.5
    max_theme_corr: float = 0.8
    small_population: float = 2000.0


@dataclass(frozen=True)
class IndexChecks:
    """The checks of a scored index (see :func:`index_checks`).

    Attributes
    ----------
    layers : pandas.DataFrame
        One row per layer in the score: ``theme``, ``weight`` (effective),
        ``variance_share``, ``importance`` (first-order, the squared correlation
        ratio), ``importance_share``, ``iqr`` and ``median`` of the normalised
        values, ``squashed``, ``skewness``, ``kurtosis``, ``coinr_rule`` (the
        rule is met by the raw values), ``treatment`` and ``flags``.
    themes : pandas.DataFrame
        One row per scored theme: ``layers`` (count), ``alpha`` (Cronbach's,
        NaN for one layer), ``most_correlated_theme``, ``corr`` and ``flags``.
    small : pandas.DataFrame
        Top-decile districts with fewer people than the threshold: ``rank``,
        ``population``.
    messages : list of str
        Every raised flag as a sentence naming what and what to do.
    """

    layers: pd.DataFrame
    themes: pd.DataFrame
    small: pd.DataFrame
    messages: list[str] = field(default_factory=list)


def first_order_importance(score: pd.Series, x: pd.Series, bins: int | None = None) -> float:
    """First-order importance of ``x`` in ``score``: the squared correlation ratio.

    ``S = V[E(score | x)] / V(score)`` (Paruolo, Saisana & Saltelli 2013,
    *Ratings and rankings: voodoo or science?*, JRSS A 176(3)), estimated as
    Pearson's correlation ratio: districts are sorted by ``x`` and cut into
    ``bins`` groups of (nearly) equal size, ``E(score | x)`` is the mean score
    of each group. ``bins`` defaults to ``round(sqrt(n))`` clipped to 2-20.
    Uses districts with both values; NaN with fewer than 3 or no variance.

    Examples
    --------
    >>> s = pd.Series([1.0, 2.0, 3.0, 4.0])
    >>> first_order_importance(s, pd.Series([1.0, 2.0, 3.0, 4.0]), bins=2)  # means 1.5, 3.5
    0.8
    """
    ok = score.notna() & x.notna()
    y, v = score[ok].to_numpy(dtype=float), x[ok].to_numpy(dtype=float)
    n = len(y)
    if n < MIN_PAIRS or np.var(y) == 0:
        return float("nan")
    k = bins if bins is not None else int(np.clip(round(np.sqrt(n)), 2, 20))
    order = np.argsort(v, kind="mergesort")
    groups = np.empty(n, dtype=int)
    groups[order] = np.arange(n) * k // n
    means = np.bincount(groups, weights=y) / np.bincount(groups)
    return float(np.sum(np.bincount(groups) * (means - y.mean()) ** 2) / (n * np.var(y)))


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's alpha of the columns of ``items`` over the complete rows.

    ``alpha = k / (k - 1) * (1 - sum(var(item)) / var(sum of items))``; NaN for
    fewer than two items or two complete rows.

    Examples
    --------
    >>> cronbach_alpha(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 2.0, 3.0]}))
    1.0
    """
    x = items.dropna()
    k = x.shape[1]
    if k < 2 or len(x) < 2:
        return float("nan")
    total = x.sum(axis=1).var(ddof=1)
    if total == 0:  # items that cancel out exactly: alpha tends to minus infinity
        return float("-inf") if x.var(ddof=1).sum() > 0 else float("nan")
    return float(k / (k - 1) * (1.0 - x.var(ddof=1).sum() / total))


def _variance_shares(result: ScoreResult, layers: list[str]) -> pd.Series:
    """Each layer's share of the score's variance: ``cov(contribution, score) / var(score)`` (they sum to 1)."""
    score = result.table["score"]
    parts = result.contributions[layers]
    ok = score.notna()
    var = float(score[ok].var(ddof=0))
    if not var:
        return pd.Series(np.nan, index=layers)
    centred = score[ok] - score[ok].mean()
    return pd.Series({c: float(((parts.loc[ok, c].fillna(0.0) - parts.loc[ok, c].fillna(0.0).mean())
                                * centred).mean() / var) for c in layers})


def index_checks(
    values: pd.DataFrame,
    result: ScoreResult,
    themes: Mapping[str, str],
    higher_is_worse: Mapping[str, bool],
    *,
    population: pd.Series | None = None,
    names: Mapping[str, str] | None = None,
    thresholds: CheckThresholds | None = None,
) -> IndexChecks:
    """Check a scored index: weights, variance, importance, squashing, outliers, themes, small places.

    Parameters
    ----------
    values : pandas.DataFrame
        The raw layer values the score was computed from.
    result : ScoreResult
        The score (:func:`geo.scoring.score`).
    themes : Mapping[str, str]
        Layer id -> theme id.
    higher_is_worse : Mapping[str, bool]
        Direction per layer.
    population : pandas.Series, optional
        People per district, for the small-population check (skipped without it).
    names : Mapping[str, str], optional
        District code -> name, for the messages.
    thresholds : CheckThresholds, optional
        Where flags are raised (the defaults of :class:`CheckThresholds` when not given).

    Returns
    -------
    IndexChecks

    Examples
    --------
    >>> from geo.scoring import score
    >>> v = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [1.0, 1.0, 1.0, 4.0]}, index=list("wxyz"))
    >>> r = score(v, higher_is_worse={"a": True, "b": True}, themes={"a": "t", "b": "u"})
    >>> c = index_checks(v, r, {"a": "t", "b": "u"}, {"a": True, "b": True})
    >>> c.layers["weight"].tolist()
    [0.5, 0.5]
    >>> "Layer 'a' carries 50% of the effective weight" in c.messages[0]
    True
    """
    th = thresholds or CheckThresholds()
    weights = result.effective_weights
    counted = [c for c in values.columns if c in weights.index and weights[c] > 0 and c in result.normalised]
    if not counted:
        raise TargetingError(_("No weighted layer in the score: nothing to check."))
    score = result.table["score"]
    norm = result.normalised[counted]
    messages: list[str] = []
    layers = pd.DataFrame(index=pd.Index(counted, name="layer"))
    layers["theme"] = [themes[c] for c in counted]
    layers["weight"] = weights[counted].astype(float)
    layers["variance_share"] = _variance_shares(result, counted)
    layers["importance"] = [first_order_importance(score, values[c]) for c in counted]
    total = layers["importance"].sum(skipna=True)
    layers["importance_share"] = layers["importance"] / total if total > 0 else np.nan
    layers["iqr"] = norm.quantile(0.75) - norm.quantile(0.25)
    layers["median"] = norm.median()
    scale_0_100 = result.method.normalisation in ("minmax", "rank")
    layers["squashed"] = scale_0_100 & (layers["iqr"] < th.squashed_iqr) & (layers["median"] > th.squashed_median)
    sk = [skew_kurtosis(values[c].astype(float)) for c in counted]
    layers["skewness"] = [a for a, _unused in sk]
    layers["kurtosis"] = [b for _unused, b in sk]
    layers["coinr_rule"] = [bool(meets_coinr_rule(values[c].astype(float))) for c in counted]
    layers["treatment"] = [result.treatments.get(c, "none") for c in counted]
    flags: dict[str, list[str]] = {c: [] for c in counted}

    def flag(layer: str, short: str, sentence: str) -> None:
        flags[layer].append(short)
        messages.append(sentence)

    for c in counted:
        row = layers.loc[c]
        if row["weight"] > th.max_weight:
            flag(c, f"weight {row['weight']:.0%} > {th.max_weight:.0%}",
                 _("Layer {c!r} carries {row} of the effective weight (above {max_weight}): "
                 "add layers to theme {row2!r} or lower the theme's weight.").format(
                     c=c, row=format_spec(row['weight'], ".0%"), max_weight=format_spec(th.max_weight, ".0%"), row2=row['theme']))
        if row["variance_share"] > th.max_variance_share:
            flag(c, _("explains {row} of the variance").format(row=format_spec(row['variance_share'], ".0%")),
                 _("Layer {c!r} explains {row} of the score's variance (above "
                 "{max_variance_share}): the ranking mostly follows this one layer; check its outliers "
                 "and transform, or lower its weight.").format(
                     c=c, row=format_spec(row['variance_share'], ".0%"), max_variance_share=format_spec(th.max_variance_share, ".0%")))
        if row["squashed"]:
            flag(c, _("squashed (IQR {row}, median {row2})").format(
                row=format_spec(row['iqr'], ".1f"), row2=format_spec(row['median'], ".1f")),
                 _("Layer {c!r} is squashed: its normalised values have an interquartile range of {row} "
                 "points around a median of {row2}, a near-constant added to everyone while a few "
                 "districts set the scale; treat its outliers (outliers = \"coinr\"), transform it (log, per "
                 "capita, percentile rank) or drop it.").format(
                     c=c, row=format_spec(row['iqr'], ".1f"), row2=format_spec(row['median'], ".1f")))
        ratio = row["importance_share"] / row["weight"] if row["weight"] > 0 else np.nan
        if np.isfinite(ratio) and ratio < th.importance_ratio:
            flag(c, _("importance {row} vs weight {row2}").format(
                row=format_spec(row['importance_share'], ".1%"), row2=format_spec(row['weight'], ".1%")),
                 _("Layer {c!r} has {row} of the first-order importance for "
                 "{row2} of the weight (less than {importance_ratio} of it): the score "
                 "hardly follows it; check that it measures the same need as the others (direction, theme) or "
                 "lower its weight.").format(
                     c=c, row=format_spec(row['importance_share'], ".1%"), row2=format_spec(row['weight'], ".1%"), importance_ratio=format_spec(th.importance_ratio, ".2g")))
        if row["coinr_rule"] and row["treatment"] == "none":
            flag(c, _("meets the COINr outlier rule, untreated"),
                 _("Layer {c!r} meets the COINr outlier rule (skewness {row}, kurtosis "
                 "{row2}) but is not treated: set [method] outliers = \"coinr\".").format(
                     c=c, row=format_spec(row['skewness'], ".1f"), row2=format_spec(row['kurtosis'], ".1f")))
    layers["flags"] = pd.Series({c: "; ".join(f) for c, f in flags.items()}, dtype=object)

    theme_ids = sorted(set(layers["theme"]))
    members = {t: [c for c in counted if themes[c] == t] for t in theme_ids}
    tcols = {t: f"theme_{t}" for t in theme_ids if f"theme_{t}" in result.table}
    tcorr = result.table[list(tcols.values())].corr(min_periods=MIN_PAIRS) if len(tcols) > 1 else None
    trows = []
    for t in theme_ids:
        alpha = cronbach_alpha(norm[members[t]]) if len(members[t]) > 1 else float("nan")
        partner, r = None, float("nan")
        if tcorr is not None and t in tcols:
            others = tcorr[tcols[t]].drop(tcols[t]).dropna()
            if len(others):
                partner, r = others.idxmax()[6:], float(others.max())
        tflags = []
        if len(members[t]) == 1:
            tflags.append("one layer")
            messages.append(_("Theme {t!r} has one layer ({members!r}): its whole weight rests on one "
                            "indicator; add a second layer to the theme or merge it into another.").format(
                                t=t, members=members[t][0]))
        elif np.isfinite(alpha) and alpha < th.min_alpha:
            tflags.append(f"Cronbach's alpha {alpha:.2f} < {th.min_alpha:g}")
            messages.append(_("Theme {t!r}: Cronbach's alpha {alpha} (below {min_alpha}) over "
                            "{join}: its layers do not move together; regroup them, or read "
                            "the theme's layers one by one.").format(
                                t=t, alpha=format_spec(alpha, ".2f"), min_alpha=format_spec(th.min_alpha, "g"), join=', '.join(members[t])))
        if partner is not None and r > th.max_theme_corr:
            tflags.append(f"correlates {r:.2f} with {partner!r}")
            if t < partner:  # one sentence per pair
                messages.append(_("Themes {t!r} and {partner!r} correlate at {r} (above "
                                "{max_theme_corr}): they double count one dimension; merge them or lower "
                                "the weight of one.").format(
                                    t=t, partner=partner, r=format_spec(r, ".2f"), max_theme_corr=format_spec(th.max_theme_corr, "g")))
        trows.append({"theme": t, "layers": len(members[t]), "alpha": alpha, "most_correlated_theme": partner,
                      "corr": r, "flags": "; ".join(tflags)})
    theme_table = pd.DataFrame(trows).set_index("theme") if trows else pd.DataFrame()

    small = pd.DataFrame(columns=["rank", "population"])
    if population is not None:
        top = result.table.index[result.table["decile"] == 1]
        pop = pd.to_numeric(population.reindex(top), errors="coerce")
        few = pop[pop < th.small_population]
        small = pd.DataFrame({"rank": result.table.loc[few.index, "rank"], "population": few}).sort_values("rank")
        if len(small):
            label = (lambda code: f"{names.get(code, code)} ({int(small.at[code, 'population']):,})") if names \
                else (lambda code: f"{code} ({int(small.at[code, 'population']):,})")
            shown = ", ".join(label(code) for code in small.index[:5])
            messages.append(
                _("{n_small} of the {n_top} top-decile districts have fewer than {small_population} "
                "people (e.g. {shown}): their rates rest on a small population; read their rank intervals, or "
                "raise the minimum population filter.").format(
                    n_small=len(small), n_top=len(top), small_population=format_spec(th.small_population, ",.0f"), shown=shown)
            )
    return IndexChecks(layers=layers, themes=theme_table, small=small, messages=messages)


def check_lines(checks: IndexChecks) -> list[str]:
    """The index checks as lines of text: weights and importance, the outlier treatment, every flag.

    Examples
    --------
    >>> from geo.scoring import score
    >>> v = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [1.0, 1.0, 1.0, 4.0]}, index=list("wxyz"))
    >>> r = score(v, higher_is_worse={"a": True, "b": True}, themes={"a": "t", "b": "t"})
    >>> check_lines(index_checks(v, r, {"a": "t", "b": "t"}, {"a": True, "b": True}))[0]
    'layers: 2; largest effective weight 50.0% (a); largest share of the score variance 54.2% (b)'
    """
    t = checks.layers
    lines = [
        _("layers: {n_t}; largest effective weight {max} ({idxmax}); "
        "largest share of the score variance {max2} ({idxmax2})").format(
            n_t=len(t), max=format_spec(t['weight'].max(), ".1%"), idxmax=t['weight'].idxmax(), max2=format_spec(t['variance_share'].max(), ".1%"), idxmax2=t['variance_share'].idxmax())
    ]
    treated = t[t["treatment"] != "none"]
    lines.append(_("outlier treatment (COINr rule): ") + (
        "; ".join(f"{c} {a}" for c, a in treated["treatment"].items()) if len(treated) else "none applied"))
    lines += [f"flag: {m}" for m in checks.messages] or [_("no flag raised")]
    return lines
