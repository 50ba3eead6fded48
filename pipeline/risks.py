"""Deal risks beside the gates: permits, local opposition, water and the country's sanctions
and export-control exposure.

A risk never changes a gate. The rules file (``[deal_risks]``) says which values hold a
site's readiness back, which bar it (the site is Neither) and which are only shown; the
country-risk table it names lives in ``pipeline/data/`` (or at a path of the user's
choosing), with its sources and as-of date. A blank risk column is a data request.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline import bounded
from pipeline.errors import RulesError
from pipeline.rules import Rules

BARS, HOLDS, FLAG = "bars", "holds", "flag"
TOPIC = "deal risks"  # how a data request from this module names what it settles
COUNTRY_LEVELS = ("sanctioned", "license_required", "tariff_unstable")
COUNTRY_FIELDS = ("country", "iso2", "iso3", "aliases", "level", "basis", "source", "as_of")
PREMIUM_FIELDS = ("country", "iso2", "iso3", "rating", "default_spread_pct",
                  "country_risk_premium_pct", "source", "as_of")


@dataclass(frozen=True)
class Risk:
    """One deal risk of a site: what it is about, the value, its effect, and a sentence."""

    topic: str  # permitting | community opposition | water | country
    value: str
    effect: str  # bars | holds | flag
    text: str


@dataclass(frozen=True)
class DealRisks:
    """A site's deal risks and the risk columns to ask the site team for."""

    risks: tuple[Risk, ...] = ()
    requests: tuple[str, ...] = ()

    @property
    def barred(self) -> Risk | None:
        """The risk that makes the site Neither, if any."""
        return next((r for r in self.risks if r.effect == BARS), None)

    @property
    def beyond_inputs(self) -> Risk | None:
        """A risk holding the site back that no change to its inputs lifts: its country's."""
        return next((r for r in self.risks if r.effect == HOLDS and r.topic == "country"), None)

    @property
    def holding(self) -> tuple[Risk, ...]:
        """Risks that keep the site from being ready."""
        return tuple(r for r in self.risks if r.effect in (BARS, HOLDS))


@dataclass(frozen=True)
class CountryRisk:
    """A row of the country-risk table."""

    country: str
    level: str
    basis: str
    source: str
    as_of: str


def assess(values: dict[str, Any], rules: Rules) -> DealRisks:
    """The deal risks of a site given as contract values."""
    r = rules["deal_risks"]
    risks: list[Risk] = []
    requests: list[str] = []
    for column, topic, kind, say in _TOPICS:
        value = values.get(column)
        if value is None:
            requests.append(column)
            continue
        if effect := _effect(r, kind, value):
            risks.append(Risk(topic, value, effect, say(value, values) + _consequence(effect)))
    if values.get("water_stress") in r["flagged_water_stress"] and not values.get("water_source"):
        requests.append("water_source")
    country = values.get("country")
    if country is None:
        requests.append("country")
    elif (found := country_risk(country, r["country_table"])) is not None:
        if effect := _effect(r, "country_levels", found.level):
            risks.append(Risk("country", found.level, effect, _country_text(found, effect)))
    return DealRisks(tuple(risks), tuple(requests))


def release(values: dict[str, Any], rules: Rules) -> dict[str, Any]:
    """The input changes that lift every risk holding the site back: the permit granted, the
    opposition gone. A barred country has none."""
    r = rules["deal_risks"]
    return {column: resolved for column, kind, resolved in (
        ("permitting_status", "permitting", "permitted"),
        ("community_opposition", "opposition", "none"))
        if values.get(column) in r[f"holding_{kind}"]}


def _effect(r: dict, kind: str, value: str) -> str | None:
    """bars, holds or flag: the first rules list of ``kind`` that names ``value``."""
    names = ((f"barred_{kind}", BARS), (f"holding_{kind}", HOLDS), (f"flagged_{kind}", FLAG))
    return next((effect for key, effect in names if value in r.get(key, ())), None)


def _consequence(effect: str) -> str:
    return {HOLDS: " The site is not yet ready until it is resolved.",
            FLAG: " A risk to price in.", BARS: " The site is ruled out."}[effect]


_PERMITS = {"by_right": "Allowed by right", "permitted": "Permitted",
            "pending": "Permits pending", "contested": "Permit contested",
            "moratorium": "Local moratorium on new data centers or mining"}
_OPPOSITION = {"none": "No local opposition", "some": "Some local opposition",
               "organised": "Organised local opposition"}


