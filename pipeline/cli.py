"""The ``sitefit`` command: a thin Click layer over ``pipeline.run``.

Errors become one line on stderr and an exit code in one place, ``Sitefit.invoke``; the
codes are those of ``pipeline.errors.Exit``.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import click

from pipeline import __version__, run
from pipeline.errors import Exit, InputError, UsageError, as_sitefit_error
from pipeline.rules import describe, load_rules, to_toml, with_settings
from pipeline.template import write_template


def _terminated(signum, frame) -> None:
    """SIGTERM unwinds like Ctrl-C, so a half-written output folder is removed at once."""
    raise SystemExit(Exit.TERMINATED)


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    ctx.meta["sitefit.debug"] = value


debug_option = click.option("--debug", is_flag=True, expose_value=False, callback=_set_debug,
                            help="Show tracebacks on errors.")


def _fail(message: str) -> None:
    click.echo(f"sitefit: {message}", err=True)


class Sitefit(click.Group):
    """The one place where errors become a line on stderr and an exit code (see errors.py)."""

    def invoke(self, ctx: click.Context):
        signal.signal(signal.SIGTERM, _terminated)
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            _fail("interrupted; the previous output is untouched")
            ctx.exit(int(Exit.INTERRUPTED))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if ctx.meta.get("sitefit.debug"):
                raise
            error = as_sitefit_error(exc)
            _fail(str(error))
            ctx.exit(int(error.exit_code))


@click.group(cls=Sitefit, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sitefit")
def cli() -> None:
    """Classify mining sites for AI training, AI inference, both or neither."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False),
              default=Path("output"), show_default=True,
              help="Output folder. One input file writes straight into it; a folder or several "
                   "files write each into OUT/<file stem>/.")
@click.option("--rules", "rules_file", type=click.Path(path_type=Path, dir_okay=False),
              help="A TOML rules file; the keys it sets replace the defaults.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="What-if: change one threshold for this run, e.g. "
                   "power.training.pass_max_price_usd_per_kwh=0.06 (repeatable). whatif.csv "
                   "lists the sites the change moves.")
@click.option("--whatif", "whatif_file", type=click.Path(path_type=Path, dir_okay=False),
              help="What-if: a second rules file applied on top, compared like --set.")
@click.option("--previous", type=click.Path(path_type=Path, exists=True),
              help="An earlier output folder (or its results.csv) to report changes against. "
                   "Default: the previous run in the output folder, or an earlier quarter's "
                   "file beside the input (sites-2026Q3.xlsx before sites.xlsx).")
@click.option("--no-pdf", is_flag=True, help="Skip the PDF reports.")
@click.option("--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1,
              show_default="the number of cores",
              help="Processes to use: PDF renderers, and with more than one, a second process "
                   "that writes the tables while sites are classified.")
@debug_option
def evaluate(paths: tuple[Path, ...], out: Path, rules_file: Path | None,
             settings: tuple[str, ...], whatif_file: Path | None, previous: Path | None,
             no_pdf: bool, jobs: int) -> None:
    """Evaluate the portfolio spreadsheet(s) at PATHS and write the scorecard."""
    rules = load_rules(rules_file)
    baseline = None
    if settings or whatif_file:
        baseline = rules
        rules = with_settings(load_rules(whatif_file, base=baseline) if whatif_file else baseline,
                              list(settings))
    inputs = run.find_inputs(list(paths))
    nested = len(inputs) > 1 or any(Path(p).is_dir() for p in paths)
    targets = run.output_dirs(inputs, out, nested)
    earlier = run.earlier_quarters(targets)
    worst = Exit.OK
    for path, target in targets.items():
        try:
            outcome = run.evaluate_file(
                path, target, rules, pdfs=not no_pdf, jobs=jobs, progress=sys.stderr.isatty(),
                previous=previous or earlier.get(path), baseline=baseline)
        except Exception as exc:  # one file's failure does not stop the next file's run
            if click.get_current_context().meta.get("sitefit.debug"):
                raise
            error = as_sitefit_error(exc)
            _fail(str(error))
            worst = max(worst, error.exit_code)
            continue
        click.echo(f"sitefit: {outcome.message} -> {target}", err=True)
        worst = max(worst, outcome.exit_code)
    sys.exit(int(worst))


@cli.command(name="validate")
@click.argument("path", type=click.Path(path_type=Path))
@debug_option
def validate_command(path: Path) -> None:
    """Check the spreadsheet at PATH against the input contract; write nothing."""
    checked = run.check(path)
    for problem in checked.problems:
        click.echo(str(problem))
    valid, rejected = len(checked.sites), len(checked.rejected_rows)
    if checked.data_rows == 0:
        raise InputError(f"{path}: no data rows below the header")
    click.echo(f"sitefit: {path}: {checked.data_rows} data rows, {valid} valid, "
               f"{rejected} rejected", err=True)
    sys.exit(int(Exit.UNUSABLE if valid == 0 else Exit.SOME_REJECTED if rejected else Exit.OK))


@cli.command()
@click.option("--rules", "rules_file", type=click.Path(path_type=Path, dir_okay=False),
              help="A TOML rules file to show instead of the defaults (merged over them).")
@click.option("--format", "form", type=click.Choice(["text", "toml"]), default="text",
              show_default=True, help="text for people; toml for a file to edit and pass back.")
@debug_option
def rules(rules_file: Path | None, form: str) -> None:
    """Print the thresholds in force, grouped by gate, with units and sources."""
    loaded = load_rules(rules_file)
    click.echo(describe(loaded) if form == "text" else to_toml(loaded), nl=False)


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@debug_option
def template(out: Path) -> None:
    """Write a blank input workbook to OUT (.xlsx) with drop-downs, checks and one example."""
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"{out}: the template is an .xlsx workbook; name it like template.xlsx")
    write_template(out)
    click.echo(f"sitefit: wrote {out}", err=True)


def main() -> None:
    cli(prog_name="sitefit")
