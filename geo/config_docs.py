"""The configuration reference, ``docs/configuration.md``, generated from the validator's own key lists.

Every key :func:`geo.config.allowed_keys` accepts must be described here and nothing else may be;
:func:`render` fails otherwise, and a test compares ``docs/configuration.md`` with :func:`render`, so the
reference cannot drift from the validator. Regenerate it with ``python -m geo.config_docs``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from geo.config import allowed_keys

__all__ = ["KEYS", "render"]

#: Section -> key -> (type, default, meaning). The order is the order of the reference.
KEYS: dict[str, dict[str, tuple[str, str, str]]] = {
    "": {
        "title": ("text", '"Targeting pockets of poverty"', "Title of the dashboard and of exports."),
        "analysis_crs": ("text", '"auto"', "Projected CRS for distances to points (EPSG code or PROJ string); "
                         '"auto" uses the UTM zone of the districts and the report says which one it chose.'),
        "boundaries": ("section", "", "Default boundary file of every level: `[boundaries]`."),
        "levels": ("section", "required", "The admin levels: `[levels.<name>]`."),
        "tables": ("section", "", "Indicator tables: `[tables.<name>]`."),
        "joins": ("section", "", "How much a join may lose: `[joins]`."),
        "population": ("section", "required", "Where the population comes from: `[population]`."),
        "layers": ("section", "required", "Built-in and custom layers: `[layers]`, `[[layers.custom]]`."),
        "themes": ("section", "one per theme its layers name", "The themes: `[themes.<id>]`."),
        "text": ("section", "", "Texts describing the data: `[text]`."),
        "checks": ("section", "", "Thresholds of the index checks: `[checks]`."),
        "method": ("section", "", "Scoring method: `[method]`."),
        "display": ("section", "", "Dashboard defaults: `[display]`."),
        "build": ("section", "", "Script that rebuilds the data: `[build]`."),
        "change": ("section", "", "Two vintages compared: `[change]`."),
        "engine": ("section", "", "Where the heavy build runs: `[engine]`."),
        "uncertainty": ("section", "", "How precise the data are, for the Monte Carlo: `[uncertainty]`."),
    },
    "boundaries": {
        "path": ("text", "", "Boundary file used by every level that gives no path of its own."),
    },
    "levels.<name>": {
        "label": ("text", "the name, capitalised", "Name shown in the dashboard."),
        "path": ("text", "[boundaries] path", "GeoPackage, GeoJSON, FlatGeobuf, (zipped) Shapefile or GeoParquet."),
        "layer": ("text", "the first layer", "Layer of a multi-layer file (GeoPackage)."),
        "id": ("text", "required", "Field with the district code (kept as text, leading zeros included)."),
        "name": ("text", "the code", "Field with the district name."),
        "parent": ("text", "", "Field with the code of the district's parent."),
        "parent_level": ("text", "", "The level the parent codes belong to: values roll up to it."),
        "parent_name": ("text", "", "Field with the parent's name (else read from the parent level)."),
        "fields": ("list of text", "[]", "Further fields kept for the dashboard and exports."),
    },
    "tables.<name>": {
        "path": ("text", "required", "CSV (`,` `;` or tab; UTF-8 or Latin-1), Excel or Parquet file."),
        "key": ("text", "required (or group_by)", "Column with the district code (`by = \"code\"`) or name."),
        "by": ("text", '"code"', '"code" or "name"; names are compared without accents, case, spaces, hyphens '
               "or punctuation, within the parent with `parent_key`."),
        "parent_key": ("text", "", "Column with the parent's code, for a join by name."),
        "level": ("text", "required (or level_column)", "The level the table's rows describe."),
        "level_column": ("text", "", "Column saying which level each row describes (a table of several levels)."),
        "levels": ("table", "{}", "With level_column: level name -> value of that column, e.g. "
                   '`{ communes = "commune" }`.'),
        "crosswalk": ("text", "", "CSV of `table_key,district_code[,share]`: keys given to other districts; "
                      "several keys on one district merge them (counts summed, rates averaged by their weight); "
                      "one key on several lines splits it (counts divided by the shares, rates copied). A "
                      "repeated key without shares, or a district that does not exist, stops naming the line."),
        "split": ("text", "", '"area" or "population": shares of a split key whose crosswalk lines give none.'),
        "pad": ("whole number", "", "Digits of a full code: codes made of digits are left-padded with zeros "
                "(`pad = 5`: 1001 -> 01001), in the table and its crosswalk."),
        "group_by": ("text", "", "For a table finer than the districts: the column naming each row's district "
                     "(code, or name with `by = \"name\"`); rows are combined with `aggregate`, then joined."),
        "aggregate": ("table", "required with group_by", 'Column -> rule: "sum" (counts), "mean", "min", "max", '
                      '"first"; `{ numerator = ..., denominator = ..., per = 100 }` (a rate recomputed from the '
                      "sums) or `{ mean_weighted_by = ... }`. Every column a layer reads needs a rule."),
        "where": ("table", "", 'Keep only rows matching every condition: `{ Country = "Nepal", status = [1, 2] }` '
                  "(values compared as text; 1 and 1.0 are equal); the report says how many rows were kept."),
        "counts": ("list of text", "[]", "Count columns no layer reads (divided in splits, summed in merges); "
                   "columns read by layers are classified by the layer."),
        "sheet": ("text", "the first", "Worksheet of an Excel file."),
    },
    "tables.<name>.aggregate.<column>": {
        "numerator": ("text", "", "Column summed over the rows, above the line."),
        "denominator": ("text", "", "Column summed over the rows, below the line."),
        "per": ("number", "required", "Multiplier: 100 for a percentage, 1000 for a rate per 1,000, 1 for a share."),
        "mean_weighted_by": ("text", "", "The column is averaged over the rows, weighted by this column."),
    },
    "joins": {
        "max_unmatched": ("number 0-1", "0.05", "Share of a level's districts allowed to have no row in a table; "
                          "beyond it `geo check`, `rank`, `prepare` and the dashboard stop, naming the table, the "
                          "count and a hint (leading zeros, spelling). `--strict` allows none, and no unused row."),
    },
    "population": {
        "table": ("text", "required", "The table with the population."),
        "column": ("text", "required", "Its column of people (a count)."),
    },
    "layers": {
        "use": ("list of text", "[]", "Built-in layer ids."),
        "weights": ("table", "1 each", "Layer id -> weight >= 0 (0: shown and exported, not scored)."),
        "custom": ("list of tables", "[]", "Layers declared in the file: `[[layers.custom]]`."),
    },
    "layers.custom": {
        "id": ("text", "required", "Unique id, used in weights and exports."),
        "label": ("text", "required", "Name shown to users."),
        "theme": ("text", "required", "Id of a theme declared as `[themes.<id>]` (without any, each id is one)."),
        "unit": ("text", "required", 'Unit shown with values; "%" values must lie in 0-100.'),
        "higher_is_worse": ("true or false", "required", "Direction: true when a higher value means more need."),
        "kind": ("text", "required", '"rate" (averaged when rolled up) or "count" (summed).'),
        "source": ("text", "required", "Who published the numbers."),
        "year": ("whole number", "required", "Year of the numbers."),
        "licence": ("text", "required", "Licence of the numbers."),
        "url": ("text", '""', "Where the numbers come from."),
        "description": ("text", '""', "A sentence for the Data & method page."),
        "weight": ("number", "1", "Weight of the layer (as in [layers.weights])."),
        "table": ("text", '"census"', "Table of column, numerator and denominator."),
        "column": ("text", "", "Table column with the values."),
        "scale": ("number", "1", "Multiplier of the column (100 for shares stored as 0-1)."),
        "complement_of": ("number", "", "Values become `complement_of - x` (a share with -> without); 100 for %."),
        "numerator": ("text", "", "Column above the line of a ratio (needs denominator and per)."),
        "denominator": ("text", "", "Column below the line of a ratio."),
        "per": ("number", "required with numerator", 'numerator / denominator x per: 100 for "%" (required), '
                "1000 for per 1,000, 1 for a ratio; rolled up as the ratio of the sums."),
        "rollup_weight": ("text", "population", "Column of the layer's table weighting a rate's roll-up (its "
                          "denominator); a name not in the table stops with exit 2."),
        "points": ("text", "", "Point file (CSV of coordinates or any vector file); the report lists points "
                   "inside, outside, without or with invalid coordinates, and duplicates."),
        "x": ("text", "found by name", "Column of the x coordinate (longitude) of a CSV of points."),
        "y": ("text", "found by name", "Column of the y coordinate (latitude) of a CSV of points."),
        "where": ("table", "", "Row filter of the point file, as tables' where."),
        "stat": ("text", '"count" / "mean"', 'Points: "count", "per_100k", "distance_km"; rasters: "mean", "sum", '
                 '"count", "min", "max", "weighted_mean".'),
        "raster": ("text", "", "Raster file summarised per district (districts whose pixels are all nodata "
                   "are reported)."),
        "weights_raster": ("text", "", 'Raster of weights for stat = "weighted_mean" (e.g. population).'),
        "se_column": ("text", "", "Column of the layer's table with the standard error of each value (same "
                      "units); the Monte Carlo draws the layer from N(value, se^2). Missing, negative or "
                      "non-numeric stops with exit 2."),
    },
    "themes.<id>": {
        "label": ("text", "required", "Name shown in the dashboard."),
        "description": ("text", '""', "A sentence for the Data & method page."),
        "role": ("text", '"need"', '"need", "readiness" or "context" (shown, not scored).'),
        "weight": ("number", "1 (0 for context)", "Weight of the theme in the score."),
    },
    "text": {
        "caption": ("text", '""', "Shown under the title: what the scores measure and what they are not."),
        "search_example": ("text", '""', "A district name offered as an example in the ranking's search box."),
    },
    "checks": {
        "max_weight": ("number", "0.15", "Largest effective weight of one layer."),
        "max_variance_share": ("number", "0.3", "Largest share of the score's variance one layer may explain."),
        "squashed_iqr": ("number", "10", "A layer is squashed when the IQR of its normalised values is below this..."),
        "squashed_median": ("number", "50", "...while their median is above this (0-100 scale)."),
        "importance_ratio": ("number", "1/3", "Flag a layer whose share of importance is below this times its "
                             "share of the weight."),
        "min_alpha": ("number", "0.5", "Cronbach's alpha below which a theme's layers are not one construct."),
        "max_theme_corr": ("number", "0.8", "Correlation above which two themes double count."),
        "small_population": ("number", "2000", "A top-decile district with fewer people rests on a small "
                             "population."),
    },
    "method": {
        "normalisation": ("text", '"minmax"', '"minmax", "zscore" or "rank".'),
        "aggregation": ("text", '"arithmetic"', '"arithmetic" or "geometric".'),
        "missing": ("text", '"renormalise"', 'How districts with missing layers are scored.'),
        "min_coverage": ("number 0-1", "0.5", "Least share of the effective weight a district needs to be scored."),
        "outliers": ("text", '"none"', "Treatment of outliers before normalisation."),
    },
    "display": {
        "default_level": ("text", "the first level", "Level shown first."),
        "scheme": ("text", '"quantiles"', '"quantiles", "fisher_jenks" or "equal_interval".'),
        "classes": ("whole number 2-9", "5", "Number of map classes."),
        "palette": ("text", '"YlOrRd"', "Colour palette of the map."),
        "top_n": ("whole number", "10", "Districts highlighted as the top N."),
        "bounds": ("list of 4 numbers", "the districts' extent", "Starting view of the map, [west, south, east, "
                   "north] in degrees, e.g. [-10, 29, -1, 36.5]."),
        "towns": ("whole number 0-200", "12", "How many of the largest towns the map names (a dot and the name) on "
                  "`towns_level` and the levels it makes up, most populous first, thinned so that no label overlaps "
                  "(0: none)."),
        "towns_level": ("text", "the finest level", "Level whose districts are the towns, e.g. \"communes\"."),
        "towns_where": ("table of column = value(s)", "every district", "Which districts of `towns_level` are "
                        "towns, a filter on its fields, e.g. { type = \"urban\" }."),
    },
    "build": {
        "script": ("text", "", "Script `python -m geo build` runs to rebuild the data."),
    },
    "change": {
        "before": ("text", "required", "The earlier table."),
        "after": ("text", "the population table", "The later table (the one layers read)."),
        "labels": ("list of two texts", "the table names", 'Names of the two vintages, e.g. ["2014", "2024"].'),
        "national": ("text", "", "Value of level_column holding the national figures (else districts aggregated)."),
        "tolerance": ("number >= 0", "each layer's published precision", "How much a gap must widen to count "
                      "(layer units; HCP's rates: 0.1)."),
    },
    "engine": {
        "kind": ("text", '"local"', '"local" (this process) or "dask".'),
        "scheduler": ("text", "", 'Address of an existing Dask scheduler, e.g. "tcp://host:8786".'),
        "workers": ("whole number", "one per CPU", "Workers of a local Dask cluster."),
        "partitions": ("whole number", "the file's", "Partitions of point files."),
        "chunk_rows": ("whole number", "about 4 million pixels", "Raster rows per task."),
    },
    "uncertainty": {
        "sample_fraction": ("number 0-1", "1 (counted in full)", "Share of the people of sampled districts who "
                            "answered the questions behind the percentage layers (HCP's long questionnaire: 0.2)."),
        "sampled_from": ("number", "0 (every district)", "Size from which a district was sampled (HCP: 2000 "
                         "households)."),
        "size_column": ("text", "", "Column of the population table giving each district's size."),
        "table": ("text", "the population table", "The table whose percentage layers were sampled."),
        "data": ("true/false", "true", "Draw the data too (binomial on the denominator, standard errors)."),
        "shrinkage": ("text", '"none"', '"none" or "empirical_bayes" (small-population rates, reported when on).'),
        "fdr": ("true/false", "true", "False-discovery-rate control of local Moran's I and Gi*."),
    },
}


def render() -> str:
    """The Markdown reference; fails when the validator and :data:`KEYS` disagree.

    Raises
    ------
    ValueError
        A key the validator accepts without a description, or a described key it does not accept.
    """
    allowed = allowed_keys()
    problems = []
    for section in sorted(set(allowed) | set(KEYS)):
        documented = set(KEYS.get(section, {}))
        accepted = set(allowed.get(section, ()))
        problems += [f"[{section}] {k}: accepted but not documented" for k in sorted(accepted - documented)]
        problems += [f"[{section}] {k}: documented but not accepted" for k in sorted(documented - accepted)]
    if problems:
        raise ValueError("docs/configuration.md and the validator disagree: " + "; ".join(problems)
                         + ". Describe the key in geo/config_docs.py KEYS and run `python -m geo.config_docs`.")
    out = [
        "# Configuration reference",
        "",
        "Every key of `config.toml`, generated from the validator (`geo/config.py`) by",
        "`python -m geo.config_docs`; a test fails when the two disagree. Unknown keys, wrong types and missing",
        "files stop with a message naming the key (exit 2). Paths are relative to the configuration file.",
        "",
    ]
    for section, keys in KEYS.items():
        title = "Top level" if not section else f"`[{section}]`" if section != "layers.custom" else \
            "`[[layers.custom]]`"
        out += [f"## {title}", "", "| key | type | default | meaning |", "| --- | --- | --- | --- |"]
        for key, (kind, default, text) in keys.items():
            out.append(f"| `{key}` | {kind} | {default.replace('|', '/')} | {text.replace('|', '/')} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}", file=sys.stderr)
