"""Indicative conversion economics, a chunk of sites at a time: capacity, capex by phase,
cost to ready, cash flows by month and year, an exit value, project debt and the equity's
returns, and the decision figures (committed and option NPV, IRR, payback, developer
metrics, a seeded Monte Carlo and a tornado).

The model in plain words, with the source of every assumption, is docs/economics.md. Every
assumption is a value under ``[economics]`` in the rules file; ``econ_basis`` spells out the
arithmetic of each site. Indicative: no substitute for a quote or a signed lease.

A site's conversion is a list of phases (``plans``): the halls on power energized today (for
a Hybrid, an inference block among them), and the halls on power still to come, committed
when its interconnection is approved and an option the board decides later otherwise. The
headline figures are the committed phases'; the options are valued beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from pipeline.classify import SiteResult
from pipeline.contract import show_number
from pipeline.economics.financing import Equity, equity
from pipeline.economics.options import options
from pipeline.economics.phases import (HOURS_PER_MONTH, Flows, Model, Scenario, Sites,
                                       horizon, monthly_flows, scenarios)
from pipeline.economics.plans import (BASE, BLOCK, ENERGIZED, HIGH, LATER, LOW, PHASE_NAMES,
                                      SPLIT, Plan, ReadyLine, candidates, plan, status_words,
                                      wait_words)
from pipeline.economics.uncertainty import (PERCENTILES, draws, equity_tornado, monte_carlo,
                                            tornado)
from pipeline.economics.valuation import (developer, exit_pv, exit_values, irr, npv, payback,
                                          stabilized_noi, yearly)
from pipeline.rules import Rules

__all__ = ["BASE", "COLUMNS", "Chunk", "Flows", "HIGH", "LOW", "Model", "Plan", "Portfolio",
           "ReadyLine", "Scenario", "Sites", "candidates", "draws", "evaluate", "horizon",
           "irr", "monthly_flows", "npv", "options", "payback", "plan", "scenarios", "yearly"]

COLUMNS = (
    "econ_workload", "econ_cooling_design", "econ_it_mw", "econ_it_mw_full",
    "econ_inference_it_mw", "econ_binding_constraint", "econ_capex_musd",
    "econ_capex_per_it_mw_musd", "econ_cost_to_ready_musd", "econ_ready_opex_musd_per_year",
    "econ_cost_to_ready_lines", "econ_months_to_revenue", "econ_lease_musd_per_year",
    "econ_noi_musd_per_year", "econ_mining_margin_forgone_musd_per_year",
    "econ_net_musd_per_year", "econ_npv_musd", "econ_npv_committed_musd",
    "econ_npv_option_musd", "econ_option_it_mw", "econ_option_capex_musd",
    "econ_option_decide_month", "econ_exit_value_musd", "econ_npv_exit_musd",
    "econ_npv_low_musd", "econ_npv_high_musd", "econ_npv_p10_musd", "econ_npv_p50_musd",
    "econ_npv_p90_musd", "econ_irr_pct", "econ_payback_years", "econ_payback_best_years",
    "econ_payback_worst_years", "econ_debt_musd", "econ_equity_irr_pct",
    "econ_equity_multiple", "econ_peak_equity_musd", "econ_min_dscr",
    "econ_yield_on_cost_pct", "econ_development_spread_pct", "econ_value_created_musd",
    "econ_phases", "econ_npv_driver", "econ_equity_driver", "econ_basis")

# The rows of the Cash flows sheet a site has, after its phases' own rows.
PRESENT_VALUE, EQUITY_CASH = "committed, present value", "committed, equity after debt"


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
                                 "years": _committed_years(series[row["site_id"]]),
                                 "equity": series[row["site_id"]][EQUITY_CASH],
                                 "tornado": tornado_, "equity_tornado": equity_}
                for row, tornado_, equity_ in zip(self.rows.to_dict("records"), self.tornados,
                                                  self.equity_tornados)}


def _committed_years(series: dict[str, list[float]]) -> list[float]:
    """The committed cash by year: the sum of the committed phases' rows."""
    rows = [v for k, v in series.items() if k.endswith("(committed)")]
    return [sum(x) for x in zip(*rows)] if rows else [0.0] * len(series[PRESENT_VALUE])


