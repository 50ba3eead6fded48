"""Indicative conversion economics, a chunk of sites at a time: capacity, capex, cost to
ready, cash flows by month and year, and the decision figures (NPV, IRR, payback, a seeded
Monte Carlo and a tornado).

The model in plain words, with the source of every assumption, is docs/economics.md. Every
assumption is a value under ``[economics]`` in the rules file; ``econ_basis`` spells out the
arithmetic of each site. Indicative: no substitute for a quote or a signed lease.

Time runs in months from the decision date (month 0). Capex, the later phase's too, is
committed and spent at the decision; rent starts when the
halls are ready and ramps up; mining margin on the power the conversion takes is given up
from the decision to the end of the lease; a 24x7 operations team, where the site lacks one,
is paid from the decision. So a higher lease rate never lowers NPV, and more capex or a later
start never raises it. Cash is discounted month by month at the yearly rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline import climate, timeline
from pipeline.classify import SiteResult, bucket_workloads
from pipeline.classify.gates import redundant_supply
from pipeline.contract import show_number
from pipeline.rules import Rules

LOW, BASE, HIGH = 0, 1, 2
HOURS_PER_MONTH = 8760 / 12
PERCENTILES = (10, 50, 90)
MC_BLOCK = 500  # sites per Monte Carlo block: 500 x 1,000 draws of float64 is 4 MB an array

COLUMNS = (
    "econ_workload", "econ_cooling_design", "econ_it_mw", "econ_it_mw_full",
    "econ_binding_constraint", "econ_capex_musd", "econ_capex_per_it_mw_musd",
    "econ_cost_to_ready_musd", "econ_ready_opex_musd_per_year", "econ_cost_to_ready_lines",
    "econ_months_to_revenue", "econ_lease_musd_per_year", "econ_noi_musd_per_year",
    "econ_mining_margin_forgone_musd_per_year", "econ_net_musd_per_year", "econ_npv_musd",
    "econ_npv_low_musd", "econ_npv_high_musd", "econ_npv_p10_musd", "econ_npv_p50_musd",
    "econ_npv_p90_musd", "econ_irr_pct", "econ_payback_years", "econ_payback_best_years",
    "econ_payback_worst_years", "econ_npv_driver", "econ_basis")

# What the Monte Carlo draws: a factor on the base lease rate, a quantile of each site's
# capex, months of delay to every start, a factor on the base hashprice, the NOI margin.
DRAWN = ("lease", "capex", "delay", "hashprice", "noi")

# Where a plan's months until the later power come from: the site's time_to_power_months,
# the estimate for its interconnection status, or the rules' default.
GIVEN, ESTIMATED, DEFAULT = "given", "estimated", "default"


@dataclass(frozen=True)
class ReadyLine:
    """What one gate short of pass would cost to fix: one-off M USD (low, base, high), or a
    yearly cost, or nothing money can buy (``price`` None)."""

    gate: str
    fix: str
    price: tuple[float, float, float] | None
    yearly: bool = False
    in_build: bool = False  # already inside the build capex (the cooling retrofit)

    def text(self) -> str:
        if self.price is None:
            return f"{self.gate}: {self.fix} (not priced)"
        base = show_number(round(self.price[BASE], 2))
        return (f"{self.gate}: {self.fix} {base} M USD" + (" a year" if self.yearly else "")
                + (" (in the build capex)" if self.in_build else ""))


@dataclass(frozen=True)
class Plan:
    """One site's conversion for one workload, as the model reads it."""

    site: SiteResult
    workload: str
    design: str  # cooling design the conversion builds: liquid | air
    energized_mw: float  # power energized today
    kept_mw: float  # mining load kept as flexible load
    later_mw: float  # power not yet energized: the rest of the capacity, and the expansion
    power_cost: float  # USD/kWh
    time_to_power: tuple[float, float, float]  # months until the later power is energized
    cooling_ready: bool  # the cooling gate passes today: the halls need no retrofit
    ready: tuple[ReadyLine, ...]
    power: timeline.PowerTimeline  # the site's power timeline, which settles energized_mw
    time_to_power_from: str  # GIVEN, ESTIMATED (from the status) or DEFAULT


