"""Validate stage: parse raw cells by the contract, check them with Pandera, split the rows.

Every problem is kept (Pandera runs lazily) and names the spreadsheet row, the
column and the original value. Rows with any problem are rejected whole; the
rest go on to be classified. Nothing is lost: valid + rejected = data rows.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from pipeline import contract, decimals
from pipeline.load import FORMULA_ERROR, RawTable
from pipeline.schemas.sites import DTYPES, SITE_SCHEMA


@dataclass(frozen=True)
class Problem:
    """One reason a row was rejected, located as a person finds it in the spreadsheet.

    ``code`` names the kind of problem and stays stable while the words may change:
    ``type-error`` (not the column's kind of value), ``unit-error``, ``ambiguous-decimal``,
    ``text-too-long``, ``constraint-error`` (out of range, not one of the choices, above the
    column that caps it), ``required-missing``, ``duplicate-id``, ``formula-without-value``,
    ``formula-error`` (a formula whose saved value is an error, such as ``#REF!``),
    and from the loader ``unclosed-quote`` (a quote that swallowed the lines after it) and
    ``encoding-error``.
    """

    file: str
    sheet: str
    row: int
    site_id: str
    column: str
    value: str
    problem: str
    code: str

    def __str__(self) -> str:
        where = f"{self.file}, sheet {self.sheet}" if self.sheet != "csv" else self.file
        return f"{where}, row {self.row}, column {self.column}: {self.value!r}: {self.problem}"


@dataclass
class Validated:
    """The outcome of validation: typed valid rows and every problem found."""

    sites: pd.DataFrame
    problems: list[Problem]
    rejected_rows: list[int]
    table: RawTable
    numbers: decimals.Convention

    @property
    def data_rows(self) -> int:
        return len(self.table.frame)


class CellError(ValueError):
    """A cell that cannot be read as its column's kind; the message says what was expected."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def parse_cell(column: contract.Column, value, header_unit: str | None = None,
               decimal: str = decimals.POINT):
    """Turn one raw cell into its contract value (None when blank), or raise CellError;
    numbers written as text are read with the file's ``decimal`` mark."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
    if column.kind == contract.TEXT:
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        if len(text) > column.max_length:
            raise CellError("text-too-long",
                            f"text of {len(text):,} characters; at most {column.max_length:,}")
        return text
    if column.kind == contract.BOOL:
        if isinstance(value, bool):
            return value
        word = _plain_number_text(value).lower()
        if word in contract.BOOL_WORDS:
            return contract.BOOL_WORDS[word]
        raise CellError("type-error", f"expected {column.expected} (also y/n, true/false, 1/0)")
    if column.kind == contract.MONTH:
        return _parse_month(column, value)
    if column.kind == contract.ENUM:
        text = _plain_number_text(value)
        folded = contract.fold_choice(text)
        aliases = contract.CHOICE_ALIASES.get(column.name, {})
        return aliases.get(folded) or next(
            (c for c in column.choices if contract.fold_choice(c) == folded), text)
    return _parse_number(column, value, header_unit, decimal)


def _parse_month(column: contract.Column, value) -> str:
    """A month as ``YYYY-MM``, from a date cell or text such as 2028-06, 2028-06-01 or
    06/2028."""
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    text = str(value).strip()
    match = (re.fullmatch(r"(\d{4})[-/.](\d{1,2})(?:[-/.]\d{1,2})?(?:[ T].*)?", text)
             or re.fullmatch(r"(?P<m>\d{1,2})[-/.](?P<y>\d{4})", text))
    if match:
        year, month = ((match["y"], match["m"]) if match.re.groupindex else match.groups())
        if 1 <= int(month) <= 12 and 1900 <= int(year) <= 2200:
            return f"{int(year):04d}-{int(month):02d}"
    raise CellError("type-error", f"not a month; expected {column.expected}")


def _plain_number_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse_number(column: contract.Column, value, header_unit: str | None,
                  decimal: str) -> float:
    if isinstance(value, bool):
        raise CellError("type-error", f"a true/false value; expected {column.expected}")
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        raise CellError("type-error", f"a date or time; expected {column.expected} "
                        "(format the cell as a number)")
    if isinstance(value, (int, float)):
        number = float(value)
        unit = header_unit
    else:
        split = decimals.split_number(str(value), decimal)
        if split is None:
            raise CellError("type-error", f"not a number; expected {column.expected}")
        digits, rest = split
        if rest[:1] in (decimals.POINT, decimals.COMMA):
            raise CellError("ambiguous-decimal", _other_mark(column, decimal))
        number = float(digits)
        unit = contract.normalize_unit(rest) if rest.strip() else header_unit
        if unit is not None and column.unit is None:
            raise CellError("unit-error", f"has a unit; expected {column.expected}")
    if not math.isfinite(number):
        raise CellError("type-error", f"not a finite number; expected {column.expected}")
    if unit is None or column.unit is None:
        return number
    found = contract.UNITS.get(unit)
    wanted = contract.UNITS[column.unit]
    if found is None:
        raise CellError("unit-error", f"unknown unit {unit!r}; expected {column.expected}")
    if found.kind != wanted.kind:
        raise CellError("unit-error",
                        f"{unit!r} is a {found.kind} unit; expected {column.expected}")
    return number * found.factor / wanted.factor


def _other_mark(column: contract.Column, decimal: str) -> str:
    if decimal == decimals.POINT:
        return (f"ambiguous decimal comma; expected {column.expected} (this file writes a "
                "decimal point: write 0.045, or 1,200 with groups of three; if its numbers "
                "have decimal commas, run with --decimal ,)")
    return (f"a decimal point, but this file writes decimal commas; expected "
            f"{column.expected} (write 0,045, or 1.200 with groups of three; if its numbers "
            "have decimal points, run with --decimal .)")


def number_convention(table: RawTable, decimal: str | None = None) -> decimals.Convention:
    """How ``table`` writes its numbers: ``decimal`` if given; for a text file, as its
    numbers show; a workbook stores numbers as numbers, and its text as with a point."""
    if table.delimiter is None and decimal is None:
        return decimals.Convention(decimals.POINT, "workbook")
    numeric = [c.name for c in contract.COLUMNS
               if c.kind in (contract.NUMBER, contract.COUNT) and c.name in table.frame]
    cells = ((row, name, cell) for name in numeric
             for row, cell in table.frame[name].items() if isinstance(cell, str))
    return decimals.decide(cells, table.delimiter, decimal, table.path.name)


def validate(table: RawTable, decimal: str | None = None) -> Validated:
    """Parse and check every row of ``table``, its numbers read with ``decimal`` (``.`` or
    ``,``; by default as the file writes them); return the valid rows and all problems."""
    raw = table.frame
    numbers = number_convention(table, decimal)
    where = dict(file=table.path.name, sheet=table.sheet)
    errors: dict[tuple[int, str], tuple[str, str]] = dict(table.unreadable)  # -> (code, text)
    parsed: dict[str, list] = {}
    for column in contract.COLUMNS:
        if column.name not in raw.columns:
            parsed[column.name] = [None] * len(raw)
            continue
        values = []
        for row, cell in zip(raw.index, raw[column.name]):
            if (row, column.name) in table.unreadable:
                values.append(None)
                continue
            if isinstance(cell, str) and FORMULA_ERROR.match(cell.strip()):
                errors[(row, column.name)] = ("formula-error", (
                    f"{cell.strip()} (a formula error in the workbook); fix the formula, or "
                    "the cells it refers to, and save again"))
                values.append(None)
                continue
            if cell is None and (row, column.name) in table.formulas:
                errors[(row, column.name)] = ("formula-without-value", (
                    f"a formula ({table.formulas[(row, column.name)]}) with no saved value; open "
                    "the file in Excel and save it, or paste the values, so they can be read"))
                values.append(None)
                continue
            try:
                values.append(parse_cell(column, cell, table.units.get(column.name),
                                         numbers.decimal))
            except CellError as exc:
                errors[(row, column.name)] = (exc.code, str(exc))
                values.append(None)
        parsed[column.name] = values
    typed = pd.DataFrame(
        {name: pd.Series(values, index=raw.index, dtype=DTYPES.get(contract.BY_NAME[name].kind,
                                                                   object))
         for name, values in parsed.items()})
    try:
        SITE_SCHEMA.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        _collect_schema_errors(exc.failure_cases, typed, errors)
    _check_at_most(typed, errors)

    problems = [Problem(**where, row=row, site_id=_site_id(typed, row), column=name,
                        value=table.formulas.get((row, name)) or _shown(raw, row, name),
                        problem=text, code=code)
                for (row, name), (code, text) in sorted(errors.items(),
                                                key=lambda item: (item[0][0], _order(item[0][1])))]
    rejected = sorted({p.row for p in problems})
    sites = typed.drop(index=rejected)
    # All extra columns in one step: one at a time took 10 s for 3,000 of them.
    sites = pd.concat([sites, raw.loc[sites.index, table.extras]], axis=1)
    return Validated(sites, problems, rejected, table, numbers)


def _collect_schema_errors(cases: pd.DataFrame, typed: pd.DataFrame,
                           errors: dict[tuple[int, str], tuple[str, str]]) -> None:
    for case in cases.itertuples(index=False):
        if case.index is None or pd.isna(case.index):
            raise AssertionError(f"schema error without a row: {case}")  # a bug, not bad input
        row, name = int(case.index), case.column
        if (row, name) in errors:
            continue  # the parser already explained this cell
        if case.check == "not_nullable":
            errors[(row, name)] = ("required-missing", "required, but the cell is blank")
        elif case.check == "field_uniqueness":
            others = [r for r in typed.index[typed["site_id"] == case.failure_case] if r != row]
            rows = f"row{'s' if len(others) > 1 else ''} {', '.join(map(str, others))}"
            errors[(row, name)] = ("duplicate-id",
                                   f"duplicate site_id, also in {rows}; every copy is rejected")
        else:
            errors[(row, name)] = ("constraint-error", case.check)


def _check_at_most(typed: pd.DataFrame, errors: dict[tuple[int, str], tuple[str, str]]) -> None:
    """Values above the column the contract caps them by (energized_mw by power_capacity_mw):
    out of range, like any other bound."""
    for column in (c for c in contract.COLUMNS if c.at_most):
        over = (typed[column.name] > typed[column.at_most]).fillna(False)
        for row in typed.index[over]:
            cap = contract.show_value(column.at_most, typed.at[row, column.at_most])
            errors.setdefault((row, column.name), (
                "constraint-error", f"more than {column.at_most} ({cap}); expected "
                f"{column.expected}"))


def _site_id(typed: pd.DataFrame, row: int) -> str:
    value = typed.at[row, "site_id"]
    return "" if value is None or pd.isna(value) else str(value)


def _shown(raw: pd.DataFrame, row: int, name: str) -> str:
    if name not in raw.columns:
        return ""
    value = raw.at[row, name]
    if value is None:
        return ""
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_POSITION = {c.name: i for i, c in enumerate(contract.COLUMNS)}


def _order(name: str) -> int:
    return _POSITION.get(name, len(_POSITION))
