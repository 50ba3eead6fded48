"""Project debt on the committed phases, and what the equity gets: each phase borrows
``loan_to_cost`` of its capex as it is spent, capitalises the interest until its first
rent, pays interest only through the ramp, then level monthly payments over the tenor; what
is still owed when the lease ends is repaid then. Equity pays the rest of the capex and
takes the cash after debt service."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.economics.phases import Flows, Model, Sites
from pipeline.economics.plans import BASE
from pipeline.economics.valuation import irr, yearly


@dataclass
class Equity:
    """The debt's cash to the equity (draws less service) and the equity's cash, M USD by
    month, (sites, months); and the equity's figures per site."""

    debt: np.ndarray
    levered: np.ndarray
    irr_pct: np.ndarray
    multiple: np.ndarray
    peak_musd: np.ndarray
    min_dscr: np.ndarray


def service_per_unit(model: Model, coupon: float,
                     tenor_months: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Debt service by month of the lease per M USD owed at the first rent: the scheduled
    payments (interest only through the ramp, then level payments) and the balance still
    owed when the lease ends; and the monthly rate."""
    i = coupon / 12
    io = min(int(round(model.e["ramp_months"])), model.term)
    paying = min(tenor_months, model.term - io)
    level = i / (1 - (1 + i) ** -tenor_months) if i > 0 else 1 / max(tenor_months, 1)
    table, balloon = np.zeros(model.term + 1), np.zeros(model.term + 1)
    table[:io] = i
    table[io:io + paying] = level
    if paying < tenor_months:
        grown = (1 + i) ** paying
        balloon[io + paying] = grown - (level * (grown - 1) / i if i > 0 else level * paying)
    return table, balloon, i


def equity(sites: Sites, model: Model, flows: Flows, ltc: float, coupon: float,
           tenor_years: float) -> Equity:
    """Debt and equity of the committed phases of ``flows`` (the base case)."""
    part = sites.part(True)
    debt, paid = debt_cash(sites, model, flows, ltc, coupon, tenor_years)
    levered = flows.total(part) + debt
    month = np.arange(model.horizon)[None, :]
    operating = np.einsum("nk,nkm->nm", part, flows.noi)  # the project's own cash
    operating -= np.where((month >= sites.begin[:, None])
                          & (month < sites.ends(model.term)[1][:, None]),
                          sites.opex[:, None] / 12, 0.0)
    cover, owed = _lease_years(operating, paid, sites, part, model)
    with np.errstate(divide="ignore", invalid="ignore"):
        dscr = np.where(owed > 1e-9, cover / owed, np.inf).min(axis=1)
        gained, put = np.maximum(levered, 0).sum(axis=1), -np.minimum(levered, 0).sum(axis=1)
        multiple = np.where(put > 0, gained / put, np.nan)
    return Equity(debt, levered, irr(yearly(levered)) * 100, multiple,
                  np.maximum(0.0, -np.cumsum(levered, axis=1).min(axis=1)) + 0.0,
                  np.where(np.isfinite(dscr), dscr, np.nan))


def debt_cash(sites: Sites, model: Model, flows: Flows, ltc: float, coupon: float,
              tenor_years: float) -> tuple[np.ndarray, np.ndarray]:
    """The debt's cash to the equity by month (draws less service and repayment) and the
    scheduled service, M USD, (sites, months); both in proportion to ``ltc``."""
    part = sites.part(True)
    tenor = max(1, int(round(tenor_years * 12)))
    scheduled, balloon, i = service_per_unit(model, coupon, tenor)
    build = sites.build_months()
    # a draw of 1 a month over the build grows to sum over q = 1..build of (1 + i)^q
    grown = (((1 + i) ** (build + 1) - (1 + i)) / i if i > 0 else float(build)) / build
    balance = part * ltc * sites.capex[:, :, BASE] * grown  # at each phase's first rent
    # the schedules padded with zeros on both sides, read at month - first rent
    pad = model.horizon
    scheduled = np.concatenate([np.zeros(pad), scheduled, np.zeros(pad)])
    balloon = np.concatenate([np.zeros(pad), balloon, np.zeros(pad)])
    month = np.arange(model.horizon)[None, :]
    paid, repaid = np.zeros((len(part), pad)), np.zeros((len(part), pad))
    for k in np.flatnonzero(balance.any(axis=0)):  # only the phases that borrow
        at = np.clip(month - sites.start[:, k, BASE].astype(int)[:, None] + pad, 0,
                     len(scheduled) - 1)
        paid += balance[:, k, None] * scheduled[at]
        repaid += balance[:, k, None] * balloon[at]
    draws = -ltc * np.einsum("nk,nkm->nm", part, flows.capex)
    return draws - paid - repaid, paid


def _lease_years(operating: np.ndarray, paid: np.ndarray, sites: Sites, part: np.ndarray,
                 model: Model) -> tuple[np.ndarray, np.ndarray]:
    """The project's cash and its scheduled debt service by year from stabilization (the
    first committed phase's first rent after its ramp), the way lenders test coverage."""
    io = min(int(round(model.e["ramp_months"])), model.term)
    first = np.where(part > 0, sites.start[:, :, BASE], np.inf).min(axis=1)
    first = np.where(np.isfinite(first), first + io, 0).astype(int)
    index = first[:, None] + np.arange(model.horizon)[None, :]
    inside = index < model.horizon
    index = np.minimum(index, model.horizon - 1)
    rows = np.arange(len(first))[:, None]
    return (yearly(np.where(inside, operating[rows, index], 0.0)),
            yearly(np.where(inside, paid[rows, index], 0.0)))
