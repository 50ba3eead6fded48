"""The portfolio's conversion plan from the options table: which sites to convert, for
which workload and from which start year, the reason for each site left out, the shadow
value of each limit and the efficient frontier."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from pipeline.errors import RulesError
from pipeline.economics.plans import SPLIT
from pipeline.plan.settings import COMMITTED, LIMITS, SPENT, PlanSettings
from pipeline.plan.solve import Problem, Solution, Work, dual_values, solve, solve_relaxed

UNITS = {"capex": "M USD", "equity": "M USD", "mw": "MW"}
NAMES = {"capex": "capex", "equity": "equity", "mw": "MW"}
BASIS_WORDS = {SPENT: " spent", COMMITTED: " committed to starts"}


@dataclass(frozen=True)
class Plan:
    """A solved plan. ``sites`` is plan.csv: one row per site evaluated; ``options``
    plan-options.csv, every option it chose from; ``years`` each start year's use of every
    limit; ``shadow`` the NPV each limit's step would add; ``frontier`` the plan's NPV at
    several capex budgets a year."""

    settings: PlanSettings
    sites: pd.DataFrame
    options: pd.DataFrame
    years: pd.DataFrame
    shadow: pd.DataFrame
    frontier: pd.DataFrame
    npv_musd: float
    npv_p10_musd: float  # the sum of the planned sites' P10s, not the portfolio's P10
    npv_p90_musd: float
    capex_musd: float
    it_mw: float
    converted: int
    solver_seconds: float
    gap: float
    optimal: bool

    def limits(self) -> pd.DataFrame:
        """Each start year's use of every limit, the limit, and the NPV its step would add
        (the Plan limits sheet); a year without a limit says so."""
        rows = []
        shadow = {(r.limit, r.year): r for r in self.shadow.itertuples(index=False)}
        for year in self.years.itertuples(index=False):
            for kind in LIMITS:
                cap = getattr(year, f"{kind}_limit")
                unset = cap is None or cap != cap
                gain = shadow.get((NAMES[kind], year.year))
                rows.append({"year": year.year, "limit": NAMES[kind],
                             "unit": UNITS[kind] + (BASIS_WORDS[self.settings.capex_basis]
                                                    if kind != "mw" else " starting"),
                             "used": getattr(year, f"{kind}_used"),
                             "limit_value": None if unset else cap,
                             "step": self.settings.steps[kind],
                             "npv_gain_musd": None if gain is None else gain.npv_gain_musd,
                             "method": (gain.method if gain is not None
                                        else NO_LIMIT if unset else None)})
        return pd.DataFrame(rows, columns=["year", "limit", "unit", "used", "limit_value",
                                           "step", "npv_gain_musd", "method"])


NO_LIMIT = "no limit set"
AGAIN, DUAL = "plan solved again", "dual of the linear relaxation x step"


def make_plan(options: pd.DataFrame, sites: pd.DataFrame, settings: PlanSettings,
              jobs: int = 1) -> Plan:
    """Plan the portfolio: ``options`` is the economics' options table, ``sites`` every
    evaluated site (site_id, site_name, bucket); a site without options is no candidate.
    The plan, its shadow values and its frontier are solved ``jobs`` at a time."""
    evaluated = set(sites["site_id"])
    for key, ids in (("force_in", settings.force_in), ("force_out", settings.force_out)):
        if unknown := sorted(ids - evaluated):
            raise RulesError(f"{settings.source}: plan.{key}: no evaluated site "
                             f"{', '.join(map(repr, unknown))}")
    table = _candidates(options, settings)
    ids = list(dict.fromkeys(table["site_id"]))
    number = {site: i for i, site in enumerate(ids)}
    if unfit := sorted(settings.force_in - set(ids)):
        raise RulesError(f"{settings.source}: plan.force_in: {', '.join(unfit)} has no "
                         "conversion to plan (Neither, or no power to give to AI)")
    use, after = _uses(table, settings)
    problem = Problem(
        table["site_id"].map(number).to_numpy(dtype=int),
        table["npv_musd"].to_numpy(dtype=float), use,
        np.array([site in settings.force_in for site in ids], dtype=bool), len(ids), after)
    with _Solves(problem, settings, jobs) as solves:
        planned = solves.exact(settings.limits)
        capped = any(v is not None for v in settings.limits["capex"])
        # the plan free of any capex limit: the frontier's scale where the plan sets none
        uncapped = None if capped else solves.point(
            {**settings.limits, "capex": (None,) * len(settings.start_years)})
        shadow_work = Work(settings.shadow_node_limit, settings.time_limit_seconds)
        raised = ({key: solves.exact(limits, shadow_work)
                   for key, limits in _raised(settings).items()}
                  if solves.resolving else None)
        frontier = _frontier(problem, settings, planned, table, solves,
                             None if uncapped is None else uncapped.result())
        best = planned.result()
        shadow = _shadow(problem, settings, best, raised)
    chosen = table[best.chosen]
    used = {kind: problem.use[kind][best.chosen].sum(axis=0) for kind in LIMITS}
    rows = _site_rows(options, table, best, problem, used, sites, settings)
    # each year's use as plan.csv's rounded rows add it up (5,646.51, never 5,646.49)
    shown = {kind: np.round(problem.use[kind][best.chosen], 2).sum(axis=0) for kind in LIMITS}
    return Plan(settings, rows, _option_rows(options, chosen, rows, settings),
                _years(settings, shown), shadow, frontier,
                round(best.npv_musd, 2), round(float(chosen["npv_p10_musd"].sum()), 2),
                round(float(chosen["npv_p90_musd"].sum()), 2),
                round(float(chosen["capex_musd"].sum()), 2),
                round(float(chosen["it_mw"].sum()), 2), len(chosen),
                round(best.seconds, 3), best.gap, best.optimal)


OPTION_KEY = ["site_id", "workload", "delay_years"]


def _option_rows(options: pd.DataFrame, chosen: pd.DataFrame, sites: pd.DataFrame,
                 settings: PlanSettings) -> pd.DataFrame:
    """plan-options.csv: every option of every site, its start year, whether the plan chose
    it and why the plan may not (blank: it may), its figures, and by calendar year the capex
    and equity it spends and the critical IT whose phase starts building in it; sites in the
    order of ``sites`` (plan.csv), then workload and start."""
    first = settings.decision_year
    spent = _years_of(options, "capex_musd", "equity_musd", "mw")
    frame = options.assign(
        start_year=options["delay_years"] + first,
        chosen=options.merge(chosen[OPTION_KEY].assign(_in=True), on=OPTION_KEY,
                             how="left")["_in"].fillna(False).map({True: "yes", False: "no"})
        .to_numpy(),
        not_a_candidate_because=_screen(options, settings).to_numpy())
    years = {f"{stem}_{first + k}": _spent(frame, f"{stem}_y{k}")
             for k in spent for stem in ("capex_musd", "equity_musd", "mw")}
    frame = frame.assign(**years).merge(sites[["site_id", "site_name"]], on="site_id")
    order = {site: i for i, site in enumerate(sites["site_id"])}
    columns = ["site_id", "site_name", "workload", "start_year", "chosen",
               "not_a_candidate_because", "npv_musd", "npv_p10_musd", "npv_p90_musd", "irr_pct",
               "equity_irr_pct", "capex_musd", "equity_musd", "it_mw", *years]
    frame = frame.assign(_order=frame["site_id"].map(order)).sort_values(
        ["_order", "workload", "start_year"], kind="stable")[columns].reset_index(drop=True)
    frame[columns[6:]] = frame[columns[6:]].astype(float).round(2)
    return frame


def _uses(table: pd.DataFrame, settings: PlanSettings
          ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each option's use of each limit by start year, and of capex and equity in each year
    after the last (spent basis): capex and equity spent in the year (``spent``) or the
    whole of them in the option's start year (``committed``); MW starting in the year."""
    ks = list(settings.delays)
    later = [k for k in _years_of(table, "capex_musd") if k > max(ks)]
    use, after = {}, {}
    for kind, (_, stem) in LIMITS.items():
        if kind != "mw" and settings.capex_basis == COMMITTED:
            whole = table[stem].to_numpy(dtype=float, na_value=0.0)
            start = table["delay_years"].to_numpy(dtype=int)
            use[kind] = np.column_stack([np.where(start == k, whole, 0.0) for k in ks]) \
                if len(table) else np.zeros((0, len(ks)))
            continue
        use[kind] = (np.column_stack([_spent(table, f"{stem}_y{k}") for k in ks])
                     if len(table) else np.zeros((0, len(ks))))
        if kind != "mw" and later and len(table):
            after[kind] = np.column_stack([_spent(table, f"{stem}_y{k}") for k in later])
    return use, after


