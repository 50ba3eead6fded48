"""The ``sitefit`` command: parses options and calls ``pipeline.api``; nothing else.

Errors become one line on stderr (or, with ``--json``, a JSON document on stdout) and an
exit code in one place, ``Sitefit.invoke``; the codes are those of ``pipeline.errors.Exit``.
Options can also be set from the environment: ``SITEFIT_<COMMAND>_<OPTION>``, for example
``SITEFIT_EVALUATE_JOBS=4`` (Click's ``auto_envvar_prefix``; docs/cli-reference.md lists
them all).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import click

from pipeline import api, atomic, stops
from pipeline.errors import (Exit, Interrupted, SitefitError, StdoutFailed, Terminated,
                             as_sitefit_error)


def _on_signals(json_document: Callable[[SitefitError], None]) -> None:
    """The first SIGINT or SIGTERM unwinds the run (its staging folder removed, the previous
    output untouched); a second one, while it unwinds, ends the run at once: helper
    processes killed, the message and the document printed, exit 130 or 143."""

    def first(signum: int, frame) -> None:
        signal.signal(signal.SIGINT, second)
        signal.signal(signal.SIGTERM, second)
        stops.ask(signum)

    def second(signum: int, frame) -> None:
        _ignore_signals()
        for child in multiprocessing.active_children():
            child.kill()
        atomic.abandon()
        error = _signalled(signum, "twice")
        try:
            say(str(error))
            json_document(error)
        finally:
            os._exit(int(error.exit_code))

    signal.signal(signal.SIGINT, first)
    signal.signal(signal.SIGTERM, first)


def _ignore_signals() -> None:
    """From here on Ctrl-C and SIGTERM change nothing: the run is ending, or its outputs are
    in place, and a late one must not turn the exit code into death by signal."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


def _signalled(signum: int, how: str = "") -> SitefitError:
    """The error a signal ends the run with (see errors.py)."""
    kind, words = ((Interrupted, "interrupted") if signum == signal.SIGINT
                   else (Terminated, "terminated"))
    return kind(f"{words}{' ' + how if how else ''}; the previous output is untouched")


def print_out(text: str) -> None:
    """Print ``text`` on stdout; a closed or full stdout is the environment's failure (exit
    3), said once, not a traceback nor the exit code of rejected rows."""
    try:
        click.echo(text)
        sys.stdout.flush()
    except OSError as exc:
        # nothing more can reach it: later prints and the flush at exit go nowhere quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise StdoutFailed(f"cannot print on standard output ({exc.strerror or exc}): it "
                           "was closed or is full, so what sitefit prints there is lost") \
            from None


def _remember(key: str):
    """An option callback that also keeps the option's value where ``Sitefit.invoke`` sees it."""
    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
        ctx.meta[key] = value
        return value
    return callback


decimal_option = click.option(
    "--decimal", type=click.Choice([".", ","]),
    help="The decimal mark of numbers in a CSV or TSV (or typed as text in a workbook), for a "
         "file whose numbers cannot settle it. Default: the mark the file's numbers show "
         "(0,045 or 1.200,5 a comma; 0.045 or 1,200.5 a point), else a comma in a file with "
         "semicolons between fields and a point otherwise.")
debug_option = click.option("--debug", is_flag=True, expose_value=False,
                            callback=_remember("sitefit.debug"),
                            help="Show tracebacks on errors.")


def say(message: str) -> None:
    """One line on stderr in the one style: ``sitefit: <input as given>: <what> (<where>)``;
    line breaks in a message (a library's, quoted) become spaces."""
    click.echo(f"sitefit: {' '.join(message.splitlines())}", err=True)


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """--version, reading the installed version only when asked for it."""
    if value and not ctx.resilient_parsing:
        from pipeline import __version__

        click.echo(f"sitefit, version {__version__}")
        ctx.exit()


class Sitefit(click.Group):
    """The one place where errors become a message and an exit code (see errors.py)."""

    def invoke(self, ctx: click.Context):
        _on_signals(lambda error: self._document(ctx, error))
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as stop:  # the output is already safe
            _ignore_signals()
            self._fail(ctx, _signalled(signal.SIGTERM if isinstance(stop, stops.Stopped)
                                       else signal.SIGINT))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if ctx.meta.get("sitefit.debug"):
                raise
            self._fail(ctx, as_sitefit_error(exc))

    @classmethod
    def _fail(cls, ctx: click.Context, error: SitefitError) -> None:
        say(str(error))
        try:
            cls._document(ctx, error)
        except StdoutFailed as lost:
            say(str(lost))
            error = lost if error.exit_code < lost.exit_code else error
        ctx.exit(int(error.exit_code))

    @staticmethod
    def _document(ctx: click.Context, error: SitefitError) -> None:
        """With --json, the run's document for a run that ``error`` ended."""
        if ctx.meta.get("sitefit.json"):
            print_out(json.dumps(api.run_document([], error.exit_code, error)))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands with their whole first sentence, never cut off with '...'."""
        commands = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl([(name, command.get_short_help_str(limit=200))
                                for name, command in commands])


@click.group(cls=Sitefit, context_settings={"help_option_names": ["-h", "--help"],
                                            "auto_envvar_prefix": "SITEFIT"})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_show_version, help="Show the version and exit.")
def cli() -> None:
    """Classify mining sites for AI training, AI inference, both or neither."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False),
              default=Path("output"), show_default=True,
              help="Output folder. One input file writes straight into it; a folder or several "
                   "files write each into OUT/<file stem>/.")
