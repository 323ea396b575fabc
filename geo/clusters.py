"""Pockets of need: spatial weights, local clusters and IMD-style district summaries.

The methods follow the reference methodology (sections 3 and 5):

* :func:`spatial_weights` builds queen contiguity weights (two districts are
  neighbours when their boundaries share at least one vertex, so shapes that
  only touch at a corner count). A district with no neighbour (an island, an
  enclave cut off by missing data) is linked to its ``k_fallback`` nearest
  districts by centroid distance, in a projected CRS, and the links are made
  symmetric. Weights are row-standardised. The returned description says what
  was done, so it can be shown next to the map. :func:`contiguity` gives the same
  links as arrays (a :class:`Contiguity`), without building a ``libpysal`` object.
* :func:`local_moran` computes Local Moran's I (LISA), as ``esda.Moran_Local``,
  with conditional permutation inference vectorised in numpy; quadrants are HH,
  LL, HL and LH and a district is a cluster when its pseudo p-value is at most
  the Benjamini-Hochberg false-discovery-rate threshold (the default) or ``alpha``.
* :func:`getis_ord` computes Getis-Ord Gi*: hot and cold spots, with its own
  permutation inference (the district's own value drawn with its neighbours), so
  that it can disagree with the LISA. Both share one permutation engine
  (:func:`_conditional_lags`) and read the weights once as arrays.
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

P-values are pseudo p-values computed as esda 2.x does: one
sided in the direction of the observed statistic, ``(1 + extreme) / (1 +
permutations)``, so the smallest possible value with 999 permutations is 0.001.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.i18n import _, ngettext
from geo.errors import MissingCRSError, TargetingError

if TYPE_CHECKING:  # libpysal and esda are imported when first used (they take about a second)
    from libpysal.weights import W

__all__ = [
    "QUADRANTS",
    "LISA_CLUSTERS",
    "GI_CLUSTERS",
    "ClusterResult",
    "Contiguity",
    "contiguity",
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
        Global Moran's I and its two-sided p-value under randomisation (Cliff & Ord).
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


@dataclass(frozen=True, eq=False)
class Contiguity:
    """Which districts are neighbours, as arrays: district ``ids[i]`` borders ``ids[cols[ptr[i]:ptr[i+1]]]``.

    What :func:`contiguity` returns, and what :func:`local_moran` and :func:`getis_ord` read (each
    neighbour of a district weighing equally); :meth:`to_weights` gives the same links as a
    ``libpysal`` ``W``, which takes a second to import and more to build at 50,000 districts.

    Attributes
    ----------
    ids : pandas.Index
        District codes, in the order of the rows.
    ptr, cols : numpy.ndarray
        Row pointers and neighbour positions (sorted within each row), as in a CSR matrix.
    """

    ids: pd.Index
    ptr: np.ndarray
    cols: np.ndarray

    @property
    def neighbors(self) -> dict:
        """District code -> list of its neighbours' codes (as ``W.neighbors``)."""
        ptr = self.ptr.tolist()
        named = np.asarray(self.ids, dtype=object)[self.cols].tolist()
        return {c: named[ptr[i]:ptr[i + 1]] for i, c in enumerate(self.ids)}

    def to_weights(self) -> "W":
        """The same links as a row-standardised ``libpysal.weights.W`` (``transform == "R"``)."""
        from libpysal.weights import W

        w = W(self.neighbors, id_order=list(self.ids), silence_warnings=True)
        w.transform = "R"
        return w

    def among(self, ids: pd.Index) -> tuple[np.ndarray, np.ndarray]:
        """The links among ``ids`` (all of them known), rows in the order of ``ids``: ``(ptr, cols)``."""
        where = self.ids.get_indexer(ids)
        new = np.full(len(self.ids), -1, dtype=np.int64)
        new[where] = np.arange(len(ids))
        k = np.diff(self.ptr)
        rows = np.repeat(new, k)
        cols = new[self.cols]
        kept = (rows >= 0) & (cols >= 0)
        pair = _distinct(rows[kept] * len(ids) + cols[kept])
        rows, cols = pair // len(ids), pair % len(ids)
        return np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(ids)))]).astype(np.int64), cols


def contiguity(
    districts: gpd.GeoDataFrame | gpd.GeoSeries, *, k_fallback: int = 1
) -> tuple[Contiguity, str]:
    """Queen contiguity, islands linked to their nearest districts, as arrays (see :func:`spatial_weights`).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoSeries([box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)],
    ...                   index=["a", "b", "c"], crs="EPSG:32631")
    >>> c, text = contiguity(g)
    >>> c.neighbors
    {'a': ['b'], 'b': ['a', 'c'], 'c': ['b']}
    """
    geoms = _geometries(districts, "districts")
    if isinstance(k_fallback, bool) or not isinstance(k_fallback, (int, np.integer)) or k_fallback < 1:
        raise TargetingError(
            _("Invalid k_fallback: {k_fallback!r}. k_fallback must be an integer >= 1 "
            "(the number of nearest districts given to a district without contiguous neighbours).").format(
                k_fallback=k_fallback)
        )
    n = len(geoms)
    rows, cols = _queen_pairs(geoms)
    islands = np.flatnonzero(np.bincount(rows, minlength=n) == 0)
    description = "queen contiguity"
    if len(islands):
        k = min(int(k_fallback), n - 1)
        near = _nearest(geoms, islands, k)
        linked = np.repeat(islands, k)
        rows, cols = _symmetric(np.concatenate([rows, linked]), np.concatenate([cols, near.ravel()]), n)
        m = len(islands)
        description += (
            ngettext("; {n} island linked to its {k} nearest neighbour(s)",
                     "; {n} islands linked to their {k} nearest neighbour(s)", m).format(n=m, k=k)
        )
    components = _components(rows, cols, n)
    if components > 1:
        description += (_("; {n_components} groups of districts with no border between them (e.g. islands): "
                        "clusters do not reach across groups").format(n_components=components))
    ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int64)
    return Contiguity(geoms.index, ptr, cols), description


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
    links, description = contiguity(districts, k_fallback=k_fallback)
    return links.to_weights(), description


