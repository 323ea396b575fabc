"""Regenerate the boundaries of the second worked example (tests/test_second_country.py).

Six districts in two provinces, laid out on a grid of 1-degree squares so that
every number can be checked by hand. The tables next to this script are typed by
hand; they use none of the default data's conventions: codes stored as numbers
(leading zeros lost), a district split since the table was made, two old
districts merged into one, a village table finer than the districts, and a
point file with points outside the districts and without coordinates. Run from
the repository root: ``python tests/data/second_country/make_fixtures.py``.
"""

from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

HERE = Path(__file__).parent

districts = gpd.GeoDataFrame(
    {
        "ADM2_PCODE": ["01001", "01002", "01004", "01005", "02003", "02004"],
        "ADM2_EN": ["Alder", "Birch", "Cedar", "Damson", "Elm", "Fir"],
        "ADM1_PCODE": ["01", "01", "01", "01", "02", "02"],
    },
    geometry=[box(0, 1, 1, 2), box(1, 1, 2, 2), box(2, 1, 3, 2), box(3, 1, 4, 2), box(0, 0, 2, 1), box(2, 0, 4, 1)],
    crs="EPSG:4326",
)
provinces = districts.dissolve("ADM1_PCODE", as_index=False)[["ADM1_PCODE", "geometry"]]
provinces["ADM1_EN"] = ["Uplands", "Lowlands"]

districts.to_file(HERE / "districts.fgb", driver="FlatGeobuf")
provinces.to_file(HERE / "provinces.geojson", driver="GeoJSON")

# A 16 x 4 raster of quarter-degree pixels over the northern row (y 1..2): each pixel holds its column
# number, Damson's sixteen pixels (x 3..4) are nodata, and the southern districts lie outside it.
import numpy as np  # noqa: E402
import rasterio  # noqa: E402
from rasterio.transform import from_origin  # noqa: E402

lights = np.tile(np.arange(16, dtype="float32"), (4, 1))
lights[:, 12:] = -1
with rasterio.open(HERE / "lights.tif", "w", driver="GTiff", width=16, height=4, count=1, dtype="float32",
                   crs="EPSG:4326", transform=from_origin(0, 2, 0.25, 0.25), nodata=-1) as dst:
    dst.write(lights, 1)
