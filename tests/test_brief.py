"""District briefs (PDF) and the map picture (PNG): opened and checked against the ranked export."""

from __future__ import annotations

import io
import subprocess
import sys

import pandas as pd
import pytest

from .conftest import ROOT

pypdf = pytest.importorskip("pypdf")


def _text(path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(path).pages]


@pytest.fixture(scope="module")
def export(default_config, tmp_path_factory):
    """The command line's ranked export of the provinces (the numbers a brief must repeat)."""
    out = tmp_path_factory.mktemp("rank") / "ranked.csv"
    done = subprocess.run([sys.executable, "-m", "geo", "rank", "--config", str(ROOT / "config.toml"),
                           "--level", "provinces", "--out", str(out)], cwd=ROOT, capture_output=True)
    assert done.returncode == 0, done.stderr
    return pd.read_csv(out, dtype={"code": str, "parent_code": str}).set_index("code")


@pytest.fixture(scope="module")
def top3(default_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("brief") / "top3.pdf"
    done = subprocess.run([sys.executable, "-m", "geo", "brief", "--config", str(ROOT / "config.toml"),
                           "--level", "provinces", "--top", "3", "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert "wrote 3 brief page(s)" in done.stderr
    return out


def test_top_n_gives_one_page_per_district_with_the_export_numbers(top3, export):
    pages = _text(top3)
    assert len(pages) == 3
    for page, (code, row) in zip(pages, export.head(3).iterrows()):
        assert row["name"] in page and code in page
        assert f"{int(row['rank'])} of 75" in page
        assert f"{row['score']:.1f}" in page
        assert f"{row['rank_p05']:.0f} to {row['rank_p95']:.0f}" in page
        assert f"population {row['population']:,.0f}" in page
        assert f"Ranks {['1st', '2nd', '3rd'][int(row['rank']) - 1]} of 75" in page


def test_brief_table_repeats_the_values_and_sources(top3, export):
    page = _text(top3)[0]
    figuig = export.loc["02.251"]
    assert "Illiteracy, aged 10 and over" in page
    assert f"{figuig['illiteracy']:.0f}" in page  # 39.1 % printed as 39
    assert "HCP" in page and "minmax normalisation" in page


def test_brief_of_named_codes_and_bad_code(default_config, tmp_path):
    out = tmp_path / "two.pdf"
    done = subprocess.run([sys.executable, "-m", "geo", "brief", "--code", "08.587", "--code", "02.251",
                           "--draws", "0", "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    pages = _text(out)
    assert "Zagora" in pages[0] and "Figuig" in pages[1]
    bad = subprocess.run([sys.executable, "-m", "geo", "brief", "--code", "99.999", "--draws", "0",
                          "--out", str(tmp_path / "x.pdf")], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "99.999" in bad.stderr and "Traceback" not in bad.stderr
    wrong = subprocess.run([sys.executable, "-m", "geo", "brief", "--top", "3", "--out", str(tmp_path / "x.png")],
                           cwd=ROOT, capture_output=True, text=True)
    assert wrong.returncode == 2 and "PDF" in wrong.stderr


def test_map_png_has_the_title_legend_and_size(default_config):
    from PIL import Image

    from geo.brief import class_breaks, map_png
    from geo.dataset import load_level, score_level

    data = load_level(default_config, "provinces")
    result = score_level(data)
    png = map_png(data.districts.geometry, result.table["score"], title="Need score", legend_title="0-100",
                  outline=result.table.sort_values("rank").index[:10].tolist(), width=800, height=600)
    img = Image.open(io.BytesIO(png))
    assert img.size == (800, 600) and img.format == "PNG"
    assert len(class_breaks(result.table["score"], "quantiles", 5)) == 5
    # the darkest class is drawn: some pixel has the darkest YlOrRd colour
    assert (128, 0, 38) in {c for _, c in img.getcolors(maxcolors=1 << 16)}
