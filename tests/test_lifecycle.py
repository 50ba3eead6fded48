"""The run's lifecycle against a scheduler and a hostile machine, as real processes: signals
(one, and a second while the first unwinds), a closed or full stdout, limits on memory,
processes and threads, and --jobs far beyond the work. Each ends with the README's exit
code and one message line, and ``--json`` prints its document whenever the run started."""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE, invoke, rerun_ahead, snapshot, staging_left
from pipeline.errors import Exit

SITEFIT = [sys.executable, "-m", "pipeline"]


def _start(*args, **options) -> subprocess.Popen:
    return subprocess.Popen([*SITEFIT, *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            **options)


def _when_writing(run: subprocess.Popen, parent: Path) -> None:
    """Wait until ``run`` stages its outputs in ``parent``, then a little more."""
    deadline = time.monotonic() + 60
    while not staging_left(parent) and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.02)
    time.sleep(0.4)
    assert run.poll() is None, "the run finished before it could be stopped"


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        found.append(parent)
        try:  # the process, or a thread of it, may end while it is read
            for child in Path(f"/proc/{parent}/task").glob("*/children"):
                todo += [int(p) for p in child.read_text().split()]
        except OSError:
            pass
    return found


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


@pytest.mark.slow
def test_sigterm_on_a_json_run_prints_the_document_and_the_message(sample_copy, tmp_path):
    out, before, rules = rerun_ahead(sample_copy)
    run = _start("evaluate", SAMPLE, "--out", out, "--rules", rules, "--json", "--jobs", "2")
    _when_writing(run, tmp_path)
    run.send_signal(signal.SIGTERM)  # as a scheduler stops a job: the main process only
    stdout, stderr = run.communicate(timeout=60)
    assert run.returncode == Exit.TERMINATED
    assert stderr == "sitefit: terminated; the previous output is untouched\n"
    document = json.loads(stdout)
    assert (document["exit_code"], document["error"]["code"]) == (143, "terminated")
    assert snapshot(out) == before and staging_left(tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize("gap", [0.0, 0.05, 0.3])
def test_a_second_sigterm_ends_the_run_at_once_and_nothing_outlives_it(sample_copy, tmp_path,
                                                                       gap):
    out, before, rules = rerun_ahead(sample_copy)
    run = _start("evaluate", SAMPLE, "--out", out, "--rules", rules, "--json", "--jobs", "2")
    _when_writing(run, tmp_path)
    family = _tree(run.pid)
    assert len(family) > 1, "the run had started no helper process"
    os.killpg(run.pid, signal.SIGTERM)  # the whole group, as a service manager does
    time.sleep(gap)
    if run.poll() is None:
        os.killpg(run.pid, signal.SIGTERM)
    stdout, stderr = run.communicate(timeout=10)
    assert run.returncode == Exit.TERMINATED, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("sitefit: terminated")
    assert json.loads(stdout)["exit_code"] == 143
    deadline = time.monotonic() + 5
    while _alive(family) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _alive(family) == []
    assert snapshot(out) == before and staging_left(tmp_path) == []


@pytest.mark.slow
def test_jobs_far_beyond_the_work_start_no_more_processes_than_cores(tmp_path):
    five = tmp_path / "five.csv"
    from test_exports import as_text, sample_rows
    five.write_text(as_text(sample_rows(5)), encoding="utf-8", newline="")
    run = _start("evaluate", five, "--out", tmp_path / "out", "--jobs", "10000")
    most = 0  # sitefit's own processes alive at once, at the busiest look
    while run.poll() is None:
        most = max(most, sum(_is_sitefit(pid) for pid in _alive(_tree(run.pid))))
        time.sleep(0.01)
    stdout, stderr = run.communicate()
    assert run.returncode == 0, stderr
    # the run itself, its table writer, and a renderer per core at most. A fork that runs
    # the linker as WeasyPrint loads Pango looks like sitefit until it execs, but comes
    # before the first renderer, when the run has only its writer beside it.
    assert 2 < most <= 2 + len(os.sched_getaffinity(0)), most


def _is_sitefit(pid: int) -> bool:
    try:
        return b"pipeline" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


@pytest.mark.parametrize("refusal, what", [
    (BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable"), "process"),
    (RuntimeError("can't start new thread"), "thread")])
def test_a_process_or_thread_the_machine_refuses_exits_3_in_one_line(tmp_path, monkeypatch,
                                                                     refusal, what, small):
    """The machine's refusal is raised where it would be (fork or thread start); what is
    tested is how the run ends."""
    def refuse(*args, **kwargs):
        raise refusal

    target = ("multiprocessing.process.BaseProcess.start" if what == "process"
              else "threading.Thread.start")
    monkeypatch.setattr(target, refuse)
    result = invoke("evaluate", small, "--out", tmp_path / "out", "--jobs", "2", "--json")
    assert result.exit_code == Exit.ENVIRONMENT, result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"sitefit: cannot start another {what}")
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert json.loads(result.stdout)["inputs"][0]["error"] == "out-of-resources"
    assert not (tmp_path / "out").exists()


def test_a_closed_stdout_is_an_output_failure_not_rejected_rows(tmp_path, small):
    with subprocess.Popen([*SITEFIT, "evaluate", str(small), "--out", str(tmp_path / "out"),
                           "--no-pdf", "--json"], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as run:
        run.stdout.close()  # as `| head -c 0` does
        stderr = run.stderr.read()
    assert run.returncode == Exit.ENVIRONMENT, stderr
    assert stderr.splitlines()[-1] == ("sitefit: cannot print on standard output (Broken pipe): "
                                       "it was closed or is full, so what sitefit prints there "
                                       "is lost")
    assert "Traceback" not in stderr and "Exception ignored" not in stderr


@pytest.mark.parametrize("command", [  # the closed stdout covers evaluate's path quickly
    pytest.param("evaluate", marks=pytest.mark.slow), "rules"])
def test_a_full_stdout_is_an_output_failure(tmp_path, command, small):
    if command == "evaluate":
        command = ["evaluate", str(small), "--no-pdf", "--json", "--out", str(tmp_path / "out")]
    else:
        command = [command]
    with open("/dev/full", "w") as full:
        run = subprocess.run([*SITEFIT, *command], cwd=ROOT, stdout=full,
                             stderr=subprocess.PIPE, text=True)
    assert run.returncode == Exit.ENVIRONMENT, run.stderr
    assert run.stderr.splitlines()[-1].startswith(
        "sitefit: cannot print on standard output (No space left on device)")
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr


def _limit_memory(mib: int):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mib * 2**20, mib * 2**20))
    return limit


