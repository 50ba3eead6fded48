"""Property: improving any input never lowers a gate's range (either end), a verdict or a score."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.classify import Classifier, classify_site
from pipeline.classify.flips import LACKING, lift
from pipeline.classify.gates import GATE_NAMES, WORKLOADS
from pipeline.rules import default_rules

RULES = default_rules()
VERDICT_RANK = {"unfit": 0, "conditional": 1, "fit": 2}
REDUNDANCY = ["N", "N+1", "2N"]
PATHS = ["none", "studied", "planned", "in_progress", "in_place"]


def maybe(strategy):
    return st.one_of(st.none(), strategy)


def amount(high):
    return st.floats(min_value=0.0, max_value=high, allow_nan=False).map(lambda x: round(x, 3))


SITES = st.fixed_dictionaries({
    "site_id": st.just("P"), "site_name": st.just("Prop"),
    "metro_distance_miles": maybe(amount(400)), "metro_rtt_ms": maybe(amount(20)),
    "power_capacity_mw": st.floats(0.01, 120).map(lambda x: round(x, 2)),
    "power_cost_usd_per_kwh": st.floats(0.01, 0.2).map(lambda x: round(x, 4)),
    "power_redundancy": maybe(st.sampled_from(REDUNDANCY)),
    "utility_feeds": maybe(st.integers(1, 4).map(float)),
    "backup_generation": maybe(st.booleans()),
    "curtailment_hours_per_year": maybe(amount(1000)),
    "mining_load_mw": maybe(amount(50)),
    "cooling_type": st.sampled_from(["air", "hydro", "immersion", "rear_door", "direct_to_chip"]),
    "rack_density_kw": maybe(st.floats(1, 100).map(lambda x: round(x, 1))),
    "liquid_cooling_path": maybe(st.sampled_from(PATHS)),
    "fiber_on_site": st.booleans(),
    "fiber_carriers": maybe(st.integers(0, 4).map(float)),
    "uplink_gbps": maybe(amount(200)),
    "path_to_100g": maybe(st.booleans()),
    "fiber_lead_time_months": maybe(amount(40)),
    "staffing_24x7": st.booleans(),
    "dc_ops_staff": maybe(st.integers(0, 10).map(float)),
    "sla_track_record": maybe(st.booleans()),
})

LOWER_IS_BETTER = {"metro_distance_miles", "metro_rtt_ms", "power_cost_usd_per_kwh",
                   "curtailment_hours_per_year", "fiber_lead_time_months"}
HIGHER_IS_BETTER = {"power_capacity_mw", "utility_feeds", "mining_load_mw", "rack_density_kw",
                    "fiber_carriers", "uplink_gbps", "dc_ops_staff"}
FLAGS = {"backup_generation", "path_to_100g", "fiber_on_site", "staffing_24x7",
         "sla_track_record"}
LADDERS = {"power_redundancy": REDUNDANCY, "liquid_cooling_path": PATHS}


def improve(values: dict, column: str, step: float) -> dict:
    """The site with one given input made better; unchanged if it cannot improve."""
    value = values.get(column)
    if column == "cooling_type":
        return {**values, column: "direct_to_chip"}
    if value is None:
        return values
    if column in LOWER_IS_BETTER:
        return {**values, column: max(0.0, value - step * value)}
    if column in HIGHER_IS_BETTER:
        return {**values, column: value + step * max(value, 1.0)}
    if column in FLAGS:
        return {**values, column: True}
    ladder = LADDERS[column]
    return {**values, column: ladder[min(len(ladder) - 1, ladder.index(value) + 1)]}


COLUMNS = sorted(LOWER_IS_BETTER | HIGHER_IS_BETTER | FLAGS | set(LADDERS) | {"cooling_type"})


@settings(max_examples=400, deadline=None)
@given(SITES, st.sampled_from(COLUMNS), st.floats(0.01, 1.0))
def test_improving_an_input_never_makes_anything_worse(values, column, step):
    before = classify_site(values, RULES)
    after = classify_site(improve(values, column, step), RULES)
    for workload in WORKLOADS:
        old, new = getattr(before, workload), getattr(after, workload)
        for gate in GATE_NAMES:
            assert new.gates[gate].low >= old.gates[gate].low, (workload, gate)
            assert new.gates[gate].high >= old.gates[gate].high, (workload, gate)
        assert VERDICT_RANK[new.verdict] >= VERDICT_RANK[old.verdict], workload
        assert new.score >= old.score, workload


@settings(max_examples=200, deadline=None)
@given(SITES)
def test_results_are_consistent(values):
    result = classify_site(values, RULES)
    for workload in result.workloads:
        for gate in workload.gates.values():
            assert gate.low <= gate.high
            assert (gate.status == "unknown") == (gate.low != gate.high)
            assert (gate.status == "unknown") == bool(gate.missing)
            assert gate.reason
            assert (gate.action is None) == (gate.status == "pass")
    verdicts = {result.training.verdict, result.inference.verdict}
    assert (result.bucket == "Neither") == (verdicts == {"unfit"})
    if result.readiness == "ready":
        assert result.bucket != "Neither" and not any(
            a.status == "fail" for a in result.actions)


@settings(max_examples=150, deadline=None)
@given(SITES)
def test_a_lift_to_a_better_bucket_is_checked_by_classifying_again(values):
    classifier = Classifier(RULES)
    result = classifier.site(values)
    for workload in LACKING.get(result.bucket, ()):
        change = lift(result, workload, classifier)
        if change is not None:
            again = classifier.site({**values, **change})
            assert getattr(again, workload).verdict != "unfit"


@settings(max_examples=300, deadline=None)
@given(SITES, SITES, st.sets(st.sampled_from(COLUMNS)))
def test_a_changed_site_is_judged_as_if_classified_afresh(values, other, columns):
    """Re-evaluating only the gates that read a changed input gives every status, and the
    bucket, that classifying the changed site from scratch gives."""
    classifier = Classifier(RULES)
    site = classifier.site(values)
    change = {column: other[column] for column in columns}
    afresh = classifier.site({**values, **change})
    assert classifier.statuses_after(site, change) == {
        (w, g): afresh.gate(w, g).status for w in WORKLOADS for g in GATE_NAMES}
    assert classifier.bucket_after(site, change) == afresh.bucket
