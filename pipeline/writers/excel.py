"""The analysts' scorecard workbook: summary, scorecard, gate detail, rejected rows, rules."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

FILLS = {
    "pass": "C6EFCE", "fit": "C6EFCE", "ready": "C6EFCE",
    "conditional": "FFEB9C", "not yet": "FFEB9C",
    "unknown": "D9E1F2",
    "fail": "FFC7CE", "unfit": "FFC7CE",
    "Training": "DDEBF7", "Inference": "E2EFDA", "Hybrid": "FCE4D6", "Neither": "EDEDED",
}
NUMBER_FORMATS = {"_mw": "#,##0.0", "_usd_per_kwh": "0.000", "_score": "0", "_miles": "#,##0",
                  "_ms": "0.0", "_kw": "#,##0.0", "_gbps": "#,##0", "_months": "0",
                  "_per_year": "#,##0", "capacity_mw": "#,##0.0"}
WIDE = {"reason": 80, "action": 60, "next_actions": 80, "data_gaps": 50, "inputs": 60,
        "thresholds": 60, "problem": 60, "notes": 40, "disqualifiers": 40, "mullet_note": 40,
        "site_name": 28, "value": 24}
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
HEADER_FONT = Font(bold=True, color="FFFFFF")
WRAP = Alignment(wrap_text=True, vertical="top")


def write_scorecard(path: Path, *, summary: list[tuple[str, Any]], buckets: pd.DataFrame,
                    disqualifiers: list[tuple[str, int]], scorecard: pd.DataFrame,
                    gate_detail: pd.DataFrame, rejected: pd.DataFrame,
                    rules: dict[str, Any]) -> None:
    """Write the scorecard workbook; every text cell is stored as text, never as a formula."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Summary")
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 70
    for label, value in summary:
        sheet.append([_cell(sheet, label, font=BOLD), _cell(sheet, value)])
    sheet.append([])
    sheet.append([_cell(sheet, h, font=BOLD) for h in ("Bucket", "Sites", "Ready", "MW")])
    for row in buckets.itertuples(index=False):
        sheet.append([_cell(sheet, row.bucket, fill=FILLS.get(row.bucket)),
                      _cell(sheet, row.sites), _cell(sheet, row.ready),
                      _cell(sheet, row.capacity_mw, number_format="#,##0.0")])
    sheet.append([])
    sheet.append([_cell(sheet, "Disqualifier", font=BOLD), _cell(sheet, "Sites", font=BOLD)])
    for title, count in disqualifiers:
        sheet.append([_cell(sheet, title), _cell(sheet, count)])

    _table(book, "Scorecard", scorecard, freeze="C2")
    _table(book, "Gate detail", gate_detail, freeze="C2", wrap=("reason", "action"))
    _table(book, "Rejected", rejected, freeze="A2", wrap=("problem",))
    _table(book, "Rules", pd.DataFrame({"rule": list(rules), "value": [
        ", ".join(map(str, v)) if isinstance(v, list) else
        "; ".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else v
        for v in rules.values()]}), freeze="A2")
    book.save(path)


def _table(book: Workbook, title: str, frame: pd.DataFrame, *, freeze: str,
           wrap: Iterable[str] = ()) -> None:
    sheet = book.create_sheet(title)
    sheet.freeze_panes = freeze
    columns = [str(c) for c in frame.columns]
    formats = [_number_format(c) for c in columns]
    for index, name in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDE.get(
            name, max(12, min(len(name) + 2, 30)))
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(frame), 1) + 1}"
    sheet.append([_cell(sheet, c, font=HEADER_FONT, fill_pattern=HEADER_FILL) for c in columns])
    wrapped = {columns.index(c) for c in wrap if c in columns}
    for record in frame.itertuples(index=False, name=None):
        sheet.append([
            _cell(sheet, value, fill=FILLS.get(value) if isinstance(value, str) else None,
                  number_format=formats[i], alignment=WRAP if i in wrapped else None)
            for i, value in enumerate(record)])


def _number_format(column: str) -> str | None:
    return next((f for suffix, f in NUMBER_FORMATS.items() if column.endswith(suffix)), None)


def _cell(sheet, value: Any, *, font: Font | None = None, fill: str | None = None,
          fill_pattern: PatternFill | None = None, number_format: str | None = None,
          alignment: Alignment | None = None) -> WriteOnlyCell:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        value = None
    elif hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    elif not isinstance(value, (str, int, float, bool)):
        value = str(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    if font:
        cell.font = font
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    elif fill_pattern:
        cell.fill = fill_pattern
    if number_format and isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.number_format = number_format
    if alignment:
        cell.alignment = alignment
    return cell
