"""Migration theme: three census proxies of net out-migration, each labelled a proxy.

The census gives no migration flows per commune. Three signals stand in for
them (their directions are argued in ``data/README.md``): growth of the
municipal population against the country's, the old-age dependency ratio, and
the sex ratio at working ages. Sites of displaced people (refugee/IDP camps)
are point layers a user adds in the configuration (see
:class:`layers.base.PointStat`).
"""

from layers.base import Layer, Percentile, RelativeAnnualGrowth, RelativeGrowth, SumRatio
from layers.sources import HCP_2014_2024, HCP_2014_2024_MUNICIPAL, HCP_2024

MUNICIPAL_GROWTH = Layer(
    id="municipal_growth", label="Growth of the municipal population 2014-2024 (net-migration proxy)",
    unit="percentile", theme="displacement", higher_is_worse=False, kind="rate",
    source=HCP_2014_2024_MUNICIPAL,
    loader=Percentile(RelativeAnnualGrowth(now="population_municipal", before="population_municipal_2014",
                                           years=10)),
    rollup_weight="population_municipal_2014",
    description="Percentile rank of the district's average annual growth of its municipal population "
    "(people counted apart, such as barracks, left out) minus the country's. Low: the district grew "
    "less than the country, a sign of net out-migration (lower is worse; a proxy).",
)
OLD_AGE_DEPENDENCY = Layer(
    id="old_age_dependency", label="Old-age dependency ratio (out-migration proxy)",
    unit="per 100 aged 15-64", theme="displacement", higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=SumRatio(("age_65_69", "age_70_74", "age_75_plus"),
                    tuple(f"age_{a}_{a + 4}" for a in range(15, 65, 5))),
    rollup_weight="population_municipal",
    labels=(("fr", "Rapport de dépendance des personnes âgées (indicateur indirect de l'émigration)"),),
    description="People aged 65+ per 100 aged 15-64, from HCP's five-year age groups. Working-age "
    "people leave and the old stay: a high ratio is a sign of out-migration (higher is worse; a proxy).",
)
SEX_RATIO = Layer(
    id="sex_ratio_20_49", label="Men per 100 women aged 20-49 (male out-migration proxy)",
    unit="percentile", theme="vulnerability", higher_is_worse=False, kind="rate", source=HCP_2024,
    loader=Percentile(SumRatio(("people_20_49_male",), ("people_20_49_female",))),
    rollup_weight="people_20_49_female",
    labels=(("fr", "Hommes pour 100 femmes de 20 à 49 ans (indicateur indirect de l'émigration masculine)"),),
    description="Percentile rank of the men per 100 women aged 20-49 (municipal population). Men leave "
    "to work elsewhere first: few men is a sign of out-migration (lower is worse; a proxy). Ranked, "
    "because a garrison sets the men-heavy extreme.",
)
# Declared, not in the default index: growth of the legal population explodes where a population
# counted apart appears in one census only (Tifariti, +9,473 %).
POPULATION_CHANGE = Layer(
    id="population_change", label="Population growth 2014-2024 relative to national (net-migration proxy)",
    unit="% vs national growth", theme="displacement", higher_is_worse=False, kind="rate",
    source=HCP_2014_2024,
    loader=RelativeGrowth(now="population_legal", before="population_2014"),
    rollup_weight="population_2014",
    description="100 x (growth ratio of the district / national growth ratio - 1). Negative: the "
    "district grew less than the country, a sign of net out-migration (lower is worse).",
)

LAYERS = (MUNICIPAL_GROWTH, OLD_AGE_DEPENDENCY, SEX_RATIO, POPULATION_CHANGE)
