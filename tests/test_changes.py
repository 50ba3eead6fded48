"""Quarter over quarter, what would flip a site, and what-if rules."""

from __future__ import annotations

import json
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from conftest import ROOT, invoke, read_csv
from pipeline.classify import Classifier, classify
from pipeline.classify import bucket_workloads
from pipeline.classify.flips import fix_for, what_would_flip, workload_fix
from pipeline.enrich import enrich
from pipeline.rules import default_rules
from pipeline.run import check

INPUT = ROOT / "input"


def rows(path):
    return {r["site_id"]: r for r in read_csv(path)}


def evaluate_quarters(out, *options):
    """input/ evaluated as a folder: sites-2026Q3.xlsx, then sites.xlsx compared with it."""
    result = invoke("evaluate", INPUT, "--out", out, "--jobs", "2", *options)
    assert result.exit_code == 0, result.stderr
    return out


def test_two_quarters_give_a_change_report(tmp_path):
    quarters = evaluate_quarters(tmp_path, "--no-pdf")
    assert not (quarters / "sites-2026Q3" / "changes.csv").exists()  # nothing before Q3
    changes = rows(quarters / "sites" / "changes.csv")
    assert {k: v["change"] for k, v in changes.items()} == {
        "PY-03": "added", "TX-05": "removed", "WTX-01": "changed", "SE-01": "changed",
        "KZ-03": "changed", "TX-04": "changed", "ON-01": "changed"}
    kz = changes["KZ-03"]
    assert (kz["bucket_before"], kz["bucket_after"]) == ("Neither", "Inference")
    assert "inference operations fail → conditional" in kz["what_changed"]
    assert kz["inputs_changed"] == "staffing_24x7 no → yes"
    assert changes["ON-01"]["inputs_changed"] == "fiber_carriers 1 → 3"
    assert changes["TX-04"]["readiness_after"] == "ready"
    manifest = json.loads((quarters / "sites" / "manifest.json").read_text())
    assert manifest["previous"]["path"].endswith("sites-2026Q3")
    book = load_workbook(quarters / "sites" / "scorecard.xlsx")
    assert book.sheetnames[3:12] == ["Economics", "Cash flows", "Assumptions", "Plan",
                                     "Plan options", "Plan limits", "Plan frontier",
                                     "Plan changes", "Changes"]
    assert book["Changes"].max_row == 8


@pytest.mark.slow  # renders both quarters' PDFs, 82 of them
def test_changes_reach_the_pdfs(tmp_path):
    quarters = evaluate_quarters(tmp_path)

    def text(path):
        words = " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())
        return re.sub(r"(\w[-/]) (\w)", r"\1\2", words)

    portfolio = text(quarters / "sites" / "portfolio.pdf")
    assert "Since last quarter" in portfolio and "Pecos Valley Annex" in portfolio
    assert not re.search(r"\b(Training|Inference|Hybrid|Neither) → \1\b", portfolio)
    site = text(quarters / "sites" / "reports" / "KZ-03.pdf")
    assert "Since the previous run" in site and "Staffed 24x7: no → yes" in site
    assert "Since the previous run" not in text(quarters / "sites" / "reports" / "VA-01.pdf")


def test_flip_suggestions_work_when_applied():
    rules = default_rules()
    results = classify(enrich(check(INPUT / "sites.xlsx").sites, rules), rules)
    checked = 0
    for site in results:
        if site.readiness == "ready":
            continue
        if site.bucket == "Neither":
            for workload in ("training", "inference"):
                fix = workload_fix(site, workload, Classifier(rules))
                if fix is not None:
                    again = classify(_frame({**site.values, **fix}), rules)[0]
                    assert getattr(again, workload).verdict == "fit", site.site_id
            continue
        if site.deal_risks.beyond_inputs:  # a country's tariff: no input lifts it
            assert what_would_flip(site, Classifier(rules)).lead.startswith(
                "No change to the inputs makes this site ready while this holds"), site.site_id
            continue
        fix = fix_for(site, bucket_workloads(site.bucket), Classifier(rules))
        assert fix, site.site_id
        again = classify(_frame({**site.values, **fix}), rules)[0]
        assert again.readiness == "ready" and again.bucket == site.bucket, site.site_id
        checked += 1
    assert checked >= 15


