"""Country, US state and grid operator of a point, and the spellings people give for them.

Countries come from the Natural Earth outlines with ISO codes from pipeline/data/countries.csv;
US states from the Census outlines; the grid operator from pipeline/data/grid_operators.csv
(by state or province, or by country) and, where a state spans several operators, the
approximate areas of pipeline/data/grid_areas.json. All read once per process.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import numpy as np

from pipeline.geo import koppen, outlines


@dataclass(frozen=True)
class Country:
    iso2: str
    iso3: str
    name: str
    outline_name: str

    @property
    def spellings(self) -> set[str]:
        return {fold(s) for s in (self.iso2, self.iso3, self.name, self.outline_name) if s}


@dataclass(frozen=True)
class GridRow:
    country: str  # ISO alpha-2
    region: str  # postal or province code; "" for a whole country
    region_name: str
    fips: str
    grid_operator: str
    coverage: str


@dataclass(frozen=True)
class Found:
    """What the outlines say of one point."""

    country: Country | None  # inside its outline, or the nearest within the rules' gap
    at_sea: bool  # outside every outline and in the sea on the climate map
    state: GridRow | None  # US state (or DC, Puerto Rico) the point is in
    area_operator: str | None  # grid operator of a sub-state area the point is in
    area_name: str | None
    zone: str  # Koeppen-Geiger zone, "Ocean" over water


@lru_cache(maxsize=4096)
def fold(text: object) -> str:
    """Case, accents aside, spaces and punctuation ignored: ``Québec`` -> ``quebec``."""
    plain = str(text).lower().translate(str.maketrans("éèêàâôûç", "eeeaaouc"))
    return re.sub(r"[^0-9a-z]+", "", plain)


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("pipeline").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def country_table() -> tuple[dict[str, Country], dict[str, Country]]:
    """Countries by ISO numeric code, and by every folded spelling."""
    by_number, by_spelling = {}, {}
    for row in _read("countries.csv"):
        country = Country(row["iso2"], row["iso3"], row["name"], row["outline_name"])
        by_number[row["iso_numeric"] or row["outline_name"]] = country
        for spelling in country.spellings:
            by_spelling.setdefault(spelling, country)
    by_spelling.update({fold("USA"): by_spelling["us"], fold("UK"): by_spelling["gb"]})
    return by_number, by_spelling


@cache
def grid_table() -> tuple[dict[tuple[str, str], GridRow], dict[str, GridRow]]:
    """Grid rows by (country, folded region code or name), and US rows by FIPS code."""
    by_place, by_fips = {}, {}
    for row in _read("grid_operators.csv"):
        grid = GridRow(**row)
        for spelling in {grid.region, grid.region_name} if grid.region else {""}:
            by_place[(grid.country, fold(spelling))] = grid
        if grid.fips:
            by_fips[grid.fips] = grid
    return by_place, by_fips


@dataclass(frozen=True)
class GridCounty:
    """A US county whose grid operator is not its state's default or its drawn area's."""

    county_fips: str
    state_fips: str
    county: str
    grid_operator: str
    basis: str
    source: str
    as_of: str


@lru_cache(maxsize=1)
def county_table() -> dict[str, GridCounty]:
    """grid_counties.csv by county FIPS code."""
    return {row["county_fips"]: GridCounty(**row) for row in _read("grid_counties.csv")}


def country_named(text: str) -> Country | None:
    """The country a given name or ISO code means, if the table knows it."""
    return country_table()[1].get(fold(text))


def _key(outlines_: outlines.Outlines, index: int) -> str | None:
    """How countries.csv names outline ``index``: its ISO numeric id, else its name."""
    if index < 0:
        return None
    return outlines_.ids[index] if outlines_.ids[index] != "" else outlines_.names[index]


def grid_row(country: Country | None, region: str | None) -> GridRow | None:
    """The grid row of a region of a country, else of the whole country."""
    if country is None:
        return None
    by_place = grid_table()[0]
    return by_place.get((country.iso2, fold(region or ""))) or by_place.get((country.iso2, ""))


def find(lats: np.ndarray, lons: np.ndarray, max_outline_gap_miles: float) -> list[Found]:
    """Country, state, sub-state grid area and climate zone of each point (degrees).

    The country comes from the 1:110m outlines, and, for a point within
    ``max_outline_gap_miles`` of one of their edges or outside them all, from the 1:10m ones
    (a border town a few km inside its country, a small state, an island); a point on land
    outside every 1:10m outline takes the nearest within that distance."""
    lats, lons = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
    zones = koppen.zones(lats, lons)
    world = outlines.countries()
    inside = world.locate(lats, lons)
    keys = [_key(world, i) for i in inside.tolist()]
    edge = world.near(lats, lons, max_outline_gap_miles)[1]
    doubt = np.flatnonzero(np.isfinite(edge) | (inside < 0))
    if doubt.size:
        fine = outlines.countries_fine()
        finer = fine.locate(lats[doubt], lons[doubt])
        missing = doubt[(finer < 0) & (zones[doubt] != koppen.OCEAN)]
        if missing.size:
            finer[np.isin(doubt, missing)] = fine.near(lats[missing], lons[missing],
                                                       max_outline_gap_miles)[0]
        for point, index in zip(doubt.tolist(), finer.tolist()):
            keys[point] = _key(fine, index)
    by_number = country_table()[0]
    countries = [None if key is None else by_number.get(key) for key in keys]
    in_us = np.flatnonzero([c is not None and c.iso2 == "US" for c in countries])
    state_index = np.full(lats.size, -1, dtype=np.intp)
    area_index = np.full(lats.size, -1, dtype=np.intp)
    county_index = np.full(lats.size, -1, dtype=np.intp)
    if in_us.size:
        state_index[in_us] = outlines.states().locate(lats[in_us], lons[in_us])
        area_index[in_us] = outlines.grid_areas().locate(lats[in_us], lons[in_us])
        county_index[in_us] = outlines.grid_counties().locate(lats[in_us], lons[in_us])
    by_fips, areas, states = grid_table()[1], outlines.grid_areas(), outlines.states()
    counties, by_county = outlines.grid_counties(), county_table()
    found = []
    for i, country in enumerate(countries):
        state = by_fips.get(states.ids[state_index[i]]) if state_index[i] >= 0 else None
        area = area_index[i]
        in_area = area >= 0 and state is not None and areas.within[area] == state.fips
        operator, name = (areas.ids[area], areas.names[area]) if in_area else (None, None)
        county = by_county.get(counties.ids[county_index[i]]) if county_index[i] >= 0 else None
        if county is not None and state is not None and county.state_fips == state.fips:
            operator, name = county.grid_operator, f"{county.county} County, {county.grid_operator}"
        found.append(Found(country, country is None and zones[i] == koppen.OCEAN,
                           state, operator, name, str(zones[i])))
    return found
