"""Files as spreadsheet programs write them: cells with line breaks, European CSVs (a
semicolon between fields, a decimal comma), Excel's ``sep=`` line, formula errors and the
1904 date system. Each is evaluated by the real command and read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import python_calamine
import xlsxwriter

from conftest import HEADER, ROW, SAMPLE, invoke, read_csv
from pipeline import bounded, contract, decimals
from pipeline.rules import load_rules
from pipeline.validate import CellError, parse_cell


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


def test_a_multi_line_cell_whose_middle_line_looks_like_a_row_is_one_cell(tmp_path):
    """Excel's CSV (BOM, CRLF records): a notes cell listing carriers is data, not a quote
    left open, since the file reads as RFC 4180 with every record as wide as the header."""
    rows = sample_rows(6)
    carriers = "Carriers on site:\r\nZayo, Lumen, Cogent, Crown Castle, AT&T, Verizon, " \
               "Windstream\r\nall lit"
    rows[3][NOTES] = carriers
    path = tmp_path / "sites.csv"
    path.write_text(as_text(rows), encoding="utf-8-sig", newline="")
    code, stderr, out = evaluate(path)
    assert code == 0, stderr
    assert "6 sites evaluated" in stderr
    assert read_csv(out / "results.csv")[2]["notes"] == carriers


@pytest.mark.parametrize("quoted", [True, False])
def test_a_lone_cr_in_a_cell_of_an_lf_file_stays_in_its_cell(tmp_path, quoted):
    rows = sample_rows(5)
    rows[3][NOTES] = "CR-ONLY"
    cell = '"cr\ronly"' if quoted else "cr\ronly"
    path = tmp_path / "sites.csv"
    path.write_text(as_text(rows, end="\n").replace("CR-ONLY", cell), encoding="utf-8",
                    newline="")
    code, stderr, out = evaluate(path)
    assert code == 0, stderr
    assert "5 sites evaluated" in stderr
    assert [r["notes"] for r in read_csv(out / "results.csv")][2] == "cr\ronly"


def test_a_quote_open_at_the_end_of_the_file_is_caught_whatever_the_record_width(tmp_path):
    rows = sample_rows(3)
    text = as_text(rows).split("\r\n")
    text[2] = text[2][:text[2].rindex(",") + 1] + '"left open'  # the last cell opens a quote
    path = tmp_path / "sites.csv"
    path.write_text("\r\n".join(text), encoding="utf-8", newline="")
    code, stderr, out = evaluate(path)
    assert code == 1, stderr
    (problem,) = [p for p in read_csv(out / "rejected.csv") if "quote" in p["problem"]]
    assert problem["row"] == "3"
    assert "a quote opens this cell on line 3 and is never closed there" in problem["problem"]


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


def european(value) -> str:
    """A value as Excel in a German locale saves it: ``1.200,5``, ``0,045``, ``33,62``."""
    if isinstance(value, float):
        text = f"{value:,.10g}" if abs(value) < 1e15 else repr(value)
        if value.is_integer():
            text = f"{int(value):,}"
        return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return str(value)


def compared(out: Path) -> list[dict]:
    return read_csv(out / "results.csv")


@pytest.fixture(scope="module")
def sample_evaluated(sample_tables) -> list[dict]:
    """The sample workbook's results, to compare the files saved from it with."""
    return compared(sample_tables)


def test_a_european_csv_reads_as_the_workbook_it_came_from(tmp_path, sample_evaluated):
    rows = [[european(cell) for cell in row] for row in sample_rows()]
    path = tmp_path / "sites.csv"
    path.write_text(as_text(rows, ";"), encoding="utf-8-sig", newline="")
    code, stderr, out = evaluate(path)
    assert code == 0, stderr
    assert "40 sites evaluated" in stderr
    assert compared(out) == sample_evaluated
    numbers = json.loads((out / "manifest.json").read_text())["input"]["numbers"]
    assert (numbers["decimal"], numbers["settled_by"]) == (",", "numbers")


@pytest.mark.parametrize("text, mark", [
    ("0,045", ","), ("33,62", ","), ("-100,84", ","), ("1.200,5", ","), ("1 200,5", ","),
    ("1\u00a0200,5", ","), ("1\u202f200,5", ","), ("1.200.000", ","), ("4,5 c/kWh", ","),
    ("0.045", "."), ("33.62", "."), ("1,200.5", "."), ("1,200,000", "."), ("2.5 years", "."),
    ("1,200", None), ("1.200", None), ("12", None), ("12,000 kW", None), ("N+1", None)])
