"""The conversion plan: the optimiser against brute force and against ranking, the limits
respected in plan.csv, shadow values, the plan file's errors, and plan changes."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from conftest import ROOT, SAMPLE, invoke, read_csv
from pipeline import api
from pipeline.plan import OPTION_COLUMNS, make_plan, plan_settings
from pipeline.rules import RulesError, default_rules, with_settings

YEARS = (2027, 2028, 2029)


def options(rows: list[tuple], last: int = 2) -> pd.DataFrame:
    """An options table from (site, workload, delay, npv, capex, mw) rows, spending all of
    it in the start year, as the interface's columns."""
    out = []
    for site, workload, delay, npv, capex, mw in rows:
        row = dict(zip(OPTION_COLUMNS, (site, workload, delay, npv, npv * 0.5, npv * 1.5,
                                        12.0, 15.0, capex, capex * 0.4, mw)))
        for k in range(last + 1):
            row[f"capex_musd_y{k}"] = capex if k == delay else 0.0
            row[f"equity_musd_y{k}"] = capex * 0.4 if k == delay else 0.0
            row[f"mw_y{k}"] = mw if k == delay else 0.0
        out.append(row)
    return pd.DataFrame(out)


def sites_of(table: pd.DataFrame, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    ids = list(dict.fromkeys([*table["site_id"], *extra]))
    return pd.DataFrame({"site_id": ids, "site_name": [f"Site {i}" for i in ids],
                         "bucket": ["Training" if i in set(table["site_id"]) else "Neither"
                                    for i in ids]})


def settings(*changes: str):
    return plan_settings(with_settings(default_rules(), list(changes)))


def brute_force(table: pd.DataFrame, limits: dict[str, list[float | None]]) -> float:
    """The best total NPV over every assignment: each site not converted or one option."""
    stems = {"capex": "capex_musd", "equity": "equity_musd", "mw": "mw"}
    checks = [(table[f"{stems[kind]}_y{k}"].tolist(), cap + 1e-9)
              for kind, caps in limits.items() for k, cap in enumerate(caps) if cap is not None]
    npv = table["npv_musd"].tolist()
    positions = {index: n for n, index in enumerate(table.index)}
    groups = [[None, *(positions[i] for i in g.index)] for _, g in table.groupby("site_id")]
    best = 0.0
    for pick in itertools.product(*groups):
        chosen = [i for i in pick if i is not None]
        if all(sum(column[i] for i in chosen) <= cap for column, cap in checks):
            best = max(best, sum(npv[i] for i in chosen))
    return best


# Ranking by NPV takes A (50); ranking by NPV per dollar takes D then B (42); the best plan
# within 100 M USD is B and C (58).
KNAPSACK = [("A", "training", 0, 50.0, 100.0, 10.0), ("B", "training", 0, 30.0, 51.0, 5.0),
            ("C", "training", 0, 28.0, 49.0, 5.0), ("D", "training", 0, 12.0, 10.0, 1.0)]


def greedy(table: pd.DataFrame, key, budget: float) -> float:
    spent = total = 0.0
    for row in sorted(table.itertuples(), key=key, reverse=True):
        if spent + row.capex_musd <= budget:
            spent, total = spent + row.capex_musd, total + row.npv_musd
    return total


def test_the_optimiser_beats_ranking_by_npv_and_by_npv_per_dollar():
    table = options(KNAPSACK)
    plan = make_plan(table, sites_of(table),
                     settings("plan.start_years=[2027]", "plan.capex_musd_per_year=[100]"))
    by_npv = greedy(table, lambda r: r.npv_musd, 100)
    by_ratio = greedy(table, lambda r: r.npv_musd / r.capex_musd, 100)
    assert (by_npv, by_ratio) == (50.0, 42.0)
    assert plan.npv_musd == pytest.approx(58.0)
    assert set(plan.sites.loc[plan.sites["converted"] == "yes", "site_id"]) == {"B", "C"}
    assert plan.npv_musd == pytest.approx(brute_force(table, {"capex": [100]}))


# with HiGHS's presolve, as small plans are solved, and without it, as large ones are
@pytest.mark.parametrize("seed, presolve_max_sites", [*((s, 250) for s in range(6)),
                                                      (0, 0), (1, 0)])
def test_the_plan_is_what_brute_force_finds_on_small_portfolios(seed, presolve_max_sites):
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(5):
        base, capex, mw = rng.normal(20, 25), rng.uniform(20, 120), rng.uniform(2, 15)
        for workload in (("training", "inference") if s % 2 else ("training",)):
            lift = rng.uniform(0.8, 1.2)
            for delay in range(3):
                rows.append((f"S{s}", workload, delay, round(base * lift * 1.1 ** -delay, 3),
                             round(capex * lift, 3), round(mw * lift, 3)))
    table = options(rows)
    limits = {"capex": [120.0, 90.0, None], "mw": [None, 12.0, 20.0]}
    plan = make_plan(table, sites_of(table), settings(
        'plan.capex_musd_per_year=[120, 90, "none"]', 'plan.mw_per_year=["none", 12, 20]',
        "plan.solver_mip_gap=0.000001", f"plan.solver_presolve_max_sites={presolve_max_sites}"))
    expected = brute_force(table[table["npv_musd"] > 0], limits)
    assert plan.npv_musd == pytest.approx(expected, abs=0.01)


def test_a_hybrid_can_be_fixed_to_one_workload_and_sites_forced_in_or_out():
    table = options([("H", "training", 0, 10.0, 50.0, 5.0),
                     ("H", "inference", 0, 20.0, 50.0, 5.0),
                     ("L", "training", 0, -5.0, 10.0, 1.0),
                     ("X", "training", 0, 30.0, 10.0, 1.0)])
    chosen = make_plan(table, sites_of(table), settings(
        'plan.hybrid_workload="training"', 'plan.force_in=["L"]', 'plan.force_out=["X"]'))
    rows = chosen.sites.set_index("site_id")
    assert rows.loc["H", "workload"] == "training"
    assert rows.loc["L", "converted"] == "yes" and "forced in" in rows.loc["L", "reason"]
    assert rows.loc["X", "converted"] == "no" and "forced out" in rows.loc["X", "reason"]


def test_every_site_has_a_row_and_a_reason():
    table = options(KNAPSACK + [("E", "training", 0, -3.0, 10.0, 1.0),
                                ("F", "training", 0, 40.0, 500.0, 10.0)])
    plan = make_plan(table, sites_of(table, extra=("N",)),
                     settings("plan.start_years=[2027]", "plan.capex_musd_per_year=[100]"))
    reasons = plan.sites.set_index("site_id")["reason"]
    assert len(plan.sites) == 7
    assert reasons["E"].startswith("below the hurdle")
    assert reasons["F"].startswith("budget: larger on its own")
    assert reasons["A"].startswith("budget: the limits left (capex 2027)")
    assert reasons["N"] == "not a candidate: suits neither workload"


def test_a_later_start_is_chosen_when_the_first_year_is_full_and_says_why():
    rows = [(s, "training", d, npv * 1.1 ** -d, 60.0, 5.0)
            for s, npv in (("P", 30.0), ("Q", 20.0)) for d in range(3)]
    table = options(rows)
    plan = make_plan(table, sites_of(table),
                     settings("plan.capex_musd_per_year=[100, 100, 100]"))
    rows = plan.sites.set_index("site_id")
    assert rows.loc["P", "start_year"] == 2027 and rows.loc["Q", "start_year"] == 2028
    assert "limits are taken (capex 2027)" in rows.loc["Q", "reason"]


def test_raising_a_binding_limit_by_its_step_adds_about_its_shadow_value():
    table = options([(f"S{i}", "training", 0, 10.0 + i, 45.0 + 3 * i, 4.0 + i)
                     for i in range(10)], last=0)
    base = ("plan.start_years=[2027]", "plan.capex_musd_per_year=[200]",
            "plan.mw_per_year=[30]", "plan.shadow_capex_step_musd=100",
            "plan.shadow_mw_step=10")
    plan = make_plan(table, sites_of(table), settings(*base))
    shadow = plan.shadow.set_index("limit")
    assert set(shadow.index) == {"capex", "MW"}
    for limit, setting in (("capex", "plan.capex_musd_per_year=[300]"),
                           ("MW", "plan.mw_per_year=[40]")):
        raised = make_plan(table, sites_of(table), settings(*base, setting))
        assert raised.npv_musd - plan.npv_musd == pytest.approx(
            shadow.loc[limit, "npv_gain_musd"], abs=0.02)
    assert (shadow["npv_gain_musd"] > 0).any()


def test_the_frontier_rises_with_the_budget():
    table = options(KNAPSACK)
    plan = make_plan(table, sites_of(table), settings("plan.start_years=[2027]"))
    npvs = plan.frontier["npv_musd"].tolist()
    assert npvs == sorted(npvs) and npvs[-1] == pytest.approx(plan.npv_musd)


def test_the_frontier_chart_rings_the_plan_where_its_capex_and_npv_put_it():
    import re

    from pipeline.writers.pdf import _frontier_chart

    table = options(KNAPSACK)
    plan = make_plan(table, sites_of(table),
                     settings("plan.start_years=[2027]", "plan.capex_musd_per_year=[20]"))
    spent = float(plan.years["capex_used"].max())
    svg = _frontier_chart(plan.frontier, plan.npv_musd, 20.0)  # its own limit
    ring = [float(v) for v in re.search(r'class="this-plan" cx="([\d.]+)" cy="([\d.]+)"',
                                        svg).groups()]
    points = [(float(x), float(y)) for x, y in
              re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="2.5"', svg)]
    budgets, npvs = plan.frontier["capex_limit_musd"], plan.frontier["npv_musd"]
    # the frontier scales the plan's own limit of 20: 10, 15, 20 (the plan), 30 and 40
    assert budgets.tolist() == [10.0, 15.0, 20.0, 30.0, 40.0]
    assert plan.frontier["budget_share"].tolist() == [0.5, 0.75, 1.0, 1.5, 2.0]
    assert plan.frontier["npv_musd"].iloc[2] == plan.npv_musd  # the plan is its own point
    # the ring sits on the plan's own point of the curve
    assert ring == pytest.approx(list(points[2]), abs=0.2)
    assert spent == 10.0 and plan.npv_musd == 12.0 and "this plan" in svg


@pytest.mark.slow  # the brute-force tests show optimality quickly, on small portfolios
def test_the_sample_plans_optimally_within_a_capex_limit_a_year(rules):
    from conftest import sample_results
    from pipeline.economics import evaluate

    results = sample_results(rules)
    # 5,000 nodes (the default) stop 0.10 % from the bound here; 20,000 prove it optimal
    planned = settings("plan.capex_musd_per_year=[1500, 1500, 1500]",
                       "plan.solver_node_limit=20000")
    table = evaluate(results, rules, planned.delays).options
    plan = make_plan(table, pd.DataFrame([(r.site_id, r.site_name, str(r.bucket))
                                          for r in results],
                                         columns=["site_id", "site_name", "bucket"]), planned)
    assert len(plan.sites) == 40 and plan.optimal and plan.gap <= planned.mip_gap
    assert (plan.years["capex_used"] <= 1500 + 0.01).all()
    assert plan.npv_musd == pytest.approx(plan.sites["npv_musd"].sum(), abs=0.1)


@pytest.mark.parametrize("text, message", [
    ("[plan]\ncapex_musd_per_year = [1, 2]\n", "plan.capex_musd_per_year = [1, 2]: give one "
                                               "value per start year (3)"),
    ("[plan]\nhurdle = \"roi\"\n", "plan.hurdle = 'roi': one of npv, irr, equity_irr"),
    ("[plan]\nstart_years = [2026]\n", "cannot start before the decision year 2027"),
    ("[plan]\nmw_per_year = [1, -2, 3]\n", "-2 is not a limit"),
    ("[plan]\nbudget = 3\n", "unknown key 'plan.budget'"),
    ("[power]\nx = 1\n", "only a [plan] table belongs in a plan file"),
    ("[plan\n", "cannot be read as TOML"),
])
def test_a_bad_plan_file_is_named_with_its_key_and_exits_2(tmp_path, text, message):
    path = tmp_path / "plan.toml"
    path.write_text(text)
    result = invoke("evaluate", SAMPLE, "--out", tmp_path / "out", "--plan", path, "--no-pdf")
    assert result.exit_code == 2
    assert f"plan file {path}" in result.stderr and message in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_plan_file_saved_with_a_byte_order_mark_is_read(tmp_path):
    from pipeline.plan import load_plan_file
    path = tmp_path / "plan.toml"
    path.write_text("[plan]\nhurdle = \"irr\"\n", encoding="utf-8-sig")
    assert load_plan_file(path, default_rules()).values["plan"]["hurdle"] == "irr"


def test_a_bad_plan_setting_exits_2(tmp_path):
    result = invoke("evaluate", SAMPLE, "--out", tmp_path / "out", "--no-pdf",
                    "--set", "plan.force_in=[\"NOPE\"]")
    assert result.exit_code == 2 and "plan.force_in: no evaluated site 'NOPE'" in \
        result.stderr


def test_a_forced_site_that_cannot_fit_is_refused():
    table = options(KNAPSACK)
    with pytest.raises(RulesError, match="do not fit"):
        make_plan(table, sites_of(table), settings(
            "plan.start_years=[2027]", "plan.capex_musd_per_year=[100]",
            'plan.force_in=["A", "B"]'))


def test_the_plan_as_a_library_call():
    table = options(KNAPSACK)
    plan = api.plan(table, sites_of(table), settings=["plan.start_years=[2027]",
                                                      "plan.capex_musd_per_year=[100]"])
    assert plan.npv_musd == pytest.approx(58.0)


def _check_limits(rows: list[dict[str, str]], limits: dict[str, list]) -> None:
    for stem, caps in limits.items():
        for year, cap in zip(YEARS, caps):
            used = sum(float(r[f"{stem}_{year}"]) for r in rows if r["converted"] == "yes")
            if cap is not None:
                assert used <= cap + 0.01, (stem, year, used, cap)


def _use(picks: list[dict[str, str]], stem: str, year: int, basis: str) -> float:
    """What ``picks`` use of a limit in ``year``: spent in it, or (committed capex) the
    whole capex of those starting in it."""
    if basis == "committed" and stem == "capex_musd":
        return sum(float(p["capex_musd"]) for p in picks if p["start_year"] == str(year))
    return sum(float(p.get(f"{stem}_{year}") or 0.0) for p in picks)


def _within(picks: list[dict[str, str]], limits: dict[str, list], basis: str) -> bool:
    """Whether ``picks`` keep every limit: each start year's, and on the spent basis each
    later year's capex within the last start year's limit."""
    later = sorted({int(k.rsplit("_", 1)[1]) for p in picks for k in p
                    if k.startswith("capex_musd_") and k[-4:].isdigit()} - set(YEARS))
    for stem, caps in limits.items():
        checks = list(zip(YEARS, caps))
        if basis == "spent" and stem == "capex_musd" and caps[-1] is not None:
            checks += [(year, caps[-1]) for year in later]
        if any(cap is not None and _use(picks, stem, year, basis) > cap + 1e-6
               for year, cap in checks):
            return False
    return True


def _check_options(rows: list[dict[str, str]], table: list[dict[str, str]],
                   limits: dict[str, list], basis: str = "spent") -> None:
    """plan-options.csv alone re-solved by brute force: every pick of at most one option a
    site among those the plan may choose, kept within ``limits`` on the plan's ``basis``,
    the best of which must be the plan's NPV; the plan's own picks keep the limits; and
    plan.csv's converted sites are its chosen rows."""
    assert _within([r for r in table if r["chosen"] == "yes"], limits, basis)
    chosen = {r["site_id"]: r for r in table if r["chosen"] == "yes"}
    for r in rows:
        if r["converted"] == "yes":
            pick = chosen[r["site_id"]]
            assert (pick["workload"], pick["start_year"], pick["npv_musd"]) == \
                (r["workload"], r["start_year"], r["npv_musd"])
        else:
            assert r["site_id"] not in chosen
    allowed: dict[str, list[dict]] = {}
    for r in table:
        if not r["not_a_candidate_because"]:
            allowed.setdefault(r["site_id"], []).append(r)
    best = -np.inf
    for picks in itertools.product(*[[None, *o] for o in allowed.values()]):
        taken = [p for p in picks if p is not None]
        if _within(taken, limits, basis):
            best = max(best, sum(float(p["npv_musd"]) for p in taken))
    planned = sum(float(r["npv_musd"]) for r in rows if r["converted"] == "yes")
    assert planned == pytest.approx(best, abs=0.05)


def test_the_headline_is_the_plans_start_now_option(sample_tables):
    """One valuation: each site's results.csv NPV is its best start-now option, and a site
    converted now for that workload carries the same NPV in plan.csv; a campus-sized Hybrid
    is never planned as inference alone."""
    results = {r["site_id"]: r for r in read_csv(sample_tables / "results.csv")}
    table = read_csv(sample_tables / "plan-options.csv")
    now = {}
    for r in table:
        if r["start_year"] == "2027":
            now.setdefault(r["site_id"], []).append(r)
    for site_id, options in now.items():
        best = max(float(r["npv_musd"]) for r in options)
        assert best == pytest.approx(float(results[site_id]["econ_npv_musd"]), abs=0.01)
        if sum(float(r["npv_musd"]) == best for r in options) == 1:  # no tie (0 and 0)
            assert next(r for r in options if float(r["npv_musd"]) == best)["workload"] == \
                results[site_id]["econ_workload"], site_id
    workloads = {r["site_id"]: {o["workload"] for o in table if o["site_id"] == r["site_id"]}
                 for r in table}
    assert workloads["AB-01"] == {"training", "hybrid"}  # no inference alone at 300 MW
    for r in read_csv(sample_tables / "plan.csv"):
        if r["converted"] == "yes" and r["start_year"] == "2027" and \
                r["workload"] == results[r["site_id"]]["econ_workload"]:
            assert r["npv_musd"] == results[r["site_id"]]["econ_npv_musd"], r["site_id"]


def test_the_default_plan_converts_every_site_with_a_positive_npv_now(sample_tables):
    rows = read_csv(sample_tables / "plan.csv")
    results = {r["site_id"]: r for r in read_csv(sample_tables / "results.csv")}
    assert {r["site_id"] for r in rows} == set(results)
    converted = [r for r in rows if r["converted"] == "yes"]
    positive = {s for s, r in results.items() if r["econ_npv_musd"] and
                float(r["econ_npv_musd"]) > 0}
    assert {r["site_id"] for r in converted} == positive
    assert all(r["reason"] for r in rows)
    # with no limits each starts when it adds the most NPV: now, or later where a year more
    # of mining is worth more than a year's wait for rent, and its reason says so
    assert any(r["start_year"] == "2027" for r in converted)
    for r in converted:
        if r["start_year"] != "2027":
            assert "a later start adds more NPV" in r["reason"]
            assert float(r["npv_musd"]) >= float(results[r["site_id"]]["econ_npv_musd"])


EXAMPLE_PLAN = ROOT / "docs" / "example-plan.toml"  # capex [1000, 800, 600], MW [100, -, 60]


def test_a_plan_file_limits_each_years_capex_and_mw_in_plan_csv(tmp_path, sample_tables, small):
    """Four of the sample's sites, under limits of the example plan's shape scaled to them,
    against the whole sample's plan (the example plan on all forty sites is the slow test
    of a busy machine)."""
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text('[plan]\ncapex_musd_per_year = [300, 200, 150]\n'
                         'mw_per_year = [20, "none", 15]\n')
    out = tmp_path / "out"
    result = invoke("evaluate", small, "--out", out, "--plan", plan_file, "--no-pdf",
                    "--previous", sample_tables)
    assert result.exit_code == 0, result.stderr
    rows = read_csv(out / "plan.csv")
    _check_limits(rows, {"capex_musd": [300, 200, 150], "mw": [20, None, 15]})
    assert {r["converted"] for r in rows} == {"yes", "no"}
    assert any(r["reason"].startswith(("budget", "MW limit")) for r in rows)
    _check_options(rows, read_csv(out / "plan-options.csv"),
                   {"capex_musd": [300, 200, 150], "mw": [20, None, 15]})
    # committed: each conversion's whole capex counts in its start year
    plan_file.write_text('[plan]\ncapex_musd_per_year = [300, 200, 150]\n'
                         'mw_per_year = [20, "none", 15]\ncapex_basis = "committed"\n')
    result = invoke("evaluate", small, "--out", tmp_path / "committed", "--plan", plan_file,
                    "--no-pdf")
    assert result.exit_code == 0, result.stderr
    _check_options(read_csv(tmp_path / "committed" / "plan.csv"),
                   read_csv(tmp_path / "committed" / "plan-options.csv"),
                   {"capex_musd": [300, 200, 150], "mw": [20, None, 15]}, "committed")
    changes = read_csv(out / "plan-changes.csv")
    assert changes and {c["change"] for c in changes} <= {
        "entered the plan", "left the plan", "moved in the plan"}
    from openpyxl import load_workbook
    book = load_workbook(out / "scorecard.xlsx", read_only=True)
    assert {"Plan", "Plan limits", "Plan frontier", "Plan changes"} <= set(book.sheetnames)


def many_small_sites(count: int = 100) -> pd.DataFrame:
    """Sites of 10 M USD and 1 MW each, NPVs close together: a step of a limit admits many."""
    rows = [(f"M{s}", "training", delay, (3.0 + 0.01 * s) * 1.1 ** -delay, 10.0, 1.0)
            for s in range(count) for delay in range(3)]
    return options(rows)


def test_above_the_re_solve_size_shadow_values_come_from_the_duals_and_agree():
    table = many_small_sites()
    limits = ('plan.capex_musd_per_year=[300, 300, 300]', "plan.shadow_capex_step_musd=100",
              "plan.frontier_node_limit=50")
    exact = make_plan(table, sites_of(table), settings(*limits))
    dual = make_plan(table, sites_of(table), settings(*limits,
                                                      "plan.shadow_resolve_max_sites=10"))
    assert set(exact.shadow["method"]) == {"plan solved again"}
    assert set(dual.shadow["method"]) == {"dual of the linear relaxation x step"}
    assert (exact.shadow["npv_gain_musd"] > 0).all()
    for a, b in zip(exact.shadow["npv_gain_musd"], dual.shadow["npv_gain_musd"]):
        assert b == pytest.approx(a, rel=0.1)


def test_the_relaxed_plan_keeps_the_limits_and_its_gap_bounds_the_best_plan():
    from pipeline.plan.portfolio import LIMITS, _candidates
    from pipeline.plan.solve import Problem, Work, solve, solve_relaxed
    table = many_small_sites()
    planned = settings('plan.capex_musd_per_year=[200, 250, 300]')
    kept = _candidates(table, planned)
    ids = {s: i for i, s in enumerate(dict.fromkeys(kept["site_id"]))}
    problem = Problem(kept["site_id"].map(ids).to_numpy(), kept["npv_musd"].to_numpy(),
                      {kind: np.column_stack([kept[f"{stem}_y{k}"] for k in range(3)])
                       for kind, (_, stem) in LIMITS.items()},
                      np.zeros(len(ids), dtype=bool), len(ids))
    relaxed = solve_relaxed(problem, planned.limits, Work(planned.node_limit, 60.0),
                            planned.mip_gap)
    best = solve(problem, planned.limits, Work(planned.node_limit, 60.0), 1e-4)
    spent = problem.use["capex"][relaxed.chosen].sum(axis=0)
    assert (spent <= np.array([200, 250, 300]) + 1e-9).all()
    assert relaxed.npv_musd <= best.npv_musd / (1 - 1e-4) + 1e-6
    assert best.npv_musd <= relaxed.npv_musd / (1 - relaxed.gap) + 1e-6


@hypothesis_settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(-20, 60), st.floats(5, 80), st.floats(1, 10)),
                min_size=1, max_size=6),
       st.floats(20, 200), st.floats(0, 150))
