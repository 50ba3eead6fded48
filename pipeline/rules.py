"""The rules file: every gate threshold in one TOML file, overridable with ``--rules``.

The shipped ``rules.toml`` holds the defaults. A user file may set any subset of
its keys; unknown keys and values of the wrong type are errors, so a typo never
silently falls back to a default. A run records the values in force and their hash.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline import bounded
from pipeline.contract import BY_NAME
from pipeline.errors import RulesError
from pipeline.geo import TABLE_MIN_POPULATION

DEFAULT_SOURCE = "sitefit default rules"


@dataclass(frozen=True)
class About:
    """What a rule value is, from its ``[about."<dotted.key>"]`` table in rules.toml."""

    unit: str
    source: str
    as_of: str
    means: str


ABOUT_FIELDS = ("unit", "source", "as_of", "means")


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
        return _flatten(self.values, about_entries())

    def about(self, key: str) -> About:
        """The unit, source, as-of date and meaning of the default at dotted ``key``."""
        return about_entries()[key]


def _flatten(values: dict, leaves: dict[str, Any]) -> dict[str, Any]:
    """Values under dotted keys; a table is one value (replaced whole) when ``leaves`` has
    an about entry for it, else a section."""
    out: dict[str, Any] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict) and prefix not in leaves:
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else key, value)
        else:
            out[prefix] = node

    walk("", values)
    return out


def _is_leaf_table(key: str) -> bool:
    """Tables that are one value (a mapping a user replaces whole), not a section."""
    return key in about_entries()


@cache
def _shipped() -> tuple[dict[str, Any], dict[str, About]]:
    return parse_defaults(
        resources.files("pipeline").joinpath("rules.toml").read_text(encoding="utf-8"))


def parse_defaults(text: str) -> tuple[dict[str, Any], dict[str, About]]:
    """A defaults file's values, and its about tables, checked to describe every value."""
    values = tomllib.loads(text)
    tables = values.pop("about", {})
    where = "pipeline/rules.toml"
    keys = _flatten(values, tables)
    if missing := [key for key in keys if key not in tables]:
        raise RulesError(f"{where}: no [about.\"KEY\"] table (unit, source, as_of, means) "
                         f"for {', '.join(missing)}")
    if orphans := [key for key in tables if key not in keys]:
        raise RulesError(f"{where}: [about] tables for keys that hold no value: "
                         f"{', '.join(orphans)}")
    for key, table in tables.items():
        if sorted(table) != sorted(ABOUT_FIELDS) or not all(
                isinstance(v, str) and v.strip() for v in table.values()):
            raise RulesError(f"{where}: [about.\"{key}\"] needs exactly "
                             f"{', '.join(ABOUT_FIELDS)}, each non-empty text")
    return values, {key: About(**table) for key, table in tables.items()}


def about_entries() -> dict[str, About]:
    """Every default rule's unit, source, as-of date and meaning, by dotted key."""
    return _shipped()[1]


def default_rules() -> Rules:
    return Rules(copy.deepcopy(_shipped()[0]), DEFAULT_SOURCE)


def load_rules(path: Path | None = None, base: Rules | None = None) -> Rules:
    """``base`` (the default rules unless given), with the keys set in ``path`` replacing
    theirs."""
    rules = base or default_rules()
    if path is None:
        return rules
    path = Path(path)
    override = bounded.read_toml(path, _where(path), "a rules file", RulesError)
    _check_about_unchanged(override.pop("about", {}), path)
    merged = _merge(rules.values, override, path, "")
    _check_order(merged, path)
    return Rules(merged, str(path))


def _check_about_unchanged(tables: Any, path: Path) -> None:
    """A rules file may carry the shipped ``[about]`` tables (a copy of rules.toml does), but
    not change them: they describe sitefit's defaults, and a run must never report a source
    for a value that its author edited."""
    shipped = about_entries()
    for key, table in (tables.items() if isinstance(tables, dict) else [("", tables)]):
        if key not in shipped or table != vars(shipped[key]):
            raise RulesError(f"{_where(path)}: [about.\"{key}\"] differs from sitefit's own: "
                             "about tables describe the defaults and cannot be set; say where "
                             "your value comes from in a comment")


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
        except RecursionError:
            raise RulesError(f"--set {key.strip()}: the value is nested too deeply to read as "
                             "TOML") from None
        if key.strip().split(".")[0] == "about":
            raise RulesError(f"--set {setting!r}: about tables describe the defaults and "
                             "cannot be set")
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
        if key not in default and key in ("countries", "regions") and \
                prefix.startswith("time_to_power.large_load_regimes."):
            raise RulesError(f"{_where(path)}: {dotted}: large-load regimes now key on the grid "
                             f"operator: replace countries and regions with grid_operators, "
                             f"like grid_operators = [\"ERCOT\"]")
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
        elif not _finite(value):
            raise RulesError(f"{_where(path)}: {dotted} = {value!r}: must be "
                             f"{'finite numbers' if isinstance(value, list) else 'a finite number'}")
        elif isinstance(value, (int, float)) and value < 0:
            raise RulesError(f"{_where(path)}: {dotted} = {value!r}: must not be negative")
        elif (largest := _largest(dotted, value)) is not None:
            unit = about_entries()[dotted].unit
            raise RulesError(f"{_where(path)}: {dotted} = {_short(value)}: must be at most "
                             f"{largest:,.0f}{' ' + unit if unit in _MOST_BY_UNIT else ''}")
        else:
            _check_choices(dotted, value, path)
            merged[key] = value
    return merged


