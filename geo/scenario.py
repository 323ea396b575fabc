"""Named scenarios: a saved view (layers, weights, method, filters, budget settings) and their comparison.

A scenario is a small JSON file a person can read and edit (TOML is read too)::

    {
      "format": "pockets-scenario/1",
      "name": "Rural first",
      "config": "config.toml",
      "fingerprint": "3f2a...",
      "level": "provinces",
      "layers": ["illiteracy", ...],
      "weights": {"illiteracy": 2.0, ...},
      "theme_weights": {"poverty": 1.0, ...},
      "method": {"normalisation": "minmax", ...},
      "filters": {"region": "", "area": "all", "min_population": 0},
      "top_k": 10,
      "allocation": {"budget": 5e9, "objective": "reach", ...}
    }

``fingerprint`` ties it to the configuration it was made with (the
configuration file's bytes and the names and sizes of the data files it reads):
a scenario of another configuration, or naming layers this one does not have,
is refused with the names. :func:`compare_rankings` sets two scenarios' ranks
side by side (rank shift, districts entering and leaving the top k) and
:func:`compare_allocations` their plans.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from geo.i18n import _
from geo.allocate import AllocationSettings
from geo.config import Config
from geo.errors import TargetingError
from geo.scoring import Method

__all__ = [
    "FORMAT",
    "Scenario",
    "ScenarioError",
    "compare_allocations",
    "compare_rankings",
    "config_fingerprint",
    "load_scenario",
    "read_scenario",
    "save_scenario",
    "scenario_text",
]

FORMAT = "pockets-scenario/1"


class ScenarioError(TargetingError):
    """A scenario file that cannot be used with this configuration."""


def config_fingerprint(config: Config) -> str:
    """A short hash of the configuration file and of the names and sizes of the files it reads.

    Examples
    --------
    >>> from geo.config import load_config
    >>> len(config_fingerprint(load_config("tests/data/own_data/config.toml")))
    16
    """
    h = hashlib.sha256(Path(config.path).read_bytes())
    files = [lv.path for lv in config.levels.values()] + [t.path for t in config.tables.values()]
    for path in sorted({Path(f) for f in files}):
        size = path.stat().st_size if path.exists() else -1
        h.update(f"\n{path.name}:{size}".encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Scenario:
    """A named view and its budget settings.

    Attributes
    ----------
    name : str
    level : str
    layers : tuple of str
    weights, theme_weights : Mapping[str, float]
    method : Method
    filters : Mapping[str, Any]
        ``region`` (code or ""), ``area`` ("all", "urban", "rural"), ``min_population``.
    top_k : int
    allocation : AllocationSettings
    fingerprint : str
    config_name : str
    """

    name: str
    level: str
    layers: tuple[str, ...]
    weights: Mapping[str, float] = field(default_factory=dict)
    theme_weights: Mapping[str, float] = field(default_factory=dict)
    method: Method = Method()
    filters: Mapping[str, Any] = field(default_factory=lambda: {"region": "", "area": "all", "min_population": 0})
    top_k: int = 10
    allocation: AllocationSettings = AllocationSettings(budget=0.0)
    fingerprint: str = ""
    config_name: str = ""

    @classmethod
    def default(cls, config: Config, name: str = "default") -> Scenario:
        """The configuration's own view, without a budget."""
        layers = tuple(l.id for l in config.layers)
        return cls(
            name=name, level=config.display.default_level, layers=layers,
            weights={l.id: float(config.weights.get(l.id, 1.0)) for l in config.layers},
            theme_weights={t: float(config.theme_weights.get(t, 1.0)) for t in sorted({l.theme for l in config.layers})},
            method=config.method, top_k=config.display.top_n, fingerprint=config_fingerprint(config),
            config_name=Path(config.path).name,
        )

    def as_dict(self) -> dict[str, Any]:
        """The file's content."""
        return {
            "format": FORMAT, "name": self.name, "config": self.config_name, "fingerprint": self.fingerprint,
            "level": self.level, "layers": list(self.layers),
            "weights": {k: float(v) for k, v in self.weights.items()},
            "theme_weights": {k: float(v) for k, v in self.theme_weights.items()},
            "method": dataclasses.asdict(self.method), "filters": dict(self.filters), "top_k": int(self.top_k),
            "allocation": self.allocation.as_dict(),
        }


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write ``scenario`` as indented JSON (``.json``); returns the path."""
    path = Path(path)
    if path.suffix.lower() != ".json":
        raise ScenarioError(_("{path}: a scenario is saved as .json; choose a name ending in .json.").format(
            path=path))
    path.write_text(scenario_text(scenario), encoding="utf-8")
    return path


def scenario_text(scenario: Scenario) -> str:
    """The JSON text of a scenario file."""
    return json.dumps(scenario.as_dict(), indent=2, ensure_ascii=False) + "\n"


def load_scenario(path: str | Path, config: Config) -> Scenario:
    """Read a scenario file (JSON or TOML) made with ``config``.

    Raises
    ------
    ScenarioError
        Unreadable file, another format, another configuration (fingerprint differs),
        an unknown level or unknown layers (named).
    """
    path = Path(path)
    if not path.exists():
        raise ScenarioError(_("Scenario file {path} not found; check the path.").format(path=path))
    return read_scenario(path.read_bytes(), config, name=str(path))


def read_scenario(content: bytes, config: Config, *, name: str = "scenario") -> Scenario:
    """A scenario from the bytes of a JSON or TOML file (e.g. an upload); see :func:`load_scenario`."""
    text = content.decode("utf-8-sig", errors="replace")
    try:
        raw = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(_("{name}: not a JSON or TOML scenario file ({exc}).").format(
            name=name, exc=exc)) from None
    if raw.get("format") != FORMAT:
        raise ScenarioError(_("{name}: format {get!r} is not {v_format!r}; save the scenario again.").format(
            name=name, get=raw.get('format'), v_format=FORMAT))
    mine = config_fingerprint(config)
    if raw.get("fingerprint") != mine:
        raise ScenarioError(
            _("{name}: made with configuration {get!r} (fingerprint {get2!r}), not "
            "with {name2!r} (fingerprint {mine!r}); its districts and layers may differ. Open it "
            "with the configuration it was made with, or save the scenario again with this one.").format(
                name=name, get=raw.get('config'), get2=raw.get('fingerprint'), name2=Path(config.path).name, mine=mine)
        )
    if raw.get("level") not in config.levels:
        raise ScenarioError(_("{name}: unknown level {get!r}; levels: {list}.").format(
            name=name, get=raw.get('level'), list=list(config.levels)))
    known = {l.id for l in config.layers}
    named = set(raw.get("layers", [])) | set(raw.get("weights", {}))
    unknown = sorted(named - known)
    if unknown:
        raise ScenarioError(_("{name}: unknown layer(s) {unknown}; this configuration's layers: {sorted}.").format(
            name=name, unknown=unknown, sorted=sorted(known)))
    try:
        method = Method(**raw.get("method", {}))
        alloc = dict(raw.get("allocation", {}))
        for key in ("excluded", "forced"):
            alloc[key] = tuple(alloc.get(key, ()))
        allocation = AllocationSettings(**alloc)
    except TypeError as exc:
        raise ScenarioError(_("{name}: {exc}; remove the unknown setting.").format(
            name=name, exc=exc)) from None
    return Scenario(
        name=str(raw.get("name", "scenario")), level=raw["level"], layers=tuple(raw.get("layers", [])),
        weights={k: float(v) for k, v in raw.get("weights", {}).items()},
        theme_weights={k: float(v) for k, v in raw.get("theme_weights", {}).items()},
        method=method, filters=dict(raw.get("filters", {})), top_k=int(raw.get("top_k", 10)),
        allocation=allocation, fingerprint=mine, config_name=Path(config.path).name,
    )


def compare_rankings(rank_a: pd.Series, rank_b: pd.Series, k: int) -> pd.DataFrame:
    """Two rankings of the same districts side by side.

    Parameters
    ----------
    rank_a, rank_b : pandas.Series
        Rank per district code (1 = most in need; missing = unscored).
    k : int
        Size of the top group.

    Returns
    -------
    pandas.DataFrame
        Indexed by code: ``rank_a``, ``rank_b``, ``shift`` (``rank_a - rank_b``:
        positive = moves up, more in need under B), ``change`` ("enters the top
        k", "leaves the top k", "stays in the top k" or "").

    Examples
    --------
    >>> a = pd.Series([1, 2, 3], index=list("xyz")); b = pd.Series([2, 3, 1], index=list("xyz"))
    >>> compare_rankings(a, b, 1)[["shift", "change"]].values.tolist()
    [[-1, 'leaves the top 1'], [-1, ''], [2, 'enters the top 1']]
    """
    index = rank_a.index.union(rank_b.index, sort=False)
    a = pd.to_numeric(rank_a.reindex(index), errors="coerce").astype("Int64")
    b = pd.to_numeric(rank_b.reindex(index), errors="coerce").astype("Int64")
    in_a, in_b = (a <= k).fillna(False), (b <= k).fillna(False)
    change = pd.Series("", index=index, dtype=object)
    change[in_b & ~in_a] = _("enters the top {k}").format(k=k)
    change[in_a & ~in_b] = _("leaves the top {k}").format(k=k)
    change[in_a & in_b] = _("stays in the top {k}").format(k=k)
    return pd.DataFrame({"rank_a": a, "rank_b": b, "shift": a - b, "change": change}, index=index)


def compare_allocations(amount_a: pd.Series, amount_b: pd.Series) -> pd.DataFrame:
    """Two plans side by side: ``amount_a``, ``amount_b``, ``difference`` (b - a), sorted by the largest change.

    Examples
    --------
    >>> compare_allocations(pd.Series([5.0, 1.0], index=["x", "y"]), pd.Series([2.0, 3.0], index=["x", "y"]))["difference"].tolist()
    [-3.0, 2.0]
    """
    index = amount_a.index.union(amount_b.index, sort=False)
    a, b = amount_a.reindex(index).fillna(0.0), amount_b.reindex(index).fillna(0.0)
    out = pd.DataFrame({"amount_a": a, "amount_b": b, "difference": b - a}, index=index)
    return out.reindex(out["difference"].abs().sort_values(ascending=False, kind="mergesort").index)
