"""Infrastructure and economic base theme."""

from layers.base import Layer, Ratio, census_column
from layers.sources import HCP_2024, HCP_2024_ESTABLISHMENTS

NO_ELECTRICITY = Layer(
    id="no_electricity", label="Households without electricity", unit="%", theme="infrastructure",
    higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("amenities_electricity", complement_of=100),
    rollup_weight="households_sedentary",
    description="100 minus the share of sedentary households with electricity (grid, solar or generator).",
)
NO_RUNNING_WATER = Layer(
    id="no_running_water", label="Households without running water", unit="%",
    theme="infrastructure", higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("amenities_running_water", complement_of=100),
    rollup_weight="households_sedentary",
    description="100 minus the share of sedentary households connected to a public water network.",
)
NO_SEWER = Layer(
    id="no_sewer", label="Households without public sewer", unit="%", theme="infrastructure",
    higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("wastewater_public_sewer", complement_of=100),
    rollup_weight="households_sedentary",
    description="100 minus the share of sedentary households connected to a public sewer.",
)
ROAD_DISTANCE = Layer(
    id="road_distance", label="Mean distance to a paved road", unit="km", theme="infrastructure",
    higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("households_distance_to_paved_road_km"),
    rollup_weight="households_sedentary",
    description="Average travelled distance from a household's dwelling to the nearest paved road. "
    "HCP publishes it for rural areas only, so urban communes show 'no data'.",
)
ESTABLISHMENTS = Layer(
    id="establishments", label="Establishments per 1,000 people", unit="per 1,000 people",
    theme="infrastructure", higher_is_worse=False, kind="rate", source=HCP_2024_ESTABLISHMENTS,
    loader=Ratio("establishments_total", "population_legal", per=1000),
    rollup_weight="population_legal",
    description="Establishments (businesses, public services, associations) mapped by the 2024 "
    "census per 1,000 legal residents (lower is worse).",
)
JOBS = Layer(
    id="jobs", label="Permanent jobs in businesses per 1,000 people", unit="per 1,000 people",
    theme="infrastructure", higher_is_worse=False, kind="rate", source=HCP_2024_ESTABLISHMENTS,
    loader=Ratio("establishments_jobs", "population_legal", per=1000),
    rollup_weight="population_legal",
    description="Permanent jobs in non-agricultural businesses per 1,000 legal residents (lower is worse).",
)

WASTE_IN_OPEN = Layer(
    id="waste_in_open", label="Households dumping their waste in the open", unit="%",
    theme="infrastructure", higher_is_worse=True, kind="rate", source=HCP_2024,
    loader=census_column("household_waste_in_the_open"), rollup_weight="households_sedentary",
    description="Share of households whose waste is dumped in the open rather than collected "
    "(no municipal bin or truck): a missing local service.",
)

LAYERS = (ROAD_DISTANCE, ESTABLISHMENTS, JOBS, NO_ELECTRICITY, NO_RUNNING_WATER, NO_SEWER, WASTE_IN_OPEN)
