"""sitefit as a library: one call per command, no Click, no printing.

    from pipeline import api
    run = api.evaluate(["input/sites.xlsx"], "output",
                       settings=["power.training.pass_min_capacity_mw=25"])
    run.exit_code, [(o.input, o.status, o.evaluated) for o in run.outcomes]

Failures raise one of the ``pipeline.errors`` family; with several inputs, a failure of
one input is recorded in its outcome and the others still run. Heavy modules (pandas,
the writers, WeasyPrint) are imported by the call that needs them, so that importing this
module, and ``sitefit --help``, stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import stops
from pipeline.errors import Exit, InputError, SitefitError, UsageError, out_of_resources

if TYPE_CHECKING:
    from pipeline.rules import Rules
    from pipeline.outcome import FileOutcome
    from pipeline.validate import Validated


def rules_in_force(rules: Rules | str | Path | None = None, settings: Sequence[str] = (),
                   whatif: str | Path | None = None) -> tuple[Rules, Rules | None]:
    """The rules a run uses and, for a what-if (``settings`` or a ``whatif`` file applied on
    top), the baseline rules it is compared with (else None). Settings of the plan alone
    (``plan.KEY=VALUE``) change no site's classification, so they make no what-if."""
    from pipeline.rules import Rules, load_rules, with_settings

    base = rules if isinstance(rules, Rules) else load_rules(Path(rules) if rules else None)
    if not settings and whatif is None:
        return base, None
    if whatif is None and all(s.strip().startswith("plan.") for s in settings):
        # the plan classifies no site differently: a plan setting is no what-if
        return with_settings(base, list(settings)), None
    changed = load_rules(Path(whatif), base=base) if whatif is not None else base
    return with_settings(changed, list(settings)), base


def with_plan(rules: Rules, plan: str | Path | None = None) -> Rules:
    """``rules`` with the plan file ``plan`` over their ``[plan]`` table, checked: a bad plan
    file or ``--set plan.KEY`` raises RulesError naming the file (or setting) and key."""
    from pipeline.plan import load_plan_file, plan_settings

    planned = load_plan_file(Path(plan), rules) if plan is not None else rules
    plan_settings(planned)
    return planned


def plan(options, sites, plan_file: str | Path | None = None,
         rules: Rules | str | Path | None = None, settings: Sequence[str] = (),
         jobs: int = 1):
    """The conversion plan of an options table (one row per site, workload and start delay;
    ``pipeline.plan.OPTION_COLUMNS`` and per-year columns) and the evaluated ``sites``
    (site_id, site_name, bucket), under the rules and plan file given, its solves run
    ``jobs`` at a time: a ``pipeline.plan.Plan``, whose ``sites`` is plan.csv."""
    from pipeline.plan import make_plan, plan_settings

    in_force = with_plan(rules_in_force(rules, settings)[0], plan_file)
    return make_plan(options, sites, plan_settings(in_force), jobs)


@dataclass
class Evaluation:
    """What a run of ``evaluate`` did: one outcome per input, in the order they ran."""

    outcomes: list[FileOutcome]

    @property
    def exit_code(self) -> int:
        """The run's exit code: the highest of its inputs' (see ``pipeline.errors.Exit``)."""
        return max((outcome.exit_code for outcome in self.outcomes), default=Exit.OK)


