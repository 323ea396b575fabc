"""Unemployment theme: labour-market exclusion from the census."""

from layers.base import Layer, census_column
from layers.sources import HCP_2024

UNEMPLOYMENT = Layer(
    id="unemployment", label="Unemployment rate", unit="%", theme="unemployment",
    higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("labour_unemployment_rate"), rollup_weight="labour_active",
    description="Unemployed people as a share of the labour force aged 15+.",
)
UNEMPLOYMENT_WOMEN = Layer(
    id="unemployment_women", label="Unemployment rate, women", unit="%", theme="unemployment",
    higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("labour_unemployment_rate_female"), rollup_weight="labour_active_female",
    description="Unemployed women as a share of women in the labour force aged 15+.",
)
ACTIVITY = Layer(
    id="activity", label="Labour force participation, aged 15 and over", unit="%",
    theme="unemployment", higher_is_worse=False, kind="rate", source=HCP_2024,
    loader=census_column("labour_activity_rate"), rollup_weight="labour_population_15_plus",
    description="People in the labour force as a share of people aged 15+ (lower is worse).",
)
FAMILY_WORKERS = Layer(
    id="family_workers", label="Unpaid family workers among the employed", unit="%",
    theme="unemployment", higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("employment_status_family_worker"), rollup_weight="labour_employed",
    description="Share of employed people working unpaid for a household member "
    "(a proxy for informal, low-productivity work).",
)

LAYERS = (UNEMPLOYMENT, UNEMPLOYMENT_WOMEN, ACTIVITY, FAMILY_WORKERS)
