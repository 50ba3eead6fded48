"""The five gates, one per workload: bands of an input against the rules, and a little code
where a gate is more than bands.

A ``Band`` is data: an input column, which way is better, and the dotted rules keys of its
pass and conditional bars. A gate's status, the sentence that explains it, the change that
would make it pass (``Gate.fix``) and the rules documentation are all read off its bands.
Gates read a site's values and the rules only through ``Facts``, which records both, so a
gate's inputs and thresholds are found by reading, never declared. A gate never guesses a
missing value: reading one raises ``Missing``, and the caller (``pipeline.classify``)
evaluates the gate at that value's extremes instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable

from pipeline.classify.words import Status
from pipeline.contract import COMPUTED, show_number, show_value
from pipeline.rules import about_entries

FAIL, CONDITIONAL, PASS = Status.FAIL, Status.CONDITIONAL, Status.PASS
INF = float("inf")

Text = str | Callable[[], str]


@dataclass(frozen=True)
class Outcome:
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
    """A site's values and the rules as a gate sees them: missing values filled only by
    assumption, and every input column and rules key it reads recorded."""

    def __init__(self, values: dict[str, Any], assumed: dict[str, Any], rules: dict[str, Any]):
        self._values = values
        self._assumed = assumed
        self._rules = rules
        self.read: set[str] = set()
        self.thresholds: dict[str, Any] = {}

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

    def rule(self, key: str) -> Any:
        """The rules value at dotted ``key``."""
        value = self._rules[key]
        self.thresholds[key] = value
        return value


@dataclass(frozen=True)
class Band:
    """An input column against a pass bar and, for a three-way band, a conditional bar (both
    dotted rules keys). Short of a two-way band's bar is for the gate to call."""

    column: str
    higher_is_better: bool
    pass_key: str
    conditional_key: str | None = None

    @property
    def sign(self) -> str:
        return ">=" if self.higher_is_better else "<="

    def meets(self, value: float, bar: float) -> bool:
        return value >= bar if self.higher_is_better else value <= bar

    def passes(self, f: Facts) -> bool:
        return self.meets(f[self.column], f.rule(self.pass_key))

    def status(self, f: Facts) -> Status:
        if self.passes(f):
            return PASS
        if self.conditional_key and self.meets(f[self.column], f.rule(self.conditional_key)):
            return CONDITIONAL
        return FAIL

    def bar(self, f: Facts, key: str | None = None) -> str:
        """A bar as people read it: ">= 20 MW"."""
        key = key or self.pass_key
        return f"{self.sign} {show_number(f.rule(key))} {about_entries()[key].unit}"

    def bars(self, f: Facts) -> str:
        """"pass >= 20 MW, conditional >= 5 MW"."""
        text = f"pass {self.bar(f)}"
        if self.conditional_key:
            text += f", conditional {self.bar(f, self.conditional_key)}"
        return text

    def fix(self, values: dict[str, Any], rules: dict[str, Any],
            least: bool = False) -> dict[str, Any]:
        """The column moved to the pass bar (with ``least``, to the conditional bar where
        the band has one), unless the site already meets it."""
        key = self.conditional_key if least and self.conditional_key else self.pass_key
        value, bar = values.get(self.column), rules[key]
        return {} if value is not None and self.meets(value, bar) else {self.column: bar}


def _true(values: dict, column: str) -> dict:
    return {} if values.get(column) is True else {column: True}


@dataclass(frozen=True)
class Gate:
    """One gate for one workload: its bands, the code that decides it from them, and the
    code that names the input changes that would make it pass."""

    name: str
    workload: str
    bands: tuple[Band, ...]
    decide: Callable[[Facts, dict[str, Band]], Outcome]
    changes: Callable[[dict, dict, dict[str, Band], bool], dict] | None = None  # beyond bands
    any_band: bool = False  # the gate passes when any one band passes (else: every band)

    @cached_property
    def band(self) -> dict[str, Band]:
        return {band.column: band for band in self.bands}

    def outcome(self, facts: Facts) -> Outcome:
        return self.decide(facts, self.band)

    def fix(self, values: dict[str, Any], rules: dict[str, Any],
            least: bool = False) -> dict[str, Any]:
        """Input changes the rules ask for this gate to pass, read off the site's given
        values (a missing one counts as short of its bar): each band moved to its bar, or
        what the gate's own code asks for. With ``least``, bands move only to their
        conditional bars: a start towards lifting a failed gate."""
        if self.changes is not None:
            return self.changes(values, rules, self.band, least)
        fixes = [band.fix(values, rules, least) for band in self.bands]
        if self.any_band:  # one band is enough: the first, unless one already passes
            fixes = fixes[:1] if all(fixes) else []
        return {column: value for fix in fixes for column, value in fix.items()}


