"""The decimal mark of a file's numbers, decided once per file, and numbers read with it.

Excel in a German, French, Spanish, Italian or Dutch locale saves a CSV with ``;`` between
fields and a decimal comma (``33,62``, ``1.200,5``, ``1 200,5``); elsewhere it writes a
decimal point (``33.62``, ``1,200.5``). A number such as ``0,045`` or ``1.200,5`` shows its
file's mark; ``1,200`` could be either. The numbers that show it decide; where none does,
a semicolon between fields means commas, anything else points.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.errors import InputError

POINT, COMMA = ".", ","
MARK_NAMES = {POINT: "decimal point", COMMA: "decimal comma"}
THOUSANDS = {POINT: ", or space", COMMA: ". or space"}
SPACES = re.compile("[\u00a0\u202f\u2009]")  # no-break, narrow no-break and thin spaces

# A number with the file's decimal mark, thousands in groups of three, then anything (a unit).
_NUMBER = {
    mark: re.compile(
        rf"^(?P<cur>\$)?\s*(?P<num>[+-]?(?:[1-9]\d{{0,2}}(?P<sep>[{group} ])\d{{3}}"
        rf"(?:(?P=sep)\d{{3}})*|\d+)?(?:{re.escape(mark)}\d+)?(?:[eE][+-]?\d+)?)\s*(?P<unit>.*)$")
    for mark, group in ((POINT, ","), (COMMA, "."))}
_NUMERAL = re.compile(r"^\$?\s*([+-]?[\d., ]*\d)")


class DecimalError(InputError):
    """A file whose numbers disagree about their decimal mark, as many one way as the other."""

    code = "ambiguous-decimal"


@dataclass(frozen=True)
class Convention:
    """How a file writes its numbers: the decimal mark, and what settled it."""

    decimal: str
    settled_by: str  # "option", "numbers", "delimiter" or "workbook"
    evidence: str = ""  # for "numbers": one number that shows the mark, and where

    def describe(self) -> str:
        """The convention in words, as the Summary sheet shows it."""
        how = {"option": "as --decimal says",
               "numbers": f"from the file's numbers, such as {self.evidence}",
               "workbook": "a workbook stores numbers as numbers; numbers typed as text "
                           "are read with a decimal point",
               "delimiter": "no number in the file shows its mark; "
                            + ("a semicolon between fields means decimal commas"
                               if self.decimal == COMMA else "a decimal point is assumed")}
        return (f"{MARK_NAMES[self.decimal]}, thousands grouped with "
                f"{THOUSANDS[self.decimal]} ({how[self.settled_by]})")

    def record(self) -> dict[str, str]:
        """The convention for manifest.json."""
        return {"decimal": self.decimal, "settled_by": self.settled_by,
                "evidence": self.evidence, "description": self.describe()}


def mark_shown(text: str) -> str | None:
    """The decimal mark a number written as ``text`` must have, if it shows one:
    ``0,045``, ``33,62``, ``1.200,5``, ``1 200,5`` and ``1.200.000`` a comma; their mirror
    images a point; ``1,200``, ``1.200`` and ``12`` none."""
    match = _NUMERAL.match(SPACES.sub(" ", text.strip()))
    if not match:
        return None
    numeral = match[1].lstrip("+-")
    last = max(numeral.rfind(POINT), numeral.rfind(COMMA))
    if last < 0:
        return None
    mark = numeral[last]
    other = COMMA if mark == POINT else POINT
    if other in numeral:
        return mark  # both: the last one is the decimal
    if numeral.count(mark) > 1:
        return other  # repeated: groups of thousands
    before, after = numeral[:last], numeral[last + 1:]
    if len(after) != 3 or before.strip(" ") in ("", "0") or " " in before:
        return mark
    return None


def decide(cells: Iterable[tuple[int, str, str]], delimiter: str | None,
           given: str | None = None, where: str = "") -> Convention:
    """The convention of a file from its number cells ``(row, column, text)``: ``given``
    (``--decimal``) if set, else the mark most of its numbers show. Where as many show one
    mark as the other, DecimalError names ``--decimal``, once for the file."""
    if given is not None:
        return Convention(given, "option")
    seen: Counter[str] = Counter()
    first: dict[str, str] = {}
    for row, column, text in cells:
        if (mark := mark_shown(text)) is not None:
            seen[mark] += 1
            first.setdefault(mark, f"{text.strip()!r} (row {row}, {column})")
    if seen[POINT] == seen[COMMA] and seen[POINT]:
        raise DecimalError(
            f"{where}: cannot tell the decimal mark: {seen[COMMA]:,} numbers such as "
            f"{first[COMMA]} have a decimal comma, as many such as {first[POINT]} a decimal "
            "point; run again with --decimal , or --decimal . (SITEFIT_EVALUATE_DECIMAL)")
    if seen:
        mark = seen.most_common(1)[0][0]
        return Convention(mark, "numbers", first[mark])
    return Convention(COMMA if delimiter == ";" else POINT, "delimiter")


def split_number(text: str, decimal: str) -> tuple[str, str] | None:
    """``text`` as the digits of a number (with a point for its decimal mark, no thousands)
    and what follows it (a unit, or a wrong mark), under ``decimal``; None if it does not
    start with a number."""
    match = _NUMBER[decimal].match(SPACES.sub(" ", text).strip())
    if not match or not re.search(r"\d", match["num"]):
        return None
    digits = match["num"]
    if match["sep"]:
        digits = digits.replace(match["sep"], "")
    return digits.replace(COMMA, POINT), match["unit"]
