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
from pipeline.contract import show_number
from pipeline.economics import BASE, HIGH, LOW
from pipeline.economics.plans import ENERGIZED, LATER
from pipeline.risks import premium_table
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
    return sites, economics.Model(rules, economics.horizon(sites, rules))


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


APPROVED = dict(energized_mw=50.0, interconnection_status="approved")


def test_expansion_is_a_later_phase_that_pays_for_its_power(rules):
    row, chunk = one(rules, **SITE, **APPROVED, power_expansion_mw=40.0,
                     time_to_power_months=36.0, **FAR)
    # 40 MW / 1.25 x 0.875 = 28 MW more IT, from month max(18 build, 36 to power) = 36;
    # approved, so committed
    assert row.econ_it_mw == pytest.approx(33.6)
    assert row.econ_it_mw_full == pytest.approx(61.6)
    assert row.econ_capex_musd == pytest.approx(33.6 * 9.5 * 0.8 + 28 * (9.5 + 2.2))
    assert row.econ_binding_constraint == "expansion not yet energized"  # all 50 MW energized
    assert "Later phase: 40 MW not yet energized -> 28 MW IT from month 36" in row.econ_basis
    assert row.econ_npv_option_musd is None and row.econ_option_it_mw == 0
    # each phase spends its capex over its own 18-month build, ending at its first rent
    sites, model = arrays(rules, "training", **SITE, **APPROVED, power_expansion_mw=40.0,
                          time_to_power_months=36.0, **FAR)
    flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
    later = 28 * (9.5 + 2.2)
    assert flows.capex[0, LATER, :18] == pytest.approx(0.0)
    assert flows.capex[0, LATER, 18:36] == pytest.approx(-later / 18)
    assert flows.capex[0, LATER, 36:] == pytest.approx(0.0)
    assert flows.capex[0, ENERGIZED, :18] == pytest.approx(-33.6 * 9.5 * 0.8 / 18)
    rent = 1000 * 128 * 0.85 / 1e6 / 12  # M USD a month per MW of IT, first ramp month
    assert flows.noi[0, LATER, 35] == 0 and flows.noi[0, LATER, 36] == pytest.approx(28 * rent)


def test_an_expansion_not_yet_approved_is_an_option(rules):
    """Galaxy's Helios as it stood: 800 MW approved and energized, 2,700 MW more under
    study. The expansion is an option the board decides later, not committed capex."""
    values = dict(power_capacity_mw=800.0, mining_load_mw=0.0, energized_mw=800.0,
                  interconnection_status="in_study", power_expansion_mw=2700.0,
                  cooling_type="air", rack_density_kw=10.0, liquid_cooling_path="planned",
                  **FAR)
    row, _ = one(rules, **values)
    assert row.econ_capex_musd == pytest.approx(560 * 9.5)  # the 800 MW alone
    assert row.econ_option_it_mw == pytest.approx(2700 / 1.25 * 0.875)
    assert row.econ_option_capex_musd == pytest.approx(1890 * (9.5 + 2.2))
    # the expansion's months are the timeline's estimate for in_study: built from 30 - 18
    assert row.econ_option_decide_month == estimate(rules, "in_study") - 18
    assert row.econ_npv_musd > 0 and row.econ_npv_option_musd > 0
    # valued at the odds that power in study is energized (30 %), not as if it were certain
    assert row.econ_option_odds_pct == 30
    assert row.econ_npv_option_musd == pytest.approx(0.3 * row.econ_npv_option_unrisked_musd,
                                                     abs=0.01)
    assert "an option (interconnection in study)" in row.econ_basis
    approved = one(rules, **{**values, "interconnection_status": "approved"})[0]
    assert approved.econ_capex_musd == pytest.approx(560 * 9.5 + 1890 * 11.7)
    assert approved.econ_npv_option_musd is None


def test_power_not_energized_waits_for_it(rules):
    row, _ = one(rules, **SITE, energized_mw=20.0, time_to_power_months=30.0, **FAR)
    # 20 - 2 kept = 18 MW now -> 12.6 MW; the other 30 MW from month 30 -> 21 MW
    assert row.econ_it_mw == pytest.approx(12.6)
    assert row.econ_it_mw_full == pytest.approx(33.6)
    sites, _ = arrays(rules, "training", **SITE, energized_mw=20.0, time_to_power_months=30.0)
    assert sites.start[0, LATER, BASE] == 30 and sites.start[0, ENERGIZED, BASE] == 18
    # no interconnection status: the 30 MW still to come are an option, not committed
    assert row.econ_capex_musd == pytest.approx(12.6 * 9.5 * 0.8)
    assert row.econ_option_it_mw == pytest.approx(21.0)


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
    assert sites.start[0, LATER].tolist() == [months] * 3  # low, base and high alike
    flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
    rent = flows.noi[0].sum(axis=0)
    assert rent[:int(months)] == pytest.approx(0.0)  # no rent before the power
    assert rent[int(months)] > 0
    # in study: all of it an option, nothing committed
    assert row.econ_capex_musd == 0 and row.econ_option_it_mw == pytest.approx(35.0)
    assert row.econ_npv_option_musd > 0
    # the estimate is the rules', not the code's
    later = with_settings(rules, ["time_to_power.estimated_months_by_status.in_study=40"])
    assert one(later, **SITE, **IN_STUDY, **FAR)[0].econ_months_to_revenue == 40


def test_given_months_to_power_win_over_the_status_estimate(rules):
    row, _ = one(rules, **SITE, **IN_STUDY, time_to_power_months=24.0, **FAR)
    assert row.econ_it_mw == 0.0 and row.econ_it_mw_full == pytest.approx(35.0)
    assert row.econ_months_to_revenue == 24
    assert "power in 24 months, as the site gives" in row.econ_basis
    sites, _ = arrays(rules, "training", **SITE, **IN_STUDY, time_to_power_months=24.0)
    assert sites.start[0, LATER].tolist() == [24.0] * 3


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
    assert sites.start[0, LATER].tolist() == [max(b, m) for b, m in zip(build, (low, base, high))]
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
    # One-year lease, no ramp, no escalator, no discounting, mining unprofitable: the capex
    # spent evenly over the 18-month build, 85 % of the rent from month 18 for 12 months,
    # then, after 12 months vacant, the residual: a year's NOI at the market rent (the
    # default 128, not grown) at the 8 % exit cap rate, less the 15 % refresh.
    rules = with_settings(default_rules(), [
        "economics.lease_term_years=1.0", "economics.ramp_months=1.0",
        "economics.lease_escalator=0.0", "economics.discount_rate=[0.0, 0.0, 0.0]",
        "economics.contract_rate_unrated=0.0", "economics.asic_resale_musd_per_mw=[0.0, 0.0, 0.0]"])
    sites, model = arrays(rules, "training", **{**SITE, "power_cost_usd_per_kwh": 0.2}, **FAR)
    flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
    total = flows.total(sites.part(True))
    rent = 33.6 * 1000 * 128 / 1e6  # M USD a month
    capex = 33.6 * 9.5 * 0.8
    residual = 0.85 * rent * 12 / 0.08 * (1 - 0.15)
    assert total[0, :18] == pytest.approx(-capex / 18)
    assert total[0, 18:30] == pytest.approx(0.85 * rent)
    assert total[0, 30:42] == pytest.approx(0.0)
    assert total[0, 42] == pytest.approx(residual)
    assert total[0, 43:] == pytest.approx(0.0)
    years = economics.yearly(total)
    assert years[0, :4] == pytest.approx([-capex * 12 / 18, -capex * 6 / 18 + 0.85 * rent * 6,
                                          0.85 * rent * 6, residual])
    # and the closed form agrees
    assert economics.npv(sites, model)[0, 0] == pytest.approx(total.sum())
    off = with_settings(rules, ["economics.exit_value=false"])
    sites, model = arrays(off, "training", **{**SITE, "power_cost_usd_per_kwh": 0.2}, **FAR)
    flows = economics.monthly_flows(sites, model, economics.scenarios(off)["base"])
    assert flows.exit.sum() == 0
    assert economics.npv(sites, model)[0, 0] == pytest.approx(12 * 0.85 * rent - capex)


