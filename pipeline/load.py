"""Load stage: read a spreadsheet into raw cells under canonical column names.

Nothing here judges values; it finds the sheet and the header row, maps headers
onto the contract, reads units written in headers, and keeps every non-blank row
under its spreadsheet row number so later messages can point at it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd

from pipeline import contract
from pipeline.errors import InputError

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
HEADER_SEARCH_ROWS = 30
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024


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


def load(path: Path) -> RawTable:
    """Read ``path`` (xlsx, xlsm, xls, ods or csv) into a RawTable, or raise LoadError."""
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _from_rows(path, "csv", _read_csv(path))
    if suffix in SPREADSHEET_SUFFIXES:
        return _from_workbook(path)
    raise LoadError(f"{path}: not a spreadsheet (expected {', '.join(SPREADSHEET_SUFFIXES)})")


def _read_csv(path: Path) -> list[list]:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise LoadError(f"{path}: not a text CSV file (it contains binary data)")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    sample = text[:65536]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


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
    for sheet in order:
        rows = workbook.get_sheet_by_name(sheet.name).to_python(skip_empty_area=False)
        if _find_header(rows) is not None:
            formulas = _uncached_formulas(archive, sheet.name) if archive else {}
            return _from_rows(path, sheet.name, rows, formulas)
    first = order[0].name
    return _from_rows(path, first, workbook.get_sheet_by_name(first).to_python(
        skip_empty_area=False))


def _is_ole_file(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _uncached_formulas(archive: zipfile.ZipFile, sheet: str) -> dict[tuple[int, int], str]:
    """Cells of an xlsx sheet holding a formula with no saved value, as (row, column) -> text.

    Spreadsheets written by programs rather than Excel often store formulas without their
    results; such a cell reads as blank, and the user should hear why.
    """
    part = _sheet_part(archive, sheet)
    if part is None or not _contains(archive, part, b"<f"):
        return {}
    found = {}
    with archive.open(part) as stream:
        for _, element in ElementTree.iterparse(stream):
            if element.tag != f"{_MAIN}c":
                continue
            formula, value = element.find(f"{_MAIN}f"), element.find(f"{_MAIN}v")
            if formula is not None and (value is None or value.text is None):
                row, column = _cell_position(element.get("r", ""))
                found[(row, column)] = "=" + (formula.text or "(a shared formula)")
            element.clear()
    return found


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    rid = next((s.get(f"{_REL}id") for s in book.iter(f"{_MAIN}sheet")
                if s.get("name") == sheet), None)
    target = next((r.get("Target") for r in rels if r.get("Id") == rid), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _contains(archive: zipfile.ZipFile, part: str, needle: bytes) -> bool:
    tail = b""
    with archive.open(part) as stream:
        while block := stream.read(1 << 20):
            if needle in tail + block:
                return True
            tail = block[-len(needle):]
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
               formulas: dict[tuple[int, int], str] | None = None) -> RawTable:
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
    uncached = {(row + 1, names[column]): text for (row, column), text in (formulas or {}).items()
                if row + 1 in kept and column in names}
    return RawTable(frame, path, sheet, header_at + 1, units, extras, skipped, uncached)


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