def _years_of(table: pd.DataFrame, *stems: str) -> list[int]:
    """The years from the decision (``k`` of a ``{stem}_y{k}`` column) the options hold."""
    return sorted({int(c.rsplit("_y", 1)[1]) for c in table.columns
                   if c.startswith(tuple(f"{stem}_y" for stem in stems))})


def _spent(table: pd.DataFrame, column: str) -> np.ndarray:
    """A per-year column of the options: blank, or absent from every chunk, where nothing is
    spent or started in that year."""
    if column not in table:
        return np.zeros(len(table))
    return table[column].to_numpy(dtype=float, na_value=0.0)


def _candidates(options: pd.DataFrame, settings: PlanSettings) -> pd.DataFrame:
    """The options the plan may choose (``_screen`` finds no reason against them)."""
    return options[_screen(options, settings) == ""].reset_index(drop=True)


def _screen(options: pd.DataFrame, settings: PlanSettings) -> pd.Series:
    """Why the plan may not choose each option, "" where it may: a start outside the plan's
    start years, the site forced out, not the Hybrid workload the plan fixes, below the
    hurdle (a site forced in keeps every option it may start)."""
    reason = pd.Series("", index=options.index, dtype=object)

    def mark(mask: pd.Series, text: str) -> None:
        reason[(reason == "") & mask.to_numpy()] = text

    mark(~options["delay_years"].isin(settings.delays), "starts outside the plan's start years")
    mark(options["site_id"].isin(settings.force_out), "the site is forced out by the plan")
    if settings.hybrid_workload != "choose":
        # a campus-sized Hybrid's inference is its split: an inference block, training for
        # the rest (no tenant leases a campus as inference alone)
        wanted = options["workload"].replace(SPLIT, "inference")
        workloads = options.groupby("site_id")["workload"].transform("nunique")
        mark((workloads >= 2) & (wanted != settings.hybrid_workload),
             "not the workload the plan fixes for a Hybrid")
    mark(~(_clears(options, settings) | options["site_id"].isin(settings.force_in)),
         "below the plan's hurdle")
    return reason