def test_ramp_and_escalator_by_hand(rules):
    sites, model = arrays(rules, "training", **{**SITE, "power_cost_usd_per_kwh": 0.2}, **FAR)
    flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
    noi = flows.noi[0, ENERGIZED]
    rent = 33.6 * 1000 * 128 / 1e6 * 0.85
    assert noi[18] == pytest.approx(rent / 12)  # month 1 of a 12-month ramp
    assert noi[18 + 11] == pytest.approx(rent)
    assert noi[18 + 12] == pytest.approx(rent * 1.03)  # second lease year
    assert noi[18 + 12 * 12 - 1] == pytest.approx(rent * 1.03 ** 11)
    assert noi[18 + 12 * 12] == 0.0  # the 12-year lease is over; vacant for 12 months
    # re-let in month 174 at the market rent grown 3 % a year since the decision
    relet = 18 + 12 * 12 + 12
    assert flows.exit[0, ENERGIZED].nonzero()[0].tolist() == [relet]
    assert flows.exit[0, ENERGIZED, relet] == pytest.approx(
        rent * 12 * 1.03 ** (relet / 12) / 0.08 * 0.85)


def test_mining_margin_by_hand(rules):
    sites, model = arrays(rules, "training", **SITE, **FAR)
    # 2026-11 to a 2027-01 decision: 2 months of 20 % a year network growth
    month0 = 39.5 * 1.2 ** (-2 / 12) * 50 / 24  # USD per MWh of mining revenue
    assert model.mining_usd_per_mwh[0] == pytest.approx(month0)
    halving = 15  # 2027-01 to 2028-04
    assert model.mining_usd_per_mwh[halving] == pytest.approx(
        39.5 * 1.2 ** (-(halving + 2) / 12) * 50 / 24 * 0.5)


@pytest.mark.parametrize("power", [0.04, 0.01])
def test_the_miners_run_through_the_build_then_the_business_is_given_up(rules, power):
    """The halls take 48 MW (50 less 20 % of the 10 MW mining load kept) and displace the
    other 8 MW of miners. Those run until 3 months before the first rent (month 18): their
    margin over power and 8 USD/MWh of other costs in months 0-14 is the bridge, kept
    either way. From month 15 the margin is given up to the lease's end, and the fleet sells
    for 0.5 M USD a MW then. At 40 USD/MWh nothing is left after the halving in month 15; at
    10 USD/MWh some is."""
    values = {**SITE, **FAR, "power_cost_usd_per_kwh": power}
    sites, model = arrays(rules, "training", **values)
    flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
    cost = power * 1000 + 8
    margin = np.maximum(0.0, model.mining_usd_per_mwh[:model.horizon] - cost) * 730 * 8 / 1e6
    assert sites.bridge[0, 1] == 15
    assert flows.bridge[0, :15] == pytest.approx(margin[:15])
    assert flows.bridge[0, 15:] == pytest.approx(0.0)
    assert flows.mining[0, :15] == pytest.approx(0.0)  # nothing given up in the bridge
    end = 18 + 144  # the energized phase's lease end
    given_up = -margin[15:end]
    given_up[0] += 8 * 0.5  # the fleet's resale
    assert flows.mining[0, 15:end] == pytest.approx(given_up)
    assert flows.mining[0, end:] == pytest.approx(0.0)
    assert (margin[15:end].sum() > 0) == (power < 0.04)
    row, chunk = one(rules, **values)
    discount = model.discount[:model.horizon]
    assert row.econ_bridge_margin_musd == pytest.approx(margin[:15] @ discount[:15], abs=0.01)
    assert row.econ_mining_value_musd == pytest.approx(-flows.mining[0] @ discount, abs=0.01)
    assert row.econ_npv_ai_musd - row.econ_mining_value_musd == pytest.approx(
        row.econ_npv_musd, abs=0.02)
    assert row.econ_mining_margin_forgone_musd_per_year == pytest.approx(
        margin[15:27].sum(), abs=0.01)
    bridge = chunk.cash_flows[chunk.cash_flows.cash_series == "mining through the build, kept"]
    years = economics.yearly(flows.bridge)[0]
    assert bridge.iloc[0][["year_1", "year_2"]].tolist() == pytest.approx(years[:2], abs=0.01)
    assert "Mining given up on 8 MW (the site's mining load of 10 MW less the kept share) " \
        "from month 15" in row.econ_basis


@pytest.mark.parametrize("load, mined", [(0.0, 0.0), (30.0, 24.0), (None, 50.0)])
def test_mining_forgone_is_the_mining_load_the_halls_displace(rules, load, mined):
    """A greenfield with no miners gives up nothing; a site mining on part of its power gives
    up that part less the kept share (20 %); one that does not say is taken as mined on all
    the power the halls take, and says so."""
    values = {**SITE, **FAR, "mining_load_mw": load, "power_cost_usd_per_kwh": 0.01}
    sites, model = arrays(rules, "training", **values)
    assert sites.mining_mw[0] == pytest.approx(mined)
    row, _ = one(rules, **values)
    if mined == 0.0:
        assert row.econ_mining_margin_forgone_musd_per_year == 0.0
        assert row.econ_mining_value_musd == 0.0 and row.econ_bridge_margin_musd == 0.0
        assert row.econ_npv_ai_musd == row.econ_npv_musd
        assert row.econ_breakeven_hashprice_usd_per_ph_day is None
    else:
        assert row.econ_mining_margin_forgone_musd_per_year > 0.0
    assert ("mining load not given" in row.econ_basis) == (load is None)


def test_closed_form_npv_equals_the_discounted_monthly_flows(rules):
    for values in (SITE, {**SITE, "power_expansion_mw": 25.0, "power_cost_usd_per_kwh": 0.02},
                   {**SITE, **APPROVED, "power_expansion_mw": 25.0},
                   {**SITE, "staffing_24x7": False, "energized_mw": 5.0},
                   {**SITE, "power_capacity_mw": 300.0}):
        for workload in ("training", "inference", "hybrid"):
            sites, model = arrays(rules, workload, **values)
            flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
            for committed in (True, False):
                part = sites.part(committed)
                worth = economics.present_value(flows, sites, model, part)[0].sum()
                if not committed:  # an option bears none of the site's own costs
                    worth -= flows.costs[0] @ model.discount[:model.horizon]
                assert economics.npv(sites, model, committed=committed)[0, 0] == \
                    pytest.approx(worth)


def test_irr_and_payback_by_hand():
    years = np.array([[-100.0, 110.0, 0.0], [-100.0, 0.0, 121.0], [-100.0, 10.0, 10.0]])
    irr = economics.irr(years)
    assert irr[:2] == pytest.approx([0.10, 0.10], abs=1e-6)
    # -100 + 10 y + 10 y^2 = 0 with y = 1 / (1 + r): y = (-1 + sqrt(41)) / 2
    assert irr[2] == pytest.approx(2 / (41 ** 0.5 - 1) - 1, abs=1e-6)
    months = np.zeros((2, 30))
    months[:, 0] = -12.0
    months[0, :] += 1.0  # earned back by the end of month 12 (index 11): 1.0 year
    assert economics.payback(months) == [1.0, None]


def test_npv_figures_by_hand():
    # No discounting and no mining margin: NPV is the sum of rent less capex.
    rules = with_settings(default_rules(), ["economics.discount_rate=[0.0, 0.0, 0.0]",
                                            "economics.contract_rate_unrated=0.0",
                                            "economics.asic_resale_musd_per_mw=[0.0, 0.0, 0.0]",
                                            "economics.hashprice_usd_per_ph_day=[1.0, 1.0, 1.0]",
                                            "economics.exit_value=false"])
    row, chunk = one(rules, **SITE, **FAR)
    rent = 33.6 * 1000 * 128 * 12 / 1e6 * 0.85
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
                                       "NOI margin", "exit cap rate", "discount rate"}
    assert row.econ_npv_driver.startswith("lease rate (")