def test_a_number_shows_its_decimal_mark_or_does_not(text, mark):
    assert decimals.mark_shown(text) == mark


@pytest.mark.parametrize("text, decimal, number", [
    ("1.200,5", ",", 1200.5), ("1 200,5", ",", 1200.5), ("1\u00a0200,5", ",", 1200.5),
    ("0,045", ",", 0.045), ("1,200", ",", 1.2), ("1.200", ",", 1200.0),
    ("1,200.5", ".", 1200.5), ("1 200.5", ".", 1200.5), ("1,200", ".", 1200.0),
    ("12.000 kW", ",", 12.0)])
def test_numbers_read_with_the_files_mark(text, decimal, number):
    column = contract.BY_NAME["power_capacity_mw"]
    assert parse_cell(column, text, decimal=decimal) == pytest.approx(number)


def test_a_number_with_the_other_mark_is_rejected_naming_the_option():
    column = contract.BY_NAME["power_cost_usd_per_kwh"]
    with pytest.raises(CellError, match=r"this file writes decimal commas.*--decimal \."):
        parse_cell(column, "0.045", decimal=",")
    with pytest.raises(CellError, match=r"ambiguous decimal comma.*--decimal ,"):
        parse_cell(column, "0,045", decimal=".")


def cells(*texts):
    return [(row, "power_capacity_mw", text) for row, text in enumerate(texts, start=2)]


def test_the_convention_is_what_most_numbers_show_else_the_delimiters():
    assert decimals.decide(cells("33,62", "1,200", "0.5", "0,045"), ",").decimal == ","
    assert decimals.decide(cells("33.62", "1.200"), ";").decimal == "."
    assert decimals.decide(cells("12", "1,200"), ";").settled_by == "delimiter"
    assert decimals.decide(cells("12", "1,200"), ";").decimal == ","
    assert decimals.decide(cells("12", "1,200"), ",").decimal == "."
    assert decimals.decide(cells("0,5", "0.5"), ";", given=".").decimal == "."


def test_a_file_that_cannot_settle_its_mark_says_so_once_naming_the_option(tmp_path):
    rows = [HEADER, ["A-1", "Alpha", 30, "0,031", "air", "yes", "yes"],
            ["B-2", "Beta", 8, "0.045", "air", "no", "no"]]
    path = tmp_path / "sites.csv"
    path.write_text(as_text(rows, "\t"), encoding="utf-8", newline="")
    code, stderr, _ = evaluate(path)
    assert code == 2
    assert stderr.count("cannot tell the decimal mark") == 1
    assert "'0,031' (row 2, power_cost_usd_per_kwh) have a decimal comma" in stderr
    assert "--decimal , or --decimal ." in stderr
    code, stderr, out = evaluate(path, "--decimal", ",")
    assert code == 1 and "this file writes decimal commas" in stderr
    result = invoke("evaluate", path, "--out", tmp_path / "env", "--no-pdf",
                    env={"SITEFIT_EVALUATE_DECIMAL": "."})
    assert result.exit_code == 1 and "ambiguous decimal comma" in result.stderr
    summary = {row[0]: row[1] for row in python_calamine.CalamineWorkbook.from_path(
        str(tmp_path / "env" / "scorecard.xlsx")).get_sheet_by_name("Summary").to_python()}
    assert summary["Numbers"].startswith("decimal point, thousands grouped with , or space "
                                         "(as --decimal says)")


def test_excels_sep_line_names_the_delimiter(tmp_path):
    rows = [[european(cell) for cell in row] for row in sample_rows(3)]
    path = tmp_path / "sites.csv"
    path.write_text("sep=;\r\n" + as_text(rows, ";"), encoding="utf-8", newline="")
    code, stderr, out = evaluate(path)
    assert code == 0, stderr
    assert [r["source_row"] for r in read_csv(out / "results.csv")] == ["2", "3", "4"]


def formula_workbook(path: Path, errors: dict[int, str], date_1904: bool = False) -> Path:
    """A workbook as Excel saves it: the header and one good site, whose cells in the
    columns ``errors`` names hold formulas whose saved values are those errors, and a
    carried-through date column."""
    book = xlsxwriter.Workbook(path, {"date_1904": date_1904})
    sheet = book.add_worksheet("Sites")
    sheet.write_row(0, 0, HEADER + ["notes", "commissioned"])
    sheet.write_row(1, 0, ROW + ["n"])
    sheet.write_datetime(1, len(HEADER) + 1, dt.datetime(2024, 3, 1),
                         book.add_format({"num_format": "yyyy-mm-dd"}))
    for column, error in errors.items():
        sheet.write_formula(1, column, "=VLOOKUP(A2,Other!A:B,2,FALSE)", None, error)
    book.close()
    return path