def evaluate(inputs: Sequence[str | Path], out: str | Path = "output", *,
             rules: Rules | str | Path | None = None, settings: Sequence[str] = (),
             whatif: str | Path | None = None, plan: str | Path | None = None,
             previous: str | Path | None = None,
             pdfs: bool = True, branding: str | Path | None = None, jobs: int = 1,
             progress: bool = False, decimal: str | None = None,
             each: Callable[[FileOutcome], None] | None = None) -> Evaluation:
    """Evaluate the spreadsheets ``inputs`` (files, or folders of them) into ``out``.

    One file writes straight into ``out``; a folder or several files write each into
    ``out/<file stem>/``, earlier quarters first. ``rules`` is a rules file (or loaded
    Rules); ``settings`` (``KEY=VALUE``) and a ``whatif`` file make it a what-if against
    them. ``plan`` is a plan file (a TOML ``[plan]`` table: the capex, equity and MW
    available each start year, the hurdle...; docs/plan.md) over the default plan; each
    run writes the plan (plan.csv). ``previous`` is an earlier output folder to report
    changes against (default: the previous run in the output folder, or the earlier
    quarter's). ``branding`` is a TOML file whose ``[branding]`` table puts a company's name
    and logo on the PDFs. ``decimal`` (``.`` or ``,``) is the decimal mark of numbers written
    as text, for a file whose own numbers cannot settle it. ``each`` is called with each
    input's outcome as soon as it is known.
    """
    from pipeline import inputs as found
    from pipeline import run
    from pipeline.outcome import FileOutcome
    from pipeline.writers.pdf import load_branding

    in_force, baseline = rules_in_force(rules, settings, whatif)
    in_force = with_plan(in_force, plan)
    brand = load_branding(Path(branding)) if branding else None
    paths = [Path(p) for p in inputs]
    if not paths:
        raise UsageError("no input given: name a spreadsheet or a folder of them")
    jobs = _usable(jobs)
    files = found.find_inputs(paths)
    nested = len(files) > 1 or any(p.is_dir() for p in paths)
    targets = found.output_dirs(files, Path(out), nested)
    earlier = found.earlier_quarters(targets)
    outcomes = []
    for path, target in targets.items():
        stops.check()
        try:
            outcome = run.evaluate_file(
                path, target, in_force, pdfs=pdfs, jobs=jobs, progress=progress,
                previous=Path(previous) if previous else earlier.get(path), baseline=baseline,
                branding=brand, decimal=decimal)
        except Exception as exc:  # noqa: BLE001 - the family's own, recorded; the next runs
            error = exc if isinstance(exc, SitefitError) else out_of_resources(exc)
            if error is None:
                raise
            outcome = FileOutcome.failed(path, target, error)
        outcomes.append(outcome)
        if each is not None:
            each(outcome)
    return Evaluation(outcomes)


def _usable(jobs: int) -> int:
    """``jobs``, at most the cores this process may run on: more would add processes and
    threads, never speed."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(jobs, cores))


def validate(path: str | Path, decimal: str | None = None) -> Validated:
    """Load and check the spreadsheet at ``path`` against the input contract, its numbers
    written as text read with ``decimal`` (default: as the file writes them); write nothing."""
    from pipeline.run import check

    checked = check(Path(path), decimal)
    if checked.data_rows == 0:
        raise InputError(f"{path}: no data rows below the header")
    return checked


def location_conflicts(checked: Validated) -> list[str]:
    """What the coordinates of ``checked``'s valid sites contradict (given country or region,
    coordinates at sea), one line each, under the default rules."""
    from pipeline.rules import default_rules
    from pipeline.run import location_conflicts as conflicts

    return conflicts(checked, default_rules())


def validation_exit_code(checked: Validated) -> int:
    """0 every row valid, 1 some rejected, 2 none valid (as ``evaluate`` would exit)."""
    if not len(checked.sites):
        return Exit.UNUSABLE
    return Exit.SOME_REJECTED if checked.rejected_rows else Exit.OK


def run_document(outcomes: Sequence[FileOutcome], exit_code: int,
                 error: SitefitError | None = None) -> dict:
    """A run as JSON-ready data, as ``sitefit evaluate --json`` prints it (the schema is
    docs/run.schema.json): the exit code, each input's outcome, and the error that stopped
    the whole run before any input, if one did."""
    from pipeline import __version__

    return {
        "sitefit": __version__,
        "exit_code": int(exit_code),
        "error": {"code": error.code, "message": str(error)} if error is not None else None,
        "inputs": [{
            "input": str(outcome.input),
            "status": outcome.status,
            "exit_code": int(outcome.exit_code),
            "message": outcome.message,
            "error": outcome.error,
            "rows": {"data_rows": outcome.data_rows, "evaluated": outcome.evaluated,
                     "rejected": outcome.rejected},
            "out_dir": str(outcome.out_dir) if outcome.out_dir is not None else None,
            "manifest": str(outcome.manifest) if outcome.manifest is not None else None,
            "problems": outcome.problems,
        } for outcome in outcomes],
    }


def template(out: str | Path) -> Path:
    """Write a blank input workbook to ``out`` (.xlsx) with drop-downs, checks and one example."""
    from pipeline.template import write_template

    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"{out}: the template is an .xlsx workbook; name it like template.xlsx")
    write_template(out)
    return out


def rules(rules_file: str | Path | None = None, form: str = "text") -> str:
    """The thresholds in force (the defaults, or ``rules_file`` merged over them), as ``text``
    grouped by gate with units and sources, or as ``toml`` to edit and pass back."""
    from pipeline.rules import describe, load_rules, to_toml

    loaded = load_rules(Path(rules_file) if rules_file else None)
    return describe(loaded) if form == "text" else to_toml(loaded)