def plan(site: SiteResult, workload: str, rules: Rules) -> Plan:
    """Read a site's values for converting it to ``workload``. The MW energized today and the
    months until the rest come from the site's power timeline, as readiness reads them."""
    e, v = rules["economics"], site.values
    power = site.power_timeline or timeline.assess(v, rules)
    capacity = v["power_capacity_mw"]
    energized = min(capacity, power.energized_floor)
    kept = min(energized, (v.get("mining_load_mw") or 0.0) * e["mining_kept_share"])
    later = capacity - energized + (v.get("power_expansion_mw") or 0.0)
    waits, source = time_to_power(v, power, rules)
    design = e[f"design_cooling_{workload}"]
    it_now = (energized - kept) / climate.design_pue(v, design, rules)[0] * (
        1 - e[f"reserve_{workload}"])
    return Plan(site, workload, design, energized, kept, later, v["power_cost_usd_per_kwh"],
                waits, site.gate(workload, "cooling").status == "pass",
                _ready_lines(site, workload, design, energized - kept + later, it_now, rules),
                power, source)


def time_to_power(values: dict[str, Any], power: timeline.PowerTimeline,
                  rules: Rules) -> tuple[tuple[float, float, float], str]:
    """Whole months until the later power (low, base, high) and where they come from: the
    site's ``time_to_power_months`` (GIVEN), else the timeline's estimate from the
    interconnection status (ESTIMATED), else ``[economics].time_to_power_months`` (DEFAULT).
    The site's own months hold for an expansion too, even when its capacity is all
    energized."""
    given = values.get("time_to_power_months")
    if given is not None:
        return (float(round(given)),) * 3, GIVEN
    if power.months_estimated and power.months_to_power is not None:
        return (float(round(power.months_to_power)),) * 3, ESTIMATED
    low, base, high = rules["economics"]["time_to_power_months"]
    return (float(low), float(base), float(high)), DEFAULT


def _ready_lines(site: SiteResult, workload: str, design: str, ai_mw: float, it_now: float,
                 rules: Rules) -> tuple[ReadyLine, ...]:
    """A priced fix for each gate of ``workload`` short of pass (an unknown gate is priced as
    if the missing value were the unfavourable one); ``ai_mw`` is the power the AI load
    takes, ``it_now`` the critical IT of the halls built on power energized today."""
    e, v = rules["economics"], site.values
    lines = []
    short = {g for g, r in getattr(site, workload).gates.items() if r.status != "pass"}
    if "location" in short:
        lines.append(ReadyLine("location", "distance to the metro", None))
    if "power" in short:
        if workload == "inference":
            redundancy, feeds = v.get("power_redundancy"), v.get("utility_feeds")
            t = rules["power"]["inference"]
            if (redundancy is None and feeds is None) or not redundant_supply(
                    redundancy, feeds, t["redundant_levels"], t["redundant_min_utility_feeds"]):
                lines.append(ReadyLine("power", "second utility feed",
                                       tuple(e["ready_second_feed_musd"])))
            if v.get("backup_generation") is not True:
                lines.append(ReadyLine("power", f"generators for {show_number(round(ai_mw, 1))}"
                                       " MW", tuple(x * ai_mw for x in
                                                    e["ready_generators_musd_per_mw"])))
        if not lines or lines[-1].gate != "power":
            lines.append(ReadyLine("power", "capacity or price", None))
    if "cooling" in short:
        share = e["cooling_share_of_capex"]
        lines.append(ReadyLine("cooling", f"{design}-cooling retrofit",
                               tuple(it_now * rate * share
                                     for rate in e[f"capex_musd_per_it_mw_{design}"]),
                               in_build=True))
    if "networking" in short:
        lines.append(ReadyLine("networking", "fiber build and a second carrier",
                               tuple(e["ready_fiber_musd"])))
    if "operations" in short:
        if v.get("staffing_24x7") is not True:
            lines.append(ReadyLine("operations", "24x7 operations team",
                                   tuple(e["ready_ops_team_musd_per_year"]), yearly=True))
        else:
            lines.append(ReadyLine("operations", "SLA track record", None))
    return tuple(lines)


class Model:
    """The assumptions turned into the arrays every site shares: the rent's shape over the
    lease, the mining revenue per MWh month by month, and discount factors."""

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
        since = _months_between(e["as_of"], e["decision_date"])
        halving = _months_between(e["decision_date"], e["halving_date"])
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


def _months_between(start: str, end: str) -> int:
    (y0, m0), (y1, m1) = (map(int, d.split("-")[:2]) for d in (start, end))
    return (y1 - y0) * 12 + m1 - m0


