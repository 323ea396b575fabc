"""Poverty theme: census deprivation (basic needs), not a monetary poverty rate."""

from layers.base import Layer, census_column
from layers.sources import HCP_2024

ILLITERACY = Layer(
    id="illiteracy", label="Illiteracy, aged 10 and over", unit="%", theme="poverty",
    higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("illiteracy_rate_10_plus"),
    rollup_weight="illiteracy_population_10_plus",
    description="Share of people aged 10+ who cannot read and write a simple statement.",
)
NOT_ENROLLED = Layer(
    id="not_enrolled", label="Children 6-11 not enrolled in school", unit="%", theme="poverty",
    higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("schooling_rate_6_to_11", complement_of=100),
    rollup_weight="schooling_population_7_to_12",
    description="100 minus the 2023/24 school enrolment rate of children aged 6-11.",
)
SLUM_DWELLINGS = Layer(
    id="slum_dwellings", label="Households in basic dwellings or slums", unit="%",
    theme="poverty", higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("dwelling_type_basic_or_slum"), rollup_weight="households_sedentary",
    description="Share of sedentary households living in a basic house or a slum.",
)
FIREWOOD = Layer(
    id="firewood", label="Households cooking with firewood", unit="%", theme="poverty",
    higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("cooking_fuel_firewood"), rollup_weight="households_sedentary",
    description="Share of sedentary households whose main cooking fuel is firewood.",
)
CROWDING = Layer(
    id="crowding", label="People per room", unit="people per room", theme="poverty",
    higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("households_people_per_room"), rollup_weight="households_sedentary",
    description="Sedentary population divided by the number of living rooms "
    "(rolled up weighted by households, an approximation of the room count).",
)
NO_TOILET = Layer(
    id="no_toilet", label="Households without a toilet", unit="%", theme="poverty",
    higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("amenities_toilet", complement_of=100),
    rollup_weight="households_sedentary",
    description="100 minus the share of sedentary households with a toilet.",
)

LAYERS = (ILLITERACY, NOT_ENROLLED, SLUM_DWELLINGS, FIREWOOD, CROWDING, NO_TOILET)
