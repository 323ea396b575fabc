"""Indicator layers: one declaration per layer, grouped by theme, and a registry.

>>> from layers import get_layer
>>> get_layer("unemployment").unit
'%'
"""

from __future__ import annotations

from layers import displacement, education, infrastructure, poverty, unemployment, vulnerability
from layers.base import (
    ROLES,
    Layer,
    LayerInputs,
    PointStat,
    RasterStat,
    Percentile,
    Ratio,
    RelativeAnnualGrowth,
    RelativeGrowth,
    Source,
    SumRatio,
    TableColumn,
    Theme,
    census_column,
)

__all__ = [
    "LAYERS",
    "ROLES",
    "Layer",
    "LayerInputs",
    "PointStat",
    "RasterStat",
    "Percentile",
    "Ratio",
    "RelativeAnnualGrowth",
    "RelativeGrowth",
    "Source",
    "SumRatio",
    "TableColumn",
    "Theme",
    "census_column",
    "get_layer",
]

LAYERS: dict[str, Layer] = {
    layer.id: layer
    for module in (education, poverty, unemployment, displacement, vulnerability, infrastructure)
    for layer in module.LAYERS
}


def get_layer(layer_id: str) -> Layer:
    """Return the built-in layer ``layer_id``.

    Raises
    ------
    ValueError
        If no layer has that id.
    """
    try:
        return LAYERS[layer_id]
    except KeyError:
        raise ValueError(f"Unknown layer {layer_id!r}; expected one of {sorted(LAYERS)}") from None
