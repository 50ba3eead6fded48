"""The analysts' scorecard workbook: summary, scorecard, gate detail, rejected rows, rules.

Written with :mod:`pipeline.writers.xlsx`, a chunk of rows at a time: memory stays flat
however large the portfolio, and text is always stored as text, never as a formula.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from pipeline import labels
from pipeline.writers import xlsx
from pipeline.writers.xlsx import ColumnStyle, Style

FILLS = {value: colour.fill for value, colour in labels.PALETTE.items()}
NUMBER_FORMATS = {"_musd": '"$"#,##0.0"M"', "_musd_per_year": '"$"#,##0.0"M"',
                  "_years": "0.0", "_mw": "#,##0.0", "_usd_per_kwh": "0.000", "_score": "0",
                  "_miles": "#,##0", "_ms": "0.0", "_kw": "#,##0.0", "_gbps": "#,##0",
                  "_months": "0", "_per_year": "#,##0"}
WIDE = {"econ_basis": 80, "assumption": 40, "reason": 80, "action": 60, "to_pass": 50,
        "what_would_flip_it": 60, "what_changed": 60, "inputs_changed": 60, "next_actions": 80,
        "data_gaps": 50, "inputs": 60, "thresholds": 60, "problem": 60, "notes": 40,
        "disqualifiers": 40, "mullet_note": 40, "site_name": 28, "value": 24}
EXCEL_MAX_ROWS = xlsx.MAX_ROWS
HEADER = Style(bold=True, color=labels.HEADER.ink, fill=labels.HEADER.fill)
BOLD = Style(bold=True)


class ScorecardWriter:
    """The workbook, written as results arrive: sites and gate detail in chunks, the rest at
    the end: Summary, Scorecard, Gate detail (continued on "Gate detail 2"... past Excel's
    row limit), Rejected, Rules."""

    def __init__(self, path: Path, scorecard_columns: list[str], detail_columns: list[str]):
        self._book = xlsx.Workbook(path)
        self._summary = self._book.add_sheet("Summary", widths=(34, 70))
        self._scorecard = _Table(self._book, "Scorecard", scorecard_columns, (1, 2))
        self._detail = _Table(self._book, "Gate detail", detail_columns, (1, 2),
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
        try:
            self._write_summary(summary, buckets, disqualifiers)
            self._scorecard.close()
            self._detail.close()
            for title, frame in more:
                _Table(self._book, title, list(frame.columns), (1, 2),
                       wrap=[c for c in frame.columns if c in WIDE]).append(frame).close()
            _Table(self._book, "Rejected", list(rejected.columns), (1, 0),
                   wrap=("problem",)).append(rejected).close()
            _Table(self._book, "Rules", ["rule", "value"], (1, 0)).append(
                pd.DataFrame({"rule": list(rules), "value": list(rules.values())})).close()
            self._book.close()
        finally:
            self._book.discard()

    def _write_summary(self, summary: list[tuple[str, Any]], buckets: pd.DataFrame,
                       disqualifiers: list[tuple[str, int]]) -> None:
        sheet, book = self._summary, self._book
        bold, number = book.style(BOLD), book.style(Style(number="#,##0.0"))
        for label, value in summary:
            sheet.write_row([label, value], [bold])
        sheet.write_row([])
        sheet.write_row(["Bucket", "Sites", "Ready", "MW"], [bold] * 4)
        for row in buckets.itertuples(index=False):
            fill = FILLS.get(row.bucket)
            sheet.write_row([row.bucket, row.sites, row.ready, row.capacity_mw],
                            [book.style(Style(fill=fill)) if fill else 0, 0, 0, number])
        sheet.write_row([])
        sheet.write_row(["Disqualifier", "Sites"], [bold, bold])
        for title, count in disqualifiers:
            sheet.write_row([title, count])


class _Table:
    """A sheet with a styled header, filled in chunks, continued on "title 2", "title 3"...
    past Excel's row limit."""

    def __init__(self, book: xlsx.Workbook, title: str, columns: list[str],
                 freeze: tuple[int, int], wrap: Iterable[str] = ()):
        self._book, self._title, self._freeze = book, title, freeze
        self._columns = [str(c) for c in columns]
        wrap = set(wrap)
        self._styles = [_column_style(book, name, name in wrap) for name in self._columns]
        self._header = book.style(HEADER)
        self._sheets: list[xlsx.Sheet] = []
        self._open()

    def _open(self) -> None:
        title = self._title if not self._sheets else f"{self._title} {len(self._sheets) + 1}"
        widths = [WIDE.get(name, max(12, min(len(name) + 2, 30))) for name in self._columns]
        sheet = self._book.add_sheet(title, widths, self._freeze)
        sheet.write_row(self._columns, [self._header] * len(self._columns))
        self._sheets.append(sheet)

    def append(self, frame: pd.DataFrame) -> "_Table":
        columns = [frame[name].tolist() for name in frame.columns]
        start = 0
        while start < len(frame):
            room = EXCEL_MAX_ROWS - self._sheets[-1].rows
            if room == 0:
                self._open()
                continue
            self._sheets[-1].write_columns([values[start:start + room] for values in columns],
                                           self._styles)
            start += room
        return self

    def close(self) -> None:
        if self._columns:
            for sheet in self._sheets:
                sheet.autofilter(len(self._columns))


def _column_style(book: xlsx.Workbook, name: str, wrap: bool) -> ColumnStyle:
    """Number format by the column's unit suffix, wrapping for long text, and a fill for
    text cells that are a status, verdict or bucket."""
    number = next((f for suffix, f in NUMBER_FORMATS.items() if name.endswith(suffix)), None)
    return ColumnStyle(book.style(Style(number=number, wrap=wrap)),
                       {text: book.style(Style(fill=fill, wrap=wrap))
                        for text, fill in FILLS.items()})