@dataclass
class Sites:
    """A chunk of plans as arrays; capex and months are (sites, 3): low, base, high."""

    plans: list[Plan]
    it_now: np.ndarray
    it_later: np.ndarray
    pue: np.ndarray
    mining_mw: np.ndarray  # the power the conversion takes from mining
    cost_mwh: np.ndarray  # USD/MWh of power
    premium: np.ndarray
    capex: np.ndarray  # spent at the decision: both phases' halls and the one-off fixes
    opex: np.ndarray  # M USD a year from the decision (24x7 team), base
    start_now: np.ndarray  # months to first rent of the energized phase
    start_later: np.ndarray

    @classmethod
    def of(cls, plans: list[Plan], rules: Rules) -> "Sites":
        e = rules["economics"]
        n = len(plans)
        col = lambda f: np.array([f(p) for p in plans], dtype=float)  # noqa: E731
        pue = col(lambda p: climate.design_pue(p.site.values, p.design, rules)[0])
        keep = col(lambda p: 1 - e[f"reserve_{p.workload}"])
        mining_mw = col(lambda p: p.energized_mw - p.kept_mw)
        it_now, it_later = mining_mw / pue * keep, col(lambda p: p.later_mw) / pue * keep
        rate = np.array([e[f"capex_musd_per_it_mw_{p.design}"] for p in plans]).reshape(n, 3)
        # halls on energized power less their cooling, which a cooling gate short of pass
        # buys as a fix (its retrofit line)
        halls_now = it_now[:, None] * rate * (1 - e["cooling_share_of_capex"])
        fixes = np.array([[sum(line.price[i] for line in p.ready if line.price is not None
                               and not line.yearly) for i in range(3)] for p in plans]
                         ).reshape(n, 3)
        infra = np.array(e["power_infrastructure_musd_per_it_mw"])
        build = np.array(e["build_months"], dtype=float)
        waits = np.array([p.time_to_power for p in plans]).reshape(n, 3)
        start_later = np.maximum(build[None, :], waits)
        return cls(
            plans, it_now, it_later, pue, mining_mw, col(lambda p: p.power_cost * 1000),
            col(lambda p: 1 + (e["inference_lease_premium"] if p.workload == "inference"
                               else 0.0)),
            halls_now + fixes + it_later[:, None] * (rate + infra[None, :]),
            col(lambda p: sum(line.price[BASE] for line in p.ready if line.yearly)),
            np.broadcast_to(build, (n, 3)).copy(), start_later)

    def rent_musd_per_month(self, usd_per_kw_month: float) -> tuple[np.ndarray, np.ndarray]:
        """Full rent a month of each phase before escalation, M USD."""
        unit = usd_per_kw_month * 1000 * self.premium / 1e6
        return self.it_now * unit, self.it_later * unit

    def ends(self, term: int, months: int = BASE) -> tuple[np.ndarray, np.ndarray]:
        """(month the mining forgone ends, month the opex ends): the energized phase's lease
        end, and the last lease end, with the ``months`` column's starts."""
        now, later = self.start_now[:, months], self.start_later[:, months]
        last = np.maximum(np.where(self.it_now > 0, now, 0.0),
                          np.where(self.it_later > 0, later, 0.0))
        return now + term, last + term


@dataclass(frozen=True)
class Scenario:
    """One set of market assumptions: a lease rate, a capex and a months column (0, 1, 2 for
    low, base, high), a hashprice factor on the base path, a NOI margin."""

    lease: float
    capex: int
    months: int
    hashprice: float
    noi: float


def scenarios(rules: Rules) -> dict[str, Scenario]:
    """Base, and the low and high ends of NPV (every variable at its worse or better end)."""
    e = rules["economics"]
    hp = [x / e["hashprice_usd_per_ph_day"][BASE] for x in e["hashprice_usd_per_ph_day"]]
    lease, noi = e["lease_usd_per_kw_month"], e["noi_margin"]
    return {"low": Scenario(lease[LOW], HIGH, HIGH, hp[HIGH], noi[LOW]),
            "base": Scenario(lease[BASE], BASE, BASE, 1.0, noi[BASE]),
            "high": Scenario(lease[HIGH], LOW, LOW, hp[LOW], noi[HIGH])}


