"""The five gates, one pure function per gate and workload.

Each function reads a site's values through ``Facts`` and the thresholds from the
rules, and returns a ``Verdict``: a status, a sentence naming the inputs and the
thresholds that decided it, and the next action when it is short of pass. A gate
never guesses a missing value: reading one raises ``Missing``, and the caller
(``pipeline.classify``) evaluates the gate at that value's extremes instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Callable

from pipeline.contract import COMPUTED, show_number, show_value

INF = float("inf")


class Status(IntEnum):
    """A gate status; a higher value is more favourable."""

    FAIL = 0
    CONDITIONAL = 1
    PASS = 2

    @property
    def label(self) -> str:
        return _LABELS[self]


FAIL, CONDITIONAL, PASS = Status.FAIL, Status.CONDITIONAL, Status.PASS
_LABELS = ("fail", "conditional", "pass")


Text = str | Callable[[], str]


@dataclass(frozen=True)
class Verdict:
    """A gate's outcome. Reason and action may be functions: the classifier explores many
    hypothetical outcomes for missing values and formats only the one it reports."""

    status: Status
    explain: Text
    act: Text | None = None

    @property
    def reason(self) -> str:
        return self.explain() if callable(self.explain) else self.explain

    @property
    def action(self) -> str | None:
        return self.act() if callable(self.act) else self.act


class Missing(Exception):
    """A gate needed a value the site did not give."""

    def __init__(self, column: str):
        super().__init__(column)
        self.column = column


# The least and the most favourable value each optional input can take. Every gate is
# monotone in each input, so these two extremes bound what a missing value can do.
EXTREMES: dict[str, tuple[Any, Any]] = {
    "metro_distance_miles": (INF, 0.0),
    "metro_rtt_ms": (INF, 0.0),
    "utility_feeds": (1.0, INF),
    "backup_generation": (False, True),
    "curtailment_hours_per_year": (8760.0, 0.0),
    "mining_load_mw": (0.0, INF),
    "rack_density_kw": (0.0, INF),
    "liquid_cooling_path": ("none", "in_place"),
    "fiber_carriers": (0.0, INF),
    "uplink_gbps": (0.0, INF),
    "path_to_100g": (False, True),
    "fiber_lead_time_months": (INF, 0.0),
    "dc_ops_staff": (0.0, INF),
    "sla_track_record": (False, True),
}


class Facts:
    """A site's values as a gate sees them, with missing ones filled only by assumption."""

    def __init__(self, values: dict[str, Any], assumed: dict[str, Any]):
        self._values = values
        self._assumed = assumed
        self.read: set[str] = set()

    def __getitem__(self, column: str) -> Any:
        self.read.add(column)
        value = self._values.get(column)
        if value is not None:
            return value
        if column in self._assumed:
            return self._assumed[column]
        raise Missing(column)

    def given(self, column: str) -> Any:
        """The value if the site gave it, else None; never raises, never assumes."""
        self.read.add(column)
        return self._values.get(column)

    def show(self, column: str) -> str:
        return show_value(column, self._values.get(column))


def _band(status: Status) -> str:
    return {PASS: "passes", CONDITIONAL: "is conditional", FAIL: "fails"}[status]


def _at_least(value: float, pass_min: float, conditional_min: float) -> Status:
    return PASS if value >= pass_min else CONDITIONAL if value >= conditional_min else FAIL


def _at_most(value: float, pass_max: float, conditional_max: float) -> Status:
    return PASS if value <= pass_max else CONDITIONAL if value <= conditional_max else FAIL


# ---------------------------------------------------------------- location


def location_training(f: Facts, r: dict) -> Verdict:
    return Verdict(PASS, "Training is location-flexible: distance to users does not gate it.")


