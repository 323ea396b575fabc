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


def test_the_first_page_does_not_import_what_only_later_steps_use():
    """A fresh server's first map waits for the page's imports: altair (a district's charts), scipy
    (allocation, clusters), esda and libpysal (clusters) come when they are used, not before."""
    code = (
        "import sys, ui.app, ui.overview; "
        "late = [m for m in ('altair', 'scipy', 'esda', 'libpysal') if m in sys.modules]; "
        "print(' '.join(late)); sys.exit(1 if late else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, "imported by the first page: " + done.stdout + done.stderr[-2000:]