def test_the_equity_tornado_moves_the_financing_terms(rules):
    """The coupon, the loan-to-cost and the exit cap rate each move the equity IRR the way a
    lender's model does, and the levered cash at each end recomputes to that IRR."""
    row, chunk = one(rules, **SITE, **FAR)
    tornado = {name: (lo, hi) for name, lo, hi in chunk.pages[row.site_id]["equity_tornado"]}
    assert set(tornado) == {"exit cap rate", "debt coupon", "loan-to-cost"}
    base = row.econ_equity_irr_pct
    assert base is not None
    coupon, ltc, cap = tornado["debt coupon"], tornado["loan-to-cost"], tornado["exit cap rate"]
    assert coupon[0] >= base >= coupon[1]  # dearer debt never helps the equity
    assert cap[0] >= base >= cap[1]  # a higher exit cap rate never raises it
    # debt dearer than the project's return lowers the equity IRR as it grows, cheaper raises it
    assert (ltc[0] <= base <= ltc[1]) == (row.econ_irr_pct > rules["economics"]["debt_coupon"][1]
                                           * 100)
    name, lo, hi = chunk.pages[row.site_id]["equity_tornado"][0]
    assert row.econ_equity_driver == f"{name} ({show_number(lo)}% to {show_number(hi)}%)"
    # the coupon's ends are the equity IRR of the whole model rerun at that coupon
    for k, end in ((LOW, coupon[0]), (HIGH, coupon[1])):
        rate = rules["economics"]["debt_coupon"][k]
        again, _ = one(with_settings(rules, [f"economics.debt_coupon=[{rate}, {rate}, {rate}]"]),
                       **SITE, **FAR)
        assert again.econ_equity_irr_pct == pytest.approx(end, abs=0.05)


def test_a_small_hybrid_takes_the_higher_npv_and_neither_gets_none(rules):
    small = {**SITE, "power_capacity_mw": 20.0, "mining_load_mw": 0.0}  # inside the block
    result = classify_site(site(**small), rules)
    assert result.bucket == "Hybrid"
    chunk = economics.evaluate([result], rules)
    npvs = {}
    for workload in ("training", "inference"):
        sites, model = arrays(rules, workload, **small)
        npvs[workload] = economics.npv(sites, model)[0, 0]
    assert chunk.rows.iloc[0].econ_workload == max(npvs, key=npvs.get)
    neither = classify_site(site(power_capacity_mw=2.0, **FAR), rules)
    assert neither.bucket == "Neither" and economics.evaluate([neither], rules).rows.empty


def test_a_large_hybrid_leases_an_inference_block_and_trains_on_the_rest(rules):
    campus = {**SITE, "power_capacity_mw": 500.0, "mining_load_mw": 0.0}
    result = classify_site(site(**campus), rules)
    assert result.bucket == "Hybrid"
    row, _ = one(rules, **campus)
    block = 25.0 / 1.4 * 0.75  # the market's largest inference lease, air-cooled
    assert row.econ_workload == "hybrid"
    assert row.econ_inference_it_mw == pytest.approx(block, abs=0.01)
    # training-scale critical IT, 0.70 of gross, for all but the block
    assert row.econ_it_mw == pytest.approx(block + 475 / 1.25 * 0.875, abs=0.01)
    assert (row.econ_it_mw - row.econ_inference_it_mw) / 475 == pytest.approx(0.7)
    assert "Inference block: 25 MW" in row.econ_basis
    assert "inference block: 13.39 MW IT inference" in row.econ_phases
    # never valued, nor offered to the plan, as 500 MW of inference, which no tenant leases
    options = economics.evaluate([result], rules, [0]).options.set_index("workload")
    assert set(options.index) == {"training", "hybrid"}
    assert row.econ_npv_musd == pytest.approx(options.loc["hybrid", "npv_musd"], abs=0.01)


# ------------------------------------------------------------------ public conversions


def conversions() -> list[dict]:
    with CONVERSIONS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def own_terms(row: dict) -> dict:
    """The deal's own terms as a site's deal columns: year-1 rent, term, escalator, the
    critical IT it contracts, and its structure, tenant credit and capex where public."""
    terms = dict(lease_rate_usd_per_kw_month=float(row["year1_usd_per_kw_month"]),
                 lease_term_years=float(row["term_years"]),
                 lease_escalator_pct=float(row["escalator_pct"]),
                 contracted_it_mw=float(row["critical_it_mw"]))
    for column, name in (("structure", "lease_structure"), ("credit", "tenant_credit")):
        if row[column]:
            terms[name] = row[column]
    if row["capex_musd_per_it_mw"]:
        terms["capex_musd_per_it_mw"] = float(row["capex_musd_per_it_mw"])
    return terms


def model_row(row: dict, rules, terms: dict | None = None):
    """The economics the model gives a mining site of the deal's gross power: fully
    converted (no mining kept), air-cooled halls with a liquid path planned; with ``terms``,
    the site's own deal columns."""
    result = classify_site(site(power_capacity_mw=float(row["gross_mw"]), mining_load_mw=0.0,
                                cooling_type="air", rack_density_kw=10.0,
                                liquid_cooling_path="planned", **FAR, **(terms or {})), rules)
    money = economics.evaluate([result], rules).rows.iloc[0]
    assert money.econ_workload == row["workload"]
    return money


def model_it(row: dict, rules) -> tuple[float, float]:
    """(critical IT, capex per IT MW) the model gives the deal's site."""
    money = model_row(row, rules)
    return money.econ_it_mw_full, money.econ_capex_per_it_mw_musd


DEALS = [r for r in conversions() if r["gross_mw"]]


