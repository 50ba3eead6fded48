"""Triangular distributions, the shape every drawn assumption takes: low, peak at base, high."""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.economics.plans import BASE, HIGH, LOW


def triangular_outer(u: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``triangular`` at each quantile of the row ``u`` for each row (low, mode, high) of
    ``values``: (sites, draws), with the square roots split into outer products."""
    low, mode, high = (values[:, k, None] for k in (LOW, BASE, HIGH))
    width = np.maximum(high - low, 1e-12)
    rising = np.sqrt(width * (mode - low)) * np.sqrt(u)
    falling = np.sqrt(width * np.maximum(high - mode, 0.0)) * np.sqrt(1 - u)
    return np.where(u < (mode - low) / width, low + rising, high - falling)


def triangular(u: Any, low: Any, mode: Any, high: Any) -> Any:
    """The value at quantile ``u`` of a triangular distribution (low, mode, high)."""
    width = np.maximum(high - low, 1e-12)
    split = (mode - low) / width
    return np.where(u < split, low + np.sqrt(u * width * (mode - low)),
                    high - np.sqrt((1 - u) * width * np.maximum(high - mode, 0.0)))
