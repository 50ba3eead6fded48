"""A chunk of plans as arrays, phase by phase: critical IT, capex and when it is spent, the
first rent, whether the phase is committed; the assumptions every site shares (the rent's
shape over a lease, the mining revenue by month, discount factors); and the cash by month.

Time runs in months from the decision date (month 0). Each phase spends its capex evenly
over its build, which ends at its first rent; rent ramps up and escalates over the lease; at
the lease's end the phase is valued at the exit cap rate (``valuation``). Mining margin on
the power the conversion takes is given up from the conversion's start to the end of the
energized phase's lease; a 24x7 team, where the site lacks one, is paid from the start to
the last committed lease end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.economics.country import Country
from pipeline.economics.lease import HOURS_PER_MONTH, Lease, landlord_power
from pipeline.economics.mining import Mining, bridge_end, monthly
from pipeline.economics.plans import BASE, BLOCK, ENERGIZED, HIGH, LATER, LOW, Plan
from pipeline.economics.terms import Terms, months_from, terms_of
from pipeline.economics.distributions import triangular
from pipeline.rules import Rules


class Model:
    """What every site shares: the project's discount factors, the mining revenue per MWh
    month by month, and tables of the mining margin's PV. The yearly rate is ``rate`` (the
    rules' base where None) plus ``premium``, the sites' country risk premium."""

    def __init__(self, rules: Rules, horizon: int, rate: float | None = None,
                 premium: float = 0.0):
        e = self.e = rules["economics"]
        self.premium = premium
        self.rate = (e["discount_rate"][BASE] if rate is None else rate) + premium
        self.horizon = horizon
        months = np.arange(horizon + 1, dtype=float)
        self.discount = (1 + self.rate) ** (-months / 12)
        since = months_from(e["as_of"], e["decision_date"])
        halving = months_from(e["decision_date"], e["halving_date"])
        hashprice = (e["hashprice_usd_per_ph_day"][BASE]
                     * (1 + e["network_growth_per_year"]) ** (-(months + since) / 12)
                     * np.where(months >= halving, 1 - e["halving_hashprice_cut"], 1.0))
        ph_per_mw = 1000 / e["fleet_efficiency_j_per_th"]  # 1 MW at J/TH -> PH/s
        self.mining_usd_per_mwh = hashprice * ph_per_mw / 24  # revenue, before power
        # g(x, H) = sum over months m < H of max(0, revenue_m - x) x discount_m, tabled at
        # every month's revenue (and 0): piecewise linear in x between them, so exact.
        revenue = self.mining_usd_per_mwh[:horizon]
        self.kinks = np.unique(np.concatenate(([0.0], revenue)))
        terms = np.maximum(0.0, revenue[:, None] - self.kinks[None, :]) * \
            self.discount[:horizon, None]
        self.table = np.vstack([np.zeros(len(self.kinks)), np.cumsum(terms, axis=0)])
        self.annuity = np.concatenate(([0.0], np.cumsum(self.discount[:horizon])))

    def at(self, months: np.ndarray) -> np.ndarray:
        """Discount factors at whole ``months``."""
        return self.discount[np.clip(np.asarray(months).astype(int), 0, self.horizon)]

    def mining_pv(self, cost_usd_per_mwh: np.ndarray, months: np.ndarray) -> np.ndarray:
        """PV of one MW's mining margin over power, per month x hours, for months < ``months``
        (USD); arrays broadcast."""
        x, h = np.broadcast_arrays(cost_usd_per_mwh, np.clip(months, 0, self.horizon))
        h = h.astype(int)
        j = np.clip(np.searchsorted(self.kinks, x, side="right") - 1, 0, len(self.kinks) - 2)
        left, right = self.kinks[j], self.kinks[j + 1]
        share = np.clip((x - left) / (right - left), 0.0, None)
        value = self.table[h, j] + share * (self.table[h, j + 1] - self.table[h, j])
        return np.where(x >= self.kinks[-1], 0.0, np.maximum(value, 0.0)) * HOURS_PER_MONTH

@dataclass
class Sites:
    """A chunk of plans as arrays, (sites, phases) and (sites, phases, 3) for low, base and
    high; months are whole months from the decision."""

    plans: list[Plan]
    it: np.ndarray  # critical IT MW by phase
    premium: np.ndarray  # the rent factor of each phase's workload (1 + inference premium)
    capex: np.ndarray  # M USD by phase and case: halls, power for the later phase, fixes
    start: np.ndarray  # month of first rent by phase and case; the build ends there
    spend_from: np.ndarray  # month each phase's build starts spending, by phase and case
    committed: np.ndarray  # (sites, phases) the phase is built now, not an option
    waiting: np.ndarray  # (sites, phases) the phase is on power not yet energized
    cost_mwh: np.ndarray  # USD/MWh of power
    opex: np.ndarray  # M USD a year while the committed phases run (24x7 team), base
    begin: np.ndarray  # month the conversion starts (0 at the decision)
    power: np.ndarray  # M USD a month of the power the landlord pays at full load, by phase
    terms: Terms  # the deal terms, given or default
    lease: Lease  # the lease's shape, rates and margins
    mining: Mining  # the mining business the conversion displaces
    bridge: np.ndarray  # (sites, 3) month the displaced miners stop, by case
    odds: np.ndarray  # the chance the option phases' power is energized
    country: Country  # the country risk added to the discount rates

    @classmethod
    def of(cls, plans: list[Plan], rules: Rules, begin: Any = 0) -> "Sites":
        """The arrays of ``plans``, each conversion starting ``begin`` months after the
        decision (a number or one a plan): its energized phases' builds start then (or end
        at the site's given first rent), and its later phase's first rent is the later of
        its build from then and its power."""
        e = rules["economics"]
        n = len(plans)
        terms = terms_of(plans, rules)
        begin = np.broadcast_to(np.asarray(begin, dtype=float), (n,)).copy()
        it = np.array([[ph.it_mw for ph in p.phases] for p in plans]).reshape(n, 3)
        pue = np.array([[ph.pue for ph in p.phases] for p in plans]).reshape(n, 3)
        premium = np.array([[1 + (e["inference_lease_premium"] if ph.workload == "inference"
                                  else 0.0) for ph in p.phases] for p in plans]).reshape(n, 3)
        block_later = np.array([p.phases[BLOCK].later for p in plans], dtype=bool)
        later_committed = np.array([p.later_committed for p in plans], dtype=bool)
        committed = np.column_stack([np.ones(n, bool), ~block_later | later_committed,
                                     later_committed])
        # a contract's critical IT: the committed halls are built to it
        built = (it * committed).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(np.isfinite(terms.contracted_it) & (built > 0),
                             terms.contracted_it / built, 1.0)
        it = np.where(committed, it * scale[:, None], it)
        rate = np.array([[e[f"capex_musd_per_it_mw_{ph.design}"] for ph in p.phases]
                         for p in plans], dtype=float).reshape(n, 3, 3)
        quoted = np.isfinite(terms.capex)
        # a quote replaces the base rate; its low and high keep the rules' proportions
        rate = np.where(quoted[:, None, None],
                        rate / rate[:, :, BASE, None] * np.nan_to_num(terms.capex)[:, None, None],
                        rate)
        ready = np.array([p.cooling_ready for p in plans], dtype=float) * ~quoted
        share = e["cooling_share_of_capex"]
        infra = np.array(e["power_infrastructure_musd_per_it_mw"])
        capex = it[:, :, None] * rate
        # halls on energized power pay no cooling where the cooling gate passes today
        capex[:, :LATER] *= (1 - share * ready)[:, None, None]
        capex[:, LATER] += it[:, LATER, None] * infra[None, :]
        fixes = np.array([[sum(line.price[k] for line in p.ready if line.price is not None
                               and not line.yearly and not line.in_build) for k in range(3)]
                          for p in plans]).reshape(n, 3)
        first = np.where(it[:, ENERGIZED] + it[:, BLOCK] > 0, ENERGIZED, LATER)
        capex[np.arange(n), first] += fixes
        build = np.array(e["build_months"], dtype=float)
        waits = np.array([p.time_to_power for p in plans]).reshape(n, 3)
        now = begin[:, None] + build[None, :]
        signed = np.isfinite(terms.first_rent)
        # a first rent signed before the decision counts from the decision
        signed_at = np.maximum(0.0, np.nan_to_num(terms.first_rent))
        now = np.where(signed[:, None], signed_at[:, None] + begin[:, None], now)
        later = np.maximum(now, waits)
        start = np.round(np.stack([now, np.where(block_later[:, None], later, now), later],
                                  axis=1))
        spend_from = np.maximum(start - build[None, None, :], begin[:, None, None])
        opex = np.array([sum(line.price[BASE] for line in p.ready if line.yearly)
                         for p in plans], dtype=float)
        waiting = np.column_stack([np.zeros(n, bool), block_later, np.ones(n, bool)])
        cost_mwh = np.array([p.power_cost * 1000 for p in plans], dtype=float)
        power = landlord_power(it, pue, cost_mwh, terms.landlord_pays_power,
                               e["power_load_factor"])
        odds = rules["economics"]["option_odds"]
        chance = np.array([odds.get(p.site.values.get("interconnection_status") or "none",
                                    odds.get("none", 0.0)) for p in plans], dtype=float)
        country = Country.of(plans, rules)
        return cls(plans, it, premium, capex, start, spend_from, committed, waiting, cost_mwh,
                   opex, begin, power, terms, Lease.of(terms, rules, country.spread),
                   Mining.of(plans, cost_mwh, rules), bridge_end(start, begin, rules),
                   chance.reshape(n), country)

    @property
    def mining_mw(self) -> np.ndarray:
        """The mining load the conversion displaces: its business is given up."""
        return self.mining.mw

    @property
    def it_now(self) -> np.ndarray:
        """Critical IT on power energized today."""
        return (self.it * ~self.waiting).sum(axis=1)

    @property
    def it_later(self) -> np.ndarray:
        """Critical IT on power not yet energized."""
        return (self.it * self.waiting).sum(axis=1)

    def part(self, committed: bool) -> np.ndarray:
        """(sites, phases) 1 where a phase with IT is committed (or, False, an option)."""
        return ((self.committed == committed) & (self.it > 0)).astype(float)

    def rent_musd_per_month(self, lease: Any = 1.0) -> np.ndarray:
        """Full year-1 rent a month of each phase, M USD, (sites, phases[, draws]): the
        site's rate, times ``lease`` (a factor or a row of draws) where it is the default."""
        factor = np.where(self.lease.rent_moves[:, None], np.ravel(lease)[None, :], 1.0)
        rent = self.it[:, :, None] * (self.terms.rent[:, None, None] * factor[:, None, :]) \
            * 1000 * self.premium[:, :, None] / 1e6
        return rent[:, :, 0] if np.ndim(lease) == 0 else rent

    def market_rent_musd_per_month(self) -> np.ndarray:
        """Each phase's rent a month at the rules' market rate today, M USD."""
        return self.it * self.lease.market_rent * 1000 * self.premium / 1e6

    def spend_months(self, months: int = BASE) -> np.ndarray:
        """(sites, phases) months each phase's capex is spent over."""
        return np.maximum(1.0, self.start[:, :, months] - self.spend_from[:, :, months])

    def build_starts(self, months: int = BASE) -> np.ndarray:
        """(sites, phases) month each phase's build starts."""
        return self.spend_from[:, :, months]

    def ends(self, months: int = BASE) -> tuple[np.ndarray, np.ndarray]:
        """(month the mining forgone ends, month the opex ends): the energized phase's lease
        end, and the last committed lease end (the start where nothing is committed)."""
        start = self.start[:, :, months]
        term = self.lease.term[:, None]
        last = np.max(np.where(self.part(True) > 0, start + term, 0.0), axis=1)
        return start[:, ENERGIZED] + self.lease.term, np.maximum(last, self.begin)

    def margins(self, noi: Any = None) -> np.ndarray:
        """The NOI margin of each site, (sites, 1) at base or (sites, draws) at the quantiles
        ``noi`` of each site's own range."""
        m = self.lease.margin
        if noi is None:
            return m[:, BASE, None]
        u = np.ravel(np.asarray(noi, dtype=float))[None, :]
        return triangular(u, m[:, LOW, None], m[:, BASE, None], m[:, HIGH, None])

    def subset(self, keep: np.ndarray) -> "Sites":
        fields = {k: (v[keep] if isinstance(v, np.ndarray) else
                      v.subset(keep) if hasattr(v, "subset") else [v[i] for i in keep])
                  for k, v in vars(self).items()}
        return Sites(**fields)


