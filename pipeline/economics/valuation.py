"""What the cash is worth: NPV in closed form (exit value included), yearly cash, IRR and
payback, and the developer's figures (yield on cost, development spread, value created)."""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.economics.phases import Model, Sites
from pipeline.economics.plans import BASE, HIGH, LOW


def npv(sites: Sites, model: Model, lease: Any = 1.0, capex: Any = None, delay: Any = 0.0,
        hashprice: Any = 1.0, noi: Any = None, mining: np.ndarray | None = None,
        cap: Any = None, committed: bool = True) -> np.ndarray:
    """NPV in M USD in closed form, (sites, draws), of the committed phases (or, with
    ``committed`` False, of the option phases, which bear no mining forgone or team). Each
    assumption a number or a row of draws: ``lease`` and ``hashprice`` are factors on the
    base, ``capex`` a quantile in [0, 1] of the present value of the site's low-base-high
    capex (None: base),
    ``delay`` months added to every first rent (the spend keeps its schedule), ``noi`` the
    margin and ``cap`` the exit cap rate (None: base); ``mining``, the PV of the mining
    forgone in USD when worked out already. Equal to the discounted ``monthly_flows`` of the
    base scenario when every assumption is at base."""
    e = model.e
    noi = e["noi_margin"][BASE] if noi is None else noi
    cap = e["exit_cap_rate"][BASE] if cap is None else np.asarray(cap, dtype=float)
    part = sites.part(committed)
    start = sites.start[:, :, BASE]
    rent = sites.rent_musd_per_month(e["lease_usd_per_kw_month"][BASE]) * model.at(start)
    lease_pv = (part * rent).sum(axis=1)[:, None] * model.shape_pv
    exit_pv = ((part * rent).sum(axis=1)[:, None] * model.exit_per_rent
               * model.discount[model.term] / cap)
    # the PV of the capex, low, base and high: one draw of it a site
    spent = np.einsum("nk,nkc->nc", part * spend_factor(sites, model), sites.capex)
    if capex is None:
        cost = spent[:, BASE, None]
    else:
        cost = _triangular_outer(np.asarray(capex, dtype=float).reshape(1, -1), spent)
    delay = np.asarray(delay, dtype=float)
    shift = (1 + model.rate) ** (-delay / 12)
    value = noi * lease * (lease_pv + exit_pv) * shift - cost
    if not committed:
        return value
    mining_end, opex_end = sites.ends(model.term)
    moved = np.round(delay)
    begin = sites.begin[:, None]
    if mining is None:
        hp = np.asarray(hashprice, dtype=float)
        x = sites.cost_mwh[:, None] / hp
        mining = sites.mining_mw[:, None] * hp * model.mining_pv(x, mining_end[:, None] + moved)
        if sites.begin.any():  # the margin up to a later start is still earned
            mining -= sites.mining_mw[:, None] * hp * model.mining_pv(x, begin)
    opex_months = np.clip((opex_end[:, None] + moved).astype(int), 0, model.horizon)
    opex = sites.opex[:, None] / 12 * (model.annuity[opex_months]
                                       - model.annuity[begin.astype(int)])
    return value - mining / 1e6 - opex


def spend_factor(sites: Sites, model: Model) -> np.ndarray:
    """PV of one M USD of each phase's capex spent evenly over its build, (sites, phases)."""
    build = sites.build_months()
    start = np.clip(sites.start[:, :, BASE].astype(int), build, model.horizon)
    return (model.annuity[start] - model.annuity[start - build]) / build


def exit_pv(sites: Sites, model: Model, committed: bool = True) -> np.ndarray:
    """PV of the exit values of the committed (or option) phases, base, M USD."""
    e = model.e
    rent = sites.rent_musd_per_month(e["lease_usd_per_kw_month"][BASE])
    at = model.at(sites.start[:, :, BASE] + model.term)
    return ((sites.part(committed) * rent * at).sum(axis=1) * e["noi_margin"][BASE]
            * model.exit_per_rent / e["exit_cap_rate"][BASE])


