"""Compare two sets of results, site by site: a previous run (changes since last quarter) or
the same sites under other rules (``pipeline.whatif``). Both compare results as results.csv
holds them, so any earlier output folder can serve as the baseline."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from pipeline import bounded
from pipeline.tabulate import GATE_COLUMNS, INPUT_COLUMNS
from pipeline.writers.csv import read_csv, write_csv

OUTCOME_COLUMNS = ("bucket", "readiness", "training_verdict", "inference_verdict",
                   "training_score", "inference_score", *GATE_COLUMNS)
CHANGE_COLUMNS = ["site_id", "site_name", "change", "bucket_before", "bucket_after",
                  "readiness_before", "readiness_after", "what_changed", "inputs_changed"]


def read_results(path: Path) -> pd.DataFrame:
    """A results.csv as the text sitefit was given (not its CSV disguise), keyed by site_id;
    a folder means its results.csv. ValueError if it cannot be one sitefit wrote."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.csv"
    bounded.check_size(path, bounded.RESULTS_MAX_BYTES, "an earlier run's results.csv")
    frame = read_csv(path)
    missing = [c for c in ("site_id", "site_name", "bucket", "readiness") if c not in frame]
    if missing:
        raise ValueError(f"it has no column {', '.join(missing)}")
    repeated = frame["site_id"][frame["site_id"].duplicated()].unique().tolist()
    if repeated:
        shown = ", ".join(map(repr, repeated[:5])) + (" and more" if len(repeated) > 5 else "")
        raise ValueError(f"it lists site_id {shown} more than once")
    return frame.set_index("site_id", drop=False)


def read_plan(path: Path) -> pd.DataFrame | None:
    """The plan.csv beside a previous run's results (``path`` a folder or its results.csv),
    as text; None when that run wrote none or it is not one sitefit wrote."""
    path = Path(path)
    found = (path if path.is_dir() else path.parent) / "plan.csv"
    if not found.is_file():
        return None
    frame = read_csv(found)
    if not {"site_id", "converted", "workload", "start_year"} <= set(frame.columns):
        return None
    return frame


def changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Sites added, removed, or whose outcome changed, with the input values that changed."""
    rows = []
    for site_id in after.index.difference(before.index, sort=False):
        new = after.loc[site_id]
        rows.append(_row(new, "added", None, new, "new in this portfolio", ""))
    for site_id in before.index.difference(after.index, sort=False):
        old = before.loc[site_id]
        rows.append(_row(old, "removed", old, None, "no longer in this portfolio", ""))
    for site_id in after.index.intersection(before.index, sort=False):
        old, new = before.loc[site_id], after.loc[site_id]
        outcome = [f"{_label(c)} {_shown(old[c])} → {_shown(new[c])}"
                   for c in OUTCOME_COLUMNS if c in old and c in new and old[c] != new[c]]
        if outcome:
            inputs = [f"{c} {_shown(old.get(c, ''))} → {_shown(new.get(c, ''))}"
                      for c in INPUT_COLUMNS if old.get(c, "") != new.get(c, "")]
            rows.append(_row(new, "changed", old, new, "; ".join(outcome), "; ".join(inputs)))
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def _row(site, change, old, new, what, inputs) -> dict:
    return {"site_id": site["site_id"], "site_name": site["site_name"], "change": change,
            "bucket_before": old["bucket"] if old is not None else "",
            "bucket_after": new["bucket"] if new is not None else "",
            "readiness_before": old["readiness"] if old is not None else "",
            "readiness_after": new["readiness"] if new is not None else "",
            "what_changed": what, "inputs_changed": inputs}


def _label(column: str) -> str:
    return column.replace("_", " ", 1) if column in GATE_COLUMNS else column.replace("_", " ")


def _shown(value: str) -> str:
    """A results.csv cell as people read it: 2 not 2.0, yes/no, blank."""
    if value == "":
        return "blank"
    if value in ("True", "False"):
        return "yes" if value == "True" else "no"
    return value[:-2] if value.endswith(".0") and value[:-2].lstrip("-").isdigit() else value


class Tracker:
    """Changes against a previous run, chunk by chunk."""

    def __init__(self, before: pd.DataFrame | None):
        self.before = before
        self._seen: set[str] = set()
        self.changes: list[dict] = []

    def add(self, frame: pd.DataFrame) -> dict[str, dict]:
        """Take one chunk's results; return its changes since the previous run, by site_id."""
        if self.before is None:
            return {}
        text = as_text(frame)
        self._seen.update(text.index)
        found = changes(self.before.loc[self.before.index.intersection(text.index)],
                        text).to_dict("records")
        self.changes.extend(found)
        return {c["site_id"]: c for c in found}

    def finish_changes(self) -> pd.DataFrame | None:
        """Every change since the previous run, sites removed included; None without one."""
        if self.before is None:
            return None
        gone = self.before.loc[self.before.index.difference(list(self._seen), sort=False)]
        self.changes.extend(changes(gone, gone.iloc[0:0]).to_dict("records"))
        return pd.DataFrame(self.changes, columns=CHANGE_COLUMNS)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A results frame as it reads back from results.csv, so it compares with a previous
    run's file."""
    buffer = io.StringIO()
    write_csv(frame, buffer)
    buffer.seek(0)
    return read_csv(buffer).set_index("site_id", drop=False)
