"""Unemployment theme: labour-market exclusion and vulnerable work from the census."""

from layers.base import Layer, SumRatio, census_column
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
VULNERABLE_EMPLOYMENT = Layer(
    id="vulnerable_employment", label="Vulnerable employment (own-account and unpaid family workers)",
    unit="%", theme="unemployment", higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=SumRatio(("employment_status_self_employed", "employment_status_family_worker")),
    rollup_weight="labour_employed",
    description="Self-employed people without employees plus unpaid family workers, as a share of the "
    "employed aged 15+: the ILO's vulnerable employment, work without a wage or social protection.",
)
# Declared, not in the default index: participation is squashed at communes (a few business hubs set
# the scale) and unpaid family work is part of vulnerable employment.
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

LAYERS = (UNEMPLOYMENT, UNEMPLOYMENT_WOMEN, VULNERABLE_EMPLOYMENT, ACTIVITY, FAMILY_WORKERS)
