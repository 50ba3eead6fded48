"""The streaming xlsx writer: what goes in comes back out, in openpyxl and in calamine."""

from __future__ import annotations

import math
import zipfile
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from pipeline.writers import xlsx
from pipeline.writers.excel import ScorecardWriter

AWKWARD_TEXT = ["plain", "a & b < c > d", "=SUM(A1:A2)", "tab\there", "line\nbreak",
                "carriage\rreturn", "nul\x00byte", "bell\x07", "_x0041_ looks escaped",
                "  padded  ", "ünïcödé ≥ 100 MW", "'quoted\"", "\ufffe"]


def read_text(path) -> list:
    """The first column as Excel would show it, blanks as None."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    return [row[0] if row[0] != "" else None for row in rows]


def write(path, columns, styles=None, **sheet):
    book = xlsx.Workbook(path)
    table = book.add_sheet("Data", **sheet)
    table.write_columns(columns, styles or [xlsx.ColumnStyle()] * len(columns))
    book.close()


def test_values_come_back_as_written(tmp_path):
    path = tmp_path / "book.xlsx"
    text = AWKWARD_TEXT
    numbers = [1.5, -0.0001, 1e20, math.nan, math.inf, 3.0, 0.1 + 0.2, -math.inf, 7.25, 2e-9,
               12.0, 0.0, 5.5]
    mixed = [1, True, False, None, pd.NA, np.int64(4), np.float64(2.5), np.bool_(True), "",
             "x", 2**40, np.nan, pd.Timestamp("2026-01-02")]
    write(path, [text, numbers, mixed])
    # calamine decodes Excel's _xHHHH_ escapes as Excel does; openpyxl leaves them as they are
    assert read_text(path) == [*text[:-1], "_xFFFE_"]
    rows = list(load_workbook(path)["Data"].values)
    assert [r[1] for r in rows] == [1.5, -0.0001, 1e20, None, None, 3, 0.1 + 0.2, None, 7.25,
                                    2e-9, 12, 0, 5.5]
    assert [r[2] for r in rows] == [1, True, False, None, None, 4, 2.5, True, None, "x", 2**40,
                                    None, "2026-01-02 00:00:00"]


def test_every_part_is_well_formed_xml(tmp_path):
    path = tmp_path / "book.xlsx"
    write(path, [AWKWARD_TEXT], widths=[30], freeze=(1, 1))
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            ElementTree.fromstring(package.read(name))  # raises on bad XML


def test_text_past_excels_limit_is_cut_to_it(tmp_path):
    path = tmp_path / "book.xlsx"
    write(path, [["x" * 40_000, "short"]])
    assert [len(r[0]) for r in load_workbook(path)["Data"].values] == [32_767, 5]


def test_layout_and_styles(tmp_path):
    path = tmp_path / "book.xlsx"
    book = xlsx.Workbook(path)
    header = book.style(xlsx.Style(bold=True, color="#FFFFFF", fill="#1F3864"))
    money = book.style(xlsx.Style(number='"$"#,##0.0"M"'))
    status = xlsx.ColumnStyle(book.style(xlsx.Style(wrap=True)),
                              {"pass": book.style(xlsx.Style(fill="#C6EFCE", wrap=True))})
    sheet = book.add_sheet("Cards", widths=[20, 12], freeze=(1, 2))
    sheet.write_row(["status", "capex_musd"], [header, header])
    sheet.write_columns([["pass", "fail"], [12.5, 3.0]], [status, xlsx.ColumnStyle(money)])
    sheet.autofilter(2)
    book.add_sheet("Second").write_row(["only"])
    book.close()
    cards = load_workbook(path)["Cards"]
    assert cards.freeze_panes == "C2" and cards.auto_filter.ref == "A1:B3"
    assert cards["A1"].font.b and cards["A1"].fill.fgColor.rgb == "FF1F3864"
    assert cards["A2"].fill.fgColor.rgb == "FFC6EFCE" and cards["A2"].alignment.wrap_text
    assert cards["A3"].fill.fill_type is None and cards["A3"].alignment.wrap_text
    assert cards["B2"].number_format == '"$"#,##0.0"M"'
    assert round(cards.column_dimensions["A"].width) == 21
    assert load_workbook(path).sheetnames == ["Cards", "Second"]


def test_a_sheet_refuses_rows_past_excels_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)
    book = xlsx.Workbook(tmp_path / "book.xlsx")
    sheet = book.add_sheet("Data")
    sheet.write_columns([[1, 2, 3]], [xlsx.ColumnStyle()])
    with pytest.raises(ValueError, match="would pass Excel's 3 rows"):
        sheet.write_row([4])
    book.discard()
    assert list(tmp_path.iterdir()) == []  # nothing half-written is left behind


def test_nothing_appears_until_closed_and_the_spool_is_removed(tmp_path):
    path = tmp_path / "book.xlsx"
    book = xlsx.Workbook(path)
    book.add_sheet("Data").write_row(["a"])
    assert not path.exists()
    book.close()
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=8))
def test_any_text_round_trips(tmp_path_factory, texts):
    path = tmp_path_factory.mktemp("x") / "book.xlsx"
    write(path, [["header", *texts, "footer"]])
    # Blanks stay empty; lone surrogates cannot be stored in UTF-8 and become "?"; Excel
    # writes the non-characters U+FFFE and U+FFFF as escapes, and so do we.
    expected = [t.encode("utf-8", "replace").decode("utf-8").replace("\ufffe", "_xFFFE_")
                .replace("\uffff", "_xFFFF_") or None for t in texts]
    assert read_text(path) == ["header", *expected, "footer"]


def test_the_scorecard_writer_continues_a_long_table_on_a_new_sheet(tmp_path, monkeypatch):
    monkeypatch.setattr("pipeline.writers.excel.EXCEL_MAX_ROWS", 4)  # 3 rows a sheet
    writer = ScorecardWriter(tmp_path / "s.xlsx", ["site_id"], ["site_id", "gate"])
    for start in (0, 2, 4):
        writer.add_gate_detail(pd.DataFrame({"site_id": [f"S{start}", f"S{start + 1}"],
                                             "gate": ["power", "cooling"]}))
    writer.close(summary=[("Sites", 0)], buckets=pd.DataFrame(
        {"bucket": ["Total"], "sites": [0], "ready": [0], "capacity_mw": [0.0]}),
        disqualifiers=[], rejected=pd.DataFrame({"problem": []}), rules={"a.b": 1})
    book = load_workbook(tmp_path / "s.xlsx")
    assert book.sheetnames == ["Summary", "Scorecard", "Gate detail", "Gate detail 2",
                               "Rejected", "Rules"]
    ids = [r[0] for name in ("Gate detail", "Gate detail 2") for r in book[name].values]
    assert ids == ["site_id", "S0", "S1", "S2", "site_id", "S3", "S4", "S5"]
    assert book["Gate detail 2"].auto_filter.ref == "A1:B4"
