"""Nearest major metro for a site, from the bundled table pipeline/data/metros.csv.

The table (built by scripts/build_metros.py, described in pipeline/data/METROS-SOURCE.md)
holds metros of at least 500,000 people, a US metro once at each principal city its name
gives (Dallas-Fort Worth-Arlington at Dallas, Fort Worth and Arlington), a metro elsewhere at
its core city; distances are great-circle miles between the site and the nearest of these.
Nothing here touches the network.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from pipeline.geo.distance import nearest

TABLE_MIN_POPULATION = 500_000


@dataclass(frozen=True)
class Metro:
    name: str
    country_code: str
    latitude: float
    longitude: float
    metro_population: int
    source: str
    reached_at: str  # the principal city this row places the metro at


@lru_cache(maxsize=1)
def _table() -> tuple[Metro, ...]:
    text = resources.files("pipeline").joinpath("data/metros.csv").read_text(encoding="utf-8")
    return tuple(
        Metro(row["name"], row["country_code"], float(row["latitude"]), float(row["longitude"]),
              int(row["metro_population"]), row["source"], row["reached_at"])
        for row in csv.DictReader(io.StringIO(text))
    )


@lru_cache(maxsize=8)
def _metros(min_population: float) -> tuple[tuple[Metro, ...], np.ndarray, np.ndarray, np.ndarray]:
    """Metros at or above the threshold, with their latitudes and longitudes in radians and cos(lat)."""
    if min_population < TABLE_MIN_POPULATION:
        raise ValueError(f"the metro table holds metros of at least {TABLE_MIN_POPULATION:,} people; "
                         f"{min_population:,.0f} is below that")
    metros = tuple(m for m in _table() if m.metro_population >= min_population)
    if not metros:
        raise ValueError(f"no metro in the table has {min_population:,.0f} people or more")
    lat = np.radians([m.latitude for m in metros])
    lon = np.radians([m.longitude for m in metros])
    return metros, lat, lon, np.cos(lat)


def load_metros(min_population: float) -> list[Metro]:
    """Metros of at least ``min_population`` people (>= 500,000), most populous first, each
    once (at its first principal city)."""
    first = {}
    for metro in _metros(float(min_population))[0]:
        first.setdefault((metro.name, metro.country_code, metro.metro_population), metro)
    return list(first.values())


def nearest_metros(lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray,
                   min_population: float, countries: Sequence[str | None] | None = None
                   ) -> list[tuple[Metro, float]]:
    """For each site, its nearest metro of at least ``min_population`` people and the miles to it.

    With ``countries`` (an ISO alpha-2 code, or None, per site), a site keeps to the metros of
    its own country where it has one at the threshold. Coordinates are degrees; a missing or
    out-of-range one raises ValueError, so filter sites without coordinates first.
    """
    metros, m_lat, m_lon, m_cos = _metros(float(min_population))
    if countries is None:
        index, miles = nearest(lats, lons, m_lat, m_lon, m_cos)
        return [(metros[i], float(d)) for i, d in zip(index, miles)]
    lats, lons = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
    codes = np.array([c or "" for c in countries], dtype=object)
    home = np.array([m.country_code for m in metros], dtype=object)
    found: list[tuple[Metro, float]] = [None] * lats.size  # type: ignore[list-item]
    for code in sorted(set(codes.tolist())):
        rows = np.flatnonzero(codes == code)
        pool = np.flatnonzero(home == code)
        pool = pool if code and pool.size else np.arange(len(metros))
        index, miles = nearest(lats[rows], lons[rows], m_lat[pool], m_lon[pool], m_cos[pool])
        for row, i, d in zip(rows.tolist(), index, miles):
            found[row] = (metros[pool[i]], float(d))
    return found


def nearest_metro(lat: float, lon: float, min_population: float) -> tuple[Metro, float]:
    """The nearest metro of at least ``min_population`` people to one site, and the miles to it."""
    return nearest_metros([lat], [lon], min_population)[0]
