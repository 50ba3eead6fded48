"""Country, state, grid operator, climate and the nearest cloud region and internet exchange,
from coordinates.

A value the site gives always wins; a blank one is filled and its ``*_source`` column says
where it came from. A given country or region that the coordinates contradict is kept and
named in ``location_conflicts`` beside what the coordinates say, as are coordinates outside
every country outline. The grid operator is looked up from the state (and the sub-state area
where a state spans several operators) or, without coordinates, from the given country and
region.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.contract import COMPUTED, FROM_REGION, GIVEN
from pipeline.geo import estimated_rtt_ms
from pipeline.geo.places import nearest_cloud_regions, nearest_exchanges
from pipeline.geo.regions import Found, country_named, find, fold, grid_row
from pipeline.rules import Rules

CLOUD_REGION = "nearest cloud region, nearer than the metro (computed from coordinates)"
FILLED = ("country", "region", "grid_operator", "climate_zone")
COLUMNS = ("country_source", "region_source", "grid_operator_source", "climate_zone_source",
           "climate_band", "nearest_cloud_region", "cloud_region_distance_miles",
           "cloud_region_rtt_ms", "nearest_ix", "ix_distance_miles", "ix_rtt_ms",
           "location_conflicts")


def add_place(out: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """``out`` (changed in place) with place, climate and network neighbours from coordinates."""
    t = rules["location"]["enrichment"]
    for column in FILLED:
        out[f"{column}_source"] = out[column].notna().map({True: GIVEN, False: ""})
    for column in COLUMNS[4:]:
        out[column] = pd.Series([None] * len(out), index=out.index, dtype=object)
    located = (out["latitude"].notna() & out["longitude"].notna()).to_numpy()
    where = out.index[located]
    if len(where):
        lats, lons = out.loc[where, "latitude"].to_numpy(), out.loc[where, "longitude"].to_numpy()
        _neighbours(out, where, lats, lons, t)
        found = find(lats, lons, t["max_outline_gap_miles"])
    else:
        found = []
    by_row = dict(zip(where, found))
    names = [*FILLED, *(f"{c}_source" for c in FILLED)]
    given = [[x if isinstance(x, str) else None for x in out[name].tolist()] for name in names]
    settled: dict[str, list] = {name: [] for name in names}
    conflicts = []
    for row, cells in zip(out.index, zip(*given)):
        values = dict(zip(names, cells))
        conflicts.append("; ".join(_settle(values, by_row.get(row))) or None)
        for name in names:
            settled[name].append(values[name])
    for name, column in settled.items():
        out[name] = pd.Series(column, index=out.index, dtype=object)
    out["location_conflicts"] = pd.Series(conflicts, index=out.index, dtype=object)
    bands = rules["climate"]["band_by_zone"]
    out["climate_band"] = pd.Series([bands.get(z) for z in out["climate_zone"]],
                                    index=out.index, dtype=object)
    return out


def _neighbours(out: pd.DataFrame, where: pd.Index, lats: np.ndarray, lons: np.ndarray,
                t: dict) -> None:
    for prefix, column, found in (("cloud_region", "nearest_cloud_region",
                                   nearest_cloud_regions(lats, lons)),
                                  ("ix", "nearest_ix", nearest_exchanges(lats, lons))):
        miles = np.round([m for _, m in found], 1)
        out.loc[where, column] = [place.label for place, _ in found]
        out.loc[where, f"{prefix}_distance_miles"] = miles.tolist()
        out.loc[where, f"{prefix}_rtt_ms"] = np.round(
            estimated_rtt_ms(miles, t["fiber_route_factor"], t["fiber_us_per_km"]), 2).tolist()


def cloud_region_as_metro(out: pd.DataFrame) -> None:
    """Where the metro distance was computed and a cloud region is nearer, the region stands
    in for the metro: its name and distance, marked so (``out`` changed in place)."""
    where = out.index[out["cloud_region_distance_miles"].notna().to_numpy()]
    computed = out.loc[where, "metro_distance_source"] == COMPUTED
    nearer = out.loc[where, "cloud_region_distance_miles"].astype(float) < \
        out.loc[where, "metro_distance_miles"].astype(float)
    rows = where[(computed & nearer).to_numpy()]
    out.loc[rows, "metro_distance_miles"] = out.loc[rows, "cloud_region_distance_miles"] \
        .astype(float).to_numpy()
    out.loc[rows, "nearest_metro"] = out.loc[rows, "nearest_cloud_region"]
    out.loc[rows, "nearest_metro_source"] = CLOUD_REGION
    out.loc[rows, "estimated_rtt_ms"] = out.loc[rows, "cloud_region_rtt_ms"]


def _settle(v: dict, found: Found | None) -> list[str]:
    """Fill ``v``'s blank place values from what the coordinates say (changed in place) and
    return the conflicts between them and the given ones."""
    conflicts = []
    given_country = country_named(v["country"]) if v["country"] else None
    if given_country is not None:  # one form per country: KZ and Kazakhstan pivot together
        v["country"] = given_country.name
    agrees = False  # the country in force is the one the coordinates are in
    if found is not None:
        if found.country is None:
            conflicts.append("the coordinates are " + (
                "in the sea" if found.at_sea else "outside every country outline")
                + ": check them")
        elif v["country"] is None:
            v["country"], v["country_source"] = found.country.name, COMPUTED
        elif given_country != found.country:
            conflicts.append(f"country {v['country']} given, but the coordinates are in "
                             f"{found.country.name}: the given country is used; check it")
        agrees = found.country is not None and (v["country_source"] == COMPUTED
                                                 or given_country == found.country)
        state = found.state if agrees else None
        if state is not None and v["region"] is None:
            v["region"], v["region_source"] = state.region, COMPUTED
        elif state is not None and fold(v["region"]) not in (fold(state.region),
                                                             fold(state.region_name)):
            conflicts.append(f"region {v['region']} given, but the coordinates are in "
                             f"{state.region_name} ({state.region}): the given region is used, "
                             "the grid operator is the coordinates'; check them")
        if agrees and found.outside is not None:
            conflicts.append(f"the coordinates are in {found.country.name} but outside every "
                             f"{found.outside} outline: check them, or give the "
                             + ("grid operator" if found.outside == "bidding area" else
                                "region and grid operator"))
    if v["grid_operator"] is None:
        _fill_grid(v, found if agrees else None, given_country or (
            found.country if found is not None else None))
    if v["climate_zone"] is None and found is not None and found.zone != "Ocean":
        v["climate_zone"], v["climate_zone_source"] = found.zone, COMPUTED
    return conflicts


def _fill_grid(v: dict, found: Found | None, country) -> None:
    """The grid operator from the part of a state or country, else the state or province,
    the coordinates are in (``found``: None where the country in force is not theirs), else
    from ``country`` and the region in force."""
    if found is not None and found.area is not None:
        area = found.area
        v["grid_operator"] = area.grid_operator
        v["grid_operator_source"] = (f"{COMPUTED}, inside an approximate outline of {area.name}"
                                     if area.drawn else f"{COMPUTED}, by county: {area.name}")
        return
    if found is not None and found.state is not None:
        v["grid_operator"], v["grid_operator_source"] = found.state.grid_operator, COMPUTED
        return
    row = grid_row(country, v["region"])
    if row is not None:
        v["grid_operator"], v["grid_operator_source"] = row.grid_operator, FROM_REGION
