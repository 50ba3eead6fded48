"""The scorecard workbook read back as an analyst's Excel would see it (openpyxl, calamine)."""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from xlsxwriter.utility import xl_col_to_name
from python_calamine import CalamineWorkbook

from conftest import HEADER, ROW, read_csv, write_csv
from pipeline import labels
from pipeline.cli import cli
from pipeline.writers import excel
from pipeline.writers.excel import RunFacts, ScorecardWriter

FACTS = RunFacts("9.9", "in & out.xlsx", "default rules", "ab" * 32, "2026-11-23")
BUCKETS = pd.DataFrame({"bucket": ["Training", "Inference", "Hybrid", "Neither", "Total"],
                        "sites": [1, 0, 0, 1, 2], "ready": [1, 0, 0, 0, 1],
                        "capacity_mw": [30.0, 0.0, 0.0, 12.5, 42.5]})


def finish(writer: ScorecardWriter, **more) -> list[str]:
    return writer.close(summary=[("Sites evaluated", 2), ("Rules sha256", "ab" * 32)],
                        buckets=BUCKETS, disqualifiers=[("Remote", 1)],
                        rejected=pd.DataFrame({"row": [], "problem": []}),
                        rules={"power.training.pass_min_capacity_mw": 20, "a.b": "x, y"},
                        **more)


def small_book(path: Path, sites: pd.DataFrame, links: dict | None = None, **more):
    writer = ScorecardWriter(path, list(sites.columns), ["site_id", "gate", "status"], FACTS,
                             links)
    writer.add_sites(sites)
    writer.add_gate_detail(pd.DataFrame({"site_id": ["A", "B"], "gate": ["power", "cooling"],
                                         "status": ["pass", "fail"]}))
    return finish(writer, **more)


SITES = pd.DataFrame({"site_id": ["A", "B"], "site_name": ["=HYPERLINK(\"http://x\")", "Beta"],
                      "bucket": ["Training", "Neither"], "power_capacity_mw": [30.0, 12.5],
                      "econ_capex_musd": [0.03, 12.0]})


def test_headings_are_labels_and_the_columns_sheet_maps_them(sample_tables):
    book = load_workbook(sample_tables / "scorecard.xlsx")
    assert book.sheetnames == ["Summary", "Scorecard", "Gate detail", "Economics", "Cash flows",
                               "Assumptions", "Plan", "Plan options", "Plan limits", "Plan frontier",
                               "Rejected", "Rules", "Columns"]
    heading = [c.value for c in book["Scorecard"][1]]
    assert heading[:2] == ["Site ID", "Site name"]
    assert "Power capacity (MW)" in heading and not [h for h in heading if "_" in h]
    mapping = {r[1]: r[0] for r in book["Columns"].iter_rows(min_row=2, values_only=True)}
    assert mapping["Power capacity (MW)"] == "power_capacity_mw"
    assert mapping["Mining margin forgone (M USD/yr)"] == "econ_mining_margin_forgone_musd_per_year"


def test_every_sheet_is_a_table_that_prints_landscape_and_fit_to_width(sample_tables):
    book = load_workbook(sample_tables / "scorecard.xlsx")
    for sheet in book:
        assert sheet.tables, sheet.title
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.fitToWidth in (None, *range(1, 20))  # None: the default 1
        assert sheet.print_area and "sites.xlsx" in sheet.oddFooter.left.text
        if sheet.title != "Summary":
            assert sheet.print_title_rows == "$1:$1" and sheet.page_setup.fitToHeight == 0
            table = next(iter(sheet.tables.values()))
            assert table.ref.startswith("A1:") and table.tableStyleInfo.showRowStripes
            # every column printed: NPV, IRR and the last year are never cut off
            last_column = table.ref.split(":")[1].rstrip("0123456789")
            assert sheet.print_area.split(":")[-1].startswith(f"${last_column}$"), sheet.title
    # a site's rank, id and name stay on screen and on every printed page
    for title, frozen, repeated in (("Scorecard", "C2", "$A:$B"), ("Gate detail", "C2", "$A:$B"),
                                    ("Economics", "D2", "$A:$C"), ("Cash flows", "D2", "$A:$C"),
                                    ("Plan", "C2", None)):
        assert book[title].freeze_panes == frozen, title
        if repeated:
            assert book[title].print_title_cols == repeated, title
            assert book[title].page_setup.fitToWidth > 1, title
    card = book["Scorecard"]
    table = card.tables["Scorecard"]
    assert table.totalsRowCount == 1 and card.freeze_panes == "C2"
    totals = dict(zip([c.value for c in card[1]], [c.value for c in card[card.max_row]]))
    assert totals["Site ID"] == "Total"
    column = xl_col_to_name([c.value for c in card[1]].index("Power capacity (MW)"))
    # a plain range: LibreOffice cannot read a structured reference without its table name
    assert totals["Power capacity (MW)"] == f"=SUBTOTAL(109,{column}2:{column}41)"
    assert totals["Bucket"] is None  # no total where none means anything
    assert card.max_row == 1 + 40 + 1
    assert book["Gate detail"].tables["GateDetail"].totalsRowCount in (None, 0)


