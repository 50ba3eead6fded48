"""Input discovery: which spreadsheets a run reads, where each one's outputs go, and which
earlier quarter of the same portfolio each is compared with."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.errors import InputError, UsageError
from pipeline.load import SPREADSHEET_SUFFIXES


def find_inputs(paths: list[Path]) -> list[Path]:
    """Spreadsheets named, or found directly in the folders named, in a stable order."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file()
                            and p.suffix.lower() in SPREADSHEET_SUFFIXES
                            and not p.name.startswith(("~$", ".")))
            if not inside:
                raise InputError(f"{path}: no spreadsheets here "
                                f"(looked for {', '.join(SPREADSHEET_SUFFIXES)})")
            found.extend(inside)
        elif path.exists():
            found.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return found


def output_dirs(inputs: list[Path], out: Path, nested: bool) -> dict[Path, Path]:
    """Where each input's outputs go, earlier quarters first; no two inputs share a folder."""
    if not nested:
        return {inputs[0]: out}
    inputs = sorted(inputs, key=_quarter_order)
    targets: dict[Path, Path] = {}
    for path in inputs:
        target = out / path.stem
        # Sites.csv and sites.csv are one folder on a disk that ignores case (macOS, Windows)
        clash = next((p for p, t in targets.items()
                      if t.name.casefold() == target.name.casefold()), None)
        if clash is not None:
            raise UsageError(f"{clash} and {path} would both write to {targets[clash]}; "
                             "rename one")
        targets[path] = target
    return targets


QUARTER_TAG = re.compile(r"[-_ ]*(\d{4}[-_ ]?q[1-4]|q[1-4][-_ ]?\d{4})$", re.IGNORECASE)


def earlier_quarters(targets: dict[Path, Path]) -> dict[Path, Path]:
    """For each input of ``targets`` (as ``output_dirs`` ordered them, earlier quarters
    first), the output folder of the same portfolio's previous quarter, if any.

    ``sites-2026Q3.xlsx`` and ``sites-2026Q4.xlsx`` are quarters of one portfolio; an
    untagged ``sites.xlsx`` is its latest. Inputs are evaluated in that order, so the
    earlier quarter's output exists by the time the later one is compared with it.
    """
    ordered = list(targets)
    return {after: targets[before] for before, after in zip(ordered, ordered[1:])
            if _quarter_order(before)[0] == _quarter_order(after)[0]}


def _quarter_order(path: Path) -> tuple[str, str]:
    """(portfolio, quarter) for sorting: ``sites-2026Q3`` -> ("sites", "20263"); an untagged
    file is its portfolio's latest."""
    match = QUARTER_TAG.search(path.stem)
    tag = re.sub(r"\D", "", match.group(1)) if match else "~"  # untagged sorts last
    if match and match.group(1).lower().startswith("q"):
        tag = tag[1:] + tag[0]  # q3 2026 -> 20263
    return QUARTER_TAG.sub("", path.stem).lower(), tag
