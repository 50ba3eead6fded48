"""Indicative economics: each formula against hand-worked arithmetic, the public conversions
of tests/conversions.csv reproduced, monotone in the assumptions, the Monte Carlo seeded."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import read_csv, site
from pipeline import economics
from pipeline.classify import classify_site
from pipeline.economics import BASE, HIGH, LOW
from pipeline.rules import default_rules, with_settings

HERE = Path(__file__).resolve().parent
CONVERSIONS = HERE / "conversions.csv"
DOC = HERE.parent / "docs" / "economics.md"
FAR = dict(metro_distance_miles=400.0, metro_rtt_ms=None)  # inference fails: a Training site
# 50 MW at 0.04 USD/kWh, 10 MW of mining, direct-to-chip at 60 kW a rack.
SITE = dict(power_capacity_mw=50.0, mining_load_mw=10.0, power_cost_usd_per_kwh=0.04,
            cooling_type="direct_to_chip", rack_density_kw=60.0, liquid_cooling_path=None)


def one(rules, **values):
    """The economics row of one classified site."""
    result = classify_site(site(**values), rules)
    chunk = economics.evaluate([result], rules)
    return chunk.rows.iloc[0], chunk


def arrays(rules, workload, **values):
    result = classify_site(site(**values), rules)
    sites = economics.Sites.of([economics.plan(result, workload, rules)], rules)
    return sites, economics.Model(rules, economics._horizon(sites, rules))


def test_capacity_by_hand(rules):
    row, _ = one(rules, **SITE, **FAR)
    # 50 - 10 x 0.2 kept = 48 MW; / PUE 1.25 (liquid design) x (1 - 0.125) = 33.6 MW
    assert row.econ_workload == "training" and row.econ_cooling_design == "liquid"
    assert row.econ_it_mw == pytest.approx(33.6) and row.econ_it_mw_full == pytest.approx(33.6)
    assert row.econ_binding_constraint == "liquid-cooling design PUE"  # 9.6 MW vs 4.8 and 2
    # inference builds air halls: 48 / 1.4 x (1 - 0.25) = 25.71 MW
    sites, _ = arrays(rules, "inference", **SITE)
    assert sites.it_now[0] == pytest.approx(48 / 1.4 * 0.75)


def test_rack_density_prices_the_retrofit_but_never_shrinks_the_mw(rules):
    dense, _ = one(rules, **SITE, **FAR)
    sparse, _ = one(rules, **{**SITE, "cooling_type": "air", "rack_density_kw": 10.0,
                              "liquid_cooling_path": "planned"}, **FAR)
    assert sparse.econ_it_mw == dense.econ_it_mw == pytest.approx(33.6)
    # cooling passes: 33.6 MW x 9.5 x (1 - 0.2 cooling share); short: the whole 9.5
    assert dense.econ_capex_musd == pytest.approx(33.6 * 9.5 * 0.8)
    assert sparse.econ_capex_musd == pytest.approx(33.6 * 9.5)
    assert sparse.econ_cost_to_ready_musd == pytest.approx(33.6 * 9.5 * 0.2)
    assert "cooling: liquid-cooling retrofit 63.84 M USD (in the build capex)" in \
        sparse.econ_cost_to_ready_lines


def test_expansion_is_a_later_phase_that_pays_for_its_power(rules):
    row, chunk = one(rules, **SITE, power_expansion_mw=40.0, **FAR)
    # 40 MW / 1.25 x 0.875 = 28 MW more IT, from month max(18 build, 36 to power) = 36
    assert row.econ_it_mw == pytest.approx(33.6)
    assert row.econ_it_mw_full == pytest.approx(61.6)
    assert row.econ_capex_musd == pytest.approx(33.6 * 9.5 * 0.8 + 28 * (9.5 + 2.2))
    assert row.econ_binding_constraint == "power not yet energized"
    assert "Later phase: 40 MW not yet energized -> 28 MW IT from month 36" in row.econ_basis
    # every phase's capex is spent at the decision; the expansion's rent starts at month 36
    sites, model = arrays(rules, "training", **SITE, power_expansion_mw=40.0, **FAR)
    flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
    rent = 1000 * 150 * 0.85 / 1e6 / 12  # M USD a month per MW of IT, first ramp month
    assert flows[0, 36] - flows[0, 35] == pytest.approx(28 * rent, rel=1e-6)


def test_power_not_energized_waits_for_it(rules):
    row, _ = one(rules, **SITE, energized_mw=20.0, time_to_power_months=30.0, **FAR)
    # 20 - 2 kept = 18 MW now -> 12.6 MW; the other 30 MW from month 30 -> 21 MW
    assert row.econ_it_mw == pytest.approx(12.6)
    assert row.econ_it_mw_full == pytest.approx(33.6)
    sites, _ = arrays(rules, "training", **SITE, energized_mw=20.0, time_to_power_months=30.0)
    assert sites.start_later[0, BASE] == 30 and sites.start_now[0, BASE] == 18


# ------------------------------------------------------------------ time to power
# The economics reads the power timeline readiness reads: the MW energized today and the
# months until the rest, from the site, else its interconnection status, else the default.
IN_STUDY = dict(interconnection_status="in_study", energized_mw=None)


def estimate(rules, status: str) -> float:
    return float(rules["time_to_power"]["estimated_months_by_status"][status])


def test_in_study_and_energized_mw_blank_earns_nothing_until_the_estimated_power(rules):
    months = estimate(rules, "in_study")
    result = classify_site(site(**SITE, **IN_STUDY, **FAR), rules)
    assert result.readiness == "not yet"  # readiness: no MW known to be energized today
    row, _ = one(rules, **SITE, **IN_STUDY, **FAR)
    # nothing energized now, so no mining kept either: 50 MW / 1.25 x 0.875 = 35 MW, later
    assert row.econ_it_mw == 0.0
    assert row.econ_it_mw_full == pytest.approx(35.0)
    assert row.econ_mining_margin_forgone_musd_per_year == 0.0
    assert row.econ_months_to_revenue == months  # 30, past the 18-month build
    assert f"power in about {months:g} months, estimated for interconnection in study" in \
        row.econ_basis
    assert "energized_mw not given" in row.econ_basis
    sites, model = arrays(rules, "training", **SITE, **IN_STUDY, **FAR)
    assert sites.start_later[0].tolist() == [months] * 3  # low, base and high alike
    flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
    assert flows[0, 1:int(months)] == pytest.approx(0.0)  # no rent before the power
    assert flows[0, int(months)] > 0
    # the estimate is the rules', not the code's
    later = with_settings(rules, ["time_to_power.estimated_months_by_status.in_study=40"])
    assert one(later, **SITE, **IN_STUDY, **FAR)[0].econ_months_to_revenue == 40


def test_given_months_to_power_win_over_the_status_estimate(rules):
    row, _ = one(rules, **SITE, **IN_STUDY, time_to_power_months=24.0, **FAR)
    assert row.econ_it_mw == 0.0 and row.econ_it_mw_full == pytest.approx(35.0)
    assert row.econ_months_to_revenue == 24
    assert "power in 24 months, as the site gives" in row.econ_basis
    sites, _ = arrays(rules, "training", **SITE, **IN_STUDY, time_to_power_months=24.0)
    assert sites.start_later[0].tolist() == [24.0] * 3


@pytest.mark.parametrize("status", [None, "none"])
def test_no_months_and_no_estimate_take_the_economics_default(rules, status):
    low, base, high = rules["economics"]["time_to_power_months"]
    values = dict(**SITE, energized_mw=20.0, interconnection_status=status)
    assert classify_site(site(**values), rules).power_timeline.months_to_power is None
    row, _ = one(rules, **values, **FAR)
    # 20 - 2 kept = 18 MW now -> 12.6 MW; the other 30 MW after the default wait -> 21 MW
    assert row.econ_it_mw == pytest.approx(12.6)
    assert row.econ_it_mw_full == pytest.approx(33.6)
    assert f"from month {base:g} (power in {base:g} months ({low:g}-{high:g}), the default" \
        in row.econ_basis
    sites, _ = arrays(rules, "training", **values)
    build = rules["economics"]["build_months"]
    assert sites.start_later[0].tolist() == [max(b, m) for b, m in zip(build, (low, base, high))]
    moved = with_settings(rules, ["economics.time_to_power_months=[30.0, 40.0, 50.0]"])
    assert "power in 40 months (30-50), the default" in one(moved, **values, **FAR)[0].econ_basis


def test_blank_energized_mw_means_all_energized_when_the_status_says_so(rules):
    for status in (None, "energized"):
        row, _ = one(rules, **SITE, energized_mw=None, interconnection_status=status, **FAR)
        assert row.econ_it_mw == row.econ_it_mw_full == pytest.approx(33.6)
        assert row.econ_months_to_revenue == rules["economics"]["build_months"][BASE]


def test_the_economics_and_the_power_timeline_agree_on_every_sample_site(rules):
    from conftest import sample_results
    results = sample_results(rules)
    default = tuple(rules["economics"]["time_to_power_months"])
    seen = set()
    for result in results:
        power = result.power_timeline
        for workload in ("training", "inference"):
            p = economics.plan(result, workload, rules)
            assert p.energized_mw == power.energized_floor, result.site_id
            pending = power.capacity_mw - power.energized_floor
            assert p.later_mw == pytest.approx(
                pending + (result.values.get("power_expansion_mw") or 0.0)), result.site_id
            if pending and power.months_to_power is not None:  # the timeline has a date
                assert p.time_to_power == (float(round(power.months_to_power)),) * 3, \
                    result.site_id
                seen.add("estimated" if power.months_estimated else "given")
            elif pending:  # the timeline has none: the economics' default
                assert p.time_to_power == default, result.site_id
                seen.add("unknown")
    assert seen == {"estimated", "given", "unknown"}  # the sample has each case
    # and in the outputs: a site with no critical IT now earns from its power's arrival
    rows = economics.evaluate(results, rules).rows.set_index("site_id")
    build = rules["economics"]["build_months"][BASE]
    waiting = [r for r in results if r.site_id in rows.index and r.power_timeline.months_to_power
               and rows.loc[r.site_id, "econ_it_mw"] == 0]
    assert waiting  # ND-03 (status applied, energized_mw blank) among them
    for result in waiting:
        assert rows.loc[result.site_id, "econ_months_to_revenue"] == max(
            build, round(result.power_timeline.months_to_power)), result.site_id


def test_cost_to_ready_prices_each_gate_short_of_pass(rules):
    # 0.08 USD/kWh rules training out: Inference sites, short of a feed or of generators
    inference = {**SITE, "power_cost_usd_per_kwh": 0.08}
    row, _ = one(rules, **inference, power_redundancy=None, utility_feeds=2.0,
                 backup_generation=False, fiber_carriers=1.0, sla_track_record=False)
    assert row.econ_workload == "inference"
    lines = row.econ_cost_to_ready_lines
    for text in ("power: generators for 48 MW 38.4 M USD",  # the power the AI load takes
                 "networking: fiber build and a second carrier 2 M USD",
                 "operations: SLA track record (not priced)"):
        assert text in lines, lines
    assert "feed" not in lines
    assert row.econ_cost_to_ready_musd == pytest.approx(48 * 0.8 + 2)
    assert row.econ_capex_musd == pytest.approx(48 / 1.4 * 0.75 * 8.5 * 0.8 + 38.4 + 2, abs=0.01)
    feed, _ = one(rules, **inference, power_redundancy="N", backup_generation=True)
    assert feed.econ_cost_to_ready_lines == "power: second utility feed 5 M USD"
    assert feed.econ_cost_to_ready_musd == pytest.approx(5.0)
    # a training site without 24x7 staff pays for a team every year from the decision
    staffless, _ = one(rules, **SITE, staffing_24x7=False, dc_ops_staff=2.0, **FAR)
    assert "operations: 24x7 operations team 2.5 M USD a year" in \
        staffless.econ_cost_to_ready_lines
    assert staffless.econ_ready_opex_musd_per_year == pytest.approx(2.5)
    staffed, _ = one(rules, **SITE, **FAR)
    assert staffless.econ_net_musd_per_year == pytest.approx(
        staffed.econ_net_musd_per_year - 2.5, abs=0.02)


def test_cash_flows_by_hand():
    # One-year lease, no ramp, no escalator, no discounting, mining unprofitable: the flows
    # are the capex at month 0 and 85 % of the rent from month 18 for 12 months.
    rules = with_settings(default_rules(), [
        "economics.lease_term_years=1.0", "economics.ramp_months=1.0",
        "economics.lease_escalator=0.0", "economics.discount_rate=[0.0, 0.0, 0.0]"])
    sites, model = arrays(rules, "training", **{**SITE, "power_cost_usd_per_kwh": 0.2}, **FAR)
    flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
    rent = 33.6 * 1000 * 150 / 1e6  # M USD a month
    assert flows[0, 0] == pytest.approx(-33.6 * 9.5 * 0.8)
    assert flows[0, 1:18] == pytest.approx(0.0)
    assert flows[0, 18:30] == pytest.approx(0.85 * rent)
    assert flows[0, 30:] == pytest.approx(0.0)
    years = economics._yearly(flows)
    assert years[0, :3] == pytest.approx([-255.36, 0.85 * rent * 6, 0.85 * rent * 6])


def test_ramp_and_escalator_by_hand(rules):
    sites, model = arrays(rules, "training", **{**SITE, "power_cost_usd_per_kwh": 0.2}, **FAR)
    flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
    rent = 33.6 * 1000 * 150 / 1e6 * 0.85
    assert flows[0, 18] == pytest.approx(rent / 12)  # month 1 of a 12-month ramp
    assert flows[0, 18 + 11] == pytest.approx(rent)
    assert flows[0, 18 + 12] == pytest.approx(rent * 1.03)  # second lease year
    assert flows[0, 18 + 12 * 12 - 1] == pytest.approx(rent * 1.03 ** 11)
    assert flows[0, 18 + 12 * 12] == 0.0  # the 12-year lease is over


def test_mining_margin_by_hand(rules):
    sites, model = arrays(rules, "training", **SITE, **FAR)
    # 2026-11 to a 2027-01 decision: 2 months of 20 % a year network growth
    month0 = 39.5 * 1.2 ** (-2 / 12) * 50 / 24  # USD per MWh of mining revenue
    assert model.mining_usd_per_mwh[0] == pytest.approx(month0)
    halving = 15  # 2027-01 to 2028-04
    assert model.mining_usd_per_mwh[halving] == pytest.approx(
        39.5 * 1.2 ** (-(halving + 2) / 12) * 50 / 24 * 0.5)
    flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
    margin = (month0 - 40) * 730 * 48 / 1e6  # 48 MW, 730 hours a month, power 40 USD/MWh
    assert flows[0, 0] == pytest.approx(-33.6 * 9.5 * 0.8 - margin)
    assert flows[0, 1] < 0 and flows[0, halving] == 0.0  # after the halving mining loses
    row, _ = one(rules, **SITE, **FAR)
    first_year = sum(max(0.0, r - 40) for r in model.mining_usd_per_mwh[:12]) * 730 * 48 / 1e6
    assert row.econ_mining_margin_forgone_musd_per_year == pytest.approx(first_year, abs=0.01)


def test_closed_form_npv_equals_the_discounted_monthly_flows(rules):
    for values in (SITE, {**SITE, "power_expansion_mw": 25.0, "power_cost_usd_per_kwh": 0.02},
                   {**SITE, "staffing_24x7": False, "energized_mw": 5.0}):
        for workload in ("training", "inference"):
            sites, model = arrays(rules, workload, **values)
            flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
            assert economics.npv(sites, model)[0, 0] == pytest.approx(
                flows[0] @ model.discount[:model.horizon])


def test_irr_and_payback_by_hand():
    years = np.array([[-100.0, 110.0, 0.0], [-100.0, 0.0, 121.0], [-100.0, 10.0, 10.0]])
    irr = economics._irr(years)
    assert irr[:2] == pytest.approx([0.10, 0.10], abs=1e-6)
    # -100 + 10 y + 10 y^2 = 0 with y = 1 / (1 + r): y = (-1 + sqrt(41)) / 2
    assert irr[2] == pytest.approx(2 / (41 ** 0.5 - 1) - 1, abs=1e-6)
    months = np.zeros((2, 30))
    months[:, 0] = -12.0
    months[0, :] += 1.0  # earned back by the end of month 12 (index 11): 1.0 year
    assert economics._payback(months) == [1.0, None]


def test_npv_figures_by_hand():
    # No discounting and no mining margin: NPV is the sum of rent less capex.
    rules = with_settings(default_rules(), ["economics.discount_rate=[0.0, 0.0, 0.0]",
                                            "economics.hashprice_usd_per_ph_day=[1.0, 1.0, 1.0]"])
    row, chunk = one(rules, **SITE, **FAR)
    rent = 33.6 * 1000 * 150 * 12 / 1e6 * 0.85
    ramp_loss = rent * sum(1 - (m + 1) / 12 for m in range(12)) / 12
    total = rent * sum(1.03 ** y for y in range(12)) - ramp_loss - 33.6 * 9.5 * 0.8
    assert row.econ_npv_musd == pytest.approx(total, abs=0.01)
    assert sum(chunk.pages[row.site_id]["years"]) == pytest.approx(total, abs=0.1)


def test_low_base_high_and_the_tornado(rules):
    row, chunk = one(rules, **SITE, **FAR)
    assert row.econ_npv_low_musd < row.econ_npv_musd < row.econ_npv_high_musd
    assert row.econ_npv_p10_musd < row.econ_npv_p50_musd < row.econ_npv_p90_musd
    assert row.econ_payback_best_years < row.econ_payback_years < row.econ_payback_worst_years
    tornado = chunk.pages[row.site_id]["tornado"]
    assert [t[0] for t in tornado][:1] == ["lease rate"]
    swings = [abs(hi - lo) for _, lo, hi in tornado]
    assert swings == sorted(swings, reverse=True)
    assert {t[0] for t in tornado} == {"lease rate", "capex", "months to revenue", "hashprice",
                                       "NOI margin", "discount rate"}
    assert row.econ_npv_driver.startswith("lease rate (")


def test_hybrid_takes_the_higher_npv_and_neither_gets_none(rules):
    result = classify_site(site(**SITE), rules)
    assert result.bucket == "Hybrid"
    chunk = economics.evaluate([result], rules)
    npvs = {}
    for workload in ("training", "inference"):
        sites, model = arrays(rules, workload, **SITE)
        npvs[workload] = economics.npv(sites, model)[0, 0]
    assert chunk.rows.iloc[0].econ_workload == max(npvs, key=npvs.get)
    neither = classify_site(site(power_capacity_mw=2.0, **FAR), rules)
    assert neither.bucket == "Neither" and economics.evaluate([neither], rules).rows.empty


# ------------------------------------------------------------------ public conversions


def conversions() -> list[dict]:
    with CONVERSIONS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def model_it(row: dict, rules) -> tuple[float, float]:
    """(critical IT, capex per IT MW) the model gives a mining site of the deal's gross power:
    fully converted (no mining kept), air-cooled halls with a liquid path planned."""
    result = classify_site(site(power_capacity_mw=float(row["gross_mw"]), mining_load_mw=0.0,
                                cooling_type="air", rack_density_kw=10.0,
                                liquid_cooling_path="planned", **FAR), rules)
    money = economics.evaluate([result], rules).rows.iloc[0]
    assert money.econ_workload == row["workload"]
    return money.econ_it_mw_full, money.econ_capex_per_it_mw_musd


def calibration_table(rules) -> str:
    """The calibration table of docs/economics.md, from tests/conversions.csv and the model."""
    lines = ["| conversion | gross MW | contracted IT MW | model IT MW | difference | implied "
             "USD/kW-month | model capex M USD/IT MW |", "|---|---:|---:|---:|---:|---:|---:|"]
    for row in conversions():
        if row["gross_mw"]:
            it, capex = model_it(row, rules)
            want = float(row["critical_it_mw"])
            cells = [row["gross_mw"], row["critical_it_mw"], f"{it:g}",
                     f"{(it - want) / want * 100:+.1f} %", row["implied_usd_per_kw_month"],
                     f"{capex:g}"]
        else:
            cells = ["", "", "", "", row["implied_usd_per_kw_month"], ""]
        lines.append(f"| {row['conversion']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


@pytest.mark.parametrize("row", [r for r in conversions() if r["gross_mw"]],
                         ids=lambda r: r["conversion"][:30])
def test_public_conversions_reproduced(row, rules):
    it, capex = model_it(row, rules)
    assert it == pytest.approx(float(row["critical_it_mw"]), rel=0.15)
    public_low, public_high = 8.0, 15.0  # miners' 8-11 to greenfield 9.3-15 M USD per MW
    assert public_low <= capex <= public_high


@pytest.mark.parametrize("row", conversions(), ids=lambda r: r["conversion"][:30])
def test_public_lease_rates_inside_the_rules_range(row, rules):
    low, _, high = rules["economics"]["lease_usd_per_kw_month"]
    implied = float(row["implied_usd_per_kw_month"])
    assert low <= implied <= high
    if row["contract_musd"]:  # contract / term / critical IT / 12 months, per kW
        worked = (float(row["contract_musd"]) * 1e6 / float(row["term_years"])
                  / (float(row["contract_it_mw"]) * 1000) / 12)
        assert round(worked) == implied
    assert row["source"]


def test_every_public_conversion_is_in_the_table():
    named = {r["conversion"].split(",")[0] for r in conversions()}
    assert named == {"Galaxy Digital", "Cipher Mining", "Hut 8", "Core Scientific",
                     "Applied Digital", "TeraWulf", "CBRE"}


def test_the_docs_calibration_table_is_the_models(rules):
    doc = DOC.read_text(encoding="utf-8")
    table = calibration_table(rules)
    assert table in doc, "docs/economics.md's calibration table is stale; it should read:\n" + \
        table


def assumptions_table() -> str:
    """The assumptions table of docs/economics.md, from rules.toml's values and about tables."""
    import tomllib

    from pipeline.rules import as_cell
    shipped = tomllib.loads((HERE.parent / "pipeline" / "rules.toml").read_text("utf-8"))
    lines = ["| assumption | default | unit | source | as of |", "|---|---|---|---|---|"]
    for key, value in shipped["economics"].items():
        about = shipped["about"][f"economics.{key}"]
        lines.append(f"| `{key}`: {about['means']} | {as_cell(value)} | {about['unit']} | "
                     f"{about['source']} | {about['as_of']} |")
    return "\n".join(lines)


