"""The analysts' scorecard workbook, written with XlsxWriter.

Sheets: Summary (the run, sites and MW by bucket with a chart, disqualifiers, what the
workbook leaves out), Scorecard, Gate detail, any further tables, Rejected, Rules and
Columns (each heading's machine name in results.csv, unit and meaning). Every table is an
Excel table (banded, filterable, structured references) with readable headings from
:mod:`pipeline.labels`, conditional formats for statuses and buckets, and print setup.

Rows arrive a chunk at a time. Excel's limits are kept: a table longer than a sheet goes on
"<title> 2", columns past the 16,384th and text past 32,767 characters a cell stay in
results.csv only, and the Summary and :meth:`ScorecardWriter.close` say so. Text from the
input is always written as text, never as a formula.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from pipeline import contract, labels

MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_TEXT = 32_767  # characters in a cell
MAX_LINKS = 65_530  # hyperlinks on one sheet
MAX_TITLE = 31  # characters in a sheet name

# Number formats by a column's unit; money keeps four decimals of a million so no real
# amount shows as zero.
NUMBER_FORMATS = {"M USD": "#,##0.00##", "M USD/yr": "#,##0.00##", "years": "0.0",
                  "MW": "#,##0.0##", "kW": "#,##0.0##", "USD/kWh": "0.000##", "%": "0.0#%",
                  "share": "0.00%", "x": "0.00", "USD/kW-month": "#,##0.00"}
# Columns in percent (results.csv's 17.6) are written as the fractions a spreadsheet's %
# format reads (0.176), so a formula or a re-applied % format means what it shows.
PERCENT = "%"
# Columns that hold the names a reader types (a rules key, a column's machine name).
KEY_COLUMNS = {"column", "rule", "assumption"}
SCORE_FORMAT = "0"
FRONTIER, OPTIONS = "Plan frontier", "Plan options"
# The Plan options sheet's rows at most: the options of the sites plan.csv lists first
# (six a site over three start years: 2,500 sites); plan-options.csv has every option. Each
# row is 26 cells the writer holds until the workbook closes: 60,000 rows of 10,000 sites
# would add about 100 MiB to a run's peak.
MAX_OPTION_ROWS = 15_000
# Tables whose rows are not distinct sites, so no column of theirs adds up: a site's phase,
# present-value and equity rows repeat its figures (Cash flows); options and budgets are
# alternatives (Plan options, Plan frontier); shadow values are each limit's own (Plan
# limits).
UNTOTALLED = {"Cash flows", FRONTIER, OPTIONS, "Plan limits"}
LONG_TEXT = 60  # characters: wider text wraps in a column this wide
MAX_LINES = 4  # a wrapped row shows this many lines at most; the cell holds the rest
PRINTED_WIDTH = 250  # characters of columns printed across a landscape page, at most
FOOTER_PAGES = "&RPage &P of &N"


@dataclass(frozen=True)
class RunFacts:
    """Who made the workbook from what: its properties and every page's footer."""

    version: str
    input: str
    rules_source: str
    rules_hash: str
    date: str

    def footer(self) -> str:
        text = (f"sitefit {self.version} · {self.input} · rules {self.rules_hash[:12]} · "
                f"{self.date}")
        return "&L" + text.replace("&", "&&")[:200] + FOOTER_PAGES


@dataclass
class LeftOut:
    """What Excel's limits kept out of the workbook (all of it is in results.csv)."""

    columns: list[str] = field(default_factory=list)
    cut_cells: int = 0
    unlinked: int = 0
    options: int = 0  # plan options past the Plan options sheet's rows

    def sentences(self) -> list[str]:
        said = []
        if self.columns:
            said.append(f"{len(self.columns):,} columns past Excel's {MAX_COLUMNS:,} "
                        f"({self.columns[0]} to {self.columns[-1]})")
        if self.cut_cells:
            said.append(f"the text past {MAX_TEXT:,} characters of {self.cut_cells:,} cells")
        if self.unlinked:
            said.append(f"report links for {self.unlinked:,} rows past Excel's {MAX_LINKS:,} "
                        "links a sheet")
        if self.options:
            said.append(f"{self.options:,} plan options past the Plan options sheet's "
                        f"{MAX_OPTION_ROWS:,} rows (plan-options.csv has every option)")
        return said