def test_more_budget_never_lowers_the_plan_and_every_limit_holds(sites, budget, more):
    rows = [(f"S{i}", "training", d, npv * 1.1 ** -d, capex, mw)
            for i, (npv, capex, mw) in enumerate(sites) for d in range(3)]
    table = options(rows)
    tight = make_plan(table, sites_of(table), settings(
        f"plan.capex_musd_per_year=[{budget}, {budget}, {budget}]",
        "plan.solver_mip_gap=0.000001"))
    loose = make_plan(table, sites_of(table), settings(
        f"plan.capex_musd_per_year=[{budget + more}, {budget}, {budget}]",
        "plan.solver_mip_gap=0.000001"))
    assert loose.npv_musd >= tight.npv_musd - 0.01
    for year in YEARS:
        assert tight.sites[f"capex_musd_{year}"].sum() <= budget + 0.01


def test_a_plan_setting_is_no_what_if(tmp_path, small):
    out = tmp_path / "out"
    result = invoke("evaluate", small, "--out", out, "--no-pdf",
                    "--set", "plan.capex_musd_per_year=[300, 300, 300]")
    assert result.exit_code == 0, result.stderr
    assert not (out / "whatif.csv").exists()
    rows = read_csv(out / "plan.csv")
    _check_limits(rows, {"capex_musd": [300, 300, 300]})
    assert any(r["reason"].startswith("budget") for r in rows)  # the limit binds


