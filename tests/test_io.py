import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from geo.errors import BoundaryError, LayerDataError, MissingCRSError
from geo.io import neutralise_formulas, read_boundaries, read_table, write_table

from .conftest import OWN, ROOT


def test_reads_codes_as_text_with_leading_zeros():
    gdf, rep = read_boundaries(OWN / "districts.geojson", id_field="DIST_ID", name_field="DIST_NAME",
                               parent_field="PROV_ID")
    assert gdf.index.tolist() == ["001", "002", "003", "004", "005", "006"]
    assert gdf["parent_code"].tolist()[:1] == ["01"]
    assert gdf.crs.to_epsg() == 4326 and rep.repaired == 0


def test_missing_field_names_the_available_ones():
    with pytest.raises(BoundaryError, match=r"field\(s\) \['ID'\] not found; available fields: \['DIST_ID'"):
        read_boundaries(OWN / "districts.geojson", id_field="ID")


def test_no_crs_is_an_error(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["1"]}, geometry=[box(0, 0, 1, 1)])
    path = tmp_path / "nocrs.geojson"
    gdf.to_file(path)
    # GeoJSON implies WGS84; a shapefile without .prj has no CRS
    shp = tmp_path / "nocrs.shp"
    gdf.to_file(shp)
    with pytest.raises(MissingCRSError, match="no coordinate reference system"):
        read_boundaries(shp, id_field="id")


def test_invalid_geometry_repaired_and_counted(tmp_path):
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    gdf = gpd.GeoDataFrame({"id": ["1", "2"]}, geometry=[bowtie, box(2, 2, 3, 3)], crs="EPSG:4326")
    path = tmp_path / "bad.gpkg"
    gdf.to_file(path)
    out, rep = read_boundaries(path, id_field="id")
    assert rep.repaired == 1 and out.geometry.is_valid.all()
    assert out.geometry.iloc[0].area == pytest.approx(0.5)


def test_duplicate_codes_rejected(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["01", "01"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326")
    gdf.to_file(tmp_path / "dup.gpkg")
    with pytest.raises(BoundaryError, match=r"duplicate codes \['01'\]"):
        read_boundaries(tmp_path / "dup.gpkg", id_field="id")


def test_projected_coordinates_mislabelled_as_wgs84(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["1"]}, geometry=[box(500000, 3000000, 510000, 3010000)], crs="EPSG:4326")
    gdf.to_file(tmp_path / "mislabelled.gpkg")
    with pytest.raises(BoundaryError, match="outside the range"):
        read_boundaries(tmp_path / "mislabelled.gpkg", id_field="id")


def test_zipped_shapefile_and_missing_prj(tmp_path):
    gdf = gpd.read_file(OWN / "districts.geojson")
    gdf.to_file(tmp_path / "d.shp")
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as zf:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            zf.write(tmp_path / f"d.{ext}", f"d.{ext}")
    out, _ = read_boundaries(good, id_field="DIST_ID")
    assert out.index.tolist()[0] == "001"
    bad = tmp_path / "noprj.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        for ext in ("shp", "shx", "dbf"):
            zf.write(tmp_path / f"d.{ext}", f"d.{ext}")
    with pytest.raises(MissingCRSError, match=r"no \.prj"):
        read_boundaries(bad, id_field="DIST_ID")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../x.shp", b"")
    with pytest.raises(BoundaryError, match="leave the archive"):
        read_boundaries(evil, id_field="id")


def test_corrupt_file_is_a_clear_error(tmp_path):
    p = tmp_path / "broken.gpkg"
    p.write_bytes(b"not a geopackage")
    with pytest.raises(BoundaryError, match="cannot read it as a vector dataset"):
        read_boundaries(p, id_field="id")


def test_read_table_semicolon_decimal_comma_and_text_keys():
    t = read_table(OWN / "indicators.csv", key="DISTRICT_CODE")
    assert t["DISTRICT_CODE"].tolist()[0] == "001"
    assert t["poor_share"].tolist()[:2] == [0.10, 0.30]
    assert t["poor_share"].isna().sum() == 1


def test_read_table_latin1(tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes("code,name,v\n01,Fès,1.5\n".encode("latin-1"))
    t = read_table(p, key="code")
    assert t["name"].iloc[0] == "Fès" and t["code"].iloc[0] == "01"


def test_read_table_missing_key(tmp_path):
    with pytest.raises(LayerDataError, match="key column 'id' not found"):
        read_table(OWN / "indicators.csv", key="id")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".gpkg", ".geojson"])
