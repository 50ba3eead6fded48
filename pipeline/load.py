"""Load stage: read a spreadsheet into raw cells under canonical column names.

Nothing here judges values; it finds the sheet and the header row, maps headers
onto the contract, reads units written in headers, and keeps every non-blank row
under its spreadsheet row number so later messages can point at it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline import contract

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
HEADER_SEARCH_ROWS = 30
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024


class LoadError(Exception):
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
    from python_calamine import CalamineWorkbook

    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
        if expanded > MAX_UNCOMPRESSED_BYTES:
            raise LoadError(f"{path}: refused: its parts expand to {expanded / 2**20:,.0f} MiB, "
                            f"over the {MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MiB limit")
    elif _is_encrypted_office_file(path):
        raise LoadError(f"{path}: the workbook is password-protected; "
                        "save a copy without a password and run again")
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several unrelated types for bad files
        raise LoadError(f"{path}: cannot be read as a spreadsheet ({exc}); "
                        "open it in Excel and save it again as .xlsx") from exc
    names = workbook.sheet_names
    chosen = [n for n in names if n.strip().lower() == "sites"] or names
    for name in chosen:
        rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if _find_header(rows) is not None:
            return _from_rows(path, name, rows)
    if not names:
        raise LoadError(f"{path}: the workbook has no sheets")
    return _from_rows(path, chosen[0], workbook.get_sheet_by_name(chosen[0]).to_python(
        skip_empty_area=False))


def _is_encrypted_office_file(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(8)
    # An encrypted xlsx is an OLE compound file holding an EncryptedPackage stream.
    return head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" and b"E\x00n\x00c\x00r\x00y\x00p\x00t" \
        in path.read_bytes()[:1 << 20] and path.suffix.lower() in (".xlsx", ".xlsm")


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


def _from_rows(path: Path, sheet: str, rows: list[list]) -> RawTable:
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
            raise LoadError(f"{where}: columns {_letter(seen[name])} ({header[seen[name]]!r}) and "
                            f"{_letter(index)} ({header[index]!r}) both mean {name}; keep one")
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
        label = str(label).strip() if label is not None else f"column {_letter(index)}"
        while label in names.values() or label in contract.BY_NAME:
            label += " (input)"
        names[index] = label
        extras.append(label)
    records, numbers, skipped = [], [], {}
    header_cells = [str(c).strip().lower() if not _is_blank(c) else "" for c in header]
    for offset, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        if all(_is_blank(c) for c in row):
            continue
        cells = [str(c).strip().lower() if not _is_blank(c) else "" for c in row]
        if cells[:len(header_cells)] == header_cells:
            skipped[offset] = "the header repeated"
            continue
        records.append([row[i] if i < len(row) and not _is_blank(row[i]) else None
                        for i in names])
        numbers.append(offset)
    frame = pd.DataFrame(records, columns=list(names.values()), index=numbers, dtype=object)
    frame.index.name = "row"
    return RawTable(frame, path, sheet, header_at + 1, units, extras, skipped)


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


def _letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based index: 0 -> A, 27 -> AB."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
