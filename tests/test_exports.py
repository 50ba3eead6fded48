"""Files as spreadsheet programs write them: cells with line breaks, European CSVs (a
semicolon between fields, a decimal comma), Excel's ``sep=`` line, formula errors and the
1904 date system. Each is evaluated by the real command and read back."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import python_calamine

from conftest import SAMPLE, invoke, read_csv


def sample_rows(count: int | None = None) -> list[list]:
    """The sample's header and its first ``count`` sites, as the workbook holds them."""
    book = python_calamine.CalamineWorkbook.from_path(str(SAMPLE))
    rows = book.get_sheet_by_name("Sites").to_python()
    return rows[:count + 1] if count is not None else rows


def as_text(rows: list[list], delimiter: str = ",", end: str = "\r\n") -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator=end).writerows(rows)
    return buffer.getvalue()


def evaluate(path: Path, *options) -> tuple[int, str, Path]:
    out = path.parent / "out"
    result = invoke("evaluate", path, "--out", out, "--no-pdf", "--jobs", "1", *options)
    return result.exit_code, result.stderr, out


NOTES = 29  # the sample's Notes column
MULTI_LINE = ["line one\nline two", "first\r\nsecond, with a comma", "old Mac\rline; two"]


@pytest.mark.parametrize("name, delimiter", [("sites.csv", ","), ("sites.tsv", "\t")])
def test_cells_with_line_breaks_are_read_as_one_cell(tmp_path, name, delimiter):
    rows = sample_rows(5)
    for offset, text in enumerate(MULTI_LINE):
        rows[2 + offset][NOTES] = text
    path = tmp_path / name
    path.write_text(as_text(rows, delimiter), encoding="utf-8", newline="")
    code, stderr, out = evaluate(path)
    assert code == 0, stderr
    assert "5 sites evaluated" in stderr
    assert [r["notes"] for r in read_csv(out / "results.csv")][1:4] == MULTI_LINE
    book = python_calamine.CalamineWorkbook.from_path(str(out / "scorecard.xlsx"))
    header, *values = book.get_sheet_by_name("Scorecard").to_python()
    notes = header.index(next(h for h in header if h.lower() == "notes"))
    assert [v[notes] for v in values][1:4] == MULTI_LINE  # as Excel reads the cells


def test_a_quote_left_open_is_still_caught_naming_the_lines_it_swallowed(tmp_path):
    rows = sample_rows(5)
    text = as_text(rows).split("\r\n")
    text[2] = text[2].replace(",Ridgeline", ',"Ridgeline', 1)  # never closed on its line
    path = tmp_path / "sites.csv"
    path.write_text("\r\n".join(text), encoding="utf-8", newline="")
    code, stderr, out = evaluate(path)
    assert code == 1, stderr
    (problem,) = [p for p in read_csv(out / "rejected.csv") if "quote" in p["problem"]]
    assert (problem["row"], problem["column"]) == ("3", "operator")
    assert "a quote opens this cell on line 3 and is never closed there, so lines 4-6 ran " \
           "into it" in problem["problem"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows"]["all_accounted_for"]
