"""Regenerate the hand-checkable example dataset of README "Use your own data".

Six 1x1 degree square districts in two provinces, with values chosen so that
scores can be computed by hand (see tests/test_own_data.py). Run from the
repository root: ``python tests/data/own_data/make_fixtures.py``.
"""

from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

HERE = Path(__file__).parent

districts = gpd.GeoDataFrame(
    {
        "DIST_ID": ["001", "002", "003", "004", "005", "006"],
        "DIST_NAME": ["Aïn Nord", "Bélvédère", "Cap Est", "Dune", "Erg Sud", "Falaise"],
        "PROV_ID": ["01", "01", "01", "02", "02", "02"],
    },
    geometry=[box(x, y, x + 1, y + 1) for y in (1, 0) for x in (0, 1, 2)],
    crs="EPSG:4326",
)
provinces = districts.dissolve("PROV_ID", as_index=False)[["PROV_ID", "geometry"]]
provinces["PROV_NAME"] = ["North", "South"]

districts.to_file(HERE / "districts.geojson", driver="GeoJSON")
provinces.to_file(HERE / "provinces.geojson", driver="GeoJSON")
