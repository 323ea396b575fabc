"""Text helpers shared by joins and the data build."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

__all__ = ["normalise_name", "normalise_code"]

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_name(name: object) -> str:
    """Return a name reduced to lower-case ASCII letters and digits, single-spaced.

    Accents, case, punctuation, apostrophes and repeated spaces are ignored, so
    ``"Aïn-Chock"``, ``"Ain Chock"`` and ``"AIN  CHOCK"`` compare equal.

    Parameters
    ----------
    name : object
        A district name; missing values give ``""``.

    Returns
    -------
    str

    Examples
    --------
    >>> normalise_name("Aïn-Sebaâ")
    'ain sebaa'
    >>> normalise_name("  M'diq -- Fnideq ")
    'm diq fnideq'
    """
    if name is None or (isinstance(name, float) and name != name):
        return ""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return _NON_ALNUM.sub(" ", text).strip()


def normalise_code(values: pd.Series) -> pd.Series:
    """Return district codes as stripped strings, keeping leading zeros.

    Integers stored as floats by a spreadsheet (``12.0``) become ``"12"``;
    missing values stay missing.

    Parameters
    ----------
    values : pandas.Series
        Codes as read from a file.

    Returns
    -------
    pandas.Series
        Codes as ``str`` (object dtype), same index.

    Examples
    --------
    >>> normalise_code(pd.Series(["01", 2, 3.0, None])).tolist()
    ['01', '2', '3', None]
    """

    def one(v: object) -> object:
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()

    return values.map(one).astype(object)
