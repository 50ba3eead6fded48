"""Readable column labels with their units, and the one palette of statuses and buckets.

Machine names (``power_capacity_mw``) stay in ``results.csv``; people read labels
(``Power capacity (MW)``) in the workbook, the PDFs and the template. An input column's
unit comes from :mod:`pipeline.contract`; a derived column's from its name's unit suffix.
Colours for statuses, verdicts, readiness and buckets live here only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline import contract

# Unit suffixes of derived column names and how they are shown, longest first.
UNIT_SUFFIXES = (
    ("_musd_per_year", "M USD/yr"), ("_usd_per_kwh", "USD/kWh"), ("_per_year", "/yr"),
    ("_musd", "M USD"), ("_years", "years"), ("_months", "months"), ("_miles", "miles"),
    ("_gbps", "Gbit/s"), ("_mw", "MW"), ("_kw", "kW"), ("_ms", "ms"), ("_pct", "%"),
)

# Words a plain ``_`` -> space rewrite would get wrong, and headings said better in full.
WORDS = {"id": "ID", "rtt": "round trip", "dc": "DC", "sla": "SLA", "24x7": "24x7",
         "100g": "100G", "it": "IT", "econ": "", "pue": "PUE", "mw": "MW", "npv": "NPV",
         "irr": "IRR", "p10": "P10", "p90": "P90"}
NAMED = {
    "site_id": "Site ID", "report": "Report (PDF)", "source_row": "Input row", "rank": "Rank",
    "training_score": "Training score (0-100)", "inference_score": "Inference score (0-100)",
    "what_would_flip_it": "What would make it ready", "mullet_note": "Mullet mining",
    "better_bucket": "What would move it to a better bucket",
    "curtailment_hours_per_year": "Curtailment per year (hours)",
    "staffing_24x7": "Staffed 24x7", "path_to_100g": "Path to 100G uplink",
    "metro_rtt_ms": "Round trip to metro (ms)",
    "estimated_rtt_ms": "Estimated round trip (ms)",
    "nearest_ix": "Nearest internet exchange",
    "ix_distance_miles": "Internet exchange distance (miles)",
    "ix_rtt_ms": "Internet exchange round trip, estimated (ms)",
    "cloud_region_rtt_ms": "Cloud region round trip, estimated (ms)",
    "climate_zone": "Climate zone (Köppen-Geiger)", "climate_band": "Cooling climate band",
    "econ_workload": "Economics workload", "econ_cooling_design": "Cooling design built",
    "econ_it_mw": "Critical IT, energized today (MW)",
    "econ_it_mw_full": "Critical IT with the expansion (MW)",
    "econ_capex_per_it_mw_musd": "Capex per MW of IT (M USD)",
    "econ_cost_to_ready_musd": "Cost to ready (M USD)",
    "econ_ready_opex_musd_per_year": "Cost to ready, yearly (M USD/yr)",
    "econ_cost_to_ready_lines": "What would make it ready, priced",
    "econ_months_to_revenue": "Months from decision to first rent",
    "econ_noi_musd_per_year": "Net operating income (M USD/yr)",
    "econ_npv_musd": "NPV (M USD)", "econ_npv_low_musd": "NPV, low case (M USD)",
    "econ_npv_high_musd": "NPV, high case (M USD)", "econ_npv_p10_musd": "NPV, P10 (M USD)",
    "econ_npv_p50_musd": "NPV, P50 (M USD)", "econ_npv_p90_musd": "NPV, P90 (M USD)",
    "econ_irr_pct": "IRR, unlevered (%)",
    "econ_payback_years": "Payback from decision (years)",
    "econ_npv_driver": "Assumption that moves NPV most",
    "econ_equity_driver": "Term that moves the equity IRR most",
    "econ_lease_musd_per_year": "Lease income (M USD/yr)",
    "econ_net_musd_per_year": "Net cash (M USD/yr)",
    "econ_binding_constraint": "Binding constraint",
    "econ_payback_best_years": "Payback, best case (years)",
    "econ_payback_worst_years": "Payback, worst case (years)",
    "econ_basis": "How the economics were worked out",
    "econ_inference_it_mw": "Critical IT leased as inference (MW)",
    "econ_npv_committed_musd": "NPV, committed phases (M USD)",
    "econ_npv_option_musd": "NPV, option phases at their odds (M USD)",
    "econ_option_it_mw": "Critical IT in option phases (MW)",
    "econ_option_capex_musd": "Capex of option phases (M USD)",
    "econ_option_decide_month": "Month to decide the option",
    "econ_residual_value_musd": "Residual value at re-let (M USD)",
    "econ_npv_residual_musd": "NPV of the residual after the lease (M USD)",
    "econ_npv_contract_musd": "NPV of the contract alone (M USD)",
    "econ_residual_share_pct": "Residual's share of the income's value (%)",
    "econ_contract_rate_pct": "Contract discount rate (%)",
    "econ_discount_rate_pct": "Project discount rate (%)",
    "econ_country_premium_pct": "Country risk premium (%)",
    "econ_lease_rate_usd_per_kw_month": "Year-1 lease rate used (USD/kW-month)",
    "econ_lease_rate_source": "Lease rate: given or default",
    "econ_lease_term_years": "Lease term used (years)",
    "econ_lease_term_source": "Lease term: given or default",
    "econ_lease_escalator_pct": "Escalator used (% a year)",
    "econ_lease_escalator_source": "Escalator: given or default",
    "econ_lease_structure": "Lease structure used",
    "econ_lease_structure_source": "Lease structure: given or default",
    "econ_contracted_it_mw": "Critical IT leased, committed phases (MW)",
    "econ_contracted_it_source": "Critical IT leased: given or default",
    "econ_tenant_credit": "Tenant credit used",
    "econ_tenant_credit_source": "Tenant credit: given or default",
    "econ_capex_source": "Capex per MW: given or default",
    "econ_first_rent_source": "First rent: given or default",
    "econ_prepayment_musd": "Prepayment used (M USD)",
    "econ_prepayment_source": "Prepayment: given or default",
    "econ_landlord_power_musd_per_year": "Power the landlord pays (M USD/yr)",
    "econ_debt_musd": "Project debt at first rent (M USD)",
    "econ_debt_sizing": "What bounds the debt",
    "econ_debt_balloon_musd": "Debt balloon at lease end (M USD)",
    "econ_avg_dscr": "Average debt service coverage (x)",
    "econ_npv_ai_musd": "NPV of the AI conversion, before mining (M USD)",
    "econ_mining_value_musd": "Mining given up, present value (M USD)",
    "econ_bridge_margin_musd": "Mining kept through the build, present value (M USD)",
    "econ_breakeven_rent_usd_per_kw_month": "Break-even year-1 rent (USD/kW-month)",
    "econ_breakeven_hashprice_usd_per_ph_day": "Break-even hashprice, flat (USD/PH/day)",
    "econ_npv_option_unrisked_musd": "NPV, option phases if certain (M USD)",
    "econ_option_odds_pct": "Odds the option's power comes (%)",
    "econ_fleet_efficiency_source": "Fleet efficiency: given or default",
    "econ_demand_response_musd_per_year": "Demand response given up (M USD/yr)",
    "econ_demand_response_source": "Demand response: given or default",
    "econ_equity_irr_pct": "IRR, equity (%)",
    "econ_equity_multiple": "Equity multiple (x)",
    "econ_peak_equity_musd": "Peak equity (M USD)",
    "econ_min_dscr": "Minimum debt service coverage (x)",
    "econ_yield_on_cost_pct": "Yield on cost (%)",
    "econ_development_spread_pct": "Development spread over stabilized cap rate (%)",
    "econ_value_created_musd": "Value created at stabilization (M USD)",
    "econ_phases": "Phases",
    "cash_series": "Cash flow",
    "assumption": "Rules key", "means": "What it is", "low": "Low", "base": "Base",
    "high": "High", "value": "Value", "unit": "Unit", "source": "Source", "as_of": "As of",
    # the conversion plan
    "it_mw": "Critical IT as planned (MW)", "mw": "Critical IT (MW)",
    "npv_musd": "NPV as planned (M USD)", "capex_musd": "Capex as planned (M USD)",
    "irr_pct": "IRR as planned (%)", "equity_irr_pct": "Equity IRR as planned (%)",
    "equity_musd": "Equity as planned (M USD)", "chosen": "Chosen by the plan",
    "not_a_candidate_because": "Why the plan may not choose it",
    "best_npv_musd": "Best option's NPV (M USD)",
    "capex_musd_later": "Capex spent after the last start year (M USD)",
    "capex_musd_per_year": "Capex available each start year (M USD/yr)",
    "budget_share": "Share of the budget",
    "capex_limit_musd": "Capex limits of the start years, in all (M USD)",
    "npv_gain_musd": "NPV added by one step (M USD)",
}


# A column for one calendar year, as the plan has them: ``capex_musd_2027``, ``mw_2027``.
YEAR_COLUMN = re.compile(r"(.+)_(\d{4})")
# Their headings: money is spent in a year; MW is counted in the year its conversion starts.
YEAR_WORDS = {"capex_musd": "Capex spent in {year} (M USD)",
              "equity_musd": "Equity spent in {year} (M USD)",
              "mw": "Critical IT starting in {year} (MW)"}
BARE_UNITS = {"mw": "MW"}  # a unit that is the whole stem of a year column

# Parts of a column said after a colon: the Gate detail's ``power_reason`` -> ``Power: why``.
PARTS = (("_reason", "why"), ("_to_pass", "to pass"))


def label(name: str) -> str:
    """The heading people read for a column: ``power_capacity_mw`` -> ``Power capacity (MW)``,
    ``training_power`` -> ``Training power``; an unknown column is tidied the same way."""
    name = str(name)
    if name in NAMED:
        return NAMED[name]
    if year := YEAR_COLUMN.fullmatch(name):
        if said := YEAR_WORDS.get(year[1]):
            return said.format(year=year[2])
        return f"{label(year[1])}, {year[2]}"
    if year := CASH_YEAR.fullmatch(name):
        return f"Year {year[1]}: {_cash_span(year)} (M USD)"
    for suffix, part in PARTS:
        if name.endswith(suffix) and len(name) > len(suffix):
            return f"{label(name[:-len(suffix)])}: {part}"
    column = contract.BY_NAME.get(name)
    unit = column.unit_label if column else ""
    stem = name
    for suffix, shown in UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem, unit = name[: -len(suffix)], unit or shown
            break
    words = [WORDS.get(word.lower(), word) for word in re.split(r"[_\s]+", stem)]
    text = " ".join(word for word in words if word) or name
    text = text[:1].upper() + text[1:]
    return f"{text} ({unit})" if unit and unit != "degrees" else text


# Units of columns whose names do not end in one; counts, ranks and years need none.
NAMED_UNITS = {
    "econ_lease_rate_usd_per_kw_month": "USD/kW-month",
    "econ_breakeven_rent_usd_per_kw_month": "USD/kW-month",
    "econ_breakeven_hashprice_usd_per_ph_day": "USD/PH/day",
    "econ_min_dscr": "x", "econ_avg_dscr": "x", "econ_equity_multiple": "x",
    "econ_it_mw_full": "MW", "econ_months_to_revenue": "months",
    "econ_option_decide_month": "months", "months_to_power": "months",
    "training_score": "0-100", "inference_score": "0-100", "optimality_gap": "share",
}


def unit(name: str) -> str:
    """The unit a column's numbers are in, "" for none."""
    if name in NAMED_UNITS:
        return NAMED_UNITS[name]
    column = contract.BY_NAME.get(name)
    if column is not None:
        return column.unit_label
    if year := YEAR_COLUMN.fullmatch(name):
        return BARE_UNITS.get(year[1]) or unit(year[1])
    if CASH_YEAR.fullmatch(name):
        return "M USD"
    return next((shown for suffix, shown in UNIT_SUFFIXES if name.endswith(suffix)), "")


