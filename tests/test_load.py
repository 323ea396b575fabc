"""Twenty dashboard sessions at once: each sees its own ranking, memory stays bounded.

Sessions are Streamlit ``AppTest`` runs of the overview page, driven from four
threads (five sessions each) so that they overlap in the shared caches
(``st.cache_data`` / ``st.cache_resource``). Every session sets its own theme
weights and must see exactly the ranking the engine computes for them; resident
memory after the twenty sessions may not grow by more than a generous ceiling
over one warmed-up session.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from .conftest import ROOT

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

THEMES = ("poverty", "unemployment", "displacement", "infrastructure")
SESSIONS = 20
THREADS = 4
RSS_CEILING = 600 * 2**20


def _weights() -> list[dict[str, float]]:
    """Twenty different theme weightings, none all zero."""
    combos = [w for w in itertools.product((0.0, 1.0, 3.0), repeat=4) if any(w)]
    step = len(combos) // SESSIONS
    return [dict(zip(THEMES, combos[i * step])) for i in range(SESSIONS)]


def _rss() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE")


def _ranking(at: AppTest) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if "rank" in df.value.columns and "decile" in df.value.columns)


def _expected(config, level: str, theme_weights: dict[str, float]) -> list[tuple[str, int]]:
    from geo.dataset import load_level, ranked_table, score_level

    data = _expected.cache.setdefault(level, load_level(config, level))
    weights = {l.id: float(config.weights.get(l.id, 1.0)) for l in config.layers}
    result = score_level(data, weights=weights, theme_weights=theme_weights, method=config.method)
    table = ranked_table(data, result)
    return list(zip(table["code"], table["rank"].astype("Int64").tolist()))


_expected.cache = {}


def _session(theme_weights: dict[str, float]) -> tuple[dict[str, float], list[tuple[str, int]], str]:
    at = AppTest.from_file(str(ROOT / "ui" / "overview.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    for theme, w in theme_weights.items():
        at.slider(key=f"w_theme_{theme}").set_value(w)
    at.run()
    assert not at.exception, at.exception
    table = _ranking(at).reset_index(drop=True).sort_values(["rank", "code"], kind="mergesort")
    seen = list(zip(table["code"], table["rank"].astype("Int64").tolist()))
    return theme_weights, seen, str(at.query_params.get("theme_weights", ""))


@pytest.fixture
def shared_script_cache(monkeypatch):
    """One compiled-script cache for all sessions, as ``streamlit run`` has one per server.

    ``AppTest`` makes a new cache for every run, so twenty threads would compile the
    page at the same time, which Python 3.11's compiler does not support
    ("AST constructor recursion depth mismatch"); the server compiles it once.
    """
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    monkeypatch.setattr(app_test, "ScriptCache", lambda: shared)
    monkeypatch.setattr(local_script_runner, "ScriptCache", lambda: shared)
    return shared


@pytest.mark.slow
def test_twenty_concurrent_sessions_see_their_own_ranking(default_config, shared_script_cache):
    level = default_config.display.default_level
    _session({t: 1.0 for t in THEMES})  # warm the shared caches: boundaries, tables, layers
    before = _rss()
    plans = _weights()
    assert len({tuple(w.values()) for w in plans}) == SESSIONS
    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(_session, plans))
    growth = _rss() - before
    rankings = set()
    for (weights, seen, url), plan in zip(outcomes, plans):
        assert weights == plan
        assert seen == _expected(default_config, level, plan), plan
        rankings.add(tuple(seen))
    assert len(rankings) > SESSIONS // 2  # the weightings really differ
    print(f"{len(rankings)} rankings; resident memory grew by {growth / 2**20:.0f} MB")
    assert growth < RSS_CEILING, f"resident memory grew by {growth / 2**20:.0f} MB"