def location_inference(f: Facts, r: dict) -> Verdict:
    t = r["location"]["inference"]
    rtt, distance = f.given("metro_rtt_ms"), f.given("metro_distance_miles")
    computed = f.given("metro_distance_source") == COMPUTED
    if rtt is None and distance is None:
        distance = f["metro_distance_miles"]
    evidence = []
    if rtt is not None:
        evidence.append((_at_most(rtt, t["pass_max_rtt_ms"], t["conditional_max_rtt_ms"]),
                         lambda: f"round trip to the metro {show_number(rtt)} ms (pass <= "
                         f"{show_number(t['pass_max_rtt_ms'])} ms, conditional <= "
                         f"{show_number(t['conditional_max_rtt_ms'])} ms)"))
    if distance is not None:
        evidence.append((_at_most(distance, t["pass_max_distance_miles"],
                                  t["conditional_max_distance_miles"]),
                         lambda: f"{show_number(distance)} miles from "
                         f"{f.given('nearest_metro') or 'the nearest major metro'}"
                         f"{' (computed from coordinates)' if computed else ''} "
                         f"(pass <= {show_number(t['pass_max_distance_miles'])} miles, conditional <= "
                         f"{show_number(t['conditional_max_distance_miles'])} miles)"))
    status, text = max(evidence, key=lambda e: e[0])
    def reason() -> str:
        return f"Inference location {_band(status)}: {text()}."

    if status == PASS:
        return Verdict(status, reason)
    if status == CONDITIONAL:
        return Verdict(status, reason,
                       lambda: f"Measure the round trip to the metro's internet exchange; inference passes "
                       f"at <= {show_number(t['pass_max_rtt_ms'])} ms or within "
                       f"{show_number(t['pass_max_distance_miles'])} miles. Until then, offer "
                       f"latency-tolerant inference.")
    return Verdict(status, reason,
                   lambda: "Outside the edge band: market this site for training; inference needs a site "
                   f"within {show_number(t['conditional_max_distance_miles'])} miles or "
                   f"{show_number(t['conditional_max_rtt_ms'])} ms of a major metro.")


# ---------------------------------------------------------------- power


Part = tuple[Status, Callable[[], str], Callable[[], str]]  # a sub-check: status, reason, action


def _capacity_and_price(f: Facts, t: dict, workload: str) -> list[Part]:
    capacity, price = f["power_capacity_mw"], f["power_cost_usd_per_kwh"]
    return [
        (_at_least(capacity, t["pass_min_capacity_mw"], t["conditional_min_capacity_mw"]),
         lambda: f"capacity {f.show('power_capacity_mw')} (pass >= {show_number(t['pass_min_capacity_mw'])} "
         f"MW, conditional >= {show_number(t['conditional_min_capacity_mw'])} MW)",
         lambda: f"Secure more capacity: {workload} passes at >= {show_number(t['pass_min_capacity_mw'])} MW "
         f"({f.show('power_capacity_mw')} today)."),
        (_at_most(price, t["pass_max_price_usd_per_kwh"], t["conditional_max_price_usd_per_kwh"]),
         lambda: f"all-in price {f.show('power_cost_usd_per_kwh')} (pass <= "
         f"{show_number(t['pass_max_price_usd_per_kwh'])}, conditional <= "
         f"{show_number(t['conditional_max_price_usd_per_kwh'])} USD/kWh)",
         lambda: f"Bring the all-in power price to <= {show_number(t['pass_max_price_usd_per_kwh'])} USD/kWh "
         f"({f.show('power_cost_usd_per_kwh')} today)."),
    ]


def _worst_of(parts: list[Part], gate: str) -> Verdict:
    status = min(p[0] for p in parts)
    return Verdict(status,
                   lambda: f"{gate} {_band(status)}: " + "; ".join(p[1]() for p in parts) + ".",
                   lambda: " ".join(p[2]() for p in parts if p[0] < PASS) or None)


def power_training(f: Facts, r: dict) -> Verdict:
    return _worst_of(_capacity_and_price(f, r["power"]["training"], "training"), "Training power")


def power_inference(f: Facts, r: dict) -> Verdict:
    t = r["power"]["inference"]
    return _worst_of(_capacity_and_price(f, t, "inference") + [_reliability(f, t)],
                     "Inference power")