# Summed units whose sum still means nothing for some columns: a ratio per MW, a
# percentile of one site (the sum of P10s is not the portfolio's P10).
_NOT_ADDED = re.compile(r"_per_|_p\d\d(_|$)")


SUMMED_UNITS = {"MW", "M USD", "M USD/yr"}


def adds_up(name: str) -> bool:
    """Whether a column's total over rows of distinct sites means something: capacity and
    money do, ratios and percentiles do not."""
    return unit(name) in SUMMED_UNITS and not _NOT_ADDED.search(str(name))


def meaning(name: str) -> str:
    """What a column holds, in a sentence: the contract's words for an input column, else
    its own sentence, or its family's (a workload's gate, where a value came from, a year)."""
    column = contract.BY_NAME.get(name)
    if column is not None:
        return f"{column.label} (input; {column.expected})."
    for suffix, _ in PARTS:
        if name.endswith(suffix) and name[:-len(suffix)] in GATE_DETAIL_MEANINGS:
            return GATE_DETAIL_MEANINGS[suffix]
    if known := DERIVED_MEANINGS.get(name) or GATE_DETAIL_MEANINGS.get(name):
        return known
    if gate := _WORKLOAD_GATE.fullmatch(name):
        return (f"The {gate[2]} gate's status for AI {gate[1]}: pass, conditional, unknown or "
                "fail (why, on the Gate detail sheet).")
    if name.endswith("_source") and (about := name[:-len("_source")]):
        return (f"Where the site's {label(about).lower()} came from: given in the input, "
                "computed from the coordinates, or estimated.")
    if year := CASH_YEAR.fullmatch(name):
        return (f"Cash in year {year[1]} after the decision ({_cash_span(year)}; months "
                f"{12 * (int(year[1]) - 1)}-{12 * int(year[1]) - 1}), M USD; the discount "
                "factor rows are factors, not money.")
    if year := YEAR_COLUMN.fullmatch(name):
        return {"capex_musd": f"Capex the plan spends in calendar year {year[2]}, M USD.",
                "equity_musd": f"Equity the option spends in calendar year {year[2]}, M "
                               "USD.",
                "mw": f"Critical IT of the conversions the plan starts in {year[2]}, MW.",
                }.get(year[1], "")
    return ""


