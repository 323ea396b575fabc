"""Targeting analytics for a scored level, as the columns the exports add after the ranking.

``rank_median, rank_p05, rank_p95, p_top_k`` (Monte Carlo rank uncertainty,
:mod:`geo.uncertainty`), ``cluster`` (local Moran's I on the score,
:mod:`geo.clusters`), ``hotspot`` (Getis-Ord Gi* on the score, the alternative
reading of the same pockets), ``need, readiness, quadrant`` (:mod:`geo.targeting`),
``reliability`` (:mod:`geo.quality`) and, at an upper level with a lower
level nested in it, ``extent, local_concentration`` (IMD-style district
summaries of the lower level's ranking).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import pandas as pd

from geo.i18n import _, format_spec
from geo.clusters import contiguity, district_summaries, getis_ord, local_moran
from geo.dataset import LevelData, ranked_table, score_level
from geo.errors import TargetingError
from geo.identifiers import ANALYSIS_COLUMNS
from geo.quality import district_reliability
from geo.sampling import SamplingDesign, data_noise
from geo.scoring import ScoreResult
from geo.targeting import need_readiness
from geo.uncertainty import UncertaintyResult, rank_uncertainty, sensitivity

__all__ = ["AnalysisSettings", "ANALYSIS_COLUMNS", "analysis_columns", "cluster_columns", "in_order", "monte_carlo",
           "rank_draws", "scored_neighbours"]



@dataclass(frozen=True)
class AnalysisSettings:
    """Choices of the analytics (defaults: 1,000 draws, noise 0.25, top 10, 999 permutations, alpha 0.05
    with false-discovery-rate control, the data drawn as well as the weights).

    ``data`` draws the data too, from ``sampling`` (the configuration's sampling design; ``None``:
    counted in full) and the layers' standard errors, over ``data_sets`` data sets (see
    :mod:`geo.sampling`).
    """

    draws: int = 1000
    noise: float = 0.25
    top_k: int = 10
    seed: int = 0
    permutations: int = 999
    alpha: float = 0.05
    fdr: bool = True
    data: bool = True
    sampling: SamplingDesign | None = None
    data_sets: int = 50


def analysis_columns(
    data: LevelData,
    result: ScoreResult,
    *,
    weights: Mapping[str, float] | None = None,
    theme_weights: Mapping[str, float] | None = None,
    roles: Mapping[str, str],
    settings: AnalysisSettings = AnalysisSettings(),
    lower: LevelData | None = None,
    clusters: bool = True,
    uncertainty: UncertaintyResult | None = None,
    sensitivity_note: bool = True,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The analytics columns of a scored level, and notes on how they were made.

    Parameters
    ----------
    data, result : LevelData, ScoreResult
        The level and its score (same layers, weights and method).
    weights, theme_weights : Mapping[str, float], optional
        The raw weights the score used (perturbed by the Monte Carlo).
    roles : Mapping[str, str]
        Theme id -> "need" or "readiness".
    settings : AnalysisSettings
    lower : LevelData, optional
        The level nested in this one, scored with the same settings, for
        ``extent`` and ``local_concentration``.
    clusters : bool
        ``False`` leaves out ``cluster`` and ``hotspot`` (the slowest part: permutations), e.g.
        to compute them separately with :func:`cluster_columns`.
    uncertainty : UncertaintyResult, optional
        The :func:`monte_carlo` of these settings, if already drawn.
    sensitivity_note : bool
        ``False`` leaves out the ``sensitivity`` note (its indices take a pass over every draw),
        e.g. for an export that keeps no notes; the columns are the same.

    Returns
    -------
    (pandas.DataFrame, dict)
        Columns of :data:`ANALYSIS_COLUMNS` (the last two only with ``lower``),
        indexed like ``data.values``; notes (weights used for the clusters,
        mean rank shift, draws).
    """
    layers, kw = _layers_and_settings(data, result, weights, theme_weights)
    out = pd.DataFrame(index=data.values.index)
    notes: dict[str, str] = {}
    if settings.draws > 0:
        unc = uncertainty or monte_carlo(data, result, weights=weights, theme_weights=theme_weights,
                                         settings=settings)
        out = out.join(unc.table)
        drawn = unc.settings.get("data") or []
        notes["uncertainty"] = (_("{draws} draws, weight noise {noise}, normalisation and "
                                "aggregation alternatives").format(
                                    draws=settings.draws, noise=format_spec(settings.noise, "g"))
                                + (_(", the data of {n_drawn} layer(s) over {settings} data sets").format(
                                    n_drawn=len(drawn), settings=unc.settings['data_sets'])
                                   if drawn else ", data fixed")
                                + _(", seed {seed}; mean rank shift {mean_shift}").format(
                                    seed=settings.seed, mean_shift=format_spec(unc.mean_shift, ".2f")))
        if unc.settings.get("data_notes"):
            notes["data uncertainty"] = "; ".join(unc.settings["data_notes"])
        top = sensitivity(unc)["first_order"].head(4) if sensitivity_note else ()
        if len(top):
            notes["sensitivity"] = (_("share of the rank variance each choice explains alone (first-order): ")
                                    + ", ".join(f"{name} {value:.0%}" for name, value in top.items()))
    if clusters:
        spatial, spatial_notes = cluster_columns(data, result, settings)
        out = out.join(spatial)
        notes.update(spatial_notes)
    try:
        out = out.join(need_readiness(result, kw["themes"], roles))
    except TargetingError as exc:  # e.g. no readiness layer weighted: the axes are left empty, with the reason
        out = out.assign(need=float("nan"), readiness=float("nan"), quadrant=None)
        notes["need x readiness"] = str(exc)
    out["reliability"] = district_reliability(result.table["data_coverage"])
    if lower is not None:
        low_result = score_level(lower, layers=[c for c in layers if c in lower.values.columns], weights=weights,
                                 theme_weights=theme_weights, method=result.method)
        low = ranked_table(lower, low_result)
        summary = district_summaries(pd.DataFrame(low.drop(columns="geometry")))
        out = out.join(summary[["extent", "local_concentration"]])
        notes["pockets"] = (_("extent and local concentration from the {lower} ranking, IMD 2019 "
                            "definitions on a population basis: extent = share of the people in the nation's most "
                            "deprived 10 % (weight 1) to 30 % (sliding 0.95-0.05); local concentration = average "
                            "national position (0-100) of each district's most deprived {tenth} of people").format(
                                lower=lower.label.lower(), tenth="10 %"))
    return out, notes