@pytest.mark.slow  # reads the sample's 41 PDFs: rendering them is the sample_run fixture
def test_each_site_links_to_its_pdf_by_a_relative_path(sample_run):
    card = load_workbook(sample_run / "scorecard.xlsx")["Scorecard"]
    for row in card.iter_rows(min_row=2, max_row=33, max_col=3):
        target = row[2].hyperlink.target.replace("\\", "/")
        assert target == f"reports/{row[2].value}" and not Path(target).is_absolute()
        assert (sample_run / target).is_file()


def test_statuses_and_buckets_are_coloured_by_rules_not_fills(sample_tables):
    book = load_workbook(sample_tables / "scorecard.xlsx")
    card = book["Scorecard"]
    heading = [c.value for c in card[1]]
    rules = {str(r.sqref): r for r in card.conditional_formatting}
    bucket = heading.index("Bucket")
    letter = card.cell(row=1, column=bucket + 1).column_letter
    ranges = [sqref for sqref in rules if sqref.startswith(letter + "2")]
    assert ranges
    formulas = {f for cf in card.conditional_formatting if str(cf.sqref) == ranges[0]
                for rule in cf.rules for f in rule.formula}
    assert formulas <= {f'"{b}"' for b in labels.BUCKETS} and len(formulas) >= 2
    fill = next(rule.dxf.fill.bgColor.rgb for cf in card.conditional_formatting
                if str(cf.sqref) == ranges[0] for rule in cf.rules if rule.formula == ['"Hybrid"'])
    assert fill.endswith(labels.PALETTE["Hybrid"].fill.lstrip("#"))
    assert card.cell(row=2, column=bucket + 1).fill.fill_type is None  # no static fill
    assert book["Gate detail"].conditional_formatting


def test_summary_has_the_chart_the_run_and_properties(sample_tables):
    book = load_workbook(sample_tables / "scorecard.xlsx")
    summary = book["Summary"]
    assert len(summary._charts) == 2
    values = {r[0]: r[1] for r in summary.iter_rows(values_only=True) if r[0]}
    assert values["Sites evaluated"] == 40
    assert summary.tables["Buckets"].totalsRowCount == 1
    assert book.properties.title == "sitefit scorecard: sites.xlsx"
    assert "sha256" in book.properties.description
    with zipfile.ZipFile(sample_tables / "scorecard.xlsx") as package:
        sheet = package.read("xl/worksheets/sheet2.xml").decode()
        assert "xl/sharedStrings.xml" in package.namelist()
    assert 't="s"' in sheet and "inlineStr" not in sheet


def test_widths_fit_names_and_money_never_shows_as_zero(tmp_path):
    path = tmp_path / "s.xlsx"
    small_book(path, SITES.assign(site_name=["Ridgeline Digital Holdings", "Beta"]))
    book = load_workbook(path)
    card = book["Scorecard"]
    assert card.column_dimensions["B"].width >= len("Ridgeline Digital Holdings")
    rules = book["Rules"]
    assert rules.column_dimensions["A"].width >= len("power.training.pass_min_capacity_mw")
    capex = card.cell(row=2, column=5)
    assert capex.value == 0.03 and capex.number_format == "#,##0.00##"


def test_text_is_never_a_formula_and_the_run_is_in_the_footer(tmp_path):
    path = tmp_path / "s.xlsx"
    small_book(path, SITES)
    card = load_workbook(path)["Scorecard"]
    assert card["B2"].value == "=HYPERLINK(\"http://x\")" and card["B2"].data_type == "s"
    # "&" is a footer code: a file name's own "&" is doubled so that it prints as itself
    assert card.oddFooter.left.text.startswith("sitefit 9.9 · in && out.xlsx")