def _reliability(f: Facts, t: dict) -> Part:
    redundancy = f.given("power_redundancy")
    feeds = f["utility_feeds"] if redundancy is None else None  # read only when it decides
    redundant = redundant_supply(redundancy, feeds, t)
    if redundancy is not None:
        supply = f"power_redundancy {redundancy}"
    else:
        supply = "power_redundancy not given, {feeds} utility feed(s) (redundant at >= {need})"
    backup = f["backup_generation"]
    status = PASS if redundant and backup else CONDITIONAL if redundant or backup else FAIL
    curtailment = f["curtailment_hours_per_year"]
    stranded = curtailment > 0 and f["mining_load_mw"] <= 0
    if stranded:
        status = FAIL

    def text() -> str:
        words = supply.format(feeds=f.show("utility_feeds"),
                              need=show_number(t["redundant_min_utility_feeds"]))
        said = (f"reliability: {'redundant' if redundant else 'no redundant'} supply ({words}), "
                f"{'with' if backup else 'no'} backup generation")
        if stranded:
            said += (f", and {show_number(curtailment)} h/yr of committed curtailment with no "
                     "mining load to shed")
        return said

    def action() -> str:
        advice = ("Document a redundant supply (" + " or ".join(t["redundant_levels"]) +
                  ", or a second utility feed) and backup generation for inference uptime.")
        if stranded:
            advice = ("Keep mining load on site to absorb the curtailment commitment, or "
                      "renegotiate it: inference cannot be curtailed. " + advice)
        return advice

    return status, text, action


# ---------------------------------------------------------------- cooling


def stated_path(cooling_type: str, path: str | None, c: dict) -> str | None:
    """liquid_cooling_path as given, or the rules' default for the cooling type when blank."""
    return path if path is not None else c["default_path_by_cooling_type"].get(cooling_type)


def advanced_path(cooling_type: str, path: str | None, c: dict) -> bool:
    return cooling_type in c["advanced_cooling_types"] or path in c["advanced_paths"]


def credible_path(cooling_type: str, path: str | None, c: dict) -> bool:
    return advanced_path(cooling_type, path, c) or path in c["credible_paths"]


def redundant_supply(redundancy: str | None, feeds: float | None, t: dict) -> bool:
    """N+1 or 2N; with power_redundancy blank, enough independent utility feeds."""
    if redundancy is not None:
        return redundancy in t["redundant_levels"]
    return feeds >= t["redundant_min_utility_feeds"]


def _cooling_path(f: Facts, c: dict) -> tuple[str, bool, bool, bool, str]:
    """(path, advanced, credible, no path, how the path was found) for a site."""
    cooling = f["cooling_type"]
    given = f.given("liquid_cooling_path")
    path = stated_path(cooling, given, c)
    how = (f"liquid_cooling_path {given}" if given is not None else
           f"liquid_cooling_path blank, taken as {path} for {cooling} cooling")
    if path is None:
        path = f["liquid_cooling_path"]
        how = "liquid_cooling_path not given"
    advanced = advanced_path(cooling, path, c)
    credible = credible_path(cooling, path, c)
    no_path = path == "none" and not advanced
    return path, advanced, credible, no_path, f"{cooling} cooling, {how}"


def cooling_training(f: Facts, r: dict) -> Verdict:
    c = r["cooling"]
    need = c["training"]["pass_min_rack_density_kw"]
    _, advanced, _, no_path, how = _cooling_path(f, c)
    bar = f"(pass needs >= {show_number(need)} kW a rack and an advanced liquid path)"
    if no_path:
        return Verdict(FAIL, lambda: f"Training cooling fails: no credible path to GPU-grade liquid "
                             f"cooling ({how}).",
                       "Commission a liquid-cooling retrofit study; without one, conversion capex "
                       "can exceed a greenfield build.")
    if advanced and f["rack_density_kw"] >= need:
        return Verdict(PASS, lambda: f"Training cooling passes: {how}, rack density "
                             f"{f.show('rack_density_kw')} {bar}.")
    return Verdict(CONDITIONAL, lambda: f"Training cooling is conditional: {how}, rack density "
                                f"{f.show('rack_density_kw')} {bar}.",
                   lambda: f"Carry the liquid-cooling path to in_progress and prove >= {show_number(need)} "
                   "kW a rack of sustained cooling.")


