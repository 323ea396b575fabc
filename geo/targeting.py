"""Targeting views of a score: need x readiness, and how far a top-k rule reaches.

Need x readiness (methodology section 6): LED works best where need is high
and the conditions to act exist. *Need* aggregates the layers of the themes
whose role is "need" (poverty, unemployment, displacement); *readiness* those
whose role is "readiness" (infrastructure and economic base), turned around
so that a higher readiness means better conditions.

Peers: districts with a similar context (standardised structural indicators,
k nearest), and among them the "positive deviants" that do clearly better on
an outcome despite that similar context.

Coverage: districts sorted by score; the cumulative share of a target group
(unemployed people, illiterate adults, households without electricity...)
reached by the first k districts, and the inclusion and exclusion errors of a
top-k rule.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from geo.i18n import _
from geo.errors import TargetingError
from geo.scoring import ScoreResult, aggregate

__all__ = [
    "QUADRANTS",
    "need_readiness",
    "coverage_curve",
    "districts_to_reach",
    "districts_for_population",
    "both_lenses",
    "top_k_errors",
    "peers",
]

QUADRANTS = (
    "high need, ready to scale",
    "high need, foundations first",
    "lower need, ready to scale",
    "lower need, foundations first",
)


def need_readiness(
    result: ScoreResult,
    themes: Mapping[str, str],
    roles: Mapping[str, str],
    *,
    need_threshold: float | None = None,
    readiness_threshold: float | None = None,
) -> pd.DataFrame:
    """Need and readiness sub-indices and the quadrant of each district.

    Parameters
    ----------
    result : ScoreResult
        A scored level: its normalised values (higher = more need) and effective weights.
    themes : Mapping[str, str]
        Layer id -> theme id.
    roles : Mapping[str, str]
        Theme id -> "need", "readiness" or "context" (context themes weigh 0 and join neither axis).
    need_threshold, readiness_threshold : float, optional
        Where "high" starts on each axis; default: the median of the districts.

    Returns
    -------
    pandas.DataFrame
        ``need``, ``readiness`` (on the scale of the normalisation: 0-100 for
        min-max and rank, where readiness = 100 - the readiness layers' need
        sub-index; z-score units otherwise, negated) and ``quadrant``
        (missing when either axis is missing).

    Raises
    ------
    TargetingError
        When no weighted layer plays one of the two roles.

    Examples
    --------
    >>> from geo.scoring import score
    >>> v = pd.DataFrame({"pov": [10.0, 50.0, 90.0], "road": [1.0, 9.0, 5.0]}, index=list("abc"))
    >>> r = score(v, higher_is_worse={"pov": True, "road": True}, themes={"pov": "poverty", "road": "infrastructure"})
    >>> nr = need_readiness(r, {"pov": "poverty", "road": "infrastructure"},
    ...                     {"poverty": "need", "infrastructure": "readiness"})
    >>> nr["readiness"].tolist(), nr.loc["c", "quadrant"]
    ([100.0, 0.0, 50.0], 'high need, ready to scale')
    """
    weights = result.effective_weights[result.effective_weights > 0]
    axes = {}
    for role in ("need", "readiness"):
        members = [lid for lid in weights.index if roles.get(themes.get(lid, ""), "") == role]
        if not members:
            raise TargetingError(
                _("No weighted layer has the role {role!r}: give a weight to a layer of a theme whose role is "
                "{role!r} (themes by role: {dict}).").format(role=role, dict=dict(roles))
            )
        sub, _unused, _unused = aggregate(result.normalised[members], weights[members] / weights[members].sum(),
                              result.method.aggregation)
        axes[role] = sub
    zscale = result.method.normalisation == "zscore"
    readiness = -axes["readiness"] if zscale else 100.0 - axes["readiness"]
    out = pd.DataFrame({"need": axes["need"], "readiness": readiness})
    nt = out["need"].median() if need_threshold is None else need_threshold
    rt = out["readiness"].median() if readiness_threshold is None else readiness_threshold
    high, ready = out["need"] >= nt, out["readiness"] >= rt
    quadrant = np.select(
        [high & ready, high & ~ready, ~high & ready], list(QUADRANTS[:3]), default=QUADRANTS[3]
    ).astype(object)
    quadrant[(out["need"].isna() | out["readiness"].isna()).to_numpy()] = None
    out["quadrant"] = quadrant
    return out


def coverage_curve(score: pd.Series, target: pd.Series, population: pd.Series | None = None) -> pd.DataFrame:
    """Cumulative share of a target group reached by the k highest-scoring districts.

    Parameters
    ----------
    score : pandas.Series
        The score per district (higher = more in need); unscored districts come last.
    target : pandas.Series
        Number of people (or households) of the target group per district.
    population : pandas.Series, optional
        Total population per district, for the share of all people covered.

    Returns
    -------
    pandas.DataFrame
        One row per district in targeting order: ``k`` (1..N), ``code``,
        ``target``, ``target_reached`` (cumulative), ``share_reached`` (of the
        target group's total) and, with a population, ``population_share``.

    Examples
    --------
    >>> c = coverage_curve(pd.Series([3.0, 1.0, 2.0], index=list("abc")), pd.Series([10, 30, 60], index=list("abc")))
    >>> c["code"].tolist(), c["share_reached"].round(2).tolist()
    (['a', 'c', 'b'], [0.1, 0.7, 1.0])
    """
    target = target.reindex(score.index).astype(float)
    if (target < 0).any():
        raise TargetingError(_("The target group has negative counts; counts must be >= 0."))
    total = target.sum(skipna=True)
    if not total > 0:
        raise TargetingError(_("The target group is empty (no district has a count): choose another target."))
    order = score.sort_values(ascending=False, na_position="last", kind="mergesort").index
    t = target.reindex(order).fillna(0.0)
    out = pd.DataFrame({"k": np.arange(1, len(order) + 1), "code": order.astype(str), "target": t.to_numpy()})
    out["target_reached"] = t.cumsum().to_numpy()
    out["share_reached"] = out["target_reached"] / total
    if population is not None:
        p = population.reindex(order).astype(float).fillna(0.0)
        out["population_share"] = (p.cumsum() / p.sum()).to_numpy()
    return out


def districts_to_reach(curve: pd.DataFrame, share: float) -> int:
    """The smallest k whose top-k districts reach ``share`` (0-1) of the target group.

    Examples
    --------
    >>> c = coverage_curve(pd.Series([3.0, 1.0, 2.0]), pd.Series([10, 30, 60]))
    >>> districts_to_reach(c, 0.5)
    2
    """
    if not 0 < share <= 1:
        raise TargetingError(_("Invalid share {share!r}: give a share between 0 and 1 (e.g. 0.5 for 50 %).").format(
            share=share))
    reached = curve["share_reached"].to_numpy() >= share - 1e-12
    return int(curve["k"].to_numpy()[np.argmax(reached)])


def districts_for_population(curve: pd.DataFrame, share: float) -> int:
    """The number of districts, taken in targeting order, that hold ``share`` (0-1) of the population.

    Targeting people rather than districts: the first k districts whose cumulative population
    reaches ``share`` (the district straddling the line included). ``curve`` needs the
    ``population_share`` column of :func:`coverage_curve`.

    Examples
    --------
    >>> c = coverage_curve(pd.Series([3.0, 1.0, 2.0]), pd.Series([10, 30, 60]), pd.Series([100, 300, 600]))
    >>> districts_for_population(c, 0.5)
    2
    """
    if "population_share" not in curve.columns:
        raise TargetingError(_("The coverage curve has no population: build it with coverage_curve(..., population)."))
    if not 0 < share <= 1:
        raise TargetingError(_("Invalid share {share!r}: give a share of the population between 0 and 1 (e.g. 0.1).").format(
            share=share))
    reached = curve["population_share"].to_numpy() >= share - 1e-12
    return int(curve["k"].to_numpy()[np.argmax(reached)]) if reached.any() else len(curve)


def both_lenses(rate: pd.Series, count: pd.Series, score: pd.Series, n: int = 10) -> pd.DataFrame:
    """The districts most in need by share and by number of people, side by side.

    Parameters
    ----------
    rate : pandas.Series
        A layer's rate per district (e.g. the unemployment rate).
    count : pandas.Series
        The people it concerns per district (:func:`geo.counts.layer_counts`).
    score : pandas.Series
        The composite score (higher = more in need).
    n : int
        Districts shown: the union of the top ``n`` by score and the top ``n`` by count.

    Returns
    -------
    pandas.DataFrame
        Indexed by district: ``rate``, ``count``, ``count_share`` (of the total), ``rank_by_score``,
        ``rank_by_count`` (1 = most people), sorted by score.

    Examples
    --------
    >>> r, c = pd.Series([50.0, 5.0], index=["a", "b"]), pd.Series([100.0, 5000.0], index=["a", "b"])
    >>> both_lenses(r, c, pd.Series([90.0, 10.0], index=["a", "b"]))["rank_by_count"].tolist()
    [2, 1]
    """
    frame = pd.DataFrame({"rate": rate, "count": count.reindex(rate.index), "score": score.reindex(rate.index)})
    total = float(frame["count"].sum())
    frame["count_share"] = frame["count"] / total if total > 0 else np.nan
    frame["rank_by_score"] = frame["score"].rank(ascending=False, method="min").astype("Int64")
    frame["rank_by_count"] = frame["count"].rank(ascending=False, method="min").astype("Int64")
    keep = (frame["rank_by_score"] <= n) | (frame["rank_by_count"] <= n)
    out = frame[keep.fillna(False)].sort_values("score", ascending=False, kind="mergesort")
    return out[["rate", "count", "count_share", "rank_by_score", "rank_by_count"]]


def top_k_errors(curve: pd.DataFrame, k: int, population: pd.Series | None = None) -> dict[str, float]:
    """Coverage and errors of targeting the first ``k`` districts of a curve.

    Returns
    -------
    dict
        ``reached`` (target people in the top k), ``coverage`` (their share of
        the target group), ``exclusion_error`` (share of the target group left
        outside the top k) and, with a population, ``inclusion_error`` (share
        of the people living in the top k who are not in the target group).

    Examples
    --------
    >>> c = coverage_curve(pd.Series([3.0, 1.0], index=["a", "b"]), pd.Series([10, 30], index=["a", "b"]))
    >>> top_k_errors(c, 1, pd.Series([100, 100], index=["a", "b"]))["inclusion_error"]
    0.9
    """
    if not 0 <= k <= len(curve):
        raise TargetingError(_("Invalid k {k!r}: choose between 0 and {n_curve} districts.").format(
            k=k, n_curve=len(curve)))
    reached = float(curve["target"].iloc[:k].sum())
    total = float(curve["target"].sum())
    out = {"k": float(k), "reached": reached, "coverage": reached / total, "exclusion_error": 1 - reached / total}
    if population is not None:
        people = float(population.reindex(pd.Index(curve["code"].iloc[:k])).astype(float).sum())
        out["inclusion_error"] = 1 - reached / people if people > 0 else float("nan")
    return out


def peers(
    context: pd.DataFrame,
    outcome: pd.Series,
    code: str,
    *,
    k: int = 10,
    min_gap: float | None = None,
    values: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ``k`` districts most similar to ``code`` in context, and which of them do clearly better.

    Parameters
    ----------
    context : pandas.DataFrame
        Structural indicators (population, urban share, distance to road...),
        one row per district. Each column is standardised (z-score); a missing
        value counts as the column mean. Distance is Euclidean.
    outcome : pandas.Series
        The outcome to learn about, higher = worse (e.g. a theme's need sub-index).
    code : str
        The district looking for peers.
    k : int
        Number of peers.
    min_gap : float, optional
        How much lower a peer's outcome must be to count as a positive deviant;
        default half a standard deviation of the outcome over all districts.
    values : pandas.DataFrame, optional
        Layer values; when given, ``differs`` lists the three layers where the
        peer differs most from the district (in standard deviations).

    Returns
    -------
    pandas.DataFrame
        Indexed by peer code, nearest first: ``distance``, ``outcome``, ``gap``
        (district's outcome minus the peer's: positive = the peer does better),
        ``positive_deviant`` and, with ``values``, ``differs``.

    Examples
    --------
    >>> ctx = pd.DataFrame({"pop": [1.0, 1.1, 5.0, 1.2]}, index=list("abcd"))
    >>> out = peers(ctx, pd.Series([80.0, 40.0, 10.0, 79.0], index=list("abcd")), "a", k=2)
    >>> out.index.tolist(), out["positive_deviant"].tolist()
    (['b', 'd'], [True, False])
    """
    if code not in context.index:
        raise TargetingError(_("Unknown district {code!r}: it has no context row.").format(code=code))
    if context.shape[1] == 0:
        raise TargetingError(_("No context indicators: choose at least one (e.g. population)."))
    x = context.astype(float)
    sd = x.std(ddof=0).replace(0, np.nan)
    z = ((x - x.mean()) / sd).fillna(0.0)
    dist = np.sqrt(((z - z.loc[code]) ** 2).sum(axis=1)).drop(index=code)
    candidates = dist[outcome.reindex(dist.index).notna()]
    nearest = candidates.sort_values(kind="mergesort").head(max(int(k), 1))
    gap_needed = 0.5 * float(outcome.std(ddof=0)) if min_gap is None else float(min_gap)
    own = float(outcome.get(code, np.nan))
    out = pd.DataFrame({"distance": nearest, "outcome": outcome.reindex(nearest.index)})
    out["gap"] = own - out["outcome"]
    out["positive_deviant"] = out["gap"] > gap_needed
    if values is not None:
        v = values.astype(float)
        vz = (v - v.mean()) / v.std(ddof=0).replace(0, np.nan)
        out["differs"] = [_differs(vz, code, p) for p in out.index]
    return out


def _differs(vz: pd.DataFrame, code: str, peer: str, n: int = 3) -> str:
    diff = (vz.loc[peer] - vz.loc[code]).dropna()
    top = diff.reindex(diff.abs().sort_values(ascending=False).index[:n])
    return ", ".join(f"{c} ({d:+.1f} sd)" for c, d in top.items())
