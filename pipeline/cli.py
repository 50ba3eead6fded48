"""The ``sitefit`` command: parses options and calls ``pipeline.api``; nothing else.

Errors become one line on stderr (or, with ``--json``, a JSON document on stdout) and an
exit code in one place, ``Sitefit.invoke``; the codes are those of ``pipeline.errors.Exit``.
Options can also be set from the environment: ``SITEFIT_<COMMAND>_<OPTION>``, for example
``SITEFIT_EVALUATE_JOBS=4`` (Click's ``auto_envvar_prefix``; docs/cli-reference.md lists
them all).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import click

from pipeline import api
from pipeline.errors import Exit, Interrupted, SitefitError, as_sitefit_error


def _terminated(signum, frame) -> None:
    """SIGTERM unwinds like Ctrl-C, so a half-written output folder is removed at once."""
    raise SystemExit(Exit.TERMINATED)


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
    """One line on stderr in the one style: ``sitefit: <input as given>: <what> (<where>)``."""
    click.echo(f"sitefit: {message}", err=True)


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """--version, reading the installed version only when asked for it."""
    if value and not ctx.resilient_parsing:
        from pipeline import __version__

        click.echo(f"sitefit, version {__version__}")
        ctx.exit()


class Sitefit(click.Group):
    """The one place where errors become a message and an exit code (see errors.py)."""

    def invoke(self, ctx: click.Context):
        signal.signal(signal.SIGTERM, _terminated)
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # The output is already safe; a Ctrl-C still pending or pressed again must not
            # turn the exit code a scheduler reads (130) into death by signal.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            self._fail(ctx, Interrupted("interrupted; the previous output is untouched"))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if ctx.meta.get("sitefit.debug"):
                raise
            self._fail(ctx, as_sitefit_error(exc))

    @staticmethod
    def _fail(ctx: click.Context, error: SitefitError) -> None:
        say(str(error))
        if ctx.meta.get("sitefit.json"):
            click.echo(json.dumps(api.run_document([], error.exit_code, error)))
        ctx.exit(int(error.exit_code))

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
                   "that many at a time (threads).")
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
        if verbose:
            for stage, seconds in outcome.timings.items():
                say(f"{outcome.input}: {stage} took {seconds:.3f} s")

    run = api.evaluate(paths, out, rules=rules, settings=settings, whatif=whatif,
                       plan=plan_file, previous=previous, pdfs=not no_pdf, branding=branding,
                       jobs=jobs, progress=sys.stderr.isatty() and not quiet, decimal=decimal,
                       each=tell)
    if as_json:
        click.echo(json.dumps(api.run_document(run.outcomes, run.exit_code)))
    sys.exit(int(run.exit_code))


@cli.command(name="validate")
@click.argument("path", type=click.Path(path_type=Path))
@decimal_option
@debug_option
def validate_command(path: Path, decimal: str | None) -> None:
    """Check the spreadsheet at PATH against the input contract; write nothing."""
    checked = api.validate(path, decimal)
    for problem in checked.problems:
        click.echo(str(problem))
    conflicts = api.location_conflicts(checked) if len(checked.sites) else []
    for conflict in conflicts:
        click.echo(f"location conflict: {conflict}")
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
    click.echo(api.rules(rules, form), nl=False)


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@debug_option
def template(out: Path) -> None:
    """Write a blank input workbook to OUT (.xlsx) with drop-downs, checks and one example."""
    say(f"{api.template(out)}: written")


def main() -> None:
    cli(prog_name="sitefit")
