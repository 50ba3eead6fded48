"""The nearest public cloud region and internet exchange to a site, from bundled tables.

``pipeline/data/cloud_regions.csv`` (AWS, Azure and Google Cloud regions at city level, built
by scripts/build_locations.py) and ``pipeline/data/internet_exchanges.csv`` (the largest
internet exchanges, compiled by hand from their own public pages): both described in
pipeline/data/LOCATIONS-SOURCE.md. Read once per process; nothing is fetched.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from pipeline.geo.distance import nearest

PROVIDERS = {"aws": "AWS", "azure": "Azure", "gcp": "Google Cloud"}


@dataclass(frozen=True)
class Place:
    """A cloud region or an internet exchange, as its results column names it."""

    label: str  # "aws us-east-1 US East (N. Virginia) (Ashburn, VA)", "DE-CIX Frankfurt"
    country_code: str
    latitude: float
    longitude: float


@cache
def _table(name: str) -> tuple[tuple[Place, ...], np.ndarray, np.ndarray, np.ndarray]:
    text = resources.files("pipeline").joinpath(f"data/{name}").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    places = tuple(Place(_label(row), row["country_code"], float(row["latitude"]),
                         float(row["longitude"])) for row in rows)
    lat = np.radians([p.latitude for p in places])
    return places, lat, np.radians([p.longitude for p in places]), np.cos(lat)


def _label(row: dict[str, str]) -> str:
    if "provider" in row:
        return f"{PROVIDERS[row['provider']]} {row['region']} ({row['name']})"
    return f"{row['name']} ({row['city']})"


def _nearest(name: str, lats: Sequence[float] | np.ndarray,
             lons: Sequence[float] | np.ndarray) -> list[tuple[Place, float]]:
    places, lat, lon, cos = _table(name)
    index, miles = nearest(lats, lons, lat, lon, cos)
    return [(places[i], float(d)) for i, d in zip(index, miles)]


def nearest_cloud_regions(lats: Sequence[float] | np.ndarray,
                          lons: Sequence[float] | np.ndarray) -> list[tuple[Place, float]]:
    """For each site (degrees), the nearest AWS, Azure or Google Cloud region and its miles."""
    return _nearest("cloud_regions.csv", lats, lons)


def nearest_exchanges(lats: Sequence[float] | np.ndarray,
                      lons: Sequence[float] | np.ndarray) -> list[tuple[Place, float]]:
    """For each site (degrees), the nearest of the largest internet exchanges and its miles."""
    return _nearest("internet_exchanges.csv", lats, lons)
