"""The plan's changes since an earlier run: sites that entered or left it, or moved their
start or workload, and why."""

from __future__ import annotations

import pandas as pd

COLUMNS = ["site_id", "change", "before", "after", "why"]


def plan_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Compare two plan.csv tables (``before`` as read back: text cells)."""
    old = before.set_index("site_id")
    rows = []
    for row in after.itertuples(index=False):
        now_in = row.converted == "yes"
        now = _decision(row.workload, row.start_year) if now_in else "left to mining"
        if row.site_id not in old.index:
            if now_in:
                rows.append([row.site_id, "entered the plan", "not in the portfolio", now,
                             row.reason])
            continue
        was = old.loc[row.site_id]
        was_in = was["converted"] == "yes"
        then = _decision(was["workload"], was["start_year"]) if was_in else "left to mining"
        if now_in != was_in:
            rows.append([row.site_id, "entered the plan" if now_in else "left the plan",
                         then, now, row.reason])
        elif now_in and then != now:
            rows.append([row.site_id, "moved in the plan", then, now, row.reason])
    for site_id in old.index.difference(after["site_id"], sort=False):
        if old.loc[site_id, "converted"] == "yes":
            rows.append([site_id, "left the plan", _decision(old.loc[site_id, "workload"],
                         old.loc[site_id, "start_year"]), "not in the portfolio",
                         "no longer in this portfolio"])
    return pd.DataFrame(rows, columns=COLUMNS)


def _decision(workload, start_year) -> str:
    year = str(start_year).split(".")[0]
    return f"{workload} from {year}"