def contract_value(rent: float, row: dict, rules) -> float:
    """The model's rent over the deal's own term for its contracted IT, M USD: a year-1
    ``rent`` ramped and escalated as the lease model does."""
    months = np.arange(int(row["term_years"]) * 12)
    ramp = np.minimum(1.0, (months + 1) / rules["economics"]["ramp_months"])
    shape = ramp * (1 + float(row["escalator_pct"]) / 100) ** (months // 12)
    return rent * 1000 * float(row["contract_it_mw"]) * shape.sum() / 1e6


def public_yield(row: dict, money, rules) -> float:
    """The deal's year-1 rent x NOI margin / capex, %: its own margin and capex where public,
    else the model's for its structure."""
    e = rules["economics"]
    margin = (float(row["noi_margin_pct"]) / 100 if row["noi_margin_pct"] else
              e["noi_margin_triple_net" if row["structure"] == "triple_net" else
                "noi_margin"][BASE])
    capex = (float(row["capex_musd_per_it_mw"]) if row["capex_musd_per_it_mw"]
             else money.econ_capex_per_it_mw_musd)
    return float(row["year1_usd_per_kw_month"]) * 12 * 1000 * margin / (capex * 1e6) * 100


def calibration_table(rules) -> str:
    """The calibration table of docs/economics.md: each public deal as a site with its own
    terms (tests/conversions.csv), and what the model makes of it."""
    lines = ["| conversion | gross MW | contracted IT MW | model IT MW | difference | year-1 "
             "USD/kW-month | term, years | capex M USD/IT MW | yield on cost | public rent x "
             "margin / capex | contract value, model / public | committed NPV M USD | of it, "
             "contract | residual share | unlevered IRR | debt sized by | min DSCR | "
             "equity IRR |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
             "---:|---:|"]
    for row in DEALS:
        plain = model_row(row, rules)
        money = model_row(row, rules, own_terms(row))
        it, want = plain.econ_it_mw_full, float(row["critical_it_mw"])
        value = contract_value(float(row["year1_usd_per_kw_month"]), row, rules)
        public = float(row["contract_musd"])
        equity = ("none" if money.econ_equity_irr_pct is None
                  else f"{money.econ_equity_irr_pct:g} %")
        cells = [row["gross_mw"], row["critical_it_mw"], f"{it:g}",
                 f"{(it - want) / want * 100:+.1f} %", row["year1_usd_per_kw_month"],
                 row["term_years"], f"{money.econ_capex_per_it_mw_musd:g}",
                 f"{money.econ_yield_on_cost_pct:.2f} %",
                 f"{public_yield(row, money, rules):.2f} %", f"{value / public:.3f}",
                 f"{money.econ_npv_musd:,.0f}", f"{money.econ_npv_contract_musd:,.0f}",
                 f"{money.econ_residual_share_pct:.0f} %", f"{money.econ_irr_pct:g} %",
                 money.econ_debt_sizing, f"{money.econ_min_dscr:.2f}", equity]
        lines.append(f"| {row['conversion']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


@pytest.mark.parametrize("row", DEALS, ids=lambda r: r["conversion"][:30])
def test_public_conversions_reproduced(row, rules):
    it, capex = model_it(row, rules)
    assert it == pytest.approx(float(row["critical_it_mw"]), rel=0.15)
    public_low, public_high = 8.0, 15.0  # miners' 8-11 to greenfield 9.3-15 M USD per MW
    assert public_low <= capex <= public_high


@pytest.mark.parametrize("row", DEALS, ids=lambda r: r["conversion"][:30])
def test_public_conversions_create_value(row, rules):
    """The deals the market rewarded come out creating value with the default rules: a
    positive committed NPV, a yield on cost between 10 and 20 %, and debt, sized to the
    rules' coverage, that lifts the equity's IRR above the project's."""
    money = model_row(row, rules)
    assert money.econ_npv_musd > 0
    assert 10 <= money.econ_yield_on_cost_pct <= 20
    assert money.econ_development_spread_pct > 0 and money.econ_value_created_musd > 0
    assert money.econ_equity_irr_pct > money.econ_irr_pct
    assert money.econ_min_dscr >= rules["economics"]["min_dscr"] - 0.005


@pytest.mark.parametrize("row", DEALS, ids=lambda r: r["conversion"][:30])
def test_each_deal_at_its_own_terms(row, rules):
    """Entered with its own rent, term, escalator, structure, credit and capex, each deal
    shows a yield on cost within a point of its public rent x NOI margin / capex, its terms
    marked given, and debt no lender would refuse."""
    money = model_row(row, rules, own_terms(row))
    assert money.econ_yield_on_cost_pct == pytest.approx(public_yield(row, money, rules),
                                                         abs=1.0)
    assert money.econ_contracted_it_mw == pytest.approx(float(row["critical_it_mw"]))
    assert money.econ_lease_rate_source == money.econ_lease_term_source == "given"
    assert (money.econ_capex_source == "given") == bool(row["capex_musd_per_it_mw"])
    if money.econ_debt_sizing in ("loan-to-cost", "coverage"):
        assert money.econ_min_dscr >= rules["economics"]["min_dscr"] - 0.005
        assert money.econ_equity_irr_pct is not None
    else:
        assert money.econ_equity_irr_pct is None


@pytest.mark.parametrize("row", DEALS, ids=lambda r: r["conversion"][:30])
def test_the_year_1_rent_reproduces_the_public_contract(row, rules):
    """A term-average rate turned into a year-1 rate (escalator removed) and escalated again
    by the model over the deal's term gives back the public contract value within 5 %."""
    term = int(row["term_years"])
    mean_factor = sum(1.03 ** k for k in range(term)) / term
    assert round(float(row["implied_usd_per_kw_month"]) / mean_factor) == \
        int(row["year1_usd_per_kw_month"])
    value = contract_value(float(row["year1_usd_per_kw_month"]), row, rules)
    assert value == pytest.approx(float(row["contract_musd"]), rel=0.05)


def test_the_default_year_1_rent_is_the_public_deals_mean(rules):
    low, base, high = rules["economics"]["lease_usd_per_kw_month"]
    year1 = [float(r["year1_usd_per_kw_month"]) for r in DEALS]
    assert base == pytest.approx(np.mean(year1), abs=0.5)
    assert (low, high) == (min(year1), max(year1))


@pytest.mark.parametrize("row", conversions(), ids=lambda r: r["conversion"][:30])
def test_public_lease_rates_inside_the_rules_range(row, rules):
    low, _, high = rules["economics"]["lease_usd_per_kw_month"]
    implied = float(row["implied_usd_per_kw_month"])
    premium = 1 + rules["economics"]["inference_lease_premium"]
    if row["year1_usd_per_kw_month"]:
        assert low <= float(row["year1_usd_per_kw_month"]) <= high
    else:  # an inference suite's average rent, at the premium over training's
        assert low * premium <= implied <= high * premium * 1.05
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
    # the NOI margin is drawn as a quantile of each site's own range (its lease structure's)
    assert 0 <= d["noi"].min() and d["noi"].max() <= 1
    assert np.median(d["noi"]) == pytest.approx(0.5, abs=0.05)


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
    # nothing but sites and their total: the assumptions have a sheet of their own
    assert ranked == table[1:-1] and table[-1][0] == "Total"
    sheet = list(book["Assumptions"].values)
    named = {row[0]: dict(zip(sheet[0], row)) for row in sheet[1:]}
    lease = named["economics.lease_usd_per_kw_month"]
    assert (lease["Low"], lease["Base"], lease["High"]) == (102, 128, 154)
    assert lease["Unit"] == "USD per kW of critical IT a month" and lease["Source"]
    cash = list(book["Cash flows"].values)
    head = list(cash[0])
    assert head[:9] == [label(c) for c in ("rank", "site_id", "site_name", "econ_workload",
                                           "econ_capex_musd", "econ_npv_musd", "econ_irr_pct",
                                           "cash_series", "year_1_2027_01")]
    first = cash[1]
    year_labels = {label(f"year_{n}_2027_01") for n in range(1, 61)}
    years = [first[i] for i, name in enumerate(head) if name in year_labels]
    assert years[0] < 0 and max(years) > 0
    assert first[head.index(label("site_id"))] == at(ranked[0], "site_id")
    assert label("assumption") not in head  # on the Assumptions sheet

    def text(path):
        words = " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())
        return re.sub(r"(\w[-/]) (\w)", r"\1\2", words)

    site_text = text(tmp_path / "reports" / "ON-01.pdf")
    for words in ("Indicative economics", "NPV", "IRR", "payback", "to ready",
                  "the AI conversion", "less the mining given up", "Break-evens",
                  "What moves NPV most", "Cash by year", "equity IRR", "multiple",
                  "peak", "coverage", "Yield on cost",
                  "value created at stabilization", "Of the NPV, the contract and the residual",
                  "of the income's value", "equity after debt",
                  "the rules' default deal"):
        assert words in site_text, words
    assert "Indicative economics" not in text(tmp_path / "reports" / "PY-01.pdf")
    portfolio = text(tmp_path / "portfolio.pdf")
    assert "Indicative economics: highest NPV" in portfolio
    assert re.search(r"total capex \$[\d,.]+M, total NPV -?\$[\d,.]+M \(P10", portfolio)
    assert re.search(r"the options .*: NPV -?\$[\d,.]+M \(P10", portfolio)
    assert re.search(r"total equity at its peak \$[\d,.]+M", portfolio)
    assert re.search(r"contracts give -?\$[\d,.]+M and the residual after them", portfolio)
    assert re.search(r"what bounds it: [a-z -]+ at \d+ sites?", portfolio)
    assert re.search(r"Each site converts above its break-even rent: \d+ to \d+ USD/kW-month",
                     portfolio)
    assert "Sites by break-even rent" in portfolio


# ------------------------------------------------------------------ value and financing
# No discounting, no mining margin (hashprice 1 USD/PH/day), a 12-month build, a 2-year lease
# with no ramp to speak of and no escalator, debt at 12 % over one year, re-let the day the
# lease ends at a 10 % cap rate with no refresh: every figure can be worked by hand.
BY_HAND = ["economics.discount_rate=[0.0, 0.0, 0.0]", "economics.contract_rate_unrated=0.0",
           "economics.asic_resale_musd_per_mw=[0.0, 0.0, 0.0]",
           "economics.build_months=[12.0, 12.0, 12.0]",
           "economics.lease_term_years=2.0", "economics.ramp_months=1.0",
           "economics.lease_escalator=0.0", "economics.loan_to_cost=[0.5, 0.5, 0.5]",
           "economics.debt_coupon=[0.12, 0.12, 0.12]", "economics.debt_tenor_years=1.0",
           "economics.exit_cap_rate=[0.1, 0.1, 0.1]", "economics.exit_refresh_share=0.0",
           "economics.relet_vacancy_months=0.0", "economics.stabilized_cap_rate=[0.1, 0.1, 0.1]",
           "economics.hashprice_usd_per_ph_day=[1.0, 1.0, 1.0]"]
CHEAP_MINING = SITE


@pytest.mark.parametrize("ltc, bound", [(0.5, "coverage"), (0.1, "loan-to-cost")])
def test_one_phase_with_debt_and_residual_by_hand(ltc, bound):
    """Half the cost asks a level payment far above what the NOI covers at 1.25x, so the
    lender sizes the loan down to coverage; a tenth of it is within coverage, so the
    loan-to-cost cap binds."""
    rules = with_settings(default_rules(), [*BY_HAND,
                                            f"economics.loan_to_cost=[{ltc}, {ltc}, {ltc}]"])
    row, chunk = one(rules, **CHEAP_MINING, **FAR)
    capex = 33.6 * 9.5 * 0.8  # 255.36, spent at 21.28 a month over months 0-11
    noi = 33.6 * 128 * 1000 / 1e6 * 0.85  # 3.656 a month, months 12-35
    residual = noi * 12 / 0.1  # month 36: re-let at the same rent (no growth)
    assert row.econ_npv_musd == pytest.approx(-capex + 24 * noi + residual, abs=0.01)
    assert row.econ_npv_residual_musd == pytest.approx(residual, abs=0.01)
    assert row.econ_npv_contract_musd == pytest.approx(-capex + 24 * noi, abs=0.01)
    assert row.econ_residual_value_musd == pytest.approx(residual, abs=0.01)
    assert row.econ_residual_share_pct == pytest.approx(
        residual / (residual + 24 * noi) * 100, abs=0.01)
    # at the cap: a share d of each month's spend, interest at 1 % a month capitalised to
    # month 12, with loan = ltc x (capex + that interest)
    grown = sum(1.01 ** q for q in range(1, 13)) / 12
    drawn = ltc / (grown * (1 - ltc) + ltc)
    capped = drawn * capex * grown
    assert capped == pytest.approx(ltc * (capex + capped - drawn * capex))
    level = 0.01 / (1 - 1.01 ** -12)  # a month per M USD owed, months 13-24
    scale = min(1.0, noi / (capped * level) / 1.25)
    assert (scale < 1) == (bound == "coverage")
    loan = capped * scale
    assert row.econ_debt_musd == pytest.approx(loan, abs=0.01)
    assert row.econ_debt_sizing == bound
    assert row.econ_min_dscr == pytest.approx(noi / (loan * level), abs=0.01)
    assert row.econ_min_dscr >= 1.25 - 1e-9
    assert row.econ_debt_balloon_musd == 0
    spent = capex / 12 * (1 - drawn * scale)
    equity = ([-spent] * 12 + [noi - loan * 0.01] + [noi - loan * level] * 12 + [noi] * 11
              + [residual])
    running = np.cumsum(equity)
    assert row.econ_peak_equity_musd == pytest.approx(-running.min(), abs=0.01)
    assert row.econ_equity_multiple == pytest.approx(
        sum(x for x in equity if x > 0) / -sum(x for x in equity if x < 0), abs=0.01)
    years = [sum(equity[k:k + 12]) for k in range(0, 48, 12)]
    page = chunk.pages[row.site_id]
    assert page["equity"][:4] == pytest.approx(years, abs=0.01)
    assert row.econ_equity_irr_pct == pytest.approx(
        economics.irr(np.array([years]))[0] * 100, abs=0.05)
    assert row.econ_equity_irr_pct > row.econ_irr_pct
    # the developer's figures: the NOI of the first full lease year over the capex
    assert row.econ_yield_on_cost_pct == pytest.approx(noi * 12 / capex * 100, abs=0.01)
    assert row.econ_development_spread_pct == pytest.approx(noi * 12 / capex * 100 - 10,
                                                            abs=0.01)
    assert row.econ_value_created_musd == pytest.approx(noi * 12 / 0.1 - capex, abs=0.01)


def test_two_phases_with_debt_and_exit_by_hand():
    """20 MW energized, 30 MW more approved for month 30: each phase spends over its own
    12-month build to its own first rent, is valued at its own lease end, and borrows."""
    rules = with_settings(default_rules(), BY_HAND)
    values = dict(**CHEAP_MINING, energized_mw=20.0, interconnection_status="approved",
                  time_to_power_months=30.0, **FAR)
    row, chunk = one(rules, **values)
    now, later = 18 * 0.7, 30 * 0.7  # 12.6 and 21 MW of IT
    capex_now, capex_later = now * 9.5 * 0.8, later * (9.5 + 2.2)
    noi = 128 * 1000 / 1e6 * 0.85  # a month per MW of IT
    assert row.econ_capex_musd == pytest.approx(capex_now + capex_later, abs=0.01)
    assert row.econ_months_to_revenue == 12
    npv = (-capex_now - capex_later + 24 * noi * (now + later)
           + noi * 12 / 0.1 * (now + later))
    assert row.econ_npv_musd == pytest.approx(npv, abs=0.02)
    sites, model = arrays(rules, "training", **values)
    flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
    assert flows.capex[0, LATER, 18:30] == pytest.approx(-capex_later / 12)
    assert flows.capex[0, LATER, :18].sum() == 0 and flows.capex[0, LATER, 30:].sum() == 0
    assert flows.exit[0, ENERGIZED, 36] == pytest.approx(noi * 12 / 0.1 * now)
    assert flows.exit[0, LATER, 54] == pytest.approx(noi * 12 / 0.1 * later)
    # the cash flows of the phases add up to the committed cash, year by year
    series = chunk.pages[row.site_id]["series"]
    phases = [v for k, v in series.items() if k.endswith("(committed)")]
    assert len(phases) == 2
    assert sum(map(sum, phases)) == pytest.approx(npv, abs=0.05)  # undiscounted here
    assert "later: 21 MW IT training, committed" in row.econ_phases
    yoc = noi * 12 * (now + later) / (capex_now + capex_later) * 100
    assert row.econ_yield_on_cost_pct == pytest.approx(yoc, abs=0.01)


@settings(max_examples=40, deadline=None)
@given(values=SITES, workload=WORKLOADS, cap=st.floats(0.03, 0.15), more=st.floats(0.001, 0.1),
       wait=st.floats(0.0, 60.0), later=st.floats(1.0, 60.0))
def test_npv_never_rises_with_a_higher_exit_cap_or_a_later_phase(values, workload, cap, more,
                                                                 wait, later):
    rules = default_rules()
    values = {**values, "energized_mw": values["power_capacity_mw"] / 2,
              "interconnection_status": "approved", "time_to_power_months": wait}
    sites, model = arrays(rules, workload, **values)
    assert economics.npv(sites, model, cap=cap + more)[0, 0] <= \
        economics.npv(sites, model, cap=cap)[0, 0] + 1e-9
    late, model_late = arrays(rules, workload, **{**values,
                                                  "time_to_power_months": wait + later})
    assert economics.npv(late, model_late)[0, 0] <= economics.npv(sites, model)[0, 0] + 1e-9


@settings(max_examples=30, deadline=None)
@given(values=SITES, share=st.floats(0.05, 0.95), below=st.floats(0.1, 0.8),
       ltc=st.floats(0.3, 0.85))
def test_debt_cheaper_than_the_project_raises_the_equity_irr(values, share, below, ltc):
    """The coupon is compounded monthly and the IRRs read yearly cash, so the property is
    tested for a coupon clearly below the project's IRR (at most 80 % of it)."""
    from pipeline.economics.debt import equity, size
    rules = default_rules()
    values = {**values, "energized_mw": values["power_capacity_mw"] * share,
              "interconnection_status": "approved"}
    sites, model = arrays(rules, "training", **values)
    flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
    project = economics.irr(economics.yearly(flows.cash(sites.part(True))))[0]
    if not np.isfinite(project) or project <= 0.01:
        return
    levered = equity(sites, model, flows, size(sites, model, flows, ltc, project * below, 10.0,
                                               1.25))
    assert levered.irr_pct[0] >= project * 100 - 1e-6


def test_the_workbook_cash_flows_add_up_to_npv_and_irr(sample_tables):
    """The Cash flows sheet read back: per site, its present values sum to its NPV and its
    committed phases' cash gives its IRR, as Excel's SUM and IRR would; the equity's row
    gives the equity IRR."""
    from openpyxl import load_workbook

    from pipeline.labels import label
    book = load_workbook(sample_tables / "scorecard.xlsx", read_only=True)
    cash = list(book["Cash flows"].values)
    head = [str(h) for h in cash[0]]
    years = [i for i, h in enumerate(head) if h.startswith("Year ")]
    column = {name: head.index(label(name)) for name in
              ("site_id", "cash_series", "econ_npv_musd", "econ_irr_pct")}
    economics_sheet = list(book["Economics"].values)
    eh = [str(h) for h in economics_sheet[0]]
    equity_irr = {r[eh.index(label("site_id"))]: r[eh.index(label("econ_equity_irr_pct"))]
                  for r in economics_sheet[1:] if r[eh.index(label("site_id"))]}
    sites: dict[str, dict] = {}
    for r in cash[1:]:
        if r[column["site_id"]]:
            entry = sites.setdefault(r[column["site_id"]], {
                "npv": r[column["econ_npv_musd"]], "irr": r[column["econ_irr_pct"]], "rows": {}})
            entry["rows"][r[column["cash_series"]]] = [float(r[i] or 0) for i in years]
    assert len(sites) > 20

    def excel_irr(flows):
        return economics.irr(np.array([flows]))[0] * 100

    assert head[years[0]] == "Year 1: 2027 (M USD)"  # the rules' decision, January 2027
    for site_id, entry in sites.items():
        rows = entry["rows"]
        assert sum(rows["committed, present value"]) == pytest.approx(entry["npv"], abs=0.15)
        committed = rows["committed, cash"]
        phases = [sum(x) for x in zip(*(v for k, v in rows.items()
                                        if k.endswith("(committed)")))]
        assert committed == pytest.approx(phases or [0.0] * len(years), abs=0.05), site_id
        # SUMPRODUCT(cash, factor) is the NPV
        assert sum(c * f for c, f in zip(committed, rows["committed, discount factor"])) == \
            pytest.approx(entry["npv"], abs=0.05), site_id
        if entry["irr"] is not None:
            # the workbook stores percentages as fractions, formatted as %
            assert excel_irr(committed) == pytest.approx(entry["irr"] * 100, abs=0.1), site_id
        if equity_irr[site_id] is not None:
            assert excel_irr(rows["committed, equity after debt"]) == pytest.approx(
                equity_irr[site_id] * 100, abs=0.1), site_id


# ------------------------------------------------------------------ options for a plan


def test_options_at_no_delay_are_the_headline(rules):
    results = [classify_site(site(**SITE, site_id="HY"), rules),
               classify_site(site(**SITE, **FAR, **APPROVED, power_expansion_mw=40.0,
                                  time_to_power_months=60.0, site_id="TR"), rules),
               classify_site(site(power_capacity_mw=2.0, **FAR, site_id="NO"), rules)]
    chunk = economics.evaluate(results, rules, [0, 1, 2])
    table = chunk.options
    assert list(table.columns[:11]) == ["site_id", "workload", "delay_years", "npv_musd",
                                        "npv_p10_musd", "npv_p90_musd", "irr_pct",
                                        "equity_irr_pct", "capex_musd", "equity_musd", "it_mw"]
    assert set(table.site_id) == {"HY", "TR"}  # the Neither site has no economics
    assert set(table[table.site_id == "HY"].workload) == {"training", "hybrid"}
    assert len(table) == (2 + 1) * 3
    for row in chunk.rows.itertuples():
        now = table[(table.site_id == row.site_id) & (table.workload == row.econ_workload)
                    & (table.delay_years == 0)].iloc[0]
        assert now.npv_musd == pytest.approx(row.econ_npv_musd, abs=0.01)
        assert now.npv_p10_musd == pytest.approx(row.econ_npv_p10_musd, abs=0.01)
        assert now.irr_pct == pytest.approx(row.econ_irr_pct, abs=0.05)
        assert now.equity_irr_pct == pytest.approx(row.econ_equity_irr_pct, abs=0.05)
        assert now.capex_musd == pytest.approx(row.econ_capex_musd, abs=0.01)
        assert now.it_mw == pytest.approx(row.econ_it_mw_full - row.econ_option_it_mw, abs=0.01)
        spent = sum(now[c] for c in table.columns if c.startswith("capex_musd_y"))
        assert spent == pytest.approx(now.capex_musd)


def test_a_delay_moves_the_conversion_by_whole_years_but_not_the_power(rules):
    result = classify_site(site(**SITE, **FAR, **APPROVED, power_expansion_mw=40.0,
                                time_to_power_months=60.0), rules)
    table = economics.evaluate([result], rules, [0, 1, 2]).options.set_index("delay_years")
    years = sorted(int(c.rsplit("y", 1)[1]) for c in table.columns if c.startswith("mw_y"))
    energized = 33.6 * 9.5 * 0.8  # built over months 0-17: 2/3 in year 0, 1/3 in year 1
    later = 28 * (9.5 + 2.2)  # built over months 42-59 for power at month 60: years 3 and 4
    for k in (0, 1, 2):
        row = table.loc[k]
        assert row[f"capex_musd_y{k}"] == pytest.approx(energized * 12 / 18 +
                                                        (later * 6 / 18 if k == 3 else 0))
        assert row[f"mw_y{k}"] == pytest.approx(33.6)
        assert row.mw_y3 == pytest.approx(28.0)  # the power sets the later phase's date
        # the equity pays what the loan does not: at least a quarter (the 75 % cap, with
        # the capitalised interest inside it)
        assert row.capex_musd * 0.25 < row.equity_musd < row.capex_musd
        assert row.equity_musd == pytest.approx(
            sum(row[c] for c in table.columns if c.startswith("equity_musd_y")))
    assert table.loc[1, "capex_musd_y1"] == pytest.approx(table.loc[0, "capex_musd_y0"])
    assert table.loc[2, "capex_musd_y3"] == pytest.approx(
        table.loc[0, "capex_musd_y1"] + later * 6 / 18)
    assert table.loc[0, "npv_musd"] > table.loc[1, "npv_musd"] > table.loc[2, "npv_musd"]
    assert years == list(range(max(years) + 1)) and max(years) == 4


# ------------------------------------------------------------------ the site's own deal

DEAL = dict(lease_rate_usd_per_kw_month=130.0, lease_term_years=2.0, lease_escalator_pct=0.0,
            tenant_credit="backstopped")


@pytest.mark.parametrize("structure", ["triple_net", "gross"])
def test_a_given_deal_by_hand(structure):
    """The site's own rent, term, escalator, structure and credit win over the rules: a
    triple-net lease keeps 98 % of its rent; under a gross lease the landlord keeps 85 % and
    pays the tenant's power (IT x PUE x 0.8 load x the site's 40 USD/MWh). The residual is
    re-let at the market's 128, not the signed 130."""
    rules = with_settings(default_rules(), [*BY_HAND, "economics.contract_rate_backstopped=0.0"])
    row, chunk = one(rules, **CHEAP_MINING, **FAR, **DEAL, lease_structure=structure)
    capex = 33.6 * 9.5 * 0.8
    rent = 33.6 * 130 * 1000 / 1e6  # a month
    market = 33.6 * 128 * 1000 / 1e6
    power = 33.6 * 1.25 * 0.8 * 8760 / 12 * 40 / 1e6 if structure == "gross" else 0.0
    margin = 0.98 if structure == "triple_net" else 0.85
    noi = margin * rent - power
    residual = (margin * market - power) * 12 / 0.1
    assert row.econ_lease_rate_usd_per_kw_month == 130 and row.econ_lease_term_years == 2
    assert row.econ_lease_structure == {"triple_net": "triple-net", "gross": "gross"}[structure]
    assert row.econ_lease_structure_source == row.econ_tenant_credit_source == "given"
    assert row.econ_capex_source == "default" and row.econ_contract_rate_pct == 0
    assert row.econ_landlord_power_musd_per_year == pytest.approx(power * 12, abs=0.01)
    assert row.econ_noi_musd_per_year == pytest.approx(noi * 12, abs=0.01)
    assert row.econ_npv_contract_musd == pytest.approx(-capex + 24 * noi, abs=0.01)
    assert row.econ_npv_residual_musd == pytest.approx(residual, abs=0.01)
    assert row.econ_npv_musd == pytest.approx(-capex + 24 * noi + residual, abs=0.01)
    assert "Rent 130 USD/kW-month in year 1, 1-month ramp, +0% a year for 2 years" in \
        row.econ_basis
    assert "Given by the site: rent, term, escalator, structure, tenant credit." in \
        row.econ_basis


def test_a_gross_lease_whose_power_eats_the_rent_cannot_carry_debt():
    """At a rent of 20 USD/kW-month the landlord's power (0.98 M USD a month at 40 USD/MWh)
    costs more than the rent keeps (0.57): the contracted NOI covers no debt service, so no
    loan is sized and no equity return is shown."""
    rules = default_rules()
    row, _ = one(rules, **CHEAP_MINING, **FAR, lease_structure="gross",
                 lease_rate_usd_per_kw_month=20.0)
    assert row.econ_noi_musd_per_year < 0
    assert row.econ_debt_sizing == "cannot be sized" and row.econ_debt_musd == 0
    assert row.econ_equity_irr_pct is None and row.econ_min_dscr is None
    assert "cannot be sized" in row.econ_basis


def test_a_first_rent_prepayment_and_quote_as_given(rules):
    values = {**CHEAP_MINING, **FAR, "first_rent": "2028-01", "prepayment_musd": 50.0,
              "capex_musd_per_it_mw": 10.0, "contracted_it_mw": 30.0}
    row, chunk = one(rules, **values)
    assert row.econ_months_to_revenue == 12  # 2027-01 to 2028-01
    assert row.econ_contracted_it_mw == 30 and row.econ_contracted_it_source == "given"
    assert row.econ_capex_per_it_mw_musd == pytest.approx(10.0)  # no cooling share credited
    assert row.econ_prepayment_musd == 50 and row.econ_prepayment_source == "given"
    sites, model = arrays(rules, "training", **values)
    flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
    # the prepayment comes at the decision and is credited evenly over the 12-year lease
    assert flows.prepay[0, 0] == pytest.approx(50.0)
    assert flows.prepay[0, 12:12 + 144] == pytest.approx(-50.0 / 144)
    assert flows.prepay[0].sum() == pytest.approx(0.0, abs=1e-9)
    # the build's spend runs from the decision to the signed first rent
    assert flows.capex[0, ENERGIZED, :12] == pytest.approx(-30 * 10.0 / 12)
    # a first rent signed before the decision counts from it, and says so
    early, _ = one(rules, **{**values, "first_rent": "2026-06"})
    assert early.econ_months_to_revenue == 0
    assert "First rent signed before the decision: counted from the decision." in \
        early.econ_basis
    # a prepayment is worth its timing at the contract rate: more than the rent it replaces
    plain, _ = one(rules, **{k: v for k, v in values.items() if k != "prepayment_musd"})
    assert row.econ_npv_musd > plain.econ_npv_musd


DEAL_TERMS = st.fixed_dictionaries({
    "lease_rate_usd_per_kw_month": st.floats(60.0, 250.0),
    "lease_term_years": st.floats(3.0, 25.0),
    "lease_escalator_pct": st.floats(0.0, 5.0),
    "lease_structure": st.sampled_from(["triple_net", "modified_gross"]),
    "tenant_credit": st.sampled_from(["investment_grade", "backstopped", "unrated"])})


@settings(max_examples=20, deadline=None)
@given(values=SITES, terms=DEAL_TERMS, more=st.floats(0.5, 10.0))
def test_a_longer_contract_at_the_same_rent_never_lowers_the_contract(values, terms, more):
    from pipeline.economics.valuation import contract_pv
    rules = default_rules()
    values = {**values, "power_cost_usd_per_kwh": max(values["power_cost_usd_per_kwh"], 0.03)}
    short, model = arrays(rules, "training", **values, **terms)
    long, model_long = arrays(rules, "training", **values,
                              **{**terms, "lease_term_years": terms["lease_term_years"] + more})
    assert contract_pv(long, long.part(True))[0, 0] >= \
        contract_pv(short, short.part(True))[0, 0] - 1e-9


@settings(max_examples=20, deadline=None)
@given(values=SITES, terms=DEAL_TERMS)
def test_a_better_credit_never_lowers_the_value(values, terms):
    rules = default_rules()
    worth = []
    for credit in ("unrated", "backstopped", "investment_grade"):
        sites, model = arrays(rules, "training", **values, **{**terms, "tenant_credit": credit})
        worth.append(economics.npv(sites, model)[0, 0])
    assert worth[0] <= worth[1] + 1e-9 <= worth[2] + 2e-9


@settings(max_examples=20, deadline=None)
@given(values=SITES, terms=DEAL_TERMS, ltc=st.floats(0.3, 0.95),
       tenor=st.floats(1.0, 30.0), dscr=st.floats(1.0, 2.0))
def test_debt_never_exceeds_either_cap(values, terms, ltc, tenor, dscr):
    """The loan is at most the loan-to-cost share of the cost (the capitalised interest
    counted in both), and its lowest yearly coverage is never below the minimum."""
    from pipeline.economics.debt import size
    rules = default_rules()
    values = {**values, "energized_mw": values["power_capacity_mw"] / 2,
              "interconnection_status": "approved"}
    sites, model = arrays(rules, "training", **values, **terms)
    flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
    debt = size(sites, model, flows, ltc, 0.0775, tenor, dscr)
    capex = (sites.part(True) * sites.capex[:, :, 1]).sum()
    interest = debt.loan[0] - debt.draws[0].sum()
    assert debt.loan[0] <= ltc * (capex + interest) + 1e-6
    if debt.sizing[0] in ("loan_to_cost", "coverage"):
        assert debt.min_dscr[0] >= dscr - 1e-9
    if debt.sizing[0] == "coverage":
        assert debt.min_dscr[0] == pytest.approx(dscr)


# ------------------------------------------------------------------ convert or keep mining

def test_break_even_rent_and_hashprice_hold_when_run_again(rules):
    """At its break-even rent (the re-let's moving with it) the site's NPV is zero; at its
    break-even hashprice, flat (no network growth, no halving), mining is worth the
    conversion: each within 1 M USD."""
    values = {**SITE, **FAR, "power_cost_usd_per_kwh": 0.02, "mining_load_mw": 50.0}
    row, _ = one(rules, **values)
    rent, hashprice = row.econ_breakeven_rent_usd_per_kw_month, \
        row.econ_breakeven_hashprice_usd_per_ph_day
    assert 0 < rent < 128 and hashprice > 39.5
    at_rent = with_settings(rules, [f"economics.lease_usd_per_kw_month=[{rent}, {rent}, {rent}]"])
    assert one(at_rent, **values)[0].econ_npv_musd == pytest.approx(0.0, abs=1.0)
    flat = with_settings(rules, [
        f"economics.hashprice_usd_per_ph_day=[{hashprice}, {hashprice}, {hashprice}]",
        "economics.network_growth_per_year=0.0", "economics.halving_hashprice_cut=0.0"])
    assert one(flat, **values)[0].econ_npv_musd == pytest.approx(0.0, abs=1.0)


def test_the_sites_own_fleet_and_demand_response(rules):
    """A more efficient fleet earns more a MW, so more is given up; demand-response revenue
    the site gives is given up with its mining; a site on ERCOT gives up its grid's default."""
    values = {**SITE, **FAR, "power_cost_usd_per_kwh": 0.01}
    plain, _ = one(rules, **values)
    lean, _ = one(rules, **values, fleet_efficiency_j_per_th=15.0)
    assert lean.econ_fleet_efficiency_source == "given"
    assert lean.econ_mining_value_musd > plain.econ_mining_value_musd
    paid, _ = one(rules, **values, demand_response_musd_per_year=2.0)
    # the 10 MW mining load earns 2 M USD a year; the 8 MW displaced, 1.6
    assert paid.econ_demand_response_musd_per_year == pytest.approx(1.6)
    assert paid.econ_demand_response_source == "given"
    assert paid.econ_mining_value_musd > plain.econ_mining_value_musd
    texas, _ = one(rules, **values, grid_operator="ERCOT")
    assert texas.econ_demand_response_musd_per_year == pytest.approx(8 * 40000 / 1e6)
    assert "demand-response revenue (its grid's default)" in texas.econ_basis


@settings(max_examples=25, deadline=None)
@given(values=SITES, workload=WORKLOADS, low=st.floats(0.2, 3.0), more=st.floats(0.0, 2.0))
def test_a_higher_hashprice_never_raises_the_conversions_value(values, workload, low, more):
    rules = default_rules()
    sites, model = arrays(rules, workload, **values)
    assert economics.npv(sites, model, hashprice=low + more)[0, 0] <= \
        economics.npv(sites, model, hashprice=low)[0, 0] + 1e-9


@settings(max_examples=25, deadline=None)
@given(values=SITES)
def test_a_lower_queue_stage_never_raises_an_options_value(values):
    rules = default_rules()
    values = {**values, "energized_mw": values["power_capacity_mw"] / 2}
    worth = []
    for status in ("in_study", "applied", "none"):
        sites, model = arrays(rules, "training", **values, interconnection_status=status)
        option = economics.npv(sites, model, committed=False)[0, 0]
        worth.append(sites.odds[0] * max(option, 0.0))
    assert worth[0] >= worth[1] - 1e-9 and worth[1] >= worth[2] - 1e-9


def test_country_risk_raises_the_project_and_the_contract_rate(rules):
    texas, _ = one(rules, **SITE, **FAR, country="US")
    kazakh, _ = one(rules, **SITE, **FAR, country="Kazakhstan")
    # Damodaran, January 2024: Kazakhstan (Moody's Baa2) a 2.78 % premium, a 2.07 % spread
    assert (texas.econ_discount_rate_pct, texas.econ_country_premium_pct) == (10, 0)
    assert kazakh.econ_discount_rate_pct == pytest.approx(12.78)
    assert kazakh.econ_country_premium_pct == pytest.approx(2.78)
    assert kazakh.econ_contract_rate_pct == pytest.approx(9.25 + 2.07)
    assert kazakh.econ_npv_musd < texas.econ_npv_musd
    assert kazakh.econ_irr_pct == texas.econ_irr_pct  # the cash is the same; only its price
    assert ("discounted at 12.78% (10% + Kazakhstan's country risk premium of 2.78%, on a "
            "Moody's rating of Baa2; Damodaran, Country Default Spreads and Risk Premiums, "
            "January 2024)") in kazakh.econ_basis
    assert "including Kazakhstan's sovereign default spread of 2.07%" in kazakh.econ_basis
    # by hand: the same site in Texas at the two raised rates
    raised = with_settings(rules, ["economics.discount_rate=[0.1078, 0.1278, 0.1478]",
                                   "economics.contract_rate_unrated=0.1132"])
    by_hand, _ = one(raised, **SITE, **FAR, country="US")
    assert kazakh.econ_npv_musd == pytest.approx(by_hand.econ_npv_musd, abs=0.01)
    off = with_settings(rules, ["economics.country_risk_exposure=0"])
    assert one(off, **SITE, **FAR, country="KZ")[0].econ_npv_musd == texas.econ_npv_musd


def test_a_country_not_given_or_not_listed_adds_nothing_and_says_so(rules):
    bhutan, _ = one(rules, **SITE, **FAR, country="Bhutan")
    unknown, _ = one(rules, **SITE, **FAR, country=None)
    for row in (bhutan, unknown):
        assert (row.econ_discount_rate_pct, row.econ_country_premium_pct) == (10, 0)
    assert "Bhutan is not in the country-premium table: no country risk premium" in \
        bhutan.econ_basis
    assert "country not given: no country risk premium" in unknown.econ_basis


def test_sites_of_several_countries_keep_their_order_and_their_own_figures(rules):
    values = [dict(site_id=f"S-{c}", country=c, **SITE, **FAR)
              for c in ("US", "Kazakhstan", "Norway", "Ethiopia", "US")]
    values[-1]["site_id"] = "S-US2"
    results = [classify_site(site(**v), rules) for v in values]
    chunk = economics.evaluate(results, rules, delays=(0, 1))
    assert chunk.rows["site_id"].tolist() == [v["site_id"] for v in values]
    assert chunk.options["site_id"].drop_duplicates().tolist() == [v["site_id"] for v in values]
    assert chunk.cash_flows["site_id"].drop_duplicates().tolist() == \
        [v["site_id"] for v in values]
    for v, (_, row), tornado in zip(values, chunk.rows.iterrows(), chunk.tornados):
        alone = economics.evaluate([classify_site(site(**v), rules)], rules)
        assert row.econ_npv_musd == alone.rows.iloc[0].econ_npv_musd
        assert tornado == alone.tornados[0]
    single = [economics.evaluate([r], rules).portfolio_draws for r in results]
    assert np.allclose(chunk.portfolio_draws, sum(single))


PREMIUMS = sorted({(p.premium, p.spread, p.country)
                   for p in premium_table("country_premiums.csv").values()})


@settings(max_examples=25, deadline=None)
@given(values=SITES, workload=WORKLOADS,
       pair=st.lists(st.sampled_from(PREMIUMS), min_size=2, max_size=2))
def test_a_riskier_country_never_raises_a_conversions_value(values, workload, pair):
    rules = default_rules()
    (_, _, safer), (_, _, riskier) = sorted(pair)
    worth = []
    for country in (safer, riskier):
        sites, _ = arrays(rules, workload, **values, country=country)
        model = economics.Model(rules, economics.horizon(sites, rules),
                                premium=float(sites.country.premium[0]))
        worth.append(economics.npv(sites, model)[0, 0])
    # a conversion worth doing is worth less in a riskier country; one whose costs outweigh
    # its income for good (a 1 MW site paying a 24x7 team) loses less at a higher rate
    if worth[0] > 0:
        assert worth[1] <= worth[0] + 1e-9
