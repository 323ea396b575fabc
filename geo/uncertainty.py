"""Monte Carlo uncertainty of district ranks.

How much does a district's rank depend on choices a user could reasonably have
made differently? Following the JRC/OECD Handbook and COINr, each draw:

1. multiplies every raw layer weight, and every theme weight, by a factor drawn
   from ``U(1 - noise, 1 + noise)`` (COINr's example uses ``noise = 0.25``);
   the weights are then rescaled within themes and across themes exactly as in
   :func:`geo.scoring.effective_weights`;
2. picks a normalisation and an aggregation uniformly among the allowed valid
   pairs (z-scores are never combined with the geometric mean);
3. optionally leaves one layer out (chosen uniformly);
4. with ``data`` (a :class:`geo.sampling.DataNoise`), uses one of ``data.replicates`` data
   sets drawn from the data's own precision: a rate with a known denominator from
   ``Binomial(m, p) / m`` on the people it was measured on, a layer with a standard error
   from ``N(value, se^2)`` clipped to its valid range (see :mod:`geo.sampling`). The draws
   are spread evenly over the data sets, so that the data's share of the rank variance is a
   factor of :func:`sensitivity` like the others (``data``);
5. scores every district over the layers it has, with the weights renormalised
   over them (as :func:`geo.scoring.score`), and ranks the scores (1 = highest,
   ties share the best rank).

The districts scored are those :func:`geo.scoring.score` scores with the
reference method (the ``min_coverage`` / ``exclude`` rule is applied once, with
the reference weights); the others have no rank in any draw and are reported.

Reported per district: the median rank, the 5th-95th percentile rank interval
and the share of draws in the top ``top_k``; overall, the average shift in rank
``(1/M) * sum(|rank_ref - rank|)`` over draws and districts.

:func:`sensitivity` then splits the variance of the ranks between the choices
(first-order, variance-based indices, as in the handbook's sensitivity analysis):
which choice moves the ranking most, the normalisation-aggregation pair or the
weight of one layer or theme.

The computation is vectorised: the normalised matrices are computed once per
normalisation, and each chunk of draws is scored with two matrix products
(weighted sums of the filled values and of the availability mask) and ranked
with one sort; memory grows with ``chunk`` x districts (per core used), not with ``draws``
(apart from the ``draws x districts`` ``int32`` rank matrix that is returned, which is
refused beyond ``memory_limit`` bytes). The summaries and :func:`sensitivity` read that
matrix in blocks of districts, so no ``float64`` copy of it is ever made.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from geo.i18n import _, format_spec
from geo.errors import TargetingError
from geo.scoring import (
    AGGREGATIONS,
    NORMALISATIONS,
    Method,
    effective_weights,
    normalise,
    orient,
    treat_outliers,
)

__all__ = ["UncertaintyResult", "rank_uncertainty", "sensitivity", "MEMORY_LIMIT"]

_QUANTILES = (0.05, 0.5, 0.95)
MEMORY_LIMIT = 512 * 2**20
"""Default bound (bytes) of the ``draws x districts`` rank matrix: 512 MiB, e.g. 2,684 draws of 50,000."""
_BLOCK = 4096  # districts per block in :func:`sensitivity`
_SORT_BLOCK = 256  # districts per block when sorting their ranks: the transposed block stays in cache


@dataclass(frozen=True)
class UncertaintyResult:
    """Ranks of every district over the Monte Carlo draws.

    Attributes
    ----------
    table : pandas.DataFrame
        ``rank_median, rank_p05, rank_p95, p_top_k`` (float), indexed like the
        input; NaN for districts without a score.
    reference_rank : pandas.Series
        Rank with the reference weights and method (``Int64``; missing when
        unscored); equals ``geo.scoring.score(...).table["rank"]``.
    mean_shift : float
        Average ``|rank_ref - rank|`` over draws and ranked districts.
    ranks : numpy.ndarray
        ``draws x districts`` ``int32`` ranks (columns in the input's order);
        ``-1`` where a district has no rank in a draw.
    settings : dict
        The settings used (draws, noise, pairs of normalisation and
        aggregation, leave-one-out, top_k, seed, chunk, reference method,
        layers).
    unscored : pandas.Index
        Districts left without a score by the reference method's missing-data
        rule.
    factors : pandas.DataFrame
        The choices of each draw (rows): ``method`` (the normalisation and
        aggregation pair), ``weight: <layer>`` and ``theme weight: <theme>``
        (the noise factors), with leave-one-out ``left out`` and, with data draws, ``data`` (the
        data set used).
    """

    table: pd.DataFrame
    reference_rank: pd.Series
    mean_shift: float
    ranks: np.ndarray
    settings: dict[str, Any]
    unscored: pd.Index = field(default_factory=lambda: pd.Index([]))
    factors: pd.DataFrame = field(default_factory=pd.DataFrame)


def _valid_pairs(normalisations: Sequence[str], aggregations: Sequence[str]) -> list[tuple[str, str]]:
    for name, chosen, allowed in (
        ("normalisations", normalisations, NORMALISATIONS),
        ("aggregations", aggregations, AGGREGATIONS),
    ):
        if isinstance(chosen, str):
            raise TargetingError(
                _("Invalid {name}: {chosen!r} is a single string; pass a list such as [{chosen!r}].").format(
                    name=name, chosen=chosen)
            )
        bad = [c for c in chosen if c not in allowed]
        if bad or len(chosen) == 0:
            raise TargetingError(
                _("Invalid {name}: {list!r}. Choose one or more of {list2}.").format(
                    name=name, list=list(chosen), list2=list(allowed))
            )
    pairs = [
        (n, a)
        for n in dict.fromkeys(normalisations)
        for a in dict.fromkeys(aggregations)
        if not (n == "zscore" and a == "geometric")
    ]
    if not pairs:
        raise TargetingError(
            _("Invalid normalisations/aggregations: z-scores cannot be aggregated geometrically and "
            "no other pair is allowed; add 'minmax' or 'rank', or the 'arithmetic' aggregation.")
        )
    return pairs


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise TargetingError(_("Invalid {name}: {value!r}. It must be a whole number >= {minimum}.").format(
            name=name, value=value, minimum=minimum))
    return int(value)


def _check_settings(draws: int, noise: float, top_k: int, seed: int, chunk: int) -> None:
    _check_int("draws", draws, 1)
    _check_int("top_k", top_k, 1)
    _check_int("chunk", chunk, 1)
    _check_int("seed", seed, 0)
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0.0 <= float(noise) < 1.0:
        raise TargetingError(
            _("Invalid noise: {noise!r}. It must lie in [0, 1) (0.25 perturbs each weight by up "
            "to 25 %).").format(noise=noise)
        )


def _check_memory(draws: int, districts: int, limit: int) -> None:
    need = int(draws) * int(districts) * 4
    if need > limit:
        most = max(limit // max(4 * int(districts), 1), 0)
        raise TargetingError(
            _("Invalid draws: {draws} draws x {districts} districts need {value} MiB of ranks, over the "
            "memory limit of {value2} MiB; use at most {most} draws (or raise memory_limit).").format(
                draws=format_spec(draws, ","), districts=format_spec(districts, ","), value=format_spec(need / 2 ** 20, ",.0f"), value2=format_spec(limit / 2 ** 20, ",.0f"), most=format_spec(most, ","))
        )


def _treated(raw: pd.DataFrame, method: Method) -> pd.DataFrame:
    return treat_outliers(raw)[0] if method.outliers == "coinr" else raw


def _shift_sums(ranks: np.ndarray, ref_rank: np.ndarray) -> tuple[int, int]:
    """Sum of ``|rank_ref - rank|`` over the draws and ranked districts of a block, and their number."""
    both = (ranks > 0) & (ref_rank > 0)[None, :]
    shift = np.subtract(ranks, ref_rank.astype(np.int32)[None, :], dtype=np.int32)  # ranks fit in int32
    np.abs(shift, out=shift)
    return int(shift.sum(where=both, dtype=np.int64)), int(both.sum())


def _counted_layers(values: pd.DataFrame, themes: Mapping[str, str], weights: Mapping[str, float]) -> list[str]:
    if values.shape[1] == 0:
        raise TargetingError(_("No layers selected: choose at least one layer to score."))
    no_theme = [c for c in values.columns if c not in themes]
    if no_theme:
        raise TargetingError(_("No theme declared for layer(s) {no_theme}; set themes.").format(
            no_theme=no_theme))
    informative = [c for c in values.columns if values[c].nunique(dropna=True) >= 2]
    counted = [c for c in informative if float(weights.get(c, 1.0)) != 0.0]
    if not counted:
        raise TargetingError(
            _("All weights are zero or no selected layer has data: give at least one layer with "
            "data a positive weight.")
        )
    return counted


def _score_matrices(
    oriented: pd.DataFrame, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], np.ndarray]:
    """Transposed (layers x districts) matrices whose weighted sums give the scores."""
    out = {}
    for norm, agg in keys:
        lower = 1.0 if agg == "geometric" else 0.0
        x = normalise(oriented, norm, lower=lower).to_numpy(dtype=float)
        if agg == "geometric":
            with np.errstate(invalid="ignore", divide="ignore"):
                x = np.log(x)
        out[(norm, agg)] = np.ascontiguousarray(np.nan_to_num(x, nan=0.0).T)
    return out


def _draw_weights(
    base_layer: np.ndarray,
    base_theme: np.ndarray,
    theme_of: np.ndarray,
    layer_factor: np.ndarray,
    theme_factor: np.ndarray,
    left_out: np.ndarray | None,
) -> np.ndarray:
    """Effective weights per draw (rows), rescaled within and across themes."""
    w = base_layer * layer_factor
    if left_out is not None:
        w[np.arange(len(w)), left_out] = 0.0
    onehot = (theme_of[:, None] == np.arange(len(base_theme))[None, :]).astype(float)
    within = w @ onehot
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(within[:, theme_of] > 0, w / within[:, theme_of], 0.0)
        tw = base_theme * theme_factor * (within > 0)
        tw = np.nan_to_num(tw / tw.sum(axis=1, keepdims=True), nan=0.0)
    return share * tw[:, theme_of]


def _workers() -> int:
    """Threads that score and rank the chunks of draws: the cores this process may use, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def _one_blas_thread():
    """A context in which BLAS runs on one thread.

    The products here are thin (a few layers deep, or one block of ranks): a second BLAS thread
    gains little, and its busy-waiting between calls takes a core from the sorting and rounding
    that follow (measured: each chunk of draws 3x slower on a loaded 2-core machine).
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _rank_rows(scores: np.ndarray) -> np.ndarray:
    """Rank each row (1 = highest, ties share the best rank, -1 for NaN)."""
    missing = np.isnan(scores)
    key = np.where(missing, np.inf, -scores)
    order = np.argsort(key, axis=1)
    ordered = np.take_along_axis(key, order, axis=1)
    start = np.ones(ordered.shape, dtype=bool)
    start[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first = np.where(start, np.arange(ordered.shape[1], dtype=np.int32), np.int32(0))
    np.maximum.accumulate(first, axis=1, out=first)
    ranks = np.empty(scores.shape, dtype=np.int32)
    np.put_along_axis(ranks, order, first + 1, axis=1)
    ranks[missing] = -1
    return ranks


def _rank_scores(scores: np.ndarray) -> np.ndarray:
    """:func:`_rank_rows` of ``scores`` rounded to 9 decimals, by one integer sort per row.

    Rounding to 9 decimals is ``rint(scores * 1e9) / 1e9`` (as ``numpy.round``), so the integers
    ``rint(scores * 1e9)`` tie and order exactly as the rounded scores. Each is packed with its column
    into one ``int64`` (the column in the low bits), so a plain sort, several times faster than an
    ``argsort``, gives the order and the ties at once. Scores too large to pack fall back to
    :func:`_rank_rows`. The rows are ranked one at a time, in buffers of one row that stay in the
    processor's cache (faster than passes over the whole chunk, which go through memory).
    """
    n = scores.shape[1]
    bits = max(int(n - 1).bit_length(), 1)
    room = float(2 ** (62 - bits))
    ranks = np.full(scores.shape, -1, dtype=np.int32)
    if scores.size == 0:
        return ranks
    columns = np.arange(n, dtype=np.int64)
    positions = np.arange(1, n + 1, dtype=np.int32)
    q, missing = np.empty(n), np.empty(n, dtype=bool)
    packed, value = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    start, first = np.ones(n, dtype=bool), np.empty(n, dtype=np.int32)
    for row, out in zip(scores, ranks):
        np.isnan(row, out=missing)
        if missing.all():
            continue
        np.multiply(row, -1e9, out=q)  # negated: the best first
        np.rint(q, out=q)
        if not (-room < np.fmin.reduce(q) and np.fmax.reduce(q) < room):  # NaN ignored
            return _rank_rows(np.round(scores, 9))
        np.copyto(q, room, where=missing)  # after every score
        packed[:] = q  # exact: |q| <= room
        packed <<= bits
        packed |= columns
        packed.sort()
        np.right_shift(packed, bits, out=value)
        np.not_equal(value[1:], value[:-1], out=start[1:])
        packed &= (1 << bits) - 1  # the columns, best first
        if start.all():  # no tie
            out[packed] = positions
        else:  # a tie shares the position of its first
            np.multiply(start, positions, out=first)
            np.maximum.accumulate(first, out=first)
            out[packed] = first
        out[missing] = -1
    return ranks


def _chunk_scores(
    weights: np.ndarray,
    pair_idx: np.ndarray,
    pairs: Sequence[tuple[str, str]],
    matrices: Mapping[tuple[str, str], np.ndarray],
    mask: np.ndarray,
    scored: np.ndarray,
) -> np.ndarray:
    scores = np.empty((len(weights), mask.shape[1]))
    for p, (norm, agg) in enumerate(pairs):
        sel = pair_idx == p
        if not sel.any():
            continue
        w = weights[sel]
        den = w @ mask
        with np.errstate(invalid="ignore", divide="ignore"):
            s = (w @ matrices[(norm, agg)]) / den
            if agg == "geometric":
                s = np.exp(s)
        s[den <= 0] = np.nan
        scores[sel] = s
    scores[:, ~scored] = np.nan
    return scores  # ranked rounded to 9 decimals (:func:`_rank_scores`): exact ties stay tied


def _column_quantiles(ranks: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Linear-interpolation quantiles of each column over its ranks > 0 (NaN if none)."""
    valid = ranks > 0
    n = valid.sum(axis=0)
    big = np.iinfo(np.int32).max
    kept = ranks if (n == len(ranks)).all() else np.where(valid, ranks, np.int32(big))  # the invalid sorted last
    ordered = np.ascontiguousarray(kept.T)  # int32: sorts several times faster
    ordered.sort(axis=1)
    out = np.full((len(qs), ranks.shape[1]), np.nan)
    has = n > 0
    rows = np.flatnonzero(has)
    for i, q in enumerate(qs):
        pos = q * (n[has] - 1)
        lo = np.floor(pos).astype(int)
        hi = np.ceil(pos).astype(int)
        frac = pos - lo
        out[i, has] = ordered[rows, lo] * (1 - frac) + ordered[rows, hi] * frac
    return out


def rank_uncertainty(
    values: pd.DataFrame,
    *,
    higher_is_worse: Mapping[str, bool],
    themes: Mapping[str, str],
    weights: Mapping[str, float] | None = None,
    theme_weights: Mapping[str, float] | None = None,
    method: Method | None = None,
    draws: int = 1000,
    noise: float = 0.25,
    normalisations: Sequence[str] = NORMALISATIONS,
    aggregations: Sequence[str] = AGGREGATIONS,
    leave_one_out: bool = False,
    top_k: int = 10,
    seed: int = 0,
    chunk: int = 100,
    data: Any = None,
    memory_limit: int = MEMORY_LIMIT,
) -> UncertaintyResult:
    """Monte Carlo ranks over weights, normalisation, aggregation and layers.

    Parameters
    ----------
    values : pandas.DataFrame
        Raw layer values, one column per layer, one row per district.
    higher_is_worse, themes, weights, theme_weights, method
        As in :func:`geo.scoring.score`; ``method`` is the reference (its
        outlier treatment and missing-data rule apply to every draw).
    draws : int
        Number of Monte Carlo draws.
    noise : float
        Each weight is multiplied by ``U(1 - noise, 1 + noise)``; in [0, 1).
    normalisations, aggregations : Sequence[str]
        Alternatives drawn uniformly among their valid pairs (z-score with
        geometric aggregation is skipped).
    leave_one_out : bool
        Leave one layer, drawn uniformly, out of every draw.
    top_k : int
        ``p_top_k`` is the share of draws in which a district ranks ``<= top_k``.
    seed : int
        Seed of the random generator: same seed, same result.
    chunk : int
        Draws scored at once (bounds memory; does not change the result).
    data : geo.sampling.DataNoise, optional
        Draw the data too (see the module's docstring); ``None`` keeps the data fixed.
    memory_limit : int
        Largest size in bytes of the ``draws x districts`` ``int32`` rank matrix.

    Returns
    -------
    UncertaintyResult

    Raises
    ------
    TargetingError
        On an invalid setting, layer, weight or method, or draws that would exceed ``memory_limit``.

    Examples
    --------
    >>> v = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]}, index=["x", "y", "z"])
    >>> r = rank_uncertainty(v, higher_is_worse={"a": True, "b": True},
    ...                      themes={"a": "t", "b": "t"}, draws=20, noise=0.0,
    ...                      normalisations=["minmax"], aggregations=["arithmetic"])
    >>> r.table["rank_median"].tolist(), r.mean_shift
    ([2.0, 3.0, 1.0], 0.0)
    """
    method = method or Method()
    weights = dict(weights or {})
    theme_weights = dict(theme_weights or {})
    _check_settings(draws, noise, top_k, seed, chunk)
    _check_memory(draws, len(values), memory_limit)
    pairs = _valid_pairs(normalisations, aggregations)
    counted = _counted_layers(values, themes, weights)
    if leave_one_out and len(counted) < 2:
        raise TargetingError(
            _("Invalid leave_one_out: True with a single scored layer ({counted!r}); "
            "select at least two layers or set leave_one_out=False.").format(counted=counted[0])
        )
    eff_ref = effective_weights({c: themes[c] for c in counted}, weights, theme_weights)
    eff_ref = eff_ref[counted].to_numpy(dtype=float)

    raw = values[counted].astype(float)
    ref_pair = (method.normalisation, method.aggregation)
    oriented = orient(_treated(raw, method), higher_is_worse)
    matrices = _score_matrices(oriented, set(pairs) | {ref_pair})
    mask = np.ascontiguousarray(oriented.notna().to_numpy(dtype=float).T)

    coverage = np.round(eff_ref @ mask / eff_ref.sum(), 12)
    threshold = 1.0 - 1e-9 if method.missing == "exclude" else method.min_coverage
    scored = (coverage > 0) & (coverage >= threshold)

    ref_scores = _chunk_scores(eff_ref[None, :], np.zeros(1, dtype=int), [ref_pair], matrices, mask, scored)
    ref_rank = _rank_scores(ref_scores)[0]

    theme_ids = sorted(set(themes[c] for c in counted))
    theme_of = np.array([theme_ids.index(themes[c]) for c in counted])
    base_layer = np.array([float(weights.get(c, 1.0)) for c in counted])
    base_theme = np.array([float(theme_weights.get(t, 1.0)) for t in theme_ids])

    rng = np.random.default_rng(seed)
    lo, hi = 1.0 - float(noise), 1.0 + float(noise)
    layer_factor = rng.uniform(lo, hi, size=(draws, len(counted)))
    theme_factor = rng.uniform(lo, hi, size=(draws, len(theme_ids)))
    pair_idx = rng.integers(len(pairs), size=draws)
    left_out = rng.integers(len(counted), size=draws) if leave_one_out else None

    drawn = [c for c in (data.layers if data is not None else []) if c in counted]
    data_rng = np.random.default_rng([seed, 1])
    # at least ten draws per data set, so that the data's share can be estimated like a method's
    replicates = min(int(data.replicates), max(1, draws // 10)) if drawn else 1
    data_set = data_rng.permutation(np.arange(draws) % replicates) if drawn else np.zeros(draws, dtype=int)

    n = len(values)
    ranks = np.empty((draws, n), dtype=np.int32)
    def rank_chunk(sl: np.ndarray, mats: Mapping[tuple[str, str], np.ndarray]) -> None:
        w = _draw_weights(
            base_layer, base_theme, theme_of, layer_factor[sl], theme_factor[sl],
            None if left_out is None else left_out[sl],
        )
        ranks[sl] = _rank_scores(_chunk_scores(w, pair_idx[sl], pairs, mats, mask, scored))

    # Chunks are independent (their random factors are drawn above): they are scored and ranked on
    # the available cores, numpy releasing the interpreter lock while it sorts; same result.
    with _one_blas_thread(), ThreadPoolExecutor(_workers()) as pool:
        for r in range(replicates):
            if drawn:
                sample = orient(_treated(data.draw(raw, data_rng), method), higher_is_worse)
                mats = _score_matrices(sample, set(pairs))
            else:
                mats = matrices
            rows = np.flatnonzero(data_set == r)
            list(pool.map(lambda sl: rank_chunk(sl, mats), [rows[i:i + chunk] for i in range(0, len(rows), chunk)]))

    table, mean_shift = _summarise(ranks, ref_rank, scored, top_k, values.index)
    reference_rank = pd.Series(
        np.where(ref_rank > 0, ref_rank, 0), index=values.index, name="rank"
    ).astype("Int64").where(ref_rank > 0)
    settings = {
        "draws": draws,
        "noise": float(noise),
        "pairs": pairs,
        "leave_one_out": bool(leave_one_out),
        "top_k": top_k,
        "seed": seed,
        "chunk": chunk,
        "method": method,
        "layers": counted,
        "data": drawn,
        "data_sets": replicates if drawn else 0,
        "data_notes": tuple(data.notes) if data is not None else (),
    }
    factors = pd.DataFrame({"method": [f"{pairs[i][0]} + {pairs[i][1]}" for i in pair_idx]})
    for j, c in enumerate(counted):
        factors[f"weight: {c}"] = layer_factor[:, j]
    for j, t in enumerate(theme_ids):
        factors[f"theme weight: {t}"] = theme_factor[:, j]
    if left_out is not None:
        factors["left out"] = [counted[i] for i in left_out]
    if drawn:
        factors["data"] = pd.Series([f"data set {i + 1}" for i in data_set], dtype=object)
    return UncertaintyResult(
        table=table,
        reference_rank=reference_rank,
        mean_shift=mean_shift,
        ranks=ranks,
        settings=settings,
        unscored=values.index[~scored],
        factors=factors,
    )


def sensitivity(result: UncertaintyResult, *, bins: int = 10) -> pd.DataFrame:
    """First-order sensitivity of the ranks to each choice drawn by :func:`rank_uncertainty`.

    For each factor X (the method pair, each weight's noise factor, the layer left out, the data
    set drawn) and
    each district, the share of the variance of its rank explained by X alone,
    ``Var(E[rank | X]) / Var(rank)``, estimated from the draws themselves ("given data"):
    continuous factors are cut into ``bins`` equal-count bins, and the between-bin variance is
    corrected for its sampling bias (omega squared, so that a factor without effect scores
    about 0, not ``bins / draws``). The index of a factor is the average over districts
    weighted by their rank variance, i.e. the share of all rank movement it explains. The
    indices of independent factors add up to at most 1; the rest comes from interactions.

    Parameters
    ----------
    result : UncertaintyResult
    bins : int
        Bins for the continuous factors (weights).

    Returns
    -------
    pandas.DataFrame
        Indexed by factor: ``first_order`` (0-1), sorted from the most influential;
        empty when no rank moves.

    Examples
    --------
    >>> v = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [4.0, 1, 3, 2]}, index=list("wxyz"))
    >>> r = rank_uncertainty(v, higher_is_worse={"a": True, "b": True}, themes={"a": "t", "b": "t"},
    ...                      draws=400, normalisations=["minmax"], aggregations=["arithmetic"])
    >>> s = sensitivity(r)["first_order"]
    >>> bool(s["weight: a"] > 0.2 and s["weight: b"] > 0.2 and abs(s["method"]) < 1e-9)
    True
    """
    n = result.ranks.shape[0]
    if n < 2:
        return pd.DataFrame({"first_order": pd.Series(dtype=float)})
    names, sizes, labels_of = [], [], []
    for name, column in result.factors.items():
        if column.dtype == object:
            labels = pd.factorize(column)[0]
        else:
            labels = pd.qcut(column.rank(method="first"), min(bins, n), labels=False).to_numpy()
        k = int(labels.max()) + 1
        if 2 <= k < n:  # a factor with one value (or one per draw) explains nothing measurable
            names.append(name)
            sizes.append(k)
            labels_of.append(labels)
    explained = dict.fromkeys(result.factors.columns, 0.0)
    # One indicator matrix for every level of every factor: a single float32 product per block gives
    # all the group sums (of ranks centred in float64, so float32 keeps ~7 digits of what matters).
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    onehot = np.zeros((offsets[-1], n), dtype=np.float32)
    for j, labels in enumerate(labels_of):
        onehot[offsets[j] + labels, np.arange(n)] = 1.0
    counts = onehot.sum(axis=1, dtype=np.float64)
    k = np.asarray(sizes, dtype=float)[:, None]
    moving_total = 0.0
    for start in range(0, result.ranks.shape[1], _BLOCK):
        block = result.ranks[:, start:start + _BLOCK]
        y = block[:, (block > 0).all(axis=0)].astype(np.float64)
        total = y.var(axis=0)
        moving = total > 0
        if not moving.any():
            continue
        y, total = y[:, moving], total[moving]
        moving_total += float(total.sum())
        if not names:
            continue
        centred = (y - y.mean(axis=0)).astype(np.float32)
        with _one_blas_thread():
            sums = (onehot @ centred).astype(np.float64)
        ss_between = np.add.reduceat(sums * sums / counts[:, None], offsets[:-1], axis=0)
        ss_total = total * n
        ms_within = (ss_total - ss_between) / (n - k)
        omega = (ss_between - (k - 1) * ms_within) / (ss_total + ms_within)
        for name, value in zip(names, (omega * total).sum(axis=1)):
            explained[name] += float(value)
    if moving_total <= 0:
        return pd.DataFrame({"first_order": pd.Series(dtype=float)})
    out = {name: float(np.clip(value / moving_total, 0.0, 1.0)) for name, value in explained.items()}
    frame = pd.DataFrame({"first_order": pd.Series(out)})
    return frame.sort_values("first_order", ascending=False, kind="mergesort")


def _summarise(
    ranks: np.ndarray, ref_rank: np.ndarray, scored: np.ndarray, top_k: int, index: pd.Index
) -> tuple[pd.DataFrame, float]:
    """The table of :class:`UncertaintyResult` and the mean shift, in one pass over blocks of districts."""
    q = np.full((len(_QUANTILES), ranks.shape[1]), np.nan)
    top = np.empty(ranks.shape[1], dtype=np.int64)

    def block(start: int) -> tuple[int, int]:
        part = ranks[:, start:start + _SORT_BLOCK]
        q[:, start:start + _SORT_BLOCK] = _column_quantiles(part, _QUANTILES)
        top[start:start + _SORT_BLOCK] = ((part > 0) & (part <= top_k)).sum(axis=0)
        return _shift_sums(part, ref_rank[start:start + _SORT_BLOCK])

    with ThreadPoolExecutor(_workers()) as pool:  # blocks of districts apart: sorted on the available cores
        sums = list(pool.map(block, range(0, ranks.shape[1], _SORT_BLOCK)))
    total, count = sum(t for t, _ in sums), sum(c for _, c in sums)  # exact integers
    table = pd.DataFrame(
        {"rank_median": q[1], "rank_p05": q[0], "rank_p95": q[2], "p_top_k": top / ranks.shape[0]},
        index=index,
    )
    table.loc[~scored] = np.nan
    return table, total / count if count else float("nan")