# The Cash flows sheet's years from the decision: year_1_2027_01 is the 12 months from
# January 2027.
CASH_YEAR = re.compile(r"year_(\d+)_(\d{4})_(\d{2})")


def _cash_span(year: re.Match) -> str:
    """The calendar months of a Cash flows year: "2027", or "2027-07 to 2028-06"."""
    first = int(year[2]) * 12 + int(year[3]) - 1 + 12 * (int(year[1]) - 1)
    last = first + 11
    if first % 12 == 0:
        return str(first // 12)
    return f"{first // 12}-{first % 12 + 1:02d} to {last // 12}-{last % 12 + 1:02d}"
_WORKLOAD_GATE = re.compile(r"(training|inference)_(location|power|cooling|networking|"
                            r"operations)")


DERIVED_MEANINGS = {
    "bucket": "Training, Inference, Hybrid (both) or Neither.",
    "readiness": "ready: every gate of its workload(s) passes today; not yet: a gate is "
                 "conditional or unknown.",
    "training_verdict": "fit, conditional or unfit for AI training.",
    "inference_verdict": "fit, conditional or unfit for AI inference.",
    "training_score": "0-100, from the training gates' statuses.",
    "inference_score": "0-100, from the inference gates' statuses.",
    "disqualifiers": "Portfolio-level disqualifiers that fired for the site.",
    "next_actions": "What to do next, gate by gate.",
    "what_would_flip_it": "The smallest input changes that would make the site ready.",
    "better_bucket": "The fewest input changes that would move the site to a better bucket "
                     "(Training or Inference to Hybrid, Neither to either), checked by "
                     "classifying the changed site again.",
    "data_gaps": "Inputs that were missing, and the gates they leave unknown.",
    "verdict": "fit, conditional or unfit for the row's workload.",
    "source_row": "The row of the input sheet the site came from.",
    "report": "The site's PDF report, relative to this workbook.",
    # the conversion plan (docs/plan.md)
    "converted": "yes: the plan converts the site; no: it is left to mining.",
    "chosen": "yes: the plan chose this option (plan-options.csv has every option).",
    "not_a_candidate_because": "Why the plan may not choose the option (blank: it may): a "
                               "start outside the plan's years, the site forced out, not the "
                               "Hybrid workload the plan fixes, below the hurdle.",
    "capex_musd_later": "Capex the plan's conversion spends after the last start year, all "
                        "years, M USD (on the spent basis each of those years is within the "
                        "last start year's limit).",
    "best_npv_musd": "The NPV of the site's best option in the plan's start years, chosen or "
                     "not: what a site left out would have been worth, M USD.",
    "equity_irr_pct": "Equity IRR of the option after its project debt, %.",
    "equity_musd": "Equity the option needs: its capex less its debt, M USD.",
    "start_year": "The calendar year the plan starts the site's conversion in.",
    "reason": "Why the plan converts the site from that year, or why it leaves it out "
              "(below the hurdle, a budget or MW limit, forced out, not a candidate).",
    "optimality_gap": "How far below the best possible NPV the plan may be, as a share.",
    "npv_gain_musd": "The NPV the plan gains when this limit alone is raised by its step.",
    "workload": "The workload the plan converts the site for: training, inference, or the "
                "Hybrid split (an inference block, training for the rest).",
    "npv_musd": "NPV of the site's conversion as the plan chooses it (workload and start "
                "year), at the decision date, M USD.",
    "npv_p10_musd": "The site's own 10th percentile of that NPV over the seeded draws; a sum "
                    "of these is not the portfolio's P10.",
    "npv_p90_musd": "The site's own 90th percentile of that NPV over the seeded draws; a sum "
                    "of these is not the portfolio's P90.",
    "irr_pct": "Unlevered IRR of the conversion as the plan chooses it, %.",
    "capex_musd": "Capex of the conversion as the plan chooses it, all years, M USD.",
    "it_mw": "Critical IT the conversion as the plan chooses it leases, MW.",
    "year": "The start year the limit applies to.",
    "limit": "Which limit: capex, equity or critical IT MW in a start year.",
    "unit": "The unit of the row's figures.",
    "used": "How much of the limit the plan uses.",
    "limit_value": "The limit the plan file sets for the year; blank: no limit set.",
    "step": "How much the limit is raised by to measure what one more step adds.",
    "method": "How the step's value was found: the plan solved again, or the dual of its "
              "linear relaxation times the step.",
    "capex_musd_per_year": "The capex the plan may spend in each start year, M USD.",
    "budget_share": "The point's budget as a share of the plan's own capex limits (1: the "
                    "plan itself) or, where it sets none, of the capex of the plan with no "
                    "capex limit.",
    "capex_limit_musd": "The total of the start years' capex limits at the frontier point "
                        "(years without a limit left out), M USD.",
    "sites": "Sites the plan converts at this budget.",
    "rank": "The site's place by NPV, highest first.",
    # results: what holds a site back, its risks, its power and the market
    "mullet_note": "For a site that keeps mining beside AI: the mining kept as flexible load "
                   "that curtails first.",
    "held_back_by": "What keeps the site from ready: power not yet energized, permits, "
                    "opposition, water and the gates short of pass.",
    "deal_risks": "Risks a lender or tenant will ask about: export controls and sanctions, "
                  "water stress, opposition, the country's risk.",
    "power_now_mw": "Power energized today, MW.",
    "power_pending_mw": "Power not yet energized: the rest of the capacity and the expansion, "
                        "MW.",
    "months_to_power": "Months until the pending power is energized: given, or estimated from "
                       "the interconnection status.",
    "power_timeline": "The site's power in words: what is energized now and when the rest is "
                      "expected.",
    "large_load_regime": "The large-load rules of the site's grid operator (Texas SB6...), "
                         "where they apply.",
    "market_scale": "Where the site's power sits in the AI leasing market: enterprise, "
                    "mid-size or campus.",
    # location, as enriched
    "computed_metro": "The nearest major metro to the coordinates.",
    "computed_metro_distance_miles": "Great-circle miles from the coordinates to that metro.",
    "estimated_rtt_ms": "Round trip to the metro estimated from the distance over fiber, ms.",
    "location_check": "Where the given metro or distance disagrees with the coordinates.",
    "climate_band": "The cooling climate band of the site's climate zone, which sets its "
                    "design PUE.",
    "nearest_cloud_region": "The nearest AWS, Azure or Google Cloud region.",
    "cloud_region_distance_miles": "Great-circle miles to that cloud region.",
    "cloud_region_rtt_ms": "Round trip to that cloud region estimated from the distance, ms.",
    "nearest_ix": "The nearest internet exchange of the bundled list.",
    "ix_distance_miles": "Great-circle miles to that internet exchange.",
    "ix_rtt_ms": "Round trip to that internet exchange estimated from the distance, ms.",
    "location_conflicts": "Where the given country, region or metro disagree with the "
                          "coordinates, or the coordinates fall in the sea.",
    # economics (docs/economics.md)
    "econ_workload": "The workload the headline economics value: the bucket's, a Hybrid as "
                     "the market leases it.",
    "econ_cooling_design": "The cooling the halls are designed with: liquid or air.",
    "econ_it_mw": "Critical IT on the power energized today, MW.",
    "econ_it_mw_full": "Critical IT once the pending power and the expansion are energized, "
                       "MW.",
    "econ_inference_it_mw": "Critical IT leased as inference (a Hybrid's inference block), MW.",
    "econ_binding_constraint": "What takes the most MW between the site's power and its "
                               "critical IT.",
    "econ_capex_musd": "Capex of the committed phases: halls, power for later phases and the "
                       "fixes to ready, M USD.",
    "econ_capex_per_it_mw_musd": "Committed capex per MW of critical IT, M USD; a ratio, "
                                 "not summed.",
    "econ_cost_to_ready_musd": "One-off cost of the fixes that make the site ready, M USD.",
    "econ_ready_opex_musd_per_year": "Yearly cost of the fixes that recur (a 24x7 team), M "
                                     "USD a year.",
    "econ_cost_to_ready_lines": "Each fix to ready with its price.",
    "econ_months_to_revenue": "Months from the decision date to the first rent.",
    "econ_lease_musd_per_year": "Rent of the committed phases in a full year before "
                                "escalation, M USD a year.",
    "econ_noi_musd_per_year": "Net operating income: the rent times the NOI margin, M USD a "
                              "year.",
    "econ_mining_margin_forgone_musd_per_year": "The mining business given up in the first "
                                                "year after the build: margin and demand "
                                                "response, M USD.",
    "econ_net_musd_per_year": "NOI less the mining margin forgone and the yearly cost to "
                              "ready, M USD a year.",
    "econ_npv_musd": "NPV of the committed phases at the decision date, for the evaluated "
                     "workload, starting now, M USD.",
    "econ_npv_committed_musd": "The same NPV: the phases built now.",
    "econ_npv_option_musd": "Value of the phases on power not yet approved: their NPV if "
                            "positive (the board builds them only then), times the odds that "
                            "their power comes, M USD.",
    "econ_option_it_mw": "Critical IT of the option phases, MW.",
    "econ_option_capex_musd": "Capex of the option phases, M USD.",
    "econ_option_decide_month": "The month the board must decide an option phase by, from "
                                "the decision date.",
    "econ_residual_value_musd": "The committed phases' value when re-let after their "
                                "leases, undiscounted, M USD.",
    "econ_npv_residual_musd": "The residual's present value at the project's discount rate: "
                              "the part of NPV after the contracts, M USD.",
    "econ_npv_contract_musd": "NPV of the contracts alone: their cash at the contract rate, "
                              "less the capex and the site's costs, M USD.",
    "econ_residual_share_pct": "The residual's share of the present value of the income "
                               "(contract and residual), %.",
    "econ_contract_rate_pct": "The yearly rate the contracted cash is discounted at: the "
                              "tenant credit class's, plus the country's sovereign default "
                              "spread, %.",
    "econ_discount_rate_pct": "The yearly rate the capex, the mining given up and the "
                              "residual are discounted at: the rules' base rate plus the "
                              "country risk premium, %.",
    "econ_country_premium_pct": "The country's equity risk premium over a mature market "
                                "(Damodaran), times the rules' exposure, added to the "
                                "project's discount rate, %.",
    "econ_lease_rate_usd_per_kw_month": "The year-1 lease rate the economics used, USD per kW "
                                        "of critical IT a month.",
    "econ_lease_rate_source": "Whether the lease rate was given by the site or the default.",
    "econ_lease_term_years": "The lease term the economics used, years.",
    "econ_lease_term_source": "Whether the lease term was given by the site or the default.",
    "econ_lease_escalator_pct": "The yearly rent escalator the economics used, %.",
    "econ_lease_escalator_source": "Whether the escalator was given by the site or the "
                                   "default.",
    "econ_lease_structure": "The lease structure the economics used: who pays power and the "
                            "operating costs.",
    "econ_lease_structure_source": "Whether the lease structure was given by the site or the "
                                   "default.",
    "econ_contracted_it_mw": "Critical IT of the committed phases, on which rent is paid, MW.",
    "econ_contracted_it_source": "Whether the contracted critical IT was given by the site or "
                                 "built from its power (default).",
    "econ_tenant_credit": "The tenant credit class the economics used.",
    "econ_tenant_credit_source": "Whether the tenant credit was given by the site or the "
                                 "default.",
    "econ_capex_source": "Whether the capex per MW of IT was a quote given by the site or "
                         "the rules' default.",
    "econ_first_rent_source": "Whether the first rent was given by the site or follows the "
                              "build (default).",
    "econ_prepayment_musd": "Rent prepaid at signing, M USD.",
    "econ_prepayment_source": "Whether a prepayment was given by the site (default: none).",
    "econ_landlord_power_musd_per_year": "Power the landlord pays for the tenant under a gross "
                                         "lease, a full year, M USD.",
    "econ_npv_ai_musd": "NPV of the AI conversion alone, before the mining it gives up, M USD.",
    "econ_mining_value_musd": "Present value of the mining business the conversion gives up "
                              "after the build (margin and demand response, less the "
                              "fleet's resale), M USD.",
    "econ_bridge_margin_musd": "Present value of the mining margin the miners earn until the "
                               "halls take their power: kept either way, so not in NPV, M USD.",
    "econ_breakeven_rent_usd_per_kw_month": "The year-1 rent at which NPV is zero, the "
                                            "re-let's rent moving with it, USD/kW-month.",
    "econ_breakeven_hashprice_usd_per_ph_day": "The flat hashprice at which the mining given "
                                               "up is worth the AI conversion, USD/PH/day.",
    "econ_npv_option_unrisked_musd": "NPV of the option phases as if their power were certain, "
                                     "M USD.",
    "econ_option_odds_pct": "The chance the option phases' power is energized, by its "
                            "interconnection stage, %.",
    "econ_fleet_efficiency_source": "Whether the fleet's efficiency was given by the site or "
                                    "the rules' default.",
    "econ_demand_response_musd_per_year": "Curtailment and demand-response revenue given up "
                                          "with the mining, a year, M USD.",
    "econ_demand_response_source": "Whether the demand-response revenue was given by the site "
                                   "or its grid's default.",
    "econ_npv_low_musd": "NPV with every assumption at its worse end, M USD.",
    "econ_npv_high_musd": "NPV with every assumption at its better end, M USD.",
    "econ_npv_p10_musd": "The site's own 10th percentile of NPV over the seeded draws; a sum "
                         "of these is not the portfolio's P10.",
    "econ_npv_p50_musd": "The site's own median NPV over the seeded draws.",
    "econ_npv_p90_musd": "The site's own 90th percentile of NPV over the seeded draws; a sum "
                         "of these is not the portfolio's P90.",
    "econ_irr_pct": "Unlevered IRR of the committed cash by year, %.",
    "econ_payback_years": "Years from the decision until the cash spent is earned back.",
    "econ_payback_best_years": "Payback with every assumption at its better end, years.",
    "econ_payback_worst_years": "Payback with every assumption at its worse end, years.",
    "econ_debt_musd": "Project debt at first rent, the capitalised interest included: the "
                      "lesser of the loan-to-cost cap and what the contracted NOI covers, "
                      "M USD.",
    "econ_debt_sizing": "What bounds the debt: loan-to-cost, coverage, cannot be sized, or no "
                        "debt.",
    "econ_debt_balloon_musd": "What is still owed when the lease ends, M USD.",
    "econ_avg_dscr": "The average yearly ratio of contracted NOI to debt service.",
    "econ_equity_irr_pct": "IRR of the equity's cash after debt service, %.",
    "econ_equity_multiple": "What the equity gets back over what it puts in.",
    "econ_peak_equity_musd": "The most cash the equity has in at once, M USD.",
    "econ_min_dscr": "The lowest yearly ratio of contracted NOI to debt service once rent is "
                     "stable; never below the rules' minimum.",
    "econ_yield_on_cost_pct": "Stabilized NOI over the committed capex, %.",
    "econ_development_spread_pct": "Yield on cost less the stabilized cap rate, percentage "
                                   "points.",
    "econ_value_created_musd": "Stabilized NOI at the stabilized cap rate, less the capex, "
                               "M USD.",
    "econ_phases": "Each phase: its MW, workload, whether committed, capex, first rent and "
                   "yield.",
    "econ_npv_driver": "The assumption that moves NPV most, with NPV at its two ends.",
    "econ_equity_driver": "The financing term that moves the equity IRR most, with the IRR "
                          "at its two ends.",
    "econ_basis": "The arithmetic of the site's economics in words, with the inputs and the "
                  "assumptions used.",
    "cash_series": "Which cash the row holds: a phase's (committed or option), the "
                   "committed cash's present value, or the equity's cash after debt.",
    # the Assumptions sheet
    "assumption": "The assumption's key in the rules file (set it with --rules or --set).",
    "means": "What the assumption is.",
    "low": "Its low end (worse or better, as the assumption runs).",
    "base": "Its base value, used for the headline figures.",
    "high": "Its high end.",
    "value": "Its value, where it has no low and high.",
    "source": "Where the default comes from, or the file that set it.",
    "as_of": "The month the default was last checked.",
    # the Rejected sheet
    "file": "The input file.",
    "sheet": "The sheet of the input file.",
    "row": "The row of the sheet.",
    "column": "The column, by its contract name.",
    "problem": "What is wrong with the value and what to do.",
}


# The Gate detail sheet: a gate's status, why, and what would make it pass.
GATE_DETAIL_MEANINGS = {
    **{gate: f"The {gate} gate's status for the row's workload: pass, conditional, unknown "
             "or fail." for gate in ("location", "power", "cooling", "networking", "operations")},
    "_reason": "Why the gate has its status, naming the inputs and the thresholds that "
               "decided it; for an unknown, its range and the inputs missing.",
    "_to_pass": "The input changes the rules ask for the gate to pass (blank where it passes).",
}


@dataclass(frozen=True)
class Colour:
    """A value's colours: ``fill`` behind it, ``ink`` for its text on that fill, and
    ``strong`` for marks (chart bars, map dots)."""

    fill: str
    ink: str
    strong: str


GOOD = Colour("#C6EFCE", "#205C28", "#4E9A5B")
FAIR = Colour("#FFEB9C", "#6B5200", "#D9A400")
OPEN = Colour("#D9E1F2", "#1F3864", "#7F96C4")
BAD = Colour("#FFC7CE", "#8C1B24", "#C0392B")

PALETTE: dict[str, Colour] = {
    # gate statuses, workload verdicts, readiness
    "pass": GOOD, "fit": GOOD, "ready": GOOD,
    "conditional": FAIR, "not yet": FAIR,
    "unknown": OPEN,
    "fail": BAD, "unfit": BAD,
    # buckets
    "Training": Colour("#DDEBF7", "#1F3864", "#5B9BD5"),
    "Inference": Colour("#E2EFDA", "#375623", "#70AD47"),
    "Hybrid": Colour("#FCE4D6", "#843C0C", "#ED7D31"),
    "Neither": Colour("#EDEDED", "#3A3A3A", "#A5A5A5"),
}
STATUSES = ("pass", "conditional", "unknown", "fail")
BUCKETS = ("Training", "Inference", "Hybrid", "Neither")
HEADER = Colour("#1F3864", "#FFFFFF", "#1F3864")  # headings: white on navy
OPTIONAL_HEADER = Colour("#D9E1F2", "#1B1B1B", "#1F3864")


def palette_css() -> str:
    """The palette as CSS classes, ``.s-<status>`` and ``.b-<bucket>``, for HTML reports."""
    rules = [f".s-{s.replace(' ', '-')} {{ background: {PALETTE[s].fill}; "
             f"color: {PALETTE[s].ink}; }}" for s in STATUSES]
    rules += [f".b-{b} {{ background: {PALETTE[b].fill}; }}" for b in BUCKETS]
    return "\n".join(rules) + "\n"


# A machine name in generated text: lower-case words joined by underscores.
_MACHINE_NAME = re.compile(r"\b([a-z0-9]+(?:_[a-z0-9]+)+)\b( [^;→]*→)?")


@lru_cache(maxsize=1)
def _machine_words() -> dict[str, str]:
    """Every column's machine name with its label less the unit (a value beside it carries
    its own), and every choice spelled with spaces."""
    words = {name: re.sub(r" \([^)]*\)$", "", label(name))
             for name in (*(c.name for c in contract.COLUMNS), *NAMED) if "_" in name}
    words.update({choice: choice.replace("_", " ") for c in contract.COLUMNS
                  for choice in c.choices if "_" in choice})
    return words


def readable(text: str) -> str:
    """Generated text (reasons, actions, what would flip a site) as people read it: every
    column's machine name becomes its label and every choice words, so ``rack_density_kw 12
    kW → 40 kW`` reads ``Rack density: 12 kW → 40 kW``. Mid-sentence, a label starts in
    lower case. Text without an underscore is returned as it is."""
    if "_" not in text:
        return text
    words = _machine_words()

    def say(match: re.Match) -> str:
        word = words.get(match.group(1))
        if word is None:
            return match.group(0)
        starts = match.start() == 0 or text[:match.start()].rstrip().endswith((".", ":", ";"))
        if not starts and not word[1:2].isupper():
            word = word[:1].lower() + word[1:]
        return word + (":" + match.group(2) if match.group(2) else "")

    return _MACHINE_NAME.sub(say, text)


def choice_words(name: str, value: str) -> str:
    """An input's choice as words (``in_progress`` -> ``in progress``); any other value of
    any other column as it is."""
    column = contract.BY_NAME.get(name)
    if column is not None and value in column.choices:
        return value.replace("_", " ")
    return value
