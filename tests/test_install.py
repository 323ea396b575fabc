"""``pip install .`` gives a ``pockets`` command that works from any folder, dashboard included.

The package is built from a copy of the sources and installed (not editable) into a fresh virtual
environment whose dependencies come from this one (a ``.pth`` file), so no network is needed.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .browser import free_port
from .conftest import DATA, ROOT

pytestmark = pytest.mark.slow

SOURCES = ("pyproject.toml", "requirements.txt", "README.md", "app.py", "geo", "layers", "ui", "static", "locale")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin folder, site-packages) of a virtual environment with the package installed from a copy."""
    base = tmp_path_factory.mktemp("install")
    src = base / "src"
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif path.exists():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, src / name)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; "
                                   "print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    (purelib / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--no-index", str(src)],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return venv / "bin", purelib


def test_pockets_check_from_another_folder(installed, tmp_path):
    bin_dir, purelib = installed
    country = tmp_path / "my_country"
    shutil.copytree(DATA / "second_country", country)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "POCKETS_CONFIG")}
    done = subprocess.run([str(bin_dir / "pockets"), "check", "--config", "my_country/config.toml"],
                          cwd=tmp_path, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "census.csv (districts): 5 of 6 districts matched" in done.stdout
    where = subprocess.run([str(bin_dir / "python"), "-c", "import geo, ui; print(geo.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, env=env).stdout
    assert where.startswith(str(purelib))  # the installed copy, not the clone
    catalogues = subprocess.run([str(bin_dir / "python"), "-c", "from geo import i18n; print(i18n.LOCALE_DIR)"],
                                cwd=tmp_path, capture_output=True, text=True, env=env).stdout.strip()
    assert catalogues.startswith(str(purelib))  # the message catalogues installed as pockets_locale
    assert (Path(catalogues) / "fr" / "LC_MESSAGES" / "pockets.mo").exists()
    assert (Path(catalogues) / "morocco_headings_fr.csv").exists()
    done = subprocess.run([str(bin_dir / "pockets"), "check", "--config", "my_country/config.toml", "--strict"],
                          cwd=tmp_path, capture_output=True, text=True, env=env)
    assert done.returncode == 2 and done.stderr.startswith("error: census.csv (districts): 1 of 6 districts")


def test_pockets_serve_starts_the_dashboard(installed, tmp_path):
    bin_dir, purelib = installed
    assert (purelib / "app.py").exists() and (purelib / "ui" / "overview.py").exists()
    if (ROOT / "static" / "vendor" / "leaflet" / "leaflet.js").exists():
        assert (purelib / "static" / "vendor" / "leaflet" / "leaflet.js").exists()
    country = tmp_path / "my_country"
    shutil.copytree(DATA / "second_country", country)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "POCKETS_CONFIG")}
    proc = subprocess.Popen([str(bin_dir / "pockets"), "serve", "--config", "my_country/config.toml", "--port",
                             str(port), "--address", "127.0.0.1"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(240):
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("pockets serve stopped: " + proc.stdout.read().decode()[-2000:])
                time.sleep(0.5)
        else:
            pytest.fail("pockets serve did not start")
        assert body == b"ok"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
