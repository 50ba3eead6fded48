"""The command line as a scheduler and an analyst meet it: exit codes, messages, real files."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import (HEADER, ROOT, ROW, SAMPLE, invoke, read_csv, rerun_ahead, snapshot,
                      staging_left, write_csv, write_xlsx)
from pipeline.cli import cli
from pipeline.errors import OutputError, SitefitError, UsageError
from pipeline.load import LoadError
from pipeline.rules import RulesError
from pipeline.writers.background import WriterDied
from pipeline.writers.pdf import PdfUnavailable

def test_sample_portfolio_evaluates_cleanly(sample_tables):
    tmp_path = sample_tables  # ``sitefit evaluate input/sites.xlsx --no-pdf``, run once
    rows = read_csv(tmp_path / "results.csv")
    assert {r["bucket"] for r in rows} == {"Training", "Inference", "Hybrid", "Neither"}
    statuses = {r[f"{w}_{g}"] for r in rows for w in ("training", "inference")
                for g in ("location", "power", "cooling", "networking", "operations")}
    assert statuses == {"pass", "conditional", "fail", "unknown"}
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["rows"] == {**manifest["rows"], "data_rows": 40, "evaluated": 40,
                                "rejected": 0, "all_accounted_for": True}
    assert manifest["exit_status"] == 0 and len(manifest["input"]["sha256"]) == 64
    assert read_csv(tmp_path / "rejected.csv") == []


def test_results_csv_has_the_agreed_columns(sample_tables):
    columns = read_csv(sample_tables / "results.csv")[0].keys()
    agreed = ["site_id", "site_name", "bucket", "readiness", "training_verdict",
              "inference_verdict", "training_score", "inference_score"] + [
        f"{w}_{g}" for w in ("training", "inference")
        for g in ("location", "power", "cooling", "networking", "operations")]
    assert set(agreed) <= set(columns)


def test_scorecard_workbook_reads_back(sample_tables):
    tmp_path = sample_tables
    book = load_workbook(tmp_path / "scorecard.xlsx", data_only=True)
    assert book.sheetnames == ["Summary", "Scorecard", "Gate detail", "Economics", "Cash flows",
                               "Assumptions", "Plan", "Plan options", "Plan limits", "Plan frontier",
                               "Rejected", "Rules", "Columns"]
    card = book["Scorecard"]
    assert card.freeze_panes == "C2" and card.tables["Scorecard"].ref.startswith("A1:")
    header = [c.value for c in card[1]]
    assert header[:2] == ["Site ID", "Site name"] and card.max_row == 1 + 40 + 1  # totals
    bucket = card.cell(row=2, column=header.index("Bucket") + 1)
    assert bucket.value in {"Training", "Inference", "Hybrid", "Neither"}
    detail = book["Gate detail"]
    assert detail.max_row == 1 + 40 * 2  # a row per site and workload, its gates side by side
    heading = [c.value for c in detail[1]]
    assert heading[:4] == ["Site ID", "Site name", "Workload", "Verdict"]
    assert heading[4:7] == ["Location", "Location: why", "Location: to pass"]
    assert len(heading) == 4 + 5 * 3
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows() if row[0].value}
    assert summary["Sites evaluated"] == 40 and summary["Total"] == 40
    rules = {row[0].value: row[1].value for row in book["Rules"].iter_rows(min_row=2)}
    assert rules["power.training.pass_min_capacity_mw"] == 20


def test_some_rows_rejected_exits_1_and_keeps_the_rest(tmp_path):
    source = write_xlsx(tmp_path / "q.xlsx", [HEADER, ROW, ["B-1", "Beta", "12 ms", 0.04, "air",
                                                           "yes", "yes"]])
    result = invoke("evaluate", source, "--out", tmp_path / "out", "--no-pdf")
    assert result.exit_code == 1
    assert "1 of 2 rows evaluated, 1 rejected" in result.stderr
    assert "row 3, column power_capacity_mw: '12 ms'" in result.stderr
    rejected = read_csv(tmp_path / "out" / "rejected.csv")
    assert [(r["row"], r["column"], r["value"]) for r in rejected] == [
        ("3", "power_capacity_mw", "12 ms")]
    assert [r["site_id"] for r in read_csv(tmp_path / "out" / "results.csv")] == ["A-1"]
    book = load_workbook(tmp_path / "out" / "scorecard.xlsx")
    assert book["Rejected"].cell(row=2, column=7).value.startswith("'ms' is a time unit")


@pytest.mark.parametrize("make_input, message", [
    (lambda d: d / "missing.xlsx", "no such file"),
    (lambda d: (d / "x.txt").write_text("hi") and d / "x.txt", "not a spreadsheet"),
    (lambda d: write_csv(d / "x.csv", [HEADER[:-1], ROW[:-1]]),
     "required column staffing_24x7 missing"),
    (lambda d: write_csv(d / "x.csv", [HEADER]), "no data rows"),
    (lambda d: write_csv(d / "x.csv", [HEADER, ["A", "B", "x", "y", "air", "1", "1"]]),
     "all 1 rows rejected"),
])
def test_nothing_evaluated_exits_2_with_one_line(tmp_path, make_input, message):
    result = invoke("evaluate", make_input(tmp_path), "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("sitefit: ")


def test_folder_without_spreadsheets_exits_2(tmp_path):
    result = invoke("evaluate", tmp_path, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "no spreadsheets here" in result.stderr


def test_folder_writes_each_file_into_its_own_folder(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    write_xlsx(source / "q1.xlsx", [HEADER, ROW])
    write_csv(source / "q2.csv", [HEADER, ROW])
    result = invoke("evaluate", source, "--out", tmp_path / "out", "--no-pdf")
    assert result.exit_code == 0
    assert (tmp_path / "out" / "q1" / "results.csv").exists()
    assert (tmp_path / "out" / "q2" / "scorecard.xlsx").exists()


def test_two_inputs_with_one_stem_are_refused(tmp_path):
    write_xlsx(tmp_path / "q.xlsx", [HEADER, ROW])
    write_csv(tmp_path / "q.csv", [HEADER, ROW])
    result = invoke("evaluate", tmp_path, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "would both write to" in result.stderr


def test_text_never_becomes_a_formula(tmp_path):
    hostile = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)"]
    rows = [HEADER + ["notes"]] + [[f"S{i}", text, 30, 0.04, "air", "yes", "yes", text]
                                   for i, text in enumerate(hostile)]
    result = invoke("evaluate", write_xlsx(tmp_path / "h.xlsx", rows), "--out", tmp_path / "o",
                    "--no-pdf")
    assert result.exit_code == 0
    book = load_workbook(tmp_path / "o" / "scorecard.xlsx")
    sites = list(book["Scorecard"].iter_rows(min_row=2, max_row=1 + len(hostile)))
    assert [row[1].value for row in sites] == hostile
    assert all(c.data_type == "s" for row in sites for c in row if isinstance(c.value, str))
    results = read_csv(tmp_path / "o" / "results.csv")
    assert [r["site_name"] for r in results] == ["'" + h for h in hostile]


def test_rules_override_changes_the_outcome_and_is_recorded(tmp_path, sample_tables):
    rules = tmp_path / "strict.toml"
    rules.write_text("[power.training]\npass_min_capacity_mw = 50.0\n")
    shutil.copytree(sample_tables, tmp_path / "default")
    result = invoke("evaluate", SAMPLE, "--out", tmp_path / "strict", "--rules", rules,
                    "--no-pdf")
    assert result.exit_code == 0
    default = json.loads((tmp_path / "default" / "manifest.json").read_text())["rules"]
    strict = json.loads((tmp_path / "strict" / "manifest.json").read_text())["rules"]
    assert default["sha256"] != strict["sha256"] and strict["source"] == str(rules)
    assert strict["values"]["power"]["training"]["pass_min_capacity_mw"] == 50.0
    before = {r["site_id"]: r["training_power"] for r in read_csv(tmp_path / "default" /
                                                                  "results.csv")}
    after = {r["site_id"]: r["training_power"] for r in read_csv(tmp_path / "strict" /
                                                                 "results.csv")}
    assert before["ON-01"] == "pass" and after["ON-01"] == "conditional"


@pytest.mark.parametrize("text, message", [
    ("[power.training]\npass_min_capacty_mw = 50\n", "unknown key 'power.training.pass_min_capacty_mw'"),
    ("[power.training]\npass_min_capacity_mw = 'fifty'\n", "expected a number"),
    ("[power.training]\nconditional_min_capacity_mw = 30\n", "conditional band is empty"),
    ("not toml at all [", "cannot be read as TOML"),
])
def test_bad_rules_file_exits_2(tmp_path, text, message):
    rules = tmp_path / "r.toml"
    rules.write_text(text)
    result = invoke("evaluate", SAMPLE, "--out", tmp_path / "o", "--rules", rules)
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "o").exists()


def test_bad_option_exits_2(tmp_path):
    result = invoke("evaluate", SAMPLE, "--colour", "red")
    assert result.exit_code == 2 and "No such option" in result.stderr


def test_validate_reports_problems_and_writes_nothing(tmp_path):
    source = write_csv(tmp_path / "v.csv", [HEADER, ROW, ["B", "Beta", 30, 0.04, "liquid", "y",
                                                         "y"]])
    result = invoke("validate", source)
    assert result.exit_code == 1
    assert "v.csv, row 3, column cooling_type: 'liquid': expected one of air" in result.stdout
    assert "2 data rows, 1 valid, 1 rejected" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.csv"]
    assert invoke("validate", SAMPLE).exit_code == 0


def test_a_failed_run_keeps_the_previous_output(tmp_path, monkeypatch, small):
    out = tmp_path / "out"
    invoke("evaluate", small, "--out", out, "--no-pdf")
    before = (out / "results.csv").read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("pipeline.run.ScorecardWriter", broken)
    result = invoke("evaluate", small, "--out", out, "--no-pdf")
    assert result.exit_code == 2 and "internal error: RuntimeError: disk on fire" in result.stderr
    assert (out / "results.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_module_entry_point_matches_the_console_script():
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "pipeline", "--version"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.startswith("sitefit, version ")


@pytest.mark.parametrize("error, exit_code, code", [
    (LoadError, 2, "input-error"), (RulesError, 2, "rules-error"), (UsageError, 2, "usage-error"),
    (OutputError, 2, "output-error"), (PdfUnavailable, 3, "environment-failure"),
    (WriterDied, 3, "environment-failure")])
def test_a_library_caller_catches_every_failure_as_one_family(error, exit_code, code):
    assert issubclass(error, SitefitError)
    assert (error.exit_code, error.code) == (exit_code, code)


def _good(tmp_path):
    return write_xlsx(tmp_path / "q.xlsx", [HEADER, ROW])


@pytest.mark.parametrize("args, code, message", [
    (lambda d: [_good(d)], 0, "1 site evaluated"),
    (lambda d: [write_xlsx(d / "q.xlsx", [HEADER, ROW, ["B", "Beta", "x", 0.04, "air", "yes",
                                                       "yes"]])], 1, "1 rejected"),
    (lambda d: [d / "missing.xlsx"], 2, "no such file"),
    (lambda d: [_good(d), "--set", "power.training.nope=1"], 2, "unknown key"),
    (lambda d: [_good(d), "--jobs", "0"], 2, "Invalid value for '--jobs'"),
    (lambda d: [_good(d), "--out", (d / "a-file").write_text("") or d / "a-file" / "out"], 2,
     "a-file is a file, not a folder; give --out a folder"),
])
def test_the_exit_code_says_what_a_scheduler_should_do(tmp_path, args, code, message):
    arguments = args(tmp_path)
    if "--out" not in arguments:
        arguments += ["--out", tmp_path / "out"]
    result = invoke("evaluate", *arguments, "--no-pdf")
    assert result.exit_code == code and message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_system_library_exits_3(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if Pango could not be loaded
    result = invoke("evaluate", _good(tmp_path), "--out", tmp_path / "out")
    assert result.exit_code == 3 and "apt-get install" in result.stderr
    assert not (tmp_path / "out").exists()


def _default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a shell's background job starts it ignored


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_exits_130_and_keeps_the_previous_output(sample_copy, tmp_path, jobs):
    out, before, rules = rerun_ahead(sample_copy)
    run = subprocess.Popen([sys.executable, "-m", "pipeline", "evaluate", SAMPLE, "--out", out,
                            "--rules", rules, "--jobs", jobs], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           start_new_session=True, preexec_fn=_default_sigint)
    deadline = time.monotonic() + 60
    while not staging_left(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.4)  # well into writing
    assert run.poll() is None, "the run finished before it could be interrupted"
    os.killpg(run.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 130
    assert stderr == "sitefit: interrupted; the previous output is untouched\n"
    assert snapshot(out) == before and staging_left(tmp_path) == []


def test_the_library_evaluates_without_the_command_line(tmp_path):
    from pipeline import api
    (tmp_path / "in").mkdir()
    write_xlsx(tmp_path / "in" / "a.xlsx", [HEADER, ROW])
    write_csv(tmp_path / "in" / "b.csv", [HEADER])  # no data rows
    (tmp_path / "in" / "c.csv").write_bytes(b"\x00\x01binary")
    run = api.evaluate([tmp_path / "in"], tmp_path / "out", pdfs=False,
                       settings=["power.training.pass_min_capacity_mw=25"])
    assert [(o.input.name, o.status, o.exit_code) for o in run.outcomes] == [
        ("a.xlsx", "evaluated", 0), ("b.csv", "nothing-evaluated", 2), ("c.csv", "failed", 2)]
    assert run.exit_code == 2 and run.outcomes[2].error == "input-error"
    assert (tmp_path / "out" / "a" / "whatif.csv").exists()
    assert run.outcomes[0].manifest == tmp_path / "out" / "a" / "manifest.json"


def test_a_run_leaves_the_callers_garbage_collector_as_it_found_it(tmp_path):
    """A run collects less often while it writes (speed), and gives the thresholds back."""
    import gc
    from pipeline import api
    write_xlsx(tmp_path / "a.xlsx", [HEADER, ROW])
    before = gc.get_threshold()
    try:
        gc.set_threshold(500, 7, 3)
        run = api.evaluate([tmp_path / "a.xlsx"], tmp_path / "out", pdfs=False)
        assert run.outcomes[0].status == "evaluated"
        assert gc.get_threshold() == (500, 7, 3)
    finally:
        gc.set_threshold(*before)


def conforms(document: dict) -> dict:
    """``document``, after checking it against the published schema of ``--json``."""
    import jsonschema
    schema = json.loads((ROOT / "docs" / "run.schema.json").read_text())
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
    return document


def test_json_prints_one_document_a_scheduler_can_read(tmp_path):
    source = write_xlsx(tmp_path / "q.xlsx", [HEADER, ROW, ["B", "Beta", "x", 0.04, "air",
                                                           "yes", "yes"]])
    result = invoke("evaluate", source, "--out", tmp_path / "out", "--no-pdf", "--json")
    assert result.exit_code == 1
    document = conforms(json.loads(result.stdout))
    assert document["exit_code"] == 1 and document["error"] is None
    [entry] = document["inputs"]
    assert entry["status"] == "some-rejected" and entry["exit_code"] == 1
    assert entry["rows"] == {"data_rows": 2, "evaluated": 1, "rejected": 1}
    assert entry["problems"] == {"type-error": 1}
    assert json.loads(Path(entry["manifest"]).read_text())["exit_status"] == 1


def test_json_reports_a_run_that_stopped_before_any_input(tmp_path):
    result = invoke("evaluate", tmp_path / "nope.xlsx", "--json")
    assert result.exit_code == 2
    document = conforms(json.loads(result.stdout))
    assert document["inputs"] == [] and document["error"]["code"] == "input-error"


def test_json_of_several_inputs_conforms_whatever_their_fate(tmp_path):
    (tmp_path / "in").mkdir()
    write_xlsx(tmp_path / "in" / "a.xlsx", [HEADER, ROW])
    write_csv(tmp_path / "in" / "b.csv", [HEADER])
    (tmp_path / "in" / "c.csv").write_bytes(b"\x00\x01binary")
    result = invoke("evaluate", tmp_path / "in", "--out", tmp_path / "out", "--no-pdf", "--json")
    document = conforms(json.loads(result.stdout))
    assert [entry["status"] for entry in document["inputs"]] == [
        "evaluated", "nothing-evaluated", "failed"]
    assert document["inputs"][2]["manifest"] is None and result.exit_code == 2


def test_quiet_prints_only_errors(tmp_path):
    good = invoke("evaluate", _good(tmp_path), "--out", tmp_path / "out", "--no-pdf", "--quiet")
    assert good.exit_code == 0 and good.stderr == "" and good.stdout == ""
    bad = invoke("evaluate", tmp_path / "nope.xlsx", "--quiet")
    assert bad.stderr == f"sitefit: {tmp_path / 'nope.xlsx'}: no such file or folder\n"


def test_verbose_logs_each_stage_with_its_seconds(tmp_path):
    result = invoke("evaluate", _good(tmp_path), "--out", tmp_path / "out", "--no-pdf", "-v")
    stages = [line.split(": ")[2].split()[0] for line in result.stderr.splitlines()
              if " took " in line]
    assert {"load", "validate", "enrich", "classify", "write"} <= set(stages)


def test_options_come_from_sitefit_environment_variables(tmp_path):
    env = {"SITEFIT_EVALUATE_OUT": str(tmp_path / "from-env"), "SITEFIT_EVALUATE_NO_PDF": "1",
           "SITEFIT_EVALUATE_SET": "power.training.pass_min_capacity_mw=25"}
    result = invoke("evaluate", _good(tmp_path), env=env)
    assert result.exit_code == 0
    assert (tmp_path / "from-env" / "whatif.csv").exists()
    assert not (tmp_path / "from-env" / "portfolio.pdf").exists()
    shown = invoke("rules", env={"SITEFIT_RULES_FORMAT": "toml"}).stdout
    assert tomllib.loads(shown)["power"]  # toml, not the text for people


def test_top_level_help_shows_each_command_whole():
    commands = invoke("--help").stdout.split("Commands:")[1]
    assert "..." not in commands
    text = " ".join(commands.split())
    assert "Write a blank input workbook to OUT (.xlsx) with drop-downs, checks and one " \
           "example." in text


REFERENCE = ROOT / "docs" / "cli-reference.md"


def test_the_cli_reference_is_current():
    from cogapp import Cog
    status = Cog().main(["cog", "--check", "--diff", str(REFERENCE)])
    assert status == 0, "docs/cli-reference.md is stale: run cog -r docs/cli-reference.md"


def test_every_command_option_and_variable_is_in_the_cli_reference():
    sections = {part.split("\n", 1)[0]: part
                for part in REFERENCE.read_text().split("\n## sitefit ")[1:]}
    assert set(sections) == set(cli.commands)
    for name, command in cli.commands.items():
        for option in command.params:
            if option.param_type_name == "argument":
                assert option.human_readable_name in sections[name]
                continue
            assert all(flag in sections[name] for flag in option.opts), (name, option.opts)
            variable = option.envvar or f"SITEFIT_{name.upper()}_{option.name.upper()}"
            assert f"`{variable}`" in sections[name]


def test_a_column_sitefit_does_not_read_is_named_once(tmp_path):
    """A misspelt deal column is carried through but never silently ignored: stderr names it
    once, with the column it may have meant, and the manifest lists it; --quiet keeps
    stderr to errors."""
    path = write_csv(tmp_path / "deal.csv", [
        [*HEADER, "Lease trm (years)", "Tenant", "lease_rate_usd_per_kw_month"],
        [*ROW, 15, "Acme", 130]])
    result = invoke("evaluate", path, "--out", tmp_path / "o", "--no-pdf")
    assert result.exit_code == 0, result.stderr
    lines = [x for x in result.stderr.splitlines() if "carried through, not read" in x]
    assert lines == [f"sitefit: {path}: 2 columns carried through, not read: 'Lease trm "
                     "(years)' (did you mean lease_term_years?), 'Tenant'"]
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["input"]["carried_through_not_read"] == ["Lease trm (years)", "Tenant"]
    results = read_csv(tmp_path / "o" / "results.csv")
    assert results[0]["Tenant"] == "Acme"  # carried through untouched
    assert results[0]["econ_lease_rate_source"] == "given"
    assert results[0]["econ_lease_term_source"] == "default"
    quiet = invoke("evaluate", path, "--out", tmp_path / "q", "--no-pdf", "--quiet")
    assert "carried through" not in quiet.stderr
