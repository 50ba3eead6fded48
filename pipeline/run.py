"""One run: load, validate, classify and write, in that order, into an atomic output folder."""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from pipeline import __version__, compare, contract, economics, plan, stops, tabulate
from pipeline.atomic import atomic_directory
from pipeline.classify import Classifier, site_records
from pipeline.enrich import enrich
from pipeline.errors import EnvironmentFailure, Exit, UsageError, writing_failed
from pipeline.load import load
from pipeline.manifest import write_manifest
from pipeline.outcome import FileOutcome
from pipeline.rules import Rules
from pipeline.validate import Validated, validate
from pipeline.whatif import WhatIf
from pipeline.writers import pdf
from pipeline.writers.background import Background, InProcess, Writer
from pipeline.writers.csv import write_csv
from pipeline.writers.excel import RunFacts, ScorecardWriter


def check(path: Path, decimal: str | None = None) -> Validated:
    """Load and validate one file without evaluating it (``decimal``: see ``validate``)."""
    return validate(load(path), decimal)


def location_conflicts(checked: Validated, rules: Rules) -> list[str]:
    """A line for each valid site whose given country or region its coordinates contradict
    (or whose coordinates fall outside every country), located as a person finds it."""
    table = checked.table
    where = f"{table.path}, sheet {table.sheet}" if table.sheet != "csv" else str(table.path)
    sites = enrich(checked.sites, rules)
    return [f"{where}, row {row}, site {site_id}: {conflicts}"
            for row, site_id, conflicts in zip(sites.index, sites["site_id"],
                                               sites["location_conflicts"]) if conflicts]


CHUNK = 1000  # sites classified and written at a time: memory stays flat with size