class ScorecardWriter:
    """The workbook, written as results arrive: sites and gate detail in chunks, the rest
    at :meth:`close`."""

    def __init__(self, path: Path, scorecard_columns: list[str], detail_columns: list[str],
                 run: RunFacts, report_names: dict[str, str] | None = None):
        self._book = xlsxwriter.Workbook(str(path), {
            "strings_to_numbers": False, "strings_to_formulas": False,
            "strings_to_urls": False, "nan_inf_to_errors": False})
        self._run, self.left_out = run, LeftOut()
        self._formats: dict[tuple, Any] = {}
        self._table_names: set[str] = {"buckets"}
        self._summary = self._book.add_worksheet("Summary")
        self._tables: list[_Table] = []
        self._scorecard = self._table("Scorecard", scorecard_columns, report_names)
        # every gate on paper: two pages across, the site repeated on the second
        self._detail = self._table("Gate detail", detail_columns, pages_across=2)

    def add_sites(self, frame: pd.DataFrame) -> None:
        self._scorecard.append(frame)

    def add_gate_detail(self, frame: pd.DataFrame) -> None:
        self._detail.append(frame)

    def end_sites(self) -> None:
        """No more sites: make the Scorecard and Gate detail tables now, while the caller is
        still at work, rather than when the workbook closes."""
        self._scorecard.finish()
        self._detail.finish()

    def add_table(self, title: str, frame: pd.DataFrame) -> None:
        """A further sheet of ``frame``, placed after those added before it, made a table at
        once; the plan's frontier with its chart."""
        if title == OPTIONS and len(frame) > MAX_OPTION_ROWS:
            self.left_out.options = len(frame) - MAX_OPTION_ROWS
            frame = frame.head(MAX_OPTION_ROWS)
        table = self._table(title, list(frame.columns)).append(frame)
        table.finish()
        if title == FRONTIER and len(frame) > 1:
            self._frontier_chart(table, frame)

    def _frontier_chart(self, table: "_Table", frame: pd.DataFrame) -> None:
        """The frontier as a line of NPV against the total of the start years' capex limits,
        below its table."""
        sheet = table.sheet
        x, y = (list(frame.columns).index(c) for c in ("capex_limit_musd", "npv_musd"))
        chart = self._book.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
        chart.add_series({"name": "NPV as planned",
                          "categories": [sheet.name, 1, x, len(frame), x],
                          "values": [sheet.name, 1, y, len(frame), y],
                          "marker": {"type": "circle"}})
        chart.set_title({"name": "What each budget is worth", "name_font": {"size": 11}})
        chart.set_x_axis({"name": labels.label("capex_limit_musd"), "num_format": "#,##0"})
        chart.set_y_axis({"name": labels.label("npv_musd"), "num_format": "#,##0"})
        chart.set_legend({"none": True})
        chart.set_size({"width": 560, "height": 320})
        sheet.insert_chart(len(frame) + 3, 0, chart)

    def close(self, *, summary: list[tuple[str, Any]], buckets: pd.DataFrame,
              disqualifiers: list[tuple[str, int]], rejected: pd.DataFrame,
              rules: dict[str, Any], more: list[tuple[str, pd.DataFrame]] = ()) -> list[str]:
        """Finish the workbook and return what Excel's limits left out of it, in words.
        ``rules`` maps each dotted rule key to its cell value; ``more`` are further
        (title, table) sheets, placed after Gate detail."""
        for title, frame in more:
            self.add_table(title, frame)
        refused = self._table("Rejected", list(rejected.columns)).append(rejected)
        if rejected.empty:
            refused.sheet.write_string(3, 0, "No row was rejected: every row of the input was "
                                             "read and evaluated.")
        self._table("Rules", ["rule", "value"]).append(
            pd.DataFrame({"rule": list(rules), "value": [_cell_text(v) for v in rules.values()]}))
        columns = self._table("Columns", ["column", "heading", "unit", "meaning", "sheets"])
        columns.append(self._columns_frame())
        for table in self._tables:
            table.finish()
        said = self.left_out.sentences()
        self._write_summary(summary, buckets, disqualifiers, said)
        run = self._run
        self._book.set_properties({
            "title": f"sitefit scorecard: {run.input}", "subject": "AI workload fit of sites",
            "author": f"sitefit {run.version}", "keywords": "sitefit, scorecard",
            "comments": f"Input {run.input}; rules {run.rules_source}, sha256 {run.rules_hash}"})
        self._book.set_custom_property("Input", run.input)
        self._book.set_custom_property("Rules", run.rules_source)
        self._book.set_custom_property("Rules sha256", run.rules_hash)
        self._book.close()
        return said

    def _table(self, title: str, columns: list[str],
               report_names: dict[str, str] | None = None, pages_across: int = 1) -> "_Table":
        table = _Table(self, title, [str(c) for c in columns], report_names, pages_across)
        self._tables.append(table)
        return table

    def format(self, **properties: Any):
        """One XlsxWriter format per distinct set of properties."""
        key = tuple(sorted(properties.items()))
        if key not in self._formats:
            self._formats[key] = self._book.add_format(properties)
        return self._formats[key]

    def table_name(self, title: str) -> str:
        """A unique Excel table name from a sheet title, for structured references:
        "Gate detail" -> GateDetail, then GateDetail2..."""
        name = re.sub(r"[^A-Za-z0-9_]", "", title.title())[:200]
        if not name[:1].isalpha() or re.fullmatch(r"[A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*", name):
            name = "Table_" + name
        unique, n = name, 1
        while unique.lower() in self._table_names:
            n += 1
            unique = f"{name}{n}"
        self._table_names.add(unique.lower())
        return unique

    def add_sheet(self, title: str):
        sheet = self._book.add_worksheet(title)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.set_footer(self._run.footer())
        return sheet

    def _columns_frame(self) -> pd.DataFrame:
        sheets: dict[str, list[str]] = {}
        for table in self._tables:
            if table.title not in ("Rules", "Columns"):
                for name in table.columns:
                    sheets.setdefault(name, []).append(table.title)
        return pd.DataFrame([{"column": name, "heading": labels.label(name),
                              "unit": labels.unit(name), "meaning": labels.meaning(name),
                              "sheets": ", ".join(where)} for name, where in sheets.items()])

    def _write_summary(self, summary: list[tuple[str, Any]], buckets: pd.DataFrame,
                       disqualifiers: list[tuple[str, int]], left_out: list[str]) -> None:
        sheet = self._summary
        sheet.set_landscape()
        sheet.fit_to_pages(1, 1)
        sheet.set_footer(self._run.footer())
        bold = self.format(bold=True)
        wrap = self.format(text_wrap=True, valign="top")
        heading = self.format(bold=True, font_size=13, font_color=labels.HEADER.fill)
        first_width = min(max(len(str(text)) for text, _ in [*summary, *disqualifiers,
                                                               ("Left out of this workbook", 0)]) + 2, 50)
        sheet.set_column(0, 0, first_width)
        sheet.set_column(1, 1, 42)
        sheet.set_column(2, 3, 12)
        sheet.write_string(0, 0, "sitefit scorecard", heading)
        row = 1
        for label, value in summary:
            sheet.write_string(row, 0, str(label), bold)
            _write_value(sheet, row, 1, value, wrap)
            _fit_height(sheet, row, str(value), 42)
            row += 1
        if left_out:
            row += 1
            sheet.write_string(row, 0, "Left out of this workbook", bold)
            for sentence in left_out:
                sheet.write_string(row, 1, sentence + " (all in results.csv)", wrap)
                _fit_height(sheet, row, sentence + " (all in results.csv)", 42)
                row += 1
        row += 1
        # Sites and MW by bucket, as a table with its totals row, and a chart of it.
        rows = buckets[buckets["bucket"] != "Total"]
        top = row
        sheet.write_string(top, 0, "Bucket", bold)
        for offset, item in enumerate(rows.itertuples(index=False), 1):
            colour = labels.PALETTE.get(item.bucket)
            look = self.format(bg_color=colour.fill, font_color=colour.ink) if colour else None
            sheet.write_string(top + offset, 0, item.bucket, look)
            sheet.write_number(top + offset, 1, item.sites)
            sheet.write_number(top + offset, 2, item.ready)
            sheet.write_number(top + offset, 3, item.capacity_mw, self.format(num_format="#,##0.0"))
        last = top + len(rows) + 1
        header = self.format(bold=True, bg_color=labels.HEADER.fill,
                             font_color=labels.HEADER.ink, text_wrap=True)
        sheet.add_table(top, 0, last, 3, {
            "name": "Buckets", "style": "Table Style Light 1", "total_row": True,
            "columns": [
                {"header": "Bucket", "total_string": "Total", "header_format": header},
                {"header": "Sites", "total_function": subtotal(top + 1, last - 1, 1),
                 "header_format": header, "total_value": int(rows["sites"].sum())},
                {"header": "Ready", "total_function": subtotal(top + 1, last - 1, 2),
                 "header_format": header, "total_value": int(rows["ready"].sum())},
                {"header": "Power capacity (MW)",
                 "total_function": subtotal(top + 1, last - 1, 3), "header_format": header,
                 "format": self.format(num_format="#,##0.0"),
                 "total_value": float(rows["capacity_mw"].sum())}]})
        self._bucket_chart(sheet, top, rows)
        row = last + 2
        sheet.write_string(row, 0, "Disqualifier", header)
        sheet.write_string(row, 1, "Sites", header)
        for title, count in disqualifiers:
            row += 1
            sheet.write_string(row, 0, title, wrap)
            sheet.write_number(row, 1, count)
        sheet.print_area(0, 0, max(row, top + 16), 16)

    def _bucket_chart(self, sheet, top: int, rows: pd.DataFrame) -> None:
        """Sites and MW by bucket, bars in the buckets' colours, beside the table."""
        points = [{"fill": {"color": labels.PALETTE[b].strong}} for b in rows["bucket"]]
        first, last = top + 1, top + len(rows)
        for place, column, title in ((5, 1, "Sites by bucket"), (11, 3, "MW by bucket")):
            chart = self._book.add_chart({"type": "column"})
            chart.add_series({"name": title,
                              "categories": ["Summary", first, 0, last, 0],
                              "values": ["Summary", first, column, last, column],
                              "points": points, "data_labels": {"value": True}})
            chart.set_title({"name": title, "name_font": {"size": 11}})
            chart.set_legend({"none": True})
            chart.set_size({"width": 360, "height": 240})
            sheet.insert_chart(top, place, chart)


