"""Golden cases for the classifier: each bucket, each disqualifier, and the gate rules."""

from __future__ import annotations

import pytest

from conftest import read_csv, site
from pipeline.classify import classify_site


def statuses(result, workload):
    return {name: gate.status for name, gate in getattr(result, workload).gates.items()}


def test_hybrid_ready_when_everything_passes(rules):
    result = classify_site(site(), rules)
    assert result.bucket == "Hybrid" and result.readiness == "ready"
    assert result.training.score == result.inference.score == 100
    assert result.actions == () and result.disqualifiers == () and result.data_gaps == {}


def test_training_bucket_far_from_metro(rules):
    result = classify_site(site(metro_distance_miles=400.0, metro_rtt_ms=None), rules)
    assert result.bucket == "Training" and result.readiness == "ready"
    assert statuses(result, "inference")["location"] == "fail"
    assert "400 miles" in result.inference.gates["location"].reason
    assert "150 miles" in result.inference.gates["location"].reason


def test_inference_bucket_small_and_pricey(rules):
    result = classify_site(site(power_capacity_mw=3.0, power_cost_usd_per_kwh=0.09), rules)
    assert result.bucket == "Inference" and result.readiness == "ready"
    reason = result.training.gates["power"].reason
    assert "3 MW" in reason and "0.09 USD/kWh" in reason and "20 MW" in reason


def test_neither_and_remote_limited_scale(rules):
    result = classify_site(site(power_capacity_mw=2.0, metro_distance_miles=300.0,
                                metro_rtt_ms=None), rules)
    assert result.bucket == "Neither" and result.readiness == "not yet"
    assert [d.key for d in result.disqualifiers] == ["remote_limited_scale"]


def test_not_yet_when_a_gate_is_conditional(rules):
    result = classify_site(site(power_capacity_mw=10.0, metro_distance_miles=400.0,
                                metro_rtt_ms=None), rules)
    assert (result.bucket, result.readiness) == ("Training", "not yet")
    assert result.training.verdict == "conditional"
    assert result.actions[0].gate == "power" and "20 MW" in result.actions[0].text


def test_no_cooling_path_disqualifier(rules):
    result = classify_site(site(cooling_type="air", liquid_cooling_path="none",
                                rack_density_kw=None), rules)
    assert statuses(result, "training")["cooling"] == "fail"
    assert "no_cooling_path" in [d.key for d in result.disqualifiers]
    # no path fails training whatever the density: a missing density is no data gap here
    assert "rack_density_kw" not in result.data_gaps or "training cooling" not in \
        result.data_gaps["rack_density_kw"]


def test_no_fiber_path_disqualifier(rules):
    result = classify_site(site(fiber_on_site=False, fiber_lead_time_months=30.0), rules)
    assert statuses(result, "inference")["networking"] == "fail"
    assert statuses(result, "training")["networking"] == "fail"
    assert [d.key for d in result.disqualifiers] == ["no_fiber_path"]
    assert result.bucket == "Neither"


def test_exceptional_power_keeps_training_networking_conditional(rules):
    result = classify_site(site(fiber_on_site=False, fiber_lead_time_months=30.0,
                                power_capacity_mw=60.0, power_cost_usd_per_kwh=0.03), rules)
    assert statuses(result, "training")["networking"] == "conditional"
    assert result.bucket == "Training"
    assert "exceptional" in result.training.gates["networking"].reason


def test_operational_ceiling_disqualifier(rules):
    result = classify_site(site(staffing_24x7=False, dc_ops_staff=2.0), rules)
    assert statuses(result, "inference")["operations"] == "fail"
    assert statuses(result, "training")["operations"] == "conditional"
    assert [d.key for d in result.disqualifiers] == ["operational_ceiling"]


@pytest.mark.parametrize("miles, rtt, expected", [
    (100.0, None, "pass"), (100.1, None, "conditional"), (150.0, None, "conditional"),
    (150.1, None, "fail"), (300.0, 4.0, "pass"), (300.0, 9.0, "conditional"),
    (300.0, 12.0, "fail"), (None, 5.0, "pass")])
