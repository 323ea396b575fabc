import numpy as np
import pandas as pd
import pytest

from geo.errors import TargetingError
from geo.rollup import roll_up


def test_counts_sum_and_rates_weighted():
    v = pd.DataFrame({"people": [100, 300, 50, np.nan], "rate": [10.0, 20.0, np.nan, 5.0]}, index=list("abcd"))
    parent = pd.Series(["P", "P", "Q", "Q"], index=list("abcd"))
    out = roll_up(v, parent, counts=["people"], rates={"rate": v["people"]})
    assert out.loc["P", "people"] == 400
    assert out.loc["P", "rate"] == pytest.approx((10 * 100 + 20 * 300) / 400)
    assert out.loc["Q", "people"] == 50
    assert np.isnan(out.loc["Q", "rate"])  # the only rate has no weight
    assert out["people"].sum() == v["people"].sum()


def test_orphans_are_an_error():
    v = pd.DataFrame({"n": [1, 2]}, index=["a", "b"])
    with pytest.raises(TargetingError, match="no parent code"):
        roll_up(v, pd.Series(["P", None], index=["a", "b"]), counts=["n"])
