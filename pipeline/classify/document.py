"""docs/rules.md's generated parts, read off the gates' bands and the rules file's about
tables (``cog -r docs/rules.md`` writes them; a test fails when they are stale)."""

from __future__ import annotations

from itertools import product
from typing import Any

from pipeline.classify import Classifier
from pipeline.classify.disqualifiers import DISQUALIFIERS
from pipeline.classify.gates import EXTREMES, GATE_NAMES, GATES, INF, Band
from pipeline.classify.results import bucket_of
from pipeline.classify.words import Verdict
from pipeline.contract import BY_NAME, COLUMNS, show_number
from pipeline.rules import Rules, about_entries, as_cell, default_rules


def _bar(band: Band, key: str, rules: dict) -> str:
    return f"{band.sign} {show_number(rules[key])} {about_entries()[key].unit}"


def band_lines(gate_name: str, rules: Rules | None = None) -> str:
    """One line per band of a gate's two workloads: the input, its bars, the rules keys."""
    values = (rules or default_rules()).flat()
    lines = []
    for gate in (g for g in GATES if g.name == gate_name):
        for band in gate.bands:
            if band.conditional_key:
                said = (f"pass {_bar(band, band.pass_key, values)}, conditional "
                        f"{_bar(band, band.conditional_key, values)}, else fail "
                        f"(`{band.pass_key}`, `{band.conditional_key}`)")
            else:
                said = f"meets {_bar(band, band.pass_key, values)} (`{band.pass_key}`)"
            lines.append(f"- {gate.workload}: `{band.column}` {said}")
    return "\n".join(lines)


def rules_table(rules: Rules | None = None) -> str:
    """Every value of the rules file with its unit, meaning, source and as-of date."""
    rules = rules or default_rules()
    lines = ["| key | default | unit | means | source | as of |", "|---|---|---|---|---|---|"]
    for key, value in rules.flat().items():
        about = about_entries()[key]
        shown = show_number(value) if isinstance(value, float) else as_cell(value)
        lines.append(f"| `{key}` | {shown} | {about.unit} | {about.means} | {about.source} "
                     f"| {about.as_of} |")
    return "\n".join(lines)


# A condition of an outcome table: its heading and its options, each a label and the input
# values that make it so.
Condition = tuple[str, tuple[tuple[str, dict], ...]]


def _favourable(rules: Rules) -> dict:
    """A site whose every input is at its most favourable, so that every gate passes: the
    ground an outcome table varies a few inputs on."""
    values = {column.name: None for column in COLUMNS}
    values.update({column: most for column, (_, most) in EXTREMES.items()})
    flat = rules.flat()
    values.update(power_capacity_mw=INF, power_cost_usd_per_kwh=0.0, fiber_on_site=True,
                  staffing_24x7=True, cooling_type=flat["cooling.advanced_cooling_types"][0],
                  power_redundancy=flat["power.inference.redundant_levels"][0])
    return values


def outcome_table(workload: str, gate: str, conditions: list[Condition],
                  rules: Rules | None = None) -> str:
    """A table of the status ``workload``'s ``gate`` gives for every combination of
    ``conditions``, every other input favourable: read off the classifier itself."""
    rules = rules or default_rules()
    classifier, base = Classifier(rules), _favourable(rules)
    lines = ["| " + " | ".join(heading for heading, _ in conditions) + f" | {workload} {gate} |",
             "|" + "---|" * (len(conditions) + 1)]
    for combination in product(*(options for _, options in conditions)):
        values = {**base}
        for _, change in combination:
            values.update(change)
        status = classifier.statuses(values, (workload,), (gate,))[(workload, gate)]
        lines.append("| " + " | ".join(label for label, _ in combination) + f" | {status} |")
    return "\n".join(lines)


def _either(column: str, yes: Any, no: Any) -> tuple[tuple[str, dict], ...]:
    return (("yes", {column: yes}), ("no", {column: no}))


