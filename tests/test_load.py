"""Twenty dashboard sessions at once: each sees its own ranking, memory stays bounded.

Two phases, both against the default data and the dashboard's shared caches
(``st.cache_data`` / ``st.cache_resource`` in ``ui/state.py``):

1. twenty threads start together and score twenty different weightings through
   the dashboard's cached functions, as the server's session threads do;
2. twenty ``AppTest`` sessions of the overview page are alive at once, driven from
   four threads: each sets its own theme weights and must see the ranking the
   engine computes for them, then all are rerun in reverse order (the caches now
   hold every weighting) and must still see their own. ``AppTest.run`` swaps
   process-wide objects (the Streamlit ``Runtime`` and ``config.get_option``), so
   the harness calls are serialised with a lock; the sessions still interleave.

Resident memory after the twenty sessions may not grow by more than a generous
ceiling over one warmed-up session.
"""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import ROOT

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from ui.sidebar import WEIGHTS_OPEN  # noqa: E402

from .apptest import ranking  # noqa: E402

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


def _expected(config, level: str, theme_weights: dict[str, float]) -> list[tuple[str, int]]:
    from geo.dataset import load_level, ranked_table, score_level

    if level not in _expected.cache:
        _expected.cache[level] = load_level(config, level)
    data = _expected.cache[level]
    weights = {l.id: float(config.weights.get(l.id, 1.0)) for l in config.layers}
    result = score_level(data, weights=weights, theme_weights=theme_weights, method=config.method)
    table = ranked_table(data, result)
    return list(zip(table["code"], table["rank"].astype("Int64").tolist()))


_expected.cache = {}


_HARNESS = threading.Lock()


def _run(at: AppTest) -> AppTest:
    with _HARNESS:
        at.run()
    assert not at.exception, at.exception
    return at


def _seen(at: AppTest) -> list[tuple[str, int]]:
    table = ranking(at).reset_index(drop=True).sort_values(["rank", "code"], kind="mergesort")
    return list(zip(table["code"], table["rank"].astype("Int64").tolist()))


def _page_of(ranked: list[tuple[str, int]], rows: int) -> list[tuple[str, int]]:
    """The first page of a ranking (``rows`` districts in ranking order), in :func:`_seen`'s order."""
    return sorted(ranked[:rows], key=lambda item: (item[1], item[0]))


def _session(theme_weights: dict[str, float]) -> tuple[AppTest, list[tuple[str, int]]]:
    at = AppTest.from_file(str(ROOT / "ui" / "overview.py"), default_timeout=180)
    at.session_state[WEIGHTS_OPEN] = True  # the Weights box open: its sliders drawn
    _run(at)
    for theme, w in theme_weights.items():
        at.slider(key=f"w_theme_{theme}").set_value(w)
    _run(at)
    return at, _seen(at)


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
def test_twenty_threads_score_through_the_shared_caches(default_config):
    import warnings

    from ui import state

    level = default_config.display.default_level
    plans = _weights()
    barrier = threading.Barrier(SESSIONS)

    def score(theme_weights: dict[str, float]) -> list[tuple[str, int]]:
        view = state.default_view(level).replace(theme_weights=theme_weights)
        barrier.wait()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # no script run context outside the server
            _, table, _ = state.scored(view)
        table = table.reset_index(drop=True).sort_values(["rank", "code"], kind="mergesort")
        return list(zip(table["code"], table["rank"].astype("Int64").tolist()))

    with ThreadPoolExecutor(SESSIONS) as pool:
        seen = list(pool.map(score, plans))
    for got, plan in zip(seen, plans):
        assert got == _expected(default_config, level, plan), plan


@pytest.mark.slow
def test_twenty_concurrent_sessions_see_their_own_ranking(default_config, shared_script_cache):
    level = default_config.display.default_level
    _session({t: 1.0 for t in THEMES})  # warm the shared caches: boundaries, tables, layers
    before = _rss()
    plans = _weights()
    assert len({tuple(w.values()) for w in plans}) == SESSIONS
    with ThreadPoolExecutor(THREADS) as pool:
        sessions = list(pool.map(_session, plans))
    expected = [_expected(default_config, level, plan) for plan in plans]
    for (at, seen), plan, want in zip(sessions, plans, expected):
        assert seen == _page_of(want, len(seen)), plan
        assert {t: at.slider(key=f"w_theme_{t}").value for t in THEMES} == plan
    for (at, first), plan in reversed(list(zip(sessions, plans))):
        assert _seen(_run(at)) == first, plan  # rerun: every weighting is now in the caches
    growth = _rss() - before
    assert len({tuple(w) for w in expected}) > SESSIONS // 2  # the weightings really differ
    assert growth < RSS_CEILING, f"resident memory grew by {growth / 2**20:.0f} MB"