def _same_type(wanted: Any, value: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(value, bool):
        return isinstance(wanted, bool) and isinstance(value, bool)
    if isinstance(wanted, (int, float)):
        return isinstance(value, (int, float))
    if isinstance(wanted, list) and wanted and isinstance(value, list):
        return all(_same_type(wanted[0], item) for item in value)
    if isinstance(wanted, dict) and wanted and isinstance(value, dict):
        first = next(iter(wanted.values()))
        return all(_same_type(first, item) for item in value.values())
    return type(wanted) is type(value)


def _finite(value: Any) -> bool:
    if isinstance(value, list):
        return all(map(_finite, value))
    return not isinstance(value, float) or math.isfinite(value)


# The most a number may be, by its unit: a longer horizon or more draws would ask for more
# memory than any machine has (a lease of 10,000 years is months x sites of cash flows).
_MOST_BY_UNIT = {"years": 99, "months": 600, "months by interconnection_status": 600,
                 "draws": 100_000, "seconds": 86_400, "calendar years": 2200,
                 "nodes": 2_000_000_000, "share by interconnection_status": 1}
_MOST = 1e15  # any other number: beyond it, arithmetic on floats loses whole units


def _largest(dotted: str, value: Any) -> float | None:
    """The most ``value`` at ``dotted`` may be, if it is more; else None."""
    most = _MOST_BY_UNIT.get(about_entries()[dotted].unit, _MOST)
    numbers = (value if isinstance(value, list) else list(value.values())
               if isinstance(value, dict) else [value])
    too_large = any(isinstance(n, (int, float)) and not isinstance(n, bool) and abs(n) > most
                    for n in numbers)
    return most if too_large else None


def _short(value: Any) -> str:
    """A value as a message quotes it: a 400-digit number by its size, not in full."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text):,} characters)"


# A list rule whose unit reads "COLUMN values", a text rule whose unit reads "COLUMN value",
# or a table rule whose unit reads "COLUMN = COLUMN", holds choices of those input columns
# (pipeline/contract.py).
_LIST_OF_CHOICES = re.compile(r"(\w+) values")
_ONE_CHOICE = re.compile(r"(\w+) value")
_TABLE_OF_CHOICES = re.compile(r"(\w+) = (\w+)")


def _check_choices(dotted: str, value: Any, path: Path | str) -> None:
    unit = about_entries()[dotted].unit
    if isinstance(value, list) and (match := _LIST_OF_CHOICES.fullmatch(unit)):
        pairs = [(match[1], item) for item in value]
    elif isinstance(value, str) and (match := _ONE_CHOICE.fullmatch(unit)):
        pairs = [(match[1], value)]
    elif isinstance(value, dict) and (match := _TABLE_OF_CHOICES.fullmatch(unit)):
        pairs = [(column, item) for key, item in value.items()
                 for column, item in ((match[1], key), (match[2], item))]
    else:
        return
    for column, item in pairs:
        choices = BY_NAME[column].choices
        if item not in choices:
            raise RulesError(f"{_where(path)}: {dotted}: {item!r} is not a {column} value "
                             f"({', '.join(choices)})")


def _type_name(value: Any) -> str:
    if isinstance(value, list) and value:
        return "a list of " + ("text" if isinstance(value[0], str) else "numbers")
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
        if key.endswith("_date") and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(value)):
            raise RulesError(f"{_where(path)}: {key} = {value!r}: give a year and month, "
                             "like 2027-01")
        if key.startswith("economics.design_cooling_") and value not in ("liquid", "air"):
            raise RulesError(f"{_where(path)}: {key} = {value!r}: liquid or air")
        if key.startswith("economics.") and isinstance(value, list) and (
                len(value) != 3 or not all(isinstance(x, (int, float)) for x in value)
                or sorted(value) != value):
            raise RulesError(f"{_where(path)}: {key} = {value!r}: give [low, base, high] "
                             "numbers, in that order")
    bands = set(flat["climate.pue_adjustment_liquid"]) & set(flat["climate.pue_adjustment_air"])
    for zone, band in flat["climate.band_by_zone"].items():
        if band not in bands:
            raise RulesError(f"{_where(path)}: climate.band_by_zone: {zone} = {band!r} has no "
                             "PUE adjustment for both designs "
                             f"(bands: {', '.join(sorted(bands))})")
    for design in ("liquid", "air"):
        for band, step in flat[f"climate.pue_adjustment_{design}"].items():
            if flat[f"economics.pue_{design}"] + step < 1.0:
                raise RulesError(f"{_where(path)}: climate.pue_adjustment_{design}: {band} = "
                                 f"{step} takes economics.pue_{design} below 1")
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


def describe(rules: Rules) -> str:
    """The rules in force, section by section: each value with its unit, what it means, and
    where the default comes from (or which file or setting replaced it)."""
    lines = [f"Rules in force: {rules.source} (sha256 {rules.sha256})"]
    defaults = default_rules().flat()
    section = None
    for key, value in rules.flat().items():
        head, rest = key.split(".", 1)
        if head != section:
            section = head
            lines += ["", head.capitalize()]
        info = rules.about(key)
        source = (f"{info.source} (as of {info.as_of})" if value == defaults[key]
                  else f"set by {rules.source}; the default is {_shown(defaults[key])}")
        lines += [f"  {rest:<52} {_shown(value)} {info.unit}".rstrip(),
                  f"      {info.means}", f"      source: {source}"]
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


def with_values(rules: Rules, override: dict[str, Any], where: str) -> Rules:
    """``rules`` with the values of ``override`` (tables as a rules file holds them) replacing
    theirs, checked as a rules file's are; errors name ``where`` (a file and what it is)."""
    merged = _merge(rules.values, override, where, "")
    _check_order(merged, where)
    return Rules(merged, f"{rules.source} with {where}")
