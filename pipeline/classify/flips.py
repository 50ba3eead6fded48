"""What would flip a site: the input changes, read off the rules, that make a workload fit.

For each gate short of pass, the least change to each input that the gate's thresholds ask
for (a capacity raised to the bar, a price brought to it, a path advanced to the first
level that counts). The combined changes are checked by classifying the changed site
again; a suggestion that would not make the workload fit is never shown.
"""

from __future__ import annotations

from typing import Any, Callable

from pipeline.classify import SiteResult, bucket_workloads, gate_statuses
from pipeline.classify.gates import (GATE_NAMES, advanced_path, credible_path,
                                     redundant_supply, stated_path)
from pipeline.contract import show_value
from pipeline.rules import Rules


def _raise(values: dict, column: str, target: float) -> dict:
    value = values.get(column)
    return {} if value is not None and value >= target else {column: target}


def _lower(values: dict, column: str, target: float) -> dict:
    value = values.get(column)
    return {} if value is not None and value <= target else {column: target}


def _true(values: dict, column: str) -> dict:
    return {} if values.get(column) is True else {column: True}


def _location(v: dict, r: dict, workload: str) -> dict:
    t = r["location"]["inference"]
    if workload == "training" or (v.get("metro_distance_miles") or float("inf")) <= \
            t["pass_max_distance_miles"]:
        return {}
    return _lower(v, "metro_rtt_ms", t["pass_max_rtt_ms"])


def _power(v: dict, r: dict, workload: str) -> dict:
    t = r["power"][workload]
    change = {**_raise(v, "power_capacity_mw", t["pass_min_capacity_mw"]),
              **_lower(v, "power_cost_usd_per_kwh", t["pass_max_price_usd_per_kwh"])}
    if workload == "inference":
        if not redundant_supply(v.get("power_redundancy"), v.get("utility_feeds") or 0, t):
            change["power_redundancy"] = t["redundant_levels"][0]
        change.update(_true(v, "backup_generation"))
        if (v.get("curtailment_hours_per_year") is None
                or v["curtailment_hours_per_year"] > 0) and not (v.get("mining_load_mw") or 0) > 0:
            change["curtailment_hours_per_year"] = 0.0
    return change


def _cooling(v: dict, r: dict, workload: str) -> dict:
    c = r["cooling"]
    path = stated_path(v["cooling_type"], v.get("liquid_cooling_path"), c)
    counts = advanced_path if workload == "training" else credible_path
    change = _raise(v, "rack_density_kw", c[workload]["pass_min_rack_density_kw"])
    if not counts(v["cooling_type"], path, c):
        levels = c["advanced_paths"] if workload == "training" else c["credible_paths"]
        change["liquid_cooling_path"] = levels[0]
    return change


def _networking(v: dict, r: dict, workload: str) -> dict:
    t = r["networking"][workload]
    change = _true(v, "fiber_on_site")
    if workload == "training":
        return {**change, **_raise(v, "uplink_gbps", t["min_uplink_gbps"])}
    change.update(_raise(v, "fiber_carriers", t["min_diverse_carriers"]))
    if not ((v.get("uplink_gbps") or 0) >= t["min_uplink_gbps"] or v.get("path_to_100g")):
        change["path_to_100g"] = True
    return change


def _operations(v: dict, r: dict, workload: str) -> dict:
    if workload == "training":
        if v.get("staffing_24x7"):
            return {}
        return _raise(v, "dc_ops_staff", r["operations"]["training"]["min_dc_ops_staff"])
    return {**_true(v, "staffing_24x7"), **_true(v, "sla_track_record")}


FIXES: dict[str, Callable[[dict, dict, str], dict]] = {
    "location": _location, "power": _power, "cooling": _cooling, "networking": _networking,
    "operations": _operations}


def gate_fix(site: SiteResult, workload: str, gate: str, rules: Rules) -> dict[str, Any]:
    """Input changes that the rules ask for this gate to pass (empty when it passes)."""
    if site.gate(workload, gate).status == "pass":
        return {}
    return FIXES[gate](site.values, rules.values, workload)


def workload_fix(site: SiteResult, workload: str, rules: Rules) -> dict[str, Any] | None:
    """Changes that make ``workload`` fit, verified by classifying again; None if none found."""
    return fix_for(site, (workload,), rules)


def fix_for(site: SiteResult, workloads: tuple[str, ...], rules: Rules) -> dict[str, Any] | None:
    """Changes that make every one of ``workloads`` fit, or None.

    Each workload's fix is read off the site as already changed for the ones before it, so
    two workloads never ask for conflicting values (training's in_progress path already
    satisfies inference's planned one). The result is checked by evaluating every gate of
    the changed site again.
    """
    change: dict[str, Any] = {}
    values = site.values
    statuses = {(w, g): site.gate(w, g).status for w in workloads for g in GATE_NAMES}
    for workload in workloads:
        for gate in GATE_NAMES:
            if statuses[(workload, gate)] != "pass":
                change.update(FIXES[gate](values, rules.values, workload))
        values = {**site.values, **change}
        statuses = gate_statuses(values, rules, workloads)
    if all(statuses[(w, g)] == "pass" for w in workloads for g in GATE_NAMES):
        return change
    return None


def describe(site: SiteResult, change: dict[str, Any]) -> str:
    return "; ".join(f"{c} {show_value(c, site.values.get(c))} → {show_value(c, v)}"
                     for c, v in change.items())


def what_would_flip(site: SiteResult, rules: Rules) -> str:
    """The smallest verified change to ``ready`` for the bucket's workloads, in a sentence;
    for a Neither site, the workload that needs the fewest changes to become fit."""
    if site.readiness == "ready":
        return ""
    if site.bucket == "Neither":
        options = [(w, workload_fix(site, w, rules)) for w in ("training", "inference")]
        options = [(w, c) for w, c in options if c is not None]
        if not options:
            return "No change to the inputs alone makes either workload fit."
        workload, change = min(options, key=lambda o: len(o[1]))
        return f"{workload.capitalize()} becomes fit with: {describe(site, change)}."
    change = fix_for(site, bucket_workloads(site.bucket), rules)
    if change is None:
        return "No change to the inputs alone makes this site ready."
    return f"Ready with: {describe(site, change)}."