@pytest.mark.parametrize("column, error", [(2, "#DIV/0!"), (len(HEADER), "#N/A"),
                                           (3, "#REF!"), (4, "#VALUE!")])
def test_a_formula_error_is_rejected_by_name(tmp_path, column, error):
    name = (HEADER + ["notes"])[column]
    code, stderr, out = evaluate(formula_workbook(tmp_path / "in.xlsx", {column: error}))
    assert code == 2
    (problem,) = read_csv(out / "rejected.csv")
    assert (problem["column"], problem["value"]) == (name, error)
    assert problem["problem"].startswith(f"{error} (a formula error in the workbook)")
    assert f"column {name}: {error!r}: {error} (a formula error in the workbook)" in stderr


def test_a_formula_error_saved_into_a_csv_is_rejected_by_name(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(as_text([HEADER, ["A-1", "Alpha", "#DIV/0!", 0.04, "air", "yes", "yes"]]))
    code, stderr, out = evaluate(path)
    assert code == 2 and "'#DIV/0!': #DIV/0! (a formula error in the workbook)" in stderr


@pytest.mark.parametrize("date_1904", [False, True])
def test_dates_carry_through_in_either_date_system(tmp_path, date_1904):
    code, stderr, out = evaluate(formula_workbook(tmp_path / "in.xlsx", {}, date_1904))
    assert code == 0, stderr
    assert read_csv(out / "results.csv")[0]["commissioned"] == "2024-03-01"


def test_a_workbook_whose_xml_amplifies_entities_is_an_input_error(tmp_path):
    path = formula_workbook(tmp_path / "in.xlsx", {len(HEADER): "#N/A"})
    entities = '<!ENTITY e0 "lol">' + "".join(
        f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 10))
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    head, body = parts["xl/worksheets/sheet1.xml"].split(b"?>", 1)
    parts["xl/worksheets/sheet1.xml"] = (head + b"?>" + f"<!DOCTYPE worksheet [{entities}]>"
                                         .encode() + re.sub(rb"<f>[^<]*</f>", b"<f>&e9;</f>", body))
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    code, stderr, _ = evaluate(path)
    assert code == 2
    assert "in.xlsx: cannot be read: its part xl/worksheets/sheet1.xml is not XML sitefit " \
           "reads (limit on input amplification factor" in stderr
    assert "internal error" not in stderr


def test_a_rules_file_saved_by_notepad_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text("[power.training]\npass_min_capacity_mw = 25.0\n", encoding="utf-8-sig")
    assert load_rules(path).values["power"]["training"]["pass_min_capacity_mw"] == 25.0


@pytest.mark.parametrize("option, what", [("--rules", "a rules file"),
                                          ("--whatif", "a rules file"),
                                          ("--branding", "a branding file"),
                                          ("--plan", "a plan file"),
                                          ("--previous", "an earlier run's results.csv")])
def test_a_file_beside_the_sheet_that_never_ends_is_refused_by_name(tmp_path, option, what):
    sheet = formula_workbook(tmp_path / "in.xlsx", {})
    code, stderr, out = evaluate(sheet, option, "/dev/zero")
    assert code == 2
    assert stderr.startswith("sitefit: /dev/zero: refused: ") and what in stderr
    assert "internal error" not in stderr and not out.exists()


