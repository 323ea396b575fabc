"""Pockets of need: spatial weights, local clusters and IMD-style district summaries.

The methods follow the reference methodology (sections 3 and 5):

* :func:`spatial_weights` builds queen contiguity weights (two districts are
  neighbours when their boundaries share at least one vertex, so shapes that
  only touch at a corner count). A district with no neighbour (an island, an
  enclave cut off by missing data) is linked to its ``k_fallback`` nearest
  districts by centroid distance, in a projected CRS, and the links are made
  symmetric. Weights are row-standardised. The returned description says what
  was done, so it can be shown next to the map.
* :func:`local_moran` computes Local Moran's I (LISA) with ``esda.Moran_Local``
  and conditional permutation inference; quadrants are HH, LL, HL and LH and a
  district is a cluster when its pseudo p-value is at most ``alpha`` (or the
  Benjamini-Hochberg false-discovery-rate threshold when ``fdr=True``).
* :func:`getis_ord` computes Getis-Ord Gi* (``esda.G_Local``): hot and cold spots.
* :func:`district_summaries` summarises ranked lower-level districts per parent
  as the English Indices of Deprivation do: population-weighted average rank,
  extent, local concentration and scale.

Contiguity is read from shared vertices, without any snapping tolerance. Real
boundary files are usually cut from one topology, so neighbouring polygons
share their vertices exactly. Measured on the Morocco boundaries shipped with
the project: the provinces (75, 4.7 neighbours on average) and communes
(1,503, 5.6 neighbours) have no island, and every pair of districts closer
than 10 m is a queen neighbour (22 pairs of communes lie 10-100 m apart
without touching, which is real geography, not a sliver). Boundaries digitised
separately can leave gaps or overlaps (slivers) of a few metres, so that true
neighbours share no vertex: such districts lose links or become islands (and
are then linked to their nearest district). Fix the topology (e.g. snap in a
GIS) or pass your own ``weights`` when that matters.

P-values are the conditional-permutation pseudo p-values of esda 2.x: one
sided in the direction of the observed statistic, ``(1 + extreme) / (1 +
permutations)``, so the smallest possible value with 999 permutations is 0.001.
"""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Hashable, Iterator

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import MissingCRSError, TargetingError

if TYPE_CHECKING:  # libpysal and esda are imported when first used (they take about a second)
    from libpysal.weights import W

__all__ = [
    "QUADRANTS",
    "LISA_CLUSTERS",
    "GI_CLUSTERS",
    "ClusterResult",
    "spatial_weights",
    "local_moran",
    "getis_ord",
    "district_summaries",
]

QUADRANTS = ("HH", "LL", "HL", "LH")
NOT_SIGNIFICANT = "not significant"
NO_DATA = "no data"
LISA_CLUSTERS = (*QUADRANTS, NOT_SIGNIFICANT, NO_DATA)
GI_CLUSTERS = ("hot spot", "cold spot", NOT_SIGNIFICANT, NO_DATA)
# esda's quadrant codes: 1 HH, 2 LH, 3 LL, 4 HL.
_ESDA_QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


@dataclass(frozen=True)
class ClusterResult:
    """Local Moran's I of every district and the global statistic.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed like the input values: ``I`` (local Moran's I), ``p``
        (conditional-permutation pseudo p-value), ``quadrant`` (HH, LL, HL, LH;
        missing for districts without data) and ``cluster`` (the quadrant when
        significant, else ``"not significant"``; ``"no data"`` when the value is
        missing).
    weights_description : str
        The weights used, in words, for display.
    global_I, global_p : float
        Global Moran's I and its permutation pseudo p-value.
    alpha : float
        Significance level asked for.
    fdr : bool
        Whether the false-discovery-rate threshold was used.
    threshold : float
        The p-value cut-off actually applied (``alpha``, or the FDR threshold).
    permutations : int
    """

    table: pd.DataFrame
    weights_description: str
    global_I: float
    global_p: float
    alpha: float
    fdr: bool
    threshold: float
    permutations: int

    def counts(self) -> pd.Series:
        """Number of districts in each cluster class, in a fixed order.

        Examples
        --------
        >>> t = pd.DataFrame({"cluster": ["HH", "not significant", "HH"]})
        >>> r = ClusterResult(t, "queen contiguity", 0.1, 0.2, 0.05, False, 0.05, 999)
        >>> int(r.counts()["HH"])
        2
        """
        return self.table["cluster"].value_counts().reindex(list(LISA_CLUSTERS), fill_value=0)


