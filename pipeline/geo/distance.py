"""Great-circle distances on a sphere, one to one and each site to its nearest of a table."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

EARTH_RADIUS_MILES = 3958.8
KM_PER_MILE = 1.609344
_CHUNK = 1024  # sites per broadcast block: 1024 x ~1,500 places x 8 bytes = 12 MB a temporary


def great_circle_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in miles on a sphere of radius 3958.8 miles (degrees in)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(1.0, a)))


def checked_degrees(lats: Sequence[float] | np.ndarray,
                    lons: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes as flat float arrays; ValueError if missing or out of range."""
    lat = np.asarray(lats, dtype=float).ravel()
    lon = np.asarray(lons, dtype=float).ravel()
    if lat.shape != lon.shape:
        raise ValueError(f"{lat.size} latitudes but {lon.size} longitudes")
    if not (np.all(np.abs(lat) <= 90) and np.all(np.abs(lon) <= 180)):  # NaN fails both
        raise ValueError("latitudes must be within -90..90 and longitudes within -180..180")
    return lat, lon


def nearest(lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray,
            p_lat: np.ndarray, p_lon: np.ndarray, p_cos: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """For each site (degrees), the index of the nearest place (radians, with cos(lat)) and the
    great-circle miles to it."""
    lat, lon = checked_degrees(lats, lons)
    s_lat, s_lon = np.radians(lat), np.radians(lon)
    index = np.empty(lat.size, dtype=np.intp)
    hav = np.empty(lat.size)
    for start in range(0, lat.size, _CHUNK):
        block = slice(start, start + _CHUNK)
        a = (np.sin((p_lat - s_lat[block, None]) / 2) ** 2
             + np.cos(s_lat[block, None]) * p_cos * np.sin((p_lon - s_lon[block, None]) / 2) ** 2)
        index[block] = np.argmin(a, axis=1)
        hav[block] = a[np.arange(a.shape[0]), index[block]]
    return index, 2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.clip(hav, 0.0, 1.0)))


def estimated_rtt_ms(miles: float, route_factor: float, us_per_km: float) -> float:
    """Round-trip time in ms over fiber: 2 x miles x 1.609344 x route_factor x us_per_km / 1000."""
    return 2 * miles * KM_PER_MILE * route_factor * us_per_km / 1000
