"""Nothing lost, nothing run: exports round-trip, formulas are neutralised, uploads stay data.

The round trip uses the worked example with names in several scripts (Arabic,
Tifinagh, accented Latin) and compares every column of the engine's ranked
table with what CSV, Excel and GeoPackage files give back.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest

from geo.cli import main
from geo.config import load_config
from geo.dataset import load_level, ranked_table, score_level
from geo.errors import LayerDataError
from geo.io import neutralise_formulas, read_table, write_table
from geo.upload import MAX_UPLOAD_MB, read_upload

from .conftest import OWN, ROOT

NAMES = ["الحسيمة", "بني بوعياش", "ⵜⴰⵎⴰⵣⵉⵖⵜ", "Fès-Boulemane", "Ksar el-Kébir", "Dune"]
INJECTED = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-2+3", "@SUM(A1:A2)", "\tTab", "Plain"]


def _example(folder: Path, names: list[str]) -> Path:
    shutil.copytree(OWN, folder)
    path = folder / "districts.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    for feature, name in zip(collection["features"], names):
        feature["properties"]["DIST_NAME"] = name
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return folder / "config.toml"


def _engine_table(config_path: Path) -> gpd.GeoDataFrame:
    config = load_config(config_path)
    data = load_level(config, "districts")
    result = score_level(data, weights=config.weights, theme_weights=config.theme_weights, method=config.method)
    return ranked_table(data, result)


def _read_back(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    if path.suffix == ".xlsx":
        return pd.read_excel(path, sheet_name="ranking", dtype=object)
    return gpd.read_file(path, layer="ranking").drop(columns="geometry")


def _as_text(values: pd.Series) -> list:
    return [None if v is None or v == "" or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]


def _as_float(values: pd.Series) -> np.ndarray:
    # float() parses exactly; pandas' fast number parser may be one unit in the last place off
    return np.array([np.nan if v is None or v == "" else float(v) for v in values], dtype=float)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".gpkg"])
def test_export_round_trip_keeps_codes_names_values_and_rows(tmp_path, suffix):
    config = _example(tmp_path / "case", NAMES)
    table = _engine_table(config)
    path = write_table(table, tmp_path / f"ranked{suffix}", metadata={"level": "districts"})
    back = _read_back(path)
    assert len(back) == len(table) == 6
    assert list(back.columns) == [c for c in table.columns if c != "geometry"]
    for col in back.columns:
        engine = table[col]
        if pd.api.types.is_numeric_dtype(engine.dtype):
            np.testing.assert_array_equal(_as_float(back[col]), engine.to_numpy(dtype=float, na_value=np.nan),
                                          err_msg=col)
        else:
            assert _as_text(back[col]) == _as_text(engine), col
    assert _as_text(back["code"]) == table["code"].tolist() and back["code"].iloc[0].startswith("00")
    assert sorted(_as_text(back["name"])) == sorted(NAMES)


def test_command_line_export_equals_engine_table(tmp_path, capsys):
    config = _example(tmp_path / "case", NAMES)
    out = tmp_path / "cli.csv"
    assert main(["rank", "--config", str(config), "--out", str(out), "--no-analysis"]) == 0
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    table = _engine_table(config)
    assert back["code"].tolist() == table["code"].tolist()
    assert back["name"].tolist() == table["name"].tolist()
    np.testing.assert_array_equal(_as_float(back["score"]), table["score"].to_numpy(dtype=float))
    assert "wrote 6 districts" in capsys.readouterr().err


def test_unscored_districts_stay_in_the_export(tmp_path, capsys):
    config = _example(tmp_path / "case", NAMES)
    table_path = config.parent / "indicators.csv"
    lines = table_path.read_text(encoding="utf-8").splitlines()
    table_path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # 006 has no row
    # one of six districts is 17%, beyond the default [joins] max_unmatched of 5%: allow it, as the message says
    with config.open("a", encoding="utf-8") as handle:
        handle.write("\n[joins]\nmax_unmatched = 0.2\n")
    out = tmp_path / "ranked.csv"
    assert main(["rank", "--config", str(config), "--out", str(out), "--no-analysis"]) == 0
    err = capsys.readouterr().err
    back = pd.read_csv(out, dtype={"code": str})
    assert sorted(back["code"]) == ["001", "002", "003", "004", "005", "006"]
    assert back["rank"].isna().sum() == 1 and back["code"].iloc[-1] == "006"
    assert "006 Dune" in err and "1 district(s) not scored" in err


# ---------------------------------------------------------------- formula injection


def test_neutralise_formulas_text_only():
    frame = pd.DataFrame({"name": INJECTED + ["-7", None], "value": [-1.5, 2, 0, -0.0, 1e300, -3, 4, 5]})
    out = neutralise_formulas(frame)
    assert out["name"].tolist() == ["'" + n for n in INJECTED[:5]] + ["Plain", "-7", None]
    pd.testing.assert_series_equal(out["value"], frame["value"])
    assert frame["name"].iloc[0].startswith("=")  # the input is not changed


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_exports_neutralise_formulas(tmp_path, suffix, capsys):
    config = _example(tmp_path / "case", INJECTED)
    out = tmp_path / f"ranked{suffix}"
    assert main(["rank", "--config", str(config), "--out", str(out), "--no-analysis"]) == 0
    if suffix == ".csv":
        back = pd.read_csv(out, dtype=str, keep_default_na=False)
        names = back["name"].tolist()
        scores = _as_float(back["score"])
    else:
        book = openpyxl.load_workbook(out)  # formulas would show as data_type "f"
        sheet = book["ranking"]
        header = [c.value for c in sheet[1]]
        cells = list(sheet.iter_rows(min_row=2))
        assert all(c.data_type != "f" for row in cells for c in row)
        names = [row[header.index("name")].value for row in cells]
        scores = np.array([row[header.index("score")].value for row in cells], dtype=float)
    # district names are read with surrounding spaces and tabs stripped ("\tTab" is the name "Tab")
    expected = {("'" + n if n[0] in "=+-@\t" else n) for n in (name.strip() for name in INJECTED)}
    assert set(names) == expected
    assert np.isfinite(scores).all()


def test_negative_numbers_stay_numbers_in_excel(tmp_path):
    frame = pd.DataFrame({"code": ["001", "002"], "name": ["-x", "ok"], "change": [-2.5, -0.0]})
    path = write_table(frame, tmp_path / "t.xlsx")
    sheet = openpyxl.load_workbook(path)["ranking"]
    assert [c.value for c in sheet["C"][1:]] == [-2.5, 0.0]
    assert sheet["C2"].data_type == "n"
    assert sheet["B2"].value == "'-x"
    assert sheet["A2"].value == "001"


# ----------------------------------------------------------------------- uploads


def test_upload_size_limit_matches_streamlit_setting():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["server"]["maxUploadSize"] == MAX_UPLOAD_MB


def test_upload_size_limit_is_configurable():
    data = b"code,v\n" + b"001,1\n" * 200
    with pytest.raises(LayerDataError, match=r"larger than the limit of 1.0 KB"):
        read_upload(data, "big.csv", max_bytes=1024)
    assert len(read_upload(data, "big.csv", max_bytes=len(data))) == 200


def test_upload_size_limit_from_the_environment():
    code = "from geo.upload import MAX_UPLOAD_MB; print(MAX_UPLOAD_MB)"
    env = {"PYTHONPATH": str(ROOT), "PATH": "", "POCKETS_MAX_UPLOAD_MB": "5"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env)
    assert done.stdout.strip() == "5", done.stderr
    env["POCKETS_MAX_UPLOAD_MB"] = "lots"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env)
    assert done.returncode != 0 and "POCKETS_MAX_UPLOAD_MB='lots': must be a whole number" in done.stderr


def test_upload_is_parsed_as_data_only():
    data = b'code,v,note\n001,=1+2,"=cmd|\' /C calc\'!A0"\n002,3,@SUM(A1)\n'
    table = read_upload(data, "evil.csv")
    assert table["v"].tolist() == ["=1+2", "3"] and table["note"].tolist()[1] == "@SUM(A1)"


def test_upload_writes_no_temporary_file(tmp_path, monkeypatch):
    """Uploads are parsed in memory: nothing appears in the temporary folder."""
    import tempfile

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    wb = openpyxl.Workbook()
    wb.active.append(["code", "v"])
    wb.active.append(["001", 1.5])
    buffer = __import__("io").BytesIO()
    wb.save(buffer)
    read_upload(buffer.getvalue(), "t.xlsx")
    read_upload(b"code,v\n001,1\n", "t.csv")
    assert list(tmp_path.iterdir()) == []


def test_dashboard_export_leaves_no_temporary_file(tmp_path, monkeypatch):
    """The dashboard's download bytes are written through a temporary folder that is removed."""
    import tempfile

    from ui.exports import export_bytes

    config = load_config(OWN / "config.toml")
    data = load_level(config, "districts")
    result = score_level(data, weights=config.weights, method=config.method)
    keep = pd.Series(True, index=data.districts.index)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    for suffix in (".csv", ".xlsx", ".gpkg"):
        assert export_bytes(data, result, keep, suffix, {"level": "districts"})
    assert list(tmp_path.iterdir()) == []


def test_read_table_reads_excel_as_values(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["code", "v", "note"])
    wb.active.append(["001", 1.5, "=1+2"])
    wb.active.append(["002", "n/a", "x"])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    # a formula is never computed: saved without its result, it is refused with the column and the fix
    with pytest.raises(LayerDataError, match=r"column 'note' has 1 formula cell\(s\) saved without their result "
                                             r"\(rows 2\); formulas are never computed here"):
        read_table(path, key="code")
    wb.active["C2"].data_type = "s"  # the same characters saved as text are data, read as written
    wb.save(path)
    table = read_table(path, key="code")
    assert table["code"].tolist() == ["001", "002"]
    assert table["v"].tolist()[0] == 1.5 and np.isnan(table["v"].iloc[1])
    assert table["note"].tolist() == ["=1+2", "x"]


# ------------------------------------------------------------------- localhost


def test_dashboard_binds_to_localhost_by_default():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["server"]["address"] == "localhost"


def test_command_line_module_runs_without_streamlit(tmp_path):
    code = "import sys, geo.cli, geo.io, geo.upload; assert 'streamlit' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