def evaluate(results: list[SiteResult], rules: Rules, delays: Sequence[int] = ()) -> Chunk:
    """The economics of every site of ``results`` that is not Neither and has power to give
    to AI, for its bucket's workload. A Hybrid is valued as the market leases it: the higher
    committed NPV of all-training and of the split (an inference block, training for the
    rest); one whose power fits inside the inference block, the higher of training and
    inference. With ``delays`` (whole years), also every workload candidate started after
    each of them (``options``)."""
    plans = candidates(results, rules)
    count = int(rules["economics"]["monte_carlo_draws"])
    table = options(plans, rules, delays)
    if not plans:
        return Chunk(pd.DataFrame(columns=["site_id", *COLUMNS]),
                     pd.DataFrame(columns=["site_id", "cash_series"]), [], [], np.zeros(count),
                     np.zeros(count), table)
    sites = Sites.of(plans, rules)
    model = Model(rules, horizon(sites, rules))
    value = npv(sites, model)[:, 0]
    split = {p.site.site_id for p in plans if p.workload == SPLIT}
    best: dict[str, int] = {}
    for i, p in enumerate(plans):
        if p.site.site_id in split and p.workload == "inference":
            continue  # the market leases no campus of that size as inference alone
        j = best.get(p.site.site_id)
        if j is None or value[i] > value[j]:
            best[p.site.site_id] = i
    chosen = np.array(sorted(best.values()))
    return _figures(sites.subset(chosen), model, rules, table)