@pytest.mark.slow  # reads the sample's 41 PDFs: rendering them is the sample_run fixture
def test_the_plan_page_follows_the_summary_in_portfolio_pdf(sample_run):
    from pypdf import PdfReader
    pages = PdfReader(sample_run / "portfolio.pdf").pages
    text = " ".join(pages[1].extract_text().split())
    assert "The conversion plan" in text and "sites to convert, of 40" in text
    assert "with no budget or MW limit (the default plan)" in text
    assert "sum of the sites' P10s to P90s" in text


@pytest.mark.slow
def test_with_a_plan_file_the_plan_page_shows_each_years_limits(tmp_path):
    from pypdf import PdfReader
    out = tmp_path / "out"
    result = invoke("evaluate", SAMPLE, "--out", out, "--plan", EXAMPLE_PLAN, "--jobs", "2")
    assert result.exit_code == 0, result.stderr
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(
        out / "portfolio.pdf").pages[1:3]).split())
    assert "within the limits the plan sets each start year" in text
    assert "of $1,000M" in text and "of $800M" in text and "of $600M" in text
    assert "What one more step of each limit adds" in text and "Budget:" in text


def test_a_portfolio_without_candidates_has_an_empty_plan():
    from pipeline.economics import evaluate
    rules = default_rules()
    table = evaluate([], rules, (0, 1, 2)).options
    plan = make_plan(table, pd.DataFrame({"site_id": ["N-1"], "site_name": ["Nope"],
                                          "bucket": ["Neither"]}), settings())
    assert plan.converted == 0 and plan.npv_musd == 0
    assert plan.sites["reason"].tolist() == ["not a candidate: suits neither workload"]