def test_values_come_back_as_written(tmp_path):
    path = tmp_path / "s.xlsx"
    text = ["plain", "a & b < c", "tab\there", "line\nbreak", "nul\x00byte", "_x0041_ kept",
            "ünïcödé ≥ 100 MW", "", None]
    numbers = [1.5, -0.0001, 1e20, math.nan, math.inf, 0.1 + 0.2, 2e-9, 12.0, 0.0]
    mixed = [1, True, None, pd.NA, np.int64(4), np.float64(2.5), np.bool_(True), "x",
             pd.Timestamp("2026-01-02")]
    sites = pd.DataFrame({"site_id": [f"S{i}" for i in range(9)], "site_name": text,
                          "n": numbers, "mixed": mixed})
    small_book(path, sites)
    rows = list(load_workbook(path)["Scorecard"].values)[1:]
    assert [r[1] for r in rows] == [t or None for t in text[:4]] + [
        "nul_x0000_byte", "_x0041_ kept", "ünïcödé ≥ 100 MW", None, None]
    # numbers keep the 15 significant digits Excel shows; NaN and infinities stay blank
    assert [r[2] for r in rows] == [1.5, -0.0001, 1e20, None, None, 0.3, 2e-9, 12, 0]
    assert [r[3] for r in rows] == [1, True, None, None, 4, 2.5, True, "x",
                                    "2026-01-02 00:00:00"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=40).filter(lambda t: t.strip() == t and t), min_size=1,
                max_size=6))
def test_any_text_round_trips(tmp_path_factory, texts):
    path = tmp_path_factory.mktemp("x") / "s.xlsx"
    sites = pd.DataFrame({"site_id": [f"S{i}" for i in range(len(texts))], "site_name": texts})
    small_book(path, sites)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Scorecard").to_python()
    expected = [t.encode("utf-8", "replace").decode("utf-8") for t in texts]
    assert [r[1] for r in rows[1:1 + len(texts)]] == expected


def test_text_past_excels_limit_is_cut_and_said(tmp_path):
    path = tmp_path / "s.xlsx"
    left_out = small_book(path, SITES.assign(site_name=["x" * 40_000, "short"]))
    card = load_workbook(path)["Scorecard"]
    assert len(card["B2"].value) == 32_767 and card["B3"].value == "short"
    assert left_out == ["the text past 32,767 characters of 1 cells"]
    summary = [r for r in load_workbook(path)["Summary"].values if r[0]]
    assert any("32,767 characters" in str(r[1]) for r in summary)


def test_a_long_table_continues_on_a_new_sheet(tmp_path, monkeypatch):
    monkeypatch.setattr(excel, "MAX_ROWS", 5)  # 3 rows a sheet
    writer = ScorecardWriter(tmp_path / "s.xlsx", ["site_id"], ["site_id", "gate"], FACTS)
    for start in (0, 2, 4):
        writer.add_gate_detail(pd.DataFrame({"site_id": [f"S{start}", f"S{start + 1}"],
                                             "gate": ["power", "cooling"]}))
    finish(writer)
    book = load_workbook(tmp_path / "s.xlsx")
    assert book.sheetnames[:5] == ["Summary", "Scorecard", "Gate detail", "Gate detail 2",
                                   "Rejected"]
    ids = [r[0] for name in ("Gate detail", "Gate detail 2") for r in book[name].values]
    assert ids == ["Site ID", "S0", "S1", "S2", "Site ID", "S3", "S4", "S5"]
    assert book["Gate detail 2"].tables["GateDetail2"].ref == "A1:B4"


def test_further_sheets_are_tables_with_totals_only_where_a_sum_means_something(tmp_path):
    path = tmp_path / "s.xlsx"
    sites = pd.DataFrame({"site_id": ["A", "B"], "capex_musd": [4.5, 0.02],
                          "econ_capex_per_it_mw_musd": [9.0, 10.0], "npv_p10_musd": [1.0, 2.0]})
    budgets = pd.DataFrame({"capex_limit_musd": [100.0, 200.0], "npv_musd": [5.0, 9.0]})
    small_book(path, SITES, more=[("Plan", sites), ("Plan frontier", budgets)])
    book = load_workbook(path)
    plan = book["Plan"]
    assert [c.value for c in plan[1]] == ["Site ID", "Capex as planned (M USD)",
                                          "Capex per MW of IT (M USD)", "NPV P10 (M USD)"]
    assert plan.tables["Plan"].totalsRowCount == 1
    assert [c.value for c in plan[4]] == ["Total", "=SUBTOTAL(109,B2:B3)", None, None]
    assert not book["Plan frontier"].tables["PlanFrontier"].totalsRowCount  # alternatives