def cluster_columns(data: LevelData, result: ScoreResult, settings: AnalysisSettings = AnalysisSettings(),
                    *, neighbours: tuple[Any, str] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """``cluster`` (local Moran's I) and ``hotspot`` (Getis-Ord Gi*) of the score, and their notes.

    Both use the same neighbours: ``neighbours`` (weights and their description, as
    :func:`scored_neighbours` returns them), else built here. Both are left out (no columns)
    when fewer than three districts have a score.
    """
    out = pd.DataFrame(index=data.values.index)
    notes: dict[str, str] = {}
    districts, scored = _clusterable(data, result)
    if scored.notna().sum() < 3:
        return out, notes
    w, description = neighbours or scored_neighbours(data, result)
    moran = local_moran(districts, scored, permutations=settings.permutations, alpha=settings.alpha,
                        fdr=settings.fdr, seed=settings.seed, weights=w)
    out["cluster"] = moran.table["cluster"].reindex(out.index).fillna("no data")
    control = (_("false-discovery-rate control (Benjamini-Hochberg at {alpha}; p-value cut-off "
               "{threshold})").format(
                   alpha=format_spec(settings.alpha, "g"), threshold=format_spec(moran.threshold, ".4f")) if settings.fdr else
               _("alpha {alpha} per district, no false-discovery-rate control").format(
                   alpha=format_spec(settings.alpha, "g")))
    notes["cluster"] = (_("local Moran's I on the score, {description}, "
                        "{permutations} conditional permutations, {control}").format(
                            description=description, permutations=settings.permutations, control=control)
                        + f"; global I {moran.global_I:.2f} (p {moran.global_p:.3f})")
    hot = getis_ord(districts, scored, permutations=settings.permutations, alpha=settings.alpha,
                    seed=settings.seed, weights=w, fdr=settings.fdr)
    out["hotspot"] = hot["cluster"].reindex(out.index).fillna("no data")
    notes["hotspot"] = (_("Getis-Ord Gi* on the score, the same neighbours plus the district itself, "
                        "{permutations} permutations of the whole neighbourhood (its own inference, "
                        "not the LISA's), ").format(permutations=settings.permutations)
                        + (_("with false-discovery-rate control") if settings.fdr else
                           _("alpha {alpha}, no false-discovery-rate control").format(
                               alpha=format_spec(settings.alpha, "g")))
                        + _("; {int} hot spots, "
                        "{int2} cold spots").format(
                            int=int((hot['cluster'] == 'hot spot').sum()), int2=int((hot['cluster'] == 'cold spot').sum())))
    shapeless = result.table["score"].notna() & ~result.table.index.isin(districts.index)
    if shapeless.any():
        notes["cluster"] += (_("; {int} scored district(s) without geometry "
                             "{list} have no neighbours: 'no data'").format(
                                 int=int(shapeless.sum()), list=list(shapeless[shapeless].index[:10])))
    return out, notes


def _clusterable(data: LevelData, result: ScoreResult) -> tuple[Any, pd.Series]:
    """The districts that have a shape, and their score (a district without geometry has no neighbours)."""
    geoms = data.districts.geometry
    districts = data.districts[~(geoms.isna() | geoms.is_empty)]
    return districts, result.table["score"].reindex(districts.index)


def scored_neighbours(data: LevelData, result: ScoreResult) -> tuple[Any, str]:
    """Queen contiguity among the scored districts (nearest neighbour for islands, a
    :class:`geo.clusters.Contiguity`), and its description.

    It depends only on the shapes and on which districts have a score, so it can be reused
    while weights change (see :func:`cluster_columns`).
    """
    districts, scored = _clusterable(data, result)
    return contiguity(districts.loc[scored.dropna().index])


def in_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The analytics columns of ``frame`` in the export order of :data:`ANALYSIS_COLUMNS`."""
    return frame[[c for c in ANALYSIS_COLUMNS if c in frame.columns]]


def rank_draws(uncertainty: UncertaintyResult, index: pd.Index, codes: Sequence[str] | None = None
               ) -> pd.DataFrame:
    """The rank of every district (or of ``codes``) in every draw of a :func:`monte_carlo` result.

    A ``draws x districts`` float frame (columns = district codes; ``index`` gives the codes in
    the order the values were given), NaN where a district has no rank in a draw: the draws
    behind ``rank_median`` ... ``p_top_k``, so a district's distribution matches its interval.
    """
    index = pd.Index(index)
    chosen = index if codes is None else pd.Index(codes)
    ranks = uncertainty.ranks[:, index.get_indexer(chosen)].astype("float32")
    ranks[ranks < 0] = float("nan")
    return pd.DataFrame(ranks, columns=chosen)


def monte_carlo(
    data: LevelData,
    result: ScoreResult,
    *,
    weights: Mapping[str, float] | None = None,
    theme_weights: Mapping[str, float] | None = None,
    settings: AnalysisSettings = AnalysisSettings(),
) -> UncertaintyResult:
    """The Monte Carlo of :func:`analysis_columns` (rank intervals, P(top k)), for reuse: give it
    back as ``analysis_columns(..., uncertainty=...)``, to :func:`rank_draws` or to
    :func:`geo.uncertainty.sensitivity`, instead of drawing again.

    Raises
    ------
    TargetingError
        ``settings.draws`` below 1, or any invalid setting.
    """
    if settings.draws <= 0:
        raise TargetingError(_("draws = {draws}: the Monte Carlo needs at least one draw.").format(
            draws=settings.draws))
    layers, kw = _layers_and_settings(data, result, weights, theme_weights)
    noise = None
    if settings.data:
        noise = data_noise(data.values[layers], data.layers, data.tables, settings.sampling or SamplingDesign(),
                           table_paths=data.table_paths, replicates=settings.data_sets)
    return rank_uncertainty(data.values[layers], **kw, method=result.method, draws=settings.draws,
                            noise=settings.noise, top_k=settings.top_k, seed=settings.seed, data=noise)


def _layers_and_settings(data, result, weights, theme_weights) -> tuple[list[str], dict]:
    layers = [c for c in result.normalised.columns if c in data.values.columns]
    chosen = [l for l in data.layers if l.id in layers]
    kw = dict(higher_is_worse={l.id: l.higher_is_worse for l in chosen}, themes={l.id: l.theme for l in chosen},
              weights=weights, theme_weights={**data.theme_weights, **(theme_weights or {})})
    return layers, kw
