"""Country risk in the price: a site's country adds its risk premium to the project's
discount rate and its sovereign default spread to the contract's, times the rules' exposure,
from the country-premium table (``economics.country_premium_table``; Damodaran's country
risk premiums, with their source and as-of month). A country not given or not listed adds
nothing, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.economics.plans import Plan
from pipeline.geo.regions import country_named
from pipeline.risks import CountryPremium, country_premium
from pipeline.rules import Rules


@dataclass
class Country:
    """Per site: its country as given, the table's row (None: not given or not listed), and
    what is added to the project's and to the contract's discount rate (shares a year)."""

    given: list[str | None]
    found: list[CountryPremium | None]
    premium: np.ndarray
    spread: np.ndarray

    @classmethod
    def of(cls, plans: list[Plan], rules: Rules) -> "Country":
        e = rules["economics"]
        given = [p.site.values.get("country") for p in plans]
        found = [None if c is None else _premium(str(c), e["country_premium_table"])
                 for c in given]
        exposure = float(e["country_risk_exposure"])
        premium = np.array([0.0 if f is None else f.premium * exposure for f in found])
        spread = np.array([0.0 if f is None else f.spread * exposure for f in found])
        return cls(given, found, premium, spread)

    def subset(self, keep: np.ndarray) -> "Country":
        return Country([self.given[i] for i in keep], [self.found[i] for i in keep],
                       self.premium[keep], self.spread[keep])


def _premium(country: str, table: str) -> CountryPremium | None:
    """The table's row for ``country``, by its spelling or else by the ISO code of the
    country it names ("United States of America" is the table's "United States")."""
    found = country_premium(country, table)
    if found is None and (named := country_named(country)) is not None:
        found = country_premium(named.iso2, table)
    return found


def premiums(plans: list[Plan], rules: Rules) -> np.ndarray:
    """The premium each plan's country adds to the project's discount rate."""
    return Country.of(plans, rules).premium
