"""docs/rules.md's generated parts, read off the gates' bands and the rules file's about
tables (``cog -r docs/rules.md`` writes them; a test fails when they are stale)."""

from __future__ import annotations

from pipeline.classify.gates import GATES, Band
from pipeline.contract import show_number
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
