"""CSV output that Excel opens without turning any cell into a formula."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value):
    """Text that Excel would read as a formula gets a leading apostrophe; the rest is kept."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(frame: pd.DataFrame, path: Path, *, append: bool = False) -> None:
    """Write ``frame`` to ``path``, or add its rows (no header) to the end with ``append``."""
    safe = frame.copy()
    for name in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[name]) and not pd.api.types.is_bool_dtype(
                safe[name]):
            safe[name] = safe[name].map(defuse)
    safe.to_csv(path, index=False, lineterminator="\n", mode="a" if append else "w",
                header=not append)
