"""Write tests/corpus/exports/: the sample portfolio as LibreOffice saves it, in the formats
and locales spreadsheet users send, and tests/corpus/formula-errors.xlsx and .ods: formulas
whose saved values are errors (tests/test_exports.py reads them all back).

Needs LibreOffice (Debian: ``apt-get install libreoffice-calc-nogui``); the tests need only
the files it writes, which are committed. Run it again after changing the sample:
``.venv/bin/python scripts/make_corpus.py``.

The sample (input/sites.xlsx) is first laid out as a finance team's workbook: a title row
merged above the header, capacity in kW with thousands grouped, the power cost a formula of
a hidden tariff column, a date column, notes with line breaks and non-ASCII text. LibreOffice
then opens that workbook and saves it as XLSX, as ODS (both with the formulas' values
saved), and as CSV and TSV with the separators, encodings and locales of the table below,
each in a fresh profile of that locale, so its numbers are written as that locale shows
them (``1.200,5`` in de-DE, ``1 200,5`` with a no-break space in fr-CA). Two things
LibreOffice 7.4 cannot do are done to its output afterwards, and only those: a UTF-8
byte-order mark put in front, and records ended in CRLF or CR instead of LF (line breaks
inside a quoted cell are left as LibreOffice wrote them, LF, as Excel writes them).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import python_calamine
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "input" / "sites.xlsx"
OUT = ROOT / "tests" / "corpus" / "exports"
TITLE = "Sample portfolio, Q4 2026 (fictional)"
TARIFF = "Tariff (USD/MWh)"  # hidden; the power cost is a formula of it
SURVEYED = "Surveyed"  # a date column, carried through
CAPACITY_KW = "Power capacity (kW)"
NOTES = {2: "Wind PPA through 2031\nsecond feed studied", 4: "Former aluminium smelter hall – "
         "2 × 60 MW\n“hall B” too", 6: "Hydro PPA with ANDE\r\nsigned 2025"}

# LibreOffice's CSV filter: separator, quote, character set (76 UTF-8, 1 Windows-1252,
# 65535 UTF-16 with BOM), first line, cell format, language, quoted as text, detect special
# numbers, save as shown, export formulas, remove spaces, sheets (-1 every sheet to its own
# file). https://help.libreoffice.org/latest/en-US/text/shared/guide/csv_params.html
CSV_FILTER = "Text - txt - csv (StarCalc):{sep},34,{charset},1,,0,false,true,true,false,false,-1"


@dataclass(frozen=True)
class Export:
    name: str
    locale: str
    separator: str
    charset: int = 76
    bom: bool = False
    line_end: bytes = b"\n"


EXPORTS = (
    Export("comma-en-US.csv", "en_US", ","),
    Export("comma-en-US-bom-crlf.csv", "en_US", ",", bom=True, line_end=b"\r\n"),
    Export("comma-en-US-windows-1252.csv", "en_US", ",", charset=1, line_end=b"\r\n"),
    Export("semicolon-en-US.csv", "en_US", ";"),
    Export("semicolon-de-DE.csv", "de_DE", ";"),
    Export("semicolon-de-DE-bom-crlf.csv", "de_DE", ";", bom=True, line_end=b"\r\n"),
    Export("semicolon-de-DE-cr.csv", "de_DE", ";", line_end=b"\r"),
    Export("semicolon-fr-CA.csv", "fr_CA", ";"),
    Export("tab-de-DE.tsv", "de_DE", "\t"),
    Export("tab-en-US-utf-16.tsv", "en_US", "\t", charset=65535),
)


def source_workbook(path: Path) -> None:
    """The sample as a finance team lays it out; formulas without saved values, for
    LibreOffice to calculate."""
    rows = python_calamine.CalamineWorkbook.from_path(str(SAMPLE)).get_sheet_by_name(
        "Sites").to_python()
    header = rows[0]
    capacity, cost, notes = (header.index(h) for h in (
        "Power capacity (MW)", "Power cost ($/kWh)", "Notes"))
    header = [CAPACITY_KW if h == "Power capacity (MW)" else h for h in header]
    tariff_column = get_column_letter(len(header) + 1)
    book = Workbook()
    sheet = book.active
    sheet.title = "Sites"
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header + [TARIFF, SURVEYED])
    for number, row in enumerate(rows[1:], start=1):
        line = sheet.max_row + 1
        values = [None if v == "" else v for v in row]
        tariff = round(values[cost] * 1000, 6)
        values[capacity] = values[capacity] * 1000
        values[cost] = f"=ROUND({tariff_column}{line}/1000,6)"
        values[notes] = NOTES.get(number, values[notes])
        sheet.append(values + [tariff, dt.date(2026, 1, 1) + dt.timedelta(days=7 * number)])
        sheet.cell(line, capacity + 1).number_format = "#,##0"
        sheet.cell(line, len(header) + 2).number_format = "YYYY-MM-DD"
    sheet.column_dimensions[tariff_column].hidden = True
    book.save(path)


def errors_workbook(path: Path) -> None:
    """Two sites whose formulas fail: a division by zero in a required column, a lookup of a
    missing key in an optional one; and a third that is fine."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Sites"
    sheet.append(["site_id", "site_name", "power_capacity_mw", "power_cost_usd_per_kwh",
                  "cooling_type", "fiber_on_site", "staffing_24x7", "metro_rtt_ms", "divisor"])
    sheet.append(["E-1", "Divides", "=60/I2", 0.04, "air", "yes", "yes", 2, 0])
    sheet.append(["E-2", "Looks up", 30, 0.04, "air", "yes", "yes",
                  '=VLOOKUP("nowhere",A2:B4,2,FALSE)', 1])
    sheet.append(["E-3", "Fine", "=60/I4", 0.04, "air", "yes", "yes", 2, 2])
    book.save(path)


