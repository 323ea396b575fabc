"""Monitoring: did the districts that received an intervention change differently from similar ones?

A difference in differences with matched comparison districts (methodology
section 10). Each treated district is matched to its ``k`` nearest untreated
districts on the earlier vintage's indicators, standardised (z-scores, a
missing value counts as the mean, Euclidean distance: the matching of the
Peers view, :func:`geo.targeting.peers`). Per layer the estimate is the mean,
over treated districts, of (its change) - (the mean change of its matches),
in the layer's units, with the sign turned so that a positive figure always
means *improved more than its matches* (for a "lower is worse" layer, a rise).

The permutation interval reassigns "treated" at random among all candidate
districts (as many as were treated), matches again and re-estimates; the
2.5-97.5 % range of those estimates is what chance placement gives, and
``p_value`` the share of them at least as large in absolute value as the
estimate. Placement was not random: this is an association, not an effect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.i18n import N_, _
from geo.errors import TargetingError

__all__ = ["CAVEAT", "MonitorResult", "matched_change"]

CAVEAT = N_("An association, not an effect: the districts were not chosen at random, and matching on the earlier "
          "indicators cannot rule out other differences.")


@dataclass(frozen=True)
class MonitorResult:
    """The treated districts' change against their matches.

    Attributes
    ----------
    table : pandas.DataFrame
        Per layer (rows): ``treated_change`` and ``matched_change`` (means, layer
        units, raw direction), ``difference`` (improved more than the matches:
        positive), ``interval_low``, ``interval_high`` (2.5-97.5 % of the
        permuted differences), ``p_value``.
    matches : pandas.DataFrame
        Per treated district (index): ``matches`` (codes of its matches, comma-separated), ``distance`` (mean).
    matching : str
        The matching used, in words.
    caveat : str
    """

    table: pd.DataFrame
    matches: pd.DataFrame
    matching: str
    caveat: str = CAVEAT


def _standardised(context: pd.DataFrame) -> np.ndarray:
    x = context.astype(float)
    sd = x.std(ddof=0).replace(0, np.nan)
    return ((x - x.mean()) / sd).fillna(0.0).to_numpy(dtype=float)


def _distances(z: np.ndarray) -> np.ndarray:
    """Euclidean distances between all rows (computed once, reused by every permutation)."""
    sq = (z ** 2).sum(axis=1)
    return np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * z @ z.T, 0.0))


def _match(dist: np.ndarray, treated: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each treated row, the k nearest untreated rows (indices) and their distances."""
    controls = np.flatnonzero(~treated)
    d = dist[np.flatnonzero(treated)][:, controls]
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    return controls[order], np.take_along_axis(d, order, axis=1)


def _estimate(change: np.ndarray, treated: np.ndarray, dist: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    matches, _unused = _match(dist, treated, k)
    own = change[treated]
    with np.errstate(invalid="ignore"):
        control = np.nanmean(change[matches], axis=1)
    return np.nanmean(own, axis=0), np.nanmean(control, axis=0)


def matched_change(
    before: pd.DataFrame,
    after: pd.DataFrame,
    treated: Sequence[str],
    *,
    higher_is_worse: Mapping[str, bool],
    context: pd.DataFrame | None = None,
    k: int = 3,
    permutations: int = 999,
    seed: int = 0,
) -> MonitorResult:
    """Change of the treated districts against that of their nearest untreated peers.

    Parameters
    ----------
    before, after : pandas.DataFrame
        Layer values of the two vintages (districts as rows, same codes and layers).
    treated : sequence of str
        Codes of the districts that received the intervention.
    higher_is_worse : Mapping[str, bool]
        Direction per layer (to say which way is better).
    context : pandas.DataFrame, optional
        The indicators to match on; default ``before`` (the earlier vintage's layers).
    k : int
        Matches per treated district.
    permutations : int
        Random reassignments of "treated" for the interval.
    seed : int

    Returns
    -------
    MonitorResult

    Raises
    ------
    TargetingError
        Unknown codes, no treated district, or too few untreated ones to match.

    Examples
    --------
    >>> before = pd.DataFrame({"p": [50.0, 50.0, 10.0, 10.0]}, index=list("abcd"))
    >>> after = pd.DataFrame({"p": [40.0, 48.0, 9.0, 10.0]}, index=list("abcd"))
    >>> r = matched_change(before, after, ["a"], higher_is_worse={"p": True}, k=1, permutations=0)
    >>> r.table.loc["p", ["treated_change", "matched_change", "difference"]].tolist()
    [-10.0, -2.0, 8.0]
    """
    codes = pd.Index(before.index)
    treated = list(dict.fromkeys(str(c) for c in treated))
    unknown = [c for c in treated if c not in codes]
    if unknown:
        raise TargetingError(_("Treated district code(s) {unknown} are not districts of this level; "
                             "check the codes of the list.").format(unknown=unknown[:10]))
    if not treated:
        raise TargetingError(_("No treated district: mark at least one district that received the intervention."))
    k = int(k)
    mask = codes.isin(treated)
    if (~mask).sum() < k or k < 1:
        raise TargetingError(_("{int} untreated district(s) cannot give {k} matches each; "
                             "lower k or treat fewer districts.").format(int=int((~mask).sum()), k=k))
    layers = [c for c in before.columns if c in after.columns]
    change = (after[layers].reindex(codes) - before[layers]).to_numpy(dtype=float)
    z = _distances(_standardised((before if context is None else context).reindex(codes)))
    own, control = _estimate(change, mask, z, k)
    sign = np.array([-1.0 if higher_is_worse.get(l, True) else 1.0 for l in layers])
    diff = sign * (own - control)
    rng = np.random.default_rng(seed)
    perm = np.empty((permutations, len(layers)))
    n_t = int(mask.sum())
    for i in range(permutations):
        fake = np.zeros(len(codes), dtype=bool)
        fake[rng.choice(len(codes), n_t, replace=False)] = True
        o, c = _estimate(change, fake, z, k)
        perm[i] = sign * (o - c)
    if permutations:
        low, high = np.nanquantile(perm, [0.025, 0.975], axis=0)
        p = (np.abs(perm) >= np.abs(diff)[None, :] - 1e-12).mean(axis=0)
    else:
        low = high = p = np.full(len(layers), np.nan)
    table = pd.DataFrame({"treated_change": own, "matched_change": control, "difference": diff,
                          "interval_low": low, "interval_high": high, "p_value": p}, index=pd.Index(layers, name="layer"))
    idx, dist = _match(z, mask, k)
    matches = pd.DataFrame({"matches": [", ".join(map(str, codes[row])) for row in idx],
                            "distance": dist.mean(axis=1)}, index=codes[mask])
    used = list((before if context is None else context).columns)
    matching = (_("each treated district matched to its {k} nearest untreated districts on the standardised earlier "
                "values of {n_used} indicator(s) ({join}{value}); "
                "interval from {permutations} random reassignments of the {n_t} treated district(s)").format(
                    k=k, n_used=len(used), join=', '.join(map(str, used[:8])), value='...' if len(used) > 8 else '', permutations=permutations, n_t=n_t))
    return MonitorResult(table=table, matches=matches, matching=matching)
