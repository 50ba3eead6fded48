"""A streaming xlsx writer that turns a chunk of rows into SpreadsheetML a column at a time.

XlsxWriter spends about 6 microseconds a cell deciding its type, escaping it and formatting
its XML one cell at a time; a 10,000-site scorecard is 1.8 million cells. Here each column of
a chunk is checked once for text that needs escaping and written with one type test a cell,
about five times faster. Each sheet's rows spool to a temporary file beside the workbook, so
memory stays flat however many rows there are, and the package is zipped when it is closed.

Cells hold numbers, booleans or text (always inline text, never a formula); blanks, NaN and
infinities are left empty. Styles are combinations of bold, font colour, fill, number format
and wrapping, registered with :meth:`Workbook.style`.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from pipeline.contract import column_letter

MAX_ROWS = 1_048_576
MAX_TEXT = 32_767  # Excel's limit on the characters in a cell
ZIP_LEVEL = 1  # deflate's fastest: the file half again as large, zipped twice as fast
SLICE = 500  # rows turned into XML at a time: the text in memory stays a few MB
ZIP64_FROM = 1 << 31  # members this large need zip64 sizes, which must be asked for up front

# Control characters XML 1.0 forbids are written as Excel writes them, _xHHHH_ (a carriage
# return too, which XML readers would turn into a line feed), and text that looks like such an
# escape gets its underscore escaped, so that it reads back as it was.
LITERAL_ESCAPE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Style:
    """How a cell looks; colours are ``#RRGGBB``, ``number`` an Excel number format."""

    bold: bool = False
    color: str | None = None
    fill: str | None = None
    number: str | None = None
    wrap: bool = False


@dataclass
class ColumnStyle:
    """The style index for a column's cells, and for text cells with particular values."""

    default: int = 0
    by_text: dict[str, int] = field(default_factory=dict)


def escape(text: str) -> str:
    """``text`` made safe inside an XML text node, the way Excel itself stores it."""
    return escape_controls(escape_markup(text))


def escape_markup(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_controls(text: str) -> str:
    """Control characters as Excel's ``_xHHHH_``, and text that looks like one kept as it is."""
    text = LITERAL_ESCAPE.sub(r"_x005F\1", text)
    return CONTROL_CHARACTER.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def excel_width(characters: float) -> float:
    """A column width in characters as Excel stores it (Calibri 11: 7-pixel digits, 5 px pad)."""
    return int(characters * 7 + 5.5) / 7


class Workbook:
    """An xlsx package written sheet by sheet; nothing is visible at ``path`` before close."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._spool = Path(tempfile.mkdtemp(prefix=".xlsx-", dir=self.path.parent))
        self._sheets: list[Sheet] = []
        self._styles: dict[Style, int] = {Style(): 0}

    def style(self, style: Style) -> int:
        """The index cells use for ``style``; the same style always gets the same index."""
        return self._styles.setdefault(style, len(self._styles))

    def add_sheet(self, title: str, widths: Sequence[float] = (),
                  freeze: tuple[int, int] = (0, 0)) -> "Sheet":
        """A new sheet after the others; ``freeze`` is (rows, columns) kept in view."""
        sheet = Sheet(title, self._spool / f"sheet{len(self._sheets) + 1}.xml", widths, freeze,
                      selected=not self._sheets)
        self._sheets.append(sheet)
        return sheet

    def close(self) -> None:
        """Zip the sheets, their styles and the package parts into ``path``."""
        try:
            with zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED,
                                 compresslevel=ZIP_LEVEL) as package:
                for name, text in self._parts():
                    package.writestr(name, text)
                for number, sheet in enumerate(self._sheets, 1):
                    sheet.finish()
                    with sheet.spool.open("rb") as source, package.open(
                            f"xl/worksheets/sheet{number}.xml", "w",
                            force_zip64=sheet.size > ZIP64_FROM) as target:
                        shutil.copyfileobj(source, target, 1 << 20)
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove the spooled sheets (also done by :meth:`close`)."""
        for sheet in self._sheets:
            sheet.abandon()
        shutil.rmtree(self._spool, ignore_errors=True)

    def _parts(self) -> Iterable[tuple[str, str]]:
        sheets = range(1, len(self._sheets) + 1)
        yield "[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="'
                      'application/vnd.openxmlformats-officedocument.spreadsheetml.'
                      'worksheet+xml"/>' for n in sheets)
            + '<Override PartName="/xl/styles.xml" ContentType="application/'
              'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>')
        yield "_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
            f'Type="{_OFFICE_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        yield "xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_RELS}">'
            + "".join(f'<Relationship Id="rId{n}" Type="{_OFFICE_RELS}/worksheet" '
                      f'Target="worksheets/sheet{n}.xml"/>' for n in sheets)
            + f'<Relationship Id="rId{len(self._sheets) + 1}" Type="{_OFFICE_RELS}/styles" '
              'Target="styles.xml"/></Relationships>')
        filters = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n}" hidden="1">'
            f"{escape_markup(sheet.quoted_title)}!{sheet.filter_range(absolute=True)}</definedName>"
            for n, sheet in enumerate(self._sheets) if sheet.filter_columns)
        yield "xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_OFFICE_RELS}"><bookViews><workbookView/>'
            "</bookViews><sheets>"
            + "".join(f'<sheet name="{_attribute(s.title)}" sheetId="{n}" r:id="rId{n}"/>'
                      for n, s in enumerate(self._sheets, 1))
            + "</sheets>" + (f"<definedNames>{filters}</definedNames>" if filters else "")
            + "</workbook>")
        yield "xl/styles.xml", _styles_xml(list(self._styles))


