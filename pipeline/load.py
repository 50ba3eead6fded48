"""Load stage: read a spreadsheet into raw cells under canonical column names.

Nothing here judges values; it finds the sheet and the header row, maps headers
onto the contract, reads units written in headers, and keeps every non-blank row
under its spreadsheet row number so later messages can point at it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd

from pipeline import contract
from pipeline.errors import InputError

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv")
TEXT_SUFFIXES = (".csv", ".tsv")
HEADER_SEARCH_ROWS = 30
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
MAX_GRID_CELLS = 10_000_000  # rows x columns a sheet may span: 100,000 sites by 100 columns


class LoadError(InputError):
    """The file cannot be read as a portfolio at all; the message says why and what to do."""


@dataclass
class RawTable:
    """Cells as found, one row per non-blank data row, indexed by spreadsheet row number."""

    frame: pd.DataFrame
    path: Path
    sheet: str
    header_row: int
    units: dict[str, str] = field(default_factory=dict)
    extras: list[str] = field(default_factory=list)
    skipped_rows: dict[int, str] = field(default_factory=dict)
    formulas: dict[tuple[int, str], str] = field(default_factory=dict)  # formulas with no value
    unreadable: dict[tuple[int, str], tuple[str, str]] = field(default_factory=dict)  # -> (code, why)
    delimiter: str | None = None  # of a text file; None for a workbook


def load(path: Path) -> RawTable:
    """Read ``path`` (xlsx, xlsm, xls, ods or csv) into a RawTable, or raise LoadError."""
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        rows, unreadable, delimiter = _read_text(path)
        table = _from_rows(path, "csv", rows, unreadable=unreadable)
        table.delimiter = delimiter
        return table
    if suffix in SPREADSHEET_SUFFIXES:
        return _from_workbook(path)
    raise LoadError(f"{path}: not a spreadsheet (expected {', '.join(SPREADSHEET_SUFFIXES)})")


def _read_text(path: Path) -> tuple[list[list], dict[tuple[int, int], tuple[str, str]], str]:
    """The records of a delimited text file, the cells (row, column; 0-based) that could not
    be read as written, with a problem code and why, and the delimiter.

    Records end where the file's lines end: at LF or CRLF, or at CR in a file with no LF at
    all (old Mac); a lone CR elsewhere is part of its cell. A quoted cell may hold line breaks.
    A quote is judged left open only where the file cannot be read as RFC 4180: a record
    spanning several lines with a number of cells no one-line row or the header has, or a
    quote still open at the end of the file. Then the cell that opened the quote is flagged
    and the lines it swallowed are read as rows.
    """
    text, mixed = _decode(path, path.read_bytes())
    lines, restore = _physical_lines(text)
    hint = _SEPARATOR_HINT.match(lines[0]) if lines else None
    delimiter = hint[1] if hint else _delimiter(lines)
    skip = 1 if hint else 0  # Excel's "sep=;" line is a hint, not a row
    records: list[tuple[list[str], int, int]] = []  # fields, first and last physical line
    field_limit = csv.field_size_limit(max(len(text), csv.field_size_limit()))
    try:
        reader = csv.reader(lines[skip:], delimiter=delimiter)
        start = skip + 1
        for record in reader:
            end = reader.line_num + skip
            records.append((restore(record), start, end))
            start = end + 1
        header_at = _find_header([fields for fields, _, _ in records]) or 0
        widths = {len(fields) for fields, start, end in records[header_at:] if start == end}
        widths.add(len(records[header_at][0]) if records else 0)
        rows: list[list] = []
        first_lines: list[int] = []
        problems: dict[tuple[int, int], tuple[str, str]] = {}
        for number, (record, start, end) in enumerate(records):
            if (end == start or number <= header_at
                    or (len(record) in widths and not _open_at_end(lines, start, end, delimiter))):
                rows.append(record)
                first_lines.append(start)
                continue
            opener = _fields(lines[start - 1], delimiter, restore)
            span = f"line {end}" if end == start + 1 else f"lines {start + 1}-{end}"
            problems[(len(rows), len(opener) - 1)] = ("unclosed-quote", (
                f"a quote opens this cell on line {start} and is never closed there, so "
                f"{span} ran into it (read here as rows of their own); close the quote, or "
                "write a quote inside a cell twice: \"\""))
            rows.append(opener)
            first_lines.append(start)
            for line in range(start + 1, end + 1):
                rows.append(_fields(lines[line - 1], delimiter, restore))
                first_lines.append(line)
    finally:
        csv.field_size_limit(field_limit)
    if mixed:
        problems.update(_legacy_cells(rows, first_lines))
    return rows, problems, delimiter


_SEPARATOR_HINT = re.compile(r"^\ufeff?sep=([^\r\n])\r?\n?$", re.IGNORECASE)
DELIMITERS = (",", ";", "\t", "|")
_FIRST_LINE_END = re.compile(r"\r\n|\r|\n")
_LONE_CR = re.compile(r"\r(?!\n)")
_LONE_LF = re.compile(r"(?<!\r)\n")
_LF_LINE = re.compile(r"[^\n]*\n|[^\n]+$")
_CR_LINE = re.compile(r"[^\r]*(?:\r\n|\r)|[^\r]+$")


def _physical_lines(text: str):
    """The file's lines, each with its end, and a function that gives a record's cells back
    the line breaks that are not the file's record end.

    The first line's end is the file's: LF or CRLF (then a lone CR is cell content) or CR,
    as old Mac files have (then a lone LF is). The csv module takes any of them for a record
    end outside quotes, so the other one stands in as a character the text lacks."""
    first = _FIRST_LINE_END.search(text)
    lone, line, kept = ((_LONE_LF, _CR_LINE, "\n") if first and first[0] == "\r"
                        else (_LONE_CR, _LF_LINE, "\r"))
    if not lone.search(text):
        return line.findall(text), lambda cells: cells
    stand_in = next(chr(c) for c in range(0xE000, 0xF900) if chr(c) not in text)
    return (line.findall(lone.sub(stand_in, text)),
            lambda cells: [cell.replace(stand_in, kept) for cell in cells])


def _open_at_end(lines: list[str], start: int, end: int, delimiter: str) -> bool:
    """Whether the record on lines ``start``-``end`` (1-based) ends the file inside a quote:
    a line added after it is then read into the same record."""
    if end != len(lines):
        return False
    record = lines[start - 1:end]
    record[-1] = record[-1].rstrip("\r\n") + "\n"
    return len(list(csv.reader(record + ["added\n"], delimiter=delimiter))) == 1


def _delimiter(lines: list[str]) -> str:
    """The delimiter under which the file's first lines hold the header with the most
    contract columns; where none names any, the one ``csv.Sniffer`` guesses (else ``,``)."""
    sample = "".join(lines[:HEADER_SEARCH_ROWS * 4])[:1 << 16]

    def columns_named(delimiter: str) -> int:
        try:
            records = list(islice(csv.reader(io.StringIO(sample, newline=""),
                                             delimiter=delimiter), HEADER_SEARCH_ROWS))
        except csv.Error:  # a cell longer than the sample's field limit
            return 0
        return max((len(_header_matches(record)) for record in records), default=0)

    named = {delimiter: columns_named(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=named.get)
    if named[best]:
        return best
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return ","


def _fields(line: str, delimiter: str, restore) -> list[str]:
    return restore(next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), []))


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_DECODED_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")


def _decode(path: Path, data: bytes) -> tuple[str, bool]:
    """The text of a delimited file, and whether it is UTF-8 with some lines that are not.

    UTF-16 (Excel's "Unicode Text", with a byte-order mark or not), UTF-32 and UTF-8 are read
    as such; a file with no UTF-8 at all is read as Windows-1252 (Latin-1 where that has no
    character). In a UTF-8 file, bytes that are not UTF-8 are kept as escapes for
    ``_legacy_cells`` to flag.
    """
    encoding = _wide_encoding(data)
    if encoding:
        try:
            return data.decode(encoding), False
        except UnicodeDecodeError as exc:
            raise LoadError(f"{path}: starts as {encoding.upper()} text, but bytes "
                            f"{exc.start:,}-{exc.end:,} are not; save the file again") from None
    if b"\x00" in data[:4096]:
        raise LoadError(f"{path}: not a text CSV file (it contains binary data)")
    text = data.decode("utf-8-sig", errors="surrogateescape")
    if not _ESCAPED_BYTE.search(text):
        return text, False
    if _DECODED_NON_ASCII.search(text):
        return text, True
    try:
        return data.decode("cp1252"), False
    except UnicodeDecodeError:  # five bytes Windows-1252 leaves undefined
        return data.decode("latin-1"), False


def _wide_encoding(data: bytes) -> str | None:
    """``utf-32`` or ``utf-16`` (and which byte order) if ``data`` is text in one of them: by
    its byte-order mark, or, without one, by the zero byte every ASCII character brings."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = data[:4096 - len(data[:4096]) % 2]
    if len(sample) >= 16:
        for order, high, low in (("le", sample[1::2], sample[::2]),
                                 ("be", sample[::2], sample[1::2])):
            if low.count(0) == 0 and high.count(0) * 10 >= len(high) * 9:
                return f"utf-16-{order}"
    return None


def _legacy_cells(rows: list[list], first_lines: list[int]) -> dict[tuple[int, int],
                                                                    tuple[str, str]]:
    """Cells of a UTF-8 file holding bytes that are not UTF-8: each is replaced by its
    Windows-1252 reading (so it can be shown) and flagged, naming its line."""
    found = {}
    for index, row in enumerate(rows):
        for column, cell in enumerate(row):
            if cell.isascii() or not _ESCAPED_BYTE.search(cell):
                continue
            raw = cell.encode("utf-8", errors="surrogateescape")
            row[column] = raw.decode("cp1252", errors="replace")
            found[(index, column)] = ("encoding-error", (
                f"line {first_lines[index]} is not UTF-8, unlike the rest of the file; shown as "
                "Windows-1252 would read it, which may be wrong. Save the file as UTF-8 (Excel: "
                "CSV UTF-8) and run again"))
    return found


def _from_workbook(path: Path) -> RawTable:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):  # not a zip (.xls) or unreadable: calamine says why
        return _read_workbook(path, None)
    with archive:
        return _read_workbook(path, archive)


