"""The plan as a mixed-integer programme, solved by HiGHS (``scipy.optimize.milp``).

One binary per option (a site converted for a workload from a start year); at most one
option per site, exactly one for a site forced in; for each start year with a limit, the
options' capex (equity, MW) in that year within it; maximise the sum of NPV."""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import scipy.sparse as sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from pipeline.errors import RulesError


@dataclass(frozen=True)
class Problem:
    """The options the plan may choose from, as arrays: ``site`` numbers each option's site
    (0..sites-1), ``npv`` its NPV, ``use[kind]`` its use of each limited resource by plan
    year (options, years), and ``after[kind]`` its use in each calendar year after the last
    plan year (options, later years), which the last plan year's limit also caps."""

    site: np.ndarray
    npv: np.ndarray
    use: dict[str, np.ndarray]
    forced: np.ndarray  # per site: must be converted
    sites: int
    after: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Work:
    """How far one solve may search: ``nodes`` of branch and bound, the measure that keeps a
    plan the same on every run; ``seconds``, a net against a solve that would never end,
    set far above what ``nodes`` takes (a solve it stops is no longer repeatable)."""

    nodes: int
    seconds: float


@dataclass(frozen=True)
class Solution:
    chosen: np.ndarray  # bool per option
    npv_musd: float
    gap: float  # proven relative optimality gap (0 when optimal)
    seconds: float
    optimal: bool


def solve(problem: Problem, limits: dict[str, tuple[float | None, ...]],
          work: Work, mip_gap: float, fallback: bool = True,
          presolve: bool = False) -> Solution:
    """The options that maximise total NPV within ``limits`` (per kind, one value per plan
    year, None for none), with HiGHS's ``presolve`` or without it, searching at most
    ``work``'s nodes: HiGHS is deterministic, so the same input gives the same plan however
    busy the machine. RulesError if the sites forced in cannot fit. When the solver finds no
    whole plan within ``work`` and no site is forced in, the plan comes from the linear
    relaxation instead (``solve_relaxed``: within the limits, its gap to the best plan
    bounded and reported, not proven optimal)."""
    started = time.perf_counter()
    n = len(problem.npv)
    if n == 0:
        return Solution(np.zeros(0, dtype=bool), 0.0, 0.0, 0.0, True)
    one_each = _one_each(problem)
    constraints = [LinearConstraint(one_each, problem.forced.astype(float), 1.0)]
    rows, caps, _ = _limit_rows(problem, limits)
    if len(caps):
        constraints.append(LinearConstraint(rows, -np.inf, caps))
    # HiGHS's presolve halves a small plan's search, but on 10,000 sites' options it fills
    # the limit rows in (60,000 nonzeros to 230,000) and runs 96 s past any time limit
    # before the search starts; without it that plan is within 0.3 % of its bound in 5 s.
    with _native_output_dropped():
        result = milp(-problem.npv, constraints=constraints, integrality=np.ones(n),
                      bounds=Bounds(0, 1),
                      options={"node_limit": work.nodes, "time_limit": work.seconds,
                               "mip_rel_gap": mip_gap, "presolve": presolve})
    seconds = time.perf_counter() - started
    if result.x is None:
        if result.status == 2:
            raise RulesError("plan: the sites in plan.force_in do not fit within the plan's "
                             "limits; raise the limits or force fewer sites in")
        if fallback and not problem.forced.any():
            relaxed = solve_relaxed(problem, limits, work, mip_gap)
            return Solution(relaxed.chosen, relaxed.npv_musd, relaxed.gap,
                            time.perf_counter() - started, False)
        raise RulesError(f"plan: the solver found no plan within plan.solver_node_limit "
                         f"({result.message})")
    chosen = result.x > 0.5
    gap = float(result.mip_gap) if result.mip_gap is not None else 0.0
    return Solution(chosen, float(problem.npv[chosen].sum()), max(gap, 0.0), seconds,
                    result.status == 0)


