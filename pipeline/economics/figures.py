"""The figures a run reports for a chunk of sites: one row per site (``COLUMNS``), its
yearly cash flows, its tornados, and the totals over a portfolio."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.contract import show_number
from pipeline.economics import narrative
from pipeline.economics.debt import Equity, equity, size
from pipeline.economics.mining import breakeven_hashprice, forgone_pv
from pipeline.economics.phases import (Flows, Model, Sites, monthly_flows, present_value,
                                       scenarios)
from pipeline.economics.plans import BASE, PHASE_NAMES
from pipeline.economics.uncertainty import (PERCENTILES, draws, equity_tornado, monte_carlo,
                                            tornado)
from pipeline.economics.terms import sources
from pipeline.economics.valuation import (contract_pv, developer, irr, npv, payback,
                                          rent_slope, residual_pv, residual_values,
                                          stabilized_noi, yearly)
from pipeline.rules import Rules

COLUMNS = (
    "econ_workload", "econ_cooling_design", "econ_it_mw", "econ_it_mw_full",
    "econ_inference_it_mw", "econ_binding_constraint",
    "econ_lease_rate_usd_per_kw_month", "econ_lease_rate_source", "econ_lease_term_years",
    "econ_lease_term_source", "econ_lease_escalator_pct", "econ_lease_escalator_source",
    "econ_lease_structure", "econ_lease_structure_source", "econ_contracted_it_mw",
    "econ_contracted_it_source", "econ_tenant_credit", "econ_tenant_credit_source",
    "econ_capex_source", "econ_first_rent_source", "econ_prepayment_musd",
    "econ_prepayment_source",
    "econ_capex_musd", "econ_capex_per_it_mw_musd", "econ_cost_to_ready_musd",
    "econ_ready_opex_musd_per_year", "econ_cost_to_ready_lines", "econ_months_to_revenue",
    "econ_lease_musd_per_year", "econ_landlord_power_musd_per_year", "econ_noi_musd_per_year",
    "econ_mining_margin_forgone_musd_per_year", "econ_net_musd_per_year",
    "econ_fleet_efficiency_source", "econ_demand_response_musd_per_year",
    "econ_demand_response_source", "econ_npv_ai_musd", "econ_mining_value_musd",
    "econ_bridge_margin_musd", "econ_npv_musd", "econ_breakeven_rent_usd_per_kw_month",
    "econ_breakeven_hashprice_usd_per_ph_day", "econ_npv_committed_musd",
    "econ_discount_rate_pct", "econ_country_premium_pct", "econ_contract_rate_pct",
    "econ_npv_contract_musd",
    "econ_npv_residual_musd", "econ_residual_share_pct", "econ_residual_value_musd",
    "econ_npv_option_musd", "econ_npv_option_unrisked_musd", "econ_option_odds_pct",
    "econ_option_it_mw", "econ_option_capex_musd",
    "econ_option_decide_month",
    "econ_npv_low_musd", "econ_npv_high_musd", "econ_npv_p10_musd", "econ_npv_p50_musd",
    "econ_npv_p90_musd", "econ_irr_pct", "econ_payback_years", "econ_payback_best_years",
    "econ_payback_worst_years", "econ_debt_musd", "econ_debt_sizing", "econ_debt_balloon_musd",
    "econ_min_dscr", "econ_avg_dscr", "econ_equity_irr_pct", "econ_equity_multiple",
    "econ_peak_equity_musd", "econ_yield_on_cost_pct", "econ_development_spread_pct",
    "econ_value_created_musd", "econ_phases", "econ_npv_driver", "econ_equity_driver",
    "econ_basis")

# The rows of the Cash flows sheet a site has, after its phases' own rows: the committed
# cash (what IRR() reads), its discount factor by year (SUMPRODUCT of the two is the NPV),
# its present value, and the equity's cash.
COMMITTED_CASH, DISCOUNT_FACTOR = "committed, cash", "committed, discount factor"
PRESENT_VALUE, EQUITY_CASH = "committed, present value", "committed, equity after debt"
FACTOR_DIGITS = 8
BRIDGE = "mining through the build, kept"


@dataclass
class Chunk:
    """A chunk's economics: one row per site with economics (``COLUMNS`` and site_id), its
    yearly cash flows (a row per phase, then the committed cash's present value and the
    equity's cash), each site's tornado (assumption, NPV at its low end, at its high end; the
    widest first) and its equity IRR's (the same, in %; None where there is none), the sum
    of committed and of option NPV over the chunk per draw, and every way each site could be
    converted, for a plan (``options``)."""

    rows: pd.DataFrame
    cash_flows: pd.DataFrame
    tornados: list[list[tuple[str, float, float]]]
    equity_tornados: list[list[tuple[str, float | None, float | None]]]
    portfolio_draws: np.ndarray
    option_draws: np.ndarray
    options: pd.DataFrame

    @classmethod
    def join(cls, chunks: list["Chunk"], order: list[str]) -> "Chunk":
        """The chunks as one, sites in ``order`` (site ids; each chunk's own order within a
        site): rows, cash flows, tornados and options follow it, draws add up."""
        if len(chunks) == 1:
            return chunks[0]
        rank = {site_id: i for i, site_id in enumerate(order)}

        def ordered(frame: pd.DataFrame) -> pd.DataFrame:
            return frame.iloc[np.argsort(frame["site_id"].map(rank).to_numpy(),
                                         kind="stable")].reset_index(drop=True)

        rows = pd.concat([c.rows for c in chunks], ignore_index=True)
        by_site = np.argsort(rows["site_id"].map(rank).to_numpy(), kind="stable")
        tornados = [t for c in chunks for t in c.tornados]
        equity_tornados = [t for c in chunks for t in c.equity_tornados]
        cash = pd.concat([c.cash_flows for c in chunks], ignore_index=True)
        years = [c for c in cash.columns if c.startswith("year_")]
        cash[years] = cash[years].fillna(0.0)
        table = pd.concat([c.options for c in chunks], ignore_index=True)
        width = [c for c in table.columns if c.startswith(("capex_musd_y", "equity_musd_y",
                                                           "mw_y"))]
        table[width] = table[width].fillna(0.0)
        return cls(rows.iloc[by_site].reset_index(drop=True), ordered(cash),
                   [tornados[i] for i in by_site], [equity_tornados[i] for i in by_site],
                   sum(c.portfolio_draws for c in chunks), sum(c.option_draws for c in chunks),
                   ordered(table))

    @property
    def pages(self) -> dict[str, dict[str, Any]]:
        """What a site's PDF shows, by site_id: its row, yearly cash by phase, the debt's,
        the equity's, and its tornados (of NPV and of the equity IRR)."""
        series: dict[str, dict[str, list[float]]] = {}
        years = self.cash_flows.drop(columns=["site_id", "cash_series"]).to_numpy().tolist()
        for site_id, name, flows in zip(self.cash_flows["site_id"],
                                        self.cash_flows["cash_series"], years):
            series.setdefault(site_id, {})[name] = flows
        return {row["site_id"]: {**row, "series": series[row["site_id"]],
                                 "years": series[row["site_id"]][COMMITTED_CASH],
                                 "equity": series[row["site_id"]][EQUITY_CASH],
                                 "tornado": tornado_, "equity_tornado": equity_}
                for row, tornado_, equity_ in zip(self.rows.to_dict("records"), self.tornados,
                                                  self.equity_tornados)}


def figures(sites: Sites, model: Model, rules: Rules, table: pd.DataFrame) -> Chunk:
    """The rows, cash flows and tornados of the sites of ``sites``, each valued for one plan."""
    e = rules["economics"]
    flows = {name: monthly_flows(sites, model, s) for name, s in scenarios(rules).items()}
    committed, option = sites.part(True), sites.part(False)
    npvs = {name: (present_value(f, sites, model, committed)).sum(axis=1)
            for name, f in flows.items()}
    option_npv = npv(sites, model, committed=False)[:, 0]
    mining_value = forgone_pv(sites, model)[:, 0]
    bridge_pv = (flows["base"].bridge * model.discount[None, :model.horizon]).sum(axis=1)
    years = yearly(flows["base"].total(committed))
    payback_ = {name: payback(f.total(committed)) for name, f in flows.items()}
    mc, portfolio, options_total = monte_carlo(sites, model, draws(rules))
    spread = tornado(sites, model, rules)
    debt = size(sites, model, flows["base"], e["loan_to_cost"][BASE], e["debt_coupon"][BASE],
                e["debt_tenor_years"], e["min_dscr"])
    financed = equity(sites, model, flows["base"], debt)
    rent = (committed * sites.rent_musd_per_month()).sum(axis=1) * 12
    power = (committed * sites.power).sum(axis=1) * 12
    noi = rent * sites.margins()[:, 0] - power
    mining = first_year(flows["base"].mining, sites)
    capex = (committed * sites.capex[:, :, BASE]).sum(axis=1)
    it_committed = (committed * sites.it).sum(axis=1)
    stable = stabilized_noi(sites, model)
    dev = developer((committed * stable).sum(axis=1), capex, e["stabilized_cap_rate"][BASE])
    contract = contract_pv(sites, committed)[:, 0]
    residual = residual_pv(sites, model, committed)[:, 0]
    first = np.where(committed > 0, sites.start[:, :, BASE], np.inf).min(axis=1)
    first = np.where(np.isfinite(first), first,
                     np.where(option > 0, sites.start[:, :, BASE], np.inf).min(axis=1))
    decide = np.where(option > 0, sites.build_starts(), np.inf).min(axis=1)
    t = sites.terms
    with np.errstate(divide="ignore", invalid="ignore"):
        per_mw = np.where(it_committed > 0, capex / it_committed, np.nan)
        share = np.where(contract + residual > 0, residual / (contract + residual) * 100,
                         np.nan)
    columns = {
        "site_id": [p.site.site_id for p in sites.plans],
        "econ_workload": [p.workload for p in sites.plans],
        "econ_cooling_design": [p.design for p in sites.plans],
        "econ_it_mw": sites.it_now, "econ_it_mw_full": sites.it.sum(axis=1),
        "econ_inference_it_mw": (sites.it * (sites.premium > 1)).sum(axis=1),
        "econ_binding_constraint": narrative.binding(sites),
        "econ_lease_rate_usd_per_kw_month": t.rent, "econ_lease_rate_source": t.source("rent"),
        "econ_lease_term_years": t.term / 12, "econ_lease_term_source": t.source("term"),
        "econ_lease_escalator_pct": t.escalator * 100,
        "econ_lease_escalator_source": t.source("escalator"),
        "econ_lease_structure": [narrative.STRUCTURES[x] for x in t.structure],
        "econ_lease_structure_source": t.source("structure"),
        "econ_contracted_it_mw": it_committed,
        "econ_contracted_it_source": t.source("contracted_it"),
        "econ_tenant_credit": [narrative.CREDITS[x] for x in t.credit],
        "econ_tenant_credit_source": t.source("credit"),
        "econ_capex_source": t.source("capex"), "econ_first_rent_source": t.source("first_rent"),
        "econ_prepayment_musd": t.prepayment, "econ_prepayment_source": t.source("prepayment"),
        "econ_capex_musd": capex, "econ_capex_per_it_mw_musd": per_mw,
        "econ_cost_to_ready_musd": np.array([sum(line.price[BASE] for line in p.ready
                                                 if line.price is not None and not line.yearly)
                                             for p in sites.plans], dtype=float),
        "econ_ready_opex_musd_per_year": sites.opex,
        "econ_cost_to_ready_lines": ["; ".join(line.text() for line in p.ready)
                                     for p in sites.plans],
        "econ_months_to_revenue": np.where(np.isfinite(first), first, np.nan),
        "econ_lease_musd_per_year": rent, "econ_landlord_power_musd_per_year": power,
        "econ_noi_musd_per_year": noi,
        "econ_mining_margin_forgone_musd_per_year": mining,
        "econ_net_musd_per_year": noi - mining - sites.opex,
        "econ_fleet_efficiency_source": sources(sites.mining.efficiency_given),
        "econ_demand_response_musd_per_year": sites.mining.demand_response * 12,
        "econ_demand_response_source": sources(sites.mining.demand_response_given),
        "econ_npv_ai_musd": npvs["base"] + mining_value,
        "econ_mining_value_musd": mining_value, "econ_bridge_margin_musd": bridge_pv,
        "econ_npv_musd": npvs["base"],
        "econ_breakeven_rent_usd_per_kw_month": breakeven_rent(sites, model, npvs["base"]),
        "econ_breakeven_hashprice_usd_per_ph_day": breakeven_hashprice(
            sites, model, npvs["base"] + mining_value),
        "econ_npv_committed_musd": npvs["base"],
        "econ_discount_rate_pct": np.full(len(sites.plans), model.rate * 100),
        "econ_country_premium_pct": sites.country.premium * 100,
        "econ_contract_rate_pct": sites.lease.rate * 100,
        "econ_npv_contract_musd": npvs["base"] - residual,
        "econ_npv_residual_musd": residual, "econ_residual_share_pct": share,
        "econ_residual_value_musd": residual_values(sites, model, committed),
        "econ_npv_option_musd": np.where(option.any(axis=1),
                                         np.maximum(option_npv, 0.0) * sites.odds, np.nan),
        "econ_npv_option_unrisked_musd": np.where(option.any(axis=1), option_npv, np.nan),
        "econ_option_odds_pct": np.where(option.any(axis=1), sites.odds * 100, np.nan),
        "econ_option_it_mw": (option * sites.it).sum(axis=1),
        "econ_option_capex_musd": (option * sites.capex[:, :, BASE]).sum(axis=1),
        "econ_option_decide_month": np.where(np.isfinite(decide), decide, np.nan),
        "econ_npv_low_musd": npvs["low"], "econ_npv_high_musd": npvs["high"],
        "econ_npv_p10_musd": mc[:, 0], "econ_npv_p50_musd": mc[:, 1],
        "econ_npv_p90_musd": mc[:, 2],
        "econ_irr_pct": np.round(irr(years) * 100, 1),
        "econ_payback_years": payback_["base"], "econ_payback_best_years": payback_["high"],
        "econ_payback_worst_years": payback_["low"],
        "econ_debt_musd": debt.loan,
        "econ_debt_sizing": [narrative.SIZINGS[x] for x in debt.sizing],
        "econ_debt_balloon_musd": debt.balloon,
        "econ_min_dscr": debt.min_dscr, "econ_avg_dscr": debt.avg_dscr,
        "econ_equity_irr_pct": np.round(financed.irr_pct, 1),
        "econ_equity_multiple": financed.multiple, "econ_peak_equity_musd": financed.peak_musd,
        "econ_yield_on_cost_pct": dev["yield_on_cost"],
        "econ_development_spread_pct": dev["spread"],
        "econ_value_created_musd": dev["value_created"],
        "econ_phases": narrative.phase_words(sites, stable),
    }
    frame = pd.DataFrame({k: np.round(v, 2) if isinstance(v, np.ndarray) and v.dtype != object
                          else v for k, v in columns.items()})
    for name in ("econ_irr_pct", "econ_equity_irr_pct", "econ_npv_option_musd",
                 "econ_npv_option_unrisked_musd", "econ_option_odds_pct",
                 "econ_breakeven_rent_usd_per_kw_month",
                 "econ_breakeven_hashprice_usd_per_ph_day",
                 "econ_option_decide_month", "econ_months_to_revenue", "econ_min_dscr",
                 "econ_avg_dscr", "econ_equity_multiple", "econ_peak_equity_musd",
                 "econ_capex_per_it_mw_musd", "econ_yield_on_cost_pct",
                 "econ_development_spread_pct", "econ_value_created_musd",
                 "econ_residual_share_pct"):
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    tornados = _ranked_tornados(spread, 2)
    frame["econ_npv_driver"] = [f"{t[0][0]} ({narrative.money(t[0][1])} to "
                                f"{narrative.money(t[0][2])})" for t in tornados]
    equity_tornados = _ranked_tornados(equity_tornado(sites, model, rules, flows["base"]), 1)
    frame["econ_equity_driver"] = [
        f"{t[0][0]} ({narrative.percent(t[0][1])} to {narrative.percent(t[0][2])})"
        if t and (t[0][1] is not None or t[0][2] is not None) else None
        for t in equity_tornados]
    frame["econ_basis"] = narrative.basis(sites, debt, rules)
    frame = frame[["site_id", *COLUMNS]]
    return Chunk(frame, _cash_table(sites, model, flows["base"], financed), tornados,
                 equity_tornados, portfolio, options_total, table)


def first_year(given_up: np.ndarray, sites: Sites) -> np.ndarray:
    """The mining business given up in the first twelve months after the bridge, M USD a
    year (the fleet's resale left out)."""
    stop = sites.bridge[:, BASE, None]
    month = np.arange(given_up.shape[1])[None, :]
    margin = given_up - np.where(month == stop, sites.mining.resale[:, BASE, None], 0.0)
    return -np.where((month >= stop) & (month < stop + 12), margin, 0.0).sum(axis=1)


def breakeven_rent(sites: Sites, model: Model, value: np.ndarray) -> np.ndarray:
    """The year-1 rent (USD/kW-month) at which the committed NPV is zero, the rent of every
    re-let moving in proportion; 0 where any rent converts, NaN where nothing committed
    pays rent."""
    part = sites.part(True)
    per_share = (rent_slope(sites, part) * sites.terms.rent
                 + residual_pv(sites, model, part, 1.0)[:, 0]
                 - residual_pv(sites, model, part, 0.0)[:, 0])  # NPV per 100 % of the rents
    with np.errstate(divide="ignore", invalid="ignore"):
        rent = sites.terms.rent * (1 - value / per_share)
    return np.where(per_share > 0, np.maximum(rent, 0.0), np.nan)


def _ranked_tornados(spread: list[tuple[str, np.ndarray, np.ndarray]], digits: int
                     ) -> list[list[tuple[str, Any, Any]]]:
    """Each site's tornado from one (assumption, values at its low end, at its high end)
    per assumption: rounded, the widest first (one with no value last), NaN as None."""
    names = [name for name, _, _ in spread]
    lows = np.round(np.column_stack([lo for _, lo, _ in spread]), digits)
    highs = np.round(np.column_stack([hi for _, _, hi in spread]), digits)
    width = np.nan_to_num(np.abs(highs - lows), nan=-1.0)
    order = np.argsort(-width, axis=1, kind="stable")
    cell = lambda x: None if x != x else x  # noqa: E731
    return [[(names[k], cell(lo[k]), cell(hi[k])) for k in ks]
            for ks, lo, hi in zip(order.tolist(), lows.tolist(), highs.tolist())]


def _cash_table(sites: Sites, model: Model, flows: Flows, financed: Equity) -> pd.DataFrame:
    """The yearly cash of each site: a row per phase with IT (the site's own costs, the
    mining given up and the 24x7 team, with its first committed phase), then the committed
    cash, its discount factor (the year's present value over its cash: the model discounts
    month by month, contracted cash at the contract's rate; the project's factor at
    mid-year where the year's cash is nil), its present value and the equity's cash after
    debt; and, where miners run through the build, the margin they earn until the halls take
    their power (kept either way, so in no other row)."""
    committed = sites.part(True)
    phases = yearly(flows.phases())  # (sites, phases, years)
    costs = yearly(flows.costs)
    pv = yearly(present_value(flows, sites, model, committed))
    cash = np.round(yearly(flows.total(committed)), 2)
    middle = model.at(np.arange(cash.shape[1]) * 12 + 6)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.round(np.where(cash != 0, pv / cash, middle[None, :]), FACTOR_DIGITS)
    levered = yearly(financed.levered)
    bridge = yearly(flows.bridge)
    ids, names, rows = [], [], []
    for i, p in enumerate(sites.plans):
        home = next((k for k in range(3) if committed[i, k]), None)
        for k in range(3):
            if sites.it[i, k] <= 0 and k != home:
                continue
            ids.append(p.site.site_id)
            names.append(f"{PHASE_NAMES[k]} phase, {show_number(round(sites.it[i, k], 2))} MW "
                         f"IT ({'committed' if sites.committed[i, k] else 'option'})")
            rows.append(phases[i, k] + (costs[i] if k == home else 0.0))
        if home is None and np.any(costs[i]):
            ids.append(p.site.site_id)
            names.append("site costs (committed)")
            rows.append(costs[i])
        ids += [p.site.site_id] * 4
        names += [COMMITTED_CASH, DISCOUNT_FACTOR, PRESENT_VALUE, EQUITY_CASH]
        rows += [cash[i], factor[i], pv[i], levered[i]]
        if np.any(bridge[i]):
            ids.append(p.site.site_id)
            names.append(BRIDGE)
            rows.append(bridge[i])
    table = np.array(rows)
    digits = np.where(np.array(names) == DISCOUNT_FACTOR, FACTOR_DIGITS, 2)
    table = np.stack([np.round(row, d) for row, d in zip(table, digits)]) if rows else table
    cash = pd.DataFrame(table, columns=[f"year_{k + 1}" for k in range(table.shape[1])])
    cash.insert(0, "cash_series", names)
    cash.insert(0, "site_id", ids)
    return cash


def _r(x: float) -> float:
    return round(float(x), 2)


class Portfolio:
    """Totals over every chunk: committed capex and NPV, option NPV, equity, and each NPV's
    spread over the same draws."""

    def __init__(self, rules: Rules):
        self.e = rules["economics"]
        self.sites = 0
        self.capex = self.npv = self.option = self.equity = self.residual = self.debt = 0.0
        self.mining = 0.0
        self.sizing: dict[str, int] = {}
        self.breakeven: list[float] = []
        self.draws = np.zeros(int(self.e["monte_carlo_draws"]))
        self.option_draws = np.zeros(int(self.e["monte_carlo_draws"]))

    def add(self, chunk: Chunk) -> None:
        rows = chunk.rows
        self.sites += len(rows)
        self.capex += float(rows["econ_capex_musd"].sum())
        self.npv += float(rows["econ_npv_musd"].sum())
        self.option += float(pd.to_numeric(rows["econ_npv_option_musd"]).sum())
        self.equity += float(pd.to_numeric(rows["econ_peak_equity_musd"]).sum())
        self.residual += float(rows["econ_npv_residual_musd"].sum())
        self.debt += float(rows["econ_debt_musd"].sum())
        self.mining += float(rows["econ_mining_value_musd"].sum())
        self.breakeven += [float(x) for x in rows["econ_breakeven_rent_usd_per_kw_month"]
                           if x is not None and x == x]
        for sizing in rows["econ_debt_sizing"]:
            self.sizing[sizing] = self.sizing.get(sizing, 0) + 1
        self.draws += chunk.portfolio_draws
        self.option_draws += chunk.option_draws

    def summary(self) -> dict[str, Any]:
        """Totals in M USD, the P10, P50 and P90 of total committed and option NPV, and the
        dates they rest on."""
        def band(draws: np.ndarray, name: str) -> dict[str, float | None]:
            spread = (np.percentile(draws, PERCENTILES).tolist()
                      if self.sites and len(draws) else (None,) * len(PERCENTILES))
            return {f"{name}_p{p}_musd": None if x is None else _r(x)
                    for p, x in zip(PERCENTILES, spread)}

        return {"sites": self.sites, "capex_musd": _r(self.capex), "npv_musd": _r(self.npv),
                **band(self.draws, "npv"), "option_npv_musd": _r(self.option),
                **band(self.option_draws, "option_npv"), "equity_musd": _r(self.equity),
                "npv_contract_musd": _r(self.npv - self.residual),
                "npv_residual_musd": _r(self.residual), "debt_musd": _r(self.debt),
                "npv_ai_musd": _r(self.npv + self.mining), "mining_musd": _r(self.mining),
                "breakeven_rent": ([_r(x) for x in np.percentile(self.breakeven, (0, 50, 100))]
                                   if self.breakeven else None),
                "breakeven_rents": sorted(_r(x) for x in self.breakeven),
                "market_rent": list(self.e["lease_usd_per_kw_month"]),
                "debt_sizing": dict(sorted(self.sizing.items())),
                "as_of": self.e["as_of"], "decision_date": self.e["decision_date"],
                "discount_rate_pct": _r(self.e["discount_rate"][BASE] * 100),
                "draws": len(self.draws)}
