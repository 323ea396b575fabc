"""From a ranking to a budget: how much each district gets, and how good that split is.

The model is geographic targeting (Elbers et al. 2007): a programme funded in a
district reaches its people without telling the poor from the others, so
spending ``a`` in district ``i`` (population ``P``, people in need ``N``)
reaches ``P * s`` people, of whom ``N * s`` are in need, where the covered share
is ``s = clip((a - F) / (c * P), 0, 1)`` for a cost ``c`` per person reached and
a fixed cost ``F`` per funded district (0 by default). Reaching everyone costs
the district's *full cost* ``F + c * P``.

Objectives (:data:`OBJECTIVES`):

``reach``
    Maximise the people in need reached, ``sum N_i s_i``. A linear programme
    (a mixed-integer one with a fixed cost: one binary "funded" per district).
``need``
    Need-weighted with diminishing returns: maximise ``sum N_i f(v_i / P_i)``
    where ``v_i = a_i - F`` is the spend per person beyond the fixed cost and
    ``f(x) = ln(1 + x / c)``, concave, so money spreads beyond the few most
    needy districts (the first ``c`` per person brings ``ln 2``, the next ``c``
    only ``ln 1.5``). Solved exactly on the chords of ``f`` between the spend
    levels ``x / c = 0`` and ``1/32 x sqrt(2)^k`` (k = 0, 1, ... until they cover
    the budget; a piecewise-linear approximation, :func:`need_breakpoints`), as
    one linear programme (mixed-integer with a fixed cost). The chords lie below
    ``f`` by at most 1.6 % of its value (and 0.015 in absolute terms). The chords
    around each district's spend in the optimum without constraints are cut in
    six (and, where the constraints move the plan away from it, cut again around
    the plan's spend in a second solve), so the amounts, not only the value, come
    close to the exact optimum (within 1 % of the budget on the hand-checked case
    of the tests).
    The Monte Carlo re-solves use the common chords only.
``formula``
    Proportional to the people in need (need x population, the common
    fiscal-transfer rule): ``a_i = B N_i / sum N``. With floors, caps or forced
    districts, ``a_i = clip(lam N_i, lo_i, hi_i)`` with the multiplier ``lam``
    set so that the whole budget is spent (the capped proportional rule); a
    region short of its minimum share gets its own, higher multiplier, just high
    enough. ``value`` is the total absolute deviation from the unconstrained split.

Every plan honours the budget ``B``, the floors and caps per district, the
excluded and forced districts (a forced district gets at least its full cost,
or its cap if lower) and the minimum share of the budget per region. Solver:
HiGHS through its own Python interface ``highspy`` (the solver behind SciPy's
``linprog`` and ``milp``, used directly so that the Monte Carlo re-solves from
the last optimal basis); its answer is optimal, never a heuristic. An impossible set of constraints raises :class:`AllocationError`
naming the constraint and by how much it fails, before any plan is shown.

:func:`compare_rules` sets a plan beside the rules people use (equal per
district, per capita, per person in need) on the same yardsticks
(:func:`evaluate`), and :func:`coverage_by_budget` draws coverage against the
budget spent. :func:`allocate_draws` solves the plan again for every Monte Carlo
draw of the people in need: the probability of being funded and the spread of
the amount.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo.i18n import _, format_spec
from geo.errors import TargetingError

if TYPE_CHECKING:  # scipy takes a while to import: only when a plan is made
    from scipy.optimize import Bounds
    from scipy.sparse import csr_array

__all__ = [
    "COMPOSITE",
    "OBJECTIVES",
    "PLAN_COLUMNS",
    "RULES",
    "AllocationError",
    "AllocationSettings",
    "Constraints",
    "CostModel",
    "Investment",
    "Plan",
    "allocate",
    "allocate_draws",
    "compare_rules",
    "coverage_by_budget",
    "evaluate",
    "in_need_draws",
    "invest",
    "investment_metadata",
    "need_breakpoints",
    "people_in_need",
    "region_of",
    "rule_amounts",
    "target_layers",
]

OBJECTIVES = ("reach", "need", "formula")
RULES = ("equal per district", "per capita", "per person in need")
_TINY = 1e-9


class AllocationError(TargetingError):
    """A budget, cost or constraint that no plan can meet, or an invalid allocation setting."""


@dataclass(frozen=True)
class CostModel:
    """What reaching people costs.

    Attributes
    ----------
    per_person : float
        Cost of reaching one person (> 0), in the budget's currency.
    fixed : float
        Fixed cost of funding a district at all (>= 0), paid before anyone is reached.
    """

    per_person: float = 1.0
    fixed: float = 0.0


@dataclass(frozen=True)
class Constraints:
    """Constraints of a plan; districts and regions by code.

    Attributes
    ----------
    floors, caps : Mapping[str, float]
        Least and most a district may receive (a floor > 0 funds the district).
    region_shares : Mapping[str, float]
        Least share (0-1) of the budget spent in a region.
    excluded : tuple of str
        Districts that receive nothing.
    forced : tuple of str
        Districts that must be funded: they receive at least their full cost
        (fixed cost + cost per person x population), or their cap if lower.
    """

    floors: Mapping[str, float] = field(default_factory=dict)
    caps: Mapping[str, float] = field(default_factory=dict)
    region_shares: Mapping[str, float] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()
    forced: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing constrains the plan beyond the budget."""
        return not (self.floors or self.caps or self.region_shares or self.excluded or self.forced)


@dataclass(frozen=True)
class Plan:
    """An allocation of a budget.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by district code: ``amount``, ``funded`` (amount > 0),
        ``covered`` (share of the population reached, 0-1), ``reached``
        (people) and ``in_need_reached`` (people in need reached).
    objective : str
    budget : float
    spent : float
    value : float
        The objective's value: people in need reached (``reach``), the
        need-weighted benefit (``need``, on the chords) or the total absolute
        deviation from the proportional split (``formula``).
    solver : str
        How the plan was found.
    notes : tuple of str
        Districts that could not take part, and why.
    """

    table: pd.DataFrame
    objective: str
    budget: float
    spent: float
    value: float
    solver: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Problem:
    """Checked inputs of one allocation, as arrays in the order of ``codes``."""

    codes: pd.Index
    population: np.ndarray
    in_need: np.ndarray
    eligible: np.ndarray
    budget: float
    cost: CostModel
    lo: np.ndarray      # least amount per district
    hi: np.ndarray      # most amount per district (reach: never above the full cost)
    funded_lb: np.ndarray  # district must be funded (floor > 0 or forced)
    regions: dict[str, np.ndarray]  # region -> boolean mask, for the regions with a minimum share
    shares: dict[str, float]
    notes: tuple[str, ...]

    @property
    def full(self) -> np.ndarray:
        return self.cost.fixed + self.cost.per_person * self.population


# ----------------------------------------------------------------------------- checks
def _names(codes: Sequence[str], n: int = 10) -> str:
    codes = list(codes)
    more = f" and {len(codes) - n} more" if len(codes) > n else ""
    return ", ".join(repr(str(c)) for c in codes[:n]) + more


def _fmt(x: float) -> str:
    return f"{x:,.6g}"


def _check_number(name: str, value: Any, *, positive: bool) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise AllocationError(_("Invalid {name}: {value!r}; give a number.").format(
            name=name, value=value)) from None
    if isinstance(value, bool) or not np.isfinite(x) or (x <= 0 if positive else x < 0):
        bound = "above 0" if positive else "0 or more"
        raise AllocationError(_("Invalid {name}: {value!r}; it must be a finite number {bound}.").format(
            name=name, value=value, bound=bound))
    return x


