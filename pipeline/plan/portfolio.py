"""The portfolio's conversion plan from the options table: which sites to convert, for
which workload and from which start year, the reason for each site left out, the shadow
value of each limit and the efficient frontier."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import RulesError
from pipeline.plan.settings import LIMITS, PlanSettings
from pipeline.plan.solve import Problem, Solution, solve

UNITS = {"capex": "M USD", "equity": "M USD", "mw": "MW"}
NAMES = {"capex": "capex", "equity": "equity", "mw": "MW"}


@dataclass(frozen=True)
class Plan:
    """A solved plan. ``sites`` is plan.csv: one row per site evaluated; ``years`` each
    start year's use of every limit; ``shadow`` the NPV each limit's step would add;
    ``frontier`` the plan's NPV at several capex budgets a year."""

    settings: PlanSettings
    sites: pd.DataFrame
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
        (the Plan limits sheet)."""
        rows = []
        shadow = {(r.limit, r.year): r for r in self.shadow.itertuples(index=False)}
        for year in self.years.itertuples(index=False):
            for kind in LIMITS:
                cap = getattr(year, f"{kind}_limit")
                gain = shadow.get((NAMES[kind], year.year))
                rows.append({"year": year.year, "limit": NAMES[kind], "unit": UNITS[kind],
                             "used": getattr(year, f"{kind}_used"),
                             "limit_value": None if cap is None or cap != cap else cap,
                             "step": self.settings.steps[kind],
                             "npv_gain_musd": None if gain is None else gain.npv_gain_musd})
        return pd.DataFrame(rows, columns=["year", "limit", "unit", "used", "limit_value",
                                           "step", "npv_gain_musd"])


def make_plan(options: pd.DataFrame, sites: pd.DataFrame, settings: PlanSettings) -> Plan:
    """Plan the portfolio: ``options`` is the economics' options table, ``sites`` every
    evaluated site (site_id, site_name, bucket); a site without options is no candidate."""
    buckets = dict(zip(sites["site_id"], sites["bucket"]))
    names = dict(zip(sites["site_id"], sites["site_name"]))
    for key, ids in (("force_in", settings.force_in), ("force_out", settings.force_out)):
        if unknown := sorted(ids - set(buckets)):
            raise RulesError(f"{settings.source}: plan.{key}: no evaluated site "
                             f"{', '.join(map(repr, unknown))}")
    table = _candidates(options, settings)
    ids = list(dict.fromkeys(table["site_id"]))
    number = {site: i for i, site in enumerate(ids)}
    if unfit := sorted(settings.force_in - set(ids)):
        raise RulesError(f"{settings.source}: plan.force_in: {', '.join(unfit)} has no "
                         "conversion to plan (Neither, or no power to give to AI)")
    ks = list(settings.delays)
    problem = Problem(
        table["site_id"].map(number).to_numpy(dtype=int),
        table["npv_musd"].to_numpy(dtype=float),
        {kind: np.column_stack([table[f"{stem}_y{k}"].to_numpy(dtype=float) for k in ks])
         if len(table) else np.zeros((0, len(ks))) for kind, (_, stem) in LIMITS.items()},
        np.array([site in settings.force_in for site in ids], dtype=bool), len(ids))
    best = _solve(problem, settings, settings.limits)
    chosen = table[best.chosen]
    used = {kind: problem.use[kind][best.chosen].sum(axis=0) for kind in LIMITS}
    shadow = _shadow(problem, settings, best)
    frontier = _frontier(problem, settings, best, table)
    rows = _site_rows(options, table, chosen, problem, used, buckets, settings)
    rows.insert(1, "site_name", rows["site_id"].map(names))
    return Plan(settings, rows, _years(settings, used), shadow, frontier,
                round(best.npv_musd, 2), round(float(chosen["npv_p10_musd"].sum()), 2),
                round(float(chosen["npv_p90_musd"].sum()), 2),
                round(float(chosen["capex_musd"].sum()), 2),
                round(float(chosen["it_mw"].sum()), 2), len(chosen),
                round(best.seconds, 3), best.gap, best.optimal)


def _candidates(options: pd.DataFrame, settings: PlanSettings) -> pd.DataFrame:
    """The options the plan may choose: allowed start, not forced out, the Hybrid's workload
    if the plan fixes it, clearing the hurdle (a site forced in keeps every option)."""
    table = options[options["delay_years"].isin(settings.delays)
                    & ~options["site_id"].isin(settings.force_out)]
    if settings.hybrid_workload != "choose":
        workloads = table.groupby("site_id")["workload"].transform("nunique")
        table = table[(workloads < 2) | (table["workload"] == settings.hybrid_workload)]
    clears = _clears(table, settings)
    return table[clears | table["site_id"].isin(settings.force_in)].reset_index(drop=True)


def _clears(table: pd.DataFrame, settings: PlanSettings) -> pd.Series:
    if settings.hurdle == "npv":
        return table["npv_musd"] > 0
    column = "irr_pct" if settings.hurdle == "irr" else "equity_irr_pct"
    return table[column].astype(float).fillna(-np.inf) >= settings.hurdle_min_pct


def _solve(problem: Problem, settings: PlanSettings,
           limits: dict[str, tuple[float | None, ...]]) -> Solution:
    return solve(problem, limits, settings.time_limit_seconds, settings.mip_gap)


def _shadow(problem: Problem, settings: PlanSettings, best: Solution) -> pd.DataFrame:
    """For each start year's limit, the NPV the plan gains when that limit alone is raised
    by its step: the plan solved again (a MIP has no duals to read)."""
    rows = []
    for kind, values in settings.limits.items():
        for i, cap in enumerate(values):
            if cap is None:
                continue
            step = settings.steps[kind]
            raised = tuple(v + step if j == i else v for j, v in enumerate(values))
            again = _solve(problem, settings, {**settings.limits, kind: raised})
            used = float(problem.use[kind][best.chosen, i].sum())
            rows.append({"limit": NAMES[kind], "year": settings.start_years[i],
                         "unit": UNITS[kind], "limit_value": cap, "used": round(used, 2),
                         "binding": "yes" if used >= cap - 1e-6 * max(cap, 1) or
                         again.npv_musd > best.npv_musd + 1e-6 else "no",
                         "step": step,
                         "npv_gain_musd": round(max(again.npv_musd - best.npv_musd, 0.0), 2)})
    return pd.DataFrame(rows, columns=["limit", "year", "unit", "limit_value", "used",
                                       "binding", "step", "npv_gain_musd"])


def _frontier(problem: Problem, settings: PlanSettings, best: Solution,
              table: pd.DataFrame) -> pd.DataFrame:
    """The plan's NPV with each start year's capex capped at shares of the capex of the plan
    with no capex limit (the other limits kept)."""
    free = _solve(problem, settings, {**settings.limits,
                                      "capex": (None,) * len(settings.start_years)})
    full = float(table["capex_musd"][free.chosen].sum())
    rows = []
    for share in settings.frontier_shares:
        budget = round(share * full, 2)
        point = free if share >= 1 else _solve(
            problem, settings, {**settings.limits,
                                "capex": (budget,) * len(settings.start_years)})
        rows.append({"capex_musd_per_year": budget, "npv_musd": round(point.npv_musd, 2),
                     "capex_musd": round(float(table["capex_musd"][point.chosen].sum()), 2),
                     "sites": int(point.chosen.sum())})
    return pd.DataFrame(rows, columns=["capex_musd_per_year", "npv_musd", "capex_musd",
                                       "sites"])


def _years(settings: PlanSettings, used: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = []
    for i, year in enumerate(settings.start_years):
        row: dict = {"year": year}
        for kind in LIMITS:
            row[f"{kind}_used"] = round(float(used[kind][i]), 2) if len(used[kind]) else 0.0
            row[f"{kind}_limit"] = settings.limits[kind][i]
        rows.append(row)
    return pd.DataFrame(rows)


def _site_rows(options: pd.DataFrame, table: pd.DataFrame, chosen: pd.DataFrame,
               problem: Problem, used: dict[str, np.ndarray], buckets: dict[str, str],
               settings: PlanSettings) -> pd.DataFrame:
    """plan.csv: each site's decision, start year, workload, NPV, capex and MW by start year,
    and why it is in or out."""
    years, ks = settings.start_years, settings.delays
    picked = chosen.set_index("site_id")
    rows = []
    for site_id, bucket in buckets.items():
        row: dict = {"site_id": site_id, "bucket": bucket}
        if site_id in picked.index:
            o = picked.loc[site_id]
            start = settings.decision_year + int(o["delay_years"])
            row.update(converted="yes", workload=o["workload"], start_year=start,
                       npv_musd=o["npv_musd"], npv_p10_musd=o["npv_p10_musd"],
                       npv_p90_musd=o["npv_p90_musd"], irr_pct=o["irr_pct"],
                       capex_musd=o["capex_musd"], it_mw=o["it_mw"],
                       reason=_in_reason(site_id, start, table, problem, chosen, used,
                                         settings))
            for year, k in zip(years, ks):
                row[f"capex_musd_{year}"] = o[f"capex_musd_y{k}"]
                row[f"mw_{year}"] = o[f"mw_y{k}"]
        else:
            row.update(converted="no", reason=_out_reason(site_id, bucket, options, table,
                                                          used, settings))
            for year in years:
                row[f"capex_musd_{year}"] = 0.0
                row[f"mw_{year}"] = 0.0
        rows.append(row)
    columns = ["site_id", "bucket", "converted", "workload", "start_year", "npv_musd",
               "npv_p10_musd", "npv_p90_musd", "irr_pct", "capex_musd", "it_mw", "reason",
               *[f"{stem}_{year}" for year in years for stem in ("capex_musd", "mw")]]
    frame = pd.DataFrame(rows, columns=columns)
    frame["start_year"] = frame["start_year"].astype("Int64")
    numbers = [c for c in columns if c.endswith(("_musd", "_mw", "_pct")) or
               c.startswith(("capex_musd_", "mw_"))]
    frame[numbers] = frame[numbers].astype(float).round(2)
    order = frame["converted"].eq("yes").map({True: 0, False: 1})
    return (frame.assign(_order=order).sort_values(["_order", "start_year", "npv_musd"],
                                                   ascending=[True, True, False],
                                                   kind="stable")
            .drop(columns="_order").reset_index(drop=True))


def _breaches(option: pd.Series, used: dict[str, np.ndarray],
              settings: PlanSettings) -> list[str]:
    """The limits this option would break on top of the plan: ``"capex 2027"``..."""
    out = []
    for kind, values in settings.limits.items():
        stem = LIMITS[kind][1]
        for i, (cap, k) in enumerate(zip(values, settings.delays)):
            if cap is not None and used[kind][i] + option[f"{stem}_y{k}"] > cap + 1e-9:
                out.append(f"{NAMES[kind]} {settings.start_years[i]}")
    return out


def _in_reason(site_id: str, start: int, table: pd.DataFrame, problem: Problem,
               chosen: pd.DataFrame, used: dict[str, np.ndarray],
               settings: PlanSettings) -> str:
    forced = " (forced in)" if site_id in settings.force_in else ""
    if start == settings.start_years[0]:
        return f"in the plan from {start}{forced}"
    earlier = table[(table["site_id"] == site_id)
                    & (table["delay_years"] < start - settings.decision_year)]
    mine = chosen[chosen["site_id"] == site_id].iloc[0]
    free = {kind: used[kind] - np.array([mine[f"{LIMITS[kind][1]}_y{k}"]
                                         for k in settings.delays]) for kind in used}
    held = sorted({b for _, o in earlier.iterrows() for b in _breaches(o, free, settings)})
    why = (f"the earlier years' limits are taken ({', '.join(held)})" if held
           else "a later start adds more NPV")
    return f"in the plan from {start}: {why}{forced}"


def _out_reason(site_id: str, bucket: str, options: pd.DataFrame, table: pd.DataFrame,
                used: dict[str, np.ndarray], settings: PlanSettings) -> str:
    if site_id in settings.force_out:
        return "left out: forced out by the plan (plan.force_out)"
    own = options[options["site_id"] == site_id]
    if own.empty:
        return ("not a candidate: suits neither workload" if bucket == "Neither" else
                "not a candidate: no power to give to AI")
    own = own[own["delay_years"].isin(settings.delays)]
    if own.empty:
        return "timing: no conversion can start in the plan's start years"
    mine = table[table["site_id"] == site_id]
    if mine.empty:
        top = own.sort_values("npv_musd", ascending=False).iloc[0]
        if settings.hurdle == "npv":
            return (f"below the hurdle: NPV {top['npv_musd']:.2f} M USD at best "
                    "(the plan needs NPV above 0)")
        column = "irr_pct" if settings.hurdle == "irr" else "equity_irr_pct"
        value = own[column].astype(float).max()
        shown = "none" if value != value else f"{value:.1f}%"
        return (f"below the hurdle: {settings.hurdle.replace('_', ' ')} {shown} at best "
                f"(the plan needs {settings.hurdle_min_pct:g}%)")
    empty = {kind: np.zeros(len(settings.start_years)) for kind in used}
    alone = [_breaches(o, empty, settings) for _, o in mine.iterrows()]
    if all(alone):
        kinds = sorted({b.split()[0] for h in alone for b in h})
        return (f"{'budget' if 'MW' not in kinds or len(kinds) > 1 else 'MW limit'}: "
                f"larger on its own than the {' and '.join(kinds)} limit of any start year "
                f"(capex {mine['capex_musd'].iloc[0]:.2f} M USD, "
                f"{mine['it_mw'].iloc[0]:.2f} MW)")
    held = [_breaches(o, used, settings) for _, o in mine.iterrows()]
    if all(held):
        kinds = sorted({b for h in held for b in h})
        budget = [b for b in kinds if not b.startswith("MW")]
        word = "budget" if budget else "MW limit"
        return (f"{word}: the limits left ({', '.join(kinds)}) go to sites that add more "
                "NPV")
    return "left out within the solver's optimality gap (plan.solver_mip_gap)"