# ---------------------------------------------------------------- location


def location_training(f: Facts, b: dict[str, Band]) -> Outcome:
    return Outcome(PASS, "Training is location-flexible: distance to users does not gate it.")


def location_inference(f: Facts, b: dict[str, Band]) -> Outcome:
    rtt_band, distance_band = b["metro_rtt_ms"], b["metro_distance_miles"]
    rtt, distance = f.given("metro_rtt_ms"), f.given("metro_distance_miles")
    computed = f.given("metro_distance_source") == COMPUTED
    if rtt is None and distance is None:
        distance = f["metro_distance_miles"]
    evidence = []
    if rtt is not None:
        evidence.append((rtt_band.status(f),
                         lambda: f"round trip to the metro {show_number(rtt)} ms "
                         f"({rtt_band.bars(f)})"))
    if distance is not None:
        evidence.append((distance_band.status(f),
                         lambda: f"{show_number(distance)} miles from "
                         f"{f.given('nearest_metro') or 'the nearest major metro'}"
                         f"{' (computed from coordinates)' if computed else ''} "
                         f"({distance_band.bars(f)})"))
    status, text = max(evidence, key=lambda e: e[0])

    def reason() -> str:
        return f"Inference location {status.verb}: {text()}."

    if status == PASS:
        return Outcome(status, reason)
    if status == CONDITIONAL:
        return Outcome(status, reason,
                       lambda: "Measure the round trip to the metro's internet exchange; "
                       f"inference passes at {rtt_band.bar(f)} or within "
                       f"{show_number(f.rule(distance_band.pass_key))} miles. Until then, "
                       "offer latency-tolerant inference.")
    return Outcome(status, reason,
                   lambda: "Outside the edge band: market this site for training; inference "
                   "needs a site within "
                   f"{show_number(f.rule(distance_band.conditional_key))} miles or "
                   f"{show_number(f.rule(rtt_band.conditional_key))} ms of a major metro.")




# ---------------------------------------------------------------- power


Part = tuple[Status, Callable[[], str], Callable[[], str]]  # a sub-check: status, reason, action


def _capacity_and_price(f: Facts, b: dict[str, Band], workload: str) -> list[Part]:
    capacity, price = b["power_capacity_mw"], b["power_cost_usd_per_kwh"]
    return [
        (capacity.status(f),
         lambda: f"capacity {f.show('power_capacity_mw')} ({capacity.bars(f)})",
         lambda: f"Secure more capacity: {workload} passes at {capacity.bar(f)} "
         f"({f.show('power_capacity_mw')} today)."),
        (price.status(f),
         lambda: f"all-in price {f.show('power_cost_usd_per_kwh')} ({price.bars(f)})",
         lambda: f"Bring the all-in power price to {price.bar(f)} "
         f"({f.show('power_cost_usd_per_kwh')} today)."),
    ]


def _worst_of(parts: list[Part], gate: str) -> Outcome:
    status = min(p[0] for p in parts)
    return Outcome(status,
                   lambda: f"{gate} {status.verb}: " + "; ".join(p[1]() for p in parts) + ".",
                   lambda: " ".join(p[2]() for p in parts if p[0] < PASS) or None)


def power_training(f: Facts, b: dict[str, Band]) -> Outcome:
    return _worst_of(_capacity_and_price(f, b, "training"), "Training power")


def power_inference(f: Facts, b: dict[str, Band]) -> Outcome:
    return _worst_of(_capacity_and_price(f, b, "inference") + [_reliability(f)],
                     "Inference power")


