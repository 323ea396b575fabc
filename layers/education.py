"""Education theme: literacy, school enrolment and higher education (census 2024)."""

from layers.base import Layer, census_column
from layers.sources import HCP_2024

ILLITERACY = Layer(
    id="illiteracy", label="Illiteracy, aged 10 and over", unit="%", theme="education",
    higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("illiteracy_rate_10_plus"),
    rollup_weight="illiteracy_population_10_plus",
    description="Share of people aged 10+ who cannot read and write a simple statement.",
)
NOT_ENROLLED = Layer(
    id="not_enrolled", label="Children 6-11 not enrolled in school", unit="%", theme="education",
    higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("schooling_rate_6_to_11", complement_of=100),
    rollup_weight="schooling_population_7_to_12",
    description="100 minus the 2023/24 school enrolment rate of children aged 6-11.",
)
HIGHER_EDUCATION = Layer(
    id="higher_education", label="People with higher education", unit="%", theme="education",
    higher_is_worse=False, kind="rate", source=HCP_2024,
    loader=census_column("education_higher"), rollup_weight="population_municipal",
    description="Share of the population whose highest level of general education is higher education "
    "(lower is worse): the skills a place can build on, which illiteracy alone does not show in towns.",
)

LAYERS = (ILLITERACY, NOT_ENROLLED, HIGHER_EDUCATION)