def test_the_docs_list_every_assumption_with_its_source():
    table = assumptions_table()
    assert table in DOC.read_text(encoding="utf-8"), \
        "docs/economics.md's assumptions table is stale; it should read:\n" + table


# ------------------------------------------------------------------ properties

SITES = st.fixed_dictionaries({
    "power_capacity_mw": st.floats(1.0, 900.0), "mining_load_mw": st.floats(0.0, 50.0),
    "power_cost_usd_per_kwh": st.floats(0.01, 0.12),
    "power_expansion_mw": st.one_of(st.none(), st.floats(0.0, 300.0)),
    "staffing_24x7": st.booleans(), "cooling_type": st.sampled_from(["air", "direct_to_chip"]),
    "time_to_power_months": st.one_of(st.none(), st.floats(0.0, 80.0))})
WORKLOADS = st.sampled_from(["training", "inference"])


@settings(max_examples=60, deadline=None)
@given(values=SITES, workload=WORKLOADS, low=st.floats(0.2, 3.0), more=st.floats(0.0, 2.0),
       hashprice=st.floats(0.2, 3.0))
def test_npv_monotone_in_lease_capex_and_delay(values, workload, low, more, hashprice):
    rules = default_rules()
    sites, model = arrays(rules, workload, **values)
    at = dict(hashprice=hashprice)
    assert economics.npv(sites, model, lease=low + more, **at)[0, 0] >= \
        economics.npv(sites, model, lease=low, **at)[0, 0] - 1e-9
    quantile = min(low / 3, 1.0)
    assert economics.npv(sites, model, capex=min(1.0, quantile + more / 2), **at)[0, 0] <= \
        economics.npv(sites, model, capex=quantile, **at)[0, 0] + 1e-9
    assert economics.npv(sites, model, delay=(low + more) * 6, **at)[0, 0] <= \
        economics.npv(sites, model, delay=low * 6, **at)[0, 0] + 1e-9