class Sheet:
    """One worksheet; rows are appended in order and spooled to disk as they come."""

    def __init__(self, title: str, spool: Path, widths: Sequence[float],
                 freeze: tuple[int, int], selected: bool):
        self.title, self.spool = title, spool
        self.quoted_title = "'" + title.replace("'", "''") + "'"
        self._widths, self._freeze, self._selected = list(widths), freeze, selected
        self._file = spool.open("w", encoding="utf-8", errors="replace", newline="")
        self._file.write(self._head())
        self.rows = 0
        self.filter_columns = 0
        self.size = 0

    def write_row(self, values: Sequence[Any], styles: Sequence[int] = ()) -> None:
        """One row; ``styles[i]`` styles its ``i``-th cell (0 or missing: plain). An empty
        row is left blank."""
        self._write([[value] for value in values],
                     [ColumnStyle(styles[i] if i < len(styles) else 0)
                      for i in range(len(values))], 1)

    def write_columns(self, columns: Sequence[list[Any]],
                      styles: Sequence[ColumnStyle]) -> None:
        """Rows given column by column: ``columns[c][r]`` is row ``r``'s cell in column ``c``."""
        count = len(columns[0]) if columns else 0
        for start in range(0, count, SLICE):
            part = [values[start:start + SLICE] for values in columns]
            self._write(part, styles, len(part[0]))

    def autofilter(self, columns: int) -> None:
        """Filter buttons on the first row over the first ``columns`` columns."""
        self.filter_columns = columns

    def filter_range(self, absolute: bool = False) -> str:
        last = column_letter(self.filter_columns - 1)
        rows = max(self.rows, 2)
        return f"$A$1:${last}${rows}" if absolute else f"A1:{last}{rows}"

    def _write(self, columns: Sequence[list[Any]], styles: Sequence[ColumnStyle],
               count: int) -> None:
        if self.rows + count > MAX_ROWS:
            raise ValueError(f"sheet {self.title!r} would pass Excel's {MAX_ROWS:,} rows")
        first = self.rows + 1
        cells = [_cells(values, column_letter(i), first, style)
                 for i, (values, style) in enumerate(zip(columns, styles))]
        self._file.write("".join(
            f'<row r="{number}">{"".join(row)}</row>'
            for number, row in enumerate(zip(*cells), first)))
        self.rows += count

    def finish(self) -> None:
        """Close the rows and the sheet."""
        if not self._file.closed:
            self._file.write(self._tail())
            self._file.close()
        self.size = self.spool.stat().st_size

    def abandon(self) -> None:
        if not self._file.closed:
            self._file.close()

    def _head(self) -> str:
        rows, cols = self._freeze
        view = '<sheetView workbookViewId="0"' + (' tabSelected="1"' if self._selected else "")
        if rows or cols:
            pane = "bottomRight" if rows and cols else ("bottomLeft" if rows else "topRight")
            corner = f"{column_letter(cols)}{rows + 1}"
            split = (f' xSplit="{cols}"' if cols else "") + (f' ySplit="{rows}"' if rows else "")
            view += (f'><pane{split} topLeftCell="{corner}" activePane="{pane}" state="frozen"/>'
                     f'<selection pane="{pane}" activeCell="{corner}" sqref="{corner}"/>'
                     "</sheetView>")
        else:
            view += "/>"
        widths = "".join(f'<col min="{i}" max="{i}" width="{excel_width(w)}" customWidth="1"/>'
                         for i, w in enumerate(self._widths, 1))
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<worksheet xmlns="{_MAIN}" xmlns:r="{_OFFICE_RELS}">'
                f"<sheetViews>{view}</sheetViews>"
                '<sheetFormatPr defaultRowHeight="15"/>'
                + (f"<cols>{widths}</cols>" if widths else "") + "<sheetData>")

    def _tail(self) -> str:
        autofilter = (f'<autoFilter ref="{self.filter_range()}"/>'
                      if self.filter_columns else "")
        return f"</sheetData>{autofilter}</worksheet>"


