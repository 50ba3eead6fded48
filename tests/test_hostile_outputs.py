"""Hostile output folders, hostile text on its way into the outputs, and hostile previous runs:
sitefit never removes what it did not write and never writes a cell a spreadsheet would run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "input" / "sites.xlsx"


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


def test_an_out_holding_the_input_is_refused_and_left_as_it_was(tmp_path):
    docs = tmp_path / "docs"
    (docs / "images").mkdir(parents=True)
    shutil.copy(SAMPLE, docs / "sites.xlsx")
    (docs / "notes.md").write_text("mine")
    (docs / "images" / "map.png").write_bytes(b"\x89PNG")
    before = snapshot(docs)
    result = invoke("evaluate", docs / "sites.xlsx", "--out", docs, "--no-pdf")
    refused(result, f"--out {docs} holds the input {docs / 'sites.xlsx'}")
    assert snapshot(docs) == before
    assert hidden(tmp_path) == []


def test_an_out_holding_files_sitefit_did_not_write_is_refused(tmp_path):
    home = tmp_path / "home"
    (home / "projects").mkdir(parents=True)
    (home / ".bashrc").write_text("export X=1")
    (home / "projects" / "plan.txt").write_text("plan")
    before = snapshot(home)
    result = invoke("evaluate", SAMPLE, "--out", home, "--no-pdf")
    refused(result, f"--out {home} holds files sitefit did not write (.bashrc, projects)")
    assert snapshot(home) == before
    assert hidden(tmp_path) == []


@pytest.mark.parametrize("stray", ["notes.txt", "reports/mine.pdf", "archive/old.csv"])
def test_a_file_added_to_an_earlier_output_is_never_removed(tmp_path, stray):
    out = tmp_path / "out"
    assert invoke("evaluate", SAMPLE, "--out", out, "--jobs", "1").exit_code == 0
    (out / stray).parent.mkdir(exist_ok=True)
    (out / stray).write_text("kept")
    before = snapshot(out)
    result = invoke("evaluate", SAMPLE, "--out", out, "--jobs", "1")
    refused(result, "holds files sitefit did not write", stray.split("/")[0])
    assert snapshot(out) == before


def test_an_earlier_output_and_an_empty_folder_are_replaced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    assert invoke("evaluate", SAMPLE, "--out", out, "--no-pdf").exit_code == 0
    (out / "scorecard.xlsx").unlink()  # a listed output gone missing is no obstacle
    assert invoke("evaluate", SAMPLE, "--out", out, "--no-pdf").exit_code == 0
    assert (out / "scorecard.xlsx").is_file()
    assert hidden(tmp_path) == []


def test_a_manifest_cannot_make_sitefit_remove_files_outside_its_folder(tmp_path):
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("not sitefit's")
    (out / "manifest.json").write_text(json.dumps(
        {"tool": "sitefit", "outputs": ["manifest.json", "../victim.txt", str(victim)],
         "pdfs": {"keys": {"reports/../../victim.txt": "x"}}}))
    assert invoke("evaluate", SAMPLE, "--out", out, "--no-pdf").exit_code == 0
    assert victim.read_text() == "not sitefit's"


def test_a_reports_link_to_another_folder_is_refused(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    assert invoke("evaluate", SAMPLE, "--out", out, "--no-pdf").exit_code == 0
    elsewhere.mkdir()
    (elsewhere / "a.pdf").write_text("mine")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["outputs"].append("reports/")
    manifest["pdfs"] = {"keys": {"reports/a.pdf": "x"}}
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "reports").symlink_to(elsewhere)
    refused(invoke("evaluate", SAMPLE, "--out", out, "--no-pdf"), "reports")
    assert (elsewhere / "a.pdf").read_text() == "mine"


def test_out_dot_is_refused_and_leaves_nothing_behind(tmp_path, monkeypatch):
    here = tmp_path / "here"
    (here / "reports").mkdir(parents=True)
    monkeypatch.chdir(here)
    refused(invoke("evaluate", SAMPLE, "--out", ".", "--no-pdf"),
            "--out . is or holds the folder you are working in")
    monkeypatch.chdir(here / "reports")
    refused(invoke("evaluate", SAMPLE, "--out", "..", "--no-pdf"), "working in")
    assert snapshot(tmp_path) == {"here": b"<dir>", "here/reports": b"<dir>"}


def test_a_symlinked_out_keeps_its_link_and_leaves_nothing_beside_it(tmp_path):
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.symlink_to(real)
    for _ in range(2):
        assert invoke("evaluate", SAMPLE, "--out", link, "--no-pdf").exit_code == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert (real / "results.csv").is_file()
    assert hidden(tmp_path) == []


def test_output_folders_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        assert invoke("evaluate", SAMPLE, "--out", tmp_path / "out", "--jobs", "1").exit_code == 0
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "out" / "reports").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "out" / "results.csv").stat().st_mode & 0o777 == 0o644


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
    assert json.loads((out / "manifest.json").read_text())["pdfs"]["rendered"] == 33
    assert hidden(tmp_path) == []