def test_an_equity_limit_and_an_irr_hurdle_shape_the_plan():
    # equity is 0.4 of capex in these options; IRR 12 % (equity IRR 15 %) for every site
    table = options(KNAPSACK)
    plan = make_plan(table, sites_of(table), settings(
        "plan.start_years=[2027]", "plan.equity_musd_per_year=[40]"))
    assert plan.npv_musd == pytest.approx(58.0)  # B and C: 40 M USD of equity
    assert plan.years["equity_used"].iloc[0] <= 40
    strict = make_plan(table, sites_of(table), settings(
        "plan.start_years=[2027]", 'plan.hurdle="equity_irr"', "plan.hurdle_min_pct=16"))
    assert strict.converted == 0
    assert set(strict.sites["reason"]) == {"below the hurdle: equity IRR 15.0% at best "
                                           "(the plan needs 16%)"}


def test_a_site_with_nothing_committed_is_left_as_an_option_not_below_the_hurdle():
    # S-2's power is all still to come and not approved: no committed capex, MW or NPV
    table = options([("S-1", "training", d, 100.0 - d, 50.0, 10.0) for d in (0, 1, 2)]
                    + [("S-2", "training", d, 0.0, 0.0, 0.0) for d in (0, 1, 2)])
    plan = make_plan(table, sites_of(table), settings())
    reasons = dict(zip(plan.sites["site_id"], plan.sites["reason"]))
    assert reasons["S-1"] == "in the plan from 2027"
    assert reasons["S-2"].startswith("nothing to commit yet: ")
    assert "its option NPV on the Economics sheet" in reasons["S-2"]


