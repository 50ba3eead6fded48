"""The nearest metro from coordinates.

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
from pipeline.geo.regions import country_named
from pipeline.rules import Rules

COLUMNS = ("nearest_metro_source", "metro_distance_source", "computed_metro",
           "computed_metro_distance_miles", "estimated_rtt_ms", "location_check")


def add_metro(out: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """``out`` (changed in place) with the nearest metro filled from coordinates and marked."""
    t = rules["location"]["enrichment"]
    given_metro = out["nearest_metro"].notna()
    given_distance = out["metro_distance_miles"].notna()
    out["nearest_metro_source"] = given_metro.map({True: GIVEN, False: ""})
    out["metro_distance_source"] = given_distance.map({True: GIVEN, False: ""})
    for column in COLUMNS[2:]:
        out[column] = pd.Series([None] * len(out), index=out.index, dtype=object)
    located = out["latitude"].notna() & out["longitude"].notna()
    if not located.any():
        return out
    where = out.index[located]
    countries = None
    if not rules["location"]["inference"]["foreign_metros_count"]:
        named = [country_named(c) if isinstance(c, str) else None
                 for c in out.loc[where, "country"]]
        countries = [c.iso2 if c is not None else None for c in named]
    found = geo.nearest_metros(out.loc[where, "latitude"], out.loc[where, "longitude"],
                               t["metro_min_population"], countries)
    metros = [metro.name for metro, _ in found]
    miles = [round(distance, 1) for _, distance in found]
    out.loc[where, "computed_metro"] = metros
    out.loc[where, "computed_metro_distance_miles"] = miles
    out.loc[where, "estimated_rtt_ms"] = [
        round(geo.estimated_rtt_ms(m, t["fiber_route_factor"], t["fiber_us_per_km"]), 2)
        for m in miles]
    fill_metro = where[~given_metro[where].to_numpy()]
    out.loc[fill_metro, "nearest_metro"] = out.loc[fill_metro, "computed_metro"]
    out.loc[fill_metro, "nearest_metro_source"] = COMPUTED
    fill_distance = where[~given_distance[where].to_numpy()]
    out.loc[fill_distance, "metro_distance_miles"] = pd.Series(miles, index=where,
                                                               dtype=float)[fill_distance]
    out.loc[fill_distance, "metro_distance_source"] = COMPUTED
    checks = {}
    for row, is_given, given, named, metro, computed in zip(
            where, given_distance[where], out.loc[where, "metro_distance_miles"],
            out.loc[where, "nearest_metro"], metros, miles):
        if is_given and abs(given - computed) > t["max_distance_disagreement"] * max(computed, 1.0):
            named = named if isinstance(named, str) and named else "a metro"
            checks[row] = (
                f"given {show_number(given)} miles to {named}, but the coordinates put "
                f"{metro} {show_number(computed)} miles away; the given distance is used: "
                "check it")
    out.loc[list(checks), "location_check"] = list(checks.values())
    return out