def test_inference_location_bands(rules, miles, rtt, expected):
    result = classify_site(site(metro_distance_miles=miles, metro_rtt_ms=rtt), rules)
    assert statuses(result, "inference")["location"] == expected


def test_location_unknown_with_neither_value(rules):
    result = classify_site(site(metro_distance_miles=None, metro_rtt_ms=None), rules)
    gate = result.inference.gates["location"]
    assert gate.status == "unknown" and gate.range_label == "fail to pass"
    assert result.inference.score == 80  # an unknown scores as its least favourable status
    assert result.inference.verdict == "conditional"
    assert result.data_gaps == {"metro_distance_miles": ("inference location",)}


@pytest.mark.parametrize("capacity, price, expected", [
    (20.0, 0.05, "pass"), (19.9, 0.05, "conditional"), (5.0, 0.05, "conditional"),
    (4.9, 0.04, "fail"), (30.0, 0.0701, "fail"), (30.0, 0.07, "conditional")])
def test_training_power_takes_the_worse_of_capacity_and_price(rules, capacity, price, expected):
    result = classify_site(site(power_capacity_mw=capacity, power_cost_usd_per_kwh=price), rules)
    assert statuses(result, "training")["power"] == expected


@pytest.mark.parametrize("redundancy, feeds, backup, expected", [
    ("2N", None, True, "pass"), ("N+1", 1.0, True, "pass"), ("N", 3.0, True, "conditional"),
    ("N", 1.0, False, "conditional"), (None, 2.0, True, "pass"), (None, 1.0, True, "conditional"),
    (None, 1.0, False, "conditional"), (None, None, True, "unknown"),
    ("2N", None, False, "conditional")])
def test_inference_power_reliability(rules, redundancy, feeds, backup, expected):
    result = classify_site(site(power_redundancy=redundancy, utility_feeds=feeds,
                                backup_generation=backup), rules)
    assert statuses(result, "inference")["power"] == expected


def test_one_feed_and_no_generators_near_a_metro_is_hybrid_not_yet_with_the_priced_action(rules):
    # a site ~40 miles from Dallas, 24x7 with a hosting record, as mining sites stand
    result = classify_site(site(power_redundancy=None, utility_feeds=1.0,
                                backup_generation=False), rules)
    assert (result.bucket, result.readiness) == ("Hybrid", "not yet")
    assert statuses(result, "inference")["power"] == "conditional"
    assert result.inference.gates["power"].action == (
        "Add a redundant supply (N+1 or 2N, or a second utility feed) and backup generation "
        "for inference uptime.")


@pytest.mark.parametrize("backup, expected", [(False, "fail"), (True, "conditional"),
                                              (None, "unknown")])
def test_stranded_curtailment_fails_inference_power_only_without_backup(rules, backup,
                                                                        expected):
    result = classify_site(site(curtailment_hours_per_year=200.0, mining_load_mw=0.0,
                                backup_generation=backup), rules)
    assert statuses(result, "inference")["power"] == expected
    if backup is not None:
        assert "200 h/yr" in result.inference.gates["power"].reason
        assert "inference cannot be curtailed" in result.inference.gates["power"].action


def test_curtailment_with_mining_load_to_shed_does_not_hold_inference_back(rules):
    absorbed = classify_site(site(curtailment_hours_per_year=200.0, mining_load_mw=5.0), rules)
    assert statuses(absorbed, "inference")["power"] == "pass"
    assert absorbed.mullet_note and "5 MW" in absorbed.mullet_note