def redundant_supply(redundancy: str | None, feeds: float | None, levels: list[str],
                     min_feeds: float) -> bool:
    """N+1 or 2N; with power_redundancy blank, enough independent utility feeds."""
    if redundancy is not None:
        return redundancy in levels
    return feeds >= min_feeds


def stranded_curtailment(curtailment: float | None, mining: float | None) -> bool:
    """Committed curtailment with no mining load to shed for it (a missing value counts as
    the worse case)."""
    return (curtailment is None or curtailment > 0) and not (mining or 0) > 0


LEVELS, FEEDS = "power.inference.redundant_levels", "power.inference.redundant_min_utility_feeds"


def _reliability(f: Facts) -> Part:
    redundancy = f.given("power_redundancy")
    feeds = f["utility_feeds"] if redundancy is None else None  # read only when it decides
    levels, need = f.rule(LEVELS), f.rule(FEEDS)
    redundant = redundant_supply(redundancy, feeds, levels, need)
    if redundancy is not None:
        supply = f"power_redundancy {redundancy}"
    else:
        supply = "power_redundancy not given, {feeds} utility feed(s) (redundant at >= {need})"
    backup = f["backup_generation"]
    # Neither piece is how nearly every mining site starts: a priced action, not a bar.
    status = PASS if redundant and backup else CONDITIONAL
    curtailment = f["curtailment_hours_per_year"]
    stranded = curtailment > 0 and f["mining_load_mw"] <= 0
    if stranded:  # committed curtailment only generators can ride through
        status = CONDITIONAL if backup else FAIL

    def text() -> str:
        words = supply.format(feeds=f.show("utility_feeds"), need=show_number(need))
        said = (f"reliability: {'redundant' if redundant else 'no redundant'} supply ({words}), "
                f"{'with' if backup else 'no'} backup generation")
        if stranded:
            said += (f", and {show_number(curtailment)} h/yr of committed curtailment with no "
                     "mining load to shed")
        return said

    def action() -> str:
        missing = [piece for ok, piece in (
            (redundant, "a redundant supply (" + " or ".join(levels) + ", or a second utility "
                        "feed)"),
            (backup, "backup generation")) if not ok]
        advice = f"Add {' and '.join(missing)} for inference uptime." if missing else ""
        if stranded:
            advice = ("Keep mining load on site to absorb the curtailment commitment, or "
                      "renegotiate it: inference cannot be curtailed. " + advice).rstrip()
        return advice

    return status, text, action


def _power_inference_changes(v: dict, r: dict, b: dict[str, Band], least: bool) -> dict:
    change = {**b["power_capacity_mw"].fix(v, r, least),
              **b["power_cost_usd_per_kwh"].fix(v, r, least)}
    if not redundant_supply(v.get("power_redundancy"), v.get("utility_feeds") or 0, r[LEVELS],
                            r[FEEDS]):
        change["power_redundancy"] = r[LEVELS][0]
    change.update(_true(v, "backup_generation"))
    if stranded_curtailment(v.get("curtailment_hours_per_year"), v.get("mining_load_mw")):
        change["curtailment_hours_per_year"] = 0.0
    return change


# ---------------------------------------------------------------- cooling


def stated_path(cooling_type: str, path: str | None, c: Any) -> str | None:
    """liquid_cooling_path as given, or the rules' default for the cooling type when blank
    (``c``: the [cooling] rules)."""
    return path if path is not None else c["default_path_by_cooling_type"].get(cooling_type)


def advanced_path(cooling_type: str, path: str | None, c: Any) -> bool:
    return cooling_type in c["advanced_cooling_types"] or path in c["advanced_paths"]


def credible_path(cooling_type: str, path: str | None, c: Any) -> bool:
    return advanced_path(cooling_type, path, c) or path in c["credible_paths"]


class Section:
    """A rules section as a mapping of its own keys, read through ``lookup`` (``Facts.rule``
    records what it reads)."""

    def __init__(self, lookup: Callable[[str], Any], prefix: str):
        self._lookup, self._prefix = lookup, prefix

    def __getitem__(self, key: str) -> Any:
        return self._lookup(f"{self._prefix}.{key}")