def test_a_solver_out_of_work_falls_back_to_the_relaxation_within_the_limits():
    from pipeline.plan.solve import Problem, Work, solve
    rng = np.random.default_rng(3)
    n = 60
    capex = rng.uniform(10, 100, (n, 1))
    problem = Problem(np.arange(n), rng.uniform(1, 50, n),
                      {"capex": capex, "equity": capex * 0.25, "mw": capex / 10},
                      np.zeros(n, dtype=bool), n)
    limits = {"capex": (500.0,), "equity": (None,), "mw": (None,)}
    exact = solve(problem, limits, Work(100_000, 60.0), 0.0)
    fallen = solve(problem, limits, Work(1, 0.0), 0.0)  # no time at all: HiGHS returns no plan
    assert exact.optimal and not fallen.optimal
    assert capex[fallen.chosen, 0].sum() <= 500.0 + 1e-9
    assert fallen.npv_musd <= exact.npv_musd + 1e-9
    assert fallen.npv_musd >= exact.npv_musd * (1 - fallen.gap) - 1e-6


def test_solved_two_at_a_time_the_plan_is_the_same_and_the_output_streams_come_back(capfd):
    table = options([(f"S{i}", "training", d, (10.0 + i) * 1.1 ** -d, 45.0 + 3 * i, 4.0 + i)
                     for i in range(12) for d in range(3)])
    limited = settings("plan.capex_musd_per_year=[150, 120, 100]",
                       'plan.mw_per_year=[20, "none", "none"]')
    one = make_plan(table, sites_of(table), limited, jobs=1)
    two = make_plan(table, sites_of(table), limited, jobs=2)
    for frame in ("sites", "shadow", "frontier"):
        pd.testing.assert_frame_equal(getattr(one, frame), getattr(two, frame))
    assert one.npv_musd == two.npv_musd
    # the solves on two threads silenced HiGHS's own output together and gave it back
    print("after the plan")
    import os
    os.write(2, b"still stderr\n")
    out, err = capfd.readouterr()
    assert "after the plan" in out and "still stderr" in err