def _read_workbook(path: Path, archive: zipfile.ZipFile | None) -> RawTable:
    import python_calamine

    if archive is not None:
        expanded = sum(info.file_size for info in archive.infolist())
        if expanded > MAX_UNCOMPRESSED_BYTES:
            raise LoadError(f"{path}: refused: its parts expand to {expanded / 2**20:,.0f} MiB, "
                            f"over the {MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MiB limit")
    ods_errors: dict[str, dict[tuple[int, int], str]] = {}
    if archive is not None and "content.xml" in archive.namelist():
        ods_errors = _scan_ods(archive, path)  # OpenDocument: read whole, so checked first
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise LoadError(f"{path}: the workbook is password-protected; save a copy without a "
                        "password and run again") from None
    except Exception as exc:  # calamine raises several unrelated types for bad files
        if _is_ole_file(path) and path.suffix.lower() in (".xlsx", ".xlsm"):
            raise LoadError(f"{path}: the workbook is password-protected (encrypted); save a "
                            "copy without a password and run again") from None
        raise LoadError(f"{path}: cannot be read as a spreadsheet ({exc}); "
                        "open it in Excel and save it again as .xlsx") from exc
    sheets = workbook.sheets_metadata
    if not sheets:
        raise LoadError(f"{path}: the workbook has no sheets")
    visible = python_calamine.SheetVisibleEnum.Visible
    # The sheet named Sites first, then visible sheets in order, hidden ones last.
    order = sorted(sheets, key=lambda s: (s.name.strip().lower() != "sites", s.visible != visible))
    first_rows = None
    for sheet in order:
        rows = _sheet_rows(path, workbook, archive, sheet.name)
        if _find_header(rows) is not None:
            formulas, errors = _formula_cells(archive, sheet.name, path) if archive else ({}, {})
            errors.update(ods_errors.get(sheet.name, {}))
            for (row, column), error in errors.items():  # read as blank: shown as saved
                if row < len(rows) and column < len(rows[row]):
                    rows[row][column] = error
            return _from_rows(path, sheet.name, rows, formulas)
        if first_rows is None:
            first_rows = rows
    return _from_rows(path, order[0].name, first_rows)


