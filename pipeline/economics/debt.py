"""Project debt on the committed phases, sized as a lender sizes it, and what the equity
gets.

Each phase borrows with its spend and capitalises the interest until its first rent; the
loan then is the lesser of two: the loan-to-cost cap (of the capex and that interest) and
what the contracted cash carries at the minimum debt service coverage. Interest only
through the ramp, then level payments over the tenor; the loan is due when the lease ends,
so any balance still owed then is a balloon. A site whose contracted cash covers no debt
service in some year gets no loan: its debt cannot be sized. The equity pays the rest of
the capex and takes the cash after debt service; the mining margin forgone is no cash, so
the equity's figures leave it out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.economics.phases import Flows, Model, Sites
from pipeline.economics.plans import BASE
from pipeline.economics.valuation import irr, yearly

# What bounds each site's loan.
LOAN_TO_COST, COVERAGE, UNSIZED, NO_DEBT = "loan_to_cost", "coverage", "unsized", "none"


@dataclass
class Debt:
    """Per site: the debt's cash to the equity by month (draws less service and the
    balloon), the draws and the scheduled service (sites, months); the loan at first rent,
    with the capitalised interest, and the balloon owed at the lease end (M USD); what
    bounds the loan; its yearly coverage, lowest and average, from stabilization."""

    cash: np.ndarray
    draws: np.ndarray
    service: np.ndarray
    loan: np.ndarray
    balloon: np.ndarray
    sizing: np.ndarray
    min_dscr: np.ndarray
    avg_dscr: np.ndarray


@dataclass
class Equity:
    """The equity's cash after debt, M USD by month (sites, months); and its figures per
    site (NaN where the debt cannot be sized)."""

    levered: np.ndarray
    irr_pct: np.ndarray
    multiple: np.ndarray
    peak_musd: np.ndarray


def schedule(model: Model, coupon: float, tenor_months: int,
             term: int) -> tuple[np.ndarray, np.ndarray]:
    """Debt service by month of a ``term``-month lease per M USD owed at the first rent:
    the scheduled payments (interest only through the ramp, then level payments over the
    tenor) and the balloon still owed when the lease ends."""
    i = coupon / 12
    io = min(int(round(model.e["ramp_months"])), term)
    paying = min(tenor_months, term - io)
    level = i / (1 - (1 + i) ** -tenor_months) if i > 0 else 1 / max(tenor_months, 1)
    table, balloon = np.zeros(term + 1), np.zeros(term + 1)
    table[:io] = i
    table[io:io + paying] = level
    if paying < tenor_months:
        grown = (1 + i) ** paying
        balloon[io + paying] = grown - (level * (grown - 1) / i if i > 0 else level * paying)
    return table, balloon


def size(sites: Sites, model: Model, flows: Flows, ltc: float, coupon: float,
         tenor_years: float, min_dscr: float) -> Debt:
    """The debt of the committed phases of ``flows`` (the base case)."""
    part = sites.part(True)
    cash, draws, service, loan, balloon = _debt(sites, model, flows, ltc, coupon, tenor_years)
    cover, owed = lease_years(operating(sites, model, flows), service, sites, part, model)
    paying = owed > 1e-9  # the lease years with debt service
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(paying, cover / owed, np.inf)  # coverage at the loan-to-cost cap
    scale = np.clip(ratio.min(axis=1) / min_dscr, 0.0, 1.0)
    borrows = loan > 1e-9
    sizing = np.where(~borrows, NO_DEBT, np.where(scale >= 1.0, LOAN_TO_COST,
                                                  np.where(scale > 0, COVERAGE, UNSIZED)))
    counted = paying.sum(axis=1)
    shown = borrows & (scale > 0) & (counted > 0)  # a sized loan with service to cover
    coverage = ratio / np.where(shown, scale, 1.0)[:, None]  # at the sized loan
    low = np.where(shown, np.where(paying, coverage, np.inf).min(axis=1), np.nan)
    average = np.where(shown, np.where(paying, coverage, 0.0).sum(axis=1)
                       / np.maximum(counted, 1), np.nan)
    rows = scale[:, None]
    return Debt(cash * rows, draws * rows, service * rows, loan * scale, balloon * scale,
                sizing, low, average)


def operating(sites: Sites, model: Model, flows: Flows) -> np.ndarray:
    """The cash a lender counts on, (sites, months): the committed phases' contracted NOI,
    less the 24x7 team, with the prepayment's credit."""
    part = sites.part(True)
    return flows.contract(part) + flows.opex