# Allocations between two collections of Python's youngest generation while a run writes
# (Python's default is 700). Classifying and writing make millions of short-lived objects
# that reference counting frees at once; collecting after every 700 of them cost about a
# tenth of a 10,000-site run (BENCHMARKS.md). Cycles are still collected, just less often.
YOUNG_COLLECTION_EVERY = 10_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect the youngest generation less often while the block runs; the forked
    writer and PDF processes inherit it. The caller's thresholds come back afterwards."""
    before = gc.get_threshold()
    young = max(before[0], YOUNG_COLLECTION_EVERY) if before[0] else 0  # 0: a caller's "never"
    gc.set_threshold(young, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


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
                  baseline: Rules | None = None, branding: pdf.Branding | None = None,
                  decimal: str | None = None) -> FileOutcome:
    """Evaluate one spreadsheet and write its outputs into ``out_dir`` all at once.

    With ``pdfs``, also a report per site and a portfolio summary, rendered over ``jobs``
    processes; reports unchanged since the previous run in ``out_dir`` are reused. Changes
    are reported against ``previous`` (an output folder or results.csv; by default the
    previous run in ``out_dir``, if any), and with ``baseline`` rules, which sites the rules
    in force move (what-if). ``branding`` names the company the PDFs are made for.
    ``decimal`` (``.`` or ``,``) is the decimal mark of numbers written as text; by default
    the file's own, as its numbers show.
    """
    clock = _Clock()
    given = previous is not None
    if not given and (out_dir / "results.csv").is_file():
        previous = out_dir
    try:
        before = compare.read_results(previous) if previous is not None else None
    except (OSError, ValueError, KeyError) as exc:
        what = (f"--previous {previous}" if given else
                f"{out_dir / 'results.csv'} (the previous run's results, compared by default)")
        raise UsageError(f"{what}: cannot be read as sitefit results ({exc}); give --previous "
                         "an earlier output folder, or another --out") from exc
    try:
        table = load(path)
    except OSError as exc:
        raise EnvironmentFailure(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    clock.lap("load")
    checked = validate(table, decimal)
    clock.lap("validate")
    sites = enrich(checked.sites, rules)
    clock.lap("enrich")
    outcome = FileOutcome(path, out_dir, 0, "", checked.data_rows, len(sites),
                          len(checked.rejected_rows), clock.timings,
                          problems=dict(Counter(p.code for p in checked.problems)),
                          unread=tuple(_unread(checked.table.extras)))
    outcome.exit_code, outcome.message = _verdict(outcome, checked)
    run = RunState(checked, sites, rules, before, baseline, previous, branding)
    try:
        with _fewer_collections():
            _write_outputs(out_dir, run, outcome, clock, pdfs, jobs, progress)
    except OSError as exc:
        raise writing_failed(exc, out_dir) from exc
    if run.whatif is not None:
        moved = int((run.whatif["bucket_before"] != run.whatif["bucket_after"]).sum())
        outcome.message += (f"; what-if: {moved} sites change bucket, {len(run.whatif)} change "
                            "some outcome (whatif.csv)")
    return outcome


@dataclass
class RunState:
    checked: Validated
    sites: pd.DataFrame
    rules: Rules
    before: pd.DataFrame | None  # the previous run's results, by site_id
    baseline: Rules | None
    previous: Path | None
    branding: pdf.Branding | None
    changes: list[dict] = field(default_factory=list)
    whatif: pd.DataFrame | None = None
    plan: plan.Plan | None = None
    plan_changes: pd.DataFrame | None = None  # None without a previous plan.csv


class _Tables:
    """results.csv and scorecard.xlsx, written a chunk at a time, with the seconds each took."""

    def __init__(self, staging: Path, columns: list[str], detail_columns: list[str],
                 facts: RunFacts, report_names: dict[str, str] | None):
        self._csv = staging / "results.csv"
        write_csv(pd.DataFrame(columns=columns), self._csv)
        self._card = tabulate.scorecard_columns(columns)
        self._book = ScorecardWriter(staging / "scorecard.xlsx", self._card, detail_columns,
                                     facts, report_names)
        self._clock = _Clock()

    def add(self, sites: pd.DataFrame, gate_detail: pd.DataFrame) -> None:
        self._clock.skip()
        write_csv(sites, self._csv, append=True)
        self._clock.lap("csv")
        self._book.add_sites(sites[self._card])
        self._book.add_gate_detail(gate_detail)
        self._clock.lap("excel")

    def end_sites(self) -> None:
        self._clock.skip()
        self._book.end_sites()
        self._clock.lap("excel")

    def add_table(self, title: str, frame: pd.DataFrame) -> None:
        self._clock.skip()
        self._book.add_table(title, frame)
        self._clock.lap("excel")

    def close(self, **sheets: Any) -> tuple[dict[str, float], list[str]]:
        """Finish the workbook (see ScorecardWriter.close): the seconds spent per file, and
        what Excel's limits left out of the workbook."""
        self._clock.skip()
        left_out = self._book.close(**sheets)
        self._clock.lap("excel")
        return self._clock.timings, left_out


def _write_outputs(out_dir: Path, run: RunState, outcome: FileOutcome, clock: _Clock, pdfs: bool,
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
    cash_rows: list[pd.DataFrame] = []
    portfolio = economics.Portfolio(rules)
    planning = plan.plan_settings(rules)
    options: list[pd.DataFrame] = []
    planned: list[tuple[str, str, str]] = []  # every site: site_id, site_name, bucket
    with atomic_directory(out_dir, keep=[checked.table.path]) as staging:
        problems = tabulate.problems_frame(checked.problems)
        write_csv(problems, staging / "rejected.csv")
        columns = list(tabulate.results_frame([], extras).columns)
        detail_columns = list(tabulate.gate_detail_frame([]).columns)
        names = pdf.report_names(run.sites["site_id"].tolist()) if pdfs else None
        facts = RunFacts(__version__, checked.table.path.name, rules.source, rules.sha256,
                         dt.date.today().isoformat())
        make = partial(_Tables, staging, columns, detail_columns, facts, names)
        tables: Writer[_Tables] = (Background(make) if jobs > 1 and Background.available()
                                   else InProcess(make))
        reports = None
        try:
            reports = _pdf_writer(staging, out_dir, run, jobs, progress,
                                  names) if pdfs else None
            records = site_records(run.sites)
            while chunk := list(islice(records, CHUNK)):
                stops.check()
                assessed = [classifier.assess(values) for values in chunk]
                results = [a.site for a in assessed]
                flips = {a.site.site_id: a.what_would_flip for a in assessed}
                better = {a.site.site_id: a.better_bucket for a in assessed}
                totals.add(results, flips)
                money = economics.evaluate(results, rules, planning.delays)
                portfolio.add(money)
                money_rows.append(tabulate.economics_rows(results, money.rows))
                cash_rows.append(tabulate.cash_flow_rows(money_rows[-1], money.cash_flows))
                options.append(money.options)
                planned += [(s.site_id, s.site_name, str(s.bucket)) for s in results]
                fixes = {(a.site.site_id, w, g): text
                         for a in assessed for (w, g), text in a.fixes.items()}
                clock.lap("classify")
                frame = tabulate.results_frame(results, extras, flips, money.rows, better)
                detail = tabulate.gate_detail_frame(results, fixes)
                changed = tracker.add(frame)
                if whatif:
                    whatif.add(frame, chunk)
                clock.lap("tables")
                tables.call(_Tables.add, frame, detail)
                clock.lap("write")
                if reports:
                    pages = pdf.site_pages(results, reports.info, reports.names, flips, changed,
                                           money.pages)
                    clock.lap("pdf_html")
                    reports.pdf.add(pages)
                    clock.lap("pdf")
            stops.check()
            # the writer makes its tables and lays out these sheets while the plan is made
            tables.call(_Tables.end_sites)
            ranked = tabulate.economics_frame(money_rows)
            tables.call(_Tables.add_table, "Economics", ranked)
            tables.call(_Tables.add_table, "Cash flows", tabulate.cash_flows_frame(
                cash_rows, rules["economics"]["decision_date"]))
            tables.call(_Tables.add_table, "Assumptions", tabulate.assumptions_frame(rules))
            changes = tracker.finish_changes()
            run.whatif = whatif.finish() if whatif else None
            run.changes = tracker.changes
            clock.lap("tables")
            run.plan = plan.make_plan(
                pd.concat(options, ignore_index=True) if options else
                economics.options([], rules, planning.delays),
                pd.DataFrame(planned, columns=["site_id", "site_name", "bucket"]), planning,
                jobs)
            earlier = compare.read_plan(run.previous) if run.before is not None else None
            if earlier is not None:
                run.plan_changes = plan.plan_changes(earlier, run.plan.sites)
            more = [("Plan", run.plan.sites), ("Plan options", run.plan.options),
                    ("Plan limits", run.plan.limits()), ("Plan frontier", run.plan.frontier)]
            stops.check()
            clock.lap("plan")
            clock.timings["plan_solver"] = run.plan.solver_seconds  # of the plan itself
            for name, title, table in (("plan.csv", None, run.plan.sites),
                                       ("plan-options.csv", None, run.plan.options),
                                       ("plan-changes.csv", "Plan changes", run.plan_changes),
                                       ("changes.csv", "Changes", changes),
                                       ("whatif.csv", "What-if", run.whatif)):
                if table is not None:
                    write_csv(table, staging / name)
                    if title:
                        more.append((title, table))
            clock.lap("tables")
            if reports:
                # only a run with changes gets the section: an unchanged re-run renders nothing
                reports.pdf.add([pdf.portfolio_page(totals, reports.info, outcome.rejected,
                                                    run.changes or None,
                                                    ranked.head(10),
                                                    portfolio.summary(), run.plan,
                                                    run.plan_changes)])
                outcome.pdfs = reports.pdf.close()
                clock.lap("pdf")
            stops.check()
            writing, left_out = tables.finish(
                _Tables.close, summary=_summary(checked, rules, outcome, run, len(ranked)),
                buckets=totals.buckets(), disqualifiers=totals.disqualifiers(),
                rejected=problems, rules=rules.cells(), more=more)
            clock.lap("write")
            clock.timings.update(writing)
            if left_out:
                outcome.message += ("; scorecard.xlsx leaves out, for Excel's limits, "
                                    + "; ".join(left_out) + " (all in results.csv)")
        except BaseException:
            tables.abort()
            if reports:
                reports.pdf.abort()
            raise
        write_manifest(staging / "manifest.json", checked, rules, totals, outcome,
                       previous=run.previous if run.before is not None else None,
                       changes=len(run.changes), baseline=run.baseline,
                       whatif_sites=len(run.whatif) if run.whatif is not None else 0,
                       plan=run.plan, plan_changes=run.plan_changes is not None)


@dataclass
class _Reports:
    pdf: pdf.PdfWriter
    info: pdf.RunInfo
    names: dict[str, str]


def _pdf_writer(staging: Path, out_dir: Path, run: RunState, jobs: int, progress: bool,
                names: dict[str, str]) -> _Reports:
    today = dt.date.today().isoformat()
    info = pdf.RunInfo(__version__, today, run.checked.table.path.name, run.rules.source,
                       run.rules.sha256, run.branding)
    writer = pdf.PdfWriter(staging, out_dir if out_dir.is_dir() else None, today, jobs,
                           len(names) + 1, progress)
    return _Reports(writer, info, names)


def _unread(headers: list[str]) -> list[str]:
    """Each header sitefit does not read, quoted, with the contract column it may have
    meant: a misspelt column is never silently ignored."""
    named = []
    for header in headers:
        meant = contract.closest_column(header)
        named.append(f"'{header}'" + (f" (did you mean {meant}?)" if meant else ""))
    return named


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
    sites = "site" if outcome.evaluated == 1 else "sites"
    return Exit.OK, f"{name}: {outcome.evaluated} {sites} evaluated"


def _summary(checked: Validated, rules: Rules, outcome: FileOutcome,
             run: RunState, valued: int) -> list[tuple[str, object]]:
    table = checked.table
    unvalued = outcome.evaluated - valued
    return [
        ("sitefit version", __version__),
        ("Input file", table.path.name),
        ("Sheet", table.sheet),
        ("Header row", table.header_row),
        ("Numbers", checked.numbers.describe()),
        ("Data rows", outcome.data_rows),
        ("Sites evaluated", outcome.evaluated),
        ("Sites with economics", f"{valued:,}" + (
            f": the other {unvalued:,} suit neither workload or have no power to give to "
            "AI, so the Economics and Cash flows sheets leave them out" if unvalued else "")),
        ("Rows rejected", outcome.rejected),
        ("Rules", rules.source),
        ("Rules sha256", rules.sha256),
        ("Compared with", str(run.previous) if run.previous else "no previous run"),
        ("What-if baseline", run.baseline.source if run.baseline else "none"),
    ]