def _figures(sites: Sites, model: Model, rules: Rules, table: pd.DataFrame) -> Chunk:
    e = rules["economics"]
    flows = {name: monthly_flows(sites, model, s) for name, s in scenarios(rules).items()}
    committed, option = sites.part(True), sites.part(False)
    totals = {name: f.total(committed) for name, f in flows.items()}
    npvs = {name: f @ model.discount[:model.horizon] for name, f in totals.items()}
    option_npv = npv(sites, model, committed=False)[:, 0]
    years = yearly(totals["base"])
    payback_ = {name: payback(f) for name, f in totals.items()}
    mc, portfolio, options_total = monte_carlo(sites, model, draws(rules))
    spread = tornado(sites, model, rules)
    financed = equity(sites, model, flows["base"], e["loan_to_cost"][BASE],
                      e["debt_coupon"][BASE], e["debt_tenor_years"])
    rent = sites.rent_musd_per_month(e["lease_usd_per_kw_month"][BASE]).sum(axis=1) * 12
    noi = rent * e["noi_margin"][BASE]
    mining = (sites.mining_mw * np.maximum(0.0, model.mining_usd_per_mwh[None, :12]
                                           - sites.cost_mwh[:, None]).sum(axis=1)
              * HOURS_PER_MONTH / 1e6)
    capex = (committed * sites.capex[:, :, BASE]).sum(axis=1)
    it_committed = (committed * sites.it).sum(axis=1)
    stable = stabilized_noi(sites, model)
    dev = developer((committed * stable).sum(axis=1), capex, e["exit_cap_rate"][BASE])
    first = np.where(committed > 0, sites.start[:, :, BASE], np.inf).min(axis=1)
    first = np.where(np.isfinite(first), first,
                     np.where(option > 0, sites.start[:, :, BASE], np.inf).min(axis=1))
    decide = np.where(option > 0, sites.start[:, :, BASE] - sites.build_months(),
                      np.inf).min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_mw = np.where(it_committed > 0, capex / it_committed, np.nan)
    columns = {
        "site_id": [p.site.site_id for p in sites.plans],
        "econ_workload": [p.workload for p in sites.plans],
        "econ_cooling_design": [p.design for p in sites.plans],
        "econ_it_mw": sites.it_now, "econ_it_mw_full": sites.it.sum(axis=1),
        "econ_inference_it_mw": (sites.it * (sites.premium > 1)).sum(axis=1),
        "econ_binding_constraint": _binding(sites),
        "econ_capex_musd": capex, "econ_capex_per_it_mw_musd": per_mw,
        "econ_cost_to_ready_musd": [sum(line.price[BASE] for line in p.ready
                                        if line.price is not None and not line.yearly)
                                    for p in sites.plans],
        "econ_ready_opex_musd_per_year": sites.opex,
        "econ_cost_to_ready_lines": ["; ".join(line.text() for line in p.ready)
                                     for p in sites.plans],
        "econ_months_to_revenue": np.where(np.isfinite(first), first, np.nan),
        "econ_lease_musd_per_year": rent, "econ_noi_musd_per_year": noi,
        "econ_mining_margin_forgone_musd_per_year": mining,
        "econ_net_musd_per_year": noi - mining - sites.opex,
        "econ_npv_musd": npvs["base"], "econ_npv_committed_musd": npvs["base"],
        "econ_npv_option_musd": np.where(option.any(axis=1), option_npv, np.nan),
        "econ_option_it_mw": (option * sites.it).sum(axis=1),
        "econ_option_capex_musd": (option * sites.capex[:, :, BASE]).sum(axis=1),
        "econ_option_decide_month": np.where(np.isfinite(decide), decide, np.nan),
        "econ_exit_value_musd": exit_values(sites, model, committed),
        "econ_npv_exit_musd": exit_pv(sites, model),
        "econ_npv_low_musd": npvs["low"], "econ_npv_high_musd": npvs["high"],
        "econ_npv_p10_musd": mc[:, 0], "econ_npv_p50_musd": mc[:, 1],
        "econ_npv_p90_musd": mc[:, 2],
        "econ_irr_pct": np.round(irr(years) * 100, 1),
        "econ_payback_years": payback_["base"], "econ_payback_best_years": payback_["high"],
        "econ_payback_worst_years": payback_["low"],
        "econ_debt_musd": capex * e["loan_to_cost"][BASE],
        "econ_equity_irr_pct": np.round(financed.irr_pct, 1),
        "econ_equity_multiple": financed.multiple, "econ_peak_equity_musd": financed.peak_musd,
        "econ_min_dscr": financed.min_dscr,
        "econ_yield_on_cost_pct": dev["yield_on_cost"],
        "econ_development_spread_pct": dev["spread"],
        "econ_value_created_musd": dev["value_created"],
        "econ_phases": _phase_words(sites, stable, rules),
    }
    frame = pd.DataFrame({k: np.round(v, 2) if isinstance(v, np.ndarray) else v
                          for k, v in columns.items()})
    for name in ("econ_irr_pct", "econ_equity_irr_pct", "econ_npv_option_musd",
                 "econ_option_decide_month", "econ_months_to_revenue", "econ_min_dscr",
                 "econ_equity_multiple", "econ_capex_per_it_mw_musd", "econ_yield_on_cost_pct",
                 "econ_development_spread_pct", "econ_value_created_musd"):
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    tornados = _ranked_tornados(spread, 2)
    frame["econ_npv_driver"] = [f"{t[0][0]} ({_money(t[0][1])} to {_money(t[0][2])})"
                                for t in tornados]
    equity_tornados = _ranked_tornados(
        equity_tornado(sites, model, rules, flows["base"], years), 1)
    frame["econ_equity_driver"] = [
        f"{t[0][0]} ({_percent(t[0][1])} to {_percent(t[0][2])})"
        if t and (t[0][1] is not None or t[0][2] is not None) else None
        for t in equity_tornados]
    frame["econ_basis"] = _basis(sites, rules)
    frame = frame[["site_id", *COLUMNS]]
    return Chunk(frame, _cash_table(sites, model, flows["base"], financed), tornados,
                 equity_tornados, portfolio, options_total, table)


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
    mining forgone and the 24x7 team, with its first committed phase), then the committed
    cash's present value by year and the equity's cash after debt."""
    committed = sites.part(True)
    phases = yearly(flows.phases())  # (sites, phases, years)
    costs = yearly(flows.costs)
    pv = yearly(flows.total(committed) * model.discount[None, :model.horizon])
    levered = yearly(financed.levered)
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
        ids += [p.site.site_id] * 2
        names += [PRESENT_VALUE, EQUITY_CASH]
        rows += [pv[i], levered[i]]
    table = np.round(np.array(rows), 2)
    cash = pd.DataFrame(table, columns=[f"year_{k + 1}" for k in range(table.shape[1])])
    cash.insert(0, "cash_series", names)
    cash.insert(0, "site_id", ids)
    return cash


def _money(x: float) -> str:
    return f"{'-' if x < 0 else ''}${show_number(round(abs(float(x)), 1))}M"


def _percent(x: float | None) -> str:
    return "none" if x is None else f"{show_number(x)}%"


def _binding(sites: Sites) -> list[str]:
    """What takes the most MW between each site's gross power and its critical IT today."""
    later = np.array([p.later_mw for p in sites.plans])
    kept = np.array([p.kept_mw for p in sites.plans])
    pue = np.array([[ph.pue for ph in p.phases] for p in sites.plans])
    power = np.array([[ph.power_mw for ph in p.phases] for p in sites.plans])
    after_pue = (power / pue).sum(axis=1)
    design = power.sum(axis=1)
    losses = np.column_stack([sites.it_later, kept, design - after_pue,
                              after_pue - sites.it_now - sites.it_later])
    names = ("power not yet energized", "mining kept as flexible load",
             "{design}-cooling design PUE", "{workload} redundancy and house-load reserve")
    return [names[k].format(design=p.design, workload=p.workload)
            for k, p in zip(losses.argmax(axis=1).tolist(), sites.plans)]


