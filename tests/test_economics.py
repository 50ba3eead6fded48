"""Indicative economics checked against hand-worked arithmetic, and traceable to inputs."""

from __future__ import annotations

import pytest

from conftest import site
from pipeline.classify import classify_site
from pipeline.economics import BASE, HIGH, LOW, evaluate, for_workload

# 50 MW at 0.04 USD/kWh, 10 MW of mining, direct-to-chip at 60 kW a rack.
SITE = dict(power_capacity_mw=50.0, mining_load_mw=10.0, power_cost_usd_per_kwh=0.04,
            cooling_type="direct_to_chip", rack_density_kw=60.0, liquid_cooling_path=None)


def test_training_by_hand(rules):
    result = classify_site(site(**SITE, metro_distance_miles=400.0, metro_rtt_ms=None), rules)
    assert result.bucket == "Training"
    money = evaluate(result, rules)
    # 50 - 10 x 0.2 kept = 48 MW; / PUE 1.2 = 40; x (1 - 0.17) = 33.2 MW of critical IT
    assert money.workload == "training" and money.it_mw == pytest.approx(33.2)
    assert money.binding == "power (PUE)"  # 8 MW to PUE, 6.8 to redundancy, 0 to cooling
    # capex: 33.2 x [8, 9.5, 11] - 48 x [0.8, 0.55, 0.3] M USD
    assert money.capex_musd == pytest.approx((227.2, 289.0, 350.8))
    # lease: 33.2 MW x 1000 x [120, 150, 185] USD/kW-month x 12
    assert money.lease_musd_per_year == pytest.approx((47.81, 59.76, 73.7), abs=0.01)
    # mining: 50 PH/s per MW x 35 USD/day / 24 h - 40 USD/MWh = 32.92 USD/MWh, forgone on
    # the 33.2 x 1.2 = 39.84 MW the AI load draws, 8,760 hours a year
    assert money.mining_margin_musd_per_year == pytest.approx(11.49, abs=0.01)
    assert money.payback(BASE, BASE) == pytest.approx(6.0)   # 289.0 / (59.76 - 11.49)
    assert money.payback(LOW, HIGH) == pytest.approx(3.7)    # 227.2 / (73.7 - 11.49)
    assert money.payback(HIGH, LOW) == pytest.approx(9.7)    # 350.8 / (47.81 - 11.49)


def test_hybrid_takes_the_faster_payback_and_inference_its_premium(rules):
    result = classify_site(site(**SITE), rules)
    assert result.bucket == "Hybrid"
    inference = for_workload(result, "inference", rules)
    # 40 MW x (1 - 0.33) = 26.8 MW; lease x 1.1 premium
    assert inference.it_mw == pytest.approx(26.8)
    assert inference.lease_musd_per_year[BASE] == pytest.approx(53.06, abs=0.01)
    assert inference.mining_margin_musd_per_year == pytest.approx(9.27, abs=0.01)  # 32.16 MW
    assert inference.payback_base == pytest.approx(5.2)      # 228.2 / (53.06 - 9.27)
    assert evaluate(result, rules).workload == "inference"


def test_cooling_density_can_bind(rules):
    result = classify_site(site(**{**SITE, "rack_density_kw": 10.0},
                                metro_distance_miles=400.0, metro_rtt_ms=None), rules)
    money = for_workload(result, "training", rules)
    assert money.binding == "cooling density"
    assert money.it_mw == pytest.approx(33.2 * 10 / 40)


def test_unprofitable_mining_forgoes_nothing_and_neither_gets_no_economics(rules):
    pricey = classify_site(site(**{**SITE, "power_cost_usd_per_kwh": 0.09}), rules)
    assert for_workload(pricey, "inference", rules).mining_margin_musd_per_year == 0.0
    neither = classify_site(site(power_capacity_mw=2.0, metro_distance_miles=400.0,
                                 metro_rtt_ms=None), rules)
    assert neither.bucket == "Neither" and evaluate(neither, rules) is None


def test_every_figure_is_traceable(rules):
    money = evaluate(classify_site(site(**SITE, metro_distance_miles=400.0,
                                        metro_rtt_ms=None), rules), rules)
    for text in ("50 MW gross", "2 MW mining kept",
                 "0.2 of mining_load_mw", "PUE 1.2 (liquid)", "0.17 redundancy reserve",
                 "60 kW of 40 kW", "33.2 MW critical IT", "9.5 M USD", "0.55 M USD power credit",
                 "150 USD/kW-month", "50 PH/s per MW (20 J/TH)", "35 USD/PH/day",
                 "0.04 USD/kWh", "as of 2026-11"):
        assert text in money.basis, text


def test_assumptions_come_from_the_rules(tmp_path):
    from pipeline.rules import load_rules
    override = tmp_path / "r.toml"
    override.write_text("[economics]\nlease_usd_per_kw_month = [100.0, 200.0, 300.0]\n")
    rules = load_rules(override)
    money = evaluate(classify_site(site(**SITE, metro_distance_miles=400.0,
                                        metro_rtt_ms=None), rules), rules)
    assert money.lease_musd_per_year[BASE] == pytest.approx(33.2 * 200 * 12 / 1000)
    override.write_text("[economics]\nlease_usd_per_kw_month = [300.0, 200.0]\n")
    from pipeline.rules import RulesError
    with pytest.raises(RulesError, match=r"give \[low, base, high\]"):
        load_rules(override)


def test_economics_in_the_outputs(tmp_path):
    import csv
    import re
    from pathlib import Path

    from click.testing import CliRunner
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from pipeline.cli import cli
    sample = Path(__file__).resolve().parent.parent / "input" / "sites.xlsx"
    result = CliRunner().invoke(cli, ["evaluate", str(sample), "--out", str(tmp_path),
                                      "--jobs", "2"], catch_exceptions=False)
    assert result.exit_code == 0
    with open(tmp_path / "results.csv", encoding="utf-8") as handle:
        rows = {r["site_id"]: r for r in csv.DictReader(handle)}
    assert rows["PY-01"]["econ_it_mw"] == ""  # Neither: no economics
    assert float(rows["ON-01"]["econ_it_mw"]) > 0 and rows["ON-01"]["econ_basis"]
    sheet = load_workbook(tmp_path / "scorecard.xlsx")["Economics"]
    table = list(sheet.values)
    header = table[0]
    paybacks = [r[header.index("econ_payback_years")] for r in table[1:]
                if r[header.index("site_id")]]
    numbers = [p for p in paybacks if p is not None]
    assert numbers == sorted(numbers) and paybacks[:len(numbers)] == numbers  # ranked
    assert table[1][header.index("rank")] == 1
    assert sheet.cell(row=2, column=header.index("econ_capex_musd") + 1).number_format == \
        '"$"#,##0.0"M"'
    assumptions = {r[header.index("assumption")]: r[header.index("assumption_value")]
                   for r in table[1:] if r[header.index("assumption")]}
    assert assumptions["economics.pue_liquid"] == 1.2
    assert assumptions["economics.lease_usd_per_kw_month"] == "120.0, 150.0, 185.0"

    def text(path):
        words = " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())
        return re.sub(r"(\w[-/]) (\w)", r"\1\2", words)

    assert "Indicative economics" in text(tmp_path / "reports" / "ON-01.pdf")
    assert "Indicative economics" not in text(tmp_path / "reports" / "PY-01.pdf")
    assert "Indicative economics: fastest paybacks" in text(tmp_path / "portfolio.pdf")
