"""The words a person reads about a site's economics: the basis of its figures, its phases,
what binds its critical IT, its deal terms and how its debt was sized. The model hands
these numbers and codes; nothing here is parsed back."""

from __future__ import annotations

import numpy as np

from pipeline.contract import show_number
from pipeline.economics.debt import COVERAGE, LOAN_TO_COST, NO_DEBT, UNSIZED, Debt
from pipeline.economics.phases import Sites
from pipeline.economics.plans import (BASE, BLOCK, ENERGIZED, LATER, PHASE_NAMES, SPLIT, Plan,
                                      status_words, wait_words)
from pipeline.economics.terms import GROSS, MODIFIED_GROSS, TRIPLE_NET, Terms
from pipeline.rules import Rules

STRUCTURES = {TRIPLE_NET: "triple-net", MODIFIED_GROSS: "modified gross", GROSS: "gross"}
STRUCTURE_PAYS = {TRIPLE_NET: "the tenant pays power and the operating costs",
                  MODIFIED_GROSS: "the tenant pays power, the landlord the operating costs",
                  GROSS: "the landlord pays power and the operating costs"}
CREDITS = {"investment_grade": "investment grade", "backstopped": "backstopped",
           "unrated": "unrated"}
CREDIT_WORDS = {"investment_grade": "an investment-grade tenant",
                "backstopped": "a tenant backstopped by an investment-grade party",
                "unrated": "an unrated tenant"}
SIZINGS = {LOAN_TO_COST: "loan-to-cost", COVERAGE: "coverage", UNSIZED: "cannot be sized",
           NO_DEBT: "no debt"}


def money(x: float) -> str:
    return f"{'-' if x < 0 else ''}${show_number(round(abs(float(x)), 1))}M"


def percent(x: float | None) -> str:
    return "none" if x is None else f"{show_number(x)}%"


def binding(sites: Sites) -> list[str]:
    """What takes the most MW between each site's gross power and its critical IT today."""
    kept = np.array([p.kept_mw for p in sites.plans])
    pue = np.array([[ph.pue for ph in p.phases] for p in sites.plans])
    power = np.array([[ph.power_mw for ph in p.phases] for p in sites.plans])
    after_pue = (power / pue).sum(axis=1)
    design = power.sum(axis=1)
    losses = np.column_stack([sites.it_later, kept, design - after_pue,
                              after_pue - sites.it_now - sites.it_later])
    names = ("{later} not yet energized", "mining kept as flexible load",
             "{design}-cooling design PUE", "{workload} redundancy and house-load reserve")
    return [names[k].format(design=p.design, workload=p.workload, later=later_words(p))
            for k, p in zip(losses.argmax(axis=1).tolist(), sites.plans)]


def later_words(p: Plan) -> str:
    """What a site's later phase waits for: its expansion alone where all its contracted
    power is energized, else power."""
    t = p.power
    if t.energized_mw is not None and t.energized_mw >= t.capacity_mw:
        return "expansion"
    return "power"


def phase_words(sites: Sites, stable: np.ndarray) -> list[str]:
    """Each phase with IT: its MW, workload, whether committed, capex, first rent, yield on
    cost and value created (at the stabilized cap rate)."""
    n = show_number
    capex = sites.capex[:, :, BASE]
    with np.errstate(divide="ignore", invalid="ignore"):
        yoc = np.round(np.where(capex > 0, stable / capex * 100, 0.0), 1).tolist()
    figures = zip(sites.plans, np.round(sites.it, 2).tolist(), np.round(capex, 1).tolist(),
                  sites.start[:, :, BASE].tolist(), sites.spend_months().tolist(), yoc,
                  sites.committed.tolist())
    texts = []
    for p, it, spent, start, months, yields, committed in figures:
        phases = "; ".join(
            f"{PHASE_NAMES[k]}: {n(it[k])} MW IT {p.phases[k].workload}, "
            f"{'committed' if committed[k] else 'option'}, capex {n(spent[k])} M USD spent "
            f"over the {n(months[k])} months to its first rent in month {n(start[k])}, "
            f"yield on cost {n(yields[k])}%"
            for k in range(3) if it[k] > 0)
        if not any(c and i > 0 for c, i in zip(committed, it)):
            phases = (f"Nothing committed yet (NPV 0, no IRR): the power it would use is not "
                      f"approved, so its conversion is an option, valued beside at its odds. "
                      f"{phases[:1].upper()}{phases[1:]}")
        texts.append(phases)
    return texts


def sizing_words(debt: Debt, rules: Rules) -> list[str]:
    """How each site's loan was sized, in words."""
    e, n = rules["economics"], show_number
    ltc, dscr = n(e["loan_to_cost"][BASE] * 100), n(e["min_dscr"])
    texts = []
    for sizing, balloon in zip(debt.sizing.tolist(), np.round(debt.balloon, 1).tolist()):
        text = {LOAN_TO_COST: f"{ltc}% of cost (capitalised interest included) binds before "
                              f"{dscr}x coverage",
                COVERAGE: f"sized down to {dscr}x coverage by the contracted NOI, below "
                          f"{ltc}% of cost",
                UNSIZED: "cannot be sized: the contracted NOI covers no debt service in some "
                         "year, so no equity return is shown",
                NO_DEBT: "none: nothing committed is built"}[sizing]
        if balloon > 0:
            text += f"; a balloon of {n(balloon)} M USD falls due at the lease end"
        texts.append(text)
    return texts


