"""Enrich stage: location from coordinates.

For sites with latitude and longitude: the country, state, grid operator, climate zone and
the nearest cloud region and internet exchange (``place``), then the nearest major metro
(``metro``, which may keep to the site's country), for which a nearer cloud region may stand
in. Every value filled is marked in its ``*_source`` column; a given value always
wins, and one the coordinates contradict is flagged. Nothing is fetched at run time.
"""

from __future__ import annotations

import pandas as pd

from pipeline.enrich import metro, place
from pipeline.rules import Rules

ENRICHED_COLUMNS = (*metro.COLUMNS, *place.COLUMNS)


def enrich(sites: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """A copy of ``sites`` with location filled from coordinates and its provenance columns."""
    out = sites.copy()
    place.add_place(out, rules)
    metro.add_metro(out, rules)
    if rules["location"]["inference"]["nearer_cloud_region_counts"]:
        place.cloud_region_as_metro(out)
    return out