# --------------------------------------------------------------------------- weights


def spatial_weights(
    districts: gpd.GeoDataFrame | gpd.GeoSeries, *, k_fallback: int = 1
) -> tuple["W", str]:
    """Row-standardised queen contiguity weights, islands linked to their nearest districts.

    Parameters
    ----------
    districts : geopandas.GeoDataFrame or geopandas.GeoSeries
        Polygons; the index (unique) becomes the weights' ids.
    k_fallback : int, default 1
        Number of nearest districts (by centroid distance) given to a district
        that has no contiguous neighbour. Links are made symmetric, so the
        nearest district also gets the island as a neighbour.

    Returns
    -------
    weights : libpysal.weights.W
        Row-standardised (``transform == "R"``), ids in the order of the index.
    description : str
        E.g. ``"queen contiguity; 3 islands linked to their 1 nearest neighbour(s)"``.

    Raises
    ------
    TargetingError
        Fewer than two districts, a duplicated index, missing or empty
        geometries, or ``k_fallback`` below 1.
    MissingCRSError
        Islands must be linked but the geometries have no CRS.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoSeries([box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)],
    ...                   index=["a", "b", "c"], crs="EPSG:32631")
    >>> w, text = spatial_weights(g)
    >>> w.neighbors["c"]
    ['b']
    >>> text
    'queen contiguity; 1 island linked to its 1 nearest neighbour(s)'
    """
    from libpysal.weights import W

    geoms = _geometries(districts, "districts")
    if isinstance(k_fallback, bool) or not isinstance(k_fallback, (int, np.integer)) or k_fallback < 1:
        raise TargetingError(
            f"Invalid k_fallback: {k_fallback!r}. k_fallback must be an integer >= 1 "
            "(the number of nearest districts given to a district without contiguous neighbours)."
        )
    ids = list(geoms.index)
    neighbors = _queen_neighbours(geoms)
    islands = [i for i in ids if not neighbors[i]]
    description = "queen contiguity"
    if islands:
        k = min(int(k_fallback), len(ids) - 1)
        for island, near in _nearest(geoms, islands, k).items():
            for j in near:
                neighbors[island].add(j)
                neighbors[j].add(island)
        n = len(islands)
        description += (
            f"; {n} island{'s' if n > 1 else ''} linked to {'their' if n > 1 else 'its'} "
            f"{k} nearest neighbour(s)"
        )
    position = {c: k for k, c in enumerate(ids)}
    ordered = {i: sorted(neighbors[i], key=position.__getitem__) for i in ids}
    w = W(ordered, id_order=ids, silence_warnings=True)
    if w.n_components > 1:
        description += (f"; {w.n_components} groups of districts with no border between them (e.g. islands): "
                        "clusters do not reach across groups")
    w.transform = "R"
    return w, description