def solve_relaxed(problem: Problem, limits: dict[str, tuple[float | None, ...]],
                  work: Work, mip_gap: float) -> Solution:
    """A plan from the linear relaxation (sites may be part-converted): the whole options
    kept, then each part-converted site's best option added where it still fits. Within
    the limits, and within the reported gap of the best plan (the relaxation bounds it).
    Close when many small sites share the limits; the exact ``solve`` (within ``work`` and
    ``mip_gap``) for a few large ones or any site forced in."""
    started = time.perf_counter()
    if not len(problem.npv):
        return Solution(np.zeros(0, dtype=bool), 0.0, 0.0, 0.0, True)
    result = _relaxation(problem, limits)
    if result.status != 0 or problem.forced.any():
        return solve(problem, limits, work, mip_gap, fallback=False)
    chosen = result.x > 1 - 1e-9
    rows, caps, _ = _limit_rows(problem, limits)
    room = caps - (rows @ chosen.astype(float) if len(caps) else 0.0)
    done = np.zeros(problem.sites, dtype=bool)
    done[problem.site[chosen]] = True
    part = np.flatnonzero((result.x > 1e-9) & ~chosen & ~done[problem.site])
    for i in part[np.argsort(-problem.npv[part], kind="stable")]:
        need = rows[:, [i]].toarray().ravel() if len(caps) else np.zeros(0)
        if not done[problem.site[i]] and problem.npv[i] > 0 and np.all(need <= room + 1e-9):
            chosen[i], done[problem.site[i]] = True, True
            room = room - need
    npv = float(problem.npv[chosen].sum())
    bound = -float(result.fun)
    gap = (bound - npv) / max(abs(bound), 1e-9)
    return Solution(chosen, npv, max(gap, 0.0), time.perf_counter() - started, gap <= 1e-9)


def dual_values(problem: Problem, limits: dict[str, tuple[float | None, ...]]
                ) -> dict[tuple[str, int], float]:
    """The NPV one more unit of each set limit (kind, plan year) adds to the plan's linear
    relaxation (sites may be part-converted): the duals of its limit rows. Close to the
    integer plan's gain when a step admits many small sites; a few large sites need the
    plan solved again instead."""
    _, caps, keys = _limit_rows(problem, limits)
    if not len(caps) or not len(problem.npv):
        return {key: 0.0 for key in keys}
    result = _relaxation(problem, limits)
    if result.status != 0:
        return {key: 0.0 for key in keys}
    marginals = -np.asarray(result.ineqlin.marginals)[problem.sites:]
    duals: dict[tuple[str, int], float] = {}
    for key, value in zip(keys, marginals):  # the last year's limit also caps the years after
        duals[key] = duals.get(key, 0.0) + float(max(value, 0.0))
    return duals


def _relaxation(problem: Problem, limits: dict[str, tuple[float | None, ...]]):
    """The plan's linear relaxation solved by HiGHS: at most one option per site (the
    forced ones exactly one), then the limits."""
    rows, caps, _ = _limit_rows(problem, limits)
    one_each = _one_each(problem)
    forced = np.flatnonzero(problem.forced)
    upper = sparse.vstack([one_each, rows]).tocsr() if len(caps) else one_each
    bound = np.concatenate([np.ones(problem.sites), caps])
    with _native_output_dropped():
        return linprog(-problem.npv, A_ub=upper, b_ub=bound,
                       A_eq=one_each[forced] if len(forced) else None,
                       b_eq=np.ones(len(forced)) if len(forced) else None,
                       bounds=(0, 1), method="highs")


def _one_each(problem: Problem) -> sparse.csr_array:
    n = len(problem.npv)
    return sparse.csr_array((np.ones(n), (problem.site, np.arange(n))),
                            shape=(problem.sites, n))


def _limit_rows(problem: Problem, limits: dict[str, tuple[float | None, ...]]):
    """The rows of the set limits (options' use in that year), their caps and their keys."""
    rows, caps, keys = [], [], []
    for kind, values in limits.items():
        for year, cap in enumerate(values):
            if cap is not None:
                rows.append(problem.use[kind][:, year])
                caps.append(cap)
                keys.append((kind, year))
        later = problem.after.get(kind)
        if values and values[-1] is not None and later is not None:
            for column in later.T:  # each year after the last: within the last year's limit
                rows.append(column)
                caps.append(values[-1])
                keys.append((kind, len(values) - 1))
    matrix = sparse.csr_array(np.vstack(rows)) if rows else None
    return matrix, np.array(caps, dtype=float), keys


class _NativeOutputDropped:
    """HiGHS writes progress notes straight to the process's stdout and stderr, outside
    Python; drop them while any solve runs, so that stdout carries only ``--json``'s
    document and stderr only sitefit's own one-line messages. Solves on several threads
    share one redirection: the first to enter makes it, the last to leave undoes it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._saved: dict[int, int] = {}

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if not self._inside:
                self._drop()
            self._inside += 1
        try:
            yield
        finally:
            with self._lock:
                self._inside -= 1
                if not self._inside:
                    self._restore()

    def _drop(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        for fd in (1, 2):
            try:
                self._saved[fd] = os.dup(fd)
            except OSError:  # no such stream to protect
                continue
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), fd)

    def _restore(self) -> None:
        for fd, copy in self._saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        self._saved.clear()


_native_output_dropped = _NativeOutputDropped()
