"""Hostile output folders, hostile text on its way into the outputs, and hostile previous runs:
sitefit never removes what it did not write and never writes a cell a spreadsheet would run."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import HEADER, ROW, write_xlsx
from pypdf import PdfReader

from pipeline.cli import cli
from pipeline.run import check
from pipeline.writers.csv import defuse, read_csv, undefuse
from pipeline.writers.pdf import report_names

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "input" / "sites.xlsx"

SITES = 40  # sites in the sample portfolio (input/sites.xlsx)


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file and folder under ``folder`` (a link as where it points), with its bytes."""
    found = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        found[name] = (f"-> {os.readlink(path)}".encode() if path.is_symlink()
                       else b"<dir>" if path.is_dir() else path.read_bytes())
    return found


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def refused(result, *words: str) -> None:
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


# -- item 1: the output folder -------------------------------------------------------------


def test_an_out_holding_the_input_is_refused_and_left_as_it_was(tmp_path, small):
    docs = tmp_path / "docs"
    (docs / "images").mkdir(parents=True)
    shutil.copy(small, docs / "sites.xlsx")
    (docs / "notes.md").write_text("mine")
    (docs / "images" / "map.png").write_bytes(b"\x89PNG")
    before = snapshot(docs)
    result = invoke("evaluate", docs / "sites.xlsx", "--out", docs, "--no-pdf")
    refused(result, f"--out {docs} holds the input {docs / 'sites.xlsx'}")
    assert snapshot(docs) == before
    assert hidden(tmp_path) == []


def test_an_out_holding_files_sitefit_did_not_write_is_refused(tmp_path, small):
    home = tmp_path / "home"
    (home / "projects").mkdir(parents=True)
    (home / ".bashrc").write_text("export X=1")
    (home / "projects" / "plan.txt").write_text("plan")
    before = snapshot(home)
    result = invoke("evaluate", small, "--out", home, "--no-pdf")
    refused(result, f"--out {home} holds files sitefit did not write (.bashrc, projects)")
    assert snapshot(home) == before
    assert hidden(tmp_path) == []


@pytest.mark.parametrize("stray", ["notes.txt", "reports/mine.pdf", "archive/old.csv"])
def test_a_file_added_to_an_earlier_output_is_never_removed(sample_tables_copy, stray):
    out = sample_tables_copy  # the sample evaluated; this run would also make its PDFs
    (out / stray).parent.mkdir(exist_ok=True)
    (out / stray).write_text("kept")
    before = snapshot(out)
    result = invoke("evaluate", SAMPLE, "--out", out, "--jobs", "1")
    refused(result, "holds files sitefit did not write", stray.split("/")[0])
    assert snapshot(out) == before


def test_an_earlier_output_and_an_empty_folder_are_replaced(tmp_path, small):
    out = tmp_path / "out"
    out.mkdir()
    assert invoke("evaluate", small, "--out", out, "--no-pdf").exit_code == 0
    (out / "scorecard.xlsx").unlink()  # a listed output gone missing is no obstacle
    assert invoke("evaluate", small, "--out", out, "--no-pdf").exit_code == 0
    assert (out / "scorecard.xlsx").is_file()
    assert hidden(tmp_path) == []


def test_a_manifest_cannot_make_sitefit_remove_files_outside_its_folder(tmp_path, small):
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("not sitefit's")
    (out / "manifest.json").write_text(json.dumps(
        {"tool": "sitefit", "outputs": ["manifest.json", "../victim.txt", str(victim)],
         "pdfs": {"keys": {"reports/../../victim.txt": "x"}}}))
    assert invoke("evaluate", small, "--out", out, "--no-pdf").exit_code == 0
    assert victim.read_text() == "not sitefit's"


def test_a_reports_link_to_another_folder_is_refused(tmp_path, small):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    assert invoke("evaluate", small, "--out", out, "--no-pdf").exit_code == 0
    elsewhere.mkdir()
    (elsewhere / "a.pdf").write_text("mine")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["outputs"].append("reports/")
    manifest["pdfs"] = {"keys": {"reports/a.pdf": "x"}}
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "reports").symlink_to(elsewhere)
    refused(invoke("evaluate", small, "--out", out, "--no-pdf"), "reports")
    assert (elsewhere / "a.pdf").read_text() == "mine"


