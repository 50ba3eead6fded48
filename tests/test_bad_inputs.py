"""The bad-input corpus: each case a file a finance team might really send.

Every case runs the real command and asserts its exit code, the message on stderr
(file, sheet, row, column and value where they apply), no traceback, and that every
data row is accounted for: evaluated + rejected = data rows, as the manifest records.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from conftest import HEADER, ROW, write_csv, write_xlsx
from pipeline.cli import cli

FILES = Path(__file__).resolve().parent / "corpus"
GOOD = ["B-2", "Beta", 8, 0.06, "immersion", "no", "no"]


def row(**changes):
    """ROW with some columns changed, by contract name."""
    return [changes.get(h, v) for h, v in zip(HEADER, ROW)]


def xlsx(*rows, sheet="Sites"):
    return lambda d: write_xlsx(d / "in.xlsx", list(rows), sheet)


def csv_file(*rows, **options):
    return lambda d: write_csv(d / "in.csv", list(rows), **options)


def workbook(build: Callable[[Workbook], None]):
    def make(d: Path) -> Path:
        book = Workbook()
        build(book)
        book.save(d / "in.xlsx")
        return d / "in.xlsx"
    return make


def with_layout(book: Workbook, before=(), after=(), rows=(ROW, GOOD)):
    sheet = book.active
    sheet.title = "Sites"
    for line in [*before, HEADER, *rows, *after]:
        sheet.append(list(line))


def merged_header(book: Workbook):
    sheet = book.active
    sheet.append(["Identity", None, "Power", None, "Facility", None, None])
    sheet.merge_cells("A1:B1")
    sheet.merge_cells("C1:D1")
    sheet.merge_cells("E1:G1")
    sheet.append(HEADER[:2] + [None] + HEADER[2:])  # site_name's header merged over two cells
    sheet.merge_cells("B2:C2")
    sheet.append(ROW[:2] + [None] + ROW[2:])


def second_sheet(book: Workbook, hidden_first: bool):
    readme = book.active
    readme.title = "Readme" if not hidden_first else "Old"
    if hidden_first:
        readme.append(HEADER)
        readme.append(["OLD-1", "Stale", "lots", 0.04, "air", "yes", "yes"])
        readme.sheet_state = "hidden"
    else:
        readme.append(["Fill in the Portfolio sheet."])
    data = book.create_sheet("Portfolio")
    for line in (HEADER, ROW, GOOD):
        data.append(line)


def formula_cells(cached: bool):
    def make(d: Path) -> Path:
        path = write_xlsx(d / "in.xlsx", [HEADER, ROW, ["F-1", "Formula", 0, 0.04, "air",
                                                        "yes", "yes"]])
        book = load_workbook(path)
        book.active["C3"] = "=10*3"  # a real formula; openpyxl saves it without a value
        book.save(path)
        if cached:  # as Excel saves it: the formula and its last value
            with zipfile.ZipFile(path) as source:
                parts = {n: source.read(n) for n in source.namelist()}
            sheet = "xl/worksheets/sheet1.xml"
            parts[sheet], count = re.subn(rb"<f>10\*3</f>(<v\s*/>|<v></v>)?",
                                          b"<f>10*3</f><v>30</v>", parts[sheet])
            assert count == 1
            with zipfile.ZipFile(path, "w") as target:
                for name, data in parts.items():
                    target.writestr(name, data)
        return path
    return make


def copy_of(name: str):
    def make(d: Path) -> Path:
        target = d / name
        target.write_bytes((FILES / name).read_bytes())
        return target
    return make


def raw_bytes(name: str, data: bytes):
    def make(d: Path) -> Path:
        (d / name).write_bytes(data)
        return d / name
    return make


def truncated_xlsx(d: Path) -> Path:
    path = write_xlsx(d / "in.xlsx", [HEADER, ROW])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def empty_folder(d: Path) -> Path:
    (d / "inbox").mkdir()
    (d / "inbox" / "readme.txt").write_text("nothing here")
    return d / "inbox"


@dataclass
class Case:
    name: str
    build: Callable[[Path], Path]
    exit: int
    says: list[str] = field(default_factory=list)
    rows: tuple[int, int, int] | None = None  # data rows, evaluated, rejected
    check: Callable[[Path], None] | None = None


def results(out: Path) -> list[dict]:
    import csv
    with open(out / "results.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


CASES = [
    # ---- layout
    Case("title and notes rows above the header",
         workbook(lambda b: with_layout(b, before=[["Q3 portfolio"], ["prepared by finance"],
                                                   []])), 0, rows=(2, 2, 0),
         check=lambda o: manifest(o)["input"]["header_row"] == 4 or pytest.fail("header row")),
    Case("blank rows and blank columns",
         xlsx([None, *HEADER], [], [None, *ROW], [], [], [None, *GOOD]), 0, rows=(2, 2, 0)),
    Case("a trailing totals row",
         workbook(lambda b: with_layout(b, after=[[None, "Total", 38, None, None, None, None]])),
         0, rows=(2, 2, 0),
         check=lambda o: manifest(o)["rows"]["not_data"] == {"4": "a totals row"}
         or pytest.fail("totals")),
    Case("merged header cells", workbook(merged_header), 0, rows=(1, 1, 0)),
    Case("the header repeated mid-sheet", xlsx(HEADER, ROW, HEADER, GOOD), 0, rows=(2, 2, 0),
         check=lambda o: manifest(o)["rows"]["not_data"] == {"3": "the header repeated"}
         or pytest.fail("repeat")),
    Case("data on a sheet other than the first", workbook(lambda b: second_sheet(b, False)), 0,
         rows=(2, 2, 0), check=lambda o: manifest(o)["input"]["sheet"] == "Portfolio"
         or pytest.fail("sheet")),
    Case("a hidden sheet before the data", workbook(lambda b: second_sheet(b, True)), 0,
         rows=(2, 2, 0), check=lambda o: manifest(o)["input"]["sheet"] == "Portfolio"
         or pytest.fail("sheet")),
    Case("a sheet with only a header", xlsx(HEADER), 2, ["no data rows below the header"],
         rows=(0, 0, 0)),
    Case("an empty workbook", workbook(lambda b: None), 2, ["sheet Sheet: the sheet is empty"]),
    Case("no header anywhere", xlsx(["a", "b"], [1, 2]), 2, ["no header row found"]),
    # ---- cells
    Case("a formula with its saved value", formula_cells(True), 0, rows=(2, 2, 0),
         check=lambda o: results(o)[1]["power_capacity_mw"] == "30.0" or pytest.fail("cached")),
    Case("a formula with no saved value", formula_cells(False), 1,
         ["row 3, column power_capacity_mw: '=10*3': a formula (=10*3) with no saved value"],
         rows=(2, 1, 1)),
    Case("a date where a number belongs", xlsx(HEADER, ROW, row(site_id="D", power_capacity_mw=
                                                                 dt.datetime(2024, 3, 1))), 1,
         ["row 3, column power_capacity_mw", "a date or time"], rows=(2, 1, 1)),
    Case("numbers stored as text", xlsx(HEADER, row(power_capacity_mw="30",
                                                    power_cost_usd_per_kwh=" 0.04 ")), 0,
         rows=(1, 1, 0)),
    Case("a unit of the wrong kind", xlsx(HEADER, ROW, row(site_id="U", power_capacity_mw=
                                                           "12 ms")), 1,
         ["sheet Sites, row 3, column power_capacity_mw: '12 ms': 'ms' is a time unit"],
         rows=(2, 1, 1)),
    Case("negative capacity", xlsx(HEADER, row(power_capacity_mw=-5), GOOD), 1,
         ["row 2, column power_capacity_mw: '-5': expected a number in MW, > 0"], rows=(2, 1, 1)),
    Case("latitude 120", xlsx(HEADER + ["latitude"], ROW + [120]), 2,
         ["column latitude: '120': expected a number in degrees, >= -90 and <= 90"],
         rows=(1, 0, 1)),
    Case("9,000 curtailment hours", xlsx(HEADER + ["Curtailment (h/yr)"], ROW + ["9,000"],
                                         GOOD + [0]), 1,
         ["column curtailment_hours_per_year: '9,000': expected a number in hours, >= 0 and "
          "<= 8760"], rows=(2, 1, 1)),
    Case("enum spellings people use", xlsx(HEADER + ["power_redundancy"],
                                           row(cooling_type="Direct-to-chip") + ["N + 1"],
                                           [*GOOD[:4], "DLC", *GOOD[5:], "2n"]), 0,
         rows=(2, 2, 0)),
    Case("an enum typo", xlsx(HEADER, row(cooling_type="Imersion")), 2,
         ["'Imersion': expected one of air, hydro, immersion, rear_door, direct_to_chip"],
         rows=(1, 0, 1)),
    Case("a yes/no typo", xlsx(HEADER, ROW, row(site_id="Y", fiber_on_site="maybe")), 1,
         ["column fiber_on_site: 'maybe': expected yes or no"], rows=(2, 1, 1)),
    Case("a very long site name", xlsx(HEADER, ROW, row(site_id="L", site_name="x" * 300)), 1,
         ["column site_name", "text of 300 characters; at most 255"], rows=(2, 1, 1)),
    Case("very long notes in a CSV", csv_file(HEADER + ["notes"], ROW + ["n" * 40000]), 2,
         ["column notes", "text of 40,000 characters; at most 32,767"], rows=(1, 0, 1)),
    Case("leading and trailing spaces", xlsx(HEADER, ["  A-1 ", " Alpha ", " 30 ", "0.04",
                                                      " AIR ", " Yes", "yes "]), 0,
         rows=(1, 1, 0), check=lambda o: results(o)[0]["site_id"] == "A-1"
         or pytest.fail("strip")),
    Case("non-ASCII names", xlsx(HEADER, row(site_name="Zürich Nord – 東京 Ōsaka")), 0,
         rows=(1, 1, 0), check=lambda o: results(o)[0]["site_name"] == "Zürich Nord – 東京 Ōsaka"
         or pytest.fail("unicode")),
    Case("a decimal comma", xlsx(HEADER, row(power_cost_usd_per_kwh="0,045")), 2,
         ["'0,045': ambiguous decimal comma"], rows=(1, 0, 1)),
    Case("a blank required cell", xlsx(HEADER, row(staffing_24x7=None), GOOD), 1,
         ["row 2, column staffing_24x7: '': required, but the cell is blank"], rows=(2, 1, 1)),
    Case("duplicate site ids", xlsx(HEADER, ROW, GOOD, ROW), 1,
         ["duplicate site_id, also in row 4"], rows=(3, 1, 2)),
    Case("several problems in one row", xlsx(HEADER, ROW, ["Z", "", "big", "cheap", "liquid",
                                                           "perhaps", "yes"]), 1,
         ["row 3, column site_name"], rows=(2, 1, 1),
         check=lambda o: len([r for r in (o / "rejected.csv").read_text().splitlines()[1:]])
         == 5 or pytest.fail("all reasons")),
    Case("a required column missing", xlsx(HEADER[:-1], ROW[:-1]), 2,
         ["in.xlsx, sheet Sites: required column staffing_24x7 missing from the header in row 1"]),
    Case("two headers for one column", xlsx(HEADER + ["Capacity (MW)"], ROW + [30]), 2,
         ["columns C ('power_capacity_mw') and H ('Capacity (MW)') both mean power_capacity_mw"]),
    Case("a header unit of the wrong kind",
         xlsx([h if h != "power_cost_usd_per_kwh" else "Power cost (ms)" for h in HEADER], ROW),
         2, ["header 'Power cost (ms)' gives 'ms', a time unit"]),
    Case("a header unit nobody knows",
         xlsx([h if h != "power_capacity_mw" else "Power capacity (horsepower)" for h in HEADER],
              ROW), 2, ["unit 'horsepower', which sitefit does not know"]),
    # ---- files
    Case("CSV with a byte-order mark", csv_file(HEADER, ROW, encoding="utf-8-sig"), 0,
         rows=(1, 1, 0)),
    Case("CSV with semicolons", csv_file(HEADER, ROW, GOOD, delimiter=";"), 0, rows=(2, 2, 0)),
    Case("CSV in Latin-1", csv_file(HEADER, row(site_name="Gällivare Söder"), encoding="latin-1"),
         0, rows=(1, 1, 0), check=lambda o: results(o)[0]["site_name"] == "Gällivare Söder"
         or pytest.fail("latin-1")),
    Case("CSV with binary content", raw_bytes("in.csv", b"\x00\x01\x02PK\x00"), 2,
         ["not a text CSV file"]),
    Case("a legacy .xls workbook", copy_of("legacy.xls"), 1,
         ["legacy.xls, sheet Sites, row 3, column power_capacity_mw: '12 ms'"], rows=(2, 1, 1)),
    Case("an .ods workbook", copy_of("libre.ods"), 1, ["libre.ods, sheet Sites, row 3"],
         rows=(2, 1, 1)),
    Case("a corrupt xlsx", raw_bytes("in.xlsx", b"PK\x03\x04" + bytes(range(256)) * 4), 2,
         ["cannot be read as a spreadsheet", "save it again as .xlsx"]),
    Case("a truncated xlsx", truncated_xlsx, 2, ["cannot be read as a spreadsheet"]),
    Case("an encrypted xlsx", copy_of("encrypted.xlsx"), 2, ["the workbook is password-protected"]),
    Case("a file that is not a spreadsheet", raw_bytes("photo.png", b"\x89PNG\r\n\x1a\n"), 2,
         ["photo.png: not a spreadsheet (expected .xlsx, .xlsm, .xls, .ods, .csv)"]),
    Case("a folder with no spreadsheets", empty_folder, 2, ["inbox: no spreadsheets here"]),
    Case("a path that does not exist", lambda d: d / "nope.xlsx", 2, ["no such file"]),
    # ---- hostile text
    Case("text that looks like formulas", xlsx(HEADER + ["notes"],
                                               row(site_name="=1+1") + ["@SUM(A1:A9)"],
                                               [*GOOD[:1], "+cmd|' /C calc'!A0", *GOOD[2:],
                                                "-2+3"]), 0, rows=(2, 2, 0),
         check=lambda o: [r["site_name"] for r in results(o)] == ["'=1+1", "'+cmd|' /C calc'!A0"]
         or pytest.fail("defused")),
    Case("a site_id that is a path", xlsx(HEADER, row(site_id="../../etc/passwd")), 0,
         rows=(1, 1, 0)),
]


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(tmp_path, case):
    source = case.build(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["evaluate", str(source), "--out", str(out), "--no-pdf"],
                                catch_exceptions=False)
    assert result.exit_code == case.exit, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("sitefit: ")
    for fragment in case.says:
        assert fragment in result.stderr
    if case.rows is not None:
        counts = manifest(out)["rows"]
        assert (counts["data_rows"], counts["evaluated"], counts["rejected"]) == case.rows
        assert counts["evaluated"] + counts["rejected"] == counts["data_rows"]
        assert len(results(out)) == counts["evaluated"]
    elif case.exit == 2:
        assert not out.exists()  # nothing readable: no half-made outputs either
    if case.check:
        case.check(out)
