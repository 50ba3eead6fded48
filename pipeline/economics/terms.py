"""A site's own deal terms, each given by the site or the rules' default, with its source.

The input contract's deal columns (``contract.DEAL_COLUMNS``) override the rules one site at
a time: a given year-1 rent, term, escalator, lease structure, contracted critical IT,
tenant credit, capex quote, first rent and prepayment win over ``[economics]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.economics.plans import BASE, Plan
from pipeline.rules import Rules

GIVEN, DEFAULT = "given", "default"

# Lease structures: who pays the power and the operating costs.
TRIPLE_NET, MODIFIED_GROSS, GROSS = "triple_net", "modified_gross", "gross"
# Tenant credit classes, best first.
CREDIT_CLASSES = ("investment_grade", "backstopped", "unrated")

# Each term and the input column that gives it.
TERM_COLUMNS = {
    "rent": "lease_rate_usd_per_kw_month", "term": "lease_term_years",
    "escalator": "lease_escalator_pct", "structure": "lease_structure",
    "contracted_it": "contracted_it_mw", "credit": "tenant_credit",
    "capex": "capex_musd_per_it_mw", "first_rent": "first_rent",
    "prepayment": "prepayment_musd",
}


@dataclass
class Terms:
    """The deal terms of a chunk of plans, one value a site: year-1 rent (USD/kW-month),
    term (months), escalator (share a year), structure, contracted critical IT (MW, NaN where
    not given), credit class, capex quote (M USD per MW of IT, NaN: the rules' rate), first
    rent (months from the decision, below 0 before it; NaN: after the build), prepayment
    (M USD); and which of them each site gave (``given``: term name -> bool per site)."""

    rent: np.ndarray
    term: np.ndarray
    escalator: np.ndarray
    structure: np.ndarray
    contracted_it: np.ndarray
    credit: np.ndarray
    capex: np.ndarray
    first_rent: np.ndarray
    prepayment: np.ndarray
    given: dict[str, np.ndarray] = field(default_factory=dict)

    def source(self, name: str) -> list[str]:
        """GIVEN or DEFAULT for term ``name``, per site."""
        return sources(self.given[name])

    def subset(self, keep: np.ndarray) -> "Terms":
        return Terms(**{k: ({n: g[keep] for n, g in v.items()} if isinstance(v, dict)
                            else v[keep]) for k, v in vars(self).items()})

    @property
    def landlord_pays_power(self) -> np.ndarray:
        return self.structure == GROSS


def sources(given: np.ndarray) -> list[str]:
    """GIVEN or DEFAULT for each site, from whether it gave the value."""
    return [GIVEN if g else DEFAULT for g in given.tolist()]


def months_from(start: str, end: str) -> int:
    """Whole months from ``start`` to ``end`` (YYYY-MM)."""
    (y0, m0), (y1, m1) = (map(int, d.split("-")[:2]) for d in (start, end))
    return (y1 - y0) * 12 + m1 - m0


def terms_of(plans: list[Plan], rules: Rules) -> Terms:
    """The terms of each plan's site: its own where given, else the rules'."""
    e = rules["economics"]
    values = [p.site.values for p in plans]

    def read(name: str) -> tuple[list, np.ndarray]:
        column = TERM_COLUMNS[name]
        found = [v.get(column) for v in values]
        return found, np.array([x is not None for x in found], dtype=bool)

    given, out = {}, {}
    defaults = {"rent": e["lease_usd_per_kw_month"][BASE], "term": e["lease_term_years"],
                "escalator": e["lease_escalator"], "structure": e["lease_structure"],
                "credit": e["tenant_credit"]}
    for name, default in defaults.items():
        found, given[name] = read(name)
        if name == "escalator":
            found = [None if x is None else x / 100 for x in found]
        kind = object if name in ("structure", "credit") else float
        out[name] = np.array([default if x is None else x for x in found], dtype=kind)
    out["term"] = np.maximum(1, np.round(out["term"] * 12)).astype(int)
    for name in ("contracted_it", "capex", "prepayment"):
        found, given[name] = read(name)
        blank = 0.0 if name == "prepayment" else np.nan
        out[name] = np.array([blank if x is None else x for x in found], dtype=float)
    found, given["first_rent"] = read("first_rent")
    out["first_rent"] = np.array([np.nan if x is None else months_from(e["decision_date"], x)
                                  for x in found], dtype=float)
    return Terms(**out, given=given)


def contract_rates(terms: Terms, rules: Rules) -> np.ndarray:
    """The yearly rate each site's contracted rent is discounted at: its tenant's credit
    class's."""
    e = rules["economics"]
    rates = {c: e[f"contract_rate_{c}"] for c in CREDIT_CLASSES}
    return np.array([rates[c] for c in terms.credit], dtype=float)


def noi_margins(terms: Terms, rules: Rules) -> np.ndarray:
    """(sites, 3) the NOI margin of rent, low, base and high, of each site's lease
    structure: the tenant carries the operating costs under a triple-net lease."""
    e = rules["economics"]
    net = np.array(e["noi_margin_triple_net"], dtype=float)
    carried = np.array(e["noi_margin"], dtype=float)
    return np.where((terms.structure == TRIPLE_NET)[:, None], net[None, :], carried[None, :])