def _clears(table: pd.DataFrame, settings: PlanSettings) -> pd.Series:
    if settings.hurdle == "npv":
        return table["npv_musd"] > 0
    column = "irr_pct" if settings.hurdle == "irr" else "equity_irr_pct"
    return table[column].astype(float).fillna(-np.inf) >= settings.hurdle_min_pct


class _Solves:
    """The plan's solves, ``jobs`` at a time on threads: each is independent of the others,
    and HiGHS releases the GIL while it searches. One job, or more than
    ``resolve_max_sites`` candidate sites, solves each at once in the calling thread: there
    the shadow values and the frontier are linear relaxations, a few seconds in all, and
    solves on other threads would add to the run's peak memory (40 MiB at 10,000 sites,
    while the writer holds the workbook). Leaving cancels the solves not started."""

    def __init__(self, problem: Problem, settings: PlanSettings, jobs: int):
        self.problem, self.settings = problem, settings
        # each shadow value and frontier point a MIP of its own (else the relaxation's)
        self.resolving = problem.sites <= settings.resolve_max_sites
        self._pool = (ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="sitefit-plan")
                      if jobs > 1 and self.resolving else None)

    def __enter__(self) -> _Solves:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _submit(self, solver: Callable[..., Solution], *args, **kwargs) -> Future[Solution]:
        if self._pool is not None:
            return self._pool.submit(solver, *args, **kwargs)
        done: Future[Solution] = Future()
        try:
            done.set_result(solver(*args, **kwargs))
        except Exception as exc:  # raised where the solve's result is read, as on a thread
            done.set_exception(exc)
        return done

    def exact(self, limits: dict[str, tuple[float | None, ...]],
              work: Work | None = None) -> Future[Solution]:
        """The plan within ``limits`` and ``work`` (default: the settings' for a plan),
        presolved when it is small enough (``presolve_max_sites``)."""
        s = self.settings
        return self._submit(solve, self.problem, limits, work or self.plan_work, s.mip_gap,
                            presolve=self.problem.sites <= s.presolve_max_sites)

    def point(self, limits: dict[str, tuple[float | None, ...]]) -> Future[Solution]:
        """A frontier point: exact (within the frontier's work) up to ``resolve_max_sites``
        candidate sites, above from the linear relaxation (``solve_relaxed``)."""
        s = self.settings
        if self.resolving:
            return self.exact(limits, Work(s.frontier_node_limit, s.frontier_time_limit_seconds))
        return self._submit(solve_relaxed, self.problem, limits, self.plan_work, s.mip_gap)

    @property
    def plan_work(self) -> Work:
        return Work(self.settings.node_limit, self.settings.time_limit_seconds)