def monthly_flows(sites: Sites, model: Model, s: Scenario) -> np.ndarray:
    """Cash by month from the decision, M USD, (sites, horizon)."""
    n, horizon = len(sites.plans), model.horizon
    flows = np.zeros((n, horizon))
    flows[:, 0] -= sites.capex[:, s.capex]
    month = np.arange(horizon)[None, :]
    for rent, start in zip(sites.rent_musd_per_month(s.lease),
                           (sites.start_now[:, s.months], sites.start_later[:, s.months])):
        j = month - start.astype(int)[:, None]
        shape = model.shape[np.clip(j, 0, model.term - 1)]
        flows += s.noi * rent[:, None] * np.where((j >= 0) & (j < model.term), shape, 0.0)
    mining_end, opex_end = sites.ends(model.term, s.months)
    margin = np.maximum(0.0, s.hashprice * model.mining_usd_per_mwh[None, :horizon]
                        - sites.cost_mwh[:, None])
    flows -= np.where(month < mining_end[:, None],
                      sites.mining_mw[:, None] * margin * HOURS_PER_MONTH / 1e6, 0.0)
    flows -= np.where(month < opex_end[:, None], sites.opex[:, None] / 12, 0.0)
    return flows


def npv(sites: Sites, model: Model, lease: Any = 1.0, capex: Any = None, delay: Any = 0.0,
        hashprice: Any = 1.0, noi: Any = None, mining: np.ndarray | None = None) -> np.ndarray:
    """NPV in M USD in closed form, (sites, draws): each assumption a number or a row of
    draws. ``lease`` and ``hashprice`` are factors on the base, ``capex`` a quantile in
    [0, 1] of each site's low-base-high capex (None: base), ``delay`` months added to every
    start, ``noi`` the margin (None: base); ``mining``, the PV of the mining forgone in USD
    when worked out already (``_mining_draws``). Equal to the discounted ``monthly_flows``
    of the base scenario when every assumption is at base."""
    e = model.e
    noi = e["noi_margin"][BASE] if noi is None else noi
    pv = sites.capex
    spent = pv[:, BASE, None] if capex is None else _triangular_outer(np.asarray(capex), pv)
    now, later = sites.rent_musd_per_month(e["lease_usd_per_kw_month"][BASE])
    at = lambda months: model.discount[np.minimum(months.astype(int), model.horizon)]  # noqa
    rent = (now * at(sites.start_now[:, BASE]) + later * at(sites.start_later[:, BASE])
            ) * model.shape_pv
    delay = np.asarray(delay, dtype=float)
    shift = (1 + model.rate) ** (-delay / 12)
    mining_end, opex_end = sites.ends(model.term)
    moved = np.round(delay)
    if mining is None:
        hp = np.asarray(hashprice, dtype=float)
        mining = (sites.mining_mw[:, None] * hp
                  * model.mining_pv(sites.cost_mwh[:, None] / hp, mining_end[:, None] + moved))
    opex_months = np.clip((opex_end[:, None] + moved).astype(int), 0, model.horizon)
    opex = sites.opex[:, None] / 12 * model.annuity[opex_months]
    return noi * lease * rent[:, None] * shift - spent - mining / 1e6 - opex


def _triangular_outer(u: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``_triangular`` at each quantile of the row ``u`` for each row (low, mode, high) of
    ``values``: (sites, draws), with the square roots split into outer products."""
    low, mode, high = (values[:, k, None] for k in (LOW, BASE, HIGH))
    width = np.maximum(high - low, 1e-12)
    rising = np.sqrt(width * (mode - low)) * np.sqrt(u)
    falling = np.sqrt(width * np.maximum(high - mode, 0.0)) * np.sqrt(1 - u)
    return np.where(u < (mode - low) / width, low + rising, high - falling)


def _triangular(u: Any, low: Any, mode: Any, high: Any) -> Any:
    """The value at quantile ``u`` of a triangular distribution (low, mode, high)."""
    width = np.maximum(high - low, 1e-12)
    split = (mode - low) / width
    return np.where(u < split, low + np.sqrt(u * width * (mode - low)),
                    high - np.sqrt((1 - u) * width * np.maximum(high - mode, 0.0)))


def draws(rules: Rules) -> dict[str, np.ndarray]:
    """The Monte Carlo draws, the same for every site and chunk of a run (seeded): each
    variable triangular between its low and high, peaked at base."""
    e = rules["economics"]
    rng = np.random.default_rng(e["monte_carlo_seed"])
    count = int(e["monte_carlo_draws"])
    u = rng.random((len(DRAWN), count))
    lease, hp, build = (np.array(e[k]) for k in ("lease_usd_per_kw_month",
                                                 "hashprice_usd_per_ph_day", "build_months"))
    return {"lease": _triangular(u[0], *lease / lease[BASE]), "capex": u[1],
            "delay": _triangular(u[2], *(build - build[BASE])),
            "hashprice": _triangular(u[3], *hp / hp[BASE]),
            "noi": _triangular(u[4], *e["noi_margin"])}


@dataclass
class Chunk:
    """A chunk's economics: one row per site with economics (``COLUMNS`` and site_id), its
    yearly cash flows, each site's tornado (assumption, NPV at its low end, at its high end;
    the widest first), and the sum of NPV over the chunk per draw."""

    rows: pd.DataFrame
    cash_flows: pd.DataFrame
    tornados: list[list[tuple[str, float, float]]]
    portfolio_draws: np.ndarray

    @property
    def pages(self) -> dict[str, dict[str, Any]]:
        """What a site's PDF shows, by site_id: its row, yearly cash and tornado."""
        years = self.cash_flows.drop(columns="site_id").to_numpy().tolist()
        return {row["site_id"]: {**row, "years": flows, "tornado": tornado}
                for row, flows, tornado in zip(self.rows.to_dict("records"), years,
                                               self.tornados)}