def subtotal(first: int, last: int, col: int) -> str:
    """A totals row's formula: the sum of rows ``first`` to ``last`` (0-based) of column
    ``col`` that a filter shows. A plain range, which Excel, LibreOffice, Google Sheets and
    Numbers all evaluate; a structured reference without its table's name is an error in
    LibreOffice, and headings like "P10" inside one are read as cell references."""
    column = xl_col_to_name(col)
    return f"=SUBTOTAL(109,{column}{first + 1}:{column}{last + 1})"


class _Table:
    """An Excel table filled in chunks, continued on "title 2", "title 3"... past Excel's
    row limit; with a link to each site's PDF when ``report_names`` is given. Its leading
    columns that name a site (rank, id, name) stay on screen as it scrolls and are repeated
    on every printed page; printed, every column, over as many pages across as its width
    needs (at least ``pages_across``)."""

    def __init__(self, book: ScorecardWriter, title: str, columns: list[str],
                 report_names: dict[str, str] | None, pages_across: int = 1):
        self._book, self.title, self._pages_across = book, title, pages_across
        self._links = report_names if report_names is not None and columns[:1] == [
            "site_id"] else None
        if self._links is not None:
            columns = [*columns[:2], "report", *columns[2:]]
        if len(columns) > MAX_COLUMNS:
            book.left_out.columns.extend(columns[MAX_COLUMNS:])
            columns = columns[:MAX_COLUMNS]
        self.columns = columns
        self._keys = _key_columns(columns)
        self._headings = _unique([labels.label(c)[:255] for c in columns])
        self._width = [min(max(len(h) // 2 + 2, 8), 24) for h in self._headings]
        self._sums = ({} if title in UNTOTALLED else
                      {i: 0.0 for i, c in enumerate(columns) if labels.adds_up(c)})
        self._number = [_number_format(book, c) for c in columns]
        self._wrap = book.format(text_wrap=True, valign="top")
        # text columns holding only statuses, verdicts or buckets (None: other text too)
        self._coloured: dict[int, set[str] | None] = {}
        self._sheets: list[list] = []  # [sheet, rows written]
        self._finished = False
        self._open()

    def _open(self) -> None:
        count = len(self._sheets) + 1
        suffix = f" {count}" if count > 1 else ""
        sheet = self._book.add_sheet(self.title[:MAX_TITLE - len(suffix)] + suffix)
        sheet.freeze_panes(1, self._keys)
        sheet.repeat_rows(0)
        self._sheets.append([sheet, 0])

    @property
    def sheet(self):
        """The table's first sheet."""
        return self._sheets[0][0]

    def append(self, frame: pd.DataFrame) -> "_Table":
        if self._links is not None:
            frame = frame.copy()
            frame.insert(2, "report", [self._links.get(s) for s in frame["site_id"]])
        values = [frame.iloc[:, i].tolist() for i in range(len(self.columns))]
        start = 0
        while start < len(frame):
            sheet, written = self._sheets[-1]
            room = MAX_ROWS - 2 - written  # a header row and a totals row
            if room <= 0:
                self._open()
                continue
            part = [column[start:start + room] for column in values]
            self._write(sheet, written + 1, part)
            self._sheets[-1][1] += len(part[0])
            start += room
        return self

    def _write(self, sheet, first: int, columns: list[list]) -> None:
        lines = [1] * len(columns[0])  # each row's height in lines of wrapped text
        for index, values in enumerate(columns):
            name = self.columns[index]
            if name == "report":
                self._write_links(sheet, first, index, values)
                continue
            values = _words(name, values)
            texts = [v for v in values if v.__class__ is str and v]
            if texts:
                self._width[index] = max(self._width[index], min(max(map(len, texts)) + 2,
                                                                 LONG_TEXT))
                kinds = self._coloured.get(index, set())
                if kinds is not None:
                    distinct = set(texts)
                    self._coloured[index] = (kinds | distinct
                                             if distinct <= labels.PALETTE.keys() else None)
            elif any(v.__class__ in (int, float) for v in values):
                self._width[index] = max(self._width[index], 10)
            long = texts and max(map(len, texts)) > LONG_TEXT
            if long:
                lines = [max(n, math.ceil(len(v) / (LONG_TEXT - 4))) if v.__class__ is str
                         else n for n, v in zip(lines, values)]
            if labels.unit(name) == PERCENT:
                values = [v / 100 if v.__class__ in (int, float) else v for v in values]
            cut = _write_cells(sheet, first, index, values,
                               self._wrap if long else self._number[index])
            self._book.left_out.cut_cells += cut
            if index in self._sums:
                self._sums[index] += math.fsum(v for v in values if v.__class__ in (int, float)
                                               and v - v == 0)
        for row, count in enumerate(lines, first):
            if count > 1:
                sheet.set_row(row, 15 * min(count, MAX_LINES))

    def _write_links(self, sheet, first: int, col: int, names: list) -> None:
        for row, name in enumerate(names, first):
            if not name:
                continue
            if row > MAX_LINKS:
                self._book.left_out.unlinked += 1
                sheet.write_string(row, col, f"reports/{name}")
            else:
                sheet.write_url(row, col, f"external:reports/{name}", string=name,
                                tip="Open the site's PDF report")
        self._width[col] = max(self._width[col], 18)

    def finish(self) -> None:
        """Make each sheet's rows an Excel table, with colours, widths and print setup, once
        (a table made already is left as it is); no rows are appended after this."""
        if self._finished:
            return
        self._finished = True
        book = self._book
        header = book.format(bold=True, bg_color=labels.HEADER.fill,
                             font_color=labels.HEADER.ink, text_wrap=True, valign="top")
        last_col = len(self.columns) - 1
        for number, (sheet, rows) in enumerate(self._sheets, 1):
            totals = bool(self._sums) and rows > 0 and len(self._sheets) == 1
            last = rows + (1 if totals else 0) + (0 if rows else 1)
            columns = []
            for index, heading in enumerate(self._headings):
                column = {"header": heading, "header_format": header}
                if totals and index == 0:
                    column["total_string"] = "Total"
                elif totals and index in self._sums:
                    column.update(total_function=subtotal(1, rows, index),
                                  total_value=self._sums[index], format=self._number[index])
                columns.append(column)
            sheet.add_table(0, 0, last, last_col, {
                "name": book.table_name(self.title), "style": "Table Style Medium 2",
                "total_row": totals, "columns": columns})
            for index, values in self._coloured.items():
                if values:
                    for value in sorted(values):
                        colour = labels.PALETTE[value]
                        sheet.conditional_format(1, index, max(rows, 1), index, {
                            "type": "cell", "criteria": "==", "value": f'"{value}"',
                            "format": book.format(bg_color=colour.fill,
                                                  font_color=colour.ink)})
            for index, width in enumerate(self._width):
                sheet.set_column(index, index, width)
            heights = [math.ceil(len(h) / max(w - 1, 1))
                       for h, w in zip(self._headings, self._width)]
            sheet.set_row(0, 15 * min(max(heights + [1]), MAX_LINES))
            across = max(self._pages_across, math.ceil(sum(self._width) / PRINTED_WIDTH))
            sheet.fit_to_pages(across, 0)
            if across > 1 and self._keys:
                sheet.repeat_columns(0, self._keys - 1)
            sheet.print_area(0, 0, last, last_col)


def _words(name: str, values: list) -> list:
    """A column's texts as people read them: an input's choices in words (``in_progress``
    -> ``in progress``), generated text with every machine name as its label; an input's
    free text as given; the keys a reader types into a rules file as they are."""
    if name in KEY_COLUMNS:
        return values
    column = contract.BY_NAME.get(name)
    if column is not None and column.choices:
        return [labels.choice_words(name, v) if v.__class__ is str else v for v in values]
    if column is None:
        return [labels.readable(v) if v.__class__ is str else v for v in values]
    return values


def _key_columns(columns: list[str]) -> int:
    """How many leading columns name a row's site: through site_name, else site_id (0 for a
    table of no sites)."""
    for name in ("site_name", "site_id"):
        if name in columns[:4]:
            return columns.index(name) + 1
    return 0


def _write_cells(sheet, first: int, col: int, values: list, look) -> int:
    """Write one column's cells from row ``first`` down; text always as text. Returns how
    many texts were cut to Excel's limit."""
    write_string, write_number, cut = sheet.write_string, sheet.write_number, 0
    for row, value in enumerate(values, first):
        kind = value.__class__
        if kind is str:
            if value:
                if len(value) > MAX_TEXT:
                    value, cut = value[:MAX_TEXT], cut + 1
                write_string(row, col, value, look)
        elif kind is float:
            if value - value == 0:  # NaN and infinities stay blank
                write_number(row, col, value, look)
        elif kind is int:
            write_number(row, col, value, look)
        elif kind is bool:
            sheet.write_boolean(row, col, value, look)
        elif value is None or value is pd.NA:
            continue
        elif hasattr(value, "item"):  # a NumPy scalar
            cut += _write_cells(sheet, row, col, [value.item()], look)
        else:
            cut += _write_cells(sheet, row, col, [str(value)], look)
    return cut


def _fit_height(sheet, row: int, text: str, width: int) -> None:
    """Make a row tall enough for ``text`` wrapped in a column ``width`` characters wide
    (spreadsheet programs do not grow rows written by a library when they open them)."""
    lines = math.ceil(len(text) / (width - 2)) if text else 1
    if lines > 1:
        sheet.set_row(row, 15 * min(lines, 10))


def _write_value(sheet, row: int, col: int, value: Any, look) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        sheet.write_string(row, col, _cell_text(value)[:MAX_TEXT], look)
    else:
        sheet.write_number(row, col, value, look)


def _cell_text(value: Any) -> Any:
    """A rule's value as a cell holds it: numbers as numbers, true and false as yes and no,
    a list as its items, anything else as text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(str(_cell_text(v)) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_cell_text(v)}" for k, v in value.items())
    return str(value)


def _number_format(book: ScorecardWriter, name: str):
    if name.endswith("_score"):
        return book.format(num_format=SCORE_FORMAT)
    shown = NUMBER_FORMATS.get(labels.unit(name))
    return book.format(num_format=shown) if shown else None


def _unique(headings: list[str]) -> list[str]:
    """Table headings must differ (ignoring case): later repeats get " (2)", " (3)"..."""
    seen: set[str] = set()
    unique = []
    for heading in headings:
        candidate, n = heading or "Column", 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{heading} ({n})"
        seen.add(candidate.lower())
        unique.append(candidate)
    return unique