def _geometries(districts: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> gpd.GeoSeries:
    if isinstance(districts, gpd.GeoDataFrame):
        geoms = districts.geometry
    elif isinstance(districts, gpd.GeoSeries):
        geoms = districts
    else:
        raise TargetingError(
            f"Invalid {name}: {type(districts).__name__}. {name} must be a GeoDataFrame or GeoSeries "
            "of district polygons indexed by district code."
        )
    if len(geoms) < 2:
        raise TargetingError(
            f"Invalid {name}: {len(geoms)} district(s). Spatial clusters need at least 2 districts; "
            "use a level with more districts."
        )
    if not geoms.index.is_unique:
        dup = list(geoms.index[geoms.index.duplicated()].unique()[:5])
        raise TargetingError(
            f"Invalid {name}: duplicated district codes {dup}. The index must hold one row per district; "
            "dissolve or deduplicate the boundaries first."
        )
    bad = geoms.isna() | geoms.is_empty
    if bad.any():
        raise TargetingError(
            f"Invalid {name}: missing or empty geometry for {list(geoms.index[bad][:5])}. "
            "Every district needs a polygon; fix or remove these rows."
        )
    return geoms


def _queen_neighbours(geoms: gpd.GeoSeries) -> dict[Hashable, set[Hashable]]:
    from libpysal.weights import Queen

    frame = gpd.GeoDataFrame(geometry=geoms.reset_index(drop=True))
    queen = Queen.from_dataframe(frame, use_index=True, silence_warnings=True)
    ids = list(geoms.index)
    return {ids[i]: {ids[j] for j in queen.neighbors.get(i, [])} for i in range(len(ids))}


def _nearest(geoms: gpd.GeoSeries, islands: list[Hashable], k: int) -> dict[Hashable, list[Hashable]]:
    if geoms.crs is None:
        raise MissingCRSError(
            f"districts have no CRS, but {len(islands)} district(s) without neighbours ({islands[:5]}) "
            "must be linked by distance. Set the CRS of the boundaries (e.g. with .set_crs('EPSG:4326'))."
        )
    projected = geoms.to_crs(geoms.estimate_utm_crs()) if geoms.crs.is_geographic else geoms
    cent = projected.centroid
    xy = np.column_stack([cent.x.to_numpy(), cent.y.to_numpy()])
    pos = {c: i for i, c in enumerate(geoms.index)}
    out: dict[Hashable, list[Hashable]] = {}
    for island in islands:
        d = np.hypot(*(xy - xy[pos[island]]).T)
        d[pos[island]] = np.inf
        order = np.argsort(d, kind="stable")[:k]
        out[island] = [geoms.index[j] for j in order]
    return out


# --------------------------------------------------------------------------- local statistics


def local_moran(
    districts: gpd.GeoDataFrame | gpd.GeoSeries,
    values: pd.Series,
    *,
    permutations: int = 999,
    alpha: float = 0.05,
    fdr: bool = False,
    seed: int = 0,
    weights: "W | None" = None,
) -> ClusterResult:
    """Local Moran's I (LISA) clusters: HH pockets, LL, and HL/LH outliers.

    Districts whose value is missing are left out of the weights (the
    geometry is subset before building them, so a district surrounded by
    missing data becomes an island and is linked to its nearest district) and
    labelled ``"no data"``; they are never dropped from the result.

    Inference uses ``permutations`` conditional permutations (the value of each
    district is held fixed while the others are shuffled), giving a one-sided
    pseudo p-value ``(1 + extreme) / (1 + permutations)``. With ``fdr=True``
    the cut-off is the Benjamini-Hochberg threshold ``esda.fdr(p, alpha)``
    over the districts with data (never above ``alpha``; when no p-value
    passes, esda returns the Bonferroni bound ``alpha / n``).

    Parameters
    ----------
    districts : geopandas.GeoDataFrame or geopandas.GeoSeries
        District polygons indexed by code.
    values : pandas.Series
        One value per district (e.g. the score), indexed by district code; every
        code must be in ``districts``.
    permutations : int, default 999
    alpha : float, default 0.05
        Significance level, in (0, 1).
    fdr : bool, default False
        Use the false-discovery-rate threshold instead of ``alpha``.
    seed : int, default 0
        Seed of the permutations (results are reproducible).
    weights : libpysal.weights.W, optional
        Own weights with ids = district codes (default: :func:`spatial_weights`).
        They are subset to the districts with data and row-standardised; the
        caller's object is not modified.

    Returns
    -------
    ClusterResult

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = [box(x, y, x + 1, y + 1) for y in range(3) for x in range(3)]
    >>> g = gpd.GeoSeries(cells, index=list("abcdefghi"), crs="EPSG:32631")
    >>> v = pd.Series([9, 8, 1, 8, 7, 1, 1, 1, 1.0], index=g.index)
    >>> r = local_moran(g, v, permutations=99)
    >>> r.table.loc["a", "quadrant"], round(r.global_I, 3)
    ('HH', 0.215)
    """
    import esda

    _check_inference(permutations, alpha)
    y, geoms, w, description = _prepare(districts, values, weights, "values")
    with _esda_calls():
        lm = esda.Moran_Local(
            y.to_numpy(float), w, transformation="r", permutations=int(permutations),
            keep_simulations=False, seed=int(seed), n_jobs=1,
        )
    glob = _global_moran(y.to_numpy(float), w, int(permutations), int(seed))
    p = np.asarray(lm.p_sim, dtype=float)
    threshold = float(esda.fdr(p, alpha)) if fdr else float(alpha)
    quadrant = pd.Series([_ESDA_QUADRANTS[int(q)] for q in lm.q], index=y.index, dtype=object)
    cluster = quadrant.where(p <= threshold, NOT_SIGNIFICANT)
    table = pd.DataFrame(
        {"I": pd.Series(np.asarray(lm.Is, float), index=y.index), "p": pd.Series(p, index=y.index),
         "quadrant": quadrant, "cluster": cluster}
    ).reindex(values.index)
    table["cluster"] = table["cluster"].fillna(NO_DATA)
    return ClusterResult(
        table=table, weights_description=description, global_I=float(glob.I), global_p=float(glob.p_sim),
        alpha=float(alpha), fdr=bool(fdr), threshold=threshold, permutations=int(permutations),
    )


def getis_ord(
    districts: gpd.GeoDataFrame | gpd.GeoSeries,
    values: pd.Series,
    *,
    permutations: int = 999,
    alpha: float = 0.05,
    star: bool = True,
    seed: int = 0,
    weights: "W | None" = None,
) -> pd.DataFrame:
    """Getis-Ord local G (Gi* by default): hot and cold spots.

    Gi* compares the sum of values in a district's neighbourhood, the district
    itself included (``star=True``), with the sum expected if values were
    spread at random. It is meant for non-negative values (scores, rates).
    The weights follow GeoDa's convention: binary contiguity plus the district
    itself (self-weight 1), row-standardised. Missing values are handled as in
    :func:`local_moran`. ``z`` gives the direction and strength; significance
    uses the permutation ``p``, as for Local Moran's I.

    Parameters
    ----------
    districts, values, permutations, alpha, seed, weights
        As in :func:`local_moran`.
    star : bool, default True
        Include the district itself (Gi*); ``False`` gives Gi.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``values``: ``z`` (standardised statistic under normality),
        ``p`` (conditional-permutation pseudo p-value) and ``cluster``: ``"hot spot"``
        (significant, ``z > 0``), ``"cold spot"`` (significant, ``z < 0``),
        ``"not significant"`` or ``"no data"``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = [box(x, y, x + 1, y + 1) for y in range(4) for x in range(4)]
    >>> g = gpd.GeoSeries(cells, crs="EPSG:32631")
    >>> v = pd.Series([9.0, 9, 1, 1, 9, 9, 1, 1] + [1.0] * 8)
    >>> getis_ord(g, v, permutations=999).loc[0, "cluster"]
    'hot spot'
    """
    import esda

    _check_inference(permutations, alpha)
    y, geoms, w, _ = _prepare(districts, values, weights, "values")
    # Gi*: binary contiguity plus the district itself (self-weight 1), then row-standardised.
    w.transform = "B"
    with _esda_calls():
        g = esda.G_Local(
            y.to_numpy(float), w, transform="R", permutations=int(permutations), star=bool(star),
            keep_simulations=False, seed=int(seed), n_jobs=1,
        )
    z = pd.Series(np.asarray(g.Zs, float), index=y.index)
    p = pd.Series(np.asarray(g.p_sim, float), index=y.index)
    cluster = pd.Series(np.where(z > 0, "hot spot", "cold spot"), index=y.index, dtype=object)
    cluster = cluster.where(p <= alpha, NOT_SIGNIFICANT)
    table = pd.DataFrame({"z": z, "p": p, "cluster": cluster}).reindex(values.index)
    table["cluster"] = table["cluster"].fillna(NO_DATA)
    return table


def _check_inference(permutations: int, alpha: float) -> None:
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)) or permutations < 1:
        raise TargetingError(
            f"Invalid permutations: {permutations!r}. permutations must be an integer >= 1 "
            "(999 is the usual choice; with 99 the smallest p-value is 0.01)."
        )
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not 0 < alpha < 1:
        raise TargetingError(f"Invalid alpha: {alpha!r}. alpha must be a number in (0, 1), e.g. 0.05.")


