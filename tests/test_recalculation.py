"""The workbook as a spreadsheet program computes it: LibreOffice Calc, headless, loads the
sample's scorecard.xlsx with every formula recalculated (as an analyst's Calc would after
an edit) and saves it; no cell may then hold an error, and every total must be the sum of
its column as results.csv and plan.csv hold it. `make` installs LibreOffice where it may
(libreoffice-calc-nogui on Debian)."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from conftest import read_csv

# A fresh Calc profile that recalculates every formula of an xlsx or ods file on load
# (Calc's default for xlsx is to trust the values the writer cached).
RECALCULATE_ON_LOAD = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def recalculated(book: Path, folder: Path) -> Path:
    """``book`` loaded, recalculated and saved again by LibreOffice Calc."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: `make setup` installs it (libreoffice-calc-nogui)"
    profile = folder / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALCULATE_ON_LOAD)
    out = folder / "calc"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={profile.as_uri()}",
                    "--convert-to", "xlsx", "--outdir", str(out), str(book)],
                   check=True, capture_output=True, timeout=300)
    return out / book.name


def error_cells(book: Path) -> list[str]:
    """Every cell whose value is an error (#NAME?, #REF!, #VALUE!...), as sheet!cell."""
    found = []
    with zipfile.ZipFile(book) as package:
        for part in sorted(n for n in package.namelist() if n.startswith("xl/worksheets/s")):
            xml = package.read(part).decode()
            found += [f"{part}!{cell}" for cell in re.findall(r'<c r="([A-Z]+\d+)"[^>]*t="e"',
                                                              xml)]
    return found


def totals(book: Path) -> dict[tuple[str, str], float]:
    """Each number on a table's Total row, by (sheet, heading): a table's heading row is the
    sheet's first, or on the Summary the one that starts the bucket table."""
    found = {}
    workbook = CalamineWorkbook.from_path(str(book))
    for name in workbook.sheet_names:
        rows = workbook.get_sheet_by_name(name).to_python()
        header = rows[0]
        for row in rows:
            if row and row[0] == "Bucket":
                header = row
            if row and row[0] == "Total":
                found.update({(name, heading): float(value)
                              for heading, value in zip(header, row)
                              if isinstance(value, (int, float))})
    return found


def column_sum(rows: list[dict[str, str]], column: str) -> float:
    return math.fsum(float(r[column]) for r in rows if r[column] not in ("", None))


@pytest.mark.slow  # starts LibreOffice
def test_libreoffice_recalculates_the_workbook_without_an_error_and_totals_add_up(
        sample_tables, tmp_path):
    book = recalculated(sample_tables / "scorecard.xlsx", tmp_path)
    assert error_cells(book) == []
    found = totals(book)
    results = read_csv(sample_tables / "results.csv")
    plan = read_csv(sample_tables / "plan.csv")
    expected = {
        ("Scorecard", "Power capacity (MW)"): column_sum(results, "power_capacity_mw"),
        ("Economics", "NPV (M USD)"): column_sum(results, "econ_npv_musd"),
        ("Economics", "Capex (M USD)"): column_sum(results, "econ_capex_musd"),
        ("Plan", "NPV as planned (M USD)"): column_sum(plan, "npv_musd"),
        ("Plan", "Capex as planned (M USD)"): column_sum(plan, "capex_musd"),
        ("Summary", "Sites"): float(len(results)),
    }
    for where, value in expected.items():
        assert found[where] == pytest.approx(value, abs=0.01), where
    # no total where a sum means nothing: ratios, percentiles, alternatives, repeated rows
    assert not [where for where in found if where[0] in ("Cash flows", "Plan frontier",
                                                         "Plan options", "Plan limits")
                or re.search(r"P\d0|per MW", where[1])]


@pytest.mark.slow  # starts LibreOffice
def test_each_sites_npv_and_irr_are_rebuilt_from_its_cash_flow_rows_by_calc(sample_tables,
                                                                           tmp_path):
    """An analyst's own formulas beside the Cash flows sheet, computed by LibreOffice: for
    each site, SUMPRODUCT of its committed cash and discount-factor rows is its NPV, and
    IRR of its committed cash its IRR (stored as a fraction, shown as %)."""
    from openpyxl import load_workbook

    from pipeline.labels import label
    source = load_workbook(sample_tables / "scorecard.xlsx")
    sheet = source["Cash flows"]
    head = [c.value for c in sheet[1]]
    years = [i + 1 for i, h in enumerate(head) if str(h).startswith("Year ")]
    first, last = (sheet.cell(1, years[k]).column_letter for k in (0, -1))
    at = {name: head.index(label(name)) for name in ("site_id", "cash_series",
                                                     "econ_npv_musd", "econ_irr_pct")}
    rows: dict[str, dict[str, int]] = {}
    stated: dict[str, tuple] = {}
    for r, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if row[at["site_id"]] and row[at["cash_series"]]:
            rows.setdefault(row[at["site_id"]], {})[row[at["cash_series"]]] = r
            stated[row[at["site_id"]]] = (row[at["econ_npv_musd"]], row[at["econ_irr_pct"]])
    mine = source.create_sheet("Analyst")
    for n, (site_id, series) in enumerate(rows.items(), start=1):
        cash, factor = series["committed, cash"], series["committed, discount factor"]
        mine.cell(n, 1, site_id)
        mine.cell(n, 2, f"=SUMPRODUCT('Cash flows'!{first}{cash}:{last}{cash},"
                        f"'Cash flows'!{first}{factor}:{last}{factor})")
        if stated[site_id][1] is not None:
            mine.cell(n, 3, f"=IRR('Cash flows'!{first}{cash}:{last}{cash})")
    edited = tmp_path / "edited.xlsx"
    source.save(edited)
    computed = CalamineWorkbook.from_path(str(recalculated(edited, tmp_path))) \
        .get_sheet_by_name("Analyst").to_python()
    assert len(computed) == len(rows) > 20
    for site_id, npv, irr, *_ in computed:
        assert npv == pytest.approx(stated[site_id][0], abs=0.05), site_id
        if stated[site_id][1] is not None:
            assert irr == pytest.approx(stated[site_id][1], abs=0.001), site_id  # a fraction