def _sheet_rows(path: Path, workbook, archive: zipfile.ZipFile | None, sheet: str) -> list[list]:
    """Every cell of ``sheet`` as rows, once its extent is known to be safe to read."""
    import python_calamine

    where = f"{path}, sheet {sheet}"
    try:
        part = _sheet_part(archive, sheet) if archive is not None else None
        if part is not None:
            _check_extent(archive, part, where)
        return workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except (python_calamine.CalamineError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise LoadError(f"{where}: cannot be read: the file is damaged ({exc}); open it in "
                        "Excel and save it again") from None


_UNREFERENCED_CELL = re.compile(rb'<c(?:[>/]|\s(?!r="))')
_PREFIXED_CELL = re.compile(rb"<[\w.-]+:c[\s>/]")
_VALUED_CELL = re.compile(rb'<c\sr="([A-Z]+[0-9]+)"[^>/]*>')
_ROW_OR_CELL = re.compile(rb"<(?:[\w.-]+:)?(row|c)([\s/][^>]*)?>")
_REFERENCE = re.compile(rb'\sr="([A-Z]*)([0-9]+)"')
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _check_extent(archive: zipfile.ZipFile, part: str, where: str) -> None:
    """Refuse a sheet whose cells span more than MAX_GRID_CELLS rows x columns.

    The reader allocates the whole rectangle from A1 to the farthest cell holding anything,
    whatever the sheet's declared dimension says: one stray cell at XFD1048576 asks for
    512 GiB and aborts the process. Cells are found from their references, or, where a
    writer left those out, from their order, as the reader places them.
    """
    _refuse_beyond(where, *_farthest_cells(archive, part))


def _refuse_beyond(where: str, far_row: tuple[int, str], far_column: tuple[int, str]) -> None:
    (rows, lowest), (columns, rightmost) = far_row, far_column
    if rows * columns <= MAX_GRID_CELLS:
        return
    cells = " and ".join(dict.fromkeys((rightmost, lowest)))
    raise LoadError(
        f"{where}: refused: cell {cells} lies far outside the data, so the sheet spans "
        f"{rows:,} rows by {columns:,} columns ({rows * columns:,} cells), over the "
        f"{MAX_GRID_CELLS:,} sitefit reads; clear that cell (or delete the rows and columns "
        "around the data) and save again")


_ODS_TAG = re.compile(rb"<(?:[\w.-]+:)?(table|table-row|table-cell|covered-table-cell)([\s/][^>]*)?>")
_ODS_NAME = re.compile(rb'[\s:]name="([^"]*)"')
_ODS_REPEATED = re.compile(rb'number-(?:rows|columns)-repeated="([0-9]+)"')


def _scan_ods(archive: zipfile.ZipFile, path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Refuse an OpenDocument sheet spanning more than MAX_GRID_CELLS rows x columns, and
    find, by sheet, the cells (row, column; 0-based) whose formula's value is an error.

    Its rows and cells repeat by count (``number-rows-repeated``), so a few bytes can stand
    for a grid of millions of cells, all of which the reader builds. A formula's error is
    saved as the text shown (``#DIV/0!``, ``Err:502``), which the reader gives as blank.
    """
    sheet, row, height = None, 0, 0
    far: list[tuple[int, str]] = [(0, ""), (0, "")]
    errors: dict[str, dict[tuple[int, int], str]] = {}
    try:
        with archive.open("content.xml") as stream:
            for block in _tag_blocks(stream):
                for found in _ODS_TAG.finditer(block):
                    tag, attributes = found[1], found[2] or b""
                    repeated = _ODS_REPEATED.search(attributes)
                    count = int(repeated[1]) if repeated else 1
                    if tag == b"table":
                        if sheet is not None:
                            _refuse_beyond(f"{path}, sheet {sheet}", *far)
                        name = _ODS_NAME.search(attributes)
                        sheet = name[1].decode(errors="replace") if name else "?"
                        row, height, far = 0, 0, [(0, ""), (0, "")]
                    elif tag == b"table-row":
                        row, height, column = row + height, count, 0
                    else:
                        if not attributes.endswith(b"/") or b"value-type" in attributes:
                            name = f"{contract.column_letter(column + count - 1)}{row + height}"
                            far = [max(far[0], (row + height, name)),
                                   max(far[1], (column + count, name))]
                        if _ODS_ERROR in attributes and (shown := _ODS_TEXT.match(
                                block, found.end())):
                            errors.setdefault(sheet, {})[(row, column)] = shown[1].decode(
                                errors="replace")
                        column += count
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise LoadError(f"{path}: cannot be read: the file is damaged ({exc}); open it and save "
                        "it again") from None
    if sheet is not None:
        _refuse_beyond(f"{path}, sheet {sheet}", *far)
    return errors


_ODS_ERROR = b'calcext:value-type="error"'
_ODS_TEXT = re.compile(rb"\s*<text:p>([^<]*)</text:p>")


def _farthest_cells(archive: zipfile.ZipFile, part: str) -> tuple[tuple[int, str], ...]:
    """((row, reference), (column, reference)), 1-based, of the lowest and the rightmost
    cells that may hold a value (an empty ``<c .../>`` holds none).

    Cells written as ``<c r="B7"`` (every writer we know) are found by searching only for
    cells beyond the farthest seen so far, which is quick; anything else is walked in order.
    """
    far = [(0, ""), (0, "")]

    def reach(reference: bytes) -> None:
        row, column = _cell_position(reference.decode())
        far[:] = max(far[0], (row + 1, reference.decode())), max(far[1], (column + 1,
                                                                        reference.decode()))

    with archive.open(part) as stream:
        for block in _tag_blocks(stream):
            for end in (block[:1 << 16], block[-(1 << 16):]):
                for reference in _VALUED_CELL.findall(end):
                    reach(reference)  # the header and the last rows: usually the far ones
            if _UNREFERENCED_CELL.search(block) or (b":c" in block
                                                    and _PREFIXED_CELL.search(block)):
                return _farthest_by_order(archive, part)
            position = 0
            while found := _beyond(far).search(block, position):
                reach(found[1])
                position = found.end()
    return far[0], far[1]


def _beyond(far: list[tuple[int, str]]) -> re.Pattern:
    """A pattern for a cell that may hold a value, lower or further right than ``far``."""
    rows = _greater(str(far[0][0]), "0123456789")
    columns = _greater(contract.column_letter(far[1][0] - 1) if far[1][0] else "", _LETTERS)
    return re.compile(f'<c\\sr="((?:{columns})[0-9]+|[A-Z]+(?:{rows}))"[^>/]*>'.encode())


def _greater(text: str, digits: str) -> str:
    """A pattern for the numerals in ``digits`` (ordered, no leading zero) above ``text``."""
    low, high = digits[digits[0] == "0"], digits[-1]
    any_digit = f"[{digits[0]}-{high}]"
    options = [f"[{low}-{high}]{any_digit}{{{len(text)},}}"]
    for place, digit in enumerate(text):
        above = digits.index(digit) + 1
        if above < len(digits):
            rest = len(text) - place - 1
            options.append(f"{text[:place]}[{digits[above]}-{high}]{any_digit}{{{rest}}}")
    return "|".join(options)


def _farthest_by_order(archive: zipfile.ZipFile, part: str) -> tuple[tuple[int, str], ...]:
    far_row = far_column = (0, "")
    row = column = 0
    with archive.open(part) as stream:
        for block in _tag_blocks(stream):
            for tag, attributes in _ROW_OR_CELL.findall(block):
                reference = _REFERENCE.search(attributes)
                if tag == b"row":
                    row = int(reference[2]) if reference else row + 1
                    column = 0
                    continue
                if reference and reference[1]:
                    row, column = (n + 1 for n in _cell_position(
                        (reference[1] + reference[2]).decode()))
                else:
                    column += 1
                if not attributes.endswith(b"/"):
                    name = contract.column_letter(column - 1) + str(row)
                    far_row, far_column = max(far_row, (row, name)), max(far_column, (column, name))
    return far_row, far_column


def _tag_blocks(stream, size: int = 1 << 23):
    """The stream in blocks of about ``size`` bytes, each cut before its last ``<`` so that
    no tag is split between two blocks."""
    tail = b""
    while data := stream.read(size):
        data = tail + data
        cut = data.rfind(b"<")
        cut = len(data) if cut <= 0 else cut
        yield data[:cut]
        tail = data[cut:]
    if tail:
        yield tail


def _is_ole_file(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _formula_cells(archive: zipfile.ZipFile, sheet: str, path: Path
                   ) -> tuple[dict[tuple[int, int], str], dict[tuple[int, int], str]]:
    """Cells of an xlsx sheet, as (row, column): those holding a formula with no saved value,
    with the formula's text, and those whose saved value is an error (``#DIV/0!``).

    Spreadsheets written by programs rather than Excel often store formulas without their
    results, and a formula's error is saved as an error value: the reader gives both as a
    blank cell, and the user should hear why.
    """
    part = _sheet_part(archive, sheet)
    if part is None or not _contains(archive, part, (b"<f", b't="e"')):
        return {}, {}
    uncached, errors = {}, {}
    try:
        with archive.open(part) as stream:
            for _, element in ElementTree.iterparse(stream):
                if element.tag != f"{_MAIN}c":
                    continue
                formula, value = element.find(f"{_MAIN}f"), element.find(f"{_MAIN}v")
                if element.get("t") == "e" and value is not None and value.text:
                    errors[_cell_position(element.get("r", ""))] = value.text
                elif formula is not None and (value is None or value.text is None):
                    uncached[_cell_position(element.get("r", ""))] = (
                        "=" + (formula.text or "(a shared formula)"))
                element.clear()
    except ElementTree.ParseError as exc:  # expat's limits too: entities that amplify
        raise _not_xml(path, part, exc) from None
    return uncached, errors


def _not_xml(path: Path, part: str, exc: ElementTree.ParseError) -> LoadError:
    return LoadError(f"{path}: cannot be read: its part {part} is not XML sitefit reads "
                     f"({exc}); open it in Excel and save it again")


FORMULA_ERROR = re.compile(
    r"^(?:#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|CALC!|FIELD!|"
    r"BLOCKED!|CONNECT!|BUSY!|UNKNOWN!|EXTERNAL!|PYTHON!)|Err:\d{3})$")
"""A formula's error as Excel (``#REF!``) and LibreOffice (``Err:502``) save and show it."""


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip part holding ``sheet`` of an xlsx workbook, if it names one."""
    parts = {}
    for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        try:
            parts[name] = ElementTree.fromstring(archive.read(name))
        except KeyError:
            return None
        except ElementTree.ParseError as exc:  # expat's limits too: entities that amplify
            raise _not_xml(Path(archive.filename or ""), name, exc) from None
    book, rels = parts.values()
    rid = next((s.get(f"{_REL}id") for s in book.iter(f"{_MAIN}sheet")
                if s.get("name") == sheet), None)
    target = next((r.get("Target") for r in rels if r.get("Id") == rid), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _contains(archive: zipfile.ZipFile, part: str, needles: tuple[bytes, ...]) -> bool:
    """Whether any of ``needles`` occurs in ``part``."""
    tail = b""
    keep = max(map(len, needles))
    with archive.open(part) as stream:
        while block := stream.read(1 << 20):
            if any(needle in tail + block for needle in needles):
                return True
            tail = block[-keep:]
    return False


def _cell_position(reference: str) -> tuple[int, int]:
    """0-based (row, column) of an A1 reference: ``B5`` -> (4, 1)."""
    letters = "".join(ch for ch in reference if ch.isalpha())
    column = 0
    for ch in letters.upper():
        column = column * 26 + ord(ch) - 64
    return int(reference[len(letters):]) - 1, column - 1


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_matches(row: list) -> dict[int, str]:
    return {i: contract.HEADER_KEYS[key] for i, cell in enumerate(row)
            if isinstance(cell, str) and (key := contract.header_key(cell)) in contract.HEADER_KEYS}


def _find_header(rows: list[list]) -> int | None:
    """The first row, among the first rows, that names site_id and two other required columns."""
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = set(_header_matches(row).values())
        if "site_id" in found and len(found & set(contract.REQUIRED)) >= 3:
            return number
    return None


TOTALS = re.compile(r"^\s*(grand\s+|sub)?(total|totals|sum)\b", re.IGNORECASE)


def _from_rows(path: Path, sheet: str, rows: list[list],
               formulas: dict[tuple[int, int], str] | None = None,
               unreadable: dict[tuple[int, int], tuple[str, str]] | None = None) -> RawTable:
    where = f"{path.name}, sheet {sheet}" if sheet != "csv" else path.name
    header_at = _find_header(rows)
    if header_at is None:
        expected = ", ".join(contract.REQUIRED)
        if not any(not _is_blank(c) for row in rows for c in row):
            raise LoadError(f"{where}: the sheet is empty; expected a header row with {expected}")
        raise LoadError(f"{where}: no header row found in the first {HEADER_SEARCH_ROWS} rows; "
                        f"expected columns {expected}")
    header = rows[header_at]
    matches = _header_matches(header)
    seen: dict[str, int] = {}
    for index, name in matches.items():
        if name in seen:
            first, again = seen[name], index
            raise LoadError(f"{where}: columns {contract.column_letter(first)} "
                            f"({header[first]!r}) and {contract.column_letter(again)} "
                            f"({header[again]!r}) both mean {name}; keep one")
        seen[name] = index
    missing = [c for c in contract.REQUIRED if c not in seen]
    if missing:
        raise LoadError(f"{where}: required column{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(missing)} missing from the header in row {header_at + 1}")
    units = _header_units(where, header, seen)
    width = max(len(r) for r in rows[header_at:])
    names: dict[int, str] = {i: name for name, i in seen.items()}
    extras = []
    for index in range(width):
        if index in names:
            continue
        label = header[index] if index < len(header) and not _is_blank(header[index]) else None
        has_data = any(index < len(r) and not _is_blank(r[index]) for r in rows[header_at + 1:])
        if label is None and not has_data:
            continue
        label = (str(label).strip() if label is not None
                 else f"column {contract.column_letter(index)}")
        while label in names.values() or label in contract.BY_NAME:
            label += " (input)"
        names[index] = label
        extras.append(label)
    records, numbers, skipped = [], [], {}
    header_cells = [str(c).strip().lower() if not _is_blank(c) else "" for c in header]
    id_index = seen["site_id"]
    for offset, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        if all(_is_blank(c) for c in row):
            continue
        cells = [str(c).strip().lower() if not _is_blank(c) else "" for c in row]
        if cells[:len(header_cells)] == header_cells:
            skipped[offset] = "the header repeated"
            continue
        if (id_index >= len(row) or _is_blank(row[id_index])) and any(
                isinstance(c, str) and TOTALS.match(c) for c in row):
            skipped[offset] = "a totals row"
            continue
        records.append([row[i] if i < len(row) and not _is_blank(row[i]) else None
                        for i in names])
        numbers.append(offset)
    frame = pd.DataFrame(records, columns=list(names.values()), index=numbers, dtype=object)
    frame.index.name = "row"
    kept = set(numbers)

    def by_name(cells: dict[tuple[int, int], object] | None) -> dict[tuple[int, str], object]:
        return {(row + 1, names[column]): text for (row, column), text in (cells or {}).items()
                if row + 1 in kept and column in names}

    return RawTable(frame, path, sheet, header_at + 1, units, extras, skipped, by_name(formulas),
                    by_name(unreadable))


def _header_units(where: str, header: list, seen: dict[str, int]) -> dict[str, str]:
    """Units written in brackets in the headers, checked against each column's kind."""
    units = {}
    for name, index in seen.items():
        column = contract.BY_NAME[name]
        written = contract.header_unit(header[index])
        if not written or column.unit is None:
            continue
        token = contract.normalize_unit(written)
        unit = contract.UNITS.get(token)
        wanted = contract.UNITS[column.unit].kind
        if unit is None:
            raise LoadError(f"{where}: header {header[index]!r} names unit {written!r}, which "
                            f"sitefit does not know; use {column.unit_label}")
        if unit.kind != wanted:
            raise LoadError(f"{where}: header {header[index]!r} gives {written!r}, a {unit.kind} "
                            f"unit, but {name} takes {wanted} ({column.unit_label})")
        units[name] = token
    return units
