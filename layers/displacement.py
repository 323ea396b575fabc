"""Displacement and migration theme.

The census gives no migration flows per commune; population growth relative to
the nation is a proxy for net migration, labelled as such. Sites of displaced
people (refugee/IDP camps) or facilities are point layers a user adds in the
configuration (see :class:`layers.base.PointStat`).
"""

from layers.base import Layer, RelativeGrowth
from layers.sources import HCP_2014_2024

POPULATION_CHANGE = Layer(
    id="population_change", label="Population growth 2014-2024 relative to national (net-migration proxy)",
    unit="% vs national growth", theme="displacement", higher_is_worse=False, kind="rate",
    source=HCP_2014_2024,
    loader=RelativeGrowth(now="population_legal", before="population_2014"),
    rollup_weight="population_2014",
    description="100 x (growth ratio of the district / national growth ratio - 1). Negative: the "
    "district grew less than the country, a sign of net out-migration (lower is worse).",
)

LAYERS = (POPULATION_CHANGE,)
