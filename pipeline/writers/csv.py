"""CSV output that Excel opens without turning any cell into a formula, and its exact reading.

Text that Excel would read as a formula (starting with ``= + - @``, tab or carriage return,
after any apostrophes) gets one leading apostrophe, in headers as in values. Records end
in CRLF, so that a field holding a carriage return or a line feed is quoted like one holding
the delimiter: no line break inside a cell can start a row of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _looks_like_formula(text: str) -> bool:
    return text.lstrip("'").startswith(FORMULA_STARTS)


def defuse(value):
    """Text that Excel would read as a formula gets a leading apostrophe; the rest is kept."""
    if isinstance(value, str) and _looks_like_formula(value):
        return "'" + value
    return value


def undefuse(text: str) -> str:
    """The value :func:`defuse` was given, from the text it returned."""
    return text[1:] if text.startswith("'") and _looks_like_formula(text[1:]) else text


def write_csv(frame: pd.DataFrame, path: Path | IO[str], *, append: bool = False) -> None:
    """Write ``frame`` to ``path``, or add its rows (no header) to the end with ``append``."""
    safe = frame.copy()
    for name in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[name]) and not pd.api.types.is_bool_dtype(
                safe[name]):
            safe[name] = safe[name].map(defuse)
    safe.columns = [defuse(str(name)) for name in safe.columns]
    safe.to_csv(path, index=False, lineterminator="\r\n", mode="a" if append else "w",
                header=not append)


def read_csv(path: Path | IO[str]) -> pd.DataFrame:
    """A CSV file :func:`write_csv` wrote, every cell as the text it was given (blank for a
    missing value), headers included."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [undefuse(name) for name in frame.columns]
    return frame.map(undefuse)
