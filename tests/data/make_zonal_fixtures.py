"""Write the tiny, hand-checkable fixtures used by tests/test_zonal.py and tests/test_points.py.

Run from the repository root::

    .venv/bin/python tests/data/make_zonal_fixtures.py

Files written next to this script:

``zonal_10x10.tif``
    10 x 10 float32 GeoTIFF in UTM 31N (EPSG:32631), 1 km pixels, upper-left corner
    at (500000, 4010000). Pixel (row, col) holds ``row * 10 + col``, except (1, 5),
    which holds the nodata value -9999, and (2, 8), which holds NaN.
``zonal_weights.tif``
    Same grid; pixel (row, col) holds ``col + 1``, except (0, 0), which holds the
    nodata value -1.
``zonal_zones.geojson``
    Seven zones in EPSG:32631 with a ``name`` field, edges on pixel edges:

    ====  =======  ==================================================================
    pos   name     pixels (rows x cols)
    ====  =======  ==================================================================
    0     A        rows 0-2 x cols 0-3 (12 pixels)
    1     B        rows 0-3 x cols 4-9 (24 pixels, one nodata and one NaN)
    2     C        rows 5-9 x cols 0-4 with a one-pixel hole at (7, 2) (24 pixels)
    3     D        rows 4-9 x cols 6-9, drawn out to col 12 and row 12 (24 in the raster)
    4     tiny     200 m square inside pixel (8, 5), away from its centre
    5     edge     200 m square across the edge between pixels (4, 4) and (4, 5)
    6     outside  a square 50 km east of the raster
    ====  =======  ==================================================================
``points.csv``
    Eight longitude/latitude points with ``POINT_X``/``POINT_Y`` columns; rows 5-7
    are bad (missing, out of range, not a number).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import Polygon, box

HERE = Path(__file__).resolve().parent
CRS = "EPSG:32631"
X0, Y0, PIXEL = 500_000.0, 4_010_000.0, 1_000.0
TRANSFORM = from_origin(X0, Y0, PIXEL, PIXEL)


def pixel_box(row0: int, col0: int, row1: int, col1: int) -> Polygon:
    """Return the polygon covering rows row0..row1-1 and cols col0..col1-1."""
    return box(X0 + col0 * PIXEL, Y0 - row1 * PIXEL, X0 + col1 * PIXEL, Y0 - row0 * PIXEL)


def values() -> np.ndarray:
    """Return the value raster: row * 10 + col, a nodata cell and a NaN cell."""
    rows, cols = np.mgrid[0:10, 0:10]
    grid = (rows * 10 + cols).astype(np.float32)
    grid[1, 5] = -9999.0
    grid[2, 8] = np.nan
    return grid


def weights() -> np.ndarray:
    """Return the weight raster: col + 1, with a nodata cell at (0, 0)."""
    grid = np.tile(np.arange(1, 11, dtype=np.float32), (10, 1))
    grid[0, 0] = -1.0
    return grid


def write_raster(path: Path, array: np.ndarray, nodata: float) -> None:
    """Write a single-band float32 GeoTIFF on the fixture grid."""
    profile = {
        "driver": "GTiff",
        "height": array.shape[0],
        "width": array.shape[1],
        "count": 1,
        "dtype": "float32",
        "crs": CRS,
        "transform": TRANSFORM,
        "nodata": nodata,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)


def zones() -> gpd.GeoDataFrame:
    """Return the seven fixture zones."""
    hole = pixel_box(7, 2, 8, 3).exterior.coords
    tiny_x, tiny_y = X0 + 5 * PIXEL + 100, Y0 - 9 * PIXEL + 100
    edge_x, edge_y = X0 + 5 * PIXEL - 100, Y0 - 5 * PIXEL + 400
    geometries = [
        pixel_box(0, 0, 3, 4),
        pixel_box(0, 4, 4, 10),
        Polygon(pixel_box(5, 0, 10, 5).exterior.coords, [hole]),
        pixel_box(4, 6, 12, 12),
        box(tiny_x, tiny_y, tiny_x + 200, tiny_y + 200),
        box(edge_x, edge_y, edge_x + 200, edge_y + 200),
        pixel_box(0, 60, 3, 63),
    ]
    names = ["A", "B", "C", "D", "tiny", "edge", "outside"]
    return gpd.GeoDataFrame({"name": names}, geometry=geometries, crs=CRS)


def points() -> pd.DataFrame:
    """Return the points table, with three bad rows at the end."""
    return pd.DataFrame(
        {
            "name": ["Rabat", "Fes", "Marrakech", "Agadir", "Oujda", "no x", "out of range", "text"],
            "POINT_X": ["-6.8498", "-5.0003", "-7.9811", "-9.5981", "-1.9086", "", "190.5", "abc"],
            "POINT_Y": ["34.0209", "34.0181", "31.6295", "30.4278", "34.6814", "33.0", "34.0", "31.0"],
        }
    )


def main() -> None:
    """Write every fixture file."""
    write_raster(HERE / "zonal_10x10.tif", values(), -9999.0)
    write_raster(HERE / "zonal_weights.tif", weights(), -1.0)
    path = HERE / "zonal_zones.geojson"
    path.unlink(missing_ok=True)
    zones().to_file(path, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=3)
    points().to_csv(HERE / "points.csv", index=False)


if __name__ == "__main__":
    main()
