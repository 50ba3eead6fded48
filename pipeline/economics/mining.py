"""The mining business a conversion gives up, site by site: the margin of the miners the
halls displace (hashprice revenue at the site's fleet efficiency, less power and the other
cash costs of mining, never below zero), the grid's curtailment and demand-response
revenue, and the fleet's resale when the halls take its power.

The miners keep running until each hall needs its power (``commissioning_months`` before
the first rent of the energized phase): that bridge is earned either way, so only the
margin after it is given up, up to the energized phase's lease end. Break-evens: the
hashprice, flat in real terms, at which the mining given up is worth as much as the AI
conversion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.economics.lease import HOURS_PER_MONTH
from pipeline.economics.plans import BASE, ENERGIZED, Plan
from pipeline.rules import Rules


@dataclass
class Mining:
    """Per site: the mining load given up (MW), its revenue per MWh over the rules' fleet
    (the rules' J/TH over the site's), its cash cost besides revenue (power and other,
    USD/MWh), the grid's demand-response revenue (M USD a month while it mines), the
    fleet's resale (M USD, low, base, high), and which values the site gave."""

    mw: np.ndarray
    efficiency: np.ndarray
    cost: np.ndarray
    demand_response: np.ndarray
    resale: np.ndarray
    efficiency_given: np.ndarray
    demand_response_given: np.ndarray

    @classmethod
    def of(cls, plans: list[Plan], cost_mwh: np.ndarray, rules: Rules) -> "Mining":
        e = rules["economics"]
        mw = np.array([p.mined_mw for p in plans], dtype=float)
        given_j = [p.site.values.get("fleet_efficiency_j_per_th") for p in plans]
        efficiency = np.array([e["fleet_efficiency_j_per_th"] / (j or e[
            "fleet_efficiency_j_per_th"]) for j in given_j], dtype=float)
        rates = e["demand_response_usd_per_mw_year"]
        given_dr = [p.site.values.get("demand_response_musd_per_year") for p in plans]
        # a site's own demand-response revenue is its mining load's: the share displaced
        load = [p.site.values.get("mining_load_mw") or 0.0 for p in plans]
        yearly = np.array([
            (dr * min(1.0, m / l) if l > 0 else 0.0) if dr is not None
            else m * rates.get(p.site.values.get("grid_operator") or "", 0.0) / 1e6
            for dr, m, l, p in zip(given_dr, mw, load, plans)], dtype=float)
        resale = mw[:, None] * np.array(e["asic_resale_musd_per_mw"])[None, :]
        return cls(mw, efficiency, cost_mwh + e["mining_opex_usd_per_mwh"], yearly / 12,
                   resale, np.array([j is not None for j in given_j], dtype=bool),
                   np.array([d is not None for d in given_dr], dtype=bool))

    def subset(self, keep: np.ndarray) -> "Mining":
        return Mining(**{k: v[keep] for k, v in vars(self).items()})


def bridge_end(start: np.ndarray, begin: np.ndarray, rules: Rules) -> np.ndarray:
    """The month the displaced miners stop, by case (sites, 3): commissioning months before
    the energized phase's first rent, never before the conversion starts."""
    months = rules["economics"]["commissioning_months"]
    return np.maximum(np.round(start[:, ENERGIZED, :] - months), begin[:, None])


def forgone_pv(sites: Any, model: Any, hashprice: Any = 1.0, delay: Any = 0.0) -> np.ndarray:
    """PV of the mining business given up, M USD, (sites, draws): the margin and the
    demand-response revenue from the bridge's end to the energized lease's end, less the
    fleet's resale then. ``hashprice`` a factor on the base path (a number or a row of
    draws); ``delay`` months added to the lease's end (the fleet still goes on schedule)."""
    m = sites.mining
    moved = np.round(np.asarray(delay, dtype=float))
    stop = sites.bridge[:, BASE, None]  # the fleet goes on schedule, as the spend does
    end = sites.ends()[0][:, None] + moved
    hp = np.asarray(hashprice, dtype=float) * m.efficiency[:, None]
    x = m.cost[:, None] / hp
    margin = m.mw[:, None] * hp * (model.mining_pv(x, end) - model.mining_pv(x, stop)) / 1e6
    response = m.demand_response[:, None] * annuity(model, stop, end)
    sold = m.resale[:, BASE, None] * model.at(stop)
    return margin + response - sold


def annuity(model: Any, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """PV of 1 a month over months [start, end), at the project's rate."""
    return model.annuity[_at(model, end)] - model.annuity[_at(model, start)]


def _at(model: Any, months: Any) -> np.ndarray:
    return np.clip(np.asarray(months).astype(int), 0, model.horizon)


def monthly(sites: Any, model: Any, hashprice: float, months: int) -> tuple[np.ndarray,
                                                                          np.ndarray]:
    """By month, M USD, (sites, months): the mining business given up (negative: margin
    and demand response after the bridge; positive: the fleet's resale at its end), and
    the margin the miners earn through the bridge, which the conversion keeps."""
    m, horizon = sites.mining, model.horizon
    month = np.arange(horizon)[None, :]
    revenue = hashprice * model.mining_usd_per_mwh[None, :horizon] * m.efficiency[:, None]
    margin = (m.mw[:, None] * np.maximum(0.0, revenue - m.cost[:, None]) * HOURS_PER_MONTH
              / 1e6 + m.demand_response[:, None])
    stop = sites.bridge[:, months, None]
    end = sites.ends(months)[0][:, None]
    running = month >= sites.begin[:, None]
    given_up = -np.where(running & (month >= stop) & (month < end), margin, 0.0)
    given_up += np.where(month == stop, m.resale[:, BASE, None], 0.0)
    bridge = np.where(running & (month < stop), margin, 0.0)
    return given_up, bridge


def breakeven_hashprice(sites: Any, model: Any, value_ai: np.ndarray) -> np.ndarray:
    """The flat hashprice (USD/PH/day) at which the mining given up is worth the AI
    conversion's ``value_ai`` (M USD, before the mining); NaN where no miners are displaced
    or mining wins at any hashprice."""
    m = sites.mining
    stop, end = sites.bridge[:, BASE], sites.ends()[0]
    hours = m.mw * annuity(model, stop, end) * HOURS_PER_MONTH / 1e6  # M USD per USD/MWh
    other = m.demand_response * annuity(model, stop, end) - m.resale[:, BASE] * model.at(stop)
    needed = value_ai - other  # what the margin must be worth, M USD
    per_hashprice = 1000 / model.e["fleet_efficiency_j_per_th"] / 24 * m.efficiency
    mined = hours > 1e-9  # a displaced load that mines at all
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        price = (m.cost + needed / np.where(mined, hours, 1.0)) / per_hashprice
    return np.where(mined & (needed > 0) & np.isfinite(price), price, np.nan)
