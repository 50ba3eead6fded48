"""Golden cases beside the gates: deal risks, time to power, large-load regimes and scale."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from conftest import HEADER, ROW, read_csv, site, write_csv
from pipeline.labels import label
from pipeline.classify import Classifier, classify_site
from pipeline.classify.flips import what_would_flip
from pipeline.cli import cli
from pipeline.load import load
from pipeline.errors import RulesError
from pipeline.risks import country_premium
from pipeline.rules import with_settings
from pipeline.tabulate import Tally, results_frame
from pipeline.validate import validate


def gates(result):
    return {(w.workload, n): g.status for w in result.workloads for n, g in w.gates.items()}


# ---------------------------------------------------------------- deal risks


@pytest.mark.parametrize("column, value, effect", [
    ("permitting_status", "by_right", None), ("permitting_status", "permitted", None),
    ("permitting_status", "pending", "flag"), ("permitting_status", "contested", "holds"),
    ("permitting_status", "moratorium", "holds"),
    ("community_opposition", "none", None), ("community_opposition", "some", "flag"),
    ("community_opposition", "organised", "holds"),
    ("water_stress", "low", None), ("water_stress", "low_medium", None),
    ("water_stress", "medium_high", None), ("water_stress", "high", "flag"),
    ("water_stress", "extreme", "flag"),
])
def test_each_risk_value_and_what_it_does(rules, column, value, effect):
    clean = classify_site(site(), rules)
    result = classify_site(site(**{column: value, "water_source": "River"}), rules)
    assert gates(result) == gates(clean)  # a deal risk never changes a gate
    assert result.bucket == "Hybrid"
    assert [r.effect for r in result.deal_risks.risks] == ([effect] if effect else [])
    assert result.readiness == ("not yet" if effect == "holds" else "ready")
    if effect == "holds":
        (hold,) = result.held_back
        assert hold.text == result.deal_risks.risks[0].text and "not yet ready" in hold.text
        # what would flip it lifts the risk, and the changed site is ready
        flip = what_would_flip(result, Classifier(rules))
        resolved = {"permitting_status": "permitted", "community_opposition": "none"}[column]
        assert flip.text == f"Ready with: {column} {value} → {resolved}."
        assert classify_site({**result.values, column: resolved}, rules).readiness == "ready"


def test_contested_permit_and_organised_opposition_name_both_reasons(rules):
    result = classify_site(site(permitting_status="contested",
                                community_opposition="organised"), rules)
    assert result.readiness == "not yet"
    assert [h.text for h in result.held_back] == ["Permit contested. The site is not yet ready "
                                                 "until it is resolved.",
                                                 "Organised local opposition. The site is not "
                                                 "yet ready until it is resolved."]


def test_sanctioned_country_makes_a_site_neither_with_the_reason(rules):
    clean = classify_site(site(), rules)
    for spelling in ("Iran", "IR", "irn", "Islamic Republic of Iran"):
        result = classify_site(site(country=spelling, mining_load_mw=5.0), rules)
        assert gates(result) == gates(clean)
        assert (result.bucket, result.readiness) == ("Neither", "not yet")
        assert result.mullet_note is None
        (hold,) = result.held_back
        assert hold.topic == "country" and "Iran is under US sanctions" in hold.text
        assert "31 CFR 560" in hold.text and "as of 2025-11" in hold.text
        flip = what_would_flip(result, Classifier(rules))
        assert flip.text.startswith("No change to the site makes it eligible: Iran")
        assert flip.changes == ()  # the reason is the lead, never a change to make


def test_export_licence_country_is_a_risk_not_a_hold(rules):
    result = classify_site(site(country="Kazakhstan"), rules)
    assert (result.bucket, result.readiness) == ("Hybrid", "ready")
    (risk,) = result.deal_risks.risks
    assert risk.effect == "flag" and "742.6" in risk.text
    held = with_settings(rules, ['deal_risks.holding_country_levels=["license_required"]'])
    assert classify_site(site(country="KZ"), held).readiness == "not yet"


def test_a_tariff_raised_on_data_centers_holds_readiness_with_its_source(rules):
    result = classify_site(site(country="Paraguay"), rules)
    assert (result.bucket, result.readiness) == ("Hybrid", "not yet")
    (risk,) = result.deal_risks.holding
    assert risk.effect == "holds" and "ANDE" in risk.text and "2024-07" in risk.text
    assert "tariff_unstable" not in risk.text


def test_unlisted_country_has_no_country_risk(rules):
    assert classify_site(site(country="Norway"), rules).deal_risks.risks == ()


def test_blank_risk_columns_are_data_requests_and_do_not_hold(rules):
    result = classify_site(site(permitting_status=None, community_opposition=None,
                                water_stress=None, country=None), rules)
    assert result.readiness == "ready" and result.deal_risks.risks == ()
    assert {c: g for c, g in result.data_gaps.items()} == {
        "permitting_status": ("deal risks",), "community_opposition": ("deal risks",),
        "water_stress": ("deal risks",), "country": ("deal risks",)}


def test_high_water_stress_asks_for_the_water_source(rules):
    assert classify_site(site(water_stress="extreme"), rules).data_gaps == {
        "water_source": ("deal risks",)}
    with_source = classify_site(site(water_stress="extreme", water_source="Seawater"), rules)
    assert with_source.data_gaps == {}
    assert "water from Seawater" in with_source.deal_risks.risks[0].text


def test_risk_rules_are_checked_and_the_country_table_can_be_replaced(rules, tmp_path):
    with pytest.raises(RulesError, match="'contestd' is not a permitting_status value"):
        with_settings(rules, ['deal_risks.holding_permitting=["contestd"]'])
    table = tmp_path / "mine.csv"
    table.write_text("country,iso2,iso3,aliases,level,basis,source,as_of\n"
                     "Norway,NO,NOR,,sanctioned,test basis,test source,2026-01\n")
    mine = with_settings(rules, [f'deal_risks.country_table="{table}"'])
    assert classify_site(site(country="Norway"), mine).bucket == "Neither"
    missing = with_settings(rules, [f'deal_risks.country_table="{tmp_path / "none.csv"}"'])
    with pytest.raises(RulesError, match="deal_risks.country_table"):
        classify_site(site(), missing)


def test_the_country_premium_table_is_read_and_checked(tmp_path):
    found = country_premium("kz", "country_premiums.csv")
    # Damodaran, January 2024: Kazakhstan, Moody's Baa2, spread 2.07 %, premium 2.78 %
    assert (found.country, found.rating, found.spread, found.premium) == \
        ("Kazakhstan", "Baa2", 0.0207, 0.0278)
    assert country_premium("Russian", "country_premiums.csv") is None
    assert country_premium("Russia", "country_premiums.csv").rating.startswith("PRS")
    bad = tmp_path / "premiums.csv"
    bad.write_text("country,iso2,iso3,rating,default_spread_pct,country_risk_premium_pct,"
                   "source,as_of\nNorway,NO,NOR,Aaa,0,lots,test,2026-01\n")
    with pytest.raises(RulesError, match=r"line 2: premium and spread must be numbers"):
        country_premium("Norway", str(bad))


# ---------------------------------------------------------------- time to power


def test_blank_energized_mw_means_all_energized(rules):
    power = classify_site(site(), rules).power_timeline
    assert (power.energized_mw, power.pending_mw, power.months_to_power) == (30.0, 0.0, 0.0)
    assert power.text == "All 30 MW energized now."


def test_energized_mw_above_the_bar_keeps_the_site_ready_and_shows_the_rest(rules):
    result = classify_site(site(power_capacity_mw=300.0, energized_mw=60.0,
                                interconnection_status="approved", time_to_power_months=20.0),
                           rules)
    assert (result.bucket, result.readiness) == ("Hybrid", "ready")
    power = result.power_timeline
    assert (power.energized_mw, power.pending_mw, power.months_to_power) == (60.0, 240.0, 20.0)
    assert power.text == ("60 MW energized now; 240 MW more in 20 months (interconnection "
                          "approved).")


def test_readiness_reads_energized_mw(rules):
    result = classify_site(site(energized_mw=3.0, interconnection_status="in_study"), rules)
    assert gates(result) == gates(classify_site(site(), rules))  # the gates judge capacity
    assert (result.bucket, result.readiness) == ("Hybrid", "not yet")
    (hold,) = result.held_back
    assert hold.topic == "time to power"
    assert hold.text == ("Power: 3 of 30 MW energized today, short of the training power bar; "
                         "27 MW more in about 30 months (estimated for interconnection in "
                         "study).")
    assert result.power_timeline.months_to_power == 30.0
    assert result.data_gaps == {"time_to_power_months": ("time to power",)}
    assert what_would_flip(result, Classifier(rules)).text == "Ready with: energized_mw 3 MW → 30 MW."
    assert classify_site(site(energized_mw=30.0), rules).readiness == "ready"


def test_unknown_energized_mw_is_judged_at_its_least_and_asked_for(rules):
    result = classify_site(site(interconnection_status="applied"), rules)
    power = result.power_timeline
    assert power.energized_mw is None and power.pending_mw is None
    assert power.months_to_power == 42.0 and power.months_estimated
    assert result.readiness == "not yet"
    assert set(result.data_gaps) == {"energized_mw", "time_to_power_months"}


def test_no_interconnection_request_leaves_the_date_unknown(rules):
    power = classify_site(site(energized_mw=10.0, interconnection_status="none"),
                          rules).power_timeline
    assert power.months_to_power is None
    assert power.text == ("10 MW energized now; 20 MW more, date not known (no interconnection "
                          "request yet).")
    given = classify_site(site(energized_mw=10.0, interconnection_status="none",
                               time_to_power_months=9.0), rules).power_timeline
    assert (given.months_to_power, given.months_estimated) == (9.0, False)


@pytest.mark.parametrize("grid, capacity, expansion, applies", [
    ("ERCOT", 75.0, None, True), ("ercot", 60.0, 20.0, True), ("ERCOT", 60.0, None, False),
    ("SPP", 300.0, None, False), (None, 300.0, None, False)])
def test_texas_sb6_names_what_it_asks(rules, grid, capacity, expansion, applies):
    result = classify_site(site(region="TX", grid_operator=grid, power_capacity_mw=capacity,
                                power_expansion_mw=expansion), rules)
    regimes = result.power_timeline.regimes
    assert bool(regimes) == applies
    if applies:
        (regime,) = regimes
        assert regime.name == "Texas SB6 (2025)" and "75 MW or more" in regime.text
        assert f"this site is on {grid}" in regime.text
        for ask in ("backup generation", "grid emergencies", "interconnection standards"):
            assert ask in regime.text


def test_large_load_regimes_come_from_the_rules(rules):
    raised = with_settings(rules, ["time_to_power.large_load_regimes.texas_sb6.min_mw=500"])
    assert classify_site(site(grid_operator="ERCOT", power_capacity_mw=100.0), raised) \
        .power_timeline.regimes == ()
    moved = with_settings(rules, ['time_to_power.large_load_regimes.texas_sb6.grid_operators='
                                  '["SPP"]'])
    assert classify_site(site(grid_operator="SPP", power_capacity_mw=100.0), moved) \
        .power_timeline.regimes[0].name == "Texas SB6 (2025)"


@pytest.mark.parametrize("old", ["countries", "regions"])
def test_a_regime_keyed_the_old_way_is_refused_naming_the_key(rules, old):
    with pytest.raises(RulesError, match=rf"texas_sb6\.{old}: .*grid_operators"):
        with_settings(rules, [f'time_to_power.large_load_regimes.texas_sb6.{old}=["TX"]'])


# ---------------------------------------------------------------- scale


@pytest.mark.parametrize("capacity, expansion, label", [
    (800.0, None, "campus"), (168.0, None, "campus"), (167.0, None, "mid-size"),
    (26.0, None, "mid-size"), (25.0, None, "enterprise"), (5.0, None, "enterprise")])
def test_scale_against_todays_market(rules, capacity, expansion, label):
    power = classify_site(site(power_capacity_mw=capacity), rules).power_timeline
    assert power.scale == label


def test_scale_names_an_expansion_that_reaches_campus_scale_and_reads_the_rules(rules):
    power = classify_site(site(power_capacity_mw=120.0, power_expansion_mw=80.0),
                          rules).power_timeline
    assert power.scale_text == ("Scale: 120 MW, mid-size, below today's training deals (168 MW "
                                "and more a site); 200 MW with its expansion reaches it.")
    lower = with_settings(rules, ["scale.training_campus_min_mw=100"])
    assert classify_site(site(power_capacity_mw=120.0), lower).power_timeline.scale == "campus"


# ---------------------------------------------------------------- the contract and outputs


def test_new_columns_parse_forgivingly_and_energized_cannot_exceed_capacity(tmp_path):
    header = [*HEADER, "Energized now (kW)", "Interconnection", "Time to power", "Permits",
              "Local opposition", "Water stress"]
    path = write_csv(tmp_path / "in.csv", [
        header, [*ROW, "12,000", "In study", "2 years", "Granted", "Organized", "Extremely high"],
        ["B-1", "Beta", 10, 0.04, "air", "yes", "yes", "12000", "", "", "", "", ""]])
    checked = validate(load(path))
    row = checked.sites.iloc[0]
    assert (row.energized_mw, row.interconnection_status, row.time_to_power_months) == \
        (12.0, "in_study", pytest.approx(24.0))
    assert (row.permitting_status, row.community_opposition, row.water_stress) == \
        ("permitted", "organised", "extreme")
    (problem,) = checked.problems
    assert (problem.row, problem.column) == (3, "energized_mw")
    assert problem.problem.startswith("more than power_capacity_mw (10 MW)")


def test_risks_and_time_to_power_reach_every_output(tmp_path):
    header = [*HEADER, "country", "energized_mw", "interconnection_status",
              "permitting_status", "community_opposition", "water_stress"]
    path = write_csv(tmp_path / "in.csv", [
        header,
        ["P-1", "Held", 30, 0.04, "direct_to_chip", "yes", "yes", "US", 3, "approved",
         "contested", "organised", "high"],
        ["P-2", "Barred", 30, 0.04, "air", "yes", "yes", "Cuba", "", "", "", "", ""]])
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["evaluate", str(path), "--out", str(out), "--jobs", "1"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    rows = {r["site_id"]: r for r in read_csv(out / "results.csv")}
    held, barred = rows["P-1"], rows["P-2"]
    assert "Permit contested" in held["held_back_by"] and "Power: 3 of 30 MW" in \
        held["held_back_by"]
    assert (held["power_now_mw"], held["power_pending_mw"], held["months_to_power"]) == \
        ("3.0", "27.0", "18.0")
    assert held["market_scale"] == "mid-size"
    assert "High baseline water stress" in held["deal_risks"]
    assert barred["bucket"] == "Neither" and "Cuba is under US sanctions" in barred["held_back_by"]
    card = load_workbook(out / "scorecard.xlsx")["Scorecard"]
    header_row = [c.value for c in card[1]]
    for column in ("held_back_by", "deal_risks", "power_timeline", "months_to_power",
                   "market_scale", "large_load_regime"):
        assert label(column) in header_row

    def text(name):
        words = " ".join(" ".join(p.extract_text() for p in PdfReader(out / name).pages).split())
        return re.sub(r"(\w[-/]) (\w)", r"\1\2", words)

    report = text("reports/P-1.pdf")
    assert "Time to power and scale" in report and "Deal risks" in report
    assert "Organised local opposition" in report and "27 MW more in about 18 months" in report
    portfolio = text("portfolio.pdf")
    assert "Deal risks and time to power" in portfolio and "Country: sanctioned 1" in portfolio


def test_the_portfolio_counts_each_risk(rules):
    totals = Tally()
    totals.add([classify_site(site(site_id=str(i), **changes), rules) for i, changes in
                enumerate([{"permitting_status": "contested"}, {"permitting_status": "contested"},
                           {"country": "Cuba"}, {"energized_mw": 10.0}, {}])])
    assert totals.deal_risks() == [("permitting: contested", 2), ("country: sanctioned", 1),
                                   ("power not yet all energized", 1)]
    assert totals.blockers["permitting"] == 2 and totals.blockers["time to power"] == 1
    frame = results_frame([classify_site(site(energized_mw=10.0, row=2), rules)], [])
    assert frame.loc[0, "power_pending_mw"] == 20.0