def exit_values(sites: Sites, model: Model, part: np.ndarray) -> np.ndarray:
    """The exit values, undiscounted, at base, of the phases ``part`` marks, M USD."""
    e = model.e
    rent = sites.rent_musd_per_month(e["lease_usd_per_kw_month"][BASE])
    return (part * rent).sum(axis=1) * e["noi_margin"][BASE] * model.exit_per_rent \
        / e["exit_cap_rate"][BASE]


def stabilized_noi(sites: Sites, model: Model) -> np.ndarray:
    """NOI of each phase's first full lease year after its ramp, base, M USD, (sites,
    phases)."""
    e = model.e
    year = int(np.ceil(e["ramp_months"] / 12))
    return (sites.rent_musd_per_month(e["lease_usd_per_kw_month"][BASE]) * 12
            * e["noi_margin"][BASE] * (1 + e["lease_escalator"]) ** year)


def developer(noi: np.ndarray, capex: np.ndarray, cap: float) -> dict[str, np.ndarray]:
    """Yield on cost and development spread (%) and value created (M USD) of stabilized
    ``noi`` on ``capex``, against the exit ``cap`` rate; NaN where nothing is spent."""
    with np.errstate(divide="ignore", invalid="ignore"):
        yield_on_cost = np.where(capex > 0, noi / capex, np.nan)
    return {"yield_on_cost": yield_on_cost * 100,
            "spread": (yield_on_cost - cap) * 100,
            "value_created": np.where(capex > 0, noi / cap - capex, np.nan)}


def yearly(flows: np.ndarray) -> np.ndarray:
    """Monthly cash summed by year from the decision (year 1 = months 0-11), on the last
    axis."""
    *lead, months = flows.shape
    width = -(-months // 12) * 12
    padded = np.zeros((*lead, width))
    padded[..., :months] = flows
    return padded.reshape(*lead, -1, 12).sum(axis=-1)


def irr(years: np.ndarray) -> np.ndarray:
    """The yearly rate at which each row of yearly cash (year 1 at time 0, as Excel's IRR
    reads a row) is worth zero; NaN where no rate between -90 % and 1,000 % does."""
    columns = years.T[::-1]  # the last year first, for Horner's rule

    def worth(r: np.ndarray) -> np.ndarray:
        value, factor = np.zeros(len(years)), 1 / (1 + r)
        for column in columns:
            value = value * factor + column
        return value

    low, high = np.full(len(years), -0.9), np.full(len(years), 10.0)
    bracketed = (worth(low) > 0) & (worth(high) < 0)
    for _ in range(60):
        middle = (low + high) / 2
        positive = worth(middle) > 0
        low, high = np.where(positive, middle, low), np.where(positive, high, middle)
    return np.where(bracketed, (low + high) / 2, np.nan)


def payback(flows: np.ndarray) -> list[float | None]:
    """Years from the decision until the cash spent is earned back for good (the month after
    the last one the running total is below zero); None if it never is, or nothing is
    spent."""
    short = np.cumsum(flows, axis=1) < -1e-9
    last = flows.shape[1] - 1 - short[:, ::-1].argmax(axis=1)
    years = np.round((last + 2) / 12, 1).tolist()
    return [y if spent and not still else None
            for y, spent, still in zip(years, short.any(axis=1).tolist(), short[:, -1].tolist())]


def _triangular_outer(u: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``triangular`` at each quantile of the row ``u`` for each row (low, mode, high) of
    ``values``: (sites, draws), with the square roots split into outer products."""
    low, mode, high = (values[:, k, None] for k in (LOW, BASE, HIGH))
    width = np.maximum(high - low, 1e-12)
    rising = np.sqrt(width * (mode - low)) * np.sqrt(u)
    falling = np.sqrt(width * np.maximum(high - mode, 0.0)) * np.sqrt(1 - u)
    return np.where(u < (mode - low) / width, low + rising, high - falling)


def triangular(u: Any, low: Any, mode: Any, high: Any) -> Any:
    """The value at quantile ``u`` of a triangular distribution (low, mode, high)."""
    width = np.maximum(high - low, 1e-12)
    split = (mode - low) / width
    return np.where(u < split, low + np.sqrt(u * width * (mode - low)),
                    high - np.sqrt((1 - u) * width * np.maximum(high - mode, 0.0)))
