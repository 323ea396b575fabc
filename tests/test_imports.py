import subprocess
import sys

from .conftest import ROOT


def test_engine_imports_without_ui_packages():
    code = (
        "import sys, geo, geo.cli, geo.dataset, geo.scoring, geo.zonal, layers; "
        "bad = [m for m in ('streamlit', 'folium', 'streamlit_folium') if m in sys.modules]; "
        "sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT)
    assert done.returncode == 0, "geo/ or layers/ imported a UI package"
