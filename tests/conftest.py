from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# The property and fuzz tests draw the same examples on every run, so a green run here is a green run
# anywhere; `HYPOTHESIS_PROFILE=explore` draws new ones (and more) to look for new failures.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
OWN = DATA / "own_data"
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def own_config():
    from geo.config import load_config

    return load_config(OWN / "config.toml")


@pytest.fixture(scope="session")
def default_config():
    from geo.config import load_config

    if not (ROOT / "data" / "boundaries" / "morocco.gpkg").exists():
        pytest.skip("default dataset not built")
    return load_config(ROOT / "config.toml")


@pytest.fixture(scope="module")
def browser(default_config):
    """A headless Chromium (skips without it, fails when REQUIRE_BROWSER is set)."""
    from .browser import ARGS, CHROMIUM, need_browser

    sync_api = need_browser()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(default_config):
    """The dashboard on the default data, on a free local port."""
    from .browser import dashboard

    with dashboard() as url:
        yield url


@pytest.fixture
def dashboard_config(monkeypatch):
    """Point the dashboard's ``ui.state`` at another configuration file for one test.

    Call the returned function with the file; the configuration and level caches are cleared
    before and after, so other tests see the default configuration again. ``ui.state`` reads
    ``POCKETS_CONFIG`` once, when first imported, hence the patch of ``CONFIG_PATH`` itself.
    """
    from ui import state as ui_state

    def use(path):
        monkeypatch.setenv("POCKETS_CONFIG", str(path))
        monkeypatch.setattr(ui_state, "CONFIG_PATH", path)
        ui_state.config.clear()
        ui_state.level_data.clear()
        return ui_state

    yield use
    import streamlit as st

    # Every cached result, not only the configuration: another configuration may share level names.
    st.cache_data.clear()
    st.cache_resource.clear()