def _cooling_path(f: Facts) -> tuple[bool, bool, bool, str]:
    """(advanced, credible, no path, how the path was found) for a site."""
    rules = Section(f.rule, "cooling")
    cooling = f["cooling_type"]
    given = f.given("liquid_cooling_path")
    path = stated_path(cooling, given, rules)
    how = (f"liquid_cooling_path {given}" if given is not None else
           f"liquid_cooling_path blank, taken as {path} for {cooling} cooling")
    if path is None:
        path = f["liquid_cooling_path"]
        how = "liquid_cooling_path not given"
    advanced = advanced_path(cooling, path, rules)
    credible = credible_path(cooling, path, rules)
    no_path = path == "none" and not advanced
    return advanced, credible, no_path, f"{cooling} cooling, {how}"


def cooling_training(f: Facts, b: dict[str, Band]) -> Outcome:
    density = b["rack_density_kw"]
    advanced, _, no_path, how = _cooling_path(f)

    def bar() -> str:
        return f"(pass needs {density.bar(f)} a rack and an advanced liquid path)"

    if no_path:
        return Outcome(FAIL, f"Training cooling fails: no credible path to GPU-grade liquid "
                             f"cooling ({how}).",
                       "Commission a liquid-cooling retrofit study; without one, conversion "
                       "capex can exceed a greenfield build.")
    if advanced and density.passes(f):
        return Outcome(PASS, lambda: f"Training cooling passes: {how}, rack density "
                             f"{f.show('rack_density_kw')} {bar()}.")
    return Outcome(CONDITIONAL, lambda: f"Training cooling is conditional: {how}, rack density "
                                f"{f.show('rack_density_kw')} {bar()}.",
                   lambda: "Carry the liquid-cooling path to in_progress and prove "
                   f"{density.bar(f)} a rack of sustained cooling.")


def cooling_inference(f: Facts, b: dict[str, Band]) -> Outcome:
    density = b["rack_density_kw"]
    _, credible, no_path, how = _cooling_path(f)

    def bar() -> str:
        return f"(pass needs {density.bar(f)} a rack and a planned or better liquid path)"

    dense = density.passes(f)
    if credible and dense:
        return Outcome(PASS, lambda: f"Inference cooling passes: {how}, rack density "
                             f"{f.show('rack_density_kw')} {bar()}.")
    if no_path and not dense:
        return Outcome(FAIL, lambda: f"Inference cooling fails: no liquid path and rack density "
                             f"{f.show('rack_density_kw')} below "
                             f"{show_number(f.rule(density.pass_key))} kW ({how}).",
                       lambda: "Plan a liquid-cooling path or raise air-cooled density to "
                       f"{density.bar(f)} a rack.")
    scope = " Limited scope: dense air cooling allows a small start." if no_path else ""
    return Outcome(CONDITIONAL, lambda: f"Inference cooling is conditional: {how}, rack density "
                                f"{f.show('rack_density_kw')} {bar()}.{scope}",
                   lambda: f"Plan the liquid-cooling path and prove {density.bar(f)} a rack.")


def _cooling_changes(levels: str, counts: Callable[[str, str | None, Any], bool]):
    """Density to the band's bar, and the path to the first of the ``levels`` that counts."""
    def changes(v: dict, r: dict, b: dict[str, Band], least: bool) -> dict:
        c = Section(r.__getitem__, "cooling")
        change = b["rack_density_kw"].fix(v, r, least)
        path = stated_path(v["cooling_type"], v.get("liquid_cooling_path"), c)
        if not counts(v["cooling_type"], path, c):
            change["liquid_cooling_path"] = c[levels][0]
        return change
    return changes


# ---------------------------------------------------------------- networking


