"""A site's conversion as the model reads it: its phases (the power energized today, an
inference block for a Hybrid, the power still to come), when each can earn, whether the
board commits it now or holds it as an option, and the priced fixes to ready."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline import climate, timeline
from pipeline.classify import SiteResult, bucket_workloads
from pipeline.classify.gates import redundant_supply
from pipeline.contract import show_number
from pipeline.rules import Rules

LOW, BASE, HIGH = 0, 1, 2

# Where a plan's months until the later power come from: the site's time_to_power_months,
# the estimate for its interconnection status, or the rules' default.
GIVEN, ESTIMATED, DEFAULT = "given", "estimated", "default"

# The phase slots of every plan, in this order (a slot a plan does not use has 0 MW).
ENERGIZED, BLOCK, LATER = 0, 1, 2
PHASE_NAMES = ("energized", "inference block", "later")

# The workload a Hybrid site is valued for when it leases an inference block and trains on
# the rest.
SPLIT = "hybrid"


@dataclass(frozen=True)
class ReadyLine:
    """What one gate short of pass would cost to fix: one-off M USD (low, base, high), or a
    yearly cost, or nothing money can buy (``price`` None)."""

    gate: str
    fix: str
    price: tuple[float, float, float] | None
    yearly: bool = False
    in_build: bool = False  # already inside the build capex (the cooling retrofit)

    def text(self) -> str:
        if self.price is None:
            return f"{self.gate}: {self.fix} (not priced)"
        base = show_number(round(self.price[BASE], 2))
        return (f"{self.gate}: {self.fix} {base} M USD" + (" a year" if self.yearly else "")
                + (" (in the build capex)" if self.in_build else ""))


@dataclass(frozen=True)
class Phase:
    """One block of halls: the power it takes, the design it is built to, its critical IT."""

    workload: str
    design: str
    pue: float
    pue_from: str  # the design PUE in words: flat, or moved by the site's cooling climate
    power_mw: float  # the power its halls take, after the mining kept
    it_mw: float
    later: bool  # on power not yet energized


@dataclass(frozen=True)
class Plan:
    """One site's conversion for one workload (training, inference, or the Hybrid split)."""

    site: SiteResult
    workload: str
    phases: tuple[Phase, Phase, Phase]  # ENERGIZED, BLOCK, LATER
    energized_mw: float  # power energized today
    kept_mw: float  # mining load kept as flexible load
    mined_mw: float  # the mining load that loses its power to the halls: what is given up
    later_mw: float  # power not yet energized: the rest of the capacity, and the expansion
    later_committed: bool  # its interconnection approved (or energized): built now
    power_cost: float  # USD/kWh
    time_to_power: tuple[float, float, float]  # months until the later power is energized
    cooling_ready: bool  # the cooling gate passes today: the halls need no retrofit
    ready: tuple[ReadyLine, ...]
    power: timeline.PowerTimeline  # the site's power timeline, which settles energized_mw
    time_to_power_from: str  # GIVEN, ESTIMATED (from the status) or DEFAULT

    @property
    def design(self) -> str:
        """The design of the main halls (training's for a split)."""
        return self.phases[ENERGIZED].design if self.energized_mw else self.phases[LATER].design


def candidates(results: list[SiteResult], rules: Rules) -> list[Plan]:
    """Every plan the sites of ``results`` that are not Neither are valued for, with power
    to give to AI: their bucket's workloads, and a Hybrid's split."""
    return [p for s in results for w in workloads(s, rules)
            if (p := plan(s, w, rules)).energized_mw - p.kept_mw + p.later_mw > 0]


def workloads(site: SiteResult, rules: Rules) -> list[str]:
    """The workloads a site is valued for: its bucket's; for a Hybrid whose power goes past
    the inference block the market leases, training and the split (an inference block,
    training for the rest), never inference alone, which no tenant leases at that size. The
    headline and the plan both read these, so the rule lives here only."""
    found = list(bucket_workloads(site.bucket))
    if set(found) == {"training", "inference"}:
        v = site.values
        power = v["power_capacity_mw"] + (v.get("power_expansion_mw") or 0.0)
        if power > rules["scale"]["enterprise_max_mw"]:
            return ["training", SPLIT]
    return found


def plan(site: SiteResult, workload: str, rules: Rules) -> Plan:
    """Read a site's values for converting it to ``workload`` (or ``SPLIT``). The MW
    energized today and the months until the rest come from the site's power timeline, as
    readiness reads them."""
    e, v = rules["economics"], site.values
    power = site.power_timeline or timeline.assess(v, rules)
    capacity = v["power_capacity_mw"]
    energized = min(capacity, power.energized_floor)
    kept = min(energized, (v.get("mining_load_mw") or 0.0) * e["mining_kept_share"])
    later = capacity - energized + (v.get("power_expansion_mw") or 0.0)
    waits, source = time_to_power(v, power, rules)
    main = "training" if workload == SPLIT else workload
    now = energized - kept
    load = v.get("mining_load_mw")
    # the miners the halls displace: none where the site runs none; all of the power the
    # halls take where the site does not say (the mining business as it was assumed)
    mined = max(0.0, now) if load is None else max(0.0, min(load - kept, now))
    block = 0.0
    if workload == SPLIT:  # the inference block comes first from the power energized today
        block = min(rules["scale"]["enterprise_max_mw"], now if now > 0 else later)
    block_later = workload == SPLIT and now <= 0
    phases = (_phase(main, now - (0.0 if block_later else block), False, v, rules),
              _phase("inference", block, block_later, v, rules),
              _phase(main, later - (block if block_later else 0.0), True, v, rules))
    status = v.get("interconnection_status")
    committed = status in rules["time_to_power"]["committed_statuses"]
    return Plan(site, workload, phases, energized, kept, mined, later, committed,
                v["power_cost_usd_per_kwh"], waits,
                site.gate(main, "cooling").status == "pass",
                _ready_lines(site, main, phases, rules), power, source)


