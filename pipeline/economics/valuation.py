"""What the cash is worth: NPV in closed form, the contract and the residual valued apart,
yearly cash, IRR and payback, and the developer's figures (yield on cost, development
spread, value created)."""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.economics.distributions import triangular_outer
from pipeline.economics.mining import forgone_pv
from pipeline.economics.phases import Model, Sites, relet_values
from pipeline.economics.plans import BASE


def npv(sites: Sites, model: Model, lease: Any = 1.0, capex: Any = None, delay: Any = 0.0,
        hashprice: Any = 1.0, noi: Any = None, mining: np.ndarray | None = None,
        cap: Any = None, committed: bool = True) -> np.ndarray:
    """NPV in M USD in closed form, (sites, draws), of the committed phases (or, with
    ``committed`` False, of the option phases, which bear no mining forgone, team or
    prepayment): the contract's value and the residual's, less the capex and the site's
    costs. Each assumption a number or a row of draws: ``lease`` and ``hashprice`` are
    factors on the default rent and the base hashprice, ``capex`` a quantile in [0, 1] of
    the present value of the site's low-base-high capex (None: base), ``delay`` months
    added to every first rent (the spend keeps its schedule), ``noi`` a quantile of each
    site's NOI margin range and ``cap`` the exit cap rate (None: base); ``mining``, the PV
    of the mining business given up in M USD when worked out already. Equal to
    ``present_value`` of the base scenario's ``monthly_flows`` when every assumption is at
    base."""
    part = sites.part(committed)
    spent = np.einsum("nk,nkc->nc", part * spend_factor(sites, model), sites.capex)
    if capex is None:
        cost = spent[:, BASE, None]
    else:
        cost = triangular_outer(np.asarray(capex, dtype=float).reshape(1, -1), spent)
    delay = np.asarray(delay, dtype=float)
    value = (contract_pv(sites, part, lease, noi, committed)
             * (1 + sites.lease.rate[:, None]) ** (-delay / 12)
             + residual_pv(sites, model, part, lease, noi, cap)
             * (1 + model.rate) ** (-delay / 12) - cost)
    if not committed:
        return value
    opex_end = sites.ends()[1]
    moved = np.round(delay)
    begin = sites.begin[:, None]
    if mining is None:
        mining = forgone_pv(sites, model, hashprice, delay)
    opex_months = np.clip((opex_end[:, None] + moved).astype(int), 0, model.horizon)
    opex = sites.opex[:, None] / 12 * (model.annuity[opex_months]
                                       - model.annuity[begin.astype(int)])
    return value - mining - opex


def rent_slope(sites: Sites, part: np.ndarray) -> np.ndarray:
    """How much the NPV of the phases ``part`` marks moves per USD/kW-month of the site's
    year-1 rent, M USD, (sites,)."""
    shape = sites.lease.sums()[0]
    at = sites.lease.discount(sites.start[:, :, BASE])
    per_usd = sites.it * 1000 * sites.premium / 1e6  # a month, per USD/kW-month
    return sites.margins()[:, 0] * (part * at * per_usd).sum(axis=1) * shape


def contract_pv(sites: Sites, part: np.ndarray, lease: Any = 1.0, noi: Any = None,
                prepayment: bool = True) -> np.ndarray:
    """PV at each site's contract rate of the contracted cash of the phases ``part`` marks
    (NOI over each signed term, less the power a gross lease's landlord pays) and of the
    prepayment with its credit, M USD, (sites, draws)."""
    shape, ramp, months = sites.lease.sums()
    start = sites.start[:, :, BASE]
    at = sites.lease.discount(start)
    rent = sites.rent_musd_per_month(np.ravel(lease))  # (sites, phases, draws)
    income = np.einsum("nk,nkd->nd", part * at, rent) * shape[:, None]
    power = (part * at * sites.power).sum(axis=1)[:, None] * ramp[:, None]
    value = sites.margins(noi) * income - power
    if prepayment:
        first = np.where(part > 0, start, np.inf).min(axis=1)
        has = np.isfinite(first)
        first = np.where(has, first, 0.0)
        paid = sites.lease.prepayment * (sites.lease.discount(sites.begin)
                                         - sites.lease.discount(first) * months
                                         / sites.lease.term)
        value = value + np.where(has, paid, 0.0)[:, None]
    return value


def residual_pv(sites: Sites, model: Model, part: np.ndarray, lease: Any = 1.0,
                noi: Any = None, cap: Any = None) -> np.ndarray:
    """PV at the project's rate of the phases ``part`` marks at their re-let: a year's NOI
    at the market rent then, over the exit cap rate, less the refresh, M USD, (sites,
    draws); 0 without an exit value."""
    if not model.e["exit_value"]:
        return np.zeros((len(sites.plans), np.size(lease) if np.ndim(lease) else 1))
    relet = sites.lease.relet(sites.start[:, :, BASE])
    values = relet_values(sites, model, relet, sites.margins(noi), lease, cap)
    return np.einsum("nk,nkd->nd", part * model.at(relet), values)


def spend_factor(sites: Sites, model: Model) -> np.ndarray:
    """PV of one M USD of each phase's capex spent evenly over its build, (sites, phases)."""
    spend = sites.spend_months()
    begin = np.clip(sites.build_starts().astype(int), 0, model.horizon)
    end = np.clip((begin + spend).astype(int), 0, model.horizon)
    return (model.annuity[end] - model.annuity[begin]) / spend


def residual_values(sites: Sites, model: Model, part: np.ndarray) -> np.ndarray:
    """The residual values at re-let, undiscounted, at base, of the phases ``part`` marks,
    M USD."""
    if not model.e["exit_value"]:
        return np.zeros(len(sites.plans))
    relet = sites.lease.relet(sites.start[:, :, BASE])
    values = relet_values(sites, model, relet, sites.margins())[:, :, 0]
    return np.einsum("nk,nk->n", part, values)


def stabilized_noi(sites: Sites, model: Model) -> np.ndarray:
    """NOI of each phase's first full lease year after its ramp, base, M USD, (sites,
    phases)."""
    year = int(np.ceil(model.e["ramp_months"] / 12))
    grown = (1 + sites.terms.escalator[:, None]) ** year
    return 12 * (sites.margins()[:, :1] * sites.rent_musd_per_month() * grown - sites.power)


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
