"""One run: load, validate, classify and write, in that order, into an atomic output folder."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path

import pandas as pd

from pipeline import __version__, compare, economics, tabulate
from pipeline.atomic import atomic_directory
from pipeline.classify import Classifier, site_records
from pipeline.enrich import enrich
from pipeline.errors import Exit, InputError, UsageError, writing_failed
from pipeline.load import SPREADSHEET_SUFFIXES, load
from pipeline.rules import Rules
from pipeline.validate import Validated, validate
from pipeline.whatif import WhatIf
from pipeline.writers import pdf
from pipeline.writers.background import Background, InProcess
from pipeline.writers.csv import write_csv
from pipeline.writers.excel import ScorecardWriter

@dataclass
class FileOutcome:
    """What a run of one input file did, for the CLI and the manifest."""

    input: Path
    out_dir: Path | None
    exit_code: int
    message: str
    data_rows: int = 0
    evaluated: int = 0
    rejected: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    pdfs: dict | None = None


def find_inputs(paths: list[Path]) -> list[Path]:
    """Spreadsheets named, or found directly in the folders named, in a stable order."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file()
                            and p.suffix.lower() in SPREADSHEET_SUFFIXES
                            and not p.name.startswith(("~$", ".")))
            if not inside:
                raise InputError(f"{path}: no spreadsheets here "
                                f"(looked for {', '.join(SPREADSHEET_SUFFIXES)})")
            found.extend(inside)
        elif path.exists():
            found.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return found


def output_dirs(inputs: list[Path], out: Path, nested: bool) -> dict[Path, Path]:
    """Where each input's outputs go, earlier quarters first; no two inputs share a folder."""
    if not nested:
        return {inputs[0]: out}
    inputs = sorted(inputs, key=_quarter_order)
    targets: dict[Path, Path] = {}
    for path in inputs:
        target = out / path.stem
        clash = next((p for p, t in targets.items() if t == target), None)
        if clash is not None:
            raise UsageError(f"{clash} and {path} would both write to {target}; rename one")
        targets[path] = target
    return targets


QUARTER_TAG = re.compile(r"[-_ ]*(\d{4}[-_ ]?q[1-4]|q[1-4][-_ ]?\d{4})$", re.IGNORECASE)


def earlier_quarters(targets: dict[Path, Path]) -> dict[Path, Path]:
    """For each input of ``targets`` (as ``output_dirs`` ordered them, earlier quarters
    first), the output folder of the same portfolio's previous quarter, if any.

    ``sites-2026Q3.xlsx`` and ``sites-2026Q4.xlsx`` are quarters of one portfolio; an
    untagged ``sites.xlsx`` is its latest. Inputs are evaluated in that order, so the
    earlier quarter's output exists by the time the later one is compared with it.
    """
    ordered = list(targets)
    return {after: targets[before] for before, after in zip(ordered, ordered[1:])
            if _quarter_order(before)[0] == _quarter_order(after)[0]}


def _quarter_order(path: Path) -> tuple[str, str]:
    """(portfolio, quarter) for sorting: ``sites-2026Q3`` -> ("sites", "20263"); an untagged
    file is its portfolio's latest."""
    match = QUARTER_TAG.search(path.stem)
    tag = re.sub(r"\D", "", match.group(1)) if match else "~"  # untagged sorts last
    if match and match.group(1).lower().startswith("q"):
        tag = tag[1:] + tag[0]  # q3 2026 -> 20263
    return QUARTER_TAG.sub("", path.stem).lower(), tag


def check(path: Path) -> Validated:
    """Load and validate one file without evaluating it."""
    return validate(load(path))


CHUNK = 2000  # sites classified and written at a time: memory stays flat with size