@settings(max_examples=25, deadline=None)
@given(values=SITES, rate=st.floats(50.0, 300.0), extra=st.floats(1.0, 100.0),
       wait=st.floats(0.0, 60.0))
def test_npv_monotone_through_the_rules_and_the_inputs(values, rate, extra, wait):
    """A higher lease rate in the rules never lowers a site's NPV; more capex, a longer build
    or a longer wait for power never raise it."""
    def npv(settings_=(), **changes):
        rules = with_settings(default_rules(), list(settings_))
        result = classify_site(site(**{**values, **changes}, **FAR), rules)
        rows = economics.evaluate([result], rules).rows
        return rows.iloc[0].econ_npv_musd if len(rows) else None

    base = npv()
    if base is None:
        return
    assert npv([f"economics.lease_usd_per_kw_month=[{rate}, {rate + extra}, "
                f"{rate + 2 * extra}]"]) >= npv([f"economics.lease_usd_per_kw_month=[{rate}, "
                                                 f"{rate}, {rate + 2 * extra}]"])
    assert npv(["economics.capex_musd_per_it_mw_liquid=[8.0, 12.0, 14.0]",
                "economics.capex_musd_per_it_mw_air=[7.0, 11.0, 13.0]"]) <= base
    assert npv(["economics.build_months=[12.0, 24.0, 30.0]"]) <= base
    if values["power_expansion_mw"]:
        assert npv(time_to_power_months=100.0 + wait) <= npv(time_to_power_months=wait)


