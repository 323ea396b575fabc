"""Basic-needs theme: housing and household amenities (census deprivation), not a monetary poverty rate."""

from layers.base import Layer, census_column
from layers.sources import HCP_2024

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
NO_KITCHEN = Layer(
    id="no_kitchen", label="Households without a kitchen", unit="%", theme="poverty",
    higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("amenities_kitchen", complement_of=100),
    rollup_weight="households_sedentary",
    description="100 minus the share of sedentary households whose dwelling has a kitchen.",
)
NO_BATHROOM = Layer(
    id="no_bathroom", label="Households without a bathroom or shower", unit="%", theme="poverty",
    higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("amenities_bathroom", complement_of=100),
    rollup_weight="households_sedentary",
    description="100 minus the share of sedentary households with a bathroom or shower room.",
)

LAYERS = (SLUM_DWELLINGS, FIREWOOD, CROWDING, NO_TOILET, NO_KITCHEN, NO_BATHROOM)
