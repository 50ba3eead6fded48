"""Shared builders: a good site to vary, real spreadsheet files written to tmp_path, the
sample portfolio and the command line as a test runs it."""

from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from pipeline.cli import cli
from pipeline.rules import default_rules

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "input" / "sites.xlsx"  # the 40-site sample portfolio
SMALL_ROWS = (2, 8, 14, 17)  # the sample's rows the ``small`` fixture keeps

QUICK_AIM_SECONDS = 60  # the quick set's aim on two cores (BENCHMARKS.md)


def pytest_sessionstart(session) -> None:
    session.config.stash[_STARTED] = time.monotonic()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """The quick set's guard, in the output of the run that would slow it: its duration
    against its aim (the slowest ten follow, from ``--durations=10`` in the Makefile)."""
    if config.option.markexpr != "not slow" or hasattr(config, "workerinput"):
        return
    seconds = time.monotonic() - config.stash[_STARTED]
    ran = terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
    tests = len({report.nodeid for report in ran})
    verdict = "within" if seconds <= QUICK_AIM_SECONDS else "OVER"
    terminalreporter.write_line(f"quick set: {tests} tests in {seconds:.1f} s, {verdict} its "
                                f"aim of {QUICK_AIM_SECONDS} s")


_STARTED = pytest.StashKey[float]()


# A site that passes every gate for both workloads: vary one thing at a time from here.
GOOD_SITE = {
    "site_id": "S-1", "site_name": "Good Site", "operator": "Op", "country": "US", "region": "TX",
    "latitude": None, "longitude": None, "nearest_metro": "Dallas-Fort Worth",
    "metro_distance_miles": 40.0, "metro_rtt_ms": 2.0, "power_capacity_mw": 30.0,
    "power_expansion_mw": None, "power_cost_usd_per_kwh": 0.04, "power_redundancy": "2N",
    "utility_feeds": 2.0, "backup_generation": True, "curtailment_hours_per_year": 0.0,
    "mining_load_mw": 0.0, "cooling_type": "direct_to_chip", "rack_density_kw": 60.0,
    "liquid_cooling_path": "in_place", "fiber_on_site": True, "fiber_carriers": 3.0,
    "uplink_gbps": 100.0, "path_to_100g": True, "fiber_lead_time_months": None,
    "staffing_24x7": True, "dc_ops_staff": 10.0, "sla_track_record": True,
    "energized_mw": None, "interconnection_status": None, "time_to_power_months": None,
    "permitting_status": "permitted", "community_opposition": "none", "water_source": None,
    "water_stress": "low", "notes": None,
}

HEADER = ["site_id", "site_name", "power_capacity_mw", "power_cost_usd_per_kwh", "cooling_type",
          "fiber_on_site", "staffing_24x7"]
ROW = ["A-1", "Alpha", 30, 0.04, "air", "yes", "yes"]


@pytest.fixture
def rules():
    return default_rules()


def site(**changes):
    return {**GOOD_SITE, **changes}


def write_xlsx(path: Path, rows: list[list], sheet: str = "Sites") -> Path:
    book = Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    for line in book.active.iter_rows():
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text as typed, even when it starts with "="
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list], **options) -> Path:
    with path.open("w", newline="", encoding=options.pop("encoding", "utf-8")) as handle:
        csv.writer(handle, **options).writerows(rows)
    return path


def invoke(*args, **options):
    """Run ``sitefit ARGS`` in-process; ``options`` go to CliRunner.invoke (env=, input=)."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **options)


@pytest.fixture(scope="session")
def small(tmp_path_factory) -> Path:
    """Four sites of the sample, a Training, a Neither, an Inference and a Hybrid (WTX-01,
    PY-01, KZ-03, NY-01), as ``sites.xlsx``: for tests of the run's plumbing (folders,
    signals, streams), where forty sites add only time. Read it only."""
    from openpyxl import load_workbook
    book = load_workbook(SAMPLE)
    sheet = book["Sites"]
    for row in range(sheet.max_row, 1, -1):  # the header, then rows 2, 8, 14 and 17
        if row not in SMALL_ROWS:
            sheet.delete_rows(row)
    path = tmp_path_factory.mktemp("small") / "sites.xlsx"
    book.save(path)
    return path


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """The sample portfolio evaluated once for the whole session, PDFs and all, as
    ``sitefit evaluate input/sites.xlsx`` writes it: rendering its 41 PDFs is the costliest
    thing the tests do, so the tests that take it are marked slow, and those that read only
    its tables take ``sample_tables``. Read it only; a test that changes it or runs again
    over it takes ``sample_copy``."""
    yield from _shared_run(tmp_path_factory, "sample", "sample_copy")


@pytest.fixture(scope="session")
def sample_tables(tmp_path_factory):
    """The sample portfolio evaluated once for the session without PDFs
    (``sitefit evaluate input/sites.xlsx --no-pdf``): its tables, plan and manifest, for the
    tests that read nothing rendered, so the quick tests need not render 41 PDFs. Read it
    only; a test that changes it takes ``sample_tables_copy``."""
    yield from _shared_run(tmp_path_factory, "sample-tables", "sample_tables_copy", "--no-pdf")


def _shared_run(factory, folder: str, copy: str, *options: str):
    """The sample evaluated (with ``options``) into a folder of its own, handed to every test
    that asks, and checked unchanged at the session's end: a test must take ``copy``."""
    out = factory.mktemp(folder) / "sites"
    result = invoke("evaluate", SAMPLE, "--out", out, "--jobs", "2", *options)
    assert result.exit_code == 0, result.stderr
    before = snapshot(out)
    yield out
    assert snapshot(out) == before, f"a test changed the shared sample run: use {copy}"


@pytest.fixture
def sample_copy(sample_run, tmp_path) -> Path:
    """A copy of ``sample_run`` at tmp_path/out, this test's to change: a finished earlier
    output of the sample, as if the test had evaluated it there."""
    return Path(shutil.copytree(sample_run, tmp_path / "out", symlinks=True))


@pytest.fixture
def sample_tables_copy(sample_tables, tmp_path) -> Path:
    """A copy of ``sample_tables`` at tmp_path/out, this test's to change."""
    return Path(shutil.copytree(sample_tables, tmp_path / "out", symlinks=True))


def read_csv(path: Path) -> list[dict[str, str]]:
    """A CSV that sitefit wrote (results.csv, rejected.csv...), a dict per row."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def sample_results(rules) -> list:
    """The sample portfolio classified in this process, enriched as a run enriches it."""
    from pipeline.classify import classify
    from pipeline.enrich import enrich
    from pipeline.run import check
    return classify(enrich(check(SAMPLE).sites, rules), rules)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes, to compare before and after a run."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def staging_left(parent: Path) -> list[str]:
    """Hidden names in ``parent``: where an unfinished run stages its outputs."""
    return [p.name for p in parent.iterdir() if p.name.startswith(".")]


def rerun_ahead(out: Path) -> tuple[Path, dict[str, bytes], Path]:
    """``out``, a finished output of the sample (a test's ``sample_copy``), a snapshot of it,
    and a rules file beside it that makes the next run render every PDF again: the set-up of
    a run about to be interrupted."""
    rules = out.parent / "r.toml"
    rules.write_text("[power.training]\npass_min_capacity_mw = 25.0\n")
    return out, snapshot(out), rules