def _cells(values: list[Any], letter: str, first: int, style: ColumnStyle) -> list[str]:
    """The XML of one column's cells, from row ``first`` down; "" for a blank."""
    plain = f' s="{style.default}"' if style.default else ""
    kinds = set(map(type, values))
    if kinds == {float}:
        return [f'<c r="{letter}{row}"{plain}><v>{value!r}</v></c>'
                if value - value == 0 else ""  # NaN and infinities stay blank
                for row, value in enumerate(values, first)]
    if str in kinds:
        values = _safe_texts(values)
    by_text = {text: f' s="{index}"' for text, index in style.by_text.items()}
    return [f'<c r="{letter}{row}"{by_text.get(value, plain)} t="inlineStr"><is>'
            f'<t xml:space="preserve">{value}</t></is></c>'
            if value.__class__ is str and value else _cell(value, f'<c r="{letter}{row}"{plain}')
            for row, value in enumerate(values, first)]


def _safe_texts(values: list[Any]) -> list[Any]:
    """``values`` with text cut to Excel's limit and escaped, checking the column at once and
    each cell only if some cell needs it."""
    texts = [value for value in values if value.__class__ is str]
    joined = " ".join(texts)
    long = len(joined) > MAX_TEXT and max(map(len, texts)) > MAX_TEXT
    markup = "&" in joined or "<" in joined or ">" in joined
    controls = "_x" in joined or (not joined.isprintable()
                                  and CONTROL_CHARACTER.search(joined) is not None)
    if not (long or markup or controls):
        return values
    safe = []
    for value in values:
        if value.__class__ is str:
            value = value[:MAX_TEXT]
            if markup:
                value = escape_markup(value)
            if controls:
                value = escape_controls(value)
        safe.append(value)
    return safe


def _cell(value: Any, opening: str) -> str:
    """A cell for anything but non-empty text: numbers, booleans, blanks and other objects."""
    kind = value.__class__
    if kind is float:
        return f"{opening}><v>{value!r}</v></c>" if value - value == 0 else ""
    if kind is int:
        return f"{opening}><v>{value}</v></c>"
    if kind is bool:
        return f'{opening} t="b"><v>{int(value)}</v></c>'
    if value is None or value is pd.NA or value == "":
        return ""
    if hasattr(value, "item"):  # a NumPy scalar
        return _cell(value.item(), opening)
    text = escape(str(value)[:MAX_TEXT])
    return f'{opening} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _attribute(text: str) -> str:
    """Text for a double-quoted XML attribute (Excel writes them all with double quotes)."""
    return escape_markup(text).replace('"', "&quot;")


def _styles_xml(styles: list[Style]) -> str:
    """styles.xml holding each registered style, in index order."""
    numbers = sorted({s.number for s in styles if s.number})
    number_ids = {fmt: 164 + i for i, fmt in enumerate(numbers)}
    fonts = [(False, None)] + sorted({(s.bold, s.color) for s in styles} - {(False, None)},
                                     key=str)
    fills = sorted({s.fill for s in styles if s.fill})
    font_xml = "".join(
        "<font>" + ("<b/>" if bold else "") + '<sz val="11"/>'
        + (f'<color rgb="FF{color.lstrip("#").upper()}"/>' if color else "")
        + '<name val="Calibri"/><family val="2"/><scheme val="minor"/></font>'
        for bold, color in fonts)
    fill_xml = ('<fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill>'
                + "".join(f'<fill><patternFill patternType="solid"><fgColor rgb="FF'
                          f'{fill.lstrip("#").upper()}"/><bgColor indexed="64"/></patternFill>'
                          "</fill>" for fill in fills))
    xfs = []
    for s in styles:
        number = number_ids.get(s.number, 0)
        font = fonts.index((s.bold, s.color))
        fill = fills.index(s.fill) + 2 if s.fill else 0
        applied = ((' applyNumberFormat="1"' if number else "")
                   + (' applyFont="1"' if font else "") + (' applyFill="1"' if fill else ""))
        if s.wrap:
            xfs.append(f'<xf numFmtId="{number}" fontId="{font}" fillId="{fill}" borderId="0" '
                       f'xfId="0"{applied} applyAlignment="1">'
                       '<alignment vertical="top" wrapText="1"/></xf>')
        else:
            xfs.append(f'<xf numFmtId="{number}" fontId="{font}" fillId="{fill}" borderId="0" '
                       f'xfId="0"{applied}/>')
    formats = "".join(f'<numFmt numFmtId="{i}" formatCode="{_attribute(f)}"/>'
                      for f, i in number_ids.items())
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<styleSheet xmlns="{_MAIN}">'
            + (f'<numFmts count="{len(number_ids)}">{formats}</numFmts>' if formats else "")
            + f'<fonts count="{len(fonts)}">{font_xml}</fonts>'
            f'<fills count="{len(fills) + 2}">{fill_xml}</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            f'borderId="0"/></cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}'
            '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            "</cellStyles></styleSheet>")


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
