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

from pipeline.economics.plans import BASE, BLOCK, ENERGIZED, HIGH, LATER, LOW, Plan
from pipeline.rules import Rules

HOURS_PER_MONTH = 8760 / 12


def months_between(start: str, end: str) -> int:
    (y0, m0), (y1, m1) = (map(int, d.split("-")[:2]) for d in (start, end))
    return (y1 - y0) * 12 + m1 - m0


class Model:
    """The assumptions turned into the arrays every site shares: the rent's shape over the
    lease, the exit value per month of full rent, the mining revenue per MWh month by month,
    and discount factors."""

    def __init__(self, rules: Rules, horizon: int, rate: float | None = None):
        e = self.e = rules["economics"]
        self.rate = e["discount_rate"][BASE] if rate is None else rate
        self.horizon = horizon
        months = np.arange(horizon + 1, dtype=float)
        self.discount = (1 + self.rate) ** (-months / 12)
        self.term = int(round(e["lease_term_years"] * 12))
        lease_month = np.arange(self.term)
        self.shape = (np.minimum(1.0, (lease_month + 1) / max(e["ramp_months"], 1.0))
                      * (1 + e["lease_escalator"]) ** (lease_month // 12))
        self.shape_pv = float(self.shape @ self.discount[:self.term])
        # the exit value per M USD a month of full rent and per unit of NOI margin, at a cap
        # rate of 1: the next year's rent, escalated once more, less the refresh share
        self.exit_per_rent = (12 * (1 + e["lease_escalator"]) ** (self.term // 12)
                              * (1 - e["exit_refresh_share"]) if e["exit_value"] else 0.0)
        since = months_between(e["as_of"], e["decision_date"])
        halving = months_between(e["decision_date"], e["halving_date"])
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
        return self.discount[np.clip(months.astype(int), 0, self.horizon)]

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
    build: np.ndarray  # (3,) months each build takes, low, base, high
    committed: np.ndarray  # (sites, phases) the phase is built now, not an option
    waiting: np.ndarray  # (sites, phases) the phase is on power not yet energized
    mining_mw: np.ndarray  # the mining load the conversion displaces: its margin is given up
    cost_mwh: np.ndarray  # USD/MWh of power
    opex: np.ndarray  # M USD a year while the committed phases run (24x7 team), base
    begin: np.ndarray  # month the conversion starts (0 at the decision)

    @classmethod
    def of(cls, plans: list[Plan], rules: Rules, begin: Any = 0) -> "Sites":
        """The arrays of ``plans``, each conversion starting ``begin`` months after the
        decision (a number or one a plan): its energized phases' builds start then, and its
        later phase's first rent is the later of its build from then and its power."""
        e = rules["economics"]
        n = len(plans)
        begin = np.broadcast_to(np.asarray(begin, dtype=float), (n,)).copy()
        it = np.array([[ph.it_mw for ph in p.phases] for p in plans]).reshape(n, 3)
        premium = np.array([[1 + (e["inference_lease_premium"] if ph.workload == "inference"
                                  else 0.0) for ph in p.phases] for p in plans]).reshape(n, 3)
        rate = np.array([[e[f"capex_musd_per_it_mw_{ph.design}"] for ph in p.phases]
                         for p in plans]).reshape(n, 3, 3)
        ready = np.array([p.cooling_ready for p in plans], dtype=float)
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
        later = np.maximum(now, waits)
        block_later = np.array([p.phases[BLOCK].later for p in plans])
        start = np.stack([now, np.where(block_later[:, None], later, now), later], axis=1)
        later_committed = np.array([p.later_committed for p in plans])
        committed = np.column_stack([np.ones(n, bool), ~block_later | later_committed,
                                     later_committed])
        opex = np.array([sum(line.price[BASE] for line in p.ready if line.yearly)
                         for p in plans], dtype=float)
        waiting = np.column_stack([np.zeros(n, bool), block_later, np.ones(n, bool)])
        return cls(plans, it, premium, capex, np.round(start), build, committed, waiting,
                   np.array([p.mined_mw for p in plans], dtype=float),
                   np.array([p.power_cost * 1000 for p in plans], dtype=float), opex, begin)

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

    def rent_musd_per_month(self, usd_per_kw_month: float) -> np.ndarray:
        """Full rent a month of each phase before escalation, M USD, (sites, phases)."""
        return self.it * usd_per_kw_month * 1000 * self.premium / 1e6

    def build_months(self, months: int = BASE) -> int:
        return max(1, int(round(self.build[months])))

    def ends(self, term: int, months: int = BASE) -> tuple[np.ndarray, np.ndarray]:
        """(month the mining forgone ends, month the opex ends): the energized phase's lease
        end, and the last committed lease end (the start where nothing is committed)."""
        start = self.start[:, :, months]
        last = np.max(np.where(self.part(True) > 0, start + term, 0.0), axis=1)
        return start[:, ENERGIZED] + term, np.maximum(last, self.begin)

    def subset(self, keep: np.ndarray) -> "Sites":
        fields = {k: (v if k == "build" else v[keep] if isinstance(v, np.ndarray)
                      else [v[i] for i in keep]) for k, v in vars(self).items()}
        return Sites(**fields)


def horizon(sites: Sites, rules: Rules) -> int:
    """Months the cash flows run: past the last lease's end, its exit and the latest case."""
    e = rules["economics"]
    spread = e["build_months"][HIGH] - e["build_months"][BASE]
    last = float(sites.start.max()) if sites.start.size else 0.0
    return int(np.ceil(last + spread)) + int(round(e["lease_term_years"] * 12)) + 2


@dataclass(frozen=True)
class Scenario:
    """One set of market assumptions: a lease rate, a capex and a months column (0, 1, 2 for
    low, base, high), a hashprice factor on the base path, a NOI margin, an exit cap rate."""

    lease: float
    capex: int
    months: int
    hashprice: float
    noi: float
    cap: float


def scenarios(rules: Rules) -> dict[str, Scenario]:
    """Base, and the low and high ends of NPV (every variable at its worse or better end)."""
    e = rules["economics"]
    hp = [x / e["hashprice_usd_per_ph_day"][BASE] for x in e["hashprice_usd_per_ph_day"]]
    lease, noi, cap = e["lease_usd_per_kw_month"], e["noi_margin"], e["exit_cap_rate"]
    return {"low": Scenario(lease[LOW], HIGH, HIGH, hp[HIGH], noi[LOW], cap[HIGH]),
            "base": Scenario(lease[BASE], BASE, BASE, 1.0, noi[BASE], cap[BASE]),
            "high": Scenario(lease[HIGH], LOW, LOW, hp[LOW], noi[HIGH], cap[LOW])}


@dataclass
class Flows:
    """Cash by month from the decision, M USD: by phase (sites, phases, months) the capex
    spent (negative), the NOI and the exit value; and the site's own costs (sites, months):
    the mining margin forgone and the 24x7 team."""

    capex: np.ndarray
    noi: np.ndarray
    exit: np.ndarray
    costs: np.ndarray

    def phases(self) -> np.ndarray:
        return self.capex + self.noi + self.exit

    def total(self, part: np.ndarray, costs: bool = True) -> np.ndarray:
        """The cash of the phases ``part`` marks (sites, phases), with the site's costs."""
        flows = np.einsum("nk,nkm->nm", part, self.phases())
        return flows + self.costs if costs else flows


def monthly_flows(sites: Sites, model: Model, s: Scenario) -> Flows:
    """Cash by month from the decision, M USD, phase by phase."""
    n, horizon = len(sites.plans), model.horizon
    month = np.arange(horizon)[None, None, :]
    start = sites.start[:, :, s.months].astype(int)[:, :, None]
    build = sites.build_months(s.months)
    spending = (month >= start - build) & (month < start)
    capex = -np.where(spending, sites.capex[:, :, s.capex, None] / build, 0.0)
    j = month - start
    shape = model.shape[np.clip(j, 0, model.term - 1)]
    rent = sites.rent_musd_per_month(s.lease)[:, :, None]
    noi = s.noi * rent * np.where((j >= 0) & (j < model.term), shape, 0.0)
    exit_value = np.where(j == model.term, s.noi * rent * model.exit_per_rent / s.cap, 0.0)
    mining_end, opex_end = sites.ends(model.term, s.months)
    month2 = month[0]
    running = (month2 >= sites.begin[:, None])
    margin = np.maximum(0.0, s.hashprice * model.mining_usd_per_mwh[None, :horizon]
                        - sites.cost_mwh[:, None])
    costs = -np.where(running & (month2 < mining_end[:, None]),
                      sites.mining_mw[:, None] * margin * HOURS_PER_MONTH / 1e6, 0.0)
    costs -= np.where(running & (month2 < opex_end[:, None]), sites.opex[:, None] / 12, 0.0)
    return Flows(capex, noi, exit_value, costs.reshape(n, horizon))
