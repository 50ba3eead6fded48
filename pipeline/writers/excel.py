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
NUMBER_FORMATS = {"_musd": '"$"#,##0.0"M"', "_musd_per_year": '"$"#,##0.0"M"',
                  "_years": "0.0", "_mw": "#,##0.0", "_usd_per_kwh": "0.000", "_score": "0", "_miles": "#,##0",
                  "_ms": "0.0", "_kw": "#,##0.0", "_gbps": "#,##0", "_months": "0",
                  "_per_year": "#,##0"}
WIDE = {"econ_basis": 80, "assumption": 40, "reason": 80, "action": 60, "to_pass": 50, "what_would_flip_it": 60,
        "what_changed": 60, "inputs_changed": 60, "next_actions": 80, "data_gaps": 50, "inputs": 60,
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


class ScorecardWriter:
    """The workbook, written as results arrive: sites and gate detail in chunks, the rest at
    the end: Summary, Scorecard, Gate detail (continued on "Gate detail 2"... past Excel's
    row limit), Rejected, Rules."""

    def __init__(self, path: Path, scorecard_columns: list[str], detail_columns: list[str]):
        self._book = xlsxwriter.Workbook(str(path), OPTIONS)
        self._styles = _Styles(self._book)
        self._summary = self._book.add_worksheet("Summary")
        self._scorecard = _Table(self._book, self._styles, "Scorecard", scorecard_columns, (1, 2))
        self._detail = _Table(self._book, self._styles, "Gate detail", detail_columns, (1, 2),
                              wrap=("reason", "action"))

    def add_sites(self, frame: pd.DataFrame) -> None:
        self._scorecard.append(frame)

    def add_gate_detail(self, frame: pd.DataFrame) -> None:
        self._detail.append(frame)

    def close(self, *, summary: list[tuple[str, Any]], buckets: pd.DataFrame,
              disqualifiers: list[tuple[str, int]], rejected: pd.DataFrame,
              rules: dict[str, Any], more: list[tuple[str, pd.DataFrame]] = ()) -> None:
        """Finish the workbook. ``rules`` maps each dotted rule key to its cell value;
        ``more`` are further (title, table) sheets, placed after Gate detail."""
        self._write_summary(summary, buckets, disqualifiers)
        self._scorecard.close()
        self._detail.close()
        for title, frame in more:
            table = _Table(self._book, self._styles, title, list(frame.columns), (1, 2),
                           wrap=[c for c in frame.columns if c in WIDE])
            table.append(frame)
            table.close()
        table = _Table(self._book, self._styles, "Rejected", list(rejected.columns), (1, 0),
                       wrap=("problem",))
        table.append(rejected)
        table.close()
        table = _Table(self._book, self._styles, "Rules", ["rule", "value"], (1, 0))
        table.append(pd.DataFrame({"rule": list(rules), "value": list(rules.values())}))
        table.close()
        self._book.close()

    def _write_summary(self, summary: list[tuple[str, Any]], buckets: pd.DataFrame,
                       disqualifiers: list[tuple[str, int]]) -> None:
        sheet, styles = self._summary, self._styles
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


class _Table:
    """A sheet with a styled header, filled in chunks, continued on "title 2", "title 3"...
    past Excel's row limit."""

    def __init__(self, book: xlsxwriter.Workbook, styles: _Styles, title: str,
                 columns: list[str], freeze: tuple[int, int], wrap: Iterable[str] = ()):
        self._book, self._styles, self._title = book, styles, title
        self._columns, self._freeze, self._wrap = [str(c) for c in columns], freeze, set(wrap)
        self._numbers = [styles.get(number=_number_format(c)) for c in self._columns]
        self._text = [styles.get(wrap=c in self._wrap) for c in self._columns]
        self._parts: list[tuple[Any, int]] = []  # (sheet, rows written)
        self._open(book.add_worksheet(title))

    def _open(self, sheet) -> None:
        for index, name in enumerate(self._columns):
            sheet.set_column(index, index, WIDE.get(name, max(12, min(len(name) + 2, 30))))
            _write(sheet, 0, index, name, self._styles.header)
        sheet.freeze_panes(*self._freeze)
        self._parts.append((sheet, 0))

    def append(self, frame: pd.DataFrame) -> None:
        sheet, written = self._parts[-1]
        for record in frame.itertuples(index=False, name=None):
            if written == EXCEL_MAX_ROWS - 1:
                self._parts[-1] = (sheet, written)
                self._open(self._book.add_worksheet(f"{self._title} {len(self._parts) + 1}"))
                sheet, written = self._parts[-1]
            written += 1
            for col, value in enumerate(record):
                if isinstance(value, str):
                    fill = FILLS.get(value)
                    style = (self._styles.get(fill, wrap=self._columns[col] in self._wrap)
                             if fill else self._text[col])
                    _write(sheet, written, col, value, style)
                else:
                    _write(sheet, written, col, value, self._numbers[col])
        self._parts[-1] = (sheet, written)

    def close(self) -> None:
        for sheet, written in self._parts:
            if self._columns:
                sheet.autofilter(0, 0, max(written, 1), len(self._columns) - 1)


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