@pytest.mark.slow  # about 14 s: a workbook of 16,400 columns
def test_more_columns_than_excel_has_stay_in_results_csv_and_are_named(tmp_path):
    extras = [f"extra {i}" for i in range(excel.MAX_COLUMNS)]
    source = write_csv(tmp_path / "wide.csv", [HEADER + extras, ROW + list(range(len(extras)))])
    result = CliRunner().invoke(cli, ["evaluate", str(source), "--out", str(tmp_path / "o"),
                                      "--no-pdf"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "leaves out" in result.stderr and "extra 16383" in result.stderr
    header = (tmp_path / "o" / "results.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith("extra 16383")
    with zipfile.ZipFile(tmp_path / "o" / "scorecard.xlsx") as package:
        assert "XFE" not in package.read("xl/worksheets/sheet2.xml").decode()
    summary = load_workbook(tmp_path / "o" / "scorecard.xlsx", read_only=True)["Summary"]
    said = " ".join(str(r[1]) for r in summary.values if r[0] == "Left out of this workbook")
    assert "columns past Excel's 16,384" in said


def test_every_column_of_the_workbook_is_explained_on_the_columns_sheet(sample_tables):
    book = load_workbook(sample_tables / "scorecard.xlsx", read_only=True)
    rows = list(book["Columns"].values)
    header = rows[0]
    assert header[:4] == ("Column", "Heading", "Unit", "Meaning")
    unexplained = [row[0] for row in rows[1:] if not row[3]]
    assert unexplained == []
    # a percentile says it is the site's own, not the portfolio's
    meanings = {row[0]: row[3] for row in rows[1:]}
    assert "not the portfolio's P10" in meanings["econ_npv_p10_musd"]


def test_no_cell_a_person_reads_holds_a_field_name_or_a_code(sample_tables):
    """Words for people: every text cell of the workbook, but the columns that name the
    rules and the columns themselves (the Rules, Assumptions and Columns sheets' keys), is
    free of input and output field names and of choice codes; a country has one form."""
    from pipeline import contract
    from pipeline.labels import NAMED
    machine = ({c.name for c in contract.COLUMNS if "_" in c.name}
               | {name for name in NAMED if "_" in name}
               | {choice for c in contract.COLUMNS for choice in c.choices if "_" in choice})
    keys = {"Rules": 0, "Assumptions": 0, "Columns": 0}
    book = load_workbook(sample_tables / "scorecard.xlsx", read_only=True)
    found = []
    for sheet in book:
        for r, row in enumerate(sheet.iter_rows(values_only=True)):
            for c, value in enumerate(row):
                if isinstance(value, str) and c != keys.get(sheet.title, -1):
                    named = {w for w in re.findall(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b", value)
                             if w in machine}
                    if named or value in ("True", "False"):
                        found.append((sheet.title, r + 1, c + 1, sorted(named) or value))
    assert not found, found[:10]
    card = list(book["Scorecard"].values)
    countries = {row[card[0].index("Country")] for row in card[1:-1]}
    assert {"Kazakhstan", "Paraguay", "United States"} <= countries
    assert not countries & {"KZ", "PY", "US", "CA", "NO", "SE", "ET"}


def test_the_frontier_has_a_chart_and_an_empty_rejected_sheet_says_so(sample_tables):
    with zipfile.ZipFile(sample_tables / "scorecard.xlsx") as package:
        charts = [package.read(n).decode() for n in package.namelist()
                  if n.startswith("xl/charts/chart")]
    frontier = [c for c in charts if "What each budget is worth" in c]
    assert len(frontier) == 1 and "'Plan frontier'!" in frontier[0]
    book = load_workbook(sample_tables / "scorecard.xlsx", read_only=True)
    assert read_csv(sample_tables / "rejected.csv") == []
    assert any("No row was rejected" in str(v) for row in book["Rejected"].values for v in row)


def test_plan_options_past_the_sheets_rows_stay_in_the_csv_and_are_named(tmp_path, monkeypatch):
    monkeypatch.setattr(excel, "MAX_OPTION_ROWS", 3)
    options = pd.DataFrame({"site_id": list("ABCDE"), "workload": ["training"] * 5,
                            "npv_musd": [5.0, 4.0, 3.0, 2.0, 1.0]})
    said = small_book(tmp_path / "s.xlsx", SITES, more=[("Plan options", options)])
    assert said == ["2 plan options past the Plan options sheet's 3 rows "
                    "(plan-options.csv has every option)"]
    sheet = load_workbook(tmp_path / "s.xlsx")["Plan options"]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["A", "B", "C"]


def test_the_summary_says_which_sites_have_no_economics_and_an_option_only_site_says_why(
        sample_tables):
    book = load_workbook(sample_tables / "scorecard.xlsx", read_only=True)
    summary = {row[0]: row[1] for row in book["Summary"].values if row and row[0]}
    results = read_csv(sample_tables / "results.csv")
    valued = sum(1 for r in results if r["econ_workload"])
    assert summary["Sites with economics"].startswith(
        f"{valued}: the other {len(results) - valued} suit neither workload")
    option_only = {r["site_id"]: r for r in results}["OH-02"]
    assert option_only["econ_npv_musd"] == "0.0" and float(option_only["econ_npv_option_musd"]) > 0
    assert option_only["econ_phases"].startswith("Nothing committed yet (NPV 0, no IRR)")
