"""Unattended runs: atomic outputs under kills, determinism, and clear environment failures."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import (HEADER, ROW, SAMPLE, invoke, rerun_ahead, snapshot, staging_left,
                      write_xlsx)
from openpyxl import load_workbook
from pypdf import PdfReader


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_run_leaves_the_previous_output_intact(sample_copy, tmp_path, sig):
    out, before, rules = rerun_ahead(sample_copy)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    run = subprocess.Popen([sys.executable, "-m", "pipeline", "evaluate", str(SAMPLE), "--out",
                            str(out), "--rules", str(rules), "--jobs", "1"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not staging_left(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.4)  # well into writing: the workbook is done, PDFs are being rendered
    assert run.poll() is None, "the run finished before it could be killed"
    run.send_signal(sig)
    run.wait(timeout=60)
    assert snapshot(out) == before
    if sig == signal.SIGTERM:
        assert run.returncode == 128 + signal.SIGTERM
        assert staging_left(tmp_path) == []  # cleaned up on the way out
    # the next run clears whatever a SIGKILL left behind, and completes
    assert invoke("evaluate", SAMPLE, "--out", out, "--jobs", "1",
                  "--rules", rules).exit_code == 0
    assert staging_left(tmp_path) == []
    assert snapshot(out)["results.csv"] != before["results.csv"]


@pytest.mark.slow
def test_same_input_same_outputs(tmp_path):
    for name in ("a", "b"):
        assert invoke("evaluate", SAMPLE, "--out", tmp_path / name, "--jobs", "2").exit_code == 0
    a, b = tmp_path / "a", tmp_path / "b"
    for name in ("results.csv", "rejected.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    book_a, book_b = load_workbook(a / "scorecard.xlsx"), load_workbook(b / "scorecard.xlsx")
    assert book_a.sheetnames == book_b.sheetnames
    for sheet in book_a.sheetnames:
        assert list(book_a[sheet].values) == list(book_b[sheet].values)
    for name in ("portfolio.pdf", "reports/IL-01.pdf", "reports/PY-01.pdf"):
        text = [" ".join(p.extract_text() for p in PdfReader(d / name).pages) for d in (a, b)]
        assert text[0] == text[1]
    ma, mb = (json.loads((d / "manifest.json").read_text()) for d in (a, b))
    for manifest in (ma, mb):
        del manifest["timings_s"], manifest["finished_at"]
    assert ma == mb


def test_missing_pdf_library_says_what_to_install(tmp_path, monkeypatch, small):
    out = tmp_path / "out"
    assert invoke("evaluate", small, "--out", out, "--no-pdf").exit_code == 0
    before = snapshot(out)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint now fails
    result = invoke("evaluate", small, "--out", out)
    assert result.exit_code == 3  # the machine lacks a library: not the input's fault
    assert "PDF reports need WeasyPrint and its system libraries" in result.stderr
    assert "apt-get install" in result.stderr and "--no-pdf" in result.stderr
    assert snapshot(out) == before and staging_left(tmp_path) == []


def test_output_under_a_file_exits_2_naming_out_and_the_file(tmp_path, small):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    result = invoke("evaluate", small, "--out", blocker / "out", "--no-pdf")
    assert result.exit_code == 2
    assert result.stderr == (f"sitefit: --out {blocker / 'out'}: {blocker} is a file, not a "
                             "folder; give --out a folder (new, or one sitefit wrote)\n")


@pytest.mark.parametrize("code, message", [
    (errno.ENOSPC, "no space left on the device while writing"),
    (errno.EACCES, "choose another --out or fix the folder's permissions"),
])
def test_write_failures_exit_3_and_keep_the_previous_output(tmp_path, monkeypatch, code,
                                                            message, small):
    out = tmp_path / "out"
    invoke("evaluate", small, "--out", out, "--no-pdf")
    before = snapshot(out)

    def failing(frame, path):
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr("pipeline.run.write_csv", failing)
    result = invoke("evaluate", small, "--out", out, "--no-pdf")
    assert result.exit_code == 3 and message in result.stderr
    assert snapshot(out) == before and staging_left(tmp_path) == []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failure_while_writing_the_workbook_exits_3(tmp_path, monkeypatch, jobs, small):
    out = tmp_path / "out"
    invoke("evaluate", small, "--out", out, "--no-pdf")
    before = snapshot(out)

    def failing(self, frame):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "scorecard.xlsx")

    monkeypatch.setattr("pipeline.writers.excel.ScorecardWriter.add_sites", failing)
    result = invoke("evaluate", small, "--out", out, "--no-pdf", "--jobs", jobs)
    assert result.exit_code == 3
    assert "no space left on the device while writing scorecard.xlsx" in result.stderr
    assert snapshot(out) == before and staging_left(tmp_path) == []


def test_an_xlsx_that_expands_too_far_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("pipeline.load.MAX_UNCOMPRESSED_BYTES", 4 * 2**20)
    path = write_xlsx(tmp_path / "bomb.xlsx", [HEADER, ROW])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(8 * 2**20))
    assert path.stat().st_size < 100_000
    result = invoke("evaluate", path, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "refused: its parts expand to 8 MiB, over the 4 MiB limit" in result.stderr


@pytest.mark.slow
def test_a_large_file_works_in_bounded_memory(tmp_path):
    """200,000 rows through load and validation in a fresh process, under 1.5 GB."""
    rows = [",".join(HEADER)] + [f"S{i},Site {i},{5 + i % 50},0.04,air,yes,yes"
                                 for i in range(200_000)]
    source = tmp_path / "big.csv"
    source.write_text("\n".join(rows) + "\n")
    script = ("import resource, sys; from pipeline.run import check; "
              "c = check(sys.argv[1]); "
              "print(c.data_rows, len(c.sites), resource.getrusage(resource.RUSAGE_SELF)"
              ".ru_maxrss)")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run([sys.executable, "-c", script, str(source)], env=env,
                          capture_output=True, text=True, check=True)
    data_rows, valid, peak_kib = map(int, done.stdout.split())
    assert data_rows == valid == 200_000
    assert peak_kib < 1.5 * 2**20


@pytest.mark.slow
def test_chunked_writing_matches_one_pass(tmp_path, monkeypatch):
    invoke("evaluate", SAMPLE, "--out", tmp_path / "whole", "--jobs", "1")
    monkeypatch.setattr("pipeline.run.CHUNK", 5)
    monkeypatch.setattr("pipeline.writers.excel.MAX_ROWS", 52)  # 50 rows a sheet and a total
    invoke("evaluate", SAMPLE, "--out", tmp_path / "chunks", "--jobs", "2")
    whole, chunks = tmp_path / "whole", tmp_path / "chunks"
    assert (whole / "results.csv").read_bytes() == (chunks / "results.csv").read_bytes()
    assert (whole / "plan.csv").read_bytes() == (chunks / "plan.csv").read_bytes()
    assert sorted(p.name for p in (whole / "reports").iterdir()) == sorted(
        p.name for p in (chunks / "reports").iterdir())
    book = load_workbook(chunks / "scorecard.xlsx")
    assert book.sheetnames == ["Summary", "Scorecard", "Gate detail", "Gate detail 2",
                               "Economics", "Cash flows", "Cash flows 2", "Cash flows 3",
                               "Cash flows 4", "Cash flows 5", "Assumptions", "Assumptions 2",
                               "Plan", "Plan options", "Plan options 2", "Plan options 3",
                               "Plan limits", "Plan frontier", "Rejected", "Rules", "Rules 2",
                               "Rules 3", "Columns", "Columns 2", "Columns 3", "Columns 4",
                               "Columns 5", "Columns 6"]
    detail = [row for name in book.sheetnames if name.startswith("Gate detail")
              for row in list(book[name].values)[1:]]
    assert detail == list(load_workbook(whole / "scorecard.xlsx")["Gate detail"].values)[1:]
    assert [book[n].max_row for n in book.sheetnames if n.startswith("Gate")] == [
        51, 31]  # 40 sites x 2 workloads: a full sheet and 30 rows