def test_monte_carlo_is_reproducible_with_its_seed_and_across_chunks(rules):
    results = [classify_site(site(**{**SITE, "power_capacity_mw": 20.0 + 7 * i},
                                  site_id=f"S-{i}"), rules) for i in range(6)]
    whole = economics.evaluate(results, rules)
    again = economics.evaluate(results, rules)
    halves = [economics.evaluate(results[:2], rules), economics.evaluate(results[2:], rules)]
    columns = ["econ_npv_p10_musd", "econ_npv_p50_musd", "econ_npv_p90_musd"]
    assert whole.rows[columns].equals(again.rows[columns])
    joined = np.concatenate([h.rows[columns].to_numpy() for h in halves])
    assert joined == pytest.approx(whole.rows[columns].to_numpy())
    assert sum(h.portfolio_draws for h in halves) == pytest.approx(whole.portfolio_draws)
    other = economics.evaluate(results, with_settings(rules, ["economics.monte_carlo_seed=15"]))
    assert not other.rows[columns].equals(whole.rows[columns])
    none = economics.evaluate(results, with_settings(rules, ["economics.monte_carlo_draws=0"]))
    assert none.rows[columns].isna().all().all()
    assert none.rows.econ_npv_musd.equals(whole.rows.econ_npv_musd)
    # and the P10-P90 band brackets the base NPV for these sites
    assert (whole.rows.econ_npv_p10_musd < whole.rows.econ_npv_musd).all()
    assert (whole.rows.econ_npv_musd < whole.rows.econ_npv_p90_musd).all()


