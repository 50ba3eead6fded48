"""How sure the NPV is: a seeded Monte Carlo in closed form (the same draws for every site,
so a portfolio's total has a band too) and a tornado of one assumption at a time; and a
tornado of the equity IRR over the terms that move the equity's share: the exit cap rate,
the debt's coupon and its loan-to-cost, the loan sized again at each. The financing terms
do not move the project's NPV, so the Monte Carlo of NPV does not draw them."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

import numpy as np

from pipeline.economics.debt import equity, size
from pipeline.economics.distributions import triangular
from pipeline.economics.mining import forgone_pv
from pipeline.economics.phases import Flows, Model, Sites
from pipeline.economics.plans import BASE, HIGH, LOW
from pipeline.economics.valuation import npv
from pipeline.rules import Rules

PERCENTILES = (10, 50, 90)
MC_BLOCK = 500  # sites per Monte Carlo block: 500 x 1,000 draws of float64 is 4 MB an array
HASHPRICE_GRID = 17  # hashprice factors the Monte Carlo tables the mining forgone at

# What the Monte Carlo draws: a factor on the default lease rate (a signed rent does not
# move; the market rent of a re-let does), a quantile of each site's capex, months of delay
# to every first rent, a factor on the base hashprice, a quantile of each site's NOI margin
# range (its lease structure's), the exit cap rate.
DRAWN = ("lease", "capex", "delay", "hashprice", "noi", "cap")


def draws(rules: Rules) -> dict[str, np.ndarray]:
    """The Monte Carlo draws, the same for every site and chunk of a run (seeded): each
    variable triangular between its low and high, peaked at base."""
    e = rules["economics"]
    rng = np.random.default_rng(e["monte_carlo_seed"])
    count = int(e["monte_carlo_draws"])
    u = rng.random((len(DRAWN), count))
    lease, hp, build = (np.array(e[k]) for k in ("lease_usd_per_kw_month",
                                                 "hashprice_usd_per_ph_day", "build_months"))
    return {"lease": triangular(u[0], *lease / lease[BASE]), "capex": u[1],
            "delay": triangular(u[2], *(build - build[BASE])),
            "hashprice": triangular(u[3], *hp / hp[BASE]),
            "noi": u[4],
            "cap": triangular(u[5], *e["exit_cap_rate"])}


def monte_carlo(sites: Sites, model: Model, d: dict[str, np.ndarray]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P10, P50 and P90 of each site's committed NPV over the draws, (sites, 3); and the sum
    over the sites, draw by draw, of the committed and of the option NPV."""
    out = np.full((len(sites.plans), len(PERCENTILES)), np.nan)
    committed, option = np.zeros(len(d["lease"])), np.zeros(len(d["lease"]))
    for start, block, values in _blocks(sites, model, d):
        out[start:start + len(block.plans)] = np.percentile(values, PERCENTILES, axis=1).T
        committed += values.sum(axis=0)
        if block.part(False).any():  # each option at its odds, taken only if it pays
            option += (block.odds[:, None] * np.maximum(
                npv(block, model, **_at(d), committed=False), 0.0)).sum(axis=0)
    return out, committed, option


def spread(sites: Sites, model: Model, d: dict[str, np.ndarray],
           percentiles: tuple[int, ...]) -> np.ndarray:
    """The ``percentiles`` of each site's committed NPV over the draws, (sites, len)."""
    out = np.full((len(sites.plans), len(percentiles)), np.nan)
    for start, block, values in _blocks(sites, model, d):
        out[start:start + len(block.plans)] = np.percentile(values, percentiles, axis=1).T
    return out


def _at(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: d[k][None, :] for k in ("lease", "capex", "delay", "noi", "cap")}


def _blocks(sites: Sites, model: Model, d: dict[str, np.ndarray]
            ) -> Iterator[tuple[int, Sites, np.ndarray]]:
    """Each block of ``MC_BLOCK`` sites: its first index, its sites and their committed NPV
    at every draw (sites, draws); none when no draws are made (monte_carlo_draws = 0)."""
    if not len(d["lease"]):
        return
    for start in range(0, len(sites.plans), MC_BLOCK):
        block = sites.subset(np.arange(start, min(start + MC_BLOCK, len(sites.plans))))
        yield start, block, npv(block, model, **_at(d), mining=mining_draws(block, model, d))


