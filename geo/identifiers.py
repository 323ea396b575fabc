"""Layer identifiers: the columns every export writes, and the one rule for a layer id.

A layer's id becomes a column name of the ranked export (``<id>`` and
``<id>_norm``), of the prepared table and of the change export. An id equal to
one of the export's own columns would overwrite it (district names or scores
replaced by raw values), so the configuration and the upload page both check
ids with :func:`check_layer_id`, against the column names defined here.
"""

from __future__ import annotations

import re
from typing import Collection

from geo.i18n import _
from geo.errors import ConfigError, TargetingError

__all__ = [
    "EXPORT_COLUMNS",
    "ANALYSIS_COLUMNS",
    "CHANGE_STATUS_COLUMNS",
    "NORM_SUFFIX",
    "THEME_PREFIX",
    "RESERVED_IDS",
    "ID_PATTERN",
    "check_layer_id",
    "is_reserved",
]

#: Leading columns of the ranked export, in order (the prepared table uses the first five).
EXPORT_COLUMNS = (
    "code", "name", "parent_code", "parent_name", "population", "score", "rank", "decile", "data_coverage",
)
#: Analytics columns the ranked export adds after the layers, in order.
ANALYSIS_COLUMNS = (
    "rank_median", "rank_p05", "rank_p95", "p_top_k", "cluster", "hotspot", "need", "readiness", "quadrant",
    "reliability", "extent", "local_concentration",
)
#: Per-district summary columns of the change export, before the per-layer ones.
CHANGE_STATUS_COLUMNS = ("behind_on", "layers_compared", "needed", "left_behind")
#: Suffix of a layer's normalised column in the ranked export.
NORM_SUFFIX = "_norm"
#: Prefix of a theme's sub-index column in the ranked export.
THEME_PREFIX = "theme_"

RESERVED_IDS = frozenset((*EXPORT_COLUMNS, *ANALYSIS_COLUMNS, *CHANGE_STATUS_COLUMNS, "geometry"))
"""Column names of the exports that a layer id must not take."""

ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
"""A layer id: 1 to 40 lower-case ASCII letters, digits and underscores, starting with a letter."""


def is_reserved(layer_id: str) -> bool:
    """Whether ``layer_id`` would overwrite a column of an export.

    Examples
    --------
    >>> is_reserved("score"), is_reserved("theme_poverty"), is_reserved("x_norm"), is_reserved("literacy")
    (True, True, True, False)
    """
    return layer_id in RESERVED_IDS or layer_id.startswith(THEME_PREFIX) or layer_id.endswith(NORM_SUFFIX)


def check_layer_id(layer_id: object, *, where: str, taken: Collection[str] = (),
                   error: type[TargetingError] = ConfigError) -> str:
    """Return ``layer_id`` when it can name a layer, else raise naming the rule.

    Parameters
    ----------
    layer_id : object
        The id as given (configuration value or upload choice).
    where : str
        Where it was given, to start the message (e.g. ``"config.toml: layers.custom[0].id"``).
    taken : collection of str
        Ids already used by other layers.
    error : type
        The :class:`~geo.errors.TargetingError` subclass to raise (the upload page raises
        :class:`~geo.errors.LayerDataError`).

    Returns
    -------
    str

    Raises
    ------
    ConfigError
        Not text, characters outside ``[a-z0-9_]``, longer than 40, a reserved
        export column (:data:`RESERVED_IDS`, ``theme_*``, ``*_norm``), or taken.

    Examples
    --------
    >>> check_layer_id("literacy", where="f")
    'literacy'
    >>> check_layer_id("score", where="f")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geo.errors.ConfigError: f = 'score' is a column of the ranked export and would overwrite it: ...
    """
    if not isinstance(layer_id, str) or not ID_PATTERN.fullmatch(layer_id):
        raise error(
            _("{where} = {layer_id!r} is not a valid layer id: use 1 to 40 lower-case letters (a-z), digits "
            "and underscores, starting with a letter (e.g. 'literacy_rate').").format(
                where=where, layer_id=layer_id)
        )
    if is_reserved(layer_id):
        raise error(
            _("{where} = {layer_id!r} is a column of the ranked export and would overwrite it: a layer id "
            "must not be one of {sorted}, start with {theme_prefix!r} or end with "
            "{norm_suffix!r}. Choose another id.").format(
                where=where, layer_id=layer_id, sorted=sorted(RESERVED_IDS), theme_prefix=THEME_PREFIX, norm_suffix=NORM_SUFFIX)
        )
    if layer_id in set(map(str, taken)):
        raise error(_("{where} = {layer_id!r} is already used by another layer; ids must be unique.").format(
            where=where, layer_id=layer_id))
    return layer_id