@pytest.mark.slow
def test_out_of_memory_is_the_machines_limit_not_an_internal_error(tmp_path):
    from bench.portfolio import write_portfolio
    big = write_portfolio(tmp_path / "big.csv", 20_000)
    run = subprocess.run([*SITEFIT, "evaluate", str(big), "--out", str(tmp_path / "out"),
                          "--no-pdf", "--jobs", "1", "--json"], cwd=ROOT, capture_output=True,
                         text=True, preexec_fn=_limit_memory(600), timeout=300)
    assert run.returncode == Exit.ENVIRONMENT, run.stderr
    assert run.stderr == ("sitefit: out of memory (this run may use at most 600 MiB "
                          "of memory: ulimit -v); run fewer sites per file, fewer --jobs, or "
                          "on a machine with more memory (the previous output is untouched)\n")
    assert json.loads(run.stdout)["inputs"][0]["error"] == "out-of-resources"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("setting, message", [
    ("economics.monte_carlo_seed = " + "9" * 400,
     "economics.monte_carlo_seed = 99999999999999999999... (400 characters): must be at most "
     "1,000,000,000,000,000"),
    ("economics.lease_term_years = 100000000",
     "economics.lease_term_years = 100000000: must be at most 99 years"),
    ("economics.monte_carlo_draws = 1000000000",
     "economics.monte_carlo_draws = 1000000000: must be at most 100,000 draws")])
def test_a_rules_value_too_large_to_compute_names_its_key(tmp_path, setting, message):
    section, rest = setting.split(".", 1)
    rules = tmp_path / "r.toml"
    rules.write_text(f"[{section}]\n{rest}\n")
    result = invoke("evaluate", SAMPLE, "--out", tmp_path / "out", "--rules", rules,
                    "--no-pdf")
    assert result.exit_code == Exit.UNUSABLE
    assert result.stderr == f"sitefit: rules file {rules}: {message}\n"


def test_a_previous_that_is_not_results_is_one_line(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a\n" * 20 + "b,c,d,e\n")
    result = invoke("evaluate", SAMPLE, "--out", tmp_path / "out", "--no-pdf",
                    "--previous", other)
    assert result.exit_code == Exit.UNUSABLE
    assert result.stderr.count("\n") == 1 and f"--previous {other}: cannot" in result.stderr


def test_inputs_whose_names_differ_only_in_case_are_refused(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("Sites.xlsx", "sites.xlsx"):
        (folder / name).write_bytes(SAMPLE.read_bytes())
    result = invoke("evaluate", folder, "--out", tmp_path / "out", "--no-pdf")
    assert result.exit_code == Exit.UNUSABLE
    assert "would both write to" in result.stderr and "rename one" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_readme_exit_code_table_is_the_code():
    """Each row of the README's table names a code of ``Exit`` and what gives it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {int(line.split("|")[1]): line.split("|")[2].strip() for line in text.splitlines()
            if line.startswith("| ") and line.split("|")[1].strip().isdigit()}
    assert sorted(rows) == sorted(int(code) for code in Exit)
    for words in ("closed or full standard output", "out of memory", "processes or threads"):
        assert words in rows[Exit.ENVIRONMENT], words
    assert "SIGTERM" in rows[Exit.TERMINATED] and "SIGINT" in rows[Exit.INTERRUPTED]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # on purpose
def test_a_stop_lost_where_python_drops_exceptions_is_acted_on_at_the_next_check():
    """Python prints "Exception ignored" for an exception raised inside a weakref callback
    (an import's module lock runs one) and carries on: seen as a SIGTERM whose run went on
    until a second one. The handler records the stop; the run's next check raises it."""
    import gc
    import weakref

    from pipeline import stops

    class Anything:
        pass

    thing = Anything()
    watch = weakref.ref(thing, lambda _: stops.ask(signal.SIGTERM))  # raised, and dropped
    try:
        del thing
        gc.collect()
        assert watch() is None  # the callback ran, and its exception went nowhere
        with pytest.raises(stops.Stopped):
            stops.check()
    finally:
        stops._asked.clear()