def cooling_inference(f: Facts, r: dict) -> Verdict:
    c = r["cooling"]
    need = c["inference"]["pass_min_rack_density_kw"]
    _, _, credible, no_path, how = _cooling_path(f, c)
    bar = f"(pass needs >= {show_number(need)} kW a rack and a planned or better liquid path)"
    density = f["rack_density_kw"]
    if credible and density >= need:
        return Verdict(PASS, lambda: f"Inference cooling passes: {how}, rack density "
                             f"{f.show('rack_density_kw')} {bar}.")
    if no_path and density < need:
        return Verdict(FAIL, lambda: f"Inference cooling fails: no liquid path and rack density "
                             f"{f.show('rack_density_kw')} below {show_number(need)} kW ({how}).",
                       lambda: f"Plan a liquid-cooling path or raise air-cooled density to "
                       f">= {show_number(need)} kW a rack.")
    scope = " Limited scope: dense air cooling allows a small start." if no_path else ""
    return Verdict(CONDITIONAL, lambda: f"Inference cooling is conditional: {how}, rack density "
                                f"{f.show('rack_density_kw')} {bar}.{scope}",
                   lambda: f"Plan the liquid-cooling path and prove >= {show_number(need)} kW a rack.")


# ---------------------------------------------------------------- networking


def networking_training(f: Facts, r: dict) -> Verdict:
    t = r["networking"]["training"]
    if f["fiber_on_site"]:
        if f["uplink_gbps"] >= t["min_uplink_gbps"]:
            return Verdict(PASS, lambda: f"Training networking passes: fiber on site, uplink "
                                 f"{f.show('uplink_gbps')} (pass >= "
                                 f"{show_number(t['min_uplink_gbps'])} Gbit/s).")
        return Verdict(CONDITIONAL, lambda: f"Training networking is conditional: fiber on site but uplink "
                                    f"{f.show('uplink_gbps')} (pass >= "
                                    f"{show_number(t['min_uplink_gbps'])} Gbit/s).",
                       lambda: f"Contract an uplink of >= {show_number(t['min_uplink_gbps'])} Gbit/s "
                       "for dataset and checkpoint transfers.")
    lead = f["fiber_lead_time_months"]
    if lead <= t["max_fiber_lead_time_months"]:
        return Verdict(CONDITIONAL, lambda: f"Training networking is conditional: no fiber yet, quoted "
                                    f"lead time {f.show('fiber_lead_time_months')} (within "
                                    f"{show_number(t['max_fiber_lead_time_months'])} months).",
                       "Sign the fiber build now; its lead time sets the earliest start.")
    capacity, price = f["power_capacity_mw"], f["power_cost_usd_per_kwh"]
    if (capacity >= t["exceptional_min_capacity_mw"]
            and price <= t["exceptional_max_price_usd_per_kwh"]):
        return Verdict(CONDITIONAL, lambda: f"Training networking is conditional: no fiber path "
                                    f"(lead time {f.show('fiber_lead_time_months')}), but power "
                                    f"is exceptional ({f.show('power_capacity_mw')} at "
                                    f"{f.show('power_cost_usd_per_kwh')}; bar >= "
                                    f"{show_number(t['exceptional_min_capacity_mw'])} MW at <= "
                                    f"{show_number(t['exceptional_max_price_usd_per_kwh'])} "
                                    f"USD/kWh).",
                       "Get a firm fiber quote; the power economics justify a long build.")
    return Verdict(FAIL, lambda: f"Training networking fails: no fiber on site and lead time "
                         f"{f.show('fiber_lead_time_months')} (conditional within "
                         f"{show_number(t['max_fiber_lead_time_months'])} months).",
                   lambda: "Find a carrier that can light the site within "
                   f"{show_number(t['max_fiber_lead_time_months'])} months.")