def test_out_dot_is_refused_and_leaves_nothing_behind(tmp_path, monkeypatch, small):
    here = tmp_path / "here"
    (here / "reports").mkdir(parents=True)
    monkeypatch.chdir(here)
    refused(invoke("evaluate", small, "--out", ".", "--no-pdf"),
            "--out . is or holds the folder you are working in")
    monkeypatch.chdir(here / "reports")
    refused(invoke("evaluate", small, "--out", "..", "--no-pdf"), "working in")
    assert snapshot(tmp_path) == {"here": b"<dir>", "here/reports": b"<dir>"}


def test_a_symlinked_out_keeps_its_link_and_leaves_nothing_beside_it(tmp_path, small):
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.symlink_to(real)
    for _ in range(2):
        assert invoke("evaluate", small, "--out", link, "--no-pdf").exit_code == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert (real / "results.csv").is_file()
    assert hidden(tmp_path) == []


def test_output_folders_follow_the_umask(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", [HEADER, ROW])  # one site: a report and a portfolio
    old = os.umask(0o022)
    try:
        assert invoke("evaluate", source, "--out", tmp_path / "out", "--jobs", "1").exit_code == 0
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "out" / "reports").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "out" / "results.csv").stat().st_mode & 0o777 == 0o644


@pytest.mark.slow  # the first run must still be rendering the sample's 41 PDFs: ~12 s
def test_a_second_run_on_the_same_out_is_refused_and_the_first_finishes(tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen([sys.executable, "-m", "pipeline", "evaluate", str(SAMPLE), "--out",
                              str(out), "--jobs", "1"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(".tmp-" in name for name in hidden(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.02)
    staging = [name for name in hidden(tmp_path) if ".tmp-" in name]
    assert first.poll() is None, "the first run finished before the second started"
    second = invoke("evaluate", SAMPLE, "--out", out, "--no-pdf")
    refused(second, f"another sitefit run is writing {out}")
    assert [name for name in hidden(tmp_path) if ".tmp-" in name] == staging
    assert first.wait(timeout=120) == 0, first.stderr.read().decode()
    assert json.loads((out / "manifest.json").read_text())["pdfs"]["rendered"] == SITES + 1
    assert hidden(tmp_path) == []


# -- items 2 and 6: text into the CSV files, and back -------------------------------------

CSV_FILES = ("results.csv", "rejected.csv", "changes.csv", "whatif.csv")
FORMULA = ("=", "+", "-", "@", "\t", "\r")
HOSTILE_HEADER = '=HYPERLINK("http://evil.example","h")'


def hostile_input(path: Path, lines=("\r", "\n", "\r\n", "_x000D_")) -> Path:
    """Sites whose every kind of text carries a line break before a formula, plus a rejected
    row and an extra column whose header is a formula."""
    rows = [[*HEADER, "notes", HOSTILE_HEADER]]
    for i, line in enumerate(lines):
        rows.append([f"L-{i}", f"Legit{line}=HYPERLINK(\"http://evil.example\",\"{i}\")",
                     *ROW[2:], f"memo{line}@SUM(1+1)", f"x{line}+cmd|' /C calc'!A0"])
    rows.append(["R-1", "Rejected", 30, 0.04, "air\r=HYPERLINK(\"http://evil.example\")",
                 "yes", "yes", "", ""])
    return write_xlsx(path, rows)


def excel_rows(path: Path) -> list[list[str]]:
    """The file read as Excel reads a CSV: an unquoted CR or LF ends a row."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def assert_nothing_runs(path: Path) -> None:
    rows = excel_rows(path)
    assert all(len(row) == len(rows[0]) for row in rows), f"{path.name}: a row was split"
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA):
                float(cell)  # a negative number is fine; any other text would run


def hostile_previous(path: Path, site_ids: list[str]) -> Path:
    """A results.csv an attacker wrote: every text cell a formula after a carriage return."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\r\n")
        out.writerow(["site_id", "site_name", "bucket", "readiness", "training_power",
                      "power_cost_usd_per_kwh"])
        for sid in site_ids:
            out.writerow([sid, "Old\r=HYPERLINK(\"http://evil.example\")", "Neither\r=1+1",
                          "not yet\r@SUM(1)", "fail\r-2+3", "=0.5+cmd"])
    return path


def test_line_breaks_never_start_a_formula_in_any_csv(tmp_path):
    source = hostile_input(tmp_path / "in.xlsx")
    previous = hostile_previous(tmp_path / "previous.csv", ["L-0", "L-1", "gone\r=1"])
    out = tmp_path / "out"
    result = invoke("evaluate", source, "--out", out, "--no-pdf", "--previous", previous,
                    "--set", "power.training.pass_min_capacity_mw=100")
    assert result.exit_code == 1, result.stderr
    for name in CSV_FILES:
        assert_nothing_runs(out / name)
    assert len(excel_rows(out / "rejected.csv")) > 1
    assert len(excel_rows(out / "whatif.csv")) > 1
    changes = read_csv(out / "changes.csv").set_index("site_id")
    assert changes.loc["gone\r=1", "site_name"] == "Old\r=HYPERLINK(\"http://evil.example\")"
    assert changes.loc["gone\r=1", "bucket_before"] == "Neither\r=1+1"


def test_results_csv_reads_back_as_the_text_given(tmp_path):
    source, out = hostile_input(tmp_path / "in.xlsx"), tmp_path / "out"
    assert invoke("evaluate", source, "--out", out, "--no-pdf").exit_code == 1
    given = check(source).sites.set_index("site_id")
    results = read_csv(out / "results.csv").set_index("site_id")
    assert HOSTILE_HEADER in results.columns
    for column in ("site_name", "notes", HOSTILE_HEADER):
        assert results[column].to_dict() == given[column].to_dict()
    assert results.loc["L-3", "site_name"] == 'Legit\r=HYPERLINK("http://evil.example","3")'


@pytest.mark.parametrize("text", ["=x", "'=x", "''+1", "-Dallas", "@a", "\tt", "\rr", "'",
                                  "plain", "it's", "'quoted'", ""])
def test_defuse_is_undone_exactly(text):
    assert undefuse(defuse(text)) == text
    assert not defuse(text).startswith(FORMULA)


ODD_IDS = ["=A1", "+B2", "-C3", "@D4", "'=E5"]


def odd_input(path: Path) -> Path:
    rows = [[*HEADER, "notes", "nearest_metro"]]
    for sid in ODD_IDS:
        rows.append([sid, f"-{sid} site\rnext", *ROW[2:], "=see memo", "-Dallas"])
    return write_xlsx(path, rows)


def test_an_unchanged_rerun_reports_no_changes(tmp_path):
    source, out = odd_input(tmp_path / "in.xlsx"), tmp_path / "out"
    assert invoke("evaluate", source, "--out", out, "--no-pdf").exit_code == 0
    assert invoke("evaluate", source, "--out", out, "--no-pdf").exit_code == 0
    assert sorted(read_csv(out / "results.csv")["site_id"]) == sorted(ODD_IDS)
    assert len(read_csv(out / "changes.csv")) == 0
    assert json.loads((out / "manifest.json").read_text())["previous"]["changes"] == 0


def test_a_changed_input_is_reported_as_its_values(tmp_path):
    first = odd_input(tmp_path / "q1.xlsx")
    assert invoke("evaluate", first, "--out", tmp_path / "q1", "--no-pdf").exit_code == 0
    rows = [[*HEADER, "notes", "nearest_metro"],
            ["=A1", "-=A1 site\rnext", 1, *ROW[3:], "=see memo", "-Dallas"]]
    second = write_xlsx(tmp_path / "q2.xlsx", rows)
    assert invoke("evaluate", second, "--out", tmp_path / "q2", "--no-pdf", "--previous",
                  tmp_path / "q1").exit_code == 0
    changes = read_csv(tmp_path / "q2" / "changes.csv").set_index("site_id")
    assert sorted(changes.index) == sorted(ODD_IDS)
    assert changes.loc["=A1", "change"] == "changed"
    assert set(changes.drop("=A1")["change"]) == {"removed"}
    assert "'" not in changes.loc["=A1", "inputs_changed"]
    assert changes.loc["=A1", "inputs_changed"] == "power_capacity_mw 30 → 1"


# -- item 12: a previous run with repeated site ids ---------------------------------------


def test_a_previous_run_with_repeated_ids_is_named(tmp_path):
    previous = hostile_previous(tmp_path / "previous.csv", ["IL-01", "IL-01", "PY-01", "PY-01",
                                                            "TX-01"])
    result = invoke("evaluate", SAMPLE, "--out", tmp_path / "out", "--no-pdf", "--previous",
                    previous)
    refused(result, str(previous), "site_id 'IL-01', 'PY-01' more than once")
    assert not (tmp_path / "out").exists()


def test_a_previous_run_without_the_result_columns_is_named(tmp_path):
    previous = tmp_path / "previous.csv"
    previous.write_text("site_id,name\nIL-01,x\n")
    result = invoke("evaluate", SAMPLE, "--out", tmp_path / "out", "--no-pdf", "--previous",
                    previous)
    refused(result, str(previous), "has no column site_name, bucket, readiness")


# -- item 7: what a re-run reuses ----------------------------------------------------------


@pytest.mark.slow  # reads the sample's 41 PDFs: rendering them is the sample_run fixture
def test_a_damaged_earlier_report_is_rendered_again(sample_copy, tmp_path):
    out = sample_copy  # the sample evaluated, with its PDFs
    truncated, altered, linked = sorted((out / "reports").iterdir())[:3]
    truncated.write_bytes(b"")
    data = bytearray(altered.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other bytes
    altered.write_bytes(bytes(data))
    shutil.copy(linked, tmp_path / "elsewhere.pdf")  # the same bytes, but through a link
    linked.unlink()
    linked.symlink_to(tmp_path / "elsewhere.pdf")
    assert invoke("evaluate", SAMPLE, "--out", out, "--jobs", "1").exit_code == 0
    pdfs = json.loads((out / "manifest.json").read_text())["pdfs"]
    assert (pdfs["rendered"], pdfs["reused"]) == (3, SITES + 1 - 3)
    for path in (truncated, altered, linked):
        assert not path.is_symlink() and len(PdfReader(path).pages) >= 1
        recorded = pdfs["files"][f"reports/{path.name}"]
        assert recorded == {"bytes": path.stat().st_size,
                            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    assert (tmp_path / "elsewhere.pdf").is_file()


# -- item 8: helper processes do not outlive the run ---------------------------------------


def helpers_of(pid: int) -> set[int]:
    """The live processes ``pid`` forked (not the short-lived commands libraries run)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                if b"pipeline" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.add(int(child))
            except OSError:
                pass
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="lists processes in /proc")
@pytest.mark.slow  # a run killed on purpose
def test_the_writer_and_renderers_end_when_the_run_is_killed(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.Popen([sys.executable, "-m", "pipeline", "evaluate", str(SAMPLE), "--out",
                            str(tmp_path / "out"), "--jobs", "2"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    helpers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(helpers) < 3 and run.poll() is None and time.monotonic() < deadline:
        helpers = helpers_of(run.pid)  # the writer and two PDF renderers
        time.sleep(0.02)
    assert len(helpers) >= 3 and run.poll() is None, "the run ended before it could be killed"
    run.kill()
    run.wait()
    deadline = time.monotonic() + 10
    while any(map(alive, helpers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [pid for pid in helpers if alive(pid)]
    for pid in survivors:  # leave no orphan behind, whatever the outcome
        os.kill(pid, signal.SIGKILL)
    assert survivors == []


# -- item 12: report names Windows reserves ------------------------------------------------

WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                    *(f"LPT{i}" for i in range(1, 10))}


@pytest.mark.parametrize("site_id", ["con.pdf", "CON", "Nul.txt", "com1", "LPT9.a.b", "aux.",
                                     "prn..x", "con pdf"])
def test_no_report_gets_a_name_windows_reserves(site_id):
    name = report_names([site_id])[site_id]
    assert name.endswith(".pdf") and "/" not in name
    assert name.split(".")[0].rstrip(" ").upper() not in WINDOWS_RESERVED, name