def horizon(sites: Sites, rules: Rules) -> int:
    """Months the cash flows run: past the last lease's end, its re-let and the latest
    case."""
    e = rules["economics"]
    spread = e["build_months"][HIGH] - e["build_months"][BASE]
    if not sites.start.size:
        return int(round(e["lease_term_years"] * 12)) + 2
    last = float((sites.start.max(axis=(1, 2)) + sites.lease.term).max())
    return int(np.ceil(last + spread)) + sites.lease.vacancy + 2


@dataclass(frozen=True)
class Scenario:
    """One set of market assumptions: a factor on the default lease rate, a capex and a
    months column (0, 1, 2 for low, base, high), a hashprice factor on the base path, the
    NOI margin's quantile in each site's range, an exit cap rate."""

    lease: float
    capex: int
    months: int
    hashprice: float
    noi: float | None
    cap: float


def scenarios(rules: Rules) -> dict[str, Scenario]:
    """Base, and the low and high ends of NPV (every variable at its worse or better end)."""
    e = rules["economics"]
    hp = [x / e["hashprice_usd_per_ph_day"][BASE] for x in e["hashprice_usd_per_ph_day"]]
    lease = [x / e["lease_usd_per_kw_month"][BASE] for x in e["lease_usd_per_kw_month"]]
    cap = e["exit_cap_rate"]
    return {"low": Scenario(lease[LOW], HIGH, HIGH, hp[HIGH], 0.0, cap[HIGH]),
            "base": Scenario(1.0, BASE, BASE, 1.0, None, cap[BASE]),
            "high": Scenario(lease[HIGH], LOW, LOW, hp[LOW], 1.0, cap[LOW])}