def _phase(workload: str, power_mw: float, later: bool, values: dict[str, Any],
           rules: Rules) -> Phase:
    """A block of ``workload`` halls on ``power_mw``, at the design PUE of the site's climate."""
    e = rules["economics"]
    design = e[f"design_cooling_{workload}"]
    pue, pue_from = climate.design_pue(values, design, rules)
    return Phase(workload, design, pue, pue_from, power_mw,
                 power_mw / pue * (1 - e[f"reserve_{workload}"]), later)


def time_to_power(values: dict[str, Any], power: timeline.PowerTimeline,
                  rules: Rules) -> tuple[tuple[float, float, float], str]:
    """Whole months until the later power (low, base, high) and where they come from: the
    timeline's months (the site's ``time_to_power_months``, GIVEN, or the estimate for its
    interconnection status, ESTIMATED), else ``[economics].time_to_power_months``
    (DEFAULT). For an expansion of a site whose capacity is all energized, the timeline's
    months for the expansion."""
    pending = power.energized_mw is None or power.energized_mw < power.capacity_mw
    months, estimated = ((power.months_to_power, power.months_estimated) if pending else
                         (power.months_to_expansion, power.expansion_estimated))
    if months is not None:
        return (float(round(months)),) * 3, ESTIMATED if estimated else GIVEN
    low, base, high = rules["economics"]["time_to_power_months"]
    return (float(low), float(base), float(high)), DEFAULT


def _ready_lines(site: SiteResult, workload: str, phases: tuple[Phase, ...],
                 rules: Rules) -> tuple[ReadyLine, ...]:
    """A priced fix for each gate of ``workload`` short of pass (an unknown gate is priced as
    if the missing value were the unfavourable one). The cooling retrofit is priced on the
    halls of the power energized today, or where none is, on the halls the site will have."""
    e, v = rules["economics"], site.values
    ai_mw = sum(p.power_mw for p in phases)
    lines = []
    short = {g for g, r in getattr(site, workload).gates.items() if r.status != "pass"}
    if "location" in short:
        lines.append(ReadyLine("location", "distance to the metro", None))
    if "power" in short:
        if workload == "inference":
            redundancy, feeds = v.get("power_redundancy"), v.get("utility_feeds")
            t = rules["power"]["inference"]
            if (redundancy is None and feeds is None) or not redundant_supply(
                    redundancy, feeds, t["redundant_levels"], t["redundant_min_utility_feeds"]):
                lines.append(ReadyLine("power", "second utility feed",
                                       tuple(e["ready_second_feed_musd"])))
            if v.get("backup_generation") is not True:
                lines.append(ReadyLine("power", f"generators for {show_number(round(ai_mw, 1))}"
                                       " MW", tuple(x * ai_mw for x in
                                                    e["ready_generators_musd_per_mw"])))
        if not lines or lines[-1].gate != "power":
            lines.append(ReadyLine("power", "capacity or price", None))
    if "cooling" in short:
        share = e["cooling_share_of_capex"]
        halls = [p for p in phases if not p.later and p.it_mw > 0] or \
            [p for p in phases if p.it_mw > 0]
        design = halls[0].design if halls else phases[ENERGIZED].design
        lines.append(ReadyLine("cooling", f"{design}-cooling retrofit",
                               tuple(sum(p.it_mw * e[f"capex_musd_per_it_mw_{p.design}"][k]
                                         for p in halls) * share for k in range(3)),
                               in_build=True))
    if "networking" in short:
        lines.append(ReadyLine("networking", "fiber build and a second carrier",
                               tuple(e["ready_fiber_musd"])))
    if "operations" in short:
        if v.get("staffing_24x7") is not True:
            lines.append(ReadyLine("operations", "24x7 operations team",
                                   tuple(e["ready_ops_team_musd_per_year"]), yearly=True))
        else:
            lines.append(ReadyLine("operations", "SLA track record", None))
    return tuple(lines)


def status_words(p: Plan) -> str:
    status = p.site.values.get("interconnection_status")
    return timeline.STATUS_WORDS.get(status, "interconnection status not given")


def wait_words(p: Plan, rules: Rules) -> str:
    """The months until the later power, and where they come from."""
    n, months = show_number, p.time_to_power[BASE]
    if p.time_to_power_from == GIVEN:
        return f"power in {n(months)} months, as the site gives"
    if p.time_to_power_from == ESTIMATED:
        return f"power in about {n(months)} months, estimated for {status_words(p)}"
    low, _, high = rules["economics"]["time_to_power_months"]
    status = p.site.values.get("interconnection_status")
    why = ("no time to power or interconnection status given" if status is None else
           f"no time to power given and no estimate for interconnection_status {status}")
    return f"power in {n(months)} months ({n(low)}-{n(high)}), the default: {why}"
