"""The lease's cash, site by site: rent over the signed term (ramp and escalator), the NOI
margin and the power the landlord pays under its structure, the prepayment and its credit,
and the residual after the term (re-let after months vacant at the market rent, valued at
the exit cap rate, less a refresh).

The contracted cash is discounted at each site's contract rate (``terms.contract_rates``),
the residual at the project's rate: a signed lease is a credit, the re-let an asset bet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.economics.terms import Terms, contract_rates, noi_margins
from pipeline.rules import Rules

HOURS_PER_MONTH = 8760 / 12


@dataclass
class Lease:
    """Per site: the term (months), the rent's shape by lease month (the ramp times the
    escalator; 0 past the term), the ramp alone (the load a tenant draws), the contract's
    yearly discount rate, the NOI margin (low, base, high), whether a lease-rate draw
    moves the contract's rent (a default rent) and the prepayment (M USD); and the rules'
    vacancy before a re-let (months), market rent (USD/kW-month at the decision) and its
    growth."""

    term: np.ndarray
    shape: np.ndarray
    ramp: np.ndarray
    rate: np.ndarray
    margin: np.ndarray
    rent_moves: np.ndarray
    prepayment: np.ndarray
    vacancy: int
    market_rent: float
    market_growth: float

    @classmethod
    def of(cls, terms: Terms, rules: Rules, spread: np.ndarray | float = 0.0) -> "Lease":
        """The lease of each site of ``terms``, its contract discounted at its tenant's rate
        plus ``spread`` (its country's sovereign default spread)."""
        e = rules["economics"]
        term = terms.term
        months = np.arange(int(term.max()) if len(term) else 1)[None, :]
        ramp = (np.minimum(1.0, (months + 1) / max(e["ramp_months"], 1.0))
                * (months < term[:, None]))
        shape = ramp * (1 + terms.escalator[:, None]) ** (months // 12)
        return cls(term, shape, ramp, contract_rates(terms, rules) + spread,
                   noi_margins(terms, rules),
                   ~terms.given["rent"], terms.prepayment, int(round(e["relet_vacancy_months"])),
                   float(e["lease_usd_per_kw_month"][1]), float(e["lease_escalator"]))

    def subset(self, keep: np.ndarray) -> "Lease":
        return Lease(**{k: v[keep] if isinstance(v, np.ndarray) else v
                        for k, v in vars(self).items()})

    def discount(self, months: np.ndarray) -> np.ndarray:
        """The contract's discount factors at ``months`` (sites first)."""
        rate = self.rate.reshape((-1,) + (1,) * (np.ndim(months) - 1))
        return (1 + rate) ** (-np.asarray(months, dtype=float) / 12)

    def sums(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per site, at the contract rate from the first rent: the PV of the rent's shape,
        of the ramp (the power a gross lease pays) and of 1 a lease month (the prepayment's
        credit)."""
        months = np.arange(self.shape.shape[1])[None, :]
        factor = self.discount(np.broadcast_to(months, self.shape.shape))
        inside = months < self.term[:, None]
        return ((self.shape * factor).sum(axis=1), (self.ramp * factor).sum(axis=1),
                (inside * factor).sum(axis=1))

    def relet(self, start: np.ndarray) -> np.ndarray:
        """The month each phase starting at ``start`` (sites, phases) is re-let."""
        return start + self.term[:, None] + self.vacancy

    def market_factor(self, month: np.ndarray) -> np.ndarray:
        """The market rent at ``month`` over today's: grown at the rules' escalator."""
        return (1 + self.market_growth) ** (np.asarray(month, dtype=float) / 12)


def landlord_power(it: np.ndarray, pue: np.ndarray, cost_mwh: np.ndarray,
                   pays: np.ndarray, load_factor: float) -> np.ndarray:
    """M USD a month of power each phase's tenant draws at full load, where the landlord
    pays it (a gross lease), (sites, phases); 0 elsewhere."""
    return (it * pue * load_factor * HOURS_PER_MONTH * cost_mwh[:, None] / 1e6
            * pays[:, None])