def test_the_draws_stay_inside_the_rules_ranges(rules):
    d = economics.draws(rules)
    e = rules["economics"]
    assert len(d["lease"]) == e["monte_carlo_draws"]
    lease = np.array(e["lease_usd_per_kw_month"]) / e["lease_usd_per_kw_month"][BASE]
    assert lease[LOW] <= d["lease"].min() and d["lease"].max() <= lease[HIGH]
    assert e["noi_margin"][LOW] <= d["noi"].min() and d["noi"].max() <= e["noi_margin"][HIGH]
    assert np.median(d["noi"]) == pytest.approx(np.mean(e["noi_margin"]), abs=0.03)


def test_portfolio_totals(rules):
    results = [classify_site(site(**SITE, site_id=f"S-{i}"), rules) for i in range(3)]
    chunk = economics.evaluate(results, rules)
    totals = economics.Portfolio(rules)
    totals.add(chunk)
    summary = totals.summary()
    assert summary["sites"] == 3
    assert summary["capex_musd"] == pytest.approx(chunk.rows.econ_capex_musd.sum())
    assert summary["npv_musd"] == pytest.approx(chunk.rows.econ_npv_musd.sum())
    assert summary["npv_p10_musd"] < summary["npv_p50_musd"] < summary["npv_p90_musd"]


