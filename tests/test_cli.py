import subprocess
import sys

import pandas as pd
import pytest

from geo.cli import main
from geo.dataset import EXPORT_COLUMNS

from .conftest import OWN, ROOT


def run(*args):
    return subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, capture_output=True, text=True)


def test_rank_own_data_csv(tmp_path):
    out = tmp_path / "ranked.csv"
    done = run("rank", "--config", str(OWN / "config.toml"), "--out", str(out))
    assert done.returncode == 0, done.stderr
    t = pd.read_csv(out, dtype={"code": str, "parent_code": str})
    assert tuple(t.columns[: len(EXPORT_COLUMNS)]) == EXPORT_COLUMNS
    assert t.columns[len(EXPORT_COLUMNS):].tolist()[:4] == ["poverty_rate", "poverty_rate_norm", "unemployment", "unemployment_norm"]
    assert t["code"].tolist()[0] == "005"
    assert "6 of 6 districts matched" in done.stderr


@pytest.mark.parametrize("suffix", [".gpkg", ".xlsx", ".geojson"])
def test_rank_other_formats(tmp_path, suffix):
    out = tmp_path / f"ranked{suffix}"
    assert main(["rank", "--config", str(OWN / "config.toml"), "--out", str(out)]) == 0
    assert out.exists() and out.stat().st_size > 0



def test_rank_notes_kept_where_the_format_keeps_them(tmp_path):
    """The sensitivity note is made for a format with a settings sheet; a CSV, which has none, gets the same table."""
    args = ["rank", "--config", str(OWN / "config.toml"), "--draws", "200", "--permutations", "99"]
    assert main([*args, "--out", str(tmp_path / "ranked.xlsx")]) == 0
    assert main([*args, "--out", str(tmp_path / "ranked.csv")]) == 0
    settings = pd.read_excel(tmp_path / "ranked.xlsx", sheet_name="settings").set_index("setting")["value"]
    assert settings["analysis.sensitivity"].startswith("share of the rank variance")
    sheet = pd.read_excel(tmp_path / "ranked.xlsx", sheet_name="ranking", dtype={"code": str, "parent_code": str})
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "ranked.csv", dtype={"code": str, "parent_code": str}), sheet,
                                  check_dtype=False)

@pytest.mark.parametrize(
    "args, match",
    [
        (["rank", "--config", "nope.toml", "--out", "x.csv"], "configuration file not found"),
        (["rank", "--config", str(OWN / "config.toml"), "--out", "x.pdf"], "unsupported format"),
        (["rank", "--config", str(OWN / "config.toml"), "--level", "moon", "--out", "x.csv"], "Unknown level 'moon'"),
        (["rank", "--config", str(OWN / "config.toml"), "--weights", "poverty_rate=lots", "--out", "x.csv"], "is not name=number"),
        (["rank", "--config", str(OWN / "config.toml"), "--weights", "poverty_rate=-1", "--out", "x.csv"], "a weight must be a number"),
        (["rank", "--config", str(OWN / "config.toml"), "--layers", "ghost", "--out", "x.csv"], "Unknown layer"),
    ],
)
def test_bad_input_exit_2_one_line(tmp_path, args, match):
    done = subprocess.run([sys.executable, "-m", "geo", *args], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and match in lines[0]


def test_check_prints_join_reports():
    done = run("check", "--config", str(OWN / "config.toml"))
    assert done.returncode == 0, done.stderr
    assert "6 of 6 districts matched" in done.stdout
    assert "configuration OK" in done.stdout


def test_rank_default_data_provinces(tmp_path, default_config):
    out = tmp_path / "provinces.csv"
    assert main(["rank", "--config", str(default_config.path), "--level", "provinces", "--out", str(out)]) == 0
    t = pd.read_csv(out, dtype={"code": str, "parent_code": str})
    assert len(t) == 75
    assert tuple(t.columns[:9]) == EXPORT_COLUMNS
    assert t["population"].sum() == 36_828_330
    assert t["rank"].notna().all()
    # known provinces keep their rank for the default settings
    ranks = t.set_index("code")["rank"]
    assert ranks["02.251"] == 1   # Figuig
    assert ranks["06.141"] == 69  # Casablanca
    assert ranks["04.421"] == 75  # Rabat: least in need (its suburbs' growth no longer scores as need)
