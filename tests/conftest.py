from __future__ import annotations

from pathlib import Path

import pytest

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