def networking_training(f: Facts, b: dict[str, Band]) -> Outcome:
    uplink, lead = b["uplink_gbps"], b["fiber_lead_time_months"]
    capacity, price = b["power_capacity_mw"], b["power_cost_usd_per_kwh"]
    if f["fiber_on_site"]:
        if uplink.passes(f):
            return Outcome(PASS, lambda: f"Training networking passes: fiber on site, uplink "
                                 f"{f.show('uplink_gbps')} (pass {uplink.bar(f)}).")
        return Outcome(CONDITIONAL, lambda: "Training networking is conditional: fiber on site "
                                    f"but uplink {f.show('uplink_gbps')} (pass {uplink.bar(f)}).",
                       lambda: f"Contract an uplink of {uplink.bar(f)} for dataset and "
                       "checkpoint transfers.")
    if lead.passes(f):
        return Outcome(CONDITIONAL, lambda: "Training networking is conditional: no fiber yet, "
                                    f"quoted lead time {f.show('fiber_lead_time_months')} "
                                    f"(within {show_number(f.rule(lead.pass_key))} months).",
                       "Sign the fiber build now; its lead time sets the earliest start.")
    if capacity.passes(f) and price.passes(f):
        return Outcome(CONDITIONAL, lambda: "Training networking is conditional: no fiber path "
                                    f"(lead time {f.show('fiber_lead_time_months')}), but power "
                                    f"is exceptional ({f.show('power_capacity_mw')} at "
                                    f"{f.show('power_cost_usd_per_kwh')}; bar {capacity.bar(f)} "
                                    f"at {price.bar(f)}).",
                       "Get a firm fiber quote; the power economics justify a long build.")
    return Outcome(FAIL, lambda: "Training networking fails: no fiber on site and lead time "
                         f"{f.show('fiber_lead_time_months')} (conditional within "
                         f"{show_number(f.rule(lead.pass_key))} months).",
                   lambda: "Find a carrier that can light the site within "
                   f"{show_number(f.rule(lead.pass_key))} months.")


def networking_inference(f: Facts, b: dict[str, Band]) -> Outcome:
    carriers, uplink, lead = b["fiber_carriers"], b["uplink_gbps"], b["fiber_lead_time_months"]
    if not f["fiber_on_site"]:
        if lead.passes(f):
            return Outcome(CONDITIONAL, lambda: "Inference networking is conditional: no fiber "
                                        "yet, quoted lead time "
                                        f"{f.show('fiber_lead_time_months')} (within "
                                        f"{show_number(f.rule(lead.pass_key))} months).",
                           "Order diverse fiber now and plan for a 100GE-class upstream.")
        return Outcome(FAIL, lambda: "Inference networking fails: no fiber path in a "
                             "location-sensitive market (no fiber on site, lead time "
                             f"{f.show('fiber_lead_time_months')}; conditional within "
                             f"{show_number(f.rule(lead.pass_key))} months).",
                       "Without a fiber path inference is off the table; pursue training "
                       "instead.")
    diverse = carriers.passes(f)
    fast = f.given("path_to_100g") is True or uplink.passes(f) or f["path_to_100g"]

    def detail() -> str:
        return (f"{f.show('fiber_carriers')} carrier(s) (pass {carriers.bar(f)}), uplink "
                f"{f.show('uplink_gbps')}, path to 100G {f.show('path_to_100g')} (pass needs "
                f"{uplink.bar(f)} or a path to 100G)")

    if diverse and fast:
        return Outcome(PASS, lambda: f"Inference networking passes: fiber on site, {detail()}.")
    missing = [text for ok, text in ((diverse, "a second diverse carrier"),
                                     (fast, "a contracted 100GE-class upstream")) if not ok]
    return Outcome(CONDITIONAL,
                   lambda: f"Inference networking is conditional: fiber on site, {detail()}.",
                   lambda: "Add " + " and ".join(missing) + ".")


def _networking_training_changes(v: dict, r: dict, b: dict[str, Band], least: bool) -> dict:
    return {**_true(v, "fiber_on_site"), **b["uplink_gbps"].fix(v, r)}


def _networking_inference_changes(v: dict, r: dict, b: dict[str, Band], least: bool) -> dict:
    change = {**_true(v, "fiber_on_site"), **b["fiber_carriers"].fix(v, r)}
    if b["uplink_gbps"].fix(v, r) and not v.get("path_to_100g"):
        change["path_to_100g"] = True
    return change


# ---------------------------------------------------------------- operations


