"""The plan as a mixed-integer programme, solved by HiGHS (``scipy.optimize.milp``).

One binary per option (a site converted for a workload from a start year); at most one
option per site, exactly one for a site forced in; for each start year with a limit, the
options' capex (equity, MW) in that year within it; maximise the sum of NPV."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from pipeline.errors import RulesError


@dataclass(frozen=True)
class Problem:
    """The options the plan may choose from, as arrays: ``site`` numbers each option's site
    (0..sites-1), ``npv`` its NPV, ``use[kind]`` its use of each limited resource by plan
    year (options, years)."""

    site: np.ndarray
    npv: np.ndarray
    use: dict[str, np.ndarray]
    forced: np.ndarray  # per site: must be converted
    sites: int


@dataclass(frozen=True)
class Solution:
    chosen: np.ndarray  # bool per option
    npv_musd: float
    gap: float  # proven relative optimality gap (0 when optimal)
    seconds: float
    optimal: bool


def solve(problem: Problem, limits: dict[str, tuple[float | None, ...]],
          time_limit: float, mip_gap: float) -> Solution:
    """The options that maximise total NPV within ``limits`` (per kind, one value per plan
    year, None for none). RulesError if the sites forced in cannot fit."""
    started = time.perf_counter()
    n = len(problem.npv)
    if n == 0:
        return Solution(np.zeros(0, dtype=bool), 0.0, 0.0, 0.0, True)
    one_each = sparse.csr_array((np.ones(n), (problem.site, np.arange(n))),
                                shape=(problem.sites, n))
    constraints = [LinearConstraint(one_each, problem.forced.astype(float), 1.0)]
    rows, caps = [], []
    for kind, values in limits.items():
        for year, cap in enumerate(values):
            if cap is not None:
                rows.append(problem.use[kind][:, year])
                caps.append(cap)
    if rows:
        constraints.append(LinearConstraint(sparse.csr_array(np.vstack(rows)), -np.inf,
                                            np.array(caps)))
    result = milp(-problem.npv, constraints=constraints, integrality=np.ones(n),
                  bounds=Bounds(0, 1),
                  options={"time_limit": time_limit, "mip_rel_gap": mip_gap})
    seconds = time.perf_counter() - started
    if result.x is None:
        if result.status == 2:
            raise RulesError("plan: the sites in plan.force_in do not fit within the plan's "
                             "limits; raise the limits or force fewer sites in")
        raise RulesError(f"plan: the solver found no plan within "
                         f"plan.solver_time_limit_seconds ({result.message})")
    chosen = result.x > 0.5
    gap = float(result.mip_gap) if result.mip_gap is not None else 0.0
    return Solution(chosen, float(problem.npv[chosen].sum()), max(gap, 0.0), seconds,
                    result.status == 0)