def gate_table(workload: str, gate: str, rules: Rules | None = None) -> str:
    """The outcome table of a gate whose rule is more than its bands, over the conditions
    its rule names (docs/rules.md shows one per gate)."""
    flat = (rules or default_rules()).flat()
    levels = flat["power.inference.redundant_levels"]
    not_redundant = next(c for c in BY_NAME["power_redundancy"].choices if c not in levels)
    bar = flat
    density = f"cooling.{workload}.pass_min_rack_density_kw"
    plain = next(c for c in BY_NAME["cooling_type"].choices  # one no path is assumed for
                 if c not in flat["cooling.advanced_cooling_types"])
    paths = (("advanced", {"cooling_type": plain,
                           "liquid_cooling_path": flat["cooling.advanced_paths"][0]}),
             ("credible, not advanced", {"cooling_type": plain, "liquid_cooling_path": next(
                 p for p in flat["cooling.credible_paths"]
                 if p not in flat["cooling.advanced_paths"])}),
             ("none", {"cooling_type": plain, "liquid_cooling_path": "none"}))
    lead = f"networking.{workload}.max_fiber_lead_time_months"
    uplink = f"networking.{workload}.min_uplink_gbps"
    conditions: dict[tuple[str, str], list[Condition]] = {
        ("inference", "power"): [
            ("redundant supply", _either("power_redundancy", levels[0], not_redundant)),
            ("backup generation", _either("backup_generation", True, False)),
            ("committed curtailment, no mining load to shed", (
                ("yes", {"curtailment_hours_per_year": 1.0, "mining_load_mw": 0.0}),
                ("no", {"curtailment_hours_per_year": 0.0})))],
        ("training", "cooling"): [
            ("density band met", _either("rack_density_kw", bar[density], 0.0)),
            ("liquid path", paths)],
        ("inference", "cooling"): [
            ("density band met", _either("rack_density_kw", bar[density], 0.0)),
            ("liquid path", paths)],
        ("training", "networking"): [
            ("fiber on site", _either("fiber_on_site", True, False)),
            ("uplink band met", _either("uplink_gbps", bar[uplink], 0.0)),
            ("lead-time band met", _either("fiber_lead_time_months", bar[lead], INF)),
            ("exceptional power", (
                ("yes", {}), ("no", {"power_capacity_mw": 0.0})))],
        ("inference", "networking"): [
            ("fiber on site", _either("fiber_on_site", True, False)),
            ("carriers band met", _either(
                "fiber_carriers", bar["networking.inference.min_diverse_carriers"], 0.0)),
            ("uplink band met or path to 100G", (
                ("yes", {}), ("no", {"uplink_gbps": 0.0, "path_to_100g": False}))),
            ("lead-time band met", _either("fiber_lead_time_months", bar[lead], INF))],
        ("training", "operations"): [
            ("staffed 24x7", _either("staffing_24x7", True, False)),
            ("staff band met", _either(
                "dc_ops_staff", bar["operations.training.min_dc_ops_staff"], 0.0))],
        ("inference", "operations"): [
            ("staffed 24x7", _either("staffing_24x7", True, False)),
            ("SLA track record", _either("sla_track_record", True, False))],
    }
    return outcome_table(workload, gate, conditions[(workload, gate)], rules)


def bucket_table() -> str:
    """Each pair of workload verdicts and the bucket it makes, from the classifier."""
    lines = ["| training | inference | bucket |", "|---|---|---|"]
    for training, inference in product(Verdict, Verdict):
        lines.append(f"| {training} | {inference} | {bucket_of(training, inference)} |")
    return "\n".join(lines)


def scores_sentence(rules: Rules | None = None) -> str:
    """How a workload's score adds up, from the rules' ``[scores]``."""
    points = (rules or default_rules())["scores"]
    most = points["pass"] * len(GATE_NAMES)
    return (f"{points['pass']} points a gate (pass {points['pass']}, conditional "
            f"{points['conditional']}, fail {points['fail']}; `[scores]` in the rules file), "
            f"{most} at most per workload.")


def disqualifier_table() -> str:
    """Each disqualifier and the gates whose failure fires it."""
    lines = ["| disqualifier | fires when these gates fail |", "|---|---|"]
    for disqualifier in DISQUALIFIERS:
        gates = ", ".join(f"{workload} {gate}" for workload, gate in disqualifier.when)
        lines.append(f"| {disqualifier.title} | {gates} |")
    return "\n".join(lines)