def _frame(values):
    import pandas as pd
    frame = pd.DataFrame([values]).set_index(pd.Index([values["row"]]))
    return frame.drop(columns=["row"])


@pytest.mark.slow  # reads the sample's 41 PDFs: rendering them is the sample_run fixture
def test_results_say_what_would_flip_each_site(sample_run):
    sites = rows(sample_run / "results.csv")
    assert sites["FI-01"]["what_would_flip_it"] == "Ready with: uplink_gbps not given → 10 Gbit/s."
    assert sites["PA-01"]["what_would_flip_it"] == ""  # already ready
    assert sites["PY-01"]["what_would_flip_it"].startswith("Training becomes fit with:")
    book = load_workbook(sample_run / "scorecard.xlsx")
    detail = list(book["Gate detail"].values)
    header = detail[0]
    fixes = {(r[0], r[2], gate): r[header.index(f"{gate.capitalize()}: to pass")]
             for r in detail[1:] for gate in ("power", "networking")}
    assert fixes[("FI-01", "training", "networking")] == "Uplink: not given → 10 Gbit/s"
    assert fixes[("FI-01", "training", "power")] in (None, "")
    portfolio = " ".join(" ".join(p.extract_text() for p in PdfReader(
        sample_run / "portfolio.pdf").pages).split())
    assert "The gate that holds back the most sites:" in portfolio
    assert "Ready with: Uplink: not given → 10 Gbit/s" in portfolio  # FI-01's flip


def test_what_if_reports_the_sites_that_move(tmp_path):
    result = invoke("evaluate", INPUT / "sites.xlsx", "--out", tmp_path, "--no-pdf",
                    "--set", "power.training.pass_max_price_usd_per_kwh=0.035",
                    "--set", "power.training.conditional_max_price_usd_per_kwh=0.04")
    assert result.exit_code == 0
    assert re.search(r"what-if: \d+ sites change bucket", result.stderr)
    moved = rows(tmp_path / "whatif.csv")
    assert (moved["SE-01"]["bucket_before"], moved["SE-01"]["bucket_after"]) == (
        "Training", "Neither")
    assert rows(tmp_path / "results.csv")["SE-01"]["training_power"] == "fail"
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["what_if"]["baseline"] == "sitefit default rules"
    assert manifest["rules"]["values"]["power"]["training"]["pass_max_price_usd_per_kwh"] == 0.035
    assert "What-if" in load_workbook(tmp_path / "scorecard.xlsx").sheetnames


def test_what_if_from_a_second_rules_file(tmp_path):
    whatif = tmp_path / "w.toml"
    whatif.write_text("[location.inference]\npass_max_distance_miles = 200.0\n"
                      "conditional_max_distance_miles = 250.0\n")
    result = invoke("evaluate", INPUT / "sites.xlsx", "--out", tmp_path / "o", "--no-pdf",
                    "--whatif", whatif)
    assert result.exit_code == 0
    moved = rows(tmp_path / "o" / "whatif.csv")
    assert (moved["KZ-01"]["bucket_before"], moved["KZ-01"]["bucket_after"]) == ("Training", "Hybrid")
    assert moved["WA-01"]["readiness_after"] == "ready"


@pytest.mark.parametrize("setting, message", [
    ("power.training.nope=1", "unknown key 'power.training.nope'"),
    ("power.training.pass_min_capacity_mw=lots", "expected a number"),
    ("novalue", "write it as KEY=VALUE"),
])
def test_bad_settings_exit_2(tmp_path, setting, message):
    result = invoke("evaluate", INPUT / "sites.xlsx", "--out", tmp_path, "--set", setting)
    assert result.exit_code == 2 and message in result.stderr