# ------------------------------------------------------------------ rules and outputs


def test_assumptions_come_from_the_rules(tmp_path):
    from pipeline.rules import RulesError, load_rules
    override = tmp_path / "r.toml"
    override.write_text("[economics]\nlease_usd_per_kw_month = [100.0, 200.0, 300.0]\n")
    rules = load_rules(override)
    row, _ = one(rules, **SITE, **FAR)
    assert row.econ_lease_musd_per_year == pytest.approx(33.6 * 200 * 12 / 1000)
    set_rules = with_settings(default_rules(), ["economics.pue_liquid=1.4"])
    assert one(set_rules, **SITE, **FAR)[0].econ_it_mw == pytest.approx(48 / 1.4 * 0.875,
                                                                          abs=0.01)
    override.write_text("[economics]\nlease_usd_per_kw_month = [300.0, 200.0]\n")
    with pytest.raises(RulesError, match=r"give \[low, base, high\]"):
        load_rules(override)
    with pytest.raises(RulesError, match="give a year and month"):
        with_settings(default_rules(), ["economics.halving_date=April"])
    with pytest.raises(RulesError, match="liquid or air"):
        with_settings(default_rules(), ["economics.design_cooling_inference=water"])
    later = with_settings(default_rules(), ["economics.halving_date=2030-04"])
    assert one(later, **SITE, **FAR)[0].econ_npv_musd < one(default_rules(), **SITE,
                                                              **FAR)[0].econ_npv_musd