def test_a_rules_file_past_the_limit_is_refused_naming_the_limit(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text("# padding\n" * (bounded.TOML_MAX_BYTES // 10 + 1))
    result = invoke("rules", "--rules", path)
    assert result.exit_code == 2
    assert f"{path}: refused: larger than the 1 MiB sitefit reads for a rules file" in \
        result.stderr


def test_an_earlier_results_file_past_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(bounded, "RESULTS_MAX_BYTES", 1 << 20)
    previous = tmp_path / "results.csv"
    previous.write_text("site_id,site_name,bucket,readiness\n" + "x,y,z,w\n" * (1 << 18))
    code, stderr, _ = evaluate(formula_workbook(tmp_path / "in.xlsx", {}), "--previous",
                               previous)
    assert code == 2
    assert f"{previous}: refused: larger than the 1 MiB sitefit reads for an earlier run's " \
           "results.csv" in stderr


CORPUS = Path(__file__).resolve().parent / "corpus" / "exports"
EXPORTS = sorted(p.name for p in CORPUS.iterdir() if p.name != "sites.xlsx")
QUICK = ("semicolon-de-DE.csv", "sites.ods")  # the rest only in the full run: 0.7 s each
TARIFF = "Tariff (USD/MWh)"  # a hidden column, carried through as each file writes it


@pytest.fixture(scope="module")
def export_evaluated(tmp_path_factory) -> list[dict]:
    """The results of the XLSX LibreOffice saved, which every other export must match."""
    code, stderr, out = evaluate(Path(shutil.copy(CORPUS / "sites.xlsx",
                                                  tmp_path_factory.mktemp("export"))))
    assert code == 0, stderr
    return compared(out)


def without_tariff(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k != TARIFF} for row in rows]


def test_the_corpus_holds_every_kind_of_export():
    assert len(EXPORTS) >= 10 and {"sites.ods", "semicolon-de-DE.csv",
                                   "semicolon-fr-CA.csv", "tab-en-US-utf-16.tsv"} <= set(EXPORTS)


@pytest.mark.parametrize("name", [name if name in QUICK else pytest.param(
    name, marks=pytest.mark.slow) for name in EXPORTS])
def test_every_real_export_reads_as_the_workbook_it_came_from(tmp_path, name,
                                                              export_evaluated):
    code, stderr, out = evaluate(Path(shutil.copy(CORPUS / name, tmp_path)))
    assert code == 0, stderr
    assert "40 sites evaluated" in stderr
    results = compared(out)
    assert without_tariff(results) == without_tariff(export_evaluated)
    assert [float(r[TARIFF].replace(",", ".")) for r in results] == \
        [float(r[TARIFF]) for r in export_evaluated]


def test_the_export_workbook_classifies_as_the_sample(export_evaluated, sample_evaluated):
    """The layout the corpus adds (a merged title row, capacity in kW, the power cost a
    formula of a hidden column, notes with line breaks, a date column) changes no outcome."""
    changed = {"source_row", "notes", TARIFF, "Surveyed"}
    assert [{k: v for k, v in row.items() if k not in changed} for row in export_evaluated] \
        == [{k: v for k, v in row.items() if k not in changed} for row in sample_evaluated]
    assert export_evaluated[1]["notes"] == "Wind PPA through 2031\nsecond feed studied"
    assert export_evaluated[0]["Surveyed"] == "2026-01-08"


@pytest.mark.parametrize("name", ["formula-errors.xlsx", "formula-errors.ods"])
def test_formula_errors_saved_by_libreoffice_are_rejected_by_name(tmp_path, name):
    code, stderr, out = evaluate(Path(shutil.copy(CORPUS.parent / name, tmp_path)))
    assert code == 1, stderr
    assert [(p["row"], p["column"], p["value"]) for p in read_csv(out / "rejected.csv")] == [
        ("2", "power_capacity_mw", "#DIV/0!"), ("3", "metro_rtt_ms", "#N/A")]
    assert [r["site_id"] for r in read_csv(out / "results.csv")] == ["E-3"]


def test_validate_takes_the_decimal_mark_too(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(as_text([HEADER, ["A-1", "Alpha", "30", "0,031", "air", "yes", "yes"],
                             ["B-2", "Beta", "8", "0.045", "air", "no", "no"]], "\t"))
    assert invoke("validate", path).exit_code == 2
    result = invoke("validate", path, env={"SITEFIT_VALIDATE_DECIMAL": ","})
    assert result.exit_code == 1
    assert "row 3, column power_cost_usd_per_kwh: '0.045': a decimal point" in result.stdout


def test_a_branding_file_nested_too_deeply_is_an_input_error(tmp_path):
    branding = tmp_path / "brand.toml"
    branding.write_text("[branding]\nname = " + "[" * 100_000 + "]" * 100_000 + "\n")
    code, stderr, _ = evaluate(formula_workbook(tmp_path / "in.xlsx", {}), "--branding",
                               branding)
    assert code == 2 and "nested too deeply to read as TOML" in stderr, stderr


def test_an_earlier_manifest_nested_too_deeply_is_not_an_internal_error(tmp_path):
    sheet = formula_workbook(tmp_path / "in.xlsx", {})
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    code, stderr, _ = evaluate(sheet)
    assert code == 2 and "holds files sitefit did not write" in stderr, stderr