def _raised(settings: PlanSettings) -> dict[tuple[str, int], dict[str, tuple[float | None, ...]]]:
    """For each set limit (kind, plan year), the plan's limits with that one alone raised by
    its step."""
    out = {}
    for kind, values in settings.limits.items():
        for i, cap in enumerate(values):
            if cap is not None:
                step = settings.steps[kind]
                out[(kind, i)] = {**settings.limits, kind: tuple(
                    v + step if j == i else v for j, v in enumerate(values))}
    return out


def _shadow(problem: Problem, settings: PlanSettings, best: Solution,
            raised: dict[tuple[str, int], Future[Solution]] | None) -> pd.DataFrame:
    """For each start year's limit, the NPV the plan gains when that limit alone is raised
    by its step. Up to ``resolve_max_sites`` candidate sites, the plan solved again with the
    limit raised (``raised``: exact, as a plan of whole sites needs); above, the step times
    the limit's dual in the plan's linear relaxation (a MIP has no duals of its own), which
    many small sites make close and which costs one solve instead of one per limit."""
    duals = dual_values(problem, settings.limits) if raised is None else {}
    rows = []
    for kind, i in _raised(settings):
        step = settings.steps[kind]
        used = float(problem.use[kind][best.chosen, i].sum())
        if raised is not None:
            again = raised[(kind, i)].result()
            gain = max(again.npv_musd - best.npv_musd, 0.0)
            method = AGAIN if again.optimal else f"{AGAIN}, within {again.gap:.2%} of its best"
        else:
            gain, method = duals[(kind, i)] * step, DUAL
        rows.append({"limit": NAMES[kind], "year": settings.start_years[i],
                     "unit": UNITS[kind], "limit_value": settings.limits[kind][i],
                     "used": round(used, 2), "step": step, "npv_gain_musd": round(gain, 2),
                     "method": method})
    return pd.DataFrame(rows, columns=["limit", "year", "unit", "limit_value", "used",
                                       "step", "npv_gain_musd", "method"])


def _frontier(problem: Problem, settings: PlanSettings, planned: Future[Solution],
              table: pd.DataFrame, solves: _Solves, free: Solution | None) -> pd.DataFrame:
    """The plan's NPV at other capex budgets: where the plan sets capex limits (``free`` is
    None), its own limits scaled by each of ``frontier_limit_shares`` (the plan itself at
    1); else each start year's capex capped at ``frontier_budget_shares`` of the capex of
    the plan ``free`` of any capex limit. The other limits are kept. Each point is a
    ``solves.point``, or the ``planned`` plan or another point's plan where that fits the
    budget and adds more (so the frontier never falls as the budget rises); its gap is its
    own solve's. ``capex_limit_musd`` is the total of the start years' capex limits at the
    point, its x on a chart."""
    own = settings.limits["capex"]
    n = len(settings.start_years)
    if free is None:
        shares = settings.frontier_limit_shares
        budgets = [tuple(None if v is None else round(v * share, 2) for v in own)
                   for share in shares]
        exact = [share == 1 for share in shares]
    else:
        full = float(table["capex_musd"][free.chosen].sum())
        shares = settings.frontier_shares
        budgets = [(round(share * full, 2),) * n for share in shares]
        exact = [share >= 1 for share in shares]
    points = [None if same else solves.point({**settings.limits, "capex": budget})
              for same, budget in zip(exact, budgets)]
    mine = planned.result()
    solved = [(free or mine) if future is None else future.result() for future in points]
    plans = [*solved, mine]
    use = problem.use["capex"]
    rows = []
    for share, budget, point in zip(shares, budgets, solved):
        fits = [plan for plan in plans
                if all(cap is None or used <= cap + 1e-9
                       for cap, used in zip(budget, use[plan.chosen].sum(axis=0)))]
        best = max([point, *fits], key=lambda plan: plan.npv_musd)
        rows.append({"budget_share": share,
                     "capex_limit_musd": round(sum(v for v in budget if v is not None), 2),
                     "npv_musd": round(best.npv_musd, 2),
                     "capex_musd": round(float(table["capex_musd"][best.chosen].sum()), 2),
                     "sites": int(best.chosen.sum()), "optimality_gap": round(point.gap, 6)})
    return pd.DataFrame(rows, columns=["budget_share", "capex_limit_musd", "npv_musd",
                                       "capex_musd", "sites", "optimality_gap"])