GIVEN_NAMES = {"rent": "rent", "term": "term", "escalator": "escalator",
               "structure": "structure", "contracted_it": "contracted IT",
               "credit": "tenant credit", "capex": "capex quote", "first_rent": "first rent",
               "prepayment": "prepayment"}


def given_words(terms: Terms, i: int) -> str:
    """Which of site ``i``'s deal terms it gave, or that it gave none."""
    given = [words for name, words in GIVEN_NAMES.items() if terms.given[name][i]]
    return (" Given by the site: " + ", ".join(given) + "." if given
            else " The rules' default deal.")


def basis(sites: Sites, debt: Debt, rules: Rules) -> list[str]:
    """The arithmetic of each site's figures in words."""
    e, n = rules["economics"], show_number
    residual = (f" Residual: re-let {n(e['relet_vacancy_months'])} months after each lease "
                f"at the market rent ({n(e['lease_usd_per_kw_month'][BASE])} USD/kW-month "
                f"today, +{n(e['lease_escalator'] * 100)}% a year), a year's NOI / "
                f"{n(e['exit_cap_rate'][BASE] * 100)}% exit cap rate, less "
                f"{n(e['exit_refresh_share'] * 100)}% refresh." if e["exit_value"]
                else " No value after the lease.")
    common = (
        f"{residual} Mining given up on {{mining}} MW{{mined}} from month {{bridge}} (the "
        f"miners run until {n(e['commissioning_months'])} months before the first rent) to "
        f"the lease's end: {{ph}} PH/s per MW x hashprice "
        f"{n(e['hashprice_usd_per_ph_day'][BASE])} USD/PH/day falling "
        f"{n(e['network_growth_per_year'] * 100)}% a year, cut "
        f"{n(e['halving_hashprice_cut'] * 100)}% at the {e['halving_date']} halving, less "
        f"power at {{cost}} USD/kWh and {n(e['mining_opex_usd_per_mwh'])} USD/MWh of other "
        f"costs{{response}}; the fleet sells for "
        f"{n(e['asic_resale_musd_per_mw'][BASE])} M USD/MW when it stops. "
        f"Capex, mining and the residual discounted at {{discount}} from "
        f"{e['decision_date']}. Debt at "
        f"{n(e['debt_coupon'][BASE] * 100)}%, level over {n(e['debt_tenor_years'])} years "
        f"after the ramp, due at the lease end: {{sizing}}. Assumptions as of {e['as_of']}; "
        "indicative.")
    premium = {"training": "", "inference": f" + {n(e['inference_lease_premium'] * 100)}% "
                                            "inference premium",
               SPLIT: f" (+ {n(e['inference_lease_premium'] * 100)}% on the inference block)"}
    infra = n(e["power_infrastructure_musd_per_it_mw"][BASE])
    cooling = n(e["cooling_share_of_capex"])
    sized = sizing_words(debt, rules)
    margin = sites.margins()[:, 0].tolist()
    bridge = sites.bridge[:, BASE].tolist()
    ph = np.round(1000 / e["fleet_efficiency_j_per_th"] * sites.mining.efficiency, 2).tolist()
    t = sites.terms
    texts = []
    columns = zip(sites.plans, np.round(sites.mining_mw, 2).tolist(),
                  np.round(sites.it_now, 2).tolist(), np.round(sites.it_later, 2).tolist(),
                  sites.start[:, ENERGIZED, BASE].tolist(), sites.start[:, LATER, BASE].tolist(),
                  sites.committed[:, LATER].tolist(), np.round(sites.lease.rate * 100, 2).tolist())
    for i, (p, mining, now, later, start, start_later, later_committed, rate) in \
            enumerate(columns):
        main = p.phases[ENERGIZED] if p.energized_mw else p.phases[LATER]
        quoted = bool(t.given["capex"][i])
        rate_capex = n(round(float(t.capex[i]), 2)) if quoted else \
            n(e[f"capex_musd_per_it_mw_{main.design}"][BASE])
        block = p.phases[BLOCK]
        split = (f" Inference block: {n(round(block.power_mw, 2))} MW (the market's largest "
                 f"inference lease, {n(rules['scale']['enterprise_max_mw'])} MW) / PUE "
                 f"{n(block.pue)} x (1 - {n(e['reserve_inference'])}) = "
                 f"{n(round(block.it_mw, 2))} MW IT; training for the rest."
                 if block.power_mw > 0 else "")
        phase = (f" Later phase: {n(round(p.later_mw, 2))} MW not yet energized -> "
                 f"{n(later)} MW IT from month {n(start_later)} ({wait_words(p, rules)}), "
                 f"{'committed' if later_committed else 'an option'} ({status_words(p)}), "
                 f"capex {rate_capex} + {infra} M USD/MW for its power."
                 if p.later_mw > 0 else "")
        credit = (f" less the cooling share, {cooling}, as the cooling passes today"
                  if p.cooling_ready and not quoted else "")
        unknown = (f" (energized_mw not given, {status_words(p)}: none counted as energized)"
                   if p.power.energized_mw is None else "")
        contracted = (f" Built to the {n(round(float(t.contracted_it[i]), 2))} MW the lease "
                      "contracts." if t.given["contracted_it"][i] else "")
        signed = ("" if not t.given["first_rent"][i] else
                  " First rent as signed." if t.first_rent[i] >= 0 else
                  " First rent signed before the decision: counted from the decision.")
        prepaid = (f" {n(round(float(t.prepayment[i]), 2))} M USD prepaid at the decision, "
                   "credited evenly against the first lease's rent."
                   if t.given["prepayment"][i] else "")
        taken = n(round(max(p.energized_mw - p.kept_mw, 0.0), 2))
        structure = t.structure[i]
        power = (f" The landlord pays the tenant's power: critical IT x PUE x "
                 f"{n(e['power_load_factor'])} load x {n(p.power_cost)} USD/kWh."
                 if structure == GROSS else "")
        texts.append(
            f"Energized {n(round(p.energized_mw, 2))} MW{unknown} - "
            f"{n(round(p.kept_mw, 2))} MW mining "
            f"kept = {taken} MW; / PUE {n(main.pue)} ({main.pue_from}) x (1 - "
            f"{n(e[f'reserve_{main.workload}'])} reserve) = {n(now)} MW critical IT from month "
            f"{n(start)}.{split}{phase}{contracted}{signed} Capex {rate_capex} M USD/MW of IT"
            f"{credit}, plus fixes to ready. Rent {n(round(float(t.rent[i]), 2))} USD/kW-month "
            f"in year 1{premium[p.workload]}, {n(e['ramp_months'])}-month ramp, "
            f"+{n(round(float(t.escalator[i]) * 100, 2))}% a year for "
            f"{n(round(t.term[i] / 12, 2))} years; {STRUCTURES[structure]} lease "
            f"({STRUCTURE_PAYS[structure]}), NOI {n(round(margin[i] * 100, 2))}% of rent, "
            f"discounted at {n(rate)}% for {CREDIT_WORDS[t.credit[i]]}"
            f"{spread_words(sites, i)}.{power}{prepaid}"
            f"{given_words(t, i)}"
            + common.format(mining=n(mining), mined=mined_words(p), cost=n(p.power_cost),
                            sizing=sized[i], bridge=n(bridge[i]), ph=n(ph[i]),
                            discount=discount_words(sites, i, rules),
                            response=response_words(sites, i)))
    return texts