@pytest.mark.parametrize("cooling, path, density, training, inference", [
    ("direct_to_chip", None, 50.0, "pass", "pass"),      # DTC counts as in place
    ("direct_to_chip", "none", 50.0, "pass", "pass"),    # DTC is advanced whatever the path
    ("hydro", None, 50.0, "conditional", "conditional"),  # hydro blank -> studied
    ("immersion", "in_progress", 39.0, "conditional", "pass"),
    ("air", "planned", 20.0, "conditional", "pass"),
    ("air", "none", 20.0, "fail", "conditional"),        # limited scope for inference
    ("air", "none", 10.0, "fail", "fail"),
    ("air", None, 20.0, "unknown", "unknown"),           # air with a blank path is missing
    ("rear_door", "in_place", None, "unknown", "unknown"),
    ("air", "none", None, "fail", "unknown"),
])
def test_cooling(rules, cooling, path, density, training, inference):
    result = classify_site(site(cooling_type=cooling, liquid_cooling_path=path,
                                rack_density_kw=density), rules)
    assert statuses(result, "training")["cooling"] == training
    assert statuses(result, "inference")["cooling"] == inference


@pytest.mark.parametrize("fiber, carriers, uplink, path, lead, training, inference", [
    (True, 2.0, 100.0, None, None, "pass", "pass"),
    (True, 1.0, 100.0, None, None, "pass", "conditional"),
    (True, 2.0, 40.0, True, None, "pass", "pass"),
    (True, 2.0, 40.0, False, None, "pass", "conditional"),
    (True, 2.0, 5.0, False, None, "conditional", "conditional"),
    (True, 2.0, None, True, None, "unknown", "pass"),
    (False, 0.0, None, None, 12.0, "conditional", "conditional"),
    (False, 0.0, None, None, 18.0, "conditional", "fail"),
    (False, 0.0, None, None, 25.0, "fail", "fail"),
])
def test_networking(rules, fiber, carriers, uplink, path, lead, training, inference):
    result = classify_site(site(fiber_on_site=fiber, fiber_carriers=carriers, uplink_gbps=uplink,
                                path_to_100g=path, fiber_lead_time_months=lead), rules)
    assert statuses(result, "training")["networking"] == training
    assert statuses(result, "inference")["networking"] == inference


def test_unknown_gate_names_its_range_and_the_data_to_request(rules):
    result = classify_site(site(uplink_gbps=None, path_to_100g=True), rules)
    gate = result.training.gates["networking"]
    assert (gate.status, gate.low, gate.high) == ("unknown", "conditional", "pass")
    assert "uplink_gbps" in gate.reason and "conditional at worst, pass at best" in gate.reason
    assert gate.action == "Ask the site team for uplink_gbps."
    assert result.data_gaps == {"uplink_gbps": ("training networking",)}
    assert result.training.score == 90


def test_training_operations_never_fail(rules):
    result = classify_site(site(staffing_24x7=False, dc_ops_staff=None), rules)
    assert statuses(result, "training")["operations"] == "unknown"
    assert result.training.gates["operations"].low == "conditional"
    staffed = classify_site(site(staffing_24x7=False, dc_ops_staff=5.0), rules)
    assert statuses(staffed, "training")["operations"] == "pass"


def test_every_gate_names_the_thresholds_it_used(rules):
    result = classify_site(site(), rules)
    power = result.training.gates["power"]
    assert power.thresholds["power.training.pass_min_capacity_mw"] == 20.0
    assert power.inputs["power_capacity_mw"] == 30.0


def test_actions_put_failures_first(rules):
    result = classify_site(site(power_capacity_mw=8.0, power_cost_usd_per_kwh=0.08,
                                metro_distance_miles=400.0, metro_rtt_ms=None,
                                liquid_cooling_path="planned", cooling_type="air",
                                staffing_24x7=False, dc_ops_staff=1.0), rules)
    assert result.bucket == "Neither"
    order = [a.status for a in result.actions]
    assert order == sorted(order, key=["fail", "conditional", "unknown"].index)


