"""Every way a site could be converted, for a plan across the portfolio: each workload its
bucket allows (and a Hybrid's split), started now or whole years later, with its committed
figures and what it spends, year by year."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from pipeline.economics.debt import equity, size
from pipeline.economics.phases import Model, Sites, horizon, monthly_flows, scenarios
from pipeline.economics.plans import BASE, Plan
from pipeline.economics.uncertainty import draws, spread
from pipeline.economics.valuation import irr, npv, yearly
from pipeline.rules import Rules

# The options table's columns, before capex_musd_y{k}, equity_musd_y{k} and mw_y{k} for each
# year k from the decision.
OPTION_COLUMNS = ("site_id", "workload", "delay_years", "npv_musd", "npv_p10_musd",
                  "npv_p90_musd", "irr_pct", "equity_irr_pct", "capex_musd", "equity_musd",
                  "it_mw")


def options(plans: list[Plan], rules: Rules, delays: Sequence[int],
            premium: float = 0.0) -> pd.DataFrame:
    """One row per candidate plan (``plans.candidates``) and delay in whole years: the
    committed phases' NPV at the decision date (base, P10, P90; M USD), IRR and equity IRR
    (%, NaN where none), capex and equity (undiscounted, base), critical IT MW; then for
    each year k from the decision (year 0 = months 0-11) the committed capex and equity
    spent in it and the critical IT MW whose phase starts building in it. A delay moves
    every date of the conversion (its builds, rent, mining forgone and team) by that many
    years; power not yet energized still comes no sooner than it is energized. ``premium``
    is the plans' country risk premium on the discount rate."""
    years = [int(d) for d in delays]
    if not plans or not years:
        return pd.DataFrame(columns=list(OPTION_COLUMNS))
    e = rules["economics"]
    rows = [p for p in plans for _ in years]
    begin = np.tile(np.array(years, dtype=float) * 12, len(plans))
    sites = Sites.of(rows, rules, begin)
    model = Model(rules, horizon(sites, rules), premium=premium)
    flows = monthly_flows(sites, model, scenarios(rules)["base"])
    committed = sites.part(True)
    debt = size(sites, model, flows, e["loan_to_cost"][BASE], e["debt_coupon"][BASE],
                e["debt_tenor_years"], e["min_dscr"])
    financed = equity(sites, model, flows, debt)
    p10, p90 = spread(sites, model, draws(rules), (10, 90)).T
    capex_years = yearly(-np.einsum("nk,nkm->nm", committed, flows.capex))
    equity_years = capex_years - yearly(debt.draws)
    starts = sites.build_starts()
    last = int(max(np.max(np.where(capex_years > 1e-9, np.arange(capex_years.shape[1]), 0)),
                   np.max(np.where(committed > 0, starts, 0.0)) // 12))
    width = last + 1
    mw = np.zeros((len(rows), width))
    for k in range(3):
        year = np.clip((starts[:, k] // 12).astype(int), 0, width - 1)
        np.add.at(mw, (np.arange(len(rows)), year), committed[:, k] * sites.it[:, k])
    capex_years, equity_years = (np.pad(x, ((0, 0), (0, max(0, width - x.shape[1]))))
                                 for x in (capex_years, equity_years))
    capex = (committed * sites.capex[:, :, BASE]).sum(axis=1)
    table = {
        "site_id": [p.site.site_id for p in rows], "workload": [p.workload for p in rows],
        "delay_years": np.array(years * len(plans), dtype=int),
        "npv_musd": npv(sites, model)[:, 0], "npv_p10_musd": p10,
        "npv_p90_musd": p90, "irr_pct": irr(yearly(flows.total(committed))) * 100,
        "equity_irr_pct": financed.irr_pct, "capex_musd": capex,
        "equity_musd": capex - debt.draws.sum(axis=1), "it_mw": (committed * sites.it).sum(axis=1)}
    for k in range(width):
        table[f"capex_musd_y{k}"] = capex_years[:, k]
        table[f"equity_musd_y{k}"] = equity_years[:, k]
        table[f"mw_y{k}"] = mw[:, k]
    return pd.DataFrame(table)