@pytest.mark.slow
def test_economics_in_the_outputs(tmp_path):
    from click.testing import CliRunner
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from pipeline.cli import cli
    sample = HERE.parent / "input" / "sites.xlsx"
    result = CliRunner().invoke(cli, ["evaluate", str(sample), "--out", str(tmp_path),
                                      "--jobs", "2"], catch_exceptions=False)
    assert result.exit_code == 0
    rows = {r["site_id"]: r for r in read_csv(tmp_path / "results.csv")}
    for column in ("econ_it_mw", "econ_it_mw_full", "econ_capex_per_it_mw_musd",
                   "econ_cost_to_ready_musd", "econ_months_to_revenue", "econ_npv_musd",
                   "econ_npv_p10_musd", "econ_npv_p90_musd", "econ_irr_pct",
                   "econ_capex_musd", "econ_payback_years"):
        assert rows["ON-01"][column] != "", column
        assert rows["PY-01"][column] == "", column  # Neither: no economics
    from pipeline.labels import label
    book = load_workbook(tmp_path / "scorecard.xlsx", read_only=True)
    table = list(book["Economics"].values)
    header = [str(h) for h in table[0]]

    def at(row, name):
        return row[header.index(label(name))]

    ranked = [r for r in table[1:] if at(r, "site_id")]
    npvs = [at(r, "econ_npv_musd") for r in ranked]
    assert npvs == sorted(npvs, reverse=True)  # ranked by NPV
    assert len(npvs) == sum(r["bucket"] != "Neither" for r in rows.values())
    assumptions = {at(r, "assumption"): at(r, "assumption_value")
                   for r in table[1:] if at(r, "assumption")}
    assert assumptions["economics.lease_usd_per_kw_month"] == "120.0, 150.0, 185.0"
    cash = list(book["Cash flows"].values)
    head = list(cash[0])
    assert head[:8] == [label(c) for c in ("rank", "site_id", "site_name", "econ_workload",
                                           "econ_capex_musd", "econ_npv_musd", "econ_irr_pct",
                                           "year_1")]
    first = cash[1]
    year_labels = {label(f"year_{n}") for n in range(1, 61)}
    years = [first[i] for i, name in enumerate(head) if name in year_labels]
    assert years[0] < 0 and max(years) > 0
    assert first[head.index(label("site_id"))] == at(ranked[0], "site_id")
    assert label("assumption") in head

    def text(path):
        words = " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())
        return re.sub(r"(\w[-/]) (\w)", r"\1\2", words)

    site_text = text(tmp_path / "reports" / "ON-01.pdf")
    for words in ("Indicative economics", "NPV", "IRR", "Payback", "Cost to ready",
                  "What moves NPV most", "Cash by year"):
        assert words in site_text, words
    assert "Indicative economics" not in text(tmp_path / "reports" / "PY-01.pdf")
    portfolio = text(tmp_path / "portfolio.pdf")
    assert "Indicative economics: highest NPV" in portfolio
    assert re.search(r"total capex \$[\d,.]+M, total NPV -?\$[\d,.]+M \(P10", portfolio)