@dataclass
class Flows:
    """Cash by month from the decision, M USD: by phase (sites, phases, months) the capex
    spent (negative), the contracted NOI and the residual value; and the site's own
    (sites, months): the mining business given up (with the fleet's resale), the 24x7 team,
    and the prepayment with its credit against the rent; and, beside them, the mining
    margin earned through the build, which converting keeps."""

    capex: np.ndarray
    noi: np.ndarray
    exit: np.ndarray
    mining: np.ndarray
    opex: np.ndarray
    prepay: np.ndarray
    bridge: np.ndarray  # the margin the miners earn through the build: kept, not in the cash

    @property
    def costs(self) -> np.ndarray:
        """The site's own cash: mining forgone, team, prepayment."""
        return self.mining + self.opex + self.prepay

    def phases(self) -> np.ndarray:
        return self.capex + self.noi + self.exit

    def total(self, part: np.ndarray, costs: bool = True) -> np.ndarray:
        """The cash of the phases ``part`` marks (sites, phases), with the site's costs."""
        flows = np.einsum("nk,nkm->nm", part, self.phases())
        return flows + self.costs if costs else flows

    def contract(self, part: np.ndarray) -> np.ndarray:
        """The contracted cash: the NOI inside each lease and the prepayment."""
        return np.einsum("nk,nkm->nm", part, self.noi) + self.prepay

    def cash(self, part: np.ndarray) -> np.ndarray:
        """What the project's owners pay and get: the total less the mining margin forgone,
        which is no cash."""
        return self.total(part) - self.mining