@click.option("--rules", type=click.Path(path_type=Path, dir_okay=False),
              help="A TOML rules file; the keys it sets replace the defaults.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              envvar="SITEFIT_EVALUATE_SET",
              help="What-if: change one threshold for this run, e.g. "
                   "power.training.pass_max_price_usd_per_kwh=0.06 (repeatable). whatif.csv "
                   "lists the sites the change moves.")
@click.option("--whatif", type=click.Path(path_type=Path, dir_okay=False),
              help="What-if: a second rules file applied on top, compared like --set.")
@click.option("--plan", "plan_file", type=click.Path(path_type=Path, dir_okay=False),
              help="A TOML plan file: its [plan] table sets the capex, equity and MW "
                   "available each start year, the hurdle, the start years and sites forced "
                   "in or out (docs/plan.md). Default: no limits, NPV above 0. Every run "
                   "writes the plan: plan.csv, the Plan sheets and a page of portfolio.pdf.")
@click.option("--previous", type=click.Path(path_type=Path, exists=True),
              help="An earlier output folder (or its results.csv) to report changes against. "
                   "Default: the previous run in the output folder, or, among the inputs "
                   "given together (a folder, or several files), the same portfolio's "
                   "earlier quarter (sites-2026Q3.xlsx before sites.xlsx).")
@click.option("--no-pdf", is_flag=True, help="Skip the PDF reports.")
@click.option("--branding", type=click.Path(path_type=Path, dir_okay=False),
              help="A TOML file whose [branding] table names the company the PDFs are made "
                   "for (name) and its logo (logo: a PNG or JPEG file of at most 512 KiB, "
                   "relative to the TOML file).")
@click.option("--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1,
              show_default="the number of cores",
              help="Processes to use: PDF renderers, and with more than one, a second process "
                   "that writes the tables while sites are classified, and the plan's solves "
                   "that many at a time (threads). More than the cores, or than there are "
                   "reports to render, adds none.")
@click.option("--json", "as_json", is_flag=True, callback=_remember("sitefit.json"),
              envvar="SITEFIT_EVALUATE_JSON",
              help="Print one JSON document on stdout when the run ends: per input its "
                   "status, exit code, row counts, output folder, manifest and problems by "
                   "code (the schema is docs/run.schema.json).")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and rejected rows.")
@click.option("--verbose", "-v", is_flag=True,
              help="Also print the seconds each stage took, per input.")
@decimal_option
@debug_option
def evaluate(paths: tuple[Path, ...], out: Path, rules: Path | None,
             settings: tuple[str, ...], whatif: Path | None, plan_file: Path | None,
             previous: Path | None,
             no_pdf: bool, branding: Path | None, jobs: int, as_json: bool, quiet: bool,
             verbose: bool, decimal: str | None) -> None:
    """Evaluate the portfolio spreadsheet(s) at PATHS and write the scorecard."""

    def tell(outcome) -> None:
        if outcome.exit_code or not quiet:
            say(outcome.message if outcome.error else f"{outcome.message} "
                f"(written to {outcome.out_dir})")
        if outcome.unread_note and not quiet:
            say(outcome.unread_note)
        if verbose:
            for stage, seconds in outcome.timings.items():
                say(f"{outcome.input}: {stage} took {seconds:.3f} s")

    run = api.evaluate(paths, out, rules=rules, settings=settings, whatif=whatif,
                       plan=plan_file, previous=previous, pdfs=not no_pdf, branding=branding,
                       jobs=jobs, progress=sys.stderr.isatty() and not quiet, decimal=decimal,
                       each=tell)
    _ignore_signals()  # the outputs are in place: nothing to stop
    if as_json:
        print_out(json.dumps(api.run_document(run.outcomes, run.exit_code)))
    sys.exit(int(run.exit_code))


@cli.command(name="validate")
@click.argument("path", type=click.Path(path_type=Path))
@decimal_option
@debug_option
def validate_command(path: Path, decimal: str | None) -> None:
    """Check the spreadsheet at PATH against the input contract; write nothing."""
    checked = api.validate(path, decimal)
    conflicts = api.location_conflicts(checked) if len(checked.sites) else []
    if lines := [*map(str, checked.problems),
                 *(f"location conflict: {conflict}" for conflict in conflicts)]:
        print_out("\n".join(lines))
    say(f"{path}: {checked.data_rows} data rows, {len(checked.sites)} valid, "
        f"{len(checked.rejected_rows)} rejected"
        + (f", {len(conflicts)} with location conflicts to check" if conflicts else ""))
    sys.exit(int(api.validation_exit_code(checked)))


@cli.command()
@click.option("--rules", type=click.Path(path_type=Path, dir_okay=False),
              help="A TOML rules file to show instead of the defaults (merged over them).")
@click.option("--format", "form", type=click.Choice(["text", "toml"]), default="text",
              envvar="SITEFIT_RULES_FORMAT",
              show_default=True, help="text for people; toml for a file to edit and pass back.")
@debug_option
def rules(rules: Path | None, form: str) -> None:
    """Print the thresholds in force, grouped by gate, with units and sources."""
    print_out(api.rules(rules, form).removesuffix("\n"))


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@debug_option
def template(out: Path) -> None:
    """Write a blank input workbook to OUT (.xlsx) with drop-downs, checks and one example."""
    say(f"{api.template(out)}: written")


def main() -> None:
    try:
        cli(prog_name="sitefit")
    except SystemExit as done:
        if done.code in (Exit.INTERRUPTED, Exit.TERMINATED):
            # A stopped run ends here, its outputs safe and its message said: not through
            # the interpreter's shutdown, which joins helper threads and puts the default
            # handlers back, so that a signal still on its way would end it as killed.
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except OSError:
                    pass
            os._exit(done.code)
        raise