def _water(value: str, values: dict) -> str:
    source = values.get("water_source")
    return (f"{value.replace('_', '-').capitalize()} baseline water stress"
            f"{f' (water from {source})' if source else ' (water source not given)'}; "
            "closed-loop cooling keeps consumption low.")


_TOPICS = (
    ("permitting_status", "permitting", "permitting", lambda v, _: _PERMITS[v] + "."),
    ("community_opposition", "community opposition", "opposition",
     lambda v, _: _OPPOSITION[v] + "."),
    ("water_stress", "water", "water_stress", _water),
)


_COUNTRY_WHAT = {
    "sanctioned": "under US sanctions",
    "license_required": "a destination that needs a US export licence for data-center GPUs",
    "tariff_unstable": "a country whose utility has raised power tariffs for data centers and "
                       "miners outside its normal tariff cycle"}


def _country_text(found: CountryRisk, effect: str) -> str:
    what = _COUNTRY_WHAT[found.level]
    return (f"{found.country} is {what}.{_consequence(effect)} {found.basis} "
            f"(source: {found.source}; as of {found.as_of}).")


def _fold(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", str(text).lower())


def country_risk(country: str, table: str) -> CountryRisk | None:
    """The country-risk row for ``country`` (a name, ISO code or alias), if it is listed."""
    return country_table(table).get(_fold(country))


@lru_cache(maxsize=4)
def country_table(table: str) -> dict[str, CountryRisk]:
    """The country-risk table by every folded spelling of each country. ``table`` is a file
    name in ``pipeline/data/`` or a path to a CSV with the same columns."""
    where = f"deal_risks.country_table {table!r}"
    by_spelling: dict[str, CountryRisk] = {}
    for line, row in _rows(table, where, COUNTRY_FIELDS):
        if row["level"] not in COUNTRY_LEVELS:
            raise RulesError(f"{where}, line {line}: level {row['level']!r} is not one of "
                             f"{', '.join(COUNTRY_LEVELS)}")
        found = CountryRisk(row["country"], row["level"], row["basis"], row["source"],
                            row["as_of"])
        spellings = [row["country"], row["iso2"], row["iso3"], *row["aliases"].split(";")]
        for spelling in filter(None, map(_fold, spellings)):
            by_spelling[spelling] = found
    return by_spelling


@dataclass(frozen=True)
class CountryPremium:
    """A row of the country-premium table: the country's risk premium over a mature market
    and its sovereign default spread (shares a year), what they rest on (a Moody's rating or
    a PRS score), the source and its as-of month."""

    country: str
    rating: str
    premium: float
    spread: float
    source: str
    as_of: str


def country_premium(country: str, table: str) -> CountryPremium | None:
    """The country-premium row for ``country`` (a name or ISO code), if it is listed."""
    return premium_table(table).get(_fold(country))


@lru_cache(maxsize=4)
def premium_table(table: str) -> dict[str, CountryPremium]:
    """The country-premium table by every folded spelling of each country (name, ISO codes);
    ``table`` as for ``country_table``."""
    where = f"economics.country_premium_table {table!r}"
    by_spelling: dict[str, CountryPremium] = {}
    for line, row in _rows(table, where, PREMIUM_FIELDS):
        try:
            premium = float(row["country_risk_premium_pct"]) / 100
            spread = float(row["default_spread_pct"]) / 100
        except ValueError:
            raise RulesError(f"{where}, line {line}: premium and spread must be numbers "
                             f"(percent), not {row['country_risk_premium_pct']!r} and "
                             f"{row['default_spread_pct']!r}") from None
        if not (0 <= premium < 1 and 0 <= spread < 1):
            raise RulesError(f"{where}, line {line}: premium and spread must be 0-100 %")
        found = CountryPremium(row["country"], row["rating"], premium, spread, row["source"],
                               row["as_of"])
        for spelling in filter(None, map(_fold, (row["country"], row["iso2"], row["iso3"]))):
            by_spelling[spelling] = found
    return by_spelling


def _rows(table: str, where: str, fields: tuple[str, ...]):
    """(line number, row) of the CSV ``table`` (a file name in ``pipeline/data/`` or a path),
    which must have ``fields``."""
    try:
        if "/" in table or "\\" in table:
            text = bounded.read_text(Path(table), bounded.TABLE_MAX_BYTES,
                                     "a country table", RulesError)
        else:
            text = resources.files("pipeline").joinpath("data", table).read_text(
                encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{where}: cannot be read ({exc})") from None
    rows = csv.DictReader(io.StringIO(text))
    if missing := [f for f in fields if f not in (rows.fieldnames or ())]:
        raise RulesError(f"{where}: missing columns {', '.join(missing)}")
    return enumerate(rows, start=2)