def discount_words(sites: Sites, i: int, rules: Rules) -> str:
    """Site ``i``'s project discount rate and the country risk in it, or why there is none."""
    e, n = rules["economics"], show_number
    base = e["discount_rate"][BASE] * 100
    c = sites.country
    found, premium = c.found[i], float(c.premium[i]) * 100
    if premium > 0 and found is not None:
        share = ("" if e["country_risk_exposure"] == 1
                 else f" x {n(e['country_risk_exposure'])} exposure")
        return (f"{n(round(base + premium, 2))}% ({n(base)}% + {found.country}'s country risk "
                f"premium of {n(round(found.premium * 100, 2))}%{share}, on "
                f"{rating_words(found.rating)}; {found.source})")
    if found is not None:
        return f"{n(base)}% (no country risk premium for {found.country})"
    if c.given[i] is None:
        return f"{n(base)}% (country not given: no country risk premium)"
    return (f"{n(base)}% ({c.given[i]} is not in the country-premium table: no country risk "
            "premium)")


def spread_words(sites: Sites, i: int) -> str:
    """The country's default spread in site ``i``'s contract rate, if any."""
    c = sites.country
    found, spread = c.found[i], float(c.spread[i]) * 100
    if found is None or spread <= 0:
        return ""
    return (f", including {found.country}'s sovereign default spread of "
            f"{show_number(round(spread, 2))}%")


def rating_words(rating: str) -> str:
    """What a country's premium rests on: a Moody's rating or a PRS composite score."""
    if rating.startswith("PRS "):
        return f"a PRS composite risk score of {rating[4:]}"
    return f"a Moody's rating of {rating}"


def response_words(sites: Sites, i: int) -> str:
    """The demand-response revenue given up with the mining, and where it comes from."""
    m = sites.mining
    yearly = round(float(m.demand_response[i]) * 12, 2)
    if yearly <= 0:
        return ""
    origin = "the site's" if m.demand_response_given[i] else "its grid's default"
    return (f", plus {show_number(yearly)} M USD a year of demand-response revenue "
            f"({origin})")


def mined_words(p: Plan) -> str:
    """Where the mining forgone comes from: the site's own mining load, or the default."""
    load = p.site.values.get("mining_load_mw")
    if load is None:
        return " (mining load not given: all the power the halls take counted as mined)"
    return f" (the site's mining load of {show_number(round(load, 2))} MW less the kept share)"