def test_the_frontier_never_falls_as_the_budget_rises_even_when_its_solves_stop_early():
    # solved only within 10 %, this portfolio's plan at 70 % of the budget is worse than
    # its plan at 60 %, which fits the larger budget too
    rng = np.random.default_rng(0)
    table = options([(f"S{i}", "training", d, rng.uniform(5, 60) * 1.1 ** -d,
                      rng.uniform(20, 120), rng.uniform(1, 10)) for i in range(8)
                     for d in range(3)])
    plan = make_plan(table, sites_of(table), settings(
        "plan.capex_musd_per_year=[150, 150, 150]", "plan.solver_mip_gap=0.1",
        "plan.frontier_limit_shares=[0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]"))
    npvs = plan.frontier["npv_musd"].tolist()
    assert npvs == sorted(npvs)
    fits = plan.frontier["budget_share"] * 150 >= plan.years["capex_used"].max()
    assert (plan.frontier.loc[fits, "npv_musd"] >= plan.npv_musd - 0.01).all()


@pytest.mark.slow  # the sample's limited plan twice, once beside a competing load
def test_the_same_input_gives_the_same_plan_however_busy_the_machine(tmp_path):
    import subprocess
    import sys
    from openpyxl import load_workbook

    def run(name: str) -> Path:
        out = tmp_path / name
        result = invoke("evaluate", SAMPLE, "--out", out, "--plan", EXAMPLE_PLAN, "--no-pdf",
                        "--jobs", "2")
        assert result.exit_code == 0, result.stderr
        return out

    quiet = run("quiet")
    load = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(len(os.sched_getaffinity(0)) * 2)]
    try:
        busy = run("busy")
    finally:
        for spinner in load:
            spinner.kill()
            spinner.wait()
    assert (quiet / "plan.csv").read_bytes() == (busy / "plan.csv").read_bytes()
    books = [load_workbook(out / "scorecard.xlsx", read_only=True) for out in (quiet, busy)]
    for sheet in ("Plan", "Plan limits", "Plan frontier"):
        assert [list(rows) for rows in books[0][sheet].values] == \
            [list(rows) for rows in books[1][sheet].values], sheet