def relet_values(sites: Sites, model: Model, relet: np.ndarray, margin: np.ndarray,
                 lease: Any = 1.0, cap: Any = None) -> np.ndarray:
    """Each phase's value when re-let in month ``relet`` (sites, phases), undiscounted,
    M USD, (sites, phases, draws): a year's NOI at the market rent then (``margin``, (sites,
    draws); ``lease``, a factor on the market rent) over the exit ``cap`` rate (None: base),
    less the refresh."""
    e = model.e
    cap = e["exit_cap_rate"][BASE] if cap is None else np.ravel(np.asarray(cap, dtype=float))
    market = sites.market_rent_musd_per_month() * sites.lease.market_factor(relet)
    noi = (margin[:, None, :] * market[:, :, None] * np.ravel(lease)[None, None, :]
           - sites.power[:, :, None])
    return 12 * noi * (1 - e["exit_refresh_share"]) / cap


def present_value(flows: Flows, sites: Sites, model: Model, part: np.ndarray) -> np.ndarray:
    """Each month's cash at the decision date, (sites, months): the contracted cash at the
    site's contract rate, the rest at the project's."""
    months = np.arange(model.horizon)
    contract = flows.contract(part)
    other = flows.total(part) - contract
    return (contract * sites.lease.discount(np.broadcast_to(months, contract.shape))
            + other * model.discount[None, :model.horizon])


