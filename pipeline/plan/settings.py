"""What the board fixes for the conversion plan: the ``[plan]`` table of the rules, which a
plan file (``--plan FILE``) or ``--set plan.KEY=VALUE`` may change like any other rule."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import RulesError
from pipeline.bounded import read_toml
from pipeline.rules import Rules, with_values

HURDLES = ("npv", "irr", "equity_irr")
SPENT, COMMITTED = "spent", "committed"  # what the capex and equity limits cap
HYBRID_CHOICES = ("choose", "training", "inference")
# The limits a plan may set for each start year: the rules key, and the options table's
# column stem it caps (``capex_musd_y{k}``...).
LIMITS = {"capex": ("capex_musd_per_year", "capex_musd"),
          "equity": ("equity_musd_per_year", "equity_musd"),
          "mw": ("mw_per_year", "mw")}
NO_LIMIT = ("none", "")


@dataclass(frozen=True)
class PlanSettings:
    """The plan's limits and choices, checked. A limit is one value per start year, None
    where there is none."""

    start_years: tuple[int, ...]
    decision_year: int
    limits: dict[str, tuple[float | None, ...]]
    capex_basis: str  # spent (each calendar year's spend) or committed (in the start year)
    hurdle: str
    hurdle_min_pct: float
    hybrid_workload: str
    force_in: frozenset[str]
    force_out: frozenset[str]
    node_limit: int  # the solver's work on one plan, in branch-and-bound nodes
    time_limit_seconds: float  # a net against a solve that never ends; not reached in use
    mip_gap: float
    presolve_max_sites: int  # above it, HiGHS searches without its presolve
    steps: dict[str, float]  # the shadow value's step for each limit
    resolve_max_sites: int  # above it, shadow values come from the LP relaxation's duals
    shadow_node_limit: int  # the solver's work on each shadow value's re-solve
    frontier_shares: tuple[float, ...]  # of the unlimited plan's capex
    frontier_limit_shares: tuple[float, ...]  # of the plan's own capex limits
    frontier_node_limit: int
    frontier_time_limit_seconds: float
    source: str

    @property
    def delays(self) -> tuple[int, ...]:
        """Whole years from the decision to each start year."""
        return tuple(year - self.decision_year for year in self.start_years)

    def limited(self) -> bool:
        """Whether any start year has a limit."""
        return any(v is not None for values in self.limits.values() for v in values)


def plan_settings(rules: Rules, where: str | None = None) -> PlanSettings:
    """The ``[plan]`` table of ``rules``, checked: errors name ``where`` (default: the rules'
    source) and the key."""
    where = where or rules.source
    p = rules["plan"]
    decision_year = int(rules["economics"]["decision_date"][:4])

    def fail(key: str, what: str) -> RulesError:
        return RulesError(f"{where}: plan.{key} = {p[key]!r}: {what}")

    years = p["start_years"]
    if (not years or not all(isinstance(y, int) and not isinstance(y, bool) for y in years)
            or sorted(set(years)) != list(years)):
        raise fail("start_years", "give one or more calendar years, each once, in order, "
                   "like [2027, 2028, 2029]")
    if years[0] < decision_year:
        raise fail("start_years", f"a conversion cannot start before the decision year "
                   f"{decision_year} (economics.decision_date)")
    limits = {}
    for kind, (key, _) in LIMITS.items():
        values = p[key]
        if values and len(values) != len(years):
            raise fail(key, f"give one value per start year ({len(years)}), or none for "
                       "no limit")
        limits[kind] = tuple(_limit(v, lambda what: fail(key, what)) for v in values) or \
            (None,) * len(years)
    if p["capex_basis"] not in (SPENT, COMMITTED):
        raise fail("capex_basis", f"{SPENT} (each calendar year's spend) or {COMMITTED} "
                                  "(each conversion's whole capex in its start year)")
    if p["hurdle"] not in HURDLES:
        raise fail("hurdle", f"one of {', '.join(HURDLES)}")
    if p["hybrid_workload"] not in HYBRID_CHOICES:
        raise fail("hybrid_workload", f"one of {', '.join(HYBRID_CHOICES)}")
    for key in ("force_in", "force_out"):
        if not all(isinstance(s, str) and s for s in p[key]):
            raise fail(key, "give site_id values as text, like [\"TX-01\"]")
    if both := sorted(set(p["force_in"]) & set(p["force_out"])):
        raise fail("force_out", f"{', '.join(both)} also in plan.force_in")
    if not 0 < p["solver_mip_gap"] < 1:
        raise fail("solver_mip_gap", "a share between 0 and 1, like 0.0001")
    for key in ("solver_time_limit_seconds", "shadow_capex_step_musd", "shadow_mw_step",
                "frontier_time_limit_seconds"):
        if p[key] <= 0:
            raise fail(key, "must be above 0")
    for key in ("solver_node_limit", "shadow_node_limit", "frontier_node_limit"):
        if not isinstance(p[key], int) or isinstance(p[key], bool) or p[key] < 1:
            raise fail(key, "a whole number of nodes, 1 or more, like 5000")
    shares, scales = p["frontier_budget_shares"], p["frontier_limit_shares"]
    for key, values in (("frontier_budget_shares", shares), ("frontier_limit_shares", scales)):
        if not values or not all(isinstance(s, (int, float)) and not isinstance(s, bool)
                                 and 0 < s for s in values):
            raise fail(key, "shares above 0, like [0.5, 1.0, 2.0]")
    return PlanSettings(
        tuple(years), decision_year, limits, p["capex_basis"], p["hurdle"],
        float(p["hurdle_min_pct"]),
        p["hybrid_workload"], frozenset(p["force_in"]), frozenset(p["force_out"]),
        p["solver_node_limit"], float(p["solver_time_limit_seconds"]),
        float(p["solver_mip_gap"]),
        int(p["solver_presolve_max_sites"]),
        {"capex": float(p["shadow_capex_step_musd"]),
         "equity": float(p["shadow_capex_step_musd"]), "mw": float(p["shadow_mw_step"])},
        int(p["shadow_resolve_max_sites"]), p["shadow_node_limit"],
        tuple(sorted(float(s) for s in shares)), tuple(sorted(float(s) for s in scales)),
        p["frontier_node_limit"], float(p["frontier_time_limit_seconds"]), where)


def _limit(value: Any, fail) -> float | None:
    if isinstance(value, str) and value.strip().lower() in NO_LIMIT:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
            value) or value < 0:
        raise fail(f"{value!r} is not a limit: give a number of at least 0, or \"none\"")
    return float(value)


def load_plan_file(path: Path, rules: Rules) -> Rules:
    """``rules`` with the ``[plan]`` table of the TOML file at ``path`` over theirs, checked:
    a bad file stops the run like a bad rules file, the file and the key named."""
    where = f"plan file {path}"
    values = read_toml(Path(path), where, "a plan file", RulesError)
    if other := sorted(set(values) - {"plan"}):
        raise RulesError(f"{where}: only a [plan] table belongs in a plan file, not "
                         f"{', '.join(other)} (thresholds go in a rules file, --rules)")
    if not isinstance(values.get("plan", {}), dict):
        raise RulesError(f"{where}: plan must be a table, [plan]")
    planned = with_values(rules, values, where)
    plan_settings(planned, where)
    return planned
