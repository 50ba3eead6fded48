"""Indicative conversion economics, a chunk of sites at a time: capacity, capex by phase,
cost to ready, the lease's cash under each site's own deal terms (or the rules' defaults),
the contract and the residual valued apart, debt sized as a lender sizes it, the equity's
returns, and the decision figures (committed and option NPV, IRR, payback, developer
metrics, a seeded Monte Carlo and tornados).

The model in plain words, with the source of every assumption, is docs/economics.md. Every
assumption is a value under ``[economics]`` in the rules file, and a site's deal columns
override it for that site; ``econ_basis`` spells out the arithmetic of each site.
Indicative: no substitute for a quote or a signed lease.

One module per concern: ``plans`` (which halls, for which workload), ``terms`` (the deal,
given or default), ``lease`` (rent, structure, residual), ``phases`` (the arrays and the
cash by month), ``valuation``, ``debt``, ``uncertainty``, ``options`` (every candidate, for
the plan), ``figures`` (the reported rows) and ``narrative`` (the words).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from pipeline.classify import SiteResult
from pipeline.economics.country import premiums
from pipeline.economics.figures import COLUMNS, Chunk, Portfolio, figures
from pipeline.economics.options import options
from pipeline.economics.phases import (Flows, Model, Scenario, Sites, horizon, monthly_flows,
                                       present_value, scenarios)
from pipeline.economics.plans import BASE, HIGH, LOW, Plan, candidates, plan
from pipeline.economics.uncertainty import draws
from pipeline.economics.valuation import irr, npv, payback, yearly
from pipeline.rules import Rules

__all__ = ["BASE", "COLUMNS", "Chunk", "Flows", "HIGH", "LOW", "Model", "Plan", "Portfolio",
           "Scenario", "Sites", "candidates", "draws", "evaluate", "horizon", "irr",
           "monthly_flows", "npv", "options", "payback", "plan", "present_value", "scenarios",
           "yearly"]


def evaluate(results: list[SiteResult], rules: Rules, delays: Sequence[int] = ()) -> Chunk:
    """The economics of every site of ``results`` that is not Neither and has power to give
    to AI, for the workload (``plans.workloads``) whose committed NPV is highest: a Hybrid
    as the market leases it, all-training or the split (an inference block, training for
    the rest), or where its power fits inside the inference block, training or inference.
    The headline is the start-now row of the same candidates the plan reads. With ``delays`` (whole years), also every workload candidate started after
    each of them (``options``). Sites are valued in groups of one country risk premium,
    each at its own discount rate."""
    plans = candidates(results, rules)
    if not plans:
        count = int(rules["economics"]["monte_carlo_draws"])
        return Chunk(pd.DataFrame(columns=["site_id", *COLUMNS]),
                     pd.DataFrame(columns=["site_id", "cash_series"]), [], [], np.zeros(count),
                     np.zeros(count), options(plans, rules, delays))
    groups: dict[float, list[Plan]] = {}
    for p, premium in zip(plans, premiums(plans, rules).tolist()):
        groups.setdefault(premium, []).append(p)
    return Chunk.join([_evaluate(group, rules, delays, premium)
                       for premium, group in groups.items()], [r.site_id for r in results])


def _evaluate(plans: list[Plan], rules: Rules, delays: Sequence[int], premium: float) -> Chunk:
    """``evaluate`` for ``plans`` that share one country risk ``premium``."""
    sites = Sites.of(plans, rules)
    model = Model(rules, horizon(sites, rules), premium=premium)
    value = npv(sites, model)[:, 0]
    best: dict[str, int] = {}
    for i, p in enumerate(plans):
        j = best.get(p.site.site_id)
        if j is None or value[i] > value[j]:
            best[p.site.site_id] = i
    return figures(sites.subset(np.array(sorted(best.values()))), model, rules,
                   options(plans, rules, delays, premium))