def monthly_flows(sites: Sites, model: Model, s: Scenario) -> Flows:
    """Cash by month from the decision, M USD, phase by phase."""
    e = model.e
    n, horizon = len(sites.plans), model.horizon
    month = np.arange(horizon)[None, None, :]
    start = sites.start[:, :, s.months][:, :, None]
    spend_from = sites.spend_from[:, :, s.months][:, :, None]
    spend = sites.spend_months(s.months)[:, :, None]
    spending = (month >= spend_from) & (month < spend_from + spend)
    capex = -np.where(spending, sites.capex[:, :, s.capex, None] / spend, 0.0)
    lease = sites.lease
    j = (month - start).astype(int)
    inside = (j >= 0) & (j < lease.term[:, None, None])
    at = np.clip(j, 0, lease.shape.shape[1] - 1)
    rows = np.arange(n)[:, None, None]
    margin = sites.margins(s.noi)[:, :1, None]
    rent = sites.rent_musd_per_month(s.lease)[:, :, None]
    noi = np.where(inside, margin * rent * lease.shape[rows, at]
                   - sites.power[:, :, None] * lease.ramp[rows, at], 0.0)
    exit_value = np.zeros_like(noi)
    if e["exit_value"]:
        relet = lease.relet(sites.start[:, :, s.months])
        value = relet_values(sites, model, relet, margin[:, :, 0], s.lease, s.cap)[:, :, 0]
        exit_value = np.where(month == relet[:, :, None], value[:, :, None], 0.0)
    opex_end = sites.ends(s.months)[1]
    month2 = month[0]
    running = (month2 >= sites.begin[:, None])
    mining, bridge = monthly(sites, model, s.hashprice, s.months)
    opex = -np.where(running & (month2 < opex_end[:, None]), sites.opex[:, None] / 12, 0.0)
    return Flows(capex, noi, exit_value, mining, opex.reshape(n, horizon),
                 prepayment(sites, s.months, horizon), bridge)


def prepayment(sites: Sites, months: int, horizon: int) -> np.ndarray:
    """The prepayment at the start, and its credit against the rent, evenly over the first
    committed phase's lease, (sites, months)."""
    lease, month = sites.lease, np.arange(horizon)[None, :]
    first = np.where(sites.part(True) > 0, sites.start[:, :, months], np.inf).min(axis=1)
    has = np.isfinite(first) & (lease.prepayment > 0)
    first = np.where(has, first, 0.0)[:, None]
    credit = np.where((month >= first) & (month < first + lease.term[:, None]),
                      lease.prepayment[:, None] / lease.term[:, None], 0.0)
    paid = np.where(month == np.round(sites.begin)[:, None], lease.prepayment[:, None], 0.0)
    return np.where(has[:, None], paid - credit, 0.0)
