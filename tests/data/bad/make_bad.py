"""Regenerate the bad-input corpus used by ``tests/test_bad_input.py``.

Every file here is a small variant of the worked example in
``tests/data/own_data`` (six 1x1 degree districts ``001``..``006`` in two
provinces, table ``indicators.csv`` keyed by ``DISTRICT_CODE``) with exactly one
thing wrong. The expected outcome of each file (a clear error, or a warning and
a documented repair) is stated next to the case in ``tests/test_bad_input.py``.

Run from the repository root: ``python tests/data/bad/make_bad.py``.

Boundaries (fields ``DIST_ID``, ``DIST_NAME``, ``PROV_ID``):

- ``b_no_crs.fgb``: no coordinate reference system.
- ``b_mislabelled.geojson``: UTM metres declared as longitude/latitude.
- ``b_invalid.geojson``: a self-intersecting "bow tie" and a ring with a spike.
- ``b_empty_geom.geojson``: one district without geometry.
- ``b_mixed.geojson``: Polygon, MultiPolygon, GeometryCollection (polygon and
  line) and a GeometryCollection without any area.
- ``b_zero.geojson``: a layer without features.
- ``b_duplicate.geojson``: code ``002`` twice.
- ``b_int_codes.geojson``: codes stored as numbers (1, 2, ...), zeros lost.
- ``b_shp_no_prj.zip`` / ``b_shp_no_dbf.zip``: zipped Shapefiles lacking a part.
- ``b_zip_slip.zip``: member names leaving the extraction folder (``../x``).
- ``b_corrupt.gpkg``: random bytes; ``b_not_zip.zip``: text named .zip;
  ``b_unsupported.pdf``: not a vector format.

Tables (``;``-separated with decimal commas unless said otherwise):

- ``t_latin1.csv``: Latin-1, with accented names; ``t_bom.csv``: UTF-8 with BOM.
- ``t_thousands.csv``: ``,``-separated, quoted ``"1,000"`` and ``1 000``.
- ``t_thousands_dot.csv``: ``;``-separated, ``1.000`` and ``1.234,5``.
- ``t_percent_scales.csv``: ``no_power_pct`` as 0-1 shares in a % column.
- ``t_missing_tokens.csv``: ``n/a``, ``-``, ``..``, empty cells.
- ``t_negative.csv``: a negative percentage; ``t_over_100.csv``: above 100 %.
- ``t_all_missing.csv``: an empty column; ``t_constant.csv``: a constant column.
- ``t_names.csv``: names differing by accents, case and spacing (join by name).
- ``t_keys_mismatch.csv``: key ``007`` not in the boundaries, ``006`` absent.
- ``t_text_value.csv``: a word in a numeric column.
- ``t_table.xlsx``: the example table as an Excel workbook, codes as text,
  ``n/a`` for a missing value.

Cases of the second attack (wrong results, silent losses and tracebacks found by hand):

- ``b_arabic.geojson`` / ``t_arabic_names.csv``: Arabic district names, in the table
  with optional vowel marks on one name (join by name).
- ``b_null_name.geojson``: district ``003`` without a name.
- ``b_code_na.geojson`` / ``t_code_na.csv``: district ``004`` coded ``NA`` (a real
  code, not "no data").
- ``b_null_geoms.geojson``: every geometry null (with the example's point layer).
- ``t_three_decimals.csv``: ``;``-separated, ``unemp_pct`` written ``12.125``, nothing
  else in the file showing the decimal mark (refused: 12.125 or 12125?).
- ``t_three_decimals_points.csv``: the same with ``poor_share`` written ``0.10``: the
  file's decimal mark is the point, so ``12.125`` is 12.125.
- ``t_huge_values.csv``: ``unemp_pct`` from ``-1e300`` to ``1e300``.
- ``t_text_population.csv`` / ``t_negative_population.csv``: ``people`` ``many`` / ``-2000``.
- ``t_dup_columns.csv``: header ``people`` and `` people `` (equal once stripped).
- ``t_utf16_nobom.csv``: the example table in UTF-16-LE without a byte-order mark.
- ``t_formulas.xlsx``: ``unemp_pct`` as formulas saved without their results.
- ``t_two_sheets.xlsx``: the example table on sheet ``data``, notes on ``about``.

Rasters (1 pixel = 0.1 degree unless said otherwise):

- ``r_no_overlap.tif``: covers 100..103 E, far from the districts.
- ``r_nodata.tif``: covers the districts, every pixel nodata.
- ``r_values_4326.tif`` / ``r_values_3857.tif``: value = district column
  (1, 2, 3), on a geographic and on a Web Mercator grid.
- ``r_no_crs.tif``: no CRS.
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

HERE = Path(__file__).parent
CODES = ["001", "002", "003", "004", "005", "006"]
NAMES = ["Aïn Nord", "Bélvédère", "Cap Est", "Dune", "Erg Sud", "Falaise"]
PROVS = ["01", "01", "01", "02", "02", "02"]
BOXES = [box(x, y, x + 1, y + 1) for y in (1, 0) for x in (0, 1, 2)]
HEADER = "DISTRICT_CODE;people;poor_share;unemp_pct;hh;no_power_pct"
ROWS = [
    ("001", "1000", "0,10", "12", "200", "1"),
    ("002", "2000", "0,30", "8", "400", "5"),
    ("003", "3000", "0,20", "20", "600", "3"),
    ("004", "4000", "0,50", "4", "800", "9"),
    ("005", "5000", "0,40", "16", "1000", "7"),
    ("006", "6000", "", "10", "1200", "2"),
]


def _feature_collection(features: list[dict], crs: str = "urn:ogc:def:crs:OGC:1.3:CRS84") -> str:
    return json.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": crs}},
        "features": features,
    }, ensure_ascii=False)


def _feature(code: object, name: str, prov: str, geometry: object) -> dict:
    geo = None if geometry is None else json.loads(gpd.GeoSeries([geometry]).to_json())["features"][0]["geometry"]
    return {"type": "Feature", "properties": {"DIST_ID": code, "DIST_NAME": name, "PROV_ID": prov},
            "geometry": geo}


def _districts(geoms: list, codes: list | None = None) -> str:
    codes = codes or CODES
    return _feature_collection([_feature(c, n, p, g) for c, n, p, g in zip(codes, NAMES, PROVS, geoms)])


def _table(rows: list[tuple[str, ...]], header: str = HEADER, sep: str = ";") -> str:
    lines = [header.replace(";", sep)] + [sep.join(r) for r in rows]
    return "\n".join(lines) + "\n"


def _with(column: str, values: list[str]) -> list[tuple[str, ...]]:
    j = HEADER.split(";").index(column)
    return [r[:j] + (v,) + r[j + 1:] for r, v in zip(ROWS, values)]


def boundaries() -> None:
    gdf = gpd.GeoDataFrame({"DIST_ID": CODES, "DIST_NAME": NAMES, "PROV_ID": PROVS}, geometry=BOXES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio warns that the file will have no CRS: the point here
        gdf.to_file(HERE / "b_no_crs.fgb", driver="FlatGeobuf", engine="pyogrio")

    utm = [box(500000 + 100000 * x, 100000 * y, 600000 + 100000 * x, 100000 * (y + 1))
           for y in (1, 0) for x in (0, 1, 2)]
    (HERE / "b_mislabelled.geojson").write_text(_districts(utm), encoding="utf-8")

    bowtie = Polygon([(2, 1), (3, 2), (3, 1), (2, 2), (2, 1)])
    spike = Polygon([(0, 0), (1, 0), (1, 0.5), (1.5, 0.5), (1, 0.5), (1, 1), (0, 1), (0, 0)])
    invalid = list(BOXES)
    invalid[2], invalid[3] = bowtie, spike
    (HERE / "b_invalid.geojson").write_text(_districts(invalid), encoding="utf-8")

    empty = list(BOXES)
    empty[5] = None
    (HERE / "b_empty_geom.geojson").write_text(_districts(empty), encoding="utf-8")

    mixed = list(BOXES)
    mixed[1] = MultiPolygon([box(1, 1, 1.5, 2), box(1.5, 1, 2, 2)])
    mixed[2] = GeometryCollection([BOXES[2], LineString([(2, 1), (3, 2)])])
    mixed[3] = GeometryCollection([Point(0.5, 0.5), LineString([(0, 0), (1, 1)])])
    (HERE / "b_mixed.geojson").write_text(_districts(mixed), encoding="utf-8")

    (HERE / "b_zero.geojson").write_text(_feature_collection([]), encoding="utf-8")

    dup = ["001", "002", "002", "004", "005", "006"]
    (HERE / "b_duplicate.geojson").write_text(_districts(BOXES, dup), encoding="utf-8")
    (HERE / "b_int_codes.geojson").write_text(_districts(BOXES, [1, 2, 3, 4, 5, 6]), encoding="utf-8")

    _shapefile_zips(gdf.set_crs("EPSG:4326"))
    (HERE / "b_corrupt.gpkg").write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 2048, dtype=np.uint8)))
    (HERE / "b_not_zip.zip").write_text("this is not an archive\n", encoding="utf-8")
    (HERE / "b_unsupported.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")


def _shapefile_zips(gdf: gpd.GeoDataFrame) -> None:
    tmp = HERE / "_shp"
    tmp.mkdir(exist_ok=True)
    gdf.to_file(tmp / "districts.shp", engine="pyogrio")
    parts = {p.suffix: p.read_bytes() for p in tmp.iterdir()}
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()

    def write(name: str, members: dict[str, bytes]) -> None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for member, data in members.items():
                zf.writestr(zipfile.ZipInfo(member, (2024, 1, 1, 0, 0, 0)), data)
        (HERE / name).write_bytes(buf.getvalue())

    write("b_shp_no_prj.zip", {f"districts{s}": d for s, d in parts.items() if s in (".shp", ".shx", ".dbf")})
    write("b_shp_no_dbf.zip", {f"districts{s}": d for s, d in parts.items() if s in (".shp", ".shx", ".prj")})
    write("b_zip_slip.zip", {f"../districts{s}": d for s, d in parts.items() if s in (".shp", ".shx", ".dbf", ".prj")})


def tables() -> None:
    named = "DISTRICT_CODE;NAME;people;poor_share;unemp_pct;hh;no_power_pct"
    rows_named = [(r[0], n) + r[1:] for r, n in zip(ROWS, NAMES)]
    (HERE / "t_latin1.csv").write_bytes(_table(rows_named, named).encode("latin-1"))
    (HERE / "t_bom.csv").write_bytes(_table(ROWS).encode("utf-8-sig"))

    def spaced(n: str) -> str:
        return f"{n[:-3]} {n[-3:]}" if len(n) > 3 else n

    comma = [(r[0], f'"{r[1][:-3]},{r[1][-3:]}"', r[2].replace(",", "."), r[3], spaced(r[4]), r[5]) for r in ROWS]
    (HERE / "t_thousands.csv").write_text(_table(comma, sep=","), encoding="utf-8")
    dots = [(r[0], f"{r[1][:-3]}.{r[1][-3:]}", r[2], r[3], r[4].replace("1000", "1.000"), r[5]) for r in ROWS]
    (HERE / "t_thousands_dot.csv").write_text(_table(dots), encoding="utf-8")

    (HERE / "t_percent_scales.csv").write_text(
        _table(_with("no_power_pct", ["0,01", "0,05", "0,03", "0,09", "0,07", "0,02"])), encoding="utf-8")
    (HERE / "t_missing_tokens.csv").write_text(
        _table(_with("unemp_pct", ["n/a", "-", "..", "", "16", "10"])), encoding="utf-8")
    (HERE / "t_negative.csv").write_text(
        _table(_with("unemp_pct", ["12", "-8", "20", "4", "16", "10"])), encoding="utf-8")
    (HERE / "t_over_100.csv").write_text(
        _table(_with("no_power_pct", ["1", "5", "3", "150", "7", "2"])), encoding="utf-8")
    (HERE / "t_all_missing.csv").write_text(
        _table(_with("no_power_pct", ["", "", "", "", "", ""])), encoding="utf-8")
    (HERE / "t_constant.csv").write_text(
        _table(_with("unemp_pct", ["10"] * 6)), encoding="utf-8")
    variants = ["AIN  NORD", "belvedere", "Cap-Est", " dune ", "ERG SUD", "Falaise"]
    (HERE / "t_names.csv").write_text(
        _table([(v,) + r[1:] for v, r in zip(variants, ROWS)], HEADER.replace("DISTRICT_CODE", "NAME")),
        encoding="utf-8")
    mismatch = ROWS[:5] + [("007",) + ROWS[5][1:]]
    (HERE / "t_keys_mismatch.csv").write_text(_table(mismatch), encoding="utf-8")
    _excel_table()
    (HERE / "t_text_value.csv").write_text(
        _table(_with("unemp_pct", ["12", "8", "twenty", "4", "16", "10"])), encoding="utf-8")


def _excel_table() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(";"))
    for r in ROWS:
        sheet.append([r[0], int(r[1]), float(r[2].replace(",", ".")) if r[2] else "n/a", int(r[3]), int(r[4]),
                      int(r[5])])
    book.properties.created = book.properties.modified = __import__("datetime").datetime(2024, 1, 1)
    book.save(HERE / "t_table.xlsx")


def _raster(name: str, data: np.ndarray, transform, crs: str | None, nodata: float | None = None) -> None:
    profile = dict(driver="GTiff", width=data.shape[1], height=data.shape[0], count=1, dtype=data.dtype.name,
                   transform=transform, nodata=nodata, compress="deflate")
    if crs:
        profile["crs"] = crs
    with rasterio.open(HERE / name, "w", **profile) as dst:
        dst.write(data, 1)


def rasters() -> None:
    cols = np.repeat(np.arange(1, 4, dtype="float32"), 10)[None, :].repeat(20, axis=0)
    _raster("r_values_4326.tif", cols, from_origin(0, 2, 0.1, 0.1), "EPSG:4326")
    _raster("r_no_overlap.tif", cols, from_origin(100, 2, 0.1, 0.1), "EPSG:4326")
    _raster("r_nodata.tif", np.full((20, 30), -9999, "float32"), from_origin(0, 2, 0.1, 0.1), "EPSG:4326", -9999)
    _raster("r_no_crs.tif", cols, from_origin(0, 2, 0.1, 0.1), None)
    # Web Mercator: x is linear in longitude, so pixel columns still align with the districts.
    deg = 20037508.342789244 / 180.0
    y_top = 2.2 * 111325.0
    merc = np.repeat(np.arange(1, 4, dtype="float32"), 10)[None, :].repeat(24, axis=0)
    _raster("r_values_3857.tif", merc, from_origin(0, y_top, deg / 10, y_top / 24), "EPSG:3857")


def attack() -> None:
    """The files of the second attack's cases (see the module docstring)."""
    arabic = ["عين الشق", "بلفدير", "رأس الشرق", "الكثيب", "العرق الجنوبي", "الجرف"]
    (HERE / "b_arabic.geojson").write_text(_feature_collection(
        [_feature(c, n, p, g) for c, n, p, g in zip(CODES, arabic, PROVS, BOXES)]), encoding="utf-8")
    voweled = ["عَيْن الشّق"] + arabic[1:]
    (HERE / "t_arabic_names.csv").write_text(
        _table([(v,) + r[1:] for v, r in zip(voweled, ROWS)], HEADER.replace("DISTRICT_CODE", "NAME")),
        encoding="utf-8")
    (HERE / "b_null_name.geojson").write_text(_feature_collection(
        [_feature(c, None if c == "003" else n, p, g) for c, n, p, g in zip(CODES, NAMES, PROVS, BOXES)]),
        encoding="utf-8")
    na_codes = ["001", "002", "003", "NA", "005", "006"]
    (HERE / "b_code_na.geojson").write_text(_districts(BOXES, na_codes), encoding="utf-8")
    (HERE / "t_code_na.csv").write_text(_table([(c,) + r[1:] for c, r in zip(na_codes, ROWS)]), encoding="utf-8")
    (HERE / "b_null_geoms.geojson").write_text(_districts([None] * 6), encoding="utf-8")

    three = ["12.125", "8.250", "20.375", "4.500", "16.625", "10.750"]
    blank_share = [r[:2] + ("",) + r[3:] for r in ROWS]
    j = HEADER.split(";").index("unemp_pct")
    (HERE / "t_three_decimals.csv").write_text(
        _table([r[:j] + (v,) + r[j + 1:] for r, v in zip(blank_share, three)]), encoding="utf-8")
    pointed = [r[:2] + (r[2].replace(",", "."),) + r[3:] for r in ROWS]
    (HERE / "t_three_decimals_points.csv").write_text(
        _table([r[:j] + (v,) + r[j + 1:] for r, v in zip(pointed, three)]), encoding="utf-8")
    (HERE / "t_huge_values.csv").write_text(
        _table(_with("unemp_pct", ["1e300", "-1e300", "20", "4", "16", "10"])), encoding="utf-8")
    (HERE / "t_text_population.csv").write_text(
        _table(_with("people", ["1000", "many", "3000", "4000", "5000", "6000"])), encoding="utf-8")
    (HERE / "t_negative_population.csv").write_text(
        _table(_with("people", ["1000", "-2000", "3000", "4000", "5000", "6000"])), encoding="utf-8")
    (HERE / "t_dup_columns.csv").write_text(
        _table([r + (r[1],) for r in ROWS], HEADER + "; people "), encoding="utf-8")
    (HERE / "t_utf16_nobom.csv").write_bytes(_table(ROWS).encode("utf-16-le"))

    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(";"))
    for i, r in enumerate(ROWS, start=2):
        sheet.append([r[0], int(r[1]), float(r[2].replace(",", ".")) if r[2] else None, f"=E{i}/100", int(r[4]),
                      int(r[5])])
    book.properties.created = book.properties.modified = datetime.datetime(2024, 1, 1)
    book.save(HERE / "t_formulas.xlsx")

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "data"
    sheet.append(HEADER.split(";"))
    for r in ROWS:
        sheet.append([r[0], int(r[1]), float(r[2].replace(",", ".")) if r[2] else None, int(r[3]), int(r[4]),
                      int(r[5])])
    book.create_sheet("about").append(["Example table, see make_bad.py"])
    book.properties.created = book.properties.modified = datetime.datetime(2024, 1, 1)
    book.save(HERE / "t_two_sheets.xlsx")


if __name__ == "__main__":
    boundaries()
    tables()
    rasters()
    attack()
