"""Location from coordinates, offline: the nearest metro, cloud region and internet exchange,
the country, state, grid operator and climate zone, from tables bundled with sitefit."""

from pipeline.geo.distance import (
    EARTH_RADIUS_MILES,
    KM_PER_MILE,
    estimated_rtt_ms,
    great_circle_miles,
)
from pipeline.geo.metros import (
    TABLE_MIN_POPULATION,
    Metro,
    load_metros,
    nearest_metro,
    nearest_metros,
)

__all__ = ["EARTH_RADIUS_MILES", "KM_PER_MILE", "TABLE_MIN_POPULATION", "Metro",
           "estimated_rtt_ms", "great_circle_miles", "load_metros", "nearest_metro",
           "nearest_metros"]