def evaluate(results: list[SiteResult], rules: Rules) -> Chunk:
    """The economics of every site of ``results`` that is not Neither and has power to give
    to AI, for its bucket's workload (for a Hybrid, the workload with the higher NPV)."""
    options = [p for s in results for w in bucket_workloads(s.bucket)
               if (p := plan(s, w, rules)).energized_mw - p.kept_mw + p.later_mw > 0]
    e = rules["economics"]
    count = int(e["monte_carlo_draws"])
    if not options:
        return Chunk(pd.DataFrame(columns=["site_id", *COLUMNS]),
                     pd.DataFrame(columns=["site_id"]), [], np.zeros(count))
    sites = Sites.of(options, rules)
    model = Model(rules, _horizon(sites, rules))
    value = npv(sites, model)[:, 0]
    best: dict[str, int] = {}
    for i, p in enumerate(options):
        j = best.get(p.site.site_id)
        if j is None or value[i] > value[j]:
            best[p.site.site_id] = i
    chosen = np.array(sorted(best.values()))
    return _figures(_subset(sites, chosen), model, rules)


def _horizon(sites: Sites, rules: Rules) -> int:
    e = rules["economics"]
    spread = e["build_months"][HIGH] - e["build_months"][BASE]
    last = max(float(sites.start_later.max()), float(sites.start_now.max())) + spread
    return int(math.ceil(last)) + int(round(e["lease_term_years"] * 12)) + 1


def _subset(sites: Sites, keep: np.ndarray) -> Sites:
    fields = {k: (v[keep] if isinstance(v, np.ndarray) else [v[i] for i in keep])
              for k, v in vars(sites).items()}
    return Sites(**fields)