def _phase_words(sites: Sites, stable: np.ndarray, rules: Rules) -> list[str]:
    """Each phase with IT: its MW, workload, whether committed, capex, first rent, yield on
    cost and value created."""
    n, cap, build = show_number, rules["economics"]["exit_cap_rate"][BASE], sites.build_months()
    capex = sites.capex[:, :, BASE]
    with np.errstate(divide="ignore", invalid="ignore"):
        yoc = np.round(np.where(capex > 0, stable / capex * 100, 0.0), 1).tolist()
    figures = zip(sites.plans, np.round(sites.it, 2).tolist(), np.round(capex, 1).tolist(),
                  sites.start[:, :, BASE].tolist(), yoc,
                  np.round(stable / cap - capex, 1).tolist(), sites.committed.tolist())
    texts = []
    for p, it, spent, start, yields, created, committed in figures:
        texts.append("; ".join(
            f"{PHASE_NAMES[k]}: {n(it[k])} MW IT {p.phases[k].workload}, "
            f"{'committed' if committed[k] else 'option'}, capex {n(spent[k])} M USD spent "
            f"over the {build} months to its first rent in month {n(start[k])}, yield on cost "
            f"{n(yields[k])}%, value created {n(created[k])} M USD"
            for k in range(3) if it[k] > 0))
    return texts


