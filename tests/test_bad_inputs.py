"""The bad-input corpus: each case a file a finance team might really send.

Every case runs the real command and asserts its exit code, the message on stderr
(file, sheet, row, column and value where they apply), no traceback, and that every
data row is accounted for: evaluated + rejected = data rows, as the manifest records.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
import struct
import subprocess
import sys
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
GOOD_TEXT = [str(value) for value in GOOD]
TEXT_COLUMNS = ["operator", "country", "region", "nearest_metro", "notes"]


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


SHEET_PART = "xl/worksheets/sheet1.xml"


def rewrite_sheet(path: Path, change: Callable[[bytes], bytes]) -> Path:
    """Edit the first sheet's XML of an xlsx in place, as another writer might have saved it."""
    with zipfile.ZipFile(path) as source:
        parts = {n: source.read(n) for n in source.namelist()}
    parts[SHEET_PART] = change(parts[SHEET_PART])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def formula_cells(cached: bool):
    def make(d: Path) -> Path:
        path = write_xlsx(d / "in.xlsx", [HEADER, ROW, ["F-1", "Formula", 0, 0.04, "air",
                                                        "yes", "yes"]])
        book = load_workbook(path)
        book.active["C3"] = "=10*3"  # a real formula; openpyxl saves it without a value
        book.save(path)
        if cached:  # as Excel saves it: the formula and its last value

            def with_value(xml: bytes) -> bytes:
                xml, count = re.subn(rb"<f>10\*3</f>(<v\s*/>|<v></v>)?", b"<f>10*3</f><v>30</v>",
                                     xml)
                assert count == 1
                return xml
            rewrite_sheet(path, with_value)
        return path
    return make


def sheet_xml(change: Callable[[bytes], bytes]):
    """HEADER, ROW and GOOD in an xlsx whose sheet XML is then edited by ``change``."""
    return lambda d: rewrite_sheet(write_xlsx(d / "in.xlsx", [HEADER, ROW, GOOD]), change)


def with_last_row(xml_row: bytes) -> Callable[[bytes], bytes]:
    return lambda xml: xml.replace(b"</sheetData>", xml_row + b"</sheetData>")


def without_references(xml: bytes) -> bytes:
    return re.sub(rb' r="[A-Z]*[0-9]+"', b"", xml)


def prefixed(xml: bytes) -> bytes:
    """The main namespace under a prefix, as some writers save it."""
    xml = xml.replace(b"<worksheet xmlns=", b"<x:worksheet xmlns:x=").replace(
        b"</worksheet>", b"</x:worksheet>")
    return re.sub(rb"<(/?)(?=[a-zA-Z])", rb"<\1x:", xml).replace(b"<x:x:", b"<x:").replace(
        b"</x:x:", b"</x:")


def stray_cell(reference: str):
    def build(book: Workbook) -> None:
        with_layout(book)
        book.active[reference] = "x"
    return workbook(build)


def ods_with(rows: bytes):
    """The corpus's .ods with ``rows`` (OpenDocument XML) added below its data."""
    def make(d: Path) -> Path:
        target = d / "in.ods"
        with zipfile.ZipFile(FILES / "libre.ods") as source, zipfile.ZipFile(target, "w") as out:
            for item in source.infolist():
                data = source.read(item)
                if item.filename == "content.xml":
                    data = data.replace(b"</table:table>", rows + b"</table:table>", 1)
                out.writestr(item, data)
        return target
    return make


def lying_zip(field: str):
    """An xlsx whose zip headers give the sheet part a wrong size or checksum."""
    offsets = {"crc": 14, "compressed size": 18, "size": 22}  # in a local file header

    def make(d: Path) -> Path:
        path = write_xlsx(d / "in.xlsx", [HEADER, ROW, GOOD])
        data = bytearray(path.read_bytes())
        name = SHEET_PART.encode()
        for signature, shift in ((b"PK\x03\x04", 0), (b"PK\x01\x02", 2)):  # local, central
            at = data.find(signature)
            while at >= 0:
                name_at = at + (30 if shift == 0 else 46)
                length = struct.unpack_from("<H", data, at + (26 if shift == 0 else 28))[0]
                if data[name_at:name_at + length] == name:
                    struct.pack_into("<I", data, at + offsets[field] + shift,
                                     {"crc": 0xDEADBEEF, "compressed size": 20, "size": 10}[field])
                at = data.find(signature, at + 4)
        path.write_bytes(bytes(data))
        return path
    return make