def _figures(sites: Sites, model: Model, rules: Rules) -> Chunk:
    e = rules["economics"]
    flows = {name: monthly_flows(sites, model, s) for name, s in scenarios(rules).items()}
    npvs = {name: f @ model.discount[:model.horizon] for name, f in flows.items()}
    years = _yearly(flows["base"])
    payback = {name: _payback(f) for name, f in flows.items()}
    mc, portfolio = _monte_carlo(sites, model, draws(rules))
    spread = _tornado(sites, model, rules)
    rent = sum(sites.rent_musd_per_month(e["lease_usd_per_kw_month"][BASE])) * 12
    noi = rent * e["noi_margin"][BASE]
    mining = (sites.mining_mw * np.maximum(0.0, model.mining_usd_per_mwh[None, :12]
                                           - sites.cost_mwh[:, None]).sum(axis=1)
              * HOURS_PER_MONTH / 1e6)
    it_full = sites.it_now + sites.it_later
    irr = _irr(years) * 100
    columns = {
        "site_id": [p.site.site_id for p in sites.plans],
        "econ_workload": [p.workload for p in sites.plans],
        "econ_cooling_design": [p.design for p in sites.plans],
        "econ_it_mw": sites.it_now, "econ_it_mw_full": it_full,
        "econ_binding_constraint": _binding(sites),
        "econ_capex_musd": sites.capex[:, BASE],
        "econ_capex_per_it_mw_musd": sites.capex[:, BASE] / it_full,
        "econ_cost_to_ready_musd": [sum(line.price[BASE] for line in p.ready
                                        if line.price is not None and not line.yearly)
                                    for p in sites.plans],
        "econ_ready_opex_musd_per_year": sites.opex,
        "econ_cost_to_ready_lines": ["; ".join(line.text() for line in p.ready)
                                     for p in sites.plans],
        "econ_months_to_revenue": np.where(sites.it_now > 0, sites.start_now[:, BASE],
                                           sites.start_later[:, BASE]),
        "econ_lease_musd_per_year": rent, "econ_noi_musd_per_year": noi,
        "econ_mining_margin_forgone_musd_per_year": mining,
        "econ_net_musd_per_year": noi - mining - sites.opex,
        "econ_npv_musd": npvs["base"], "econ_npv_low_musd": npvs["low"],
        "econ_npv_high_musd": npvs["high"], "econ_npv_p10_musd": mc[:, 0],
        "econ_npv_p50_musd": mc[:, 1], "econ_npv_p90_musd": mc[:, 2],
        "econ_irr_pct": np.round(irr, 1),
        "econ_payback_years": payback["base"], "econ_payback_best_years": payback["high"],
        "econ_payback_worst_years": payback["low"],
    }
    frame = pd.DataFrame({k: np.round(v, 2) if isinstance(v, np.ndarray) else v
                          for k, v in columns.items()})
    frame["econ_irr_pct"] = frame["econ_irr_pct"].astype(object).where(
        frame["econ_irr_pct"].notna(), None)
    names = [name for name, _, _ in spread]
    lows = np.round(np.column_stack([lo for _, lo, _ in spread]), 2).tolist()
    highs = np.round(np.column_stack([hi for _, _, hi in spread]), 2).tolist()
    tornados = [sorted(zip(names, lo, hi), key=lambda t: -abs(t[2] - t[1]))
                for lo, hi in zip(lows, highs)]
    frame["econ_npv_driver"] = [f"{t[0][0]} ({_money(t[0][1])} to {_money(t[0][2])})"
                                for t in tornados]
    frame["econ_basis"] = _basis(sites, rules)
    frame = frame[["site_id", *COLUMNS]]
    years = np.round(years, 2)
    cash = pd.DataFrame(years, columns=[f"year_{k + 1}" for k in range(years.shape[1])])
    cash.insert(0, "site_id", frame["site_id"].to_numpy())
    return Chunk(frame, cash, tornados, portfolio)


def _r(x: float) -> float:
    return round(float(x), 2)


def _money(x: float) -> str:
    return f"{'-' if x < 0 else ''}${show_number(round(abs(float(x)), 1))}M"