def test_a_year_without_a_limit_says_so_on_the_plan_limits_sheet(sample_tables):
    from openpyxl import load_workbook
    rows = list(load_workbook(sample_tables / "scorecard.xlsx", read_only=True)[
        "Plan limits"].values)
    header, body = rows[0], rows[1:]
    assert body and all(dict(zip(header, row))["Method"] == "no limit set" for row in body)


def test_a_shadow_re_solve_stopped_by_its_node_limit_says_how_far_it_may_be():
    """plan.shadow_node_limit bounds each shadow value's re-solve by work, as the plan's own
    solve is bounded: one it stops says how far from its best it may be, and a gain is never
    below nothing."""
    rng = np.random.default_rng(5)  # a correlated knapsack: NPV close to capex, hard to prove
    sizes = rng.uniform(20, 120, 12)
    table = options([(f"K{s}", "training", delay, (size + rng.uniform(0, 10)) * 1.1 ** -delay,
                      size, size / 10) for s, size in enumerate(sizes) for delay in range(3)])
    limits = ("plan.capex_musd_per_year=[105, 95, 100]", "plan.shadow_capex_step_musd=55",
              "plan.solver_node_limit=50", "plan.frontier_limit_shares=[1.0]")
    bounded = make_plan(table, sites_of(table), settings(*limits, "plan.shadow_node_limit=1"))
    methods = set(bounded.shadow["method"])
    assert any(m.startswith("plan solved again, within ") and m.endswith(" of its best")
               for m in methods), methods
    assert (bounded.shadow["npv_gain_musd"] >= 0).all()