def _per_district(name: str, values: Mapping[str, float], codes: pd.Index) -> pd.Series:
    unknown = [c for c in values if c not in codes]
    if unknown:
        raise AllocationError(_("{name} names unknown district code(s) {names}; use codes of this level.").format(
            name=name, names=_names(unknown)))
    out = pd.Series({c: _check_number(f"{name} of {c!r}", v, positive=False) for c, v in values.items()},
                    dtype=float)
    return out


def _prepare(population: pd.Series, in_need: pd.Series, budget: float, objective: str, cost: CostModel,
             constraints: Constraints, region: pd.Series | None) -> _Problem:
    if objective not in OBJECTIVES:
        raise AllocationError(_("Invalid objective {objective!r}; objective must be one of {list}.").format(
            objective=objective, list=list(OBJECTIVES)))
    budget = _check_number("budget", budget, positive=True)
    cost = CostModel(per_person=_check_number(_("cost per person"), cost.per_person, positive=True),
                     fixed=_check_number(_("fixed cost per district"), cost.fixed, positive=False))
    codes = pd.Index(population.index)
    if not codes.is_unique:
        raise AllocationError(_("Duplicate district codes {names}.").format(
            names=_names(codes[codes.duplicated()].unique())))
    pop = pd.to_numeric(population, errors="coerce").astype(float).to_numpy()
    need = pd.to_numeric(in_need.reindex(codes), errors="coerce").astype(float).to_numpy()
    if (need < 0).any():
        raise AllocationError(_("People in need are negative in {names}; counts must be >= 0.").format(
            names=_names(codes[need < 0])))
    over = need > pop * (1 + 1e-9)
    if over.any():
        raise AllocationError(
            _("More people in need than people in {names}; the count of people in need must not "
            "exceed the population: check the target layer and the population column.").format(
                names=_names(codes[over]))
        )
    eligible = np.isfinite(pop) & (pop > 0) & np.isfinite(need)
    notes = []
    if (~eligible).any():
        notes.append(_("{int} district(s) without a population or a count of people in need "
                     "receive nothing: {names}.").format(
                         int=int((~eligible).sum()), names=_names(codes[~eligible])))
    floors = _per_district("floors", constraints.floors, codes).reindex(codes).fillna(0.0).to_numpy()
    caps = _per_district("caps", constraints.caps, codes).reindex(codes).fillna(np.inf).to_numpy()
    for name, chosen in (("excluded", constraints.excluded), ("forced", constraints.forced)):
        unknown = [c for c in chosen if c not in codes]
        if unknown:
            raise AllocationError(_("{name} names unknown district code(s) {names}; use codes of this level.").format(
                name=name, names=_names(unknown)))
    excluded = codes.isin(list(constraints.excluded))
    forced = codes.isin(list(constraints.forced))
    both = codes[excluded & forced]
    if len(both):
        raise AllocationError(_("District(s) {names} are both excluded and forced in; choose one.").format(
            names=_names(both)))
    below = caps < floors
    if below.any():
        gaps = ", ".join(_("{codes!r}: cap {fmt} < floor {fmt2} by {fmt3}").format(
            codes=codes[i], fmt=_fmt(caps[i]), fmt2=_fmt(floors[i]), fmt3=_fmt(floors[i] - caps[i]))
                         for i in np.flatnonzero(below)[:10])
        raise AllocationError(_("Caps below floors ({gaps}); raise the cap or lower the floor.").format(
            gaps=gaps))
    blocked = (floors > 0) & (excluded | ~eligible)
    if blocked.any():
        raise AllocationError(
            _("District(s) {names} have a floor but are excluded or have no count of people in "
            "need; remove the floor or the exclusion.").format(names=_names(codes[blocked]))
        )
    forced_bad = forced & ~eligible
    if forced_bad.any():
        raise AllocationError(_("Forced district(s) {names} have no population or count of "
                              "people in need; they cannot be funded.").format(
                                  names=_names(codes[forced_bad])))
    full = cost.fixed + cost.per_person * np.where(eligible, pop, 0.0)
    hi = np.where(excluded | ~eligible, 0.0, caps)
    if objective == "reach":
        too_high = floors > full * (1 + 1e-12)
        if too_high.any():
            i = np.flatnonzero(too_high)[0]
            raise AllocationError(
                _("Floor of {codes!r} ({fmt}) is above its full cost ({fmt2}, reaching its "
                "whole population): with objective 'reach' money beyond it reaches no one; lower the floor "
                "(districts {names}) or use objective 'need'.").format(
                    codes=codes[i], fmt=_fmt(floors[i]), fmt2=_fmt(full[i]), names=_names(codes[too_high]))
            )
        hi = np.minimum(hi, full)
    lo = np.maximum(floors, np.where(forced, np.minimum(caps, full), 0.0))
    funded_lb = (lo > 0)
    if cost.fixed > 0:
        short = funded_lb & (hi < cost.fixed)
        if short.any():
            raise AllocationError(
                _("District(s) {names} must be funded (floor or forced) but their cap is below the "
                "fixed cost {fmt}; raise the cap or lower the fixed cost.").format(
                    names=_names(codes[short]), fmt=_fmt(cost.fixed))
            )
        lo = np.where(funded_lb, np.maximum(lo, cost.fixed), lo)
    need_total = float(lo.sum())
    if need_total > budget * (1 + 1e-12):
        what = _("floors and forced districts") if forced.any() else "floors"
        raise AllocationError(
            _("The {what} need {fmt}, above the budget {fmt2} by {fmt3}; "
            "raise the budget or lower the floors.").format(
                what=what, fmt=_fmt(need_total), fmt2=_fmt(budget), fmt3=_fmt(need_total - budget))
        )
    regions, shares = _regions(constraints.region_shares, region, codes, budget, lo, hi)
    if objective == "formula" and hi.sum() < budget * (1 - 1e-12):
        raise AllocationError(
            _("Caps and exclusions let at most {fmt} be spent, below the budget {fmt2} by "
            "{fmt3}; the formula spends the whole budget: raise the caps or lower the budget.").format(
                fmt=_fmt(hi.sum()), fmt2=_fmt(budget), fmt3=_fmt(budget - hi.sum()))
        )
    if objective != "formula" and float(np.where(eligible, need, 0).sum()) <= 0:
        raise AllocationError(_("No district has people in need: choose another target group."))
    return _Problem(codes=codes, population=np.where(eligible, pop, 0.0), in_need=np.where(eligible, need, 0.0),
                    eligible=eligible, budget=budget, cost=cost, lo=lo, hi=hi, funded_lb=funded_lb,
                    regions=regions, shares=shares, notes=tuple(notes))


