"""Country, US state or Canadian province and grid operator of a point, and the spellings
people give for them.

Countries come from the Natural Earth outlines with ISO codes from pipeline/data/countries.csv;
US states from the Census outlines, Canadian provinces from Natural Earth's; the grid operator
from pipeline/data/grid_operators.csv (by state or province, or by country) and, where a state
spans several operators, the counties of grid_counties.csv and the approximate areas of
grid_areas.json; in Norway, Sweden and Denmark the Nord Pool bidding area from
bidding_areas.npz. All read once per process.
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
class Area:
    """A part of a state or country whose grid operator or bidding area is its own."""

    grid_operator: str
    name: str  # "Childress County", "North Norway (NO4)"
    drawn: bool  # an approximate outline drawn from the operator's map; else a county's own


@dataclass(frozen=True)
class Found:
    """What the outlines say of one point."""

    country: Country | None  # inside its outline, or the nearest within the rules' gap
    at_sea: bool  # outside every outline and in the sea on the climate map
    state: GridRow | None  # US state (or DC) or Canadian province the point is in
    area: Area | None  # the part of that state or country it is in, with its own operator
    zone: str  # Koeppen-Geiger zone, "Ocean" over water
    outside: str | None = None  # "state", "province" or "bidding area": inside the country,
    # but further than the rules' gap from every one of its outlines


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
    """Country, US state or Canadian province, the part of either (or of a country split
    into bidding areas) with its own grid operator, and climate zone of each point (degrees).

    The country comes from the 1:110m outlines, and, for a point within
    ``max_outline_gap_miles`` of one of their edges or outside them all, from the 1:10m ones
    (a border town a few km inside its country, a small state, an island); a point on land
    outside every 1:10m outline takes the nearest within that distance, as does a point in
    a country outside every outline of its states, provinces or bidding areas."""
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
    states, outside = _first_level(countries, lats, lons, max_outline_gap_miles)
    areas = _areas(countries, states, outside, lats, lons, max_outline_gap_miles)
    return [Found(country, country is None and zones[i] == koppen.OCEAN, states[i], areas[i],
                  str(zones[i]), outside[i]) for i, country in enumerate(countries)]


# Countries whose market is split into Nord Pool bidding areas drawn in bidding_areas.npz.
BIDDING_AREA_COUNTRIES = ("NO", "SE", "DK")


def _members(countries: list[Country | None], iso2: str) -> np.ndarray:
    return np.flatnonzero([c is not None and c.iso2 == iso2 for c in countries])


def _nearest_within(where: outlines.Outlines, lats: np.ndarray, lons: np.ndarray,
                    max_miles: float) -> np.ndarray:
    """The outline each point is in, else the nearest within ``max_miles``, else -1."""
    index = where.locate(lats, lons)
    missing = np.flatnonzero(index < 0)
    if missing.size:
        index[missing] = where.near(lats[missing], lons[missing], max_miles)[0]
    return index


def _first_level(countries: list[Country | None], lats: np.ndarray, lons: np.ndarray,
                 max_miles: float) -> tuple[list[GridRow | None], list[str | None]]:
    """The grid row of the US state or Canadian province of each point, and for a point in
    either country but near none of its outlines, what it is outside of."""
    by_place, by_fips = grid_table()
    states: list[GridRow | None] = [None] * lats.size
    outside: list[str | None] = [None] * lats.size
    for iso2, where, row_of, what in (
            ("US", outlines.states(), by_fips.get, "state"),
            ("CA", outlines.provinces(), lambda code: by_place.get(("CA", fold(code))),
             "province")):
        members = _members(countries, iso2)
        if members.size:
            found = _nearest_within(where, lats[members], lons[members], max_miles)
            for point, index in zip(members.tolist(), found.tolist()):
                states[point] = row_of(where.ids[index]) if index >= 0 else None
                outside[point] = what if index < 0 else None
    return states, outside


def _areas(countries: list[Country | None], states: list[GridRow | None],
           outside: list[str | None], lats: np.ndarray, lons: np.ndarray,
           max_miles: float) -> list[Area | None]:
    """The part of its state (a county of grid_counties.csv, else a drawn area of
    grid_areas.json) or of its country (a bidding area) each point is in (``outside``
    changed in place for a point in a split country but near none of its areas)."""
    found: list[Area | None] = [None] * lats.size
    in_us = _members(countries, "US")
    if in_us.size:
        drawn, counties = outlines.grid_areas(), outlines.grid_counties()
        by_county = county_table()
        for point, a, c in zip(in_us.tolist(),
                               drawn.locate(lats[in_us], lons[in_us]).tolist(),
                               counties.locate(lats[in_us], lons[in_us]).tolist()):
            state = states[point]
            if state is None:
                continue
            county = by_county.get(counties.ids[c]) if c >= 0 else None
            if county is not None and county.state_fips == state.fips:
                found[point] = Area(county.grid_operator, f"{county.county} County", False)
            elif a >= 0 and drawn.within[a] == state.fips:
                found[point] = Area(drawn.ids[a], drawn.names[a], True)
    by_place = grid_table()[0]
    for iso2 in BIDDING_AREA_COUNTRIES:
        members = _members(countries, iso2)
        if members.size:
            where = outlines.bidding_areas(iso2)
            for point, index in zip(members.tolist(), _nearest_within(
                    where, lats[members], lons[members], max_miles).tolist()):
                if index < 0:
                    outside[point] = "bidding area"
                    continue
                row = by_place[(iso2, fold(where.ids[index]))]
                found[point] = Area(row.grid_operator, f"{row.region_name} ({row.region})", True)
    return found
