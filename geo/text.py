"""Text helpers shared by joins and the data build."""

from __future__ import annotations

import unicodedata

import pandas as pd

__all__ = ["name_words", "normalise_name", "normalise_code"]

# Latin letters that carry no decomposable accent but are folded like one.
_LATIN_FOLD = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th",
                             "ı": "i", "ħ": "h", "ŧ": "t", "ŋ": "n"})
# Arabic short vowels, shadda, sukun, superscript alef and the tatweel: written or not at will.
_ARABIC_OPTIONAL = frozenset(chr(c) for c in (*range(0x064B, 0x0660), 0x0670, 0x0640))


def name_words(name: object) -> list[str]:
    """Return the words of a name, as compared by joins: letters and digits of every script.

    The text is NFKC-normalised and case-folded; Latin letters lose their
    accents (``é`` -> ``e``, ``ø`` -> ``o``); Arabic optional vowel marks and
    the tatweel are dropped; digits of any script become ASCII digits. Any
    other character (space, hyphen, apostrophe, punctuation) separates words.
    Marks of other scripts (Devanagari vowel signs, ...) are part of the letters
    and kept.

    Parameters
    ----------
    name : object
        A district name; missing values give ``[]``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> name_words("  M'diq -- Fnideq ")
    ['m', 'diq', 'fnideq']
    >>> name_words("الدار البيضاء")
    ['الدار', 'البيضاء']
    """
    if name is None or name is pd.NA or (isinstance(name, float) and name != name):
        return []
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", str(name)).casefold())
    out: list[str] = []
    base_is_latin = False
    for ch in text:
        category = unicodedata.category(ch)
        if category.startswith("M"):
            if base_is_latin or ch in _ARABIC_OPTIONAL:
                continue
            out.append(ch)
        elif ch in _ARABIC_OPTIONAL:
            continue
        elif category.startswith("L"):
            base_is_latin = "LATIN" in unicodedata.name(ch, "")
            out.append(ch.translate(_LATIN_FOLD) if base_is_latin else ch)
        elif category == "Nd":
            base_is_latin = False
            out.append(str(unicodedata.decimal(ch)))
        elif category.startswith("N"):
            base_is_latin = False
            out.append(ch)
        else:
            base_is_latin = False
            out.append(" ")
    return unicodedata.normalize("NFC", "".join(out)).split()


def normalise_name(name: object) -> str:
    """Return the key a name is joined by: its :func:`name_words` written together.

    Accents of Latin letters, case, punctuation, apostrophes, spaces and hyphens
    are ignored, so ``"Aïn-Chock"``, ``"Ain Chock"`` and ``"AINCHOCK"`` compare
    equal, as do ``"Sankhuwa Sabha"`` and ``"SANKHUWASABHA"``; letters of every
    script are kept (Arabic, Hebrew, Devanagari, CJK names join like Latin ones).

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
    'ainsebaa'
    >>> normalise_name("Sankhuwa Sabha") == normalise_name("SANKHUWASABHA")
    True
    >>> normalise_name("الدار البيضاء") == normalise_name("الدَّار البيضاء")
    True
    >>> normalise_name("काठमाडौं")
    'काठमाडौं'
    """
    return "".join(name_words(name))


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

    if values.dtype == object and len(values) and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return pd.Series([v.strip() for v in values.to_numpy()], index=values.index, dtype=object,
                         name=values.name)  # every code is text (the usual case): no per-cell checks
    return values.map(one).astype(object)