def _years(settings: PlanSettings, used: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = []
    for i, year in enumerate(settings.start_years):
        row: dict = {"year": year}
        for kind in LIMITS:
            row[f"{kind}_used"] = round(float(used[kind][i]), 2) if len(used[kind]) else 0.0
            row[f"{kind}_limit"] = settings.limits[kind][i]
        rows.append(row)
    return pd.DataFrame(rows)


def _site_rows(options: pd.DataFrame, table: pd.DataFrame, best: Solution,
               problem: Problem, used: dict[str, np.ndarray], sites: pd.DataFrame,
               settings: PlanSettings) -> pd.DataFrame:
    """plan.csv: each site's decision, start year, workload, NPV, capex and MW by start year,
    and why it is in or out."""
    years, ks = settings.start_years, settings.delays
    chosen = table[best.chosen]
    picked = chosen.assign(
        converted="yes", start_year=chosen["delay_years"] + settings.decision_year,
        **{f"capex_musd_{y}": _spent(chosen, f"capex_musd_y{k}") for y, k in zip(years, ks)},
        **{f"mw_{y}": _spent(chosen, f"mw_y{k}") for y, k in zip(years, ks)},
        capex_musd_later=sum((_spent(chosen, c) for c in chosen.columns
                              if c.startswith("capex_musd_y")
                              and int(c.rsplit("_y", 1)[1]) > max(ks)), np.zeros(len(chosen))))
    columns = ["site_id", "site_name", "bucket", "converted", "workload", "start_year",
               "npv_musd", "npv_p10_musd", "npv_p90_musd", "irr_pct", "capex_musd", "it_mw",
               "best_npv_musd", "reason",
               *[f"{stem}_{year}" for year in years for stem in ("capex_musd", "mw")],
               "capex_musd_later"]
    frame = sites[["site_id", "site_name", "bucket"]].merge(
        picked[[c for c in columns if c in picked.columns and c not in ("site_name",
                                                                          "bucket")]],
        on="site_id", how="left")
    frame["converted"] = frame["converted"].fillna("no")
    why = _Reasons(options, table, best, problem, used, settings)
    frame["best_npv_musd"] = frame["site_id"].map(why.best_npv)
    frame["reason"] = pd.Series([why.of(site_id, bucket, start) for site_id, bucket, start
                                 in zip(frame["site_id"], frame["bucket"],
                                        frame["start_year"])], index=frame.index, dtype=str)
    frame = frame[columns]
    frame["start_year"] = frame["start_year"].astype("Int64")
    spent = [c for c in columns if c.startswith(("capex_musd_", "mw_"))]  # and the later
    frame[spent] = frame[spent].astype(float).fillna(0.0)
    numbers = [c for c in columns if c.endswith(("_musd", "_mw", "_pct")) or c in spent]
    frame[numbers] = frame[numbers].astype(float).round(2)
    order = frame["converted"].eq("yes").map({True: 0, False: 1})
    return (frame.assign(_order=order).sort_values(["_order", "start_year", "npv_musd"],
                                                   ascending=[True, True, False],
                                                   kind="stable")
            .drop(columns="_order").reset_index(drop=True))


class _Reasons:
    """Why each site is in the plan from its start year, or left out: worked out for every
    option at once against the plan's use of each limit."""

    def __init__(self, options: pd.DataFrame, table: pd.DataFrame, best: Solution,
                 problem: Problem, used: dict[str, np.ndarray], settings: PlanSettings):
        self.settings = settings
        self.table = table
        self.kinds = [kind for kind in LIMITS
                      if any(v is not None for v in settings.limits[kind])]
        self.caps = {kind: np.array([np.inf if v is None else v
                                     for v in settings.limits[kind]]) for kind in self.kinds}
        self.use = {kind: problem.use[kind] for kind in self.kinds}
        self.used = used
        self.positions = table.groupby("site_id", sort=False).indices if len(table) else {}
        self.chosen = {table["site_id"].iat[i]: i for i in np.flatnonzero(best.chosen)}
        self.delay = table["delay_years"].to_numpy(dtype=int) if len(table) else np.zeros(0)
        allowed = options[options["delay_years"].isin(settings.delays)]
        self.with_options = set(options["site_id"])
        self.allowed = allowed.groupby("site_id", sort=False)
        self.best_npv = self.allowed["npv_musd"].max().to_dict() if len(allowed) else {}
        self.uncommitted = (set(s for s, mw in allowed.groupby("site_id", sort=False)[
            "it_mw"].max().items() if mw <= 0) if len(allowed) else set())
        column = "irr_pct" if settings.hurdle == "irr" else "equity_irr_pct"
        self.best_irr = (allowed.assign(_v=allowed[column].astype(float)).groupby(
            "site_id", sort=False)["_v"].max().to_dict() if len(allowed) else {})

    def _over(self, rows: np.ndarray, base: dict[str, np.ndarray]) -> list[list[str]]:
        """For each option of ``rows``, the limits it breaks on top of ``base`` use."""
        out: list[list[str]] = [[] for _ in rows]
        for kind in self.kinds:
            over = base[kind][None, :] + self.use[kind][rows] > self.caps[kind][None, :] + 1e-9
            for r, i in zip(*np.nonzero(over)):
                out[r].append(f"{NAMES[kind]} {self.settings.start_years[i]}")
        return out

    def of(self, site_id: str, bucket: str, start) -> str:
        s = self.settings
        if site_id in self.chosen:
            return self._in(site_id, int(start))
        if site_id in s.force_out:
            return "left out: forced out by the plan (plan.force_out)"
        if site_id not in self.with_options:
            return ("not a candidate: suits neither workload" if bucket == "Neither" else
                    "not a candidate: no power to give to AI")
        if site_id not in self.best_npv:
            return "timing: no conversion can start in the plan's start years"
        rows = self.positions.get(site_id)
        if site_id in self.uncommitted:
            return ("nothing to commit yet: the power it could give to AI is not approved, so "
                    "its conversion is an option valued beside the plan (its option NPV on the "
                    "Economics sheet)")
        if rows is None:
            if s.hurdle == "npv":
                return (f"below the hurdle: NPV {self.best_npv[site_id]:.2f} M USD at best "
                        "(the plan needs NPV above 0)")
            value = self.best_irr[site_id]
            shown = "none" if value != value else f"{value:.1f}%"
            return (f"below the hurdle: {s.hurdle.replace('_', ' ').replace('irr', 'IRR')} "
                    f"{shown} at best (the plan needs {s.hurdle_min_pct:g}%)")
        nothing = {kind: np.zeros(len(s.start_years)) for kind in self.kinds}
        alone = self._over(rows, nothing)
        if all(alone):
            kinds = sorted({b.split()[0] for h in alone for b in h})
            first = self.table.iloc[rows[0]]
            figures = {"capex": f"capex {first['capex_musd']:.2f} M USD",
                       "equity": f"equity {first['equity_musd']:.2f} M USD",
                       "MW": f"{first['it_mw']:.2f} MW"}
            return (f"{'budget' if 'MW' not in kinds or len(kinds) > 1 else 'MW limit'}: "
                    f"larger on its own than the {' and '.join(kinds)} limit of any start "
                    f"year ({', '.join(figures[k] for k in kinds)})")
        held = self._over(rows, self.used)
        if all(held):
            kinds = sorted({b for h in held for b in h})
            word = "budget" if any(not b.startswith("MW") for b in kinds) else "MW limit"
            return (f"{word}: the limits left ({', '.join(kinds)}) go to sites that add "
                    "more NPV")
        return "left out within the solver's optimality gap"

    def _in(self, site_id: str, start: int) -> str:
        s = self.settings
        forced = " (forced in)" if site_id in s.force_in else ""
        if start == s.start_years[0]:
            return f"in the plan from {start}{forced}"
        mine = self.chosen[site_id]
        rows = self.positions[site_id]
        earlier = rows[self.delay[rows] < start - s.decision_year]
        free = {kind: self.used[kind] - self.use[kind][mine] for kind in self.kinds}
        held = sorted({b for h in self._over(earlier, free) for b in h})
        why = (f"the earlier years' limits are taken ({', '.join(held)})" if held
               else "a later start adds more NPV")
        return f"in the plan from {start}: {why}{forced}"
