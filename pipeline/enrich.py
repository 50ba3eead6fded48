"""Enrich stage: location from coordinates.

For sites with latitude and longitude, find the nearest major metro in the bundled table
(``pipeline/data/metros.csv``; metro population threshold in the rules), its great-circle
distance and an estimated fiber round trip. Blank ``nearest_metro`` and
``metro_distance_miles`` are filled from it and marked as computed; a given distance that
disagrees with the computed one by more than the rules allow is flagged, and the given
value is kept. Nothing is fetched at run time.
"""

from __future__ import annotations

import pandas as pd

from pipeline import geo
from pipeline.contract import COMPUTED, GIVEN, show_number
from pipeline.rules import Rules

ENRICHED_COLUMNS = ("nearest_metro_source", "metro_distance_source", "computed_metro",
                    "computed_metro_distance_miles", "estimated_rtt_ms", "location_check")


def enrich(sites: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """A copy of ``sites`` with location filled from coordinates and its provenance columns."""
    t = rules["location"]["enrichment"]
    out = sites.copy()
    given_metro = out["nearest_metro"].notna()
    given_distance = out["metro_distance_miles"].notna()
    out["nearest_metro_source"] = given_metro.map({True: GIVEN, False: ""})
    out["metro_distance_source"] = given_distance.map({True: GIVEN, False: ""})
    for column in ENRICHED_COLUMNS[2:]:
        out[column] = pd.Series([None] * len(out), index=out.index, dtype=object)
    located = out["latitude"].notna() & out["longitude"].notna()
    if not located.any():
        return out
    where = out.index[located]
    found = geo.nearest_metros(out.loc[where, "latitude"], out.loc[where, "longitude"],
                               t["metro_min_population"])
    for row, (metro, miles) in zip(where, found):
        miles = round(miles, 1)
        out.at[row, "computed_metro"] = metro.name
        out.at[row, "computed_metro_distance_miles"] = miles
        out.at[row, "estimated_rtt_ms"] = round(geo.estimated_rtt_ms(
            miles, t["fiber_route_factor"], t["fiber_us_per_km"]), 2)
        if not given_metro[row]:
            out.at[row, "nearest_metro"] = metro.name
            out.at[row, "nearest_metro_source"] = COMPUTED
        if not given_distance[row]:
            out.at[row, "metro_distance_miles"] = miles
            out.at[row, "metro_distance_source"] = COMPUTED
        else:
            given = out.at[row, "metro_distance_miles"]
            if abs(given - miles) > t["max_distance_disagreement"] * max(miles, 1.0):
                out.at[row, "location_check"] = (
                    f"given {show_number(given)} miles to {out.at[row, 'nearest_metro'] or 'a metro'}"
                    f", but the coordinates put {metro.name} {show_number(miles)} miles away; "
                    "the given distance is used: check it")
    return out
