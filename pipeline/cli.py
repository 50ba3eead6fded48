"""The ``sitefit`` command: a thin Click layer over ``pipeline.run``.

Exit codes: 0 every row evaluated; 1 finished, some rows rejected; 2 nothing could be
evaluated (unreadable file, missing required column, bad option or rules file).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import click

from pipeline import __version__, run
from pipeline.load import LoadError
from pipeline.rules import RulesError, describe, load_rules, to_toml, with_settings
from pipeline.template import write_template
from pipeline.writers.pdf import PdfUnavailable


class Failure(click.ClickException):
    """A run that could not go on: one line on stderr and exit code 2."""

    exit_code = run.NOTHING_EVALUATED

    def show(self, file=None) -> None:
        click.echo(f"sitefit: {self.message}", err=True)


def _guard(debug: bool, action):
    """Run ``action``; known failures and, without --debug, any other error end in one line."""
    try:
        return action()
    except (LoadError, RulesError, PdfUnavailable, run.OutputError) as exc:
        if debug:
            raise
        raise Failure(str(exc)) from None
    except OSError as exc:
        if debug:
            raise
        raise Failure(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from None
    except Exception as exc:  # noqa: BLE001 - a scheduler reads one line, not a traceback
        if debug:
            raise
        raise Failure(f"internal error: {type(exc).__name__}: {exc} "
                      "(run again with --debug for the traceback)") from None


def _terminated(signum, frame) -> None:
    """SIGTERM unwinds like Ctrl-C, so a half-written output folder is removed at once."""
    raise SystemExit(128 + signum)


debug_option = click.option("--debug", is_flag=True, help="Show tracebacks on errors.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
             no_pdf: bool, jobs: int, debug: bool) -> None:
    """Evaluate the portfolio spreadsheet(s) at PATHS and write the scorecard."""
    signal.signal(signal.SIGTERM, _terminated)
    rules = _guard(debug, lambda: load_rules(rules_file))
    baseline = None
    if settings or whatif_file:
        baseline = rules
        rules = _guard(debug, lambda: with_settings(
            load_rules(whatif_file, base=baseline) if whatif_file else baseline, list(settings)))
    inputs = _guard(debug, lambda: run.find_inputs(list(paths)))
    nested = len(inputs) > 1 or any(Path(p).is_dir() for p in paths)
    targets = _guard(debug, lambda: run.output_dirs(inputs, out, nested))
    earlier = run.earlier_quarters(targets)
    worst = run.OK
    for path, target in targets.items():
        try:
            outcome = _guard(debug, lambda: run.evaluate_file(
                path, target, rules, pdfs=not no_pdf, jobs=jobs, progress=sys.stderr.isatty(),
                previous=previous or earlier.get(path), baseline=baseline))
        except Failure as failure:
            failure.show()
            worst = run.NOTHING_EVALUATED
            continue
        click.echo(f"sitefit: {outcome.message} -> {target}", err=True)
        worst = max(worst, outcome.exit_code)
    sys.exit(worst)


@cli.command(name="validate")
@click.argument("path", type=click.Path(path_type=Path))
@debug_option
def validate_command(path: Path, debug: bool) -> None:
    """Check the spreadsheet at PATH against the input contract; write nothing."""
    checked = _guard(debug, lambda: run.check(path))
    for problem in checked.problems:
        click.echo(str(problem))
    valid, rejected = len(checked.sites), len(checked.rejected_rows)
    if checked.data_rows == 0:
        raise Failure(f"{path}: no data rows below the header")
    click.echo(f"sitefit: {path}: {checked.data_rows} data rows, {valid} valid, "
               f"{rejected} rejected", err=True)
    sys.exit(run.NOTHING_EVALUATED if valid == 0 else run.SOME_REJECTED if rejected else run.OK)


@cli.command()
@click.option("--rules", "rules_file", type=click.Path(path_type=Path, dir_okay=False),
              help="A TOML rules file to show instead of the defaults (merged over them).")
@click.option("--format", "form", type=click.Choice(["text", "toml"]), default="text",
              show_default=True, help="text for people; toml for a file to edit and pass back.")
@debug_option
def rules(rules_file: Path | None, form: str, debug: bool) -> None:
    """Print the thresholds in force, grouped by gate, with units and sources."""
    loaded = _guard(debug, lambda: load_rules(rules_file))
    click.echo(describe(loaded) if form == "text" else to_toml(loaded), nl=False)


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@debug_option
def template(out: Path, debug: bool) -> None:
    """Write a blank input workbook to OUT (.xlsx) with drop-downs, checks and one example."""
    if out.suffix.lower() != ".xlsx":
        raise Failure(f"{out}: the template is an .xlsx workbook; name it like template.xlsx")
    _guard(debug, lambda: write_template(out))
    click.echo(f"sitefit: wrote {out}", err=True)


def main() -> None:
    cli(prog_name="sitefit")
