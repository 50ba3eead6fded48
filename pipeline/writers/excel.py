"""The analysts' scorecard workbook: summary, scorecard, gate detail, rejected rows, rules.

Written with XlsxWriter in constant-memory mode: rows stream to disk as they are written,
so memory stays flat however large the portfolio, and text is always written as text
(``strings_to_formulas`` off), never as a formula.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import xlsxwriter

FILLS = {
    "pass": "#C6EFCE", "fit": "#C6EFCE", "ready": "#C6EFCE",
    "conditional": "#FFEB9C", "not yet": "#FFEB9C",
    "unknown": "#D9E1F2",
    "fail": "#FFC7CE", "unfit": "#FFC7CE",
    "Training": "#DDEBF7", "Inference": "#E2EFDA", "Hybrid": "#FCE4D6", "Neither": "#EDEDED",
}
NUMBER_FORMATS = {"_mw": "#,##0.0", "_usd_per_kwh": "0.000", "_score": "0", "_miles": "#,##0",
                  "_ms": "0.0", "_kw": "#,##0.0", "_gbps": "#,##0", "_months": "0",
                  "_per_year": "#,##0"}
WIDE = {"reason": 80, "action": 60, "next_actions": 80, "data_gaps": 50, "inputs": 60,
        "thresholds": 60, "problem": 60, "notes": 40, "disqualifiers": 40, "mullet_note": 40,
        "site_name": 28, "value": 24}
EXCEL_MAX_ROWS = 1_048_576
OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
           "strings_to_numbers": False, "nan_inf_to_errors": False}


class _Styles:
    """XlsxWriter formats, made once per workbook and shared by every cell that needs one."""

    def __init__(self, book: xlsxwriter.Workbook):
        self._book = book
        self._cache: dict[tuple, Any] = {}
        self.header = book.add_format({"bold": True, "font_color": "#FFFFFF",
                                       "bg_color": "#1F3864"})
        self.bold = book.add_format({"bold": True})

    def get(self, fill: str | None = None, number: str | None = None, wrap: bool = False):
        if not (fill or number or wrap):
            return None
        key = (fill, number, wrap)
        if key not in self._cache:
            spec: dict[str, Any] = {"valign": "top"} if wrap else {}
            if fill:
                spec["bg_color"] = fill
            if number:
                spec["num_format"] = number
            if wrap:
                spec["text_wrap"] = True
            self._cache[key] = self._book.add_format(spec)
        return self._cache[key]


def write_scorecard(path: Path, *, summary: list[tuple[str, Any]], buckets: pd.DataFrame,
                    disqualifiers: list[tuple[str, int]], scorecard: pd.DataFrame,
                    gate_detail: pd.DataFrame, rejected: pd.DataFrame,
                    rules: dict[str, Any]) -> None:
    """Write the scorecard workbook to ``path``."""
    book = xlsxwriter.Workbook(str(path), OPTIONS)
    styles = _Styles(book)
    sheet = book.add_worksheet("Summary")
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 70)
    line = 0
    for label, value in summary:
        _write(sheet, line, 0, label, styles.bold)
        _write(sheet, line, 1, value)
        line += 1
    line += 1
    for col, heading in enumerate(("Bucket", "Sites", "Ready", "MW")):
        _write(sheet, line, col, heading, styles.bold)
    for row in buckets.itertuples(index=False):
        line += 1
        _write(sheet, line, 0, row.bucket, styles.get(FILLS.get(row.bucket)))
        _write(sheet, line, 1, row.sites)
        _write(sheet, line, 2, row.ready)
        _write(sheet, line, 3, row.capacity_mw, styles.get(number="#,##0.0"))
    line += 2
    _write(sheet, line, 0, "Disqualifier", styles.bold)
    _write(sheet, line, 1, "Sites", styles.bold)
    for title, count in disqualifiers:
        line += 1
        _write(sheet, line, 0, title)
        _write(sheet, line, 1, count)

    _table(book, styles, "Scorecard", scorecard, freeze=(1, 2))
    _table(book, styles, "Gate detail", gate_detail, freeze=(1, 2), wrap=("reason", "action"))
    _table(book, styles, "Rejected", rejected, freeze=(1, 0), wrap=("problem",))
    _table(book, styles, "Rules", pd.DataFrame({"rule": list(rules), "value": [
        ", ".join(map(str, v)) if isinstance(v, list) else
        "; ".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else v
        for v in rules.values()]}), freeze=(1, 0))
    book.close()


def _table(book: xlsxwriter.Workbook, styles: _Styles, title: str, frame: pd.DataFrame, *,
           freeze: tuple[int, int], wrap: Iterable[str] = ()) -> None:
    """Write ``frame`` as a sheet, continued on "title 2", "title 3"... past Excel's row limit."""
    size = EXCEL_MAX_ROWS - 1
    for part, start in enumerate(range(0, max(len(frame), 1), size), start=1):
        _sheet(book, styles, title if part == 1 else f"{title} {part}",
               frame.iloc[start:start + size], freeze=freeze, wrap=wrap)


def _sheet(book: xlsxwriter.Workbook, styles: _Styles, title: str, frame: pd.DataFrame, *,
           freeze: tuple[int, int], wrap: Iterable[str]) -> None:
    sheet = book.add_worksheet(title)
    columns = [str(c) for c in frame.columns]
    wrapped = set(wrap)
    for index, name in enumerate(columns):
        sheet.set_column(index, index, WIDE.get(name, max(12, min(len(name) + 2, 30))))
        _write(sheet, 0, index, name, styles.header)
    sheet.freeze_panes(*freeze)
    if columns:
        sheet.autofilter(0, 0, max(len(frame), 1), len(columns) - 1)
    numbers = [styles.get(number=_number_format(c)) for c in columns]
    text = [styles.get(wrap=c in wrapped) for c in columns]
    for line, record in enumerate(frame.itertuples(index=False, name=None), start=1):
        for col, value in enumerate(record):
            if isinstance(value, str):
                fill = FILLS.get(value)
                style = styles.get(fill, wrap=columns[col] in wrapped) if fill else text[col]
                _write(sheet, line, col, value, style)
            else:
                _write(sheet, line, col, value, numbers[col])


def _number_format(column: str) -> str | None:
    return next((f for suffix, f in NUMBER_FORMATS.items() if column.endswith(suffix)), None)


def _write(sheet, row: int, col: int, value: Any, style=None) -> None:
    """One cell by its Python type; text is always stored as text, blanks stay blank."""
    if value is None or value is pd.NA:
        return
    if isinstance(value, str):
        sheet.write_string(row, col, value, style)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, style)
    elif isinstance(value, (int, float)) or hasattr(value, "item"):
        number = value.item() if hasattr(value, "item") else value
        if isinstance(number, bool):
            sheet.write_boolean(row, col, number, style)
        elif isinstance(number, float) and not math.isfinite(number):
            return
        else:
            sheet.write_number(row, col, number, style)
    else:
        sheet.write_string(row, col, str(value), style)