def _basis(sites: Sites, rules: Rules) -> list[str]:
    """The arithmetic of each site's figures in words."""
    e, n = rules["economics"], show_number
    exit_words = (f" Exit at each lease end: the next year's NOI / "
                  f"{n(e['exit_cap_rate'][BASE] * 100)}% cap rate, less "
                  f"{n(e['exit_refresh_share'] * 100)}% refresh." if e["exit_value"]
                  else " No exit value.")
    common = (
        f"Rent {n(e['lease_usd_per_kw_month'][BASE])} USD/kW-month{{premium}}, "
        f"{n(e['ramp_months'])}-month ramp, +{n(e['lease_escalator'] * 100)}% a year for "
        f"{n(e['lease_term_years'])} years, NOI {n(e['noi_margin'][BASE] * 100)}% of rent."
        f"{exit_words} Capex spent evenly over each phase's build. "
        f"Mining forgone on {{mining}} MW{{mined}}: "
        f"{n(1000 / e['fleet_efficiency_j_per_th'])} PH/s per "
        f"MW x hashprice {n(e['hashprice_usd_per_ph_day'][BASE])} USD/PH/day falling "
        f"{n(e['network_growth_per_year'] * 100)}% a year, cut "
        f"{n(e['halving_hashprice_cut'] * 100)}% at the {e['halving_date']} halving, less "
        f"power at {{cost}} USD/kWh. NPV at {n(e['discount_rate'][BASE] * 100)}% from "
        f"{e['decision_date']}. Debt {n(e['loan_to_cost'][BASE] * 100)}% of cost at "
        f"{n(e['debt_coupon'][BASE] * 100)}%, over {n(e['debt_tenor_years'])} years after "
        f"the ramp. Assumptions as of {e['as_of']}; indicative.")
    premium = {"training": "", "inference": f" + {n(e['inference_lease_premium'] * 100)}% "
                                            "inference premium",
               SPLIT: f" (+ {n(e['inference_lease_premium'] * 100)}% on the inference block)"}
    infra = n(e["power_infrastructure_musd_per_it_mw"][BASE])
    cooling = n(e["cooling_share_of_capex"])
    texts = []
    columns = zip(sites.plans, np.round(sites.mining_mw, 2).tolist(),
                  np.round(sites.it_now, 2).tolist(), np.round(sites.it_later, 2).tolist(),
                  sites.start[:, ENERGIZED, BASE].tolist(), sites.start[:, LATER, BASE].tolist(),
                  sites.committed[:, LATER].tolist())
    for p, mining, now, later, start, start_later, later_committed in columns:
        main = p.phases[ENERGIZED] if p.energized_mw else p.phases[LATER]
        rate = n(e[f"capex_musd_per_it_mw_{main.design}"][BASE])
        block = p.phases[BLOCK]
        split = (f" Inference block: {n(round(block.power_mw, 2))} MW (the market's largest "
                 f"inference lease, {n(rules['scale']['enterprise_max_mw'])} MW) / PUE "
                 f"{n(block.pue)} x (1 - {n(e['reserve_inference'])}) = "
                 f"{n(round(block.it_mw, 2))} MW IT; training for the rest."
                 if block.power_mw > 0 else "")
        phase = (f" Later phase: {n(round(p.later_mw, 2))} MW not yet energized -> "
                 f"{n(later)} MW IT from month {n(start_later)} ({wait_words(p, rules)}), "
                 f"{'committed' if later_committed else 'an option'} ({status_words(p)}), "
                 f"capex {rate} + {infra} M USD/MW for its power." if p.later_mw > 0 else "")
        credit = (f" less the cooling share, {cooling}, as the cooling passes today"
                  if p.cooling_ready else "")
        unknown = (f" (energized_mw not given, {status_words(p)}: none counted as energized)"
                   if p.power.energized_mw is None else "")
        taken = n(round(max(p.energized_mw - p.kept_mw, 0.0), 2))
        texts.append(
            f"Energized {n(round(p.energized_mw, 2))} MW{unknown} - "
            f"{n(round(p.kept_mw, 2))} MW mining "
            f"kept = {taken} MW; / PUE {n(main.pue)} ({main.pue_from}) x (1 - "
            f"{n(e[f'reserve_{main.workload}'])} reserve) = {n(now)} MW critical IT from month "
            f"{n(start)}.{split}{phase} Capex {rate} M USD/MW of IT{credit}, plus fixes to "
            "ready. " + common.format(premium=premium[p.workload], mining=n(mining),
                                      mined=_mined_words(p), cost=n(p.power_cost)))
    return texts


def _mined_words(p: Plan) -> str:
    """Where the mining forgone comes from: the site's own mining load, or the default."""
    load = p.site.values.get("mining_load_mw")
    if load is None:
        return " (mining load not given: all the power the halls take counted as mined)"
    return f" (the site's mining load of {show_number(round(load, 2))} MW less the kept share)"


def _r(x: float) -> float:
    return round(float(x), 2)


class Portfolio:
    """Totals over every chunk: committed capex and NPV, option NPV, equity, and each NPV's
    spread over the same draws."""

    def __init__(self, rules: Rules):
        self.e = rules["economics"]
        self.sites = 0
        self.capex = self.npv = self.option = self.equity = 0.0
        self.draws = np.zeros(int(self.e["monte_carlo_draws"]))
        self.option_draws = np.zeros(int(self.e["monte_carlo_draws"]))

    def add(self, chunk: Chunk) -> None:
        rows = chunk.rows
        self.sites += len(rows)
        self.capex += float(rows["econ_capex_musd"].sum())
        self.npv += float(rows["econ_npv_musd"].sum())
        self.option += float(pd.to_numeric(rows["econ_npv_option_musd"]).sum())
        self.equity += float(rows["econ_peak_equity_musd"].sum())
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
                "as_of": self.e["as_of"], "decision_date": self.e["decision_date"],
                "discount_rate_pct": _r(self.e["discount_rate"][BASE] * 100),
                "draws": len(self.draws)}