def _prepare(
    districts: gpd.GeoDataFrame | gpd.GeoSeries,
    values: pd.Series,
    weights: "W | None",
    name: str,
) -> tuple[pd.Series, gpd.GeoSeries, "W", str]:
    """Values with data, their geometries, row-standardised weights and their description."""
    from libpysal.weights import w_subset

    if not isinstance(values, pd.Series):
        raise TargetingError(
            f"Invalid {name}: {type(values).__name__}. "
            f"{name} must be a pandas Series indexed by district code."
        )
    if not values.index.is_unique:
        dup = list(values.index[values.index.duplicated()].unique()[:5])
        raise TargetingError(f"Invalid {name}: duplicated district codes {dup}. Give one value per district.")
    geoms = _geometries(districts, "districts")
    unknown = values.index.difference(geoms.index)
    if len(unknown):
        raise TargetingError(
            f"Invalid {name}: codes {list(unknown[:5])} are not in districts ({len(unknown)} in all). "
            "Index values by the same district codes as the boundaries."
        )
    numeric = pd.to_numeric(values, errors="coerce").astype(float)
    text = values.notna() & numeric.isna()
    if text.any():
        raise TargetingError(
            f"Invalid {name}: non-numeric values {list(values[text].astype(str).unique()[:5])}. "
            "Values must be numbers (missing values are allowed and labelled 'no data')."
        )
    numeric = numeric.where(np.isfinite(numeric))
    y = numeric.dropna()
    if len(y) < 3:
        raise TargetingError(
            f"Invalid {name}: only {len(y)} district(s) have a value. Local statistics need at least 3; "
            "use a layer or level with more data."
        )
    if float(y.std()) == 0.0:
        raise TargetingError(
            f"Invalid {name}: every district has the same value ({y.iloc[0]!r}), so there is no spatial "
            "pattern to test. Choose a layer that varies between districts."
        )
    geoms = geoms.loc[y.index]
    if weights is None:
        w, description = spatial_weights(geoms)
    else:
        missing = [c for c in y.index if c not in weights.neighbors]
        if missing:
            raise TargetingError(
                f"Invalid weights: district codes {missing[:5]} are not among the weights' ids. "
                "Build the weights with ids = district codes, or leave weights unset."
            )
        w = w_subset(weights, list(y.index), silence_warnings=True)
        if w.islands:
            raise TargetingError(
                f"Invalid weights: districts {w.islands[:5]} have no neighbour with data. "
                "Leave weights unset to link them to their nearest district, or pass weights without islands."
            )
        w.transform = "R"
        description = "user-supplied weights"
    return y, geoms, w, description