class _Clock:
    """Seconds spent per stage, added up over chunks."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(self.timings.get(stage, 0.0) + now - self._last, 4)
        self._last = now

    def skip(self) -> None:
        """Count the time since the last lap for no stage."""
        self._last = time.perf_counter()


def evaluate_file(path: Path, out_dir: Path, rules: Rules, *, pdfs: bool = True, jobs: int = 1,
                  progress: bool = False, previous: Path | None = None,
                  baseline: Rules | None = None) -> FileOutcome:
    """Evaluate one spreadsheet and write its outputs into ``out_dir`` all at once.

    With ``pdfs``, also a report per site and a portfolio summary, rendered over ``jobs``
    processes; reports unchanged since the previous run in ``out_dir`` are reused. Changes
    are reported against ``previous`` (an output folder or results.csv; by default the
    previous run in ``out_dir``, if any), and with ``baseline`` rules, which sites the rules
    in force move (what-if).
    """
    clock = _Clock()
    if previous is None and (out_dir / "results.csv").is_file():
        previous = out_dir
    try:
        before = compare.read_results(previous) if previous is not None else None
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"--previous {previous}: cannot be read as sitefit results ({exc})") \
            from exc
    table = load(path)
    clock.lap("load")
    checked = validate(table)
    clock.lap("validate")
    sites = enrich(checked.sites, rules)
    clock.lap("enrich")
    outcome = FileOutcome(path, out_dir, 0, "", checked.data_rows, len(sites),
                          len(checked.rejected_rows), clock.timings)
    outcome.exit_code, outcome.message = _verdict(outcome, checked)
    run = _Run(checked, sites, rules, before, baseline, previous)
    try:
        _write_outputs(out_dir, run, outcome, clock, pdfs, jobs, progress)
    except OSError as exc:
        raise writing_failed(exc, out_dir) from exc
    if run.whatif is not None:
        moved = int((run.whatif["bucket_before"] != run.whatif["bucket_after"]).sum())
        outcome.message += (f"; what-if: {moved} sites change bucket, {len(run.whatif)} change "
                            "some outcome (whatif.csv)")
    return outcome


@dataclass
class _Run:
    checked: Validated
    sites: pd.DataFrame
    rules: Rules
    before: pd.DataFrame | None  # the previous run's results, by site_id
    baseline: Rules | None
    previous: Path | None
    changes: list[dict] = field(default_factory=list)
    whatif: pd.DataFrame | None = None


class _Tables:
    """results.csv and scorecard.xlsx, written a chunk at a time, with the seconds each took."""

    def __init__(self, staging: Path, columns: list[str], detail_columns: list[str]):
        self._csv = staging / "results.csv"
        write_csv(pd.DataFrame(columns=columns), self._csv)
        self._book = ScorecardWriter(staging / "scorecard.xlsx", columns, detail_columns)
        self._clock = _Clock()

    def add(self, sites: pd.DataFrame, gate_detail: pd.DataFrame) -> None:
        self._clock.skip()
        write_csv(sites, self._csv, append=True)
        self._clock.lap("csv")
        self._book.add_sites(sites)
        self._book.add_gate_detail(gate_detail)
        self._clock.lap("excel")

    def close(self, **sheets) -> dict[str, float]:
        """Finish the workbook (see ScorecardWriter.close); the seconds spent per file."""
        self._clock.skip()
        self._book.close(**sheets)
        self._clock.lap("excel")
        return self._clock.timings


def _write_outputs(out_dir: Path, run: _Run, outcome: FileOutcome, clock: _Clock, pdfs: bool,
                   jobs: int, progress: bool) -> None:
    """Classify and write chunk by chunk into a staging folder that replaces ``out_dir``.

    With more than one job, the tables are written by a second process while the next chunk
    is classified."""
    checked, rules = run.checked, run.rules
    extras = checked.table.extras
    totals = tabulate.Tally()
    classifier = Classifier(rules)
    tracker = compare.Tracker(run.before)
    whatif = WhatIf(run.baseline, extras) if run.baseline else None
    money_rows: list[pd.DataFrame] = []
    with atomic_directory(out_dir) as staging:
        problems = tabulate.problems_frame(checked.problems)
        write_csv(problems, staging / "rejected.csv")
        columns = list(tabulate.results_frame([], extras).columns)
        detail_columns = list(tabulate.gate_detail_frame([]).columns)
        make = partial(_Tables, staging, columns, detail_columns)
        tables = Background(make) if jobs > 1 and Background.available() else InProcess(make)
        try:
            reports = _pdf_writer(staging, out_dir, checked, rules, jobs, progress,
                                  len(run.sites)) if pdfs else None
            records = site_records(run.sites)
            while chunk := list(islice(records, CHUNK)):
                assessed = [classifier.assess(values) for values in chunk]
                results = [a.site for a in assessed]
                flips = {a.site.site_id: a.what_would_flip for a in assessed}
                totals.add(results, flips)
                money = {s.site_id: economics.evaluate(s, rules) for s in results}
                money_rows.append(tabulate.economics_rows(results, money))
                fixes = {(a.site.site_id, w, g): text
                         for a in assessed for (w, g), text in a.fixes.items()}
                clock.lap("classify")
                frame = tabulate.results_frame(results, extras, flips, money)
                detail = tabulate.gate_detail_frame(results, fixes)
                changed = tracker.add(frame)
                if whatif:
                    whatif.add(frame, chunk)
                clock.lap("tables")
                tables.call("add", frame, detail)
                clock.lap("write")
                if reports:
                    pages = pdf.site_pages(results, reports.info, reports.names, flips, changed,
                                           money)
                    clock.lap("pdf_html")
                    reports.pdf.add(pages)
                    clock.lap("pdf")
            ranked = tabulate.economics_frame(money_rows, rules)
            more = [("Economics", ranked)]
            changes = tracker.finish_changes()
            run.whatif = whatif.finish() if whatif else None
            run.changes = tracker.changes
            for name, title, table in (("changes.csv", "Changes", changes),
                                       ("whatif.csv", "What-if", run.whatif)):
                if table is not None:
                    write_csv(table, staging / name)
                    more.append((title, table))
            clock.lap("tables")
            if reports:
                # only a run with changes gets the section: an unchanged re-run renders nothing
                reports.pdf.add([pdf.portfolio_page(totals, reports.info, outcome.rejected,
                                                    run.changes or None,
                                                    ranked[ranked["site_id"].notna()].head(10),
                                                    rules["economics"]["as_of"])])
                outcome.pdfs = reports.pdf.close()
                clock.lap("pdf")
            writing = tables.finish(
                "close", summary=_summary(checked, rules, outcome, run),
                buckets=totals.buckets(), disqualifiers=totals.disqualifiers(),
                rejected=problems, rules=rules.cells(), more=more)
            clock.lap("write")
            clock.timings.update(writing)
        except BaseException:
            tables.abort()
            raise
        _write_manifest(staging / "manifest.json", checked, rules, totals, outcome, run)


@dataclass
class _Reports:
    pdf: pdf.PdfWriter
    info: pdf.RunInfo
    names: dict[str, str]


def _pdf_writer(staging: Path, out_dir: Path, checked: Validated, rules: Rules, jobs: int,
                progress: bool, count: int) -> _Reports:
    today = dt.date.today().isoformat()
    info = pdf.RunInfo(__version__, today, checked.table.path.name, rules.source, rules.sha256)
    writer = pdf.PdfWriter(staging, out_dir if out_dir.is_dir() else None,
                           _previous_pdf_keys(out_dir), today, jobs, count + 1, progress)
    return _Reports(writer, info, pdf.report_names(checked.sites["site_id"].tolist()))


def _previous_pdf_keys(out_dir: Path) -> dict[str, str]:
    try:
        manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
        return dict(manifest["pdfs"]["keys"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _verdict(outcome: FileOutcome, checked: Validated) -> tuple[int, str]:
    name = outcome.input
    if outcome.data_rows == 0:
        return Exit.UNUSABLE, f"{name}: no data rows below the header; nothing to evaluate"
    if outcome.evaluated == 0:
        return Exit.UNUSABLE, (f"{name}: all {outcome.rejected} rows rejected; first: "
                                   f"{checked.problems[0]}")
    if outcome.rejected:
        return Exit.SOME_REJECTED, (f"{name}: {outcome.evaluated} of {outcome.data_rows} rows "
                               f"evaluated, {outcome.rejected} rejected (see rejected.csv); first: "
                               f"{checked.problems[0]}")
    return Exit.OK, f"{name}: {outcome.evaluated} sites evaluated"


def _summary(checked: Validated, rules: Rules, outcome: FileOutcome,
             run: _Run) -> list[tuple[str, object]]:
    table = checked.table
    return [
        ("sitefit version", __version__),
        ("Input file", table.path.name),
        ("Sheet", table.sheet),
        ("Header row", table.header_row),
        ("Data rows", outcome.data_rows),
        ("Sites evaluated", outcome.evaluated),
        ("Rows rejected", outcome.rejected),
        ("Rules", rules.source),
        ("Rules sha256", rules.sha256),
        ("Compared with", str(run.previous) if run.previous else "no previous run"),
        ("What-if baseline", run.baseline.source if run.baseline else "none"),
    ]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_manifest(path: Path, checked: Validated, rules: Rules, totals: tabulate.Tally,
                    outcome: FileOutcome, run: _Run) -> None:
    table = checked.table
    manifest = {
        "tool": "sitefit",
        "version": __version__,
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "input": {"path": str(table.path), "sha256": _sha256(table.path),
                  "sheet": table.sheet, "header_row": table.header_row},
        "rules": {"source": rules.source, "sha256": rules.sha256, "values": rules.values},
        "rows": {
            "data_rows": outcome.data_rows,
            "evaluated": outcome.evaluated,
            "rejected": outcome.rejected,
            "all_accounted_for": outcome.evaluated + outcome.rejected == outcome.data_rows,
            "rejected_rows": checked.rejected_rows,
            "not_data": {str(row): why for row, why in table.skipped_rows.items()},
        },
        "buckets": {row.bucket: row.sites for row in totals.buckets().itertuples(index=False)},
        "outputs": ["results.csv", "rejected.csv", "scorecard.xlsx", "manifest.json"]
        + (["changes.csv"] if run.before is not None else [])
        + (["whatif.csv"] if run.baseline is not None else [])
        + (["portfolio.pdf", "reports/"] if outcome.pdfs else []),
        "previous": {"path": str(run.previous), "changes": len(run.changes)}
        if run.before is not None else None,
        "what_if": {"baseline": run.baseline.source, "baseline_sha256": run.baseline.sha256,
                    "sites_changed": len(run.whatif)} if run.baseline is not None else None,
        "pdfs": outcome.pdfs,
        "timings_s": outcome.timings,
        "exit_status": outcome.exit_code,
        "message": outcome.message,
    }
    path.write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