def mining_draws(sites: Sites, model: Model, d: dict[str, np.ndarray]) -> np.ndarray:
    """PV of the mining business given up (M USD) for each site and draw: exact at each
    whole-month delay drawn and at ``HASHPRICE_GRID`` hashprice factors, linear between
    them."""
    grid = np.linspace(d["hashprice"].min(), d["hashprice"].max(), HASHPRICE_GRID)
    delays, which = np.unique(np.round(d["delay"]), return_inverse=True)
    table = np.stack([forgone_pv(sites, model, grid[None, :], delay) for delay in delays],
                     axis=2)  # (sites, grid, delays)
    step = np.clip(np.searchsorted(grid, d["hashprice"], side="right") - 1, 0,
                   HASHPRICE_GRID - 2)
    share = (d["hashprice"] - grid[step]) / np.maximum(grid[step + 1] - grid[step], 1e-12)
    return table[:, step, which] * (1 - share) + table[:, step + 1, which] * share


def tornado(sites: Sites, model: Model,
            rules: Rules) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """For each assumption, committed NPV with it at its low and at its high end, the rest
    at base."""
    e = rules["economics"]
    lease = np.array(e["lease_usd_per_kw_month"]) / e["lease_usd_per_kw_month"][BASE]
    hp = np.array(e["hashprice_usd_per_ph_day"]) / e["hashprice_usd_per_ph_day"][BASE]
    build = np.array(e["build_months"]) - e["build_months"][BASE]
    ends = {"lease rate": ("lease", lease), "capex": ("capex", (0.0, None, 1.0)),
            "months to revenue": ("delay", build), "hashprice": ("hashprice", hp),
            "NOI margin": ("noi", (0.0, None, 1.0))}
    if e["exit_value"]:
        ends["exit cap rate"] = ("cap", e["exit_cap_rate"])
    out = []
    for label, (name, values) in ends.items():
        lo, hi = (npv(sites, model, **{name: values[k]})[:, 0] for k in (LOW, HIGH))
        out.append((label, lo, hi))
    rates = e["discount_rate"]
    lo, hi = (npv(sites, Model(rules, model.horizon, rates[k], model.premium))[:, 0]
              for k in (LOW, HIGH))
    out.append(("discount rate", lo, hi))
    return out


def equity_tornado(sites: Sites, model: Model, rules: Rules,
                   flows: Flows) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """For the exit cap rate (with an exit value), the debt's coupon and its loan-to-cost,
    the equity IRR (%) of the committed phases of ``flows`` (the base case) with it at its
    low and at its high end, the rest at base, the loan sized again each time; NaN where no
    rate makes the cash worth 0 or the debt cannot be sized."""
    e = rules["economics"]
    ltc, coupon, tenor = e["loan_to_cost"], e["debt_coupon"], e["debt_tenor_years"]

    def equity_irr(flows_: Flows, ltc_: float, coupon_: float) -> np.ndarray:
        debt = size(sites, model, flows_, ltc_, coupon_, tenor, e["min_dscr"])
        return equity(sites, model, flows_, debt).irr_pct

    ends: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if e["exit_value"]:
        cap = e["exit_cap_rate"]
        ends["exit cap rate"] = tuple(
            equity_irr(replace(flows, exit=flows.exit * cap[BASE] / cap[k]), ltc[BASE],
                       coupon[BASE]) for k in (LOW, HIGH))
    ends["debt coupon"] = tuple(equity_irr(flows, ltc[BASE], coupon[k]) for k in (LOW, HIGH))
    ends["loan-to-cost"] = tuple(equity_irr(flows, ltc[k], coupon[BASE]) for k in (LOW, HIGH))
    return [(label, lo, hi) for label, (lo, hi) in ends.items()]