def _yearly(flows: np.ndarray) -> np.ndarray:
    """Monthly cash summed by year from the decision (year 1 = months 0-11)."""
    n, months = flows.shape
    width = -(-months // 12) * 12
    padded = np.zeros((n, width))
    padded[:, :months] = flows
    return padded.reshape(n, -1, 12).sum(axis=2)


def _irr(years: np.ndarray) -> np.ndarray:
    """The yearly rate at which each row of yearly cash (year 1 at time 0, as Excel's IRR
    reads a row) is worth zero; NaN where no rate between -90 % and 1,000 % does."""
    t = np.arange(years.shape[1])
    worth = lambda r: (years * (1 + r[:, None]) ** (-t[None, :])).sum(axis=1)  # noqa: E731
    low, high = np.full(len(years), -0.9), np.full(len(years), 10.0)
    bracketed = (worth(low) > 0) & (worth(high) < 0)
    for _ in range(60):
        middle = (low + high) / 2
        positive = worth(middle) > 0
        low, high = np.where(positive, middle, low), np.where(positive, high, middle)
    return np.where(bracketed, (low + high) / 2, np.nan)


def _payback(flows: np.ndarray) -> list[float | None]:
    """Years from the decision until the cash spent is earned back; None if it never is."""
    back = np.cumsum(flows, axis=1) >= 0
    years = np.round((back.argmax(axis=1) + 1) / 12, 1).tolist()
    return [y if ok else None for y, ok in zip(years, back.any(axis=1).tolist())]


HASHPRICE_GRID = 17  # hashprice factors the Monte Carlo tables the mining forgone at


def _monte_carlo(sites: Sites, model: Model,
                 d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """P10, P50 and P90 of each site's NPV over the draws, (sites, 3); and the sum of every
    site's NPV draw by draw (the same draws for every site: the portfolio's spread)."""
    out = np.full((len(sites.plans), len(PERCENTILES)), np.nan)
    total = np.zeros(len(d["lease"]))
    if not len(total):  # monte_carlo_draws = 0: no spread to report
        return out, total
    row = lambda a: a[None, :]  # noqa: E731
    for start in range(0, len(sites.plans), MC_BLOCK):
        block = _subset(sites, np.arange(start, min(start + MC_BLOCK, len(sites.plans))))
        values = npv(block, model, row(d["lease"]), row(d["capex"]), row(d["delay"]),
                     noi=row(d["noi"]), mining=_mining_draws(block, model, d))
        out[start:start + len(block.plans)] = np.percentile(values, PERCENTILES, axis=1).T
        total += values.sum(axis=0)
    return out, total


def _mining_draws(sites: Sites, model: Model, d: dict[str, np.ndarray]) -> np.ndarray:
    """PV of the mining forgone (USD) for each site and draw: exact at each whole-month delay
    drawn and at ``HASHPRICE_GRID`` hashprice factors, linear between them."""
    grid = np.linspace(d["hashprice"].min(), d["hashprice"].max(), HASHPRICE_GRID)
    delays, which = np.unique(np.round(d["delay"]), return_inverse=True)
    end = sites.ends(model.term)[0]
    x = sites.cost_mwh[:, None, None] / grid[None, :, None]
    table = (sites.mining_mw[:, None, None] * grid[None, :, None]
             * model.mining_pv(x, end[:, None, None] + delays[None, None, :]))
    step = np.clip(np.searchsorted(grid, d["hashprice"], side="right") - 1, 0,
                   HASHPRICE_GRID - 2)
    share = (d["hashprice"] - grid[step]) / np.maximum(grid[step + 1] - grid[step], 1e-12)
    return table[:, step, which] * (1 - share) + table[:, step + 1, which] * share


def _tornado(sites: Sites, model: Model,
             rules: Rules) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """For each assumption, NPV with it at its low and at its high end, the rest at base."""
    e = rules["economics"]
    lease = np.array(e["lease_usd_per_kw_month"]) / e["lease_usd_per_kw_month"][BASE]
    hp = np.array(e["hashprice_usd_per_ph_day"]) / e["hashprice_usd_per_ph_day"][BASE]
    build = np.array(e["build_months"]) - e["build_months"][BASE]
    noi = e["noi_margin"]
    ends = {"lease rate": ("lease", lease), "capex": ("capex", (0.0, None, 1.0)),
            "months to revenue": ("delay", build), "hashprice": ("hashprice", hp),
            "NOI margin": ("noi", noi)}
    out = []
    for label, (name, values) in ends.items():
        lo, hi = (npv(sites, model, **{name: values[k]})[:, 0] for k in (LOW, HIGH))
        out.append((label, lo, hi))
    rates = e["discount_rate"]
    lo, hi = (npv(sites, Model(rules, model.horizon, rates[k]))[:, 0] for k in (LOW, HIGH))
    out.append(("discount rate", lo, hi))
    return out


def _binding(sites: Sites) -> list[str]:
    """What takes the most MW between each site's gross power and its critical IT today."""
    later = np.array([p.later_mw for p in sites.plans])
    kept = np.array([p.kept_mw for p in sites.plans])
    design = sites.mining_mw + later
    after_pue = design / sites.pue
    losses = np.column_stack([sites.it_later, kept, design - after_pue,
                              after_pue - sites.it_now - sites.it_later])
    names = ("power not yet energized", "mining kept as flexible load",
             "{design}-cooling design PUE", "{workload} redundancy and house-load reserve")
    return [names[k].format(design=p.design, workload=p.workload)
            for k, p in zip(losses.argmax(axis=1).tolist(), sites.plans)]


def _basis(sites: Sites, rules: Rules) -> list[str]:
    """The arithmetic of each site's figures in words."""
    e, n = rules["economics"], show_number
    common = (
        f"Rent {n(e['lease_usd_per_kw_month'][BASE])} USD/kW-month{{premium}}, "
        f"{n(e['ramp_months'])}-month ramp, +{n(e['lease_escalator'] * 100)}% a year for "
        f"{n(e['lease_term_years'])} years, NOI {n(e['noi_margin'][BASE] * 100)}% of rent. "
        f"Mining forgone on {{mining}} MW: {n(1000 / e['fleet_efficiency_j_per_th'])} PH/s per "
        f"MW x hashprice {n(e['hashprice_usd_per_ph_day'][BASE])} USD/PH/day falling "
        f"{n(e['network_growth_per_year'] * 100)}% a year, cut "
        f"{n(e['halving_hashprice_cut'] * 100)}% at the {e['halving_date']} halving, less "
        f"power at {{cost}} USD/kWh. NPV at {n(e['discount_rate'][BASE] * 100)}% from "
        f"{e['decision_date']}. Assumptions as of {e['as_of']}; indicative.")
    premium = {"training": "", "inference": f" + {n(e['inference_lease_premium'] * 100)}% "
                                            "inference premium"}
    infra = n(e["power_infrastructure_musd_per_it_mw"][BASE])
    cooling = n(e["cooling_share_of_capex"])
    texts = []
    columns = zip(sites.plans, np.round(sites.mining_mw, 2).tolist(), sites.pue.tolist(),
                  np.round(sites.it_now, 2).tolist(), np.round(sites.it_later, 2).tolist(),
                  sites.start_now[:, BASE].tolist(), sites.start_later[:, BASE].tolist())
    for p, mining, pue, now, later, start, start_later in columns:
        rate = n(e[f"capex_musd_per_it_mw_{p.design}"][BASE])
        phase = (f" Later phase: {n(round(p.later_mw, 2))} MW not yet energized -> "
                 f"{n(later)} MW IT from month {n(start_later)} ({_wait_words(p, rules)}), "
                 f"capex {rate} + {infra} M USD/MW for its power." if p.later_mw > 0 else "")
        credit = (f" less the cooling share, {cooling}, as the cooling passes today"
                  if p.cooling_ready else "")
        unknown = (f" (energized_mw not given, {_status_words(p)}: none counted as energized)"
                   if p.power.energized_mw is None else "")
        texts.append(
            f"Energized {n(round(p.energized_mw, 2))} MW{unknown} - "
            f"{n(round(p.kept_mw, 2))} MW mining "
            f"kept = {n(mining)} MW; / PUE {n(pue)} "
            f"({climate.design_pue(p.site.values, p.design, rules)[1]}) x (1 - "
            f"{n(e[f'reserve_{p.workload}'])} reserve) = {n(now)} MW critical IT from month "
            f"{n(start)}.{phase} Capex {rate} M USD/MW of IT{credit}, plus fixes to ready. "
            + common.format(premium=premium[p.workload], mining=n(mining),
                            cost=n(p.power_cost)))
    return texts


def _status_words(p: Plan) -> str:
    status = p.site.values.get("interconnection_status")
    return timeline.STATUS_WORDS.get(status, "interconnection status not given")


def _wait_words(p: Plan, rules: Rules) -> str:
    """The months until the later power, and where they come from."""
    n, months = show_number, p.time_to_power[BASE]
    if p.time_to_power_from == GIVEN:
        return f"power in {n(months)} months, as the site gives"
    if p.time_to_power_from == ESTIMATED:
        return f"power in about {n(months)} months, estimated for {_status_words(p)}"
    low, _, high = rules["economics"]["time_to_power_months"]
    status = p.site.values.get("interconnection_status")
    why = ("no time to power or interconnection status given" if status is None else
           f"no time to power given and no estimate for interconnection_status {status}")
    return f"power in {n(months)} months ({n(low)}-{n(high)}), the default: {why}"


class Portfolio:
    """Totals over every chunk: capex, NPV, and NPV's spread over the same draws."""

    def __init__(self, rules: Rules):
        self.e = rules["economics"]
        self.sites = 0
        self.capex = 0.0
        self.npv = 0.0
        self.draws = np.zeros(int(self.e["monte_carlo_draws"]))

    def add(self, chunk: Chunk) -> None:
        self.sites += len(chunk.rows)
        self.capex += float(chunk.rows["econ_capex_musd"].sum())
        self.npv += float(chunk.rows["econ_npv_musd"].sum())
        self.draws += chunk.portfolio_draws

    def summary(self) -> dict[str, Any]:
        """Totals in M USD, the P10, P50 and P90 of total NPV, and the dates they rest on."""
        spread = (np.percentile(self.draws, PERCENTILES).tolist()
                  if self.sites and len(self.draws) else (None,) * len(PERCENTILES))
        return {"sites": self.sites, "capex_musd": _r(self.capex), "npv_musd": _r(self.npv),
                **{f"npv_p{p}_musd": None if x is None else _r(x)
                   for p, x in zip(PERCENTILES, spread)},
                "as_of": self.e["as_of"], "decision_date": self.e["decision_date"],
                "discount_rate_pct": _r(self.e["discount_rate"][BASE] * 100),
                "draws": len(self.draws)}