def _geometries(districts: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> gpd.GeoSeries:
    if isinstance(districts, gpd.GeoDataFrame):
        geoms = districts.geometry
    elif isinstance(districts, gpd.GeoSeries):
        geoms = districts
    else:
        raise TargetingError(
            _("Invalid {name}: {name2}. {name} must be a GeoDataFrame or GeoSeries "
            "of district polygons indexed by district code.").format(
                name=name, name2=type(districts).__name__)
        )
    if len(geoms) < 2:
        raise TargetingError(
            _("Invalid {name}: {n_geoms} district(s). Spatial clusters need at least 2 districts; "
            "use a level with more districts.").format(name=name, n_geoms=len(geoms))
        )
    if not geoms.index.is_unique:
        dup = list(geoms.index[geoms.index.duplicated()].unique()[:5])
        raise TargetingError(
            _("Invalid {name}: duplicated district codes {dup}. The index must hold one row per district; "
            "dissolve or deduplicate the boundaries first.").format(name=name, dup=dup)
        )
    bad = geoms.isna() | geoms.is_empty
    if bad.any():
        raise TargetingError(
            _("Invalid {name}: missing or empty geometry for {list}. "
            "Every district needs a polygon; fix or remove these rows.").format(
                name=name, list=list(geoms.index[bad][:5]))
        )
    return geoms


def _queen_pairs(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(rows, cols)`` of the districts sharing at least one vertex, both ways, sorted.

    The same rule as libpysal's ``Queen`` (every vertex of every ring, compared exactly),
    computed in one sort of all the vertices instead of a Python set per vertex.
    """
    import shapely

    xy, owner = shapely.get_coordinates(np.asarray(geoms.values), return_index=True)
    xy = xy + 0.0  # -0.0 and 0.0 are the same vertex
    order = np.lexsort((owner, xy[:, 1], xy[:, 0]))
    x, y, owner = xy[order, 0], xy[order, 1], owner[order]
    same = (x[1:] == x[:-1]) & (y[1:] == y[:-1])
    vertex = np.concatenate([[0], np.cumsum(~same)])
    keep = np.concatenate([[True], ~(same & (owner[1:] == owner[:-1]))])  # one entry per district and vertex
    vertex, owner = vertex[keep], owner[keep]
    first, second = [], []
    step = 1
    while step < len(vertex):  # the districts of one vertex are consecutive: pair each with the next ones
        shared = vertex[step:] == vertex[:-step]
        if not shared.any():
            break
        first.append(owner[:-step][shared])
        second.append(owner[step:][shared])
        step += 1
    empty = np.zeros(0, dtype=np.int64)
    a = np.concatenate(first) if first else empty
    b = np.concatenate(second) if second else empty
    return _symmetric(a, b, len(geoms))


def _symmetric(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The links ``a -> b`` made symmetric, without self-links or repeats, sorted by row then column."""
    rows = np.concatenate([a, b]).astype(np.int64)
    cols = np.concatenate([b, a]).astype(np.int64)
    pair = _distinct(rows[rows != cols] * n + cols[rows != cols])
    return pair // n, pair % n


def _distinct(codes: np.ndarray) -> np.ndarray:
    """The distinct link codes, sorted: ``np.unique`` by one sort (numpy's hash-based unique, its
    default since 2.3, is many times slower on these hundreds of thousands of integers)."""
    codes = np.sort(codes)
    keep = np.ones(len(codes), dtype=bool)
    np.not_equal(codes[1:], codes[:-1], out=keep[1:])
    return codes[keep]


def _components(rows: np.ndarray, cols: np.ndarray, n: int) -> int:
    """Number of connected groups of districts of the links ``rows -> cols``."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    graph = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    return int(connected_components(graph, directed=False)[0])


def _nearest(geoms: gpd.GeoSeries, islands: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` districts nearest to each island (centroid distance), one row per island."""
    if geoms.crs is None:
        raise MissingCRSError(
            _("districts have no CRS, but {n_islands} district(s) without neighbours ({islands}) "
              "must be linked by distance. Set the CRS of the boundaries (e.g. with .set_crs('EPSG:4326')).").format(
                n_islands=len(islands), islands=list(geoms.index[islands[:5]]))
        )
    projected = geoms.to_crs(geoms.estimate_utm_crs()) if geoms.crs.is_geographic else geoms
    cent = projected.centroid
    xy = np.column_stack([cent.x.to_numpy(), cent.y.to_numpy()])
    out = np.empty((len(islands), k), dtype=np.int64)
    for r, island in enumerate(islands):
        d = np.hypot(*(xy - xy[island]).T)
        d[island] = np.inf
        out[r] = np.argsort(d, kind="stable")[:k]
    return out


# --------------------------------------------------------------------------- local statistics


def local_moran(
    districts: gpd.GeoDataFrame | gpd.GeoSeries,
    values: pd.Series,
    *,
    permutations: int = 999,
    alpha: float = 0.05,
    fdr: bool = True,
    seed: int = 0,
    weights: "W | Contiguity | None" = None,
) -> ClusterResult:
    """Local Moran's I (LISA) clusters: HH pockets, LL, and HL/LH outliers.

    Districts whose value is missing are left out of the weights (the
    geometry is subset before building them, so a district surrounded by
    missing data becomes an island and is linked to its nearest district) and
    labelled ``"no data"``; they are never dropped from the result.

    ``I_i = (n - 1) z_i lag_i / sum_j z_j^2`` with ``z`` the deviations from the mean and
    ``lag_i = sum_j w_ij z_j`` (row-standardised weights), as esda's ``Moran_Local``.
    Inference uses ``permutations`` conditional permutations (the value of each
    district is held fixed while its ``k_i`` neighbours are drawn at random among the
    ``n - 1`` others), giving a one-sided (folded) pseudo p-value ``(1 + extreme) /
    (1 + permutations)``: the draws are vectorised in numpy (:func:`_conditional_lags`,
    shared with :func:`getis_ord`), one random neighbour set per permutation for all
    districts, as esda draws them. With ``fdr=True`` (the default) the cut-off is the
    Benjamini-Hochberg threshold over the districts with data (never above ``alpha``;
    when no p-value passes, the Bonferroni bound ``alpha / n``, as ``esda.fdr``).

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
    fdr : bool, default True
        Use the false-discovery-rate threshold instead of ``alpha``.
    seed : int, default 0
        Seed of the permutations (results are reproducible).
    weights : libpysal.weights.W or Contiguity, optional
        Own weights with ids = district codes (default: :func:`contiguity`).
        They are subset to the districts with data and row-standardised: their
        links count, each neighbour of a district weighing equally (as
        ``libpysal.weights.w_subset`` then transform "R" give them); the caller's
        object is not modified.

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
    _check_inference(permutations, alpha)
    y, geoms, links, description = _prepare(districts, values, weights, "values")
    yv = y.to_numpy(float)
    n = len(yv)
    nb = _Neighbours.from_links(links)
    z = yv - yv.mean()
    den = float((z * z).sum())
    lag = nb.lag(z)
    local_i = (n - 1) * z * lag / den
    rng = np.random.default_rng(int(seed))
    larger = np.zeros(n, dtype=np.int64)
    # I_sim >= I_obs  <=>  z_i lag_sim >= z_i lag_obs (the factor (n - 1) / den is positive)
    observed = z * lag
    tol = _TIES * float(np.abs(observed).max())
    for rows, _unused, sims in _conditional_lags(z, nb, int(permutations), rng, fixed_self=True):
        sims *= z[rows][None, :]
        larger[rows] += (sims >= observed[rows][None, :] - tol).sum(axis=0)
    p = _folded_p(larger, int(permutations))
    global_i, global_p = _global_moran(z, nb)
    threshold = fdr_threshold(p, alpha) if fdr else float(alpha)
    quadrant = pd.Series(np.select([(z > 0) & (lag > 0), (z <= 0) & (lag > 0), (z <= 0) & (lag <= 0)],
                                   ["HH", "LH", "LL"], default="HL"), index=y.index, dtype=object)
    cluster = quadrant.where(p <= threshold, NOT_SIGNIFICANT)
    table = pd.DataFrame(
        {"I": pd.Series(local_i, index=y.index), "p": pd.Series(p, index=y.index),
         "quadrant": quadrant, "cluster": cluster}
    ).reindex(values.index)
    table["cluster"] = table["cluster"].fillna(NO_DATA)
    return ClusterResult(
        table=table, weights_description=description, global_I=global_i, global_p=global_p,
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
    weights: "W | Contiguity | None" = None,
    fdr: bool = True,
) -> pd.DataFrame:
    """Getis-Ord local G (Gi* by default): hot and cold spots, with their own permutation inference.

    Gi* compares the sum of values in a district's neighbourhood, the district
    itself included (``star=True``), with the sum expected if values were
    spread at random (Getis & Ord 1992; Ord & Getis 1995). It is meant for
    non-negative values (scores, rates). The weights follow GeoDa's convention:
    binary contiguity plus the district itself (self-weight 1), row-standardised,
    so ``G*_i`` is the mean of the ``k_i + 1`` values of the neighbourhood over the total.

    Inference is Gi*'s own, not the LISA's: since the district's value is part of the
    statistic, the null hypothesis draws the whole neighbourhood — the ``k_i + 1`` values,
    the district's own included — at random among the ``n`` values (the randomisation
    under which Ord & Getis derive the z-score). Local Moran's I holds the district's value
    fixed and asks whether its *neighbours* are unusual; Gi* asks whether the neighbourhood
    *with the district* is: a very deprived district among average neighbours can be a hot
    spot and not a LISA cluster, and a middling district ringed by deprived ones a LISA
    outlier (LH) but not a hot spot. For ``star=False`` (Gi), the district is held fixed
    and its ``k_i`` neighbours drawn among the others, as for the LISA. The p-value is the
    folded one-sided pseudo p-value, with the Benjamini-Hochberg threshold when ``fdr``.

    ``z`` is the analytical standardised statistic (Ord & Getis 1995, eq. 9):
    ``(sum_j w_ij y_j - W_i ybar) / (s sqrt((n S1_i - W_i^2) / (n - 1)))`` with ``W_i =
    sum_j w_ij``, ``S1_i = sum_j w_ij^2`` and ``s`` the standard deviation of ``y`` (divisor
    ``n``); it gives the direction (hot ``z > 0``, cold ``z < 0``) and the strength.

    Parameters
    ----------
    districts, values, permutations, alpha, seed, weights
        As in :func:`local_moran`.
    star : bool, default True
        Include the district itself (Gi*); ``False`` gives Gi.
    fdr : bool, default True
        Benjamini-Hochberg false-discovery-rate threshold instead of ``alpha``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``values``: ``G``, ``z``, ``p`` (pseudo p-value) and ``cluster``: ``"hot spot"``
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
    _check_inference(permutations, alpha)
    y, geoms, links, _unused = _prepare(districts, values, weights, "values")
    yv = y.to_numpy(float)
    n = len(yv)
    nb = _Neighbours.from_links(links, binary=True, with_self=bool(star))
    total = float(yv.sum())
    g_obs = nb.lag(yv) / total
    rng = np.random.default_rng(int(seed))
    larger = np.zeros(n, dtype=np.int64)
    observed = nb.lag(yv)
    tol = _TIES * float(np.abs(observed).max())
    for rows, _unused, sims in _conditional_lags(yv, nb, int(permutations), rng, fixed_self=not star):
        larger[rows] += (sims >= observed[rows][None, :] - tol).sum(axis=0)
    p = _folded_p(larger, int(permutations))
    wi, s1 = nb.row_sums(), nb.row_squares()
    sd = float(np.sqrt((yv ** 2).mean() - yv.mean() ** 2))
    if star:
        num = nb.lag(yv) - wi * yv.mean()
        den = sd * np.sqrt((n * s1 - wi ** 2) / (n - 1))
    else:  # Gi: the district's own value left out of the mean and variance
        others_mean = (total - yv) / (n - 1)
        others_sd = np.sqrt(((yv ** 2).sum() - yv ** 2) / (n - 1) - others_mean ** 2)
        num = nb.lag(yv) - wi * others_mean
        den = others_sd * np.sqrt(((n - 1) * s1 - wi ** 2) / (n - 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = num / den
    threshold = fdr_threshold(p, alpha) if fdr else float(alpha)
    cluster = pd.Series(np.where(z > 0, "hot spot", "cold spot"), index=y.index, dtype=object)
    cluster = cluster.where(p <= threshold, NOT_SIGNIFICANT)
    table = pd.DataFrame({"G": pd.Series(g_obs, index=y.index), "z": pd.Series(z, index=y.index),
                          "p": pd.Series(p, index=y.index), "cluster": cluster}).reindex(values.index)
    table["cluster"] = table["cluster"].fillna(NO_DATA)
    return table


def fdr_threshold(p: np.ndarray, alpha: float) -> float:
    """Benjamini-Hochberg cut-off of the p-values ``p`` at false-discovery rate ``alpha``.

    The largest ``k alpha / n`` such that the ``k``-th smallest p-value is below it; when no
    p-value passes, the Bonferroni bound ``alpha / n`` (the same as ``esda.fdr``).

    Examples
    --------
    >>> round(fdr_threshold(np.array([0.001, 0.01, 0.03, 0.5]), 0.05), 6)
    0.0375
    """
    p = np.asarray(p, dtype=float)
    n = len(p)
    ordered = np.sort(p)
    bounds = np.arange(1, n + 1) * alpha / n
    passing = np.flatnonzero(ordered < bounds)
    return float(bounds[passing[-1]]) if len(passing) else float(alpha) / n


@dataclass(frozen=True)
class _Neighbours:
    """Sparse weights as arrays: for district i, ``cols[ptr[i]:ptr[i+1]]`` with ``vals``.

    ``uniform`` when every row's weights are equal (binary contiguity, row-standardised):
    the permutations then need no per-neighbour gather (see :func:`_conditional_lags`).
    ``self_weight`` is each district's weight on itself (Gi*), kept apart from the neighbours.
    """

    ptr: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    self_weight: np.ndarray
    uniform: bool

    @classmethod
    def from_links(cls, links: tuple[np.ndarray, np.ndarray], *, binary: bool = False,
                   with_self: bool = False) -> "_Neighbours":
        """Row-standardised neighbours from :func:`_links`: each of a row's ``k`` links weighs ``1 / k``
        (libpysal's transform "R" of binary links); ``binary`` leaves them at 1 until the self-weight of
        Gi* is added, then standardises."""
        ptr, cols = links
        n = len(ptr) - 1
        k = np.diff(ptr)
        row_of = np.repeat(np.arange(n), k)
        vals = np.ones(len(cols)) if binary else 1.0 / np.repeat(k, k).astype(float)
        diagonal = row_of == cols
        own = np.zeros(n)
        if diagonal.any():  # weights that already hold a self-weight: keep it apart
            own[row_of[diagonal]] = vals[diagonal]
            keep = ~diagonal
            counts = np.bincount(row_of[keep], minlength=n)
            cols, vals = cols[keep], vals[keep]
            ptr = np.concatenate([[0], np.cumsum(counts)])
        if with_self:
            own = np.where(own > 0, own, 1.0)
        k = np.diff(ptr)
        if binary:
            row_total = np.bincount(np.repeat(np.arange(len(k)), k), weights=vals, minlength=len(k)) + own
            vals = vals / np.repeat(row_total, k)
            own = own / row_total
        first = np.repeat(vals[ptr[:-1][k > 0]], k[k > 0])  # each row's first weight, for each of its entries
        uniform = bool(np.allclose(vals, first, rtol=1e-12, atol=0))
        return cls(ptr, cols, vals, own, uniform)

    @property
    def k(self) -> np.ndarray:
        return np.diff(self.ptr)

    def lag(self, y: np.ndarray) -> np.ndarray:
        rows = np.repeat(np.arange(len(self.k)), self.k)
        return np.bincount(rows, weights=self.vals * y[self.cols], minlength=len(self.k)) + self.self_weight * y

    def row_sums(self) -> np.ndarray:
        rows = np.repeat(np.arange(len(self.k)), self.k)
        return np.bincount(rows, weights=self.vals, minlength=len(self.k)) + self.self_weight

    def row_squares(self) -> np.ndarray:
        rows = np.repeat(np.arange(len(self.k)), self.k)
        return np.bincount(rows, weights=self.vals ** 2, minlength=len(self.k)) + self.self_weight ** 2


# A draw equal to the observed statistic counts as "at least as extreme" whatever the order in which
# its floating-point sum was taken (tied values are common in rounded census rates).
_TIES = 1e-10


def _folded_p(larger: np.ndarray, permutations: int) -> np.ndarray:
    """esda's folded one-sided pseudo p-value from the number of draws at or above the observed value."""
    extreme = np.minimum(larger, permutations - larger)
    return (extreme + 1.0) / (permutations + 1.0)


def _conditional_lags(
    y: np.ndarray, nb: _Neighbours, permutations: int, rng: np.random.Generator, *, fixed_self: bool,
    budget: int = 4_000_000,
) -> Iterator[tuple[np.ndarray, slice, np.ndarray]]:
    """Permutation draws of every district's spatial lag, in blocks: ``(rows, perms, sims)``.

    ``sims[q, r]`` is district ``rows[r]``'s lag in permutation ``perms[q]``: its own weight times
    its own value (``fixed_self=True``, the conditional permutation of the LISA and of Gi) or a
    value drawn with the neighbours (``fixed_self=False``: Gi*, whose neighbourhood includes the
    district), plus its neighbour weights times values drawn without replacement. As in esda,
    each permutation draws one random sequence of districts shared by all: district i takes its
    first ``k_i`` (``k_i + 1`` for Gi*) entries, skipping itself when held fixed. Memory stays
    near ``budget`` numbers whatever the number of districts.
    """
    n = len(y)
    k = nb.k
    own = nb.self_weight
    take = k + (0 if fixed_self else (own > 0).astype(np.int64))
    kmax = int(take.max()) if len(take) else 0
    if nb.uniform and kmax > 0:
        yield from _uniform_lags(y, nb, permutations, rng, take, fixed_self, budget)
        return
    pool = n - 1 if fixed_self else n
    draws = np.stack([rng.choice(pool, size=min(kmax, pool), replace=False) for _unused in range(permutations)])
    order = np.argsort(take, kind="stable")
    all_perms = slice(0, permutations)
    start = 0
    while start < n:
        width = max(int(take[order[min(n - 1, start + 255)]]), 1)
        stop = min(n, start + max(1, budget // (permutations * width)))
        rows = order[start:stop]
        width = max(int(take[rows].max()), 1)
        idx = np.broadcast_to(draws[None, :, :width], (len(rows), permutations, width))
        if fixed_self:
            idx = idx + (idx >= rows[:, None, None])
        weights = np.zeros((len(rows), width))
        for r, i in enumerate(rows):
            members = nb.vals[nb.ptr[i]:nb.ptr[i + 1]]
            if not fixed_self and own[i] > 0:
                members = np.concatenate([members, [own[i]]])
            weights[r, :len(members)] = members
        sims = np.einsum("rpk,rk->pr", y[idx], weights)
        if fixed_self:
            sims += (own[rows] * y[rows])[None, :]
        yield rows, all_perms, sims
        start = stop


def _uniform_lags(y: np.ndarray, nb: _Neighbours, permutations: int, rng: np.random.Generator,
                  take: np.ndarray, fixed_self: bool, budget: int
                  ) -> Iterator[tuple[np.ndarray, slice, np.ndarray]]:
    """:func:`_conditional_lags` when each district's weights are equal: running sums, no gather.

    With one weight ``v_i`` per row, a lag is ``v_i`` times the sum of the first ``take_i``
    values of the permutation's random sequence (drawn from all ``n`` districts). Held fixed,
    district i skips itself: where i is among its first ``k_i`` entries (its position in the
    shared sequence is looked up), the sum runs over ``k_i + 1`` entries minus ``y_i``; the
    first ``k_i`` entries other than i of a random sequence are a random ``k_i``-subset of the
    others.
    """
    n = len(y)
    k, own = nb.k, nb.self_weight
    width = min(int(take.max()) + 1, n)
    draws = np.stack([rng.choice(n, size=width, replace=False) for _unused in range(permutations)])
    has = k > 0
    weight = np.zeros(n)
    weight[has] = nb.vals[nb.ptr[:-1][has]]
    weight[~has] = own[~has]  # Gi* of a district without neighbours: itself only
    everyone = np.arange(n)
    block = max(1, budget // max(n, 1))
    for p0 in range(0, permutations, block):
        d = draws[p0:p0 + block]
        run = np.concatenate([np.zeros((len(d), 1)), np.cumsum(y[d], axis=1)], axis=1)
        if fixed_self:
            inside = np.zeros((len(d), n), dtype=bool)  # district i among its own first k_i entries
            inside[np.arange(len(d))[:, None], d] = np.arange(width)[None, :] < k[d]
            sums = run[:, k]
            longer = run[:, np.minimum(k + 1, width)] - y[None, :]
            np.copyto(sums, longer, where=inside)
            sims = sums * weight[None, :] + (own * y)[None, :]
        else:
            sims = run[:, take] * weight[None, :]
        yield everyone, slice(p0, p0 + len(d)), sims


def _global_moran(z: np.ndarray, nb: _Neighbours) -> tuple[float, float]:
    """Global Moran's I and its two-sided p-value under randomisation (Cliff & Ord 1981).

    ``I = (n / S0) z'Wz / z'z``; its expectation ``-1 / (n - 1)`` and variance under the
    randomisation hypothesis (esda's ``Moran.p_rand``) give a normal p-value: the same
    inference as a permutation test at this size, without ``permutations x n`` shuffles.
    """
    from scipy import sparse
    from scipy.special import ndtr  # norm.sf(x) is ndtr(-x): the same numbers without importing scipy.stats

    n = len(z)
    mat = sparse.csr_matrix((nb.vals, nb.cols, nb.ptr), shape=(n, n))
    s0 = float(mat.sum())
    zz = float((z * z).sum())
    observed = float(n / s0 * (z * (mat @ z)).sum() / zz)
    both = mat + mat.T
    s1 = 0.5 * float(both.multiply(both).sum())
    s2 = float(((np.asarray(mat.sum(axis=1)).ravel() + np.asarray(mat.sum(axis=0)).ravel()) ** 2).sum())
    expected = -1.0 / (n - 1)
    b2 = n * float((z ** 4).sum()) / zz ** 2
    if n < 4:
        return observed, float("nan")
    var = ((n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
            - b2 * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0))
           / ((n - 1) * (n - 2) * (n - 3) * s0 * s0)) - expected ** 2
    if not var > 0:
        return observed, float("nan")
    return observed, float(2 * ndtr(-(abs(observed - expected) / np.sqrt(var))))


def _check_inference(permutations: int, alpha: float) -> None:
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)) or permutations < 1:
        raise TargetingError(
            _("Invalid permutations: {permutations!r}. permutations must be an integer >= 1 "
            "(999 is the usual choice; with 99 the smallest p-value is 0.01).").format(
                permutations=permutations)
        )
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not 0 < alpha < 1:
        raise TargetingError(_("Invalid alpha: {alpha!r}. alpha must be a number in (0, 1), e.g. 0.05.").format(
            alpha=alpha))


def _prepare(
    districts: gpd.GeoDataFrame | gpd.GeoSeries,
    values: pd.Series,
    weights: "W | Contiguity | None",
    name: str,
) -> tuple[pd.Series, gpd.GeoSeries, tuple[np.ndarray, np.ndarray], str]:
    """Values with data, their geometries, the weights' links among them (:func:`_links`) and their description."""
    if not isinstance(values, pd.Series):
        raise TargetingError(
            _("Invalid {name}: {name2}. "
            "{name} must be a pandas Series indexed by district code.").format(
                name=name, name2=type(values).__name__)
        )
    if not values.index.is_unique:
        dup = list(values.index[values.index.duplicated()].unique()[:5])
        raise TargetingError(_("Invalid {name}: duplicated district codes {dup}. Give one value per district.").format(
            name=name, dup=dup))
    geoms = _geometries(districts, "districts")
    unknown = values.index.difference(geoms.index)
    if len(unknown):
        raise TargetingError(
            _("Invalid {name}: codes {list} are not in districts ({n_unknown} in all). "
            "Index values by the same district codes as the boundaries.").format(
                name=name, list=list(unknown[:5]), n_unknown=len(unknown))
        )
    numeric = pd.to_numeric(values, errors="coerce").astype(float)
    text = values.notna() & numeric.isna()
    if text.any():
        raise TargetingError(
            _("Invalid {name}: non-numeric values {list}. "
            "Values must be numbers (missing values are allowed and labelled 'no data').").format(
                name=name, list=list(values[text].astype(str).unique()[:5]))
        )
    numeric = numeric.where(np.isfinite(numeric))
    y = numeric.dropna()
    if len(y) < 3:
        raise TargetingError(
            _("Invalid {name}: only {n_y} district(s) have a value. Local statistics need at least 3; "
            "use a layer or level with more data.").format(name=name, n_y=len(y))
        )
    if float(y.std()) == 0.0:
        raise TargetingError(
            _("Invalid {name}: every district has the same value ({iloc!r}), so there is no spatial "
            "pattern to test. Choose a layer that varies between districts.").format(
                name=name, iloc=y.iloc[0])
        )
    geoms = geoms.loc[y.index]
    if weights is None:
        links, description = contiguity(geoms)
        return y, geoms, (links.ptr, links.cols), description
    if isinstance(weights, Contiguity):
        missing = list(y.index[weights.ids.get_indexer(y.index) < 0])
    else:
        missing = [c for c in y.index if c not in weights.neighbors]
    if missing:
        raise TargetingError(
            _("Invalid weights: district codes {missing} are not among the weights' ids. "
            "Build the weights with ids = district codes, or leave weights unset.").format(
                missing=missing[:5])
        )
    links = weights.among(y.index) if isinstance(weights, Contiguity) else _links(weights, list(y.index))
    alone = np.flatnonzero(np.diff(links[0]) == 0)
    if len(alone):
        raise TargetingError(
            _("Invalid weights: districts {islands} have no neighbour with data. "
            "Leave weights unset to link them to their nearest district, or pass weights without islands.").format(
                islands=list(y.index[alone[:5]]))
        )
    return y, geoms, links, _("user-supplied weights")


def _links(w: "W", ids: list) -> tuple[np.ndarray, np.ndarray]:
    """The neighbours in ``w`` of each of ``ids``, among ``ids``, as arrays ``(ptr, cols)``: district ``i``'s
    neighbours are ``cols[ptr[i]:ptr[i+1]]`` (positions in ``ids``, sorted, each once).

    This is ``libpysal.weights.w_subset(w, ids)`` without building another ``W``: the links are kept,
    not their values (each row is then standardised over its neighbours, see
    :meth:`_Neighbours.from_links`); the caller's object is only read.
    """
    from itertools import chain

    n = len(ids)
    position = {c: i for i, c in enumerate(ids)}
    neighbours = [w.neighbors[c] for c in ids]
    k = np.fromiter(map(len, neighbours), dtype=np.int64, count=n)
    rows = np.repeat(np.arange(n, dtype=np.int64), k)
    cols = np.fromiter((position.get(j, -1) for j in chain.from_iterable(neighbours)), dtype=np.int64,
                       count=int(k.sum()))
    inside = cols >= 0
    pair = _distinct(rows[inside] * n + cols[inside])
    rows, cols = pair // n, pair % n
    ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int64)
    return ptr, cols


# --------------------------------------------------------------------------- district summaries


def district_summaries(
    lower: pd.DataFrame,
    *,
    parent: str = "parent_code",
    rank: str = "rank",
    population: str = "population",
    share: float = 0.1,
) -> pd.DataFrame:
    """IMD 2019 district summaries of ranked lower-level districts, on a population basis.

    The English Indices of Deprivation 2019 summarise small areas (LSOAs) per local authority
    (Ministry of Housing, Communities and Local Government, *The English Indices of Deprivation
    2019: Technical report*, Noble et al. 2019, section "Summary measures for higher-level
    geographies"). LSOAs hold near-equal populations, so their percentiles are percentiles of
    people; communes do not, so here every person gets the national position of their district:
    with districts taken from the most deprived (rank 1, ties in index order), a person's
    position ``q`` (0-100) is the share of the nation's people living in more deprived districts,
    each district spreading its people evenly over ``[q0, q1]``, and the percentile of a person at
    ``q`` is ``p = floor(q) + 1`` (1 = the most deprived 1 %). For each parent:

    * ``avg_rank``: population-weighted average rank of its lower districts (IMD's "average rank");
    * ``extent``: IMD's weighted share of the people living in the most deprived 30 %:
      ``extent = sum_people w(p) / population`` with ``w(p) = 1`` for ``p <= 10`` and the sliding
      scale ``w(p) = (30 - p) / 20`` for ``11 <= p <= 30`` (0.95 at the 11th percentile down to
      0.05 at the 29th), 0 beyond;
    * ``local_concentration``: IMD's population-weighted average of the positions of the parent's
      most deprived people that make up exactly ``share`` (10 %) of its population: its districts
      are taken from the most deprived, the one straddling the line with only the people needed
      (those at the deprived end of its interval); reported as the average national position
      ``q`` (0-100, lower = more deprived), the population counterpart of IMD's average rank;
    * ``scale``: people living in the most deprived 10 % of the nation's people (``q < 10``).

    Low ``avg_rank`` and ``local_concentration`` mean more deprived. A parent with a small very
    deprived pocket keeps an average ``avg_rank`` while its ``extent`` and ``local_concentration``
    show the pocket.

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
    >>> lower = pd.DataFrame({"parent_code": list("ABBCCCCCCA"), "rank": range(1, 11),
    ...                       "population": [100] * 10})
    >>> s = district_summaries(lower)
    >>> s.loc["A", ["extent", "local_concentration", "scale"]].tolist()
    [0.5, 1.0, 100.0]
    >>> round(float(s.loc["B", "extent"]), 3), float(s.loc["B", "local_concentration"])
    (0.475, 11.0)
    """
    for arg, col in (("parent", parent), ("rank", rank), ("population", population)):
        if col not in lower.columns:
            raise TargetingError(
                _("Invalid {arg}: column {col!r} not found in lower; "
                "available columns: {list}. "
                "Pass {arg}= the right column name.").format(arg=arg, col=col, list=list(lower.columns))
            )
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
        raise TargetingError(
            _("Invalid share: {share!r}. share must be a number in (0, 1], e.g. 0.1 for 10 %.").format(
                share=share)
        )
    if lower[parent].isna().any():
        bad = list(lower.index[lower[parent].isna()][:5])
        raise TargetingError(
            _("Invalid {parent}: missing parent code for rows {bad}. Every lower district needs a parent; "
            "fix the boundaries' parent field.").format(parent=parent, bad=bad)
        )
    r = _numeric(lower[rank], rank)
    pop = _numeric(lower[population], population)
    if (r.dropna() < 1).any():
        raise TargetingError(
            _("Invalid {rank}: ranks below 1 ({tolist}). "
            "Ranks start at 1 = most deprived; pass the rank column of the scores.").format(
                rank=rank, tolist=r[r < 1].unique()[:5].tolist())
        )
    if (pop.dropna() < 0).any():
        raise TargetingError(
            _("Invalid {population}: negative population ({tolist}). "
            "Population must be >= 0; fix the population table.").format(
                population=population, tolist=pop[pop < 0].unique()[:5].tolist())
        )
    frame = pd.DataFrame({"parent": lower[parent].to_numpy(), "rank": r.to_numpy(), "pop": pop.to_numpy()},
                         index=pd.RangeIndex(len(lower)))
    used = frame["rank"].notna() & frame["pop"].notna()
    frame["q0"], frame["q1"] = np.nan, np.nan
    ranked = frame[used].sort_values("rank", kind="stable")
    total = float(ranked["pop"].sum())
    if total > 0:
        before = ranked["pop"].cumsum() - ranked["pop"]
        frame.loc[ranked.index, "q0"] = 100.0 * before / total
        frame.loc[ranked.index, "q1"] = 100.0 * (before + ranked["pop"]) / total
    rows = {}
    for code, group in frame.groupby("parent", sort=True):
        ok = group[used.loc[group.index]]
        rows[code] = _summary(ok, float(share)) | {"unranked": int(len(group) - len(ok))}
    columns = ["districts", "unranked", "population", "avg_rank", "extent", "local_concentration", "scale"]
    out = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=columns)
    out.index.name = parent
    return out.astype({"districts": int, "unranked": int})


# IMD 2019 extent weight of percentile p (1 = most deprived 1 %): 1 up to 10, (30 - p) / 20 to 30, then 0.
_EXTENT_WEIGHTS = np.clip((30.0 - np.arange(1, 101)) / 20.0, 0.0, 1.0)
_EXTENT_CUMULATIVE = np.concatenate([[0.0], np.cumsum(_EXTENT_WEIGHTS)])  # integral of w over [0, q]


def _extent_integral(q: np.ndarray) -> np.ndarray:
    """``int_0^q w`` for positions ``q`` in 0-100 (``w`` a step per percentile, so exact)."""
    q = np.clip(q, 0.0, 100.0)
    whole = np.minimum(np.floor(q).astype(int), 99)
    return _EXTENT_CUMULATIVE[whole] + (q - whole) * _EXTENT_WEIGHTS[whole]


def _numeric(series: pd.Series, name: str) -> pd.Series:
    out = pd.to_numeric(series, errors="coerce").astype(float)
    text = series.notna() & out.isna()
    if text.any():
        raise TargetingError(
            _("Invalid {name}: non-numeric values {tolist}. "
            "Use numbers (leave missing cells empty).").format(
                name=name, tolist=series[text].astype(str).unique()[:5].tolist())
        )
    return out


def _summary(group: pd.DataFrame, share: float) -> dict[str, float]:
    total = float(group["pop"].sum())
    if group.empty or total <= 0:
        return {"districts": len(group), "population": total, "avg_rank": np.nan, "extent": np.nan,
                "local_concentration": np.nan, "scale": total}
    q0, q1, people = group["q0"].to_numpy(), group["q1"].to_numpy(), group["pop"].to_numpy()
    span = q1 - q0
    with np.errstate(invalid="ignore", divide="ignore"):
        per_point = np.where(span > 0, people / span, 0.0)  # people per point of national position
    weighted = per_point * (_extent_integral(q1) - _extent_integral(q0))
    scale = per_point * np.clip(np.minimum(q1, 10.0) - q0, 0.0, None)
    order = np.argsort(group["rank"].to_numpy(), kind="stable")
    before = np.cumsum(people[order]) - people[order]
    taken = np.clip(share * total - before, 0.0, people[order])  # people of each district in the 10 %
    top = q0[order] + np.where(per_point[order] > 0, taken / np.where(per_point[order] > 0, per_point[order], 1), 0)
    centre = (q0[order] + top) / 2.0  # average position of the people taken, from the deprived end
    return {
        "districts": len(group),
        "population": total,
        "avg_rank": float((group["rank"] * group["pop"]).sum() / total),
        "extent": float(weighted.sum() / total),
        "local_concentration": float((taken * centre).sum() / taken.sum()),
        "scale": float(scale.sum()),
    }