def operations_training(f: Facts, b: dict[str, Band]) -> Outcome:
    staff = b["dc_ops_staff"]
    if f["staffing_24x7"]:
        return Outcome(PASS, "Training operations pass: staffed 24x7.")
    if staff.passes(f):
        return Outcome(PASS, lambda: f"Training operations pass: {f.show('dc_ops_staff')} "
                             f"qualified data-center staff (pass {staff.bar(f)}).")
    return Outcome(CONDITIONAL, lambda: "Training operations are conditional: not staffed 24x7 "
                                f"and {f.show('dc_ops_staff')} qualified data-center staff "
                                f"(pass {staff.bar(f)}); constrained to smaller "
                                "configurations.",
                   lambda: f"Hire or contract to {staff.sign} {show_number(f.rule(staff.pass_key))} staff "
                   "qualified on servers, networks and firmware, or staff 24x7.")


def operations_inference(f: Facts, b: dict[str, Band]) -> Outcome:
    if not f["staffing_24x7"]:
        return Outcome(FAIL, "Inference operations fail: not staffed 24x7 with escalation "
                             "(operational ceiling).",
                       "Staff 24x7 with escalation, in house or through a managed-services "
                       "partner; inference is user-facing and continuous.")
    if f["sla_track_record"]:
        return Outcome(PASS, "Inference operations pass: staffed 24x7 with an SLA track record.")
    return Outcome(CONDITIONAL, "Inference operations are conditional: staffed 24x7, no SLA "
                                "track record.",
                   "Build an SLA record (hosting or colocation customers) or partner with an "
                   "operator that has one.")


def _operations_training_changes(v: dict, r: dict, b: dict[str, Band], least: bool) -> dict:
    return {} if v.get("staffing_24x7") else b["dc_ops_staff"].fix(v, r)


def _operations_inference_changes(v: dict, r: dict, b: dict[str, Band], least: bool) -> dict:
    return {**_true(v, "staffing_24x7"), **_true(v, "sla_track_record")}


GATE_NAMES = ("location", "power", "cooling", "networking", "operations")
WORKLOADS = ("training", "inference")


def _power_bands(workload: str) -> tuple[Band, Band]:
    key = f"power.{workload}."
    return (Band("power_capacity_mw", True, key + "pass_min_capacity_mw",
                 key + "conditional_min_capacity_mw"),
            Band("power_cost_usd_per_kwh", False, key + "pass_max_price_usd_per_kwh",
                 key + "conditional_max_price_usd_per_kwh"))


GATES: tuple[Gate, ...] = (
    Gate("location", "training", (), location_training),
    Gate("location", "inference", (
        Band("metro_rtt_ms", False, "location.inference.pass_max_rtt_ms",
             "location.inference.conditional_max_rtt_ms"),
        Band("metro_distance_miles", False, "location.inference.pass_max_distance_miles",
             "location.inference.conditional_max_distance_miles"),
    ), location_inference, any_band=True),
    Gate("power", "training", _power_bands("training"), power_training),
    Gate("power", "inference", _power_bands("inference"), power_inference,
         _power_inference_changes),
    Gate("cooling", "training", (
        Band("rack_density_kw", True, "cooling.training.pass_min_rack_density_kw"),
    ), cooling_training, _cooling_changes("advanced_paths", advanced_path)),
    Gate("cooling", "inference", (
        Band("rack_density_kw", True, "cooling.inference.pass_min_rack_density_kw"),
    ), cooling_inference, _cooling_changes("credible_paths", credible_path)),
    Gate("networking", "training", (
        Band("uplink_gbps", True, "networking.training.min_uplink_gbps"),
        Band("fiber_lead_time_months", False, "networking.training.max_fiber_lead_time_months"),
        Band("power_capacity_mw", True, "networking.training.exceptional_min_capacity_mw"),
        Band("power_cost_usd_per_kwh", False,
             "networking.training.exceptional_max_price_usd_per_kwh"),
    ), networking_training, _networking_training_changes),
    Gate("networking", "inference", (
        Band("fiber_carriers", True, "networking.inference.min_diverse_carriers"),
        Band("uplink_gbps", True, "networking.inference.min_uplink_gbps"),
        Band("fiber_lead_time_months", False,
             "networking.inference.max_fiber_lead_time_months"),
    ), networking_inference, _networking_inference_changes),
    Gate("operations", "training", (
        Band("dc_ops_staff", True, "operations.training.min_dc_ops_staff"),
    ), operations_training, _operations_training_changes),
    Gate("operations", "inference", (), operations_inference, _operations_inference_changes),
)