def text_file(name: str, text: str, encoding: str = "utf-8"):
    return lambda d: raw_bytes(name, text.encode(encoding))(d)


def lines(*rows: list, delimiter: str = ",", end: str = "\n") -> str:
    return "".join(delimiter.join(map(str, r)) + end for r in rows)


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
    own_process: bool = False  # a case that once aborted the whole process runs in its own
    slow: bool = False  # not in `make test-quick`: ~1 s, and a quick case of its kind stays


def results(out: Path) -> list[dict]:
    import csv
    limit = csv.field_size_limit(1 << 30)  # sitefit carries cells of any length
    try:
        with open(out / "results.csv", encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    finally:
        csv.field_size_limit(limit)


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
         ["photo.png: not a spreadsheet (expected .xlsx, .xlsm, .xls, .ods, .csv, .tsv)"]),
    Case("a folder with no spreadsheets", empty_folder, 2, ["inbox: no spreadsheets here"]),
    Case("a path that does not exist", lambda d: d / "nope.xlsx", 2, ["no such file"]),
    # ---- a sheet's extent: the reader allocates every cell up to the farthest one
    Case("a stray cell at XFD1048576", stray_cell("XFD1048576"), 2,
         ["in.xlsx, sheet Sites: refused: cell XFD1048576 lies far outside the data",
          "1,048,576 rows by 16,384 columns"], own_process=True, slow=True),
    Case("a stray cell in a sheet with no cell references",
         sheet_xml(lambda xml: with_last_row(b"<row/>" * 1_048_572 + b"<row>" + b"<c/>" * 16_383
                                             + b"<c><v>1</v></c></row>")(
             without_references(xml))), 2,
         ["sheet Sites: refused: cell XFD1048576 lies far outside the data"], own_process=True,
         slow=True),
    Case("a stray cell under a namespace prefix",
         sheet_xml(lambda xml: prefixed(with_last_row(
             b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')(xml))), 2,
         ["sheet Sites: refused: cell XFD1048576"], own_process=True, slow=True),
    Case("a stray cell with a tab before its reference",
         sheet_xml(with_last_row(b'<row r="1048576"><c\tr="XFD1048576"><v>1</v></c></row>')), 2,
         ["sheet Sites: refused: cell XFD1048576"], own_process=True, slow=True),
    Case("cells with no references", sheet_xml(without_references), 0, rows=(2, 2, 0),
         own_process=True, slow=True),
    Case("an empty styled cell at XFD1048576",
         sheet_xml(with_last_row(b'<row r="1048576"><c r="XFD1048576" s="0"/></row>')), 0,
         rows=(2, 2, 0), own_process=True, slow=True),
    Case("a dimension that claims the whole sheet",
         sheet_xml(lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"',
                                      xml)), 0, rows=(2, 2, 0), own_process=True, slow=True),
    Case("an .ods with a stray cell", ods_with(
        b'<table:table-row table:number-rows-repeated="1048572"><table:table-cell/>'
        b'</table:table-row><table:table-row><table:table-cell table:number-columns-repeated='
        b'"16383"/><table:table-cell office:value-type="float" office:value="1"/>'
        b"</table:table-row>"), 2,
         ["in.ods, sheet Sites: refused: cell XFD1048576 lies far outside the data"],
         own_process=True, slow=True),
    Case("an .ods whose rows repeat into millions of cells", ods_with(
        b'<table:table-row table:number-rows-repeated="1048572"><table:table-cell '
        b'table:number-columns-repeated="10" office:value-type="string"><text:p>x</text:p>'
        b"</table:table-cell></table:table-row>"), 2,
         ["in.ods, sheet Sites: refused: cell J1048575 lies far outside the data",
          "1,048,575 rows by 10 columns"], own_process=True, slow=True),
    # ---- zip headers that lie
    Case("a sheet larger than its zip header says", lying_zip("size"), 2,
         ["in.xlsx, sheet Sites: cannot be read: the file is damaged", "save it again"]),
    Case("a sheet with a wrong zip checksum", lying_zip("crc"), 2,
         ["in.xlsx, sheet Sites: cannot be read: the file is damaged"]),
    Case("a sheet whose compressed size lies", lying_zip("compressed size"), 2,
         ["in.xlsx, sheet Sites: cannot be read: the file is damaged"]),
    # ---- CSV records and physical lines
    Case("an unbalanced quote", text_file("in.csv", lines(HEADER) + 'A-1,"Alpha,30,0.04,air,yes,yes\n'
                                          + lines(GOOD, row(site_id="C-3"), row(site_id="D-4"))),
         1, ["in.csv, row 2, column site_name: 'Alpha,30,0.04,air,yes,yes': a quote opens this "
             "cell on line 2 and is never closed there, so lines 3-5 ran into it (read here as rows of their own)"],
         rows=(4, 3, 1)),
    Case("an unbalanced quote closed by a later one",
         text_file("in.csv", lines(HEADER) + 'A-1,Alpha,30,0.04,air,yes,"yes\n'
                   + lines(GOOD) + 'C-3,"Gamma",8,0.06,air,no,no\n'),
         1, ["row 2, column staffing_24x7", "so lines 3-4 ran into it"], rows=(3, 2, 1)),
    Case("a real line break inside a quoted cell",
         csv_file(HEADER + ["notes"], ROW + ["first line\nsecond, with a comma"], GOOD + [""]),
         0, rows=(2, 2, 0), check=lambda o: results(o)[0]["notes"] ==
         "first line\nsecond, with a comma" or pytest.fail("line break")),
    Case("a 200,000-character name in a CSV",
         csv_file(HEADER, ROW, row(site_id="L", site_name="x" * 200_000)), 1,
         ["in.csv, row 3, column site_name", "text of 200,000 characters; at most 255"],
         rows=(2, 1, 1)),
    Case("a 200,000-digit capacity in a CSV",
         csv_file(HEADER, ROW, row(site_id="N", power_capacity_mw="9" * 200_000)), 1,
         ["in.csv, row 3, column power_capacity_mw", "not a finite number"], rows=(2, 1, 1)),
    Case("a 150,000-character extra column in a CSV",
         csv_file(HEADER + ["memo"], ROW + ["m" * 150_000]), 0, rows=(1, 1, 0),
         check=lambda o: "m" * 150_000 in (o / "results.csv").read_text(encoding="utf-8")
         or pytest.fail("memo")),
    # ---- encodings and line endings
    Case("one Latin-1 line in a UTF-8 CSV",
         lambda d: raw_bytes("in.csv", lines(HEADER, row(site_name="Zürich Nord")).encode() +
                             lines(row(site_id="G-3", site_name="Gällivare Söder")).encode(
                                 "latin-1") + lines(GOOD).encode())(d), 1,
         ["in.csv, row 3, column site_name: 'Gällivare Söder': line 3 is not UTF-8, unlike the "
          "rest of the file"], rows=(3, 2, 1),
         check=lambda o: results(o)[0]["site_name"] == "Zürich Nord" or pytest.fail("utf-8")),
    Case("CSV in Windows-1252", csv_file(HEADER, row(site_name="Café “Nord” – 5 €"),
                                         encoding="cp1252"), 0, rows=(1, 1, 0),
         check=lambda o: results(o)[0]["site_name"] == "Café “Nord” – 5 €" or pytest.fail("1252")),
    Case("UTF-16 text as Excel saves it", text_file(
        "in.tsv", "\ufeff" + lines(HEADER, row(site_name="Zürich – 東京"), GOOD, delimiter="\t",
                                  end="\r\n"), "utf-16-le"), 0, rows=(2, 2, 0),
         check=lambda o: results(o)[0]["site_name"] == "Zürich – 東京" or pytest.fail("utf-16")),
    Case("UTF-16 big-endian CSV", text_file("in.csv", "\ufeff" + lines(HEADER, ROW), "utf-16-be"),
         0, rows=(1, 1, 0)),
    Case("UTF-16 without a byte-order mark", text_file("in.csv", lines(HEADER, row(
        site_name="Zürich"), GOOD), "utf-16-le"), 0, rows=(2, 2, 0),
         check=lambda o: results(o)[0]["site_name"] == "Zürich" or pytest.fail("utf-16-le")),
    Case("UTF-32 with a byte-order mark", text_file("in.csv", lines(HEADER, ROW), "utf-32"), 0,
         rows=(1, 1, 0)),
    Case("500 extra columns", csv_file(HEADER + [f"extra {n}" for n in range(500)],
                                       ROW + list(range(500))), 0, rows=(1, 1, 0)),
    Case("UTF-16 text cut mid-character",
         lambda d: raw_bytes("in.csv", codecs.BOM_UTF16_LE + lines(HEADER, ROW).encode(
             "utf-16-le")[:-1])(d), 2, ["in.csv: starts as UTF-16 text, but bytes"]),
    Case("tab-separated .tsv", text_file("in.tsv", lines(HEADER, ROW, delimiter="\t")), 0,
         rows=(1, 1, 0)),
    Case("classic Mac line endings", text_file("in.csv", lines(HEADER, ROW, GOOD, end="\r")), 0,
         rows=(2, 2, 0)),
    Case("mixed line endings, none at the end",
         text_file("in.csv", lines(HEADER, end="\r\n") + lines(ROW) + ",".join(GOOD_TEXT)), 0,
         rows=(2, 2, 0)),
    Case("every text column with quotes, commas and line breaks",
         csv_file(HEADER + TEXT_COLUMNS, ROW + [f'"{c}", with\r\na break' for c in TEXT_COLUMNS]),
         0, rows=(1, 1, 0), check=lambda o: all(
             results(o)[0][c] == f'"{c}", with\r\na break' for c in TEXT_COLUMNS)
         or pytest.fail("text columns")),
    Case("every text column in UTF-16 with non-Latin scripts",
         text_file("in.csv", "\ufeff" + lines(HEADER + TEXT_COLUMNS,
                                             ROW + ["Ōsaka 東京 Київ" for _ in TEXT_COLUMNS]),
                   "utf-16"), 0, rows=(1, 1, 0),
         check=lambda o: all(results(o)[0][c] == "Ōsaka 東京 Київ" for c in TEXT_COLUMNS)
         or pytest.fail("scripts")),
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


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=pytest.mark.slow if c.slow else ())
                                  for c in CASES])
def test_bad_input(tmp_path, case):
    source = case.build(tmp_path)
    out = tmp_path / "out"
    arguments = ["evaluate", str(source), "--out", str(out), "--no-pdf"]
    if case.own_process:
        result = subprocess.run([sys.executable, "-m", "pipeline", *arguments],
                                capture_output=True, text=True)
        exit_code, stderr = result.returncode, result.stderr
    else:
        result = CliRunner().invoke(cli, arguments, catch_exceptions=False)
        exit_code, stderr = result.exit_code, result.stderr
    assert exit_code == case.exit, stderr
    assert "Traceback" not in stderr and stderr.startswith("sitefit: ")
    for fragment in case.says:
        assert fragment in stderr
    if case.rows is not None:
        counts = manifest(out)["rows"]
        assert (counts["data_rows"], counts["evaluated"], counts["rejected"]) == case.rows
        assert counts["evaluated"] + counts["rejected"] == counts["data_rows"]
        assert len(results(out)) == counts["evaluated"]
    elif case.exit == 2:
        assert not out.exists()  # nothing readable: no half-made outputs either
    if case.check:
        case.check(out)