def _debt(sites: Sites, model: Model, flows: Flows, ltc: float, coupon: float,
          tenor_years: float) -> tuple[np.ndarray, ...]:
    """The debt at the loan-to-cost cap: its cash to the equity, draws and scheduled
    service by month (sites, months), the loan at first rent and the balloon (sites,)."""
    part = sites.part(True)
    tenor = max(1, int(round(tenor_years * 12)))
    i = coupon / 12
    spend = sites.spend_months()
    # a draw of 1 a month over the build grows to sum over q = 1..build of (1 + i)^q
    grown = (((1 + i) ** (spend + 1) - (1 + i)) / i if i > 0 else spend) / spend
    # the loan (draws and their interest) is ltc of the cost (capex and that interest)
    drawn = ltc / (grown * (1 - ltc) + ltc)
    balance = part * drawn * sites.capex[:, :, BASE] * grown  # at each phase's first rent
    pad, horizon = model.horizon, model.horizon
    month = np.arange(horizon)[None, :]
    terms = np.unique(sites.lease.term)
    width = int(terms.max()) + 1 if len(terms) else 1
    tables = np.zeros((len(terms), width + 2 * pad))
    balloons = np.zeros_like(tables)
    for row, term in enumerate(terms.tolist()):
        t, b = schedule(model, coupon, tenor, term)
        tables[row, pad:pad + len(t)], balloons[row, pad:pad + len(b)] = t, b
    which = np.searchsorted(terms, sites.lease.term)
    rows = which[:, None]
    paid, repaid = np.zeros((len(part), horizon)), np.zeros((len(part), horizon))
    balloon = np.zeros(len(part))
    for k in np.flatnonzero(balance.any(axis=0)):  # only the phases that borrow
        at = np.clip(month - sites.start[:, k, BASE].astype(int)[:, None] + pad, 0,
                     tables.shape[1] - 1)
        paid += balance[:, k, None] * tables[rows, at]
        repaid += balance[:, k, None] * balloons[rows, at]
        balloon += balance[:, k] * balloons[which].sum(axis=1)
    draws = -np.einsum("nk,nkm->nm", part * drawn, flows.capex)
    return draws - paid - repaid, draws, paid, balance.sum(axis=1), balloon


def equity(sites: Sites, model: Model, flows: Flows, debt: Debt) -> Equity:
    """The equity's cash and figures: the committed phases' cash less the capex the debt
    funds and its service; none where the debt cannot be sized."""
    levered = flows.cash(sites.part(True)) + debt.cash
    with np.errstate(divide="ignore", invalid="ignore"):
        gained, put = np.maximum(levered, 0).sum(axis=1), -np.minimum(levered, 0).sum(axis=1)
        multiple = np.where(put > 0, gained / put, np.nan)
    unsized = debt.sizing == UNSIZED
    peak = np.maximum(0.0, -np.cumsum(levered, axis=1).min(axis=1)) + 0.0
    return Equity(levered, np.where(unsized, np.nan, irr(yearly(levered)) * 100),
                  np.where(unsized, np.nan, multiple), np.where(unsized, np.nan, peak))


def lease_years(operating: np.ndarray, paid: np.ndarray, sites: Sites, part: np.ndarray,
                model: Model) -> tuple[np.ndarray, np.ndarray]:
    """The project's cash and its scheduled debt service by year from stabilization (the
    first committed phase's first rent after its ramp), the way lenders test coverage."""
    io = int(round(model.e["ramp_months"]))
    first = np.where(part > 0, sites.start[:, :, BASE], np.inf).min(axis=1)
    first = np.where(np.isfinite(first), first + np.minimum(io, sites.lease.term), 0).astype(int)
    index = first[:, None] + np.arange(model.horizon)[None, :]
    inside = index < model.horizon
    index = np.minimum(index, model.horizon - 1)
    rows = np.arange(len(first))[:, None]
    return (yearly(np.where(inside, operating[rows, index], 0.0)),
            yearly(np.where(inside, paid[rows, index], 0.0)))
