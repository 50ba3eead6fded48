"""Nearest major metro for a site, from the bundled table pipeline/data/metros.csv.

The table (built by scripts/build_metros.py, described in pipeline/data/METROS-SOURCE.md)
holds metros of at least 500,000 people; distances are great-circle miles between the site
and the metro's core point. Nothing here touches the network.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

EARTH_RADIUS_MILES = 3958.8
KM_PER_MILE = 1.609344
TABLE_MIN_POPULATION = 500_000
_CHUNK = 1024  # sites per broadcast block: 1024 x ~1,500 metros x 8 bytes = 12 MB a temporary


@dataclass(frozen=True)
class Metro:
    name: str
    country_code: str
    latitude: float
    longitude: float
    metro_population: int
    source: str


@lru_cache(maxsize=1)
def _table() -> tuple[Metro, ...]:
    text = resources.files("pipeline").joinpath("data/metros.csv").read_text(encoding="utf-8")
    return tuple(
        Metro(row["name"], row["country_code"], float(row["latitude"]), float(row["longitude"]),
              int(row["metro_population"]), row["source"])
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
    """Metros of at least ``min_population`` people (>= 500,000), most populous first."""
    return list(_metros(float(min_population))[0])


def great_circle_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in miles on a sphere of radius 3958.8 miles (degrees in)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(1.0, a)))


def nearest_metros(lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray,
                   min_population: float) -> list[tuple[Metro, float]]:
    """For each site, its nearest metro of at least ``min_population`` people and the miles to it.

    Coordinates are degrees; a missing or out-of-range one raises ValueError, so filter sites
    without coordinates first.
    """
    lat = np.asarray(lats, dtype=float).ravel()
    lon = np.asarray(lons, dtype=float).ravel()
    if lat.shape != lon.shape:
        raise ValueError(f"{lat.size} latitudes but {lon.size} longitudes")
    if not (np.all(np.abs(lat) <= 90) and np.all(np.abs(lon) <= 180)):  # NaN fails both
        raise ValueError("latitudes must be within -90..90 and longitudes within -180..180")
    metros, m_lat, m_lon, m_cos = _metros(float(min_population))
    s_lat, s_lon = np.radians(lat), np.radians(lon)
    index = np.empty(lat.size, dtype=np.intp)
    hav = np.empty(lat.size)
    for start in range(0, lat.size, _CHUNK):
        block = slice(start, start + _CHUNK)
        a = (np.sin((m_lat - s_lat[block, None]) / 2) ** 2
             + np.cos(s_lat[block, None]) * m_cos * np.sin((m_lon - s_lon[block, None]) / 2) ** 2)
        index[block] = np.argmin(a, axis=1)
        hav[block] = a[np.arange(a.shape[0]), index[block]]
    miles = 2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.clip(hav, 0.0, 1.0)))
    return [(metros[i], float(d)) for i, d in zip(index, miles)]


def nearest_metro(lat: float, lon: float, min_population: float) -> tuple[Metro, float]:
    """The nearest metro of at least ``min_population`` people to one site, and the miles to it."""
    return nearest_metros([lat], [lon], min_population)[0]


def estimated_rtt_ms(miles: float, route_factor: float, us_per_km: float) -> float:
    """Round-trip time in ms over fiber: 2 x miles x 1.609344 x route_factor x us_per_km / 1000."""
    return 2 * miles * KM_PER_MILE * route_factor * us_per_km / 1000