def test_exports_round_trip(tmp_path, suffix):
    gdf = gpd.GeoDataFrame(
        {"code": ["001", "002"], "name": ["الرباط", "Fès"], "score": [1 / 3, 2 / 3]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:4326",
    )
    path = write_table(gdf, tmp_path / f"out{suffix}", metadata={"level": "x"})
    if suffix == ".csv":
        back = pd.read_csv(path, dtype={"code": str})
    elif suffix == ".xlsx":
        back = pd.read_excel(path, sheet_name="ranking", dtype={"code": str})
        assert pd.read_excel(path, sheet_name="settings")["value"].tolist() == ["x"]
    else:
        back = gpd.read_file(path)
    assert back["code"].tolist() == ["001", "002"]
    assert back["name"].tolist() == ["الرباط", "Fès"]
    assert back["score"].tolist() == [1 / 3, 2 / 3]



def test_csv_export_writes_floats_as_pandas_does(tmp_path):
    """Each distinct float is formatted once; the file stays byte for byte what ``to_csv`` writes."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=500) * 10.0 ** rng.integers(-30, 30, 500), np.round(rng.uniform(0, 100, 500), 1),
                        [0.0, -0.0, np.nan, np.inf, -np.inf, 1e16, 1e-5, 1e-4, 5e-324, 0.1 + 0.2]])
    frame = pd.DataFrame({"score": x, "rank": pd.Series(np.arange(len(x)), dtype="Int64"),
                          "name": (["a,b", 'say "x"', None, "=1+2"] * len(x))[:len(x)],
                          "small": np.where(np.abs(x) < 1e30, x, 0).astype(np.float32)})
    path = write_table(frame, tmp_path / "out.csv")
    assert path.read_bytes() == neutralise_formulas(frame).to_csv(index=False).encode()
    assert frame["score"].dtype == np.float64  # the caller's frame is left as it was

# ------------------------------------------------------------------ one table reader
from geo.tables import file_decimal, read_text_table, to_number  # noqa: E402
from geo.text import normalise_name  # noqa: E402


@pytest.mark.parametrize("a, b", [
    ("Sankhuwa Sabha", "SANKHUWASABHA"), ("Aïn-Chock", "AIN CHOCK"), ("M'diq-Fnideq", "mdiq fnideq"),
    ("الدار البيضاء", "الدَّار البيضاء"), ("תל אביב", "תל-אביב"), ("東京都", "東京都"), ("काठमाडौं", "काठमाडौं"),
    ("Straße", "STRASSE"), ("Łódź", "Lodz"), ("Ⅻ区", "XII区"), ("٣", "3"),
])
def test_names_of_every_script_compare_equal(a, b):
    assert normalise_name(a) == normalise_name(b) != ""


def test_different_names_of_one_script_stay_different():
    arabic = ["عين الشق", "بلفدير", "رأس الشرق", "الكثيب", "العرق الجنوبي", "الجرف"]
    assert len({normalise_name(n) for n in arabic}) == 6
    assert normalise_name("काठमाडौं") != normalise_name("काठमाडौ")  # a Devanagari mark is part of the letter


def test_arabic_names_join_within_their_parent():
    from geo.join import join_table

    names = ["عين الشق", "بلفدير", "رأس الشرق", "الكثيب", "العرق الجنوبي", "الجرف"]
    districts = pd.DataFrame({"name": names, "parent_code": ["01"] * 6},
                             index=pd.Index([f"00{i}" for i in range(1, 7)], name="code"))
    table = pd.DataFrame({"n": names, "p": ["01"] * 6, "v": range(6)})
    joined, report = join_table(districts, table, key="n", by="name", parent_key="p")
    assert report.matched_by_name == 6 and joined["v"].tolist() == list(range(6))


@pytest.mark.parametrize("text", ["1.5", "-2", "+3", ".5", "5.", "1e-3", "1E+4", "N/A", "007", "n/a", "", "NA",
                                  "0.000001", "123456789012345678", "9.900000000000002"])
def test_fast_path_gives_the_rules_results(text):
    """The vectorised reading of a column of plain numbers equals the per-cell rules, bit for bit."""
    from geo import tables

    cells = pd.Series([text, "1", None], index=[2, 3, 4], dtype=object)
    fast = tables._plain_numbers(cells, ".")
    assert fast is not None
    # the per-cell rules: force them by adding a cell the fast path declines, then drop it
    slow = to_number(pd.concat([cells, pd.Series(["1 000"], index=[5])]), column="v", filename="f.csv",
                     decimal=".").iloc[:3]
    np.testing.assert_array_equal(fast.to_numpy(), slow.to_numpy())


def test_fast_path_declines_what_the_rules_decide():
    from geo import tables

    for cells in ([" 12 "], ["1,5"], ["12 %"], ["1 234"], ["1.125", "2.250"], ["1e400"], ["inf"], ["0x10"], [3.5]):
        assert tables._plain_numbers(pd.Series(cells, dtype=object), None) is None, cells


def test_fast_path_on_the_default_census_table():
    """Every column of the default data's census table reads the same through both paths."""
    from geo import tables
    from geo.config import load_config

    config = load_config(ROOT / "config.toml")
    table = config.tables[config.population[0]]
    text = read_text_table(table.path.read_bytes(), table.path.name, max_bytes=2**30, max_cells=10**8)
    compared = 0
    for col in text.columns:
        fast = tables._plain_numbers(text[col], text.attrs["decimal"])
        if fast is None:
            continue
        slow = to_number(pd.concat([text[col], pd.Series(["1 000"], index=[-1])]), column=col, filename="f",
                         decimal=text.attrs["decimal"]).iloc[:-1]
        np.testing.assert_array_equal(fast.to_numpy(), slow.to_numpy())
        compared += 1
    assert compared >= 10


def test_three_decimals_in_a_semicolon_file():
    """1.125 in a ;-separated file: refused when nothing decides, read by the file's own decimal mark otherwise."""
    only = read_text_table(b"code;v\n001;1.125\n002;2.250\n", "f.csv", max_bytes=2**20)
    assert only.attrs["decimal"] is None
    with pytest.raises(LayerDataError, match=r"column 'v' has value\(s\) that read two ways"):
        to_number(only["v"], column="v", filename="f.csv", decimal=only.attrs["decimal"])
    commas = read_text_table(b"code;v;w\n001;1.125;0,5\n002;2.250;1,5\n", "f.csv", max_bytes=2**20)
    read = to_number(commas["v"], column="v", filename="f.csv", decimal=commas.attrs["decimal"])
    assert read.tolist() == [1125.0, 2250.0] and "thousands separator" in read.attrs["decimal_note"]
    points = read_text_table(b"code;v;w\n001;1.125;0.5\n002;2.250;1.5\n", "f.csv", max_bytes=2**20)
    assert to_number(points["v"], column="v", filename="f.csv", decimal=points.attrs["decimal"]).tolist() == [1.125, 2.25]
    assert file_decimal(pd.DataFrame({"a": ["0,5"], "b": ["0.5"]})) is None


@pytest.mark.parametrize("cells, message", [
    (["1e300", "-1e300"], "too large to compute with"),
    (["1e400"], "too large to compute with"),
    ([float("inf")], "too large to compute with"),
])
def test_values_beyond_the_float_range_are_refused(cells, message):
    with pytest.raises(LayerDataError, match=message):
        to_number(pd.Series(cells, dtype=object), column="v", filename="f.csv")


def test_key_column_keeps_missing_value_tokens(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("code,v,label\nNA,1,none\nnull,n/a,-\n-,3,x\n", encoding="utf-8")
    table = read_table(path, key="code")
    assert table["code"].tolist() == ["NA", "null", "-"]
    assert table["v"].tolist()[0] == 1 and np.isnan(table["v"].tolist()[1])
    assert table["label"].tolist() == ["none", "-", "x"]  # text stays as written


def test_table_limits(tmp_path):
    with pytest.raises(LayerDataError, match="not a regular file"):
        read_table("/dev/zero", key="code")
    with pytest.raises(LayerDataError, match="is a folder"):
        read_table(tmp_path, key="code")
    big = tmp_path / "big.csv"
    big.write_bytes(b"code,v\n" + b"001,1\n" * 200_000)
    with pytest.raises(LayerDataError, match="larger than the limit of 1 MB"):
        read_table(big, key="code", max_mb=1)


def test_excel_formulas_and_sheets_of_configured_tables():
    from .conftest import DATA

    with pytest.raises(LayerDataError, match=r"'unemp_pct' has 6 formula cell\(s\) saved without their result"):
        read_table(DATA / "bad" / "t_formulas.xlsx", key="DISTRICT_CODE")
    with pytest.raises(LayerDataError, match=r"no worksheet 'x'; the workbook's sheets are \['data', 'about'\]"):
        read_table(DATA / "bad" / "t_two_sheets.xlsx", key="DISTRICT_CODE", sheet="x")
    assert read_table(DATA / "bad" / "t_two_sheets.xlsx", key="DISTRICT_CODE", sheet=0)["people"].sum() == 21000


def test_utf16_without_byte_order_mark():
    from .conftest import DATA

    table = read_table(DATA / "bad" / "t_utf16_nobom.csv", key="DISTRICT_CODE")
    assert table.attrs["encoding"] == "utf-16-le" and table["people"].tolist()[:2] == [1000, 2000]