@contextmanager
def _esda_calls() -> Iterator[None]:
    """Run esda quietly and leave numpy's global random generator as it was.

    esda seeds and draws from numpy's global generator (``np.random.seed``);
    restoring its state keeps these functions free of side effects. esda's
    notice about a future change of its default alternative hypothesis is
    silenced: the current one-sided pseudo p-value is the documented behaviour.
    """
    state = np.random.get_state()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The alternative hypothesis", DeprecationWarning)
            warnings.filterwarnings("ignore", ".*row_stack", DeprecationWarning)
            # said once, in the weights' description (see spatial_weights)
            warnings.filterwarnings("ignore", "The weights matrix is not fully connected", UserWarning)
            yield
    finally:
        np.random.set_state(state)


def _global_moran(y: np.ndarray, w: "W", permutations: int, seed: int):
    """Global Moran's I; esda.Moran permutes with numpy's global generator, so seed it first."""
    import esda

    with _esda_calls():
        np.random.seed(seed)
        return esda.Moran(y, w, transformation="r", permutations=permutations)


# --------------------------------------------------------------------------- district summaries


def district_summaries(
    lower: pd.DataFrame,
    *,
    parent: str = "parent_code",
    rank: str = "rank",
    population: str = "population",
    share: float = 0.1,
) -> pd.DataFrame:
    """IMD-style summaries of ranked lower-level districts, one row per parent.

    ``N`` is the number of ranked lower districts nationally; the most
    deprived decile holds those with ``rank <= ceil(N / 10)`` (rank 1 = most
    deprived). For each parent:

    * ``avg_rank``: population-weighted average rank of its lower districts;
    * ``extent``: share of its population living in the most deprived decile;
    * ``local_concentration``: population-weighted average rank of its most
      deprived lower districts that together hold ``share`` of its population;
      the district straddling the line counts with only the population needed;
    * ``scale``: population living in the most deprived decile.

    Low ``avg_rank`` and ``local_concentration`` mean more deprived. A parent
    with a small very deprived pocket keeps an average ``avg_rank`` while its
    ``extent`` and ``local_concentration`` show the pocket.

    Parameters
    ----------
    lower : pandas.DataFrame
        One row per lower-level district with the three columns below.
    parent, rank, population : str
        Column names: parent code, rank (1 = most deprived; missing = unranked)
        and population (missing = left out, like an unranked district).
    share : float, default 0.1
        Population share used by ``local_concentration``, in (0, 1].

    Returns
    -------
    pandas.DataFrame
        Indexed by parent code: ``districts`` (lower districts summarised),
        ``unranked`` (lower districts left out: no rank or no population),
        ``population``, ``avg_rank``, ``extent``, ``local_concentration``, ``scale``.

    Raises
    ------
    TargetingError
        Missing columns, missing parent codes, non-numeric or invalid ranks or
        population, or ``share`` outside (0, 1].

    Examples
    --------
    >>> lower = pd.DataFrame({"parent_code": ["A"] * 3 + ["B"] * 7,
    ...                       "rank": range(1, 11), "population": [10, 90, 100] + [100] * 7})
    >>> s = district_summaries(lower)
    >>> s.loc["A", ["avg_rank", "extent", "local_concentration", "scale"]].tolist()
    [2.45, 0.05, 1.5, 10.0]
    """
    for arg, col in (("parent", parent), ("rank", rank), ("population", population)):
        if col not in lower.columns:
            raise TargetingError(
                f"Invalid {arg}: column {col!r} not found in lower; "
                f"available columns: {list(lower.columns)}. "
                f"Pass {arg}= the right column name."
            )
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
        raise TargetingError(
            f"Invalid share: {share!r}. share must be a number in (0, 1], e.g. 0.1 for 10 %."
        )
    if lower[parent].isna().any():
        bad = list(lower.index[lower[parent].isna()][:5])
        raise TargetingError(
            f"Invalid {parent}: missing parent code for rows {bad}. Every lower district needs a parent; "
            "fix the boundaries' parent field."
        )
    r = _numeric(lower[rank], rank)
    pop = _numeric(lower[population], population)
    if (r.dropna() < 1).any():
        raise TargetingError(
            f"Invalid {rank}: ranks below 1 ({r[r < 1].unique()[:5].tolist()}). "
            "Ranks start at 1 = most deprived; pass the rank column of the scores."
        )
    if (pop.dropna() < 0).any():
        raise TargetingError(
            f"Invalid {population}: negative population ({pop[pop < 0].unique()[:5].tolist()}). "
            "Population must be >= 0; fix the population table."
        )
    cutoff = math.ceil(int(r.notna().sum()) / 10)
    frame = pd.DataFrame({"parent": lower[parent], "rank": r, "pop": pop})
    used = frame["rank"].notna() & frame["pop"].notna()
    rows = {}
    for code, group in frame.groupby("parent", sort=True):
        ok = group[used.loc[group.index]]
        rows[code] = _summary(ok, cutoff, float(share)) | {"unranked": int(len(group) - len(ok))}
    columns = ["districts", "unranked", "population", "avg_rank", "extent", "local_concentration", "scale"]
    out = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=columns)
    out.index.name = parent
    return out.astype({"districts": int, "unranked": int})


def _numeric(series: pd.Series, name: str) -> pd.Series:
    out = pd.to_numeric(series, errors="coerce").astype(float)
    text = series.notna() & out.isna()
    if text.any():
        raise TargetingError(
            f"Invalid {name}: non-numeric values {series[text].astype(str).unique()[:5].tolist()}. "
            "Use numbers (leave missing cells empty)."
        )
    return out


def _summary(group: pd.DataFrame, cutoff: int, share: float) -> dict[str, float]:
    total = float(group["pop"].sum())
    if group.empty or total <= 0:
        return {"districts": len(group), "population": total, "avg_rank": np.nan, "extent": np.nan,
                "local_concentration": np.nan, "scale": float(group["pop"].sum())}
    scale = float(group.loc[group["rank"] <= cutoff, "pop"].sum())
    ordered = group.sort_values("rank", kind="stable")
    target = share * total
    before = ordered["pop"].cumsum() - ordered["pop"]
    part = np.clip(target - before, 0, ordered["pop"])
    return {
        "districts": len(group),
        "population": total,
        "avg_rank": float((group["rank"] * group["pop"]).sum() / total),
        "extent": scale / total,
        "local_concentration": float((part * ordered["rank"]).sum() / part.sum()),
        "scale": scale,
    }