def test_one_rule_value_moves_the_decision_the_fix_and_the_docs_together(rules):
    from pipeline.classify import Classifier
    from pipeline.classify.document import band_lines
    from pipeline.rules import with_settings

    stricter = with_settings(rules, ["power.training.pass_min_capacity_mw=25"])
    values = site(power_capacity_mw=22.0, metro_distance_miles=400.0, metro_rtt_ms=None)
    assert Classifier(rules).assess(values).site.training.gates["power"].status == "pass"
    assessed = Classifier(stricter).assess(values)
    gate = assessed.site.training.gates["power"]
    assert gate.status == "conditional" and ">= 25 MW" in gate.reason
    assert assessed.fixes[("training", "power")] == "power_capacity_mw 22 MW → 25 MW"
    assert assessed.what_would_flip.text == "Ready with: power_capacity_mw 22 MW → 25 MW."
    assert "pass >= 25 MW" in band_lines("power", stricter)


def test_a_gate_records_the_inputs_and_rules_it_read(rules):
    result = classify_site(site(power_redundancy=None, utility_feeds=1.0), rules)
    power = result.inference.gates["power"]
    assert "utility_feeds" in power.inputs and "fiber_on_site" not in power.inputs
    assert power.thresholds["power.inference.redundant_min_utility_feeds"] == 2
    assert not any(key.startswith("power.training") for key in power.thresholds)
    assert result.training.gates["location"].thresholds == {}


def test_the_domain_words_are_enums_that_read_as_text(rules):
    from pipeline.classify.words import Bucket, Readiness, Status, Verdict

    result = classify_site(site(), rules)
    assert result.bucket is Bucket.HYBRID and result.bucket == "Hybrid"
    assert result.readiness is Readiness.READY and f"{result.readiness}" == "ready"
    assert result.training.verdict is Verdict.FIT
    assert result.training.gates["power"].status is Status.PASS
    assert Status.FAIL < Status.CONDITIONAL < Status.PASS
    with pytest.raises(ValueError):
        Status.UNKNOWN < Status.PASS


def test_a_training_site_hears_what_inference_lacks_to_make_it_hybrid(rules):
    from pipeline.classify import Classifier

    far = site(metro_distance_miles=400.0, metro_rtt_ms=None, staffing_24x7=False)
    assessed = Classifier(rules).assess(far)
    assert assessed.site.bucket == "Training"
    assert assessed.better_bucket.text == ("Hybrid with: metro_rtt_ms not given → 10 ms; "
                                      "staffing_24x7 no → yes.")
    changed = classify_site({**far, "metro_rtt_ms": 10.0, "staffing_24x7": True}, rules)
    assert changed.bucket == "Hybrid"


def test_a_neither_site_hears_the_cheapest_way_to_a_bucket_and_a_hybrid_site_nothing(rules):
    from pipeline.classify import Classifier

    classifier = Classifier(rules)
    neither = classifier.assess(site(power_capacity_mw=2.0, metro_distance_miles=300.0,
                                     metro_rtt_ms=None))
    assert neither.site.bucket == "Neither"
    assert neither.better_bucket.text == "Training with: power_capacity_mw 2 MW → 5 MW."
    assert classifier.assess(site()).better_bucket is None


def test_the_better_bucket_is_a_column_of_the_results(tmp_path):
    from pathlib import Path

    from click.testing import CliRunner

    from pipeline.cli import cli

    sample = Path(__file__).parent.parent / "input" / "sites.xlsx"
    result = CliRunner().invoke(cli, ["evaluate", str(sample), "--out", str(tmp_path / "o"),
                                      "--no-pdf"])
    assert result.exit_code == 0
    rows = read_csv(tmp_path / "o" / "results.csv")
    for row in rows:
        if row["bucket"] == "Hybrid":
            assert row["better_bucket"] == ""
        else:
            assert row["better_bucket"].startswith(("Hybrid with:", "Training with:",
                                                    "Inference with:", "No change"))
    assert any(row["better_bucket"] for row in rows)


def test_a_site_barred_by_its_country_hears_no_better_bucket(rules):
    from pipeline.classify import Classifier

    barred = Classifier(rules).assess(site(country="Iran", power_capacity_mw=2.0))
    assert barred.site.bucket == "Neither"
    assert barred.better_bucket.text.startswith("No change to the site reaches a better bucket: "
                                           "Iran is under US sanctions")
