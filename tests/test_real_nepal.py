"""Real data (optional): Nepal's 2011 census VDC table grouped by district and joined by name to the 75
districts of the 2011 poverty estimates; the report names the eight spellings that differ and proposes
crosswalk lines for seven. Skips when the shared data folder is absent."""

import pandas as pd
import pytest

from geo.io import read_table
from geo.join import group_rows, join_table

from .conftest import SHARED

NEPAL = SHARED / "nepal"
pytestmark = pytest.mark.skipif(not (NEPAL / "census_2011_vdc.csv").exists(), reason="shared data absent")


def test_vdc_table_grouped_and_misspellings_suggested():
    poverty = read_table(NEPAL / "poverty_sae_2011.csv", key="District")
    districts = pd.DataFrame({"name": poverty["District"].to_numpy()},
                             index=pd.Index(poverty["District"].to_numpy(), name="code"))
    vdc = read_table(NEPAL / "census_2011_vdc.csv", key="DISTRICT")
    grouped, lines = group_rows(vdc, "DISTRICT", {"COOKING_FUEL_WOOD": "sum"}, by="name")
    assert lines[0] == "3972 rows grouped by DISTRICT into 75 groups (13-115 rows per group)"
    assert grouped["COOKING_FUEL_WOOD"].sum() == pd.to_numeric(vdc["COOKING_FUEL_WOOD"]).sum()  # nothing lost
    _, report = join_table(districts, grouped, key="DISTRICT", by="name")
    assert report.matched_by_name == 67
    assert report.unmatched_rows == ["CHITWAN", "DHANUSHA", "ILLAM", "KAVRE", "MAKAWANPUR", "SINDHUPALCHOWK",
                                     "TAHANUN", "TEHRATHUM"]
    assert [(k, c) for k, c, _, _ in report.suggestions] == [
        ("CHITWAN", "Chitawan"), ("DHANUSHA", "Dhanusa"), ("ILLAM", "Ilam"), ("KAVRE", "Kavrepalanchok"),
        ("MAKAWANPUR", "Makwanpur"), ("SINDHUPALCHOWK", "Sindhupalchok"), ("TEHRATHUM", "Terhathum"),
    ]