def networking_inference(f: Facts, r: dict) -> Verdict:
    t = r["networking"]["inference"]
    if not f["fiber_on_site"]:
        lead = f["fiber_lead_time_months"]
        if lead <= t["max_fiber_lead_time_months"]:
            return Verdict(CONDITIONAL, lambda: f"Inference networking is conditional: no fiber yet, "
                                        f"quoted lead time {f.show('fiber_lead_time_months')} "
                                        f"(within {show_number(t['max_fiber_lead_time_months'])} "
                                        "months).",
                           "Order diverse fiber now and plan for a 100GE-class upstream.")
        return Verdict(FAIL, lambda: f"Inference networking fails: no fiber path in a location-sensitive "
                             f"market (no fiber on site, lead time "
                             f"{f.show('fiber_lead_time_months')}; conditional within "
                             f"{show_number(t['max_fiber_lead_time_months'])} months).",
                       "Without a fiber path inference is off the table; pursue training instead.")
    diverse = f["fiber_carriers"] >= t["min_diverse_carriers"]
    if f.given("path_to_100g") is True:
        fast = True
    else:
        fast = f["uplink_gbps"] >= t["min_uplink_gbps"] or f["path_to_100g"]
    def detail() -> str:
        return (f"{f.show('fiber_carriers')} carrier(s) (pass >= "
                f"{show_number(t['min_diverse_carriers'])}), uplink {f.show('uplink_gbps')}, "
                f"path to 100G {f.show('path_to_100g')} (pass needs >= "
                f"{show_number(t['min_uplink_gbps'])} Gbit/s or a path to 100G)")

    if diverse and fast:
        return Verdict(PASS, lambda: f"Inference networking passes: fiber on site, {detail()}.")
    missing = [text for ok, text in ((diverse, "a second diverse carrier"),
                                     (fast, "a contracted 100GE-class upstream")) if not ok]
    return Verdict(CONDITIONAL, lambda: f"Inference networking is conditional: fiber on site, {detail()}.",
                   lambda: "Add " + " and ".join(missing) + ".")


# ---------------------------------------------------------------- operations


def operations_training(f: Facts, r: dict) -> Verdict:
    need = r["operations"]["training"]["min_dc_ops_staff"]
    if f["staffing_24x7"]:
        return Verdict(PASS, "Training operations pass: staffed 24x7.")
    if f["dc_ops_staff"] >= need:
        return Verdict(PASS, lambda: f"Training operations pass: {f.show('dc_ops_staff')} qualified "
                             f"data-center staff (pass >= {show_number(need)}).")
    return Verdict(CONDITIONAL, lambda: f"Training operations are conditional: not staffed 24x7 and "
                                f"{f.show('dc_ops_staff')} qualified data-center staff (pass >= "
                                f"{show_number(need)}); constrained to smaller configurations.",
                   lambda: f"Hire or contract to >= {show_number(need)} staff qualified on servers, "
                   "networks and firmware, or staff 24x7.")


def operations_inference(f: Facts, r: dict) -> Verdict:
    if not f["staffing_24x7"]:
        return Verdict(FAIL, "Inference operations fail: not staffed 24x7 with escalation "
                             "(operational ceiling).",
                       "Staff 24x7 with escalation, in house or through a managed-services "
                       "partner; inference is user-facing and continuous.")
    if f["sla_track_record"]:
        return Verdict(PASS, "Inference operations pass: staffed 24x7 with an SLA track record.")
    return Verdict(CONDITIONAL, "Inference operations are conditional: staffed 24x7, no SLA "
                                "track record.",
                   "Build an SLA record (hosting or colocation customers) or partner with an "
                   "operator that has one.")


@dataclass(frozen=True)
class Gate:
    name: str
    workload: str
    decide: Callable[[Facts, dict], Verdict]
    sections: tuple[str, ...]  # the rules sections whose thresholds this gate reads


GATE_NAMES = ("location", "power", "cooling", "networking", "operations")
WORKLOADS = ("training", "inference")

GATES: tuple[Gate, ...] = (
    Gate("location", "training", location_training, ()),
    Gate("location", "inference", location_inference, ("location.inference",)),
    Gate("power", "training", power_training, ("power.training",)),
    Gate("power", "inference", power_inference, ("power.inference",)),
    Gate("cooling", "training", cooling_training, ("cooling", "cooling.training")),
    Gate("cooling", "inference", cooling_inference, ("cooling", "cooling.inference")),
    Gate("networking", "training", networking_training, ("networking.training",)),
    Gate("networking", "inference", networking_inference, ("networking.inference",)),
    Gate("operations", "training", operations_training, ("operations.training",)),
    Gate("operations", "inference", operations_inference, ()),
)
