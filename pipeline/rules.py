"""The rules file: every gate threshold in one TOML file, overridable with ``--rules``.

The shipped ``rules.toml`` holds the defaults. A user file may set any subset of
its keys; unknown keys and values of the wrong type are errors, so a typo never
silently falls back to a default. A run records the values in force and their hash.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.geo import TABLE_MIN_POPULATION

DEFAULT_SOURCE = "sitefit default rules"


class RulesError(Exception):
    """The rules file cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class Rules:
    """Thresholds in force, where they came from, and a hash that identifies them."""

    values: dict[str, Any]
    source: str

    @property
    def sha256(self) -> str:
        canonical = json.dumps(self.values, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.values[section]

    def cells(self) -> dict[str, Any]:
        """Every value under its dotted key, lists and tables as text and numbers as numbers:
        what a spreadsheet cell holds."""
        return {key: as_cell(value) for key, value in self.flat().items()}

    def flat(self) -> dict[str, Any]:
        """Every value under its dotted key: ``power.training.pass_min_capacity_mw``."""
        out: dict[str, Any] = {}

        def walk(prefix: str, node: Any) -> None:
            if isinstance(node, dict) and not _is_leaf_table(prefix):
                for key, value in node.items():
                    walk(f"{prefix}.{key}" if prefix else key, value)
            else:
                out[prefix] = node

        walk("", self.values)
        return out


def _is_leaf_table(key: str) -> bool:
    """Tables that are one value (a mapping a user replaces whole), not a section."""
    return key == "cooling.default_path_by_cooling_type"


def default_rules() -> Rules:
    text = resources.files("pipeline").joinpath("rules.toml").read_text(encoding="utf-8")
    return Rules(tomllib.loads(text), DEFAULT_SOURCE)


def load_rules(path: Path | None = None, base: Rules | None = None) -> Rules:
    """``base`` (the default rules unless given), with the keys set in ``path`` replacing
    theirs."""
    rules = base or default_rules()
    if path is None:
        return rules
    path = Path(path)
    try:
        override = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RulesError(f"{_where(path)}: no such file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"{_where(path)}: cannot be read as TOML ({exc})") from None
    merged = _merge(rules.values, override, path, "")
    _check_order(merged, path)
    return Rules(merged, str(path))


def _where(path: Path | str) -> str:
    return f"rules file {path}" if isinstance(path, Path) else str(path)


def with_settings(rules: Rules, settings: list[str]) -> Rules:
    """``rules`` with ``KEY=VALUE`` settings applied, as ``--set power.training.x=0.06`` gives.

    A value is read as TOML (``0.06``, ``["N+1", "2N"]``, ``"text"``); a bare word is text.
    """
    override: dict[str, Any] = {}
    for setting in settings:
        key, sep, text = setting.partition("=")
        if not sep or not key.strip():
            raise RulesError(f"--set {setting!r}: write it as KEY=VALUE, like "
                             "power.training.pass_max_price_usd_per_kwh=0.06")
        try:
            value = tomllib.loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = text.strip()
        node = override
        *parents, leaf = key.strip().split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    if not settings:
        return rules
    where = f"--set {' '.join(settings)}"
    merged = _merge(rules.values, override, where, "")
    _check_order(merged, where)
    return Rules(merged, f"{rules.source} with {', '.join(settings)}")


def _merge(default: dict, override: dict, path: Path | str, prefix: str) -> dict:
    merged = dict(default)
    for key, value in override.items():
        dotted = f"{prefix}{key}"
        if key not in default:
            known = ", ".join(sorted(default))
            raise RulesError(f"{_where(path)}: unknown key {dotted!r} (known here: {known})")
        wanted = default[key]
        if isinstance(wanted, dict) and not _is_leaf_table(dotted):
            if not isinstance(value, dict):
                raise RulesError(f"{_where(path)}: {dotted} must be a table")
            merged[key] = _merge(wanted, value, path, dotted + ".")
        elif not _same_type(wanted, value):
            raise RulesError(f"{_where(path)}: {dotted} = {value!r}: expected "
                             f"{_type_name(wanted)} like {wanted!r}")
        elif isinstance(value, (int, float)) and value < 0:
            raise RulesError(f"{_where(path)}: {dotted} = {value!r}: must not be negative")
        else:
            merged[key] = value
    return merged


def _same_type(wanted: Any, value: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(value, bool):
        return isinstance(wanted, bool) and isinstance(value, bool)
    if isinstance(wanted, (int, float)):
        return isinstance(value, (int, float))
    return type(wanted) is type(value)


def _type_name(value: Any) -> str:
    return {list: "a list", dict: "a table", str: "text"}.get(type(value), "a number")


# (looser, stricter, "looser must be at most/least stricter") pairs a file must respect.
_ORDER = [
    ("location.inference.conditional_max_rtt_ms", "location.inference.pass_max_rtt_ms", ">="),
    ("location.inference.conditional_max_distance_miles",
     "location.inference.pass_max_distance_miles", ">="),
    ("power.training.conditional_min_capacity_mw", "power.training.pass_min_capacity_mw", "<="),
    ("power.training.conditional_max_price_usd_per_kwh",
     "power.training.pass_max_price_usd_per_kwh", ">="),
    ("power.inference.conditional_min_capacity_mw", "power.inference.pass_min_capacity_mw", "<="),
    ("power.inference.conditional_max_price_usd_per_kwh",
     "power.inference.pass_max_price_usd_per_kwh", ">="),
    ("scores.conditional", "scores.pass", "<="),
    ("scores.fail", "scores.conditional", "<="),
]


def _check_order(values: dict, path: Path | str) -> None:
    flat = Rules(values, str(path)).flat()
    for key, value in flat.items():
        if key.startswith("economics.") and isinstance(value, list) and (
                len(value) != 3 or not all(isinstance(x, (int, float)) for x in value)
                or sorted(value) != value):
            raise RulesError(f"{_where(path)}: {key} = {value!r}: give [low, base, high] "
                             "numbers, in that order")
    smallest = flat["location.enrichment.metro_min_population"]
    if smallest < TABLE_MIN_POPULATION:
        raise RulesError(f"{_where(path)}: location.enrichment.metro_min_population = "
                         f"{smallest}: the bundled metro table starts at "
                         f"{TABLE_MIN_POPULATION:,} people")
    for looser, stricter, relation in _ORDER:
        a, b = flat[looser], flat[stricter]
        if (relation == ">=" and a < b) or (relation == "<=" and a > b):
            raise RulesError(f"{_where(path)}: {looser} = {a} must be {relation} "
                             f"{stricter} = {b}, or the conditional band is empty")


# How each rule reads to a person: its unit (from the key's ending) and where the default
# comes from (by the longest matching key prefix). Documentation only: values live in
# rules.toml.
UNITS = {"_musd_per_it_mw": "M USD per MW of IT", "_musd_per_mw": "M USD per MW",
         "_per_kw_month": "USD per kW-month", "_per_ph_day": "USD per PH/s-day",
         "_j_per_th": "J/TH", "_population": "people", "_per_km": "us/km", "_ms": "ms", "_miles": "miles", "_mw": "MW", "_usd_per_kwh": "USD/kWh", "_kw": "kW",
         "_gbps": "Gbit/s", "_months": "months", "_feeds": "feeds", "_carriers": "carriers",
         "_staff": "people"}
SOURCES = {
    "location.enrichment": "Metro populations: US Census Bureau 2019 metro estimates and "
                           "GeoNames agglomerations (pipeline/data/METROS-SOURCE.md); fiber "
                           "routes 1.3-2.1x the straight line (arXiv 1811.10737)",
    "location": "Hashrate Index: an edge band of about 100 miles of a major metro; fiber adds "
                "~5 us/km one way over routes 1.3-2.1x the straight line (arXiv 1811.10737)",
    "power.training": "CBRE H1 2023: AI tenants seek 5-25 MW; miners' bar is power under "
                      "50 USD/MWh",
    "power.inference": "Inference trades price for reliability: US industrial average ~0.08 "
                       "USD/kWh (EIA 2023); Uptime tiers tie availability to N+1 and 2N",
    "cooling": "Room air tops out near 10-20 kW a rack; direct-to-chip runs 50-150 kW; a GB200 "
               "NVL72 rack draws ~120-132 kW",
    "networking": "Hashrate Index: inference needs diverse carriers and a path to 100GE; new "
                  "fiber routes take six months to two years",
    "operations": "Hashrate Index: 24x7 operations with escalation, or a qualified team",
    "scores": "sitefit: 20 points a gate, an unknown at its least favourable status",
    "economics": "Public figures: AI/HPC build-out 8-11 M USD per MW vs 0.3-0.8 for mining; "
                 "AI leases ~120-185 USD per kW-month; hashprice 30-40 USD/PH/s per day; a "
                 "conversion of 244 MW gross to 168 MW critical IT; liquid-cooled PUE ~1.2",
}
GATE_SECTIONS = ("location", "power", "cooling", "networking", "operations", "scores",
                 "economics")


def _unit(key: str) -> str:
    return next((u for suffix, u in UNITS.items() if key.endswith(suffix)), "")


def _source(key: str) -> str:
    prefixes = sorted((p for p in SOURCES if key.startswith(p)), key=len, reverse=True)
    return SOURCES[prefixes[0]] if prefixes else ""


def describe(rules: Rules) -> str:
    """The rules in force, grouped by gate, with units and the source of each default."""
    lines = [f"Rules in force: {rules.source} (sha256 {rules.sha256})"]
    flat = rules.flat()
    for section in GATE_SECTIONS:
        lines += ["", section.capitalize()]
        sources: list[str] = []
        for key, value in flat.items():
            if key.split(".")[0] != section:
                continue
            lines.append(f"  {key.split('.', 1)[1]:<52} {_shown(value)} {_unit(key)}".rstrip())
            if (source := _source(key)) and source not in sources:
                sources.append(source)
        lines += [f"  source: {source}" for source in sources]
    return "\n".join(lines) + "\n"


def as_cell(value: Any) -> Any:
    """A rule value for a table cell: a list or table as one line of text, else as it is."""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return value


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(as_cell(value))


def to_toml(rules: Rules) -> str:
    """The rules in force as a TOML file that ``--rules`` accepts back unchanged."""
    import tomli_w

    header = (f"# sitefit rules, written from: {rules.source}\n# sha256 of these values: "
              f"{rules.sha256}\n# Edit any value and pass this file with --rules; keys you "
              "delete keep their defaults.\n\n")
    return header + tomli_w.dumps(rules.values)