def convert(source: Path, target_dir: Path, to: str, locale: str, profiles: Path) -> Path:
    """``source`` saved by LibreOffice in the format ``to``, in a profile of ``locale``."""
    env = {**os.environ, "LANG": f"{locale}.UTF-8", "LC_ALL": f"{locale}.UTF-8"}
    target_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profiles / locale}", "--headless",
                    "--convert-to", to, "--outdir", str(target_dir), str(source)],
                   check=True, env=env, capture_output=True, timeout=300)
    (written,) = target_dir.iterdir()
    return written


def with_line_ends(data: bytes, end: bytes) -> bytes:
    """``data`` with each record's LF (outside quotes) replaced by ``end``."""
    out, quoted = bytearray(), False
    for byte in data:
        if byte == ord('"'):
            quoted = not quoted
        out += end if byte == ord("\n") and not quoted else bytes([byte])
    return bytes(out)


def main() -> None:
    if shutil.which("soffice") is None:
        sys.exit("make_corpus: needs LibreOffice (apt-get install libreoffice-calc-nogui)")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "source").mkdir()
        source = work / "source" / "sites.xlsx"
        source_workbook(source)
        for name, to in (("sites.xlsx", "xlsx:Calc MS Excel 2007 XML"), ("sites.ods", "ods")):
            shutil.copy(convert(source, work / "out" / name, to, "en_US", work / "profiles"), OUT / name)
        errors = work / "source" / "formula-errors.xlsx"
        errors_workbook(errors)
        for name, to in (("formula-errors.xlsx", "xlsx:Calc MS Excel 2007 XML"),
                         ("formula-errors.ods", "ods")):
            shutil.copy(convert(errors, work / "out" / name, to, "en_US", work / "profiles"),
                        OUT.parent / name)
        for export in EXPORTS:
            written = convert(source, work / "out" / export.name, "csv:" + CSV_FILTER.format(
                sep=ord(export.separator), charset=export.charset), export.locale,
                work / "profiles")
            data = written.read_bytes()
            if export.line_end != b"\n":
                data = with_line_ends(data, export.line_end)
            (OUT / export.name).write_bytes((b"\xef\xbb\xbf" if export.bom else b"") + data)
    print(f"make_corpus: wrote {2 + len(EXPORTS)} files to {OUT.relative_to(ROOT)} and two "
          f"workbooks of formula errors to {OUT.parent.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