def _regions(region_shares: Mapping[str, float], region: pd.Series | None, codes: pd.Index, budget: float,
             lo: np.ndarray, hi: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    if not region_shares:
        return {}, {}
    if region is None:
        raise AllocationError(_("Minimum regional shares need the region of each district; this level has none."))
    labels = region.reindex(codes).astype(str).to_numpy()
    unknown = [r for r in region_shares if r not in set(labels)]
    if unknown:
        raise AllocationError(_("Unknown region(s) {names} in the minimum shares; regions: "
                              "{names2}.").format(
                                  names=_names(unknown), names2=_names(sorted(set(labels)), 20)))
    shares = {}
    for r, s in region_shares.items():
        x = _check_number(_("minimum share of region {r!r}").format(r=r), s, positive=False)
        if x > 1:
            raise AllocationError(_("Minimum share of region {r!r} is {x}, above 1 by {value}; "
                                  "give a share between 0 and 1 (e.g. 0.1 for 10 %).").format(
                                      r=r, x=format_spec(x, "g"), value=format_spec(x - 1, "g")))
        shares[r] = x
    total = sum(shares.values())
    if total > 1 + 1e-12:
        raise AllocationError(_("Minimum regional shares sum to {total}, above 1 by {value}; lower them.").format(
            total=format_spec(total, "g"), value=format_spec(total - 1, "g")))
    masks = {r: labels == r for r in shares}
    for r, mask in masks.items():
        most = float(hi[mask].sum())
        if most < shares[r] * budget * (1 - 1e-12):
            raise AllocationError(
                _("Region {r!r} can absorb at most {fmt} (caps, exclusions, full costs), below its minimum "
                "share {shares} x {fmt2} = {fmt3} by "
                "{fmt4}; lower the share or raise the caps.").format(
                    r=r, fmt=_fmt(most), shares=format_spec(shares[r], "g"), fmt2=_fmt(budget), fmt3=_fmt(shares[r] * budget), fmt4=_fmt(shares[r] * budget - most))
            )
    inside = np.zeros(len(codes), dtype=bool)
    need = 0.0
    for r, mask in masks.items():
        need += max(shares[r] * budget, float(lo[mask].sum()))
        inside |= mask
    need += float(lo[~inside].sum())
    if need > budget * (1 + 1e-12):
        raise AllocationError(
            _("Floors and minimum regional shares together need {fmt}, above the budget {fmt2} by "
            "{fmt3}; lower the floors or the shares.").format(
                fmt=_fmt(need), fmt2=_fmt(budget), fmt3=_fmt(need - budget))
        )
    return masks, shares


# ----------------------------------------------------------------------------- solvers
def need_breakpoints(top: float) -> np.ndarray:
    """Spend levels per person, in units of the cost per person, of the chords of ``f(x) = ln(1 + x)``.

    ``0`` then ``1/32 x sqrt(2)^k`` up to the first level at or above ``top``.

    Examples
    --------
    >>> need_breakpoints(0.05).round(4).tolist()
    [0.0, 0.0312, 0.0442, 0.0625]
    """
    u = [0.0, 1.0 / 32]
    while u[-1] < top:
        u.append(u[-1] * np.sqrt(2.0))
    return np.array(u)


@dataclass(frozen=True)
class _Programme:
    """A linear programme over district variables, ready for objectives that change (Monte Carlo)."""

    n_cols: int
    amount: csr_array          # districts x columns: amount = amount @ x
    constraints: list
    bounds: Bounds
    integrality: np.ndarray
    kind: str


def _amount_matrix(p: _Problem, unit: np.ndarray, column_of: np.ndarray, n_cols: int, with_z: bool) -> csr_array:
    from scipy.sparse import csr_array, eye_array, hstack

    n = len(p.codes)
    a = csr_array((unit, (column_of, np.arange(len(column_of)))), shape=(n, len(column_of)))
    if with_z:
        a = hstack([a, csr_array(eye_array(n) * p.cost.fixed)], format="csr")
    return a


def _common_rows(p: _Problem, amount: csr_array) -> list:
    from scipy.optimize import LinearConstraint
    from scipy.sparse import csr_array

    rows = [LinearConstraint(csr_array(amount.sum(axis=0)[None, :]), -np.inf, p.budget)]
    for r, mask in p.regions.items():
        rows.append(LinearConstraint(csr_array(amount[mask].sum(axis=0)[None, :]), p.shares[r] * p.budget, np.inf))
    return rows


def _reach_programme(p: _Problem) -> _Programme:
    """Columns: covered share s_i of every district (then z_i with a fixed cost)."""
    from scipy.optimize import Bounds, LinearConstraint
    from scipy.sparse import eye_array, hstack

    n, c, f = len(p.codes), p.cost.per_person, p.cost.fixed
    unit = c * np.where(p.population > 0, p.population, 1.0)
    var_lo = np.clip(np.maximum(p.lo - f, 0.0) / unit, 0.0, 1.0)
    var_hi = np.clip(np.maximum(p.hi - f, 0.0) / unit, 0.0, 1.0) if f > 0 else np.clip(p.hi / unit, 0.0, 1.0)
    var_lo = np.minimum(var_lo, var_hi)
    with_z = f > 0
    amount = _amount_matrix(p, unit, np.arange(n), n, with_z)
    rows = _common_rows(p, amount)
    if with_z:
        link = hstack([eye_array(n), -eye_array(n)], format="csr")  # s_i <= z_i
        rows.append(LinearConstraint(link, -np.inf, 0.0))
        z_hi = (p.hi >= f).astype(float)
        bounds = Bounds(np.r_[var_lo, p.funded_lb.astype(float)], np.r_[var_hi, z_hi])
        integrality = np.r_[np.zeros(n), np.ones(n)]
    else:
        bounds = Bounds(var_lo, var_hi)
        integrality = np.zeros(n)
    return _Programme(amount.shape[1], amount, rows, bounds, integrality, "reach")


def _reach_objective(p: _Problem, in_need: np.ndarray, prog: _Programme) -> np.ndarray:
    c = np.zeros(prog.n_cols)
    c[: len(p.codes)] = -in_need
    return c


def _guide(p: _Problem) -> np.ndarray:
    """Spend per person (in units of the cost per person) of the optimum without floors, caps or regional
    shares and without fixed cost, ``max(0, (N / P) / lam - 1)``: only where to put fine chords."""
    c = p.cost.per_person
    pop = np.where(p.population > 0, p.population, 1.0)
    share = np.where(p.eligible & (p.hi > 0), p.in_need / pop, 0.0)
    if not (share > 0).any():
        return np.zeros(len(pop))

    def spend(lam: float) -> float:
        return float((c * pop * np.maximum(share / lam - 1.0, 0.0)).sum())

    lo, hi = 1e-300, float(share.max())
    for _unused in range(200):  # bisection on the multiplier, in log scale
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if spend(mid) > p.budget else (lo, mid)
    return np.maximum(share / hi - 1.0, 0.0)


def _grid(p: _Problem, guide: np.ndarray) -> np.ndarray:
    """Breakpoints (spend per person / cost per person) per district, one row each.

    The common levels up to twice the district's ``guide`` spend (plus one), then a single chord up
    to the most it could take: any chords are valid (f is concave, they lie below it), and fine
    ones are only needed where the plan can land.
    """
    c, f = p.cost.per_person, p.cost.fixed
    pop = np.where(p.population > 0, p.population, 1.0)
    top_spend = np.maximum(np.minimum(p.hi - f * (p.hi > 0), p.budget), 0.0)
    top = np.where(p.eligible, top_spend / (c * pop), 0.0)
    common = need_breakpoints(float(top.max(initial=0.0)))
    limit = 2.0 * guide + 1.0
    grid = np.where(common[None, :] <= limit[:, None], common[None, :], np.nan)
    grid = np.concatenate([grid, top[:, None]], axis=1)
    grid = np.where(np.isnan(grid), top[:, None], grid)
    return np.sort(np.maximum.accumulate(np.minimum(grid, np.maximum(top, 0.0)[:, None]), axis=1), axis=1)


def _refined(grid: np.ndarray, u: np.ndarray, pieces: int = 6) -> np.ndarray:
    """``grid`` with the chord holding each district's spend ``u`` and its two neighbours cut in ``pieces``."""
    n, m = grid.shape
    k = np.clip((grid <= u[:, None]).sum(axis=1) - 1, 0, m - 2)
    lo = grid[np.arange(n), np.clip(k - 1, 0, m - 1)]
    hi = grid[np.arange(n), np.clip(k + 2, 0, m - 1)]
    t = np.linspace(0.0, 1.0, 3 * pieces + 1)[1:-1]
    fine = lo[:, None] + (hi - lo)[:, None] * t[None, :]
    out = np.sort(np.concatenate([grid, fine], axis=1), axis=1)
    return out


def _segments(p: _Problem, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The chords of f per district: district of each column, its money width, lower bound, slope of f."""
    c, f = p.cost.per_person, p.cost.fixed
    pop = np.where(p.population > 0, p.population, 1.0)
    top_spend = np.minimum(p.hi - f * (p.hi > 0), p.budget)  # most variable money a district can take
    du = np.diff(grid, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(du > 0, np.diff(np.log1p(grid), axis=1) / (du * c), 0.0)  # benefit per money per person
    k = du.shape[1]
    width = pop[:, None] * du * c  # districts x segments, in money
    start = pop[:, None] * grid[:, :-1] * c
    room = np.maximum(top_spend, 0.0)[:, None]
    width = np.clip(np.minimum(width, room - start), 0.0, None)
    keep = (width > 0) & p.eligible[:, None]
    district = np.repeat(np.arange(len(p.codes)), k).reshape(-1, k)[keep]
    seg_slope = slope[keep]
    seg_width = width[keep]
    # a floor fills the first chords (f is concave, so an optimum fills them first anyway)
    need_lo = np.maximum(p.lo - f * p.funded_lb, 0.0)[:, None]
    seg_lo = np.clip(need_lo - start, 0.0, None)[keep]
    seg_lo = np.minimum(seg_lo, seg_width)
    return district, seg_width, seg_lo, seg_slope


def _need_programme(p: _Problem, grid: np.ndarray | None = None) -> tuple[_Programme, np.ndarray, np.ndarray]:
    from scipy.optimize import Bounds, LinearConstraint
    from scipy.sparse import csr_array, eye_array, hstack

    n, f = len(p.codes), p.cost.fixed
    district, width, lo, slope = _segments(p, _grid(p, _guide(p)) if grid is None else grid)
    with_z = f > 0
    amount = _amount_matrix(p, np.ones(len(district)), district, n, with_z)
    rows = _common_rows(p, amount)
    if with_z:
        # sum of the district's chords <= its room x z_i
        room = np.bincount(district, weights=width, minlength=n)
        link = hstack([csr_array((np.ones(len(district)), (district, np.arange(len(district)))),
                                 shape=(n, len(district))), csr_array(eye_array(n) * -room)], format="csr")
        rows.append(LinearConstraint(link, -np.inf, 0.0))
        z_hi = ((p.hi >= f) & p.eligible).astype(float)
        bounds = Bounds(np.r_[lo, p.funded_lb.astype(float)], np.r_[width, z_hi])
        integrality = np.r_[np.zeros(len(district)), np.ones(n)]
    else:
        bounds = Bounds(lo, width)
        integrality = np.zeros(len(district))
    return _Programme(amount.shape[1], amount, rows, bounds, integrality, "need"), district, slope


def _solve_need(p: _Problem, in_need: np.ndarray) -> np.ndarray:
    """The need plan on chords cut in six around each district's spend in the optimum without
    constraints; solved again with the chords cut around the plan's own spend where the constraints
    moved it by more than 10 % (or 0.05 x the cost per person), so that amounts, not only the value,
    are close to the exact optimum of f."""
    pop = np.where(p.population > 0, p.population, 1.0)
    guide = _guide(p)
    grid = _refined(_grid(p, guide), guide)
    for _unused in range(2):
        prog, district, slope = _need_programme(p, grid)
        amount = _run(prog, _need_objective(p, in_need, prog, district, slope), p)
        u = np.maximum(amount - p.cost.fixed * (amount > 0), 0.0) / (p.cost.per_person * pop)
        if np.all(np.abs(u - guide) <= np.maximum(0.1 * guide, 0.05)):
            break
        guide, grid = u, _refined(np.asarray(grid), u)
    return amount


def _need_objective(p: _Problem, in_need: np.ndarray, prog: _Programme, district: np.ndarray,
                    slope: np.ndarray) -> np.ndarray:
    c = np.zeros(prog.n_cols)
    pop = np.where(p.population > 0, p.population, 1.0)
    c[: len(district)] = -(in_need / pop)[district] * slope
    return c


_HIGHS_LOCK = threading.Lock()
_HIGHS_STARTED = False


def _new_highs() -> Any:
    """A ``highspy.Highs`` instance; the first one of the process is made with standard output muted,
    because HiGHS prints its banner there once (which would mix into the command line's output)."""
    import highspy

    global _HIGHS_STARTED
    with _HIGHS_LOCK:
        if _HIGHS_STARTED:
            return highspy.Highs()
        sys.stdout.flush()
        saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        _HIGHS_STARTED = True
        return h


class _Solver:
    """One programme handed to HiGHS (``highspy``) once, solved for one or many objectives.

    A linear programme is solved first by the interior-point method without
    presolve (with crossover to an optimal vertex: its presolve grows
    quadratically on these one-row programmes), then re-solved for each new
    objective by the simplex method from the previous optimal basis, which takes
    a few iterations. A mixed-integer programme runs HiGHS's branch and bound
    to a relative gap of 1e-9.
    """

    def __init__(self, prog: _Programme, p: _Problem) -> None:
        import highspy
        from scipy.sparse import csr_array, vstack

        self.prog, self.problem = prog, p
        self.mip = bool(np.any(prog.integrality))
        rows = vstack([csr_array(lc.A) for lc in prog.constraints], format="csc")
        lower = np.concatenate([np.broadcast_to(lc.lb, (lc.A.shape[0],)) for lc in prog.constraints])
        upper = np.concatenate([np.broadcast_to(lc.ub, (lc.A.shape[0],)) for lc in prog.constraints])
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = prog.n_cols, rows.shape[0]
        lp.col_cost_ = np.zeros(prog.n_cols)
        lp.col_lower_ = np.asarray(prog.bounds.lb, dtype=float)
        lp.col_upper_ = np.where(np.isfinite(prog.bounds.ub), prog.bounds.ub, inf).astype(float)
        lp.row_lower_ = np.where(np.isfinite(lower), lower, -inf).astype(float)
        lp.row_upper_ = np.where(np.isfinite(upper), upper, inf).astype(float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = rows.indptr.astype(np.int32)
        lp.a_matrix_.index_ = rows.indices.astype(np.int32)
        lp.a_matrix_.value_ = rows.data.astype(float)
        if self.mip:
            lp.integrality_ = [highspy.HighsVarType.kInteger if v else highspy.HighsVarType.kContinuous
                               for v in prog.integrality]
        h = _new_highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("random_seed", 0)
        if self.mip:
            h.setOptionValue("mip_rel_gap", 1e-9)
        else:
            h.setOptionValue("presolve", "off")
            h.setOptionValue("solver", "ipm")
        h.passModel(lp)
        self.h, self.highspy, self.first = h, highspy, True
        self.columns = np.arange(prog.n_cols, dtype=np.int32)

    def solve(self, c: np.ndarray) -> np.ndarray:
        """Amount per district of the optimum of ``min c x``."""
        h, p, prog = self.h, self.problem, self.prog
        scale = float(np.abs(c).max()) or 1.0
        h.changeColsCost(len(self.columns), self.columns, np.asarray(c / scale, dtype=float))
        if not self.first and not self.mip:
            h.setOptionValue("solver", "simplex")
        h.run()
        self.first = False
        status = h.getModelStatus()
        if status != self.highspy.HighsModelStatus.kOptimal:
            raise AllocationError(
                _("No plan meets every constraint together (solver: {modelstatustostring}); the floors, "
                "caps, forced districts and regional shares each fit the budget {fmt} alone: relax one "
                "of them.").format(modelstatustostring=h.modelStatusToString(status), fmt=_fmt(p.budget))
            )
        x = np.clip(np.asarray(h.getSolution().col_value, dtype=float), prog.bounds.lb, prog.bounds.ub)
        return np.asarray(prog.amount @ x, dtype=float)


def _run(prog: _Programme, c: np.ndarray, p: _Problem) -> np.ndarray:
    return _Solver(prog, p).solve(c)


def _formula_target(p: _Problem, in_need: np.ndarray) -> np.ndarray:
    weight = np.where(p.eligible & (p.hi > 0), in_need, 0.0)
    if weight.sum() <= 0:
        raise AllocationError(_("No district that may be funded has people in need: the formula has nothing to split."))
    return p.budget * weight / weight.sum()


def _clipped(lam: float | np.ndarray, weight: np.ndarray, p: _Problem) -> np.ndarray:
    return np.clip(lam * weight, p.lo, p.hi)


def _solve_lambda(total: Any, target: float, top: float) -> float:
    """The least multiplier ``lam`` in [0, top] with ``total(lam) >= target`` (``total`` is nondecreasing)."""
    from scipy.optimize import brentq

    if total(0.0) >= target:
        return 0.0
    return float(brentq(lambda lam: total(lam) - target, 0.0, top, xtol=1e-15 * top, rtol=4 * np.finfo(float).eps,
                        maxiter=500))


def _formula(p: _Problem, in_need: np.ndarray, constrained: bool) -> tuple[np.ndarray, float]:
    """``a_i = clip(lam_r N_i, lo_i, hi_i)``: one multiplier for the country, raised in a region short of its
    minimum share until it has it, set so that the whole budget is spent."""
    target = _formula_target(p, in_need)
    if not constrained:
        return target, 0.0
    weight = np.where(p.eligible & (p.hi > 0), in_need, 0.0)
    positive = weight[weight > 0]
    finite_hi = np.where(np.isfinite(p.hi), p.hi, p.budget)
    top = float(np.max(np.maximum(finite_hi, p.budget) / np.where(weight > 0, weight, np.inf))) * 2 + 1.0
    region_min = {}
    for r, mask in p.regions.items():
        region_min[r] = _solve_lambda(lambda lam, m=mask: float(np.clip(lam * weight[m], p.lo[m], p.hi[m]).sum()),
                                      p.shares[r] * p.budget * (1 - 1e-15), top)

    def amounts(lam: float) -> np.ndarray:
        per = np.full(len(weight), lam)
        for r, mask in p.regions.items():
            per[mask] = max(lam, region_min[r])
        return _clipped(per, weight, p)

    lam = _solve_lambda(lambda x: float(amounts(x).sum()), p.budget, top)
    a = amounts(lam)
    if positive.size == 0 or abs(a.sum() - p.budget) > 1e-9 * p.budget:
        raise AllocationError(
            _("No split of the whole budget {fmt} in proportion to the people in need meets the floors, "
            "caps and regional shares together (it reaches {fmt2}); relax one of them.").format(
                fmt=_fmt(p.budget), fmt2=_fmt(a.sum()))
        )
    return a, float(np.abs(a - target).sum())


# ----------------------------------------------------------------------------- plan
def _outcome(p: _Problem, amount: np.ndarray) -> pd.DataFrame:
    amount = np.where(np.abs(amount) < _TINY * p.budget, 0.0, amount)
    amount = np.clip(amount, p.lo, p.hi)  # the solver's rounding, never past a floor or a cap
    covered = _covered(amount, p.population, p.cost)
    return pd.DataFrame({
        "amount": amount,
        "funded": amount > 0,
        "covered": covered,
        "reached": covered * p.population,
        "in_need_reached": covered * p.in_need,
    }, index=p.codes)


def _covered(amount: np.ndarray, population: np.ndarray, cost: CostModel) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (amount - cost.fixed) / (cost.per_person * population)
    return np.where((population > 0) & (amount > 0), np.clip(np.nan_to_num(s, nan=0.0), 0.0, 1.0), 0.0)


def _solver_text(objective: str, fixed: bool, constrained: bool) -> str:
    if objective == "formula":
        return (_("closed form: budget x people in need / all people in need") if not constrained else
                _("capped proportional rule: clip(lam x people in need, floor, cap), lam solved to spend the budget"))
    kind = _("mixed-integer linear programme") if fixed else "linear programme"
    what = "" if objective == "reach" else _(", f(x) = ln(1 + x/c) on chords between x/c = 0 and 1/32 x sqrt(2)^k")
    return f"{kind} (HiGHS), exact{what}"


def allocate(
    population: pd.Series,
    in_need: pd.Series,
    budget: float,
    *,
    objective: str = "reach",
    cost: CostModel = CostModel(),
    constraints: Constraints = Constraints(),
    region: pd.Series | None = None,
) -> Plan:
    """Split ``budget`` between districts for an objective, under constraints.

    Parameters
    ----------
    population : pandas.Series
        People per district, indexed by district code.
    in_need : pandas.Series
        People in need per district (same index; at most the population). A
        district without a population or a count receives nothing (listed in the notes).
    budget : float
        Total budget (> 0).
    objective : {"reach", "need", "formula"}
        See the module's documentation.
    cost : CostModel
        Cost per person reached and fixed cost per funded district.
    constraints : Constraints
        Floors, caps, minimum regional shares, excluded and forced districts.
    region : pandas.Series, optional
        Region of each district, needed for minimum regional shares.

    Returns
    -------
    Plan

    Raises
    ------
    AllocationError
        An invalid budget, cost or constraint, or constraints no plan can meet
        (the message names the constraint and by how much it fails).

    Examples
    --------
    Three districts of 100 people, 50, 20 and 10 of them in need, 1 per person
    reached, a budget of 150: ``reach`` covers the first district whole and half
    of the second.

    >>> pop = pd.Series([100.0, 100.0, 100.0], index=["a", "b", "c"])
    >>> need = pd.Series([50.0, 20.0, 10.0], index=["a", "b", "c"])
    >>> allocate(pop, need, 150).table["amount"].round(6).tolist()
    [100.0, 50.0, 0.0]
    >>> allocate(pop, need, 160, objective="formula").table["amount"].tolist()
    [100.0, 40.0, 20.0]
    """
    p = _prepare(population, in_need, budget, objective, cost, constraints, region)
    constrained = not constraints.empty
    if objective == "formula":
        amount, value = _formula(p, p.in_need, constrained)
    elif objective == "reach":
        prog = _reach_programme(p)
        amount = _run(prog, _reach_objective(p, p.in_need, prog), p)
    else:
        amount = _solve_need(p, p.in_need)
    table = _outcome(p, amount)
    if objective == "reach":
        value = float(table["in_need_reached"].sum())
    elif objective == "need":
        value = float((p.in_need * np.log1p(np.maximum(table["amount"].to_numpy() - p.cost.fixed, 0)
                                            / (p.cost.per_person * np.where(p.population > 0, p.population, 1))))
                      .sum())
    return Plan(table=table, objective=objective, budget=p.budget, spent=float(table["amount"].sum()),
                value=value, solver=_solver_text(objective, p.cost.fixed > 0, constrained), notes=p.notes)


# ----------------------------------------------------------------------------- rules and yardsticks
def rule_amounts(population: pd.Series, in_need: pd.Series, budget: float, rule: str) -> pd.Series:
    """The split of a simple rule over the districts with a population and a count of people in need.

    Parameters
    ----------
    population, in_need : pandas.Series
    budget : float
    rule : {"equal per district", "per capita", "per person in need"}

    Returns
    -------
    pandas.Series
        Amount per district (0 for districts that cannot take part).

    Examples
    --------
    >>> pop = pd.Series([100.0, 300.0], index=["a", "b"]); need = pd.Series([50.0, 50.0], index=["a", "b"])
    >>> rule_amounts(pop, need, 100, "per capita").tolist(), rule_amounts(pop, need, 100, "per person in need").tolist()
    ([25.0, 75.0], [50.0, 50.0])
    """
    if rule not in RULES:
        raise AllocationError(_("Invalid rule {rule!r}; rule must be one of {list}.").format(
            rule=rule, list=list(RULES)))
    budget = _check_number("budget", budget, positive=True)
    pop = pd.to_numeric(population, errors="coerce").astype(float)
    need = pd.to_numeric(in_need.reindex(pop.index), errors="coerce").astype(float)
    ok = pop.notna() & (pop > 0) & need.notna()
    weight = {"equal per district": ok.astype(float), "per capita": pop.where(ok, 0.0),
              "per person in need": need.where(ok, 0.0)}[rule]
    if weight.sum() <= 0:
        raise AllocationError(_("The rule {rule!r} has nothing to split: no district has a positive weight.").format(
            rule=rule))
    return (budget * weight / weight.sum()).rename("amount")


def evaluate(amount: pd.Series, population: pd.Series, in_need: pd.Series, cost: CostModel,
             need_class: pd.Series, top_decile: pd.Series) -> dict[str, float]:
    """The yardsticks of a split.

    Parameters
    ----------
    amount : pandas.Series
        Amount per district.
    population, in_need : pandas.Series
    cost : CostModel
        Turns amounts into people reached (see the module's documentation).
    need_class : pandas.Series
        Boolean: the districts classified as in need (e.g. the top deciles of the score).
    top_decile : pandas.Series
        Boolean: the districts of the score's top decile.

    Returns
    -------
    dict
        ``spent``; ``districts_funded``; ``in_need_reached`` (people);
        ``coverage`` (their share of all people in need); ``top_decile_share``
        (share of the money spent in the top decile); ``inclusion_error``
        (share of the funded districts not classified in need);
        ``exclusion_error`` (share of the districts in need left unfunded);
        ``leakage`` (share of the money reaching people not in need, spread evenly
        over the people a district's money reaches, fixed costs excluded).
    """
    idx = amount.index
    a = amount.astype(float).fillna(0.0).to_numpy()
    pop = pd.to_numeric(population.reindex(idx), errors="coerce").fillna(0.0).to_numpy(dtype=float)
    need = pd.to_numeric(in_need.reindex(idx), errors="coerce").fillna(0.0).to_numpy(dtype=float)
    cls = need_class.reindex(idx).fillna(False).to_numpy(dtype=bool)
    top = top_decile.reindex(idx).fillna(False).to_numpy(dtype=bool)
    covered = _covered(a, pop, cost)
    reached_need = covered * need
    funded = a > 0
    spent = float(a.sum())
    variable = covered * pop * cost.per_person  # money that reaches people
    with np.errstate(invalid="ignore", divide="ignore"):
        share_poor = np.where(pop > 0, need / pop, 0.0)
    on_poor = float((variable * share_poor).sum())
    total_need = float(need.sum())
    return {
        "spent": spent,
        "districts_funded": float(funded.sum()),
        "in_need_reached": float(reached_need.sum()),
        "coverage": float(reached_need.sum()) / total_need if total_need > 0 else float("nan"),
        "top_decile_share": float(a[top].sum()) / spent if spent > 0 else float("nan"),
        "inclusion_error": float((funded & ~cls).sum()) / funded.sum() if funded.any() else float("nan"),
        "exclusion_error": float((cls & ~funded).sum()) / cls.sum() if cls.any() else float("nan"),
        "leakage": 1.0 - on_poor / spent if spent > 0 else float("nan"),
    }


def compare_rules(plan: Plan, population: pd.Series, in_need: pd.Series, cost: CostModel,
                  need_class: pd.Series, top_decile: pd.Series) -> pd.DataFrame:
    """The plan beside the rules people use, on the same budget and yardsticks.

    Returns
    -------
    pandas.DataFrame
        One row per rule (:data:`RULES`, then ``plan (<objective>)``), the
        columns of :func:`evaluate`.
    """
    rows = {}
    for rule in RULES:
        rows[rule] = evaluate(rule_amounts(population, in_need, plan.budget, rule), population, in_need, cost,
                              need_class, top_decile)
    rows[f"plan ({plan.objective})"] = evaluate(plan.table["amount"], population, in_need, cost, need_class,
                                                top_decile)
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "rule"
    return out


def coverage_by_budget(plan_settings: Mapping[str, Any], population: pd.Series, in_need: pd.Series,
                       budget: float, *, steps: int = 10) -> pd.DataFrame:
    """Coverage of the people in need against the budget spent, for the rules and the optimised plan.

    The rules scale with the budget; the plan is solved again at each budget
    (``k / steps`` of ``budget``), with the same settings. A budget the plan's
    constraints cannot meet (e.g. below the floors) has no point for the plan.

    Parameters
    ----------
    plan_settings : Mapping
        Keyword arguments of :func:`allocate` besides the budget (``objective``,
        ``cost``, ``constraints``, ``region``).
    population, in_need : pandas.Series
    budget : float
    steps : int

    Returns
    -------
    pandas.DataFrame
        Long form: ``budget``, ``rule``, ``coverage`` (0-1).
    """
    cost = plan_settings.get("cost", CostModel())
    total = float(pd.to_numeric(in_need, errors="coerce").fillna(0).sum())
    rows = []
    label = f"plan ({plan_settings.get('objective', 'reach')})"
    shares = {rule: rule_amounts(population, in_need, budget, rule) / budget for rule in RULES}
    pop = pd.to_numeric(population, errors="coerce").fillna(0.0).to_numpy(dtype=float)
    need = pd.to_numeric(in_need.reindex(population.index), errors="coerce").fillna(0.0).to_numpy(dtype=float)
    for k in range(1, steps + 1):
        b = budget * k / steps
        for rule, share in shares.items():
            reached = float((_covered(share.to_numpy() * b, pop, cost) * need).sum())
            rows.append({"budget": b, "rule": rule, "coverage": reached / total})
        try:
            plan = allocate(population, in_need, b, **plan_settings)
            rows.append({"budget": b, "rule": label, "coverage": float(plan.table["in_need_reached"].sum()) / total})
        except AllocationError:
            pass
    return pd.DataFrame(rows, columns=["budget", "rule", "coverage"])


# ----------------------------------------------------------------------------- robustness
def allocate_draws(
    population: pd.Series,
    in_need_draws: np.ndarray,
    budget: float,
    reference: Plan,
    *,
    objective: str = "reach",
    cost: CostModel = CostModel(),
    constraints: Constraints = Constraints(),
    region: pd.Series | None = None,
) -> pd.DataFrame:
    """The plan solved again for every draw of the people in need.

    Parameters
    ----------
    population : pandas.Series
    in_need_draws : numpy.ndarray
        ``draws x districts`` people in need (columns in the order of ``population``).
    budget : float
    reference : Plan
        The plan on the reference counts, for the flag.
    objective, cost, constraints, region
        As in :func:`allocate`.

    Returns
    -------
    pandas.DataFrame
        Indexed by district: ``p_funded`` (share of draws in which it is
        funded), ``amount_p05``, ``amount_median``, ``amount_p95`` and
        ``fragile`` (funded in the reference plan but in fewer than half of the draws).

    Raises
    ------
    AllocationError
        As :func:`allocate`, for any draw.
    """
    draws = np.asarray(in_need_draws, dtype=float)
    if draws.ndim != 2 or draws.shape[1] != len(population) or len(draws) == 0:
        raise AllocationError(_("in_need_draws must be draws x {n_population} districts; got {shape}.").format(
            n_population=len(population), shape=draws.shape))
    amounts = np.empty_like(draws)
    with np.errstate(invalid="ignore"):
        base = pd.Series(np.nanmax(np.where(np.isfinite(draws), draws, -np.inf), axis=0), index=population.index)
    base = base.where(np.isfinite(base))
    p = _prepare(population, base, budget, objective, cost, constraints, region)
    cleaned = np.where(p.eligible[None, :], np.nan_to_num(draws, nan=0.0), 0.0)
    cleaned = np.minimum(np.maximum(cleaned, 0.0), p.population[None, :])
    if objective == "formula":
        for d in range(len(draws)):
            amounts[d] = _formula(p, cleaned[d], not constraints.empty)[0]
    else:
        if objective == "reach":
            prog = _reach_programme(p)
            objective_of = lambda need: _reach_objective(p, need, prog)
        else:
            prog, district, slope = _need_programme(p)
            objective_of = lambda need: _need_objective(p, need, prog, district, slope)
        solver = _Solver(prog, p)
        for d in range(len(draws)):
            amounts[d] = solver.solve(objective_of(cleaned[d]))
    amounts[np.abs(amounts) < _TINY * p.budget] = 0.0
    funded = amounts > 0
    q = np.quantile(amounts, [0.05, 0.5, 0.95], axis=0)
    p_funded = funded.mean(axis=0)
    ref = reference.table["amount"].reindex(population.index).fillna(0.0).to_numpy() > 0
    return pd.DataFrame({
        "p_funded": p_funded,
        "amount_p05": q[0],
        "amount_median": q[1],
        "amount_p95": q[2],
        "fragile": ref & (p_funded < 0.5),
    }, index=population.index)


# ----------------------------------------------------------------------------- a level of the configuration
COMPOSITE = "composite"


@dataclass(frozen=True)
class AllocationSettings:
    """Everything a plan on a level is made with (what a scenario saves).

    Attributes
    ----------
    budget : float
    objective : str
        One of :data:`OBJECTIVES`.
    per_person, fixed : float
        The :class:`CostModel`.
    floors, caps, region_shares : Mapping[str, float]
    excluded, forced : tuple of str
        The :class:`Constraints`.
    target : str
        Who is in need: ``"composite"`` (the population times the mean of the
        score's percentage layers of the need themes, weighted by their
        effective weights) or a percentage layer id (its rate times its
        denominator, :func:`geo.dataset.target_counts`).
    need_deciles : int
        Districts in the score's deciles ``1..need_deciles`` are classified in
        need (for the inclusion and exclusion errors).
    draws : int
        Monte Carlo draws for the robustness (0: none).
    """

    budget: float
    objective: str = "reach"
    per_person: float = 1.0
    fixed: float = 0.0
    floors: Mapping[str, float] = field(default_factory=dict)
    caps: Mapping[str, float] = field(default_factory=dict)
    region_shares: Mapping[str, float] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()
    forced: tuple[str, ...] = ()
    target: str = COMPOSITE
    need_deciles: int = 2
    draws: int = 1000

    @property
    def cost(self) -> CostModel:
        """The cost model."""
        return CostModel(per_person=self.per_person, fixed=self.fixed)

    @property
    def constraints(self) -> Constraints:
        """The constraints."""
        return Constraints(floors=dict(self.floors), caps=dict(self.caps), region_shares=dict(self.region_shares),
                           excluded=tuple(self.excluded), forced=tuple(self.forced))

    def as_dict(self) -> dict[str, Any]:
        """Plain values (numbers, strings, lists, tables), for a scenario file."""
        return {
            "budget": float(self.budget), "objective": self.objective, "per_person": float(self.per_person),
            "fixed": float(self.fixed), "floors": {str(k): float(v) for k, v in self.floors.items()},
            "caps": {str(k): float(v) for k, v in self.caps.items()},
            "region_shares": {str(k): float(v) for k, v in self.region_shares.items()},
            "excluded": list(self.excluded), "forced": list(self.forced), "target": self.target,
            "need_deciles": int(self.need_deciles), "draws": int(self.draws),
        }


@dataclass(frozen=True)
class Investment:
    """A plan on a level and everything shown beside it.

    Attributes
    ----------
    plan : Plan
    table : pandas.DataFrame
        The export: ``code, name, amount, p_funded``, then the spread over the
        draws, ``fragile``, the outcome and the district's score (:data:`PLAN_COLUMNS`).
    comparison : pandas.DataFrame
        :func:`compare_rules`.
    curve : pandas.DataFrame
        :func:`coverage_by_budget`.
    in_need : pandas.Series
        People in need per district.
    notes : tuple of str
    """

    plan: Plan
    table: pd.DataFrame
    comparison: pd.DataFrame
    curve: pd.DataFrame
    in_need: pd.Series
    notes: tuple[str, ...] = ()


PLAN_COLUMNS = (
    "code", "name", "amount", "p_funded", "amount_p05", "amount_median", "amount_p95", "fragile", "funded",
    "covered", "in_need_reached", "in_need", "population", "parent_code", "parent_name", "region", "score", "rank",
    "decile",
)


def region_of(data: Any) -> pd.Series | None:
    """The region of every district of a level: ``region_code`` when the boundaries have it, else the parent."""
    d = data.districts
    if "region_code" in d.columns:
        return d["region_code"].astype(str)
    if "parent_code" in d.columns and d["parent_code"].notna().any():
        return d["parent_code"].astype(str)
    return None


def target_layers(data: Any, result: Any, roles: Mapping[str, str]) -> list[str]:
    """The layers of the composite count: percentages, higher is worse, of a need theme (``roles``: theme id ->
    role, e.g. ``Config.roles``), weighted in the score."""
    weights = result.effective_weights
    return [l.id for l in data.layers
            if l.unit == "%" and l.higher_is_worse and roles.get(l.theme) == "need"
            and float(weights.get(l.id, 0.0)) > 0]


def _composite_rates(data: Any, layers: Sequence[str]) -> np.ndarray:
    return data.values[list(layers)].to_numpy(dtype=float) / 100.0


def _composite(rates: np.ndarray, population: np.ndarray, w: np.ndarray) -> np.ndarray:
    """People in need per row of weights ``w`` (draws x layers): population x weighted mean of the rates it has."""
    have = np.isfinite(rates)
    filled = np.where(have, rates, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (w @ filled.T) / (w @ have.T.astype(float))
    return mean * population[None, :]


def people_in_need(data: Any, result: Any, target: str = COMPOSITE, roles: Mapping[str, str] | None = None
                   ) -> pd.Series:
    """People in need per district for a target (see :class:`AllocationSettings`); ``roles`` (theme id ->
    role) says which themes count for the composite.

    Raises
    ------
    AllocationError
        A composite without a weighted percentage layer of a need theme.
    ConfigError
        An unknown layer, or a layer that is not a percentage.
    """
    if target != COMPOSITE:
        from geo.dataset import target_counts

        return target_counts(data, target).astype(float).rename("in_need")
    layers = target_layers(data, result, roles or {})
    if not layers:
        raise AllocationError(
            _("No weighted percentage layer of a need theme (poverty, unemployment, displacement) to count people in "
            "need: give one a weight, or choose a target layer.")
        )
    w = result.effective_weights.reindex(layers).to_numpy(dtype=float)
    pop = pd.to_numeric(data.population, errors="coerce").reindex(data.values.index).to_numpy(dtype=float)
    out = _composite(_composite_rates(data, layers), pop, w[None, :])[0]
    return pd.Series(out, index=data.values.index, name="in_need")


def in_need_draws(data: Any, result: Any, uncertainty: Any, target: str = COMPOSITE, *,
                  roles: Mapping[str, str] | None = None, weights: Mapping[str, float] | None = None,
                  theme_weights: Mapping[str, float] | None = None) -> np.ndarray:
    """People in need in every Monte Carlo draw (``draws x districts``), from the draws' weights.

    The composite count moves with the layer and theme weights of each draw (and
    the layer left out); a single target layer does not depend on the weights,
    so its count is the same in every draw.
    """
    reference = people_in_need(data, result, target, roles).to_numpy(dtype=float)
    factors = uncertainty.factors
    if target != COMPOSITE:
        return np.repeat(reference[None, :], len(factors), axis=0)
    counted = list(uncertainty.settings["layers"])
    theme_of_layer = {l.id: l.theme for l in data.layers}
    theme_ids = sorted({theme_of_layer[c] for c in counted})
    theme_of = np.array([theme_ids.index(theme_of_layer[c]) for c in counted])
    # the draw's weights, rescaled within and across themes as geo.scoring.effective_weights does
    lw = np.array([float((weights or {}).get(c, 1.0)) for c in counted])[None, :] * \
        factors[[f"weight: {c}" for c in counted]].to_numpy(dtype=float)
    if "left out" in factors:
        lw[np.arange(len(lw)), factors["left out"].map({c: j for j, c in enumerate(counted)}).to_numpy()] = 0.0
    onehot = (theme_of[:, None] == np.arange(len(theme_ids))[None, :]).astype(float)
    within = lw @ onehot
    tw = np.array([float((theme_weights or {}).get(t, 1.0)) for t in theme_ids])[None, :] * \
        factors[[f"theme weight: {t}" for t in theme_ids]].to_numpy(dtype=float) * (within > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(within[:, theme_of] > 0, lw / within[:, theme_of], 0.0)
        eff = share * (tw / tw.sum(axis=1, keepdims=True))[:, theme_of]
    layers = [lid for lid in target_layers(data, result, roles or {}) if lid in counted]
    w = eff[:, [counted.index(lid) for lid in layers]]
    pop = pd.to_numeric(data.population, errors="coerce").reindex(data.values.index).to_numpy(dtype=float)
    return _composite(_composite_rates(data, layers), pop, w)


def invest(data: Any, result: Any, settings: AllocationSettings, *, roles: Mapping[str, str] | None = None,
           uncertainty: Any = None, weights: Mapping[str, float] | None = None,
           theme_weights: Mapping[str, float] | None = None, steps: int = 10) -> Investment:
    """Allocate a budget on a scored level: the plan, its robustness, its comparison with the rules.

    Parameters
    ----------
    data : LevelData
    result : ScoreResult
        The score of ``data`` (for the need classification and the composite count).
    settings : AllocationSettings
    roles : Mapping[str, str], optional
        Theme id -> role (``Config.roles``): the need themes make the composite count.
    uncertainty : UncertaintyResult, optional
        The Monte Carlo of the score (:func:`geo.analysis.monte_carlo`); without
        it, ``p_funded`` is 1 or 0 from the plan itself and the spread is empty.
    weights, theme_weights : Mapping, optional
        The raw weights of the score (the draws multiply them).
    steps : int
        Points of the coverage-against-budget curve.

    Returns
    -------
    Investment

    Raises
    ------
    AllocationError
        Invalid settings or constraints no plan can meet.
    """
    population = pd.to_numeric(data.population, errors="coerce").reindex(data.values.index).astype(float)
    need = people_in_need(data, result, settings.target, roles)
    region = region_of(data)
    kw = dict(objective=settings.objective, cost=settings.cost, constraints=settings.constraints, region=region)
    plan = allocate(population, need, settings.budget, **kw)
    if uncertainty is not None and settings.draws > 0:
        draws = in_need_draws(data, result, uncertainty, settings.target, roles=roles, weights=weights,
                              theme_weights=theme_weights)[: settings.draws]
        robust = allocate_draws(population, draws, settings.budget, plan, **kw)
    else:
        robust = pd.DataFrame({"p_funded": np.nan, "amount_p05": np.nan, "amount_median": np.nan,
                               "amount_p95": np.nan, "fragile": False}, index=population.index)
    decile = result.table["decile"].reindex(population.index)
    need_class = (decile <= settings.need_deciles).fillna(False).astype(bool)
    top = (decile == 1).fillna(False).astype(bool)
    comparison = compare_rules(plan, population, need, settings.cost, need_class, top)
    curve = coverage_by_budget(kw, population, need, settings.budget, steps=steps)
    table = _plan_table(data, result, plan, robust, need, region)
    return Investment(plan=plan, table=table, comparison=comparison, curve=curve, in_need=need, notes=plan.notes)


def _plan_table(data: Any, result: Any, plan: Plan, robust: pd.DataFrame, need: pd.Series,
                region: pd.Series | None) -> pd.DataFrame:
    from geo.dataset import district_columns

    base = district_columns(data)
    t = plan.table
    out = pd.DataFrame({
        "code": base["code"], "name": base["name"], "amount": t["amount"], "p_funded": robust["p_funded"],
        "amount_p05": robust["amount_p05"], "amount_median": robust["amount_median"],
        "amount_p95": robust["amount_p95"], "fragile": robust["fragile"].astype(bool), "funded": t["funded"],
        "covered": t["covered"], "in_need_reached": t["in_need_reached"], "in_need": need,
        "population": base["population"], "parent_code": base["parent_code"], "parent_name": base["parent_name"],
        "region": region if region is not None else pd.Series(pd.NA, index=base.index, dtype=object),
    }, index=base.index)
    out = out.join(result.table[["score", "rank", "decile"]])
    out = out.sort_values(["amount", "rank", "code"], ascending=[False, True, True], na_position="last",
                          kind="mergesort")
    return out[list(PLAN_COLUMNS)].reset_index(drop=True)


def investment_metadata(settings: AllocationSettings, investment: Investment) -> dict[str, str]:
    """The allocation settings and the solver, for the ``settings`` sheet of an export."""
    meta = {f"allocation.{k}": (",".join(map(str, v)) if isinstance(v, list) else
                                ",".join(f"{a}={b:g}" for a, b in v.items()) if isinstance(v, dict) else str(v))
            for k, v in settings.as_dict().items()}
    plan = investment.plan
    meta.update({"allocation.solver": plan.solver, "allocation.spent": f"{plan.spent:.6f}",
                 "allocation.value": f"{plan.value:.6f}",
                 "allocation.cost_model": _("covered share = (amount - fixed) / (cost per person x population), 0-1")})
    for i, note in enumerate(plan.notes):
        meta[f"allocation.note{i + 1}"] = note
    return meta
