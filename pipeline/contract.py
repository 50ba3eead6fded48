"""The input contract: canonical columns, their kinds, units, ranges and header aliases.

This module is the single description of the spreadsheet a finance team fills in
(see ``shared/input-contract.md``). The loader matches headers with it, the parser
converts values with it, the Pandera schema checks ranges from it, and the writers
label columns with it.
"""

from __future__ import annotations

import functools

import re
from dataclasses import dataclass

TEXT, NUMBER, COUNT, BOOL, ENUM, MONTH = "text", "number", "count", "bool", "enum", "month"


@dataclass(frozen=True)
class Unit:
    """A unit a person may type, as a kind and a factor to that kind's base unit."""

    kind: str
    factor: float


# Base units: power W, price USD/kWh, distance mile, time second, bandwidth Gbit/s.
UNITS: dict[str, Unit] = {
    **{u: Unit("power", f) for u, f in {"w": 1.0, "kw": 1e3, "mw": 1e6, "gw": 1e9}.items()},
    **{u: Unit("price", f) for u, f in {"$/kwh": 1.0, "c/kwh": 0.01, "$/mwh": 0.001}.items()},
    **{u: Unit("distance", f) for u, f in {"mi": 1.0, "mile": 1.0, "miles": 1.0,
                                           "km": 0.621371192237334}.items()},
    **{u: Unit("time", f) for u, f in {
        "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "sec": 1.0, "min": 60.0,
        "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
        "h/yr": 3600.0, "hrs/yr": 3600.0, "hours/yr": 3600.0, "hours/year": 3600.0,
        "day": 86400.0, "days": 86400.0, "wk": 604800.0, "week": 604800.0, "weeks": 604800.0,
        "mo": 2629746.0, "month": 2629746.0, "months": 2629746.0,
        "yr": 31556952.0, "year": 31556952.0, "years": 31556952.0}.items()},
    **{u: Unit("bandwidth", f) for u, f in {
        "mbps": 1e-3, "mbit/s": 1e-3, "gbps": 1.0, "gbit/s": 1.0, "gb/s": 1.0, "g": 1.0,
        "ge": 1.0, "gbe": 1.0, "tbps": 1e3, "tbit/s": 1e3}.items()},
    **{u: Unit("angle", 1.0) for u in ("°", "deg", "degrees")},
    **{u: Unit("rent", f) for u, f in {
        "$/kw-month": 1.0, "$/kw/month": 1.0, "$/kw-mo": 1.0, "$/kw/mo": 1.0,
        "$/kwmonth": 1.0, "$/kw-mth": 1.0, "$/mw-month": 1e-3, "$/mw/month": 1e-3}.items()},
    **{u: Unit("share", 1.0) for u in ("%", "%/yr", "%/year", "%ayear", "%pa", "%peryear")},
    **{u: Unit("money", f) for u, f in {"$": 1e-6, "k$": 1e-3, "m$": 1.0, "$m": 1.0,
                                        "mm$": 1.0, "$mm": 1.0, "b$": 1e3, "$b": 1e3,
                                        "$bn": 1e3, "bn$": 1e3}.items()},
    **{u: Unit("money a year", f) for u, f in {
        "m$/yr": 1.0, "m$/year": 1.0, "$m/yr": 1.0, "k$/yr": 1e-3, "k$/year": 1e-3,
        "$/yr": 1e-6, "$/year": 1e-6, "$/y": 1e-6, "m$/y": 1.0}.items()},
    **{u: Unit("efficiency", 1.0) for u in ("j/th", "w/th", "j/ths")},
    **{u: Unit("capex", f) for u, f in {"m$/mw": 1.0, "$m/mw": 1.0, "$/mw": 1e-6,
                                        "$/kw": 1e-3, "$/w": 1.0}.items()},
}

# How each canonical unit is shown to people, keyed by the token in UNITS.
UNIT_LABELS = {"mw": "MW", "kw": "kW", "$/kwh": "USD/kWh", "miles": "miles", "ms": "ms",
               "hours": "hours", "months": "months", "gbps": "Gbit/s", "deg": "degrees",
               "years": "years", "$/kw-month": "USD/kW-month", "%/yr": "% a year",
               "m$": "M USD", "m$/mw": "M USD/MW", "m$/yr": "M USD a year", "j/th": "J/TH"}


def normalize_unit(text: str) -> str:
    """Fold the ways people write a unit into one token: ``US$ per MWh`` -> ``$/mwh``."""
    token = text.strip().lower()
    token = re.sub(r"\s+per\s+", "/", token)
    token = re.sub(r"\s+", "", token)
    token = token.replace("us$", "$").replace("usd", "$").replace("¢", "c")
    token = re.sub(r"^cents?(?=/)", "c", token)
    token = re.sub(r"/rack$", "", token)
    return token


@dataclass(frozen=True)
class Column:
    """One column of the contract."""

    name: str
    kind: str
    required: bool = False
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    above_minimum: bool = False  # True: values must be strictly greater than minimum
    choices: tuple[str, ...] = ()
    at_most: str | None = None  # another column this one's value may not exceed
    aliases: tuple[str, ...] = ()
    meaning: str = ""
    max_length: int = 32767  # the most characters an Excel cell holds
    from_coordinates: bool = False  # a blank value is filled from latitude and longitude

    @property
    def unit_label(self) -> str:
        return UNIT_LABELS.get(self.unit or "", "")

    @property
    def label(self) -> str:
        """The meaning as a heading or a sentence starts: ``Contracted power capacity``."""
        return self.meaning[:1].upper() + self.meaning[1:]

    @property
    def expected(self) -> str:
        """What a valid value looks like, in words, for error messages."""
        if self.kind == BOOL:
            return "yes or no"
        if self.kind == ENUM:
            return "one of " + ", ".join(self.choices)
        if self.kind == TEXT:
            return "text"
        if self.kind == MONTH:
            return "a month or a date (2028-06, 06/2028 or 2028-06-01)"
        what = "a whole number" if self.kind == COUNT else "a number"
        if self.unit_label:
            what += f" in {self.unit_label}"
        bounds = []
        if self.minimum is not None:
            bounds.append(f"{'>' if self.above_minimum else '>='} {self.minimum:g}")
        if self.maximum is not None:
            bounds.append(f"<= {self.maximum:g}")
        if self.at_most is not None:
            bounds.append(f"at most {self.at_most}")
        return what + (", " + " and ".join(bounds) if bounds else "")


COLUMNS: tuple[Column, ...] = (
    Column("site_id", TEXT, required=True, aliases=("id", "site", "site code", "site key"),
           meaning="the portfolio's own key for the site, unique in the file", max_length=255),
    Column("site_name", TEXT, required=True, aliases=("name", "site name"), meaning="human name",
           max_length=255),
    Column("operator", TEXT, aliases=("company", "owner", "operator name"),
           meaning="owning or operating company"),
    Column("country", TEXT, meaning="country name or ISO code", from_coordinates=True),
    Column("region", TEXT, aliases=("state", "province", "state province"),
           meaning="state or province (US states are filled from coordinates)",
           from_coordinates=True),
    Column("latitude", NUMBER, unit="deg", minimum=-90, maximum=90, aliases=("lat",),
           meaning="site location, decimal degrees"),
    Column("longitude", NUMBER, unit="deg", minimum=-180, maximum=180,
           aliases=("lon", "lng", "long"), meaning="site location, decimal degrees"),
    Column("nearest_metro", TEXT, aliases=("metro", "nearest metro area"),
           meaning="nearest major metro area, as the site team names it",
           from_coordinates=True),
    Column("metro_distance_miles", NUMBER, unit="miles", minimum=0,
           aliases=("metro distance", "distance to metro", "distance to metro miles"),
           meaning="straight-line distance to that metro", from_coordinates=True),
    Column("metro_rtt_ms", NUMBER, unit="ms", minimum=0, above_minimum=True,
           aliases=("metro rtt", "rtt", "rtt ms", "round trip ms", "latency ms", "latency"),
           meaning="measured round trip to the metro or its internet exchange"),
    Column("power_capacity_mw", NUMBER, required=True, unit="mw", minimum=0, above_minimum=True,
           aliases=("power capacity", "capacity", "capacity mw", "power mw"),
           meaning="energized or contracted capacity the site can deliver"),
    Column("power_expansion_mw", NUMBER, unit="mw", minimum=0,
           aliases=("power expansion", "expansion mw", "expansion"),
           meaning="further capacity in the interconnection pipeline"),
    Column("power_cost_usd_per_kwh", NUMBER, required=True, unit="$/kwh", minimum=0,
           above_minimum=True,
           aliases=("power cost", "power price", "power cost usd kwh", "power price usd kwh",
                    "all in power cost", "energy cost"),
           meaning="all-in delivered price, demand charges included"),
    Column("power_redundancy", ENUM, choices=("N", "N+1", "2N"),
           aliases=("redundancy", "electrical redundancy"),
           meaning="electrical redundancy of the distribution path"),
    Column("utility_feeds", COUNT, minimum=1, aliases=("feeds", "utility feed count"),
           meaning="independent utility feeds"),
    Column("backup_generation", BOOL, aliases=("backup", "generators", "backup generators"),
           meaning="on-site generators or equivalent backup"),
    Column("curtailment_hours_per_year", NUMBER, unit="hours", minimum=0, maximum=8760,
           aliases=("curtailment", "curtailment hours", "curtailment hours year"),
           meaning="hours a year the site commits to curtail (demand response)"),
    Column("mining_load_mw", NUMBER, unit="mw", minimum=0, aliases=("mining load", "mining mw"),
           meaning="mining load that could stay on site as flexible load"),
    Column("cooling_type", ENUM, required=True,
           choices=("air", "hydro", "immersion", "rear_door", "direct_to_chip"),
           aliases=("cooling",), meaning="cooling in place today"),
    Column("rack_density_kw", NUMBER, unit="kw", minimum=0, above_minimum=True,
           aliases=("rack density", "density kw", "kw per rack", "rack density kw per rack"),
           meaning="highest sustained rack density the site can cool today"),
    Column("liquid_cooling_path", ENUM,
           choices=("none", "studied", "planned", "in_progress", "in_place"),
           aliases=("liquid cooling", "liquid cooling status", "liquid path"),
           meaning="state of the path to GPU-grade liquid cooling"),
    Column("fiber_on_site", BOOL, required=True, aliases=("fiber", "fibre on site", "fibre"),
           meaning="lit fiber reaches the site today"),
    Column("fiber_carriers", COUNT, minimum=0,
           aliases=("carriers", "fibre carriers", "diverse carriers"),
           meaning="diverse carriers available at the site"),
    Column("uplink_gbps", NUMBER, unit="gbps", minimum=0, aliases=("uplink", "uplink gbit s"),
           meaning="upstream capacity today"),
    Column("path_to_100g", BOOL, aliases=("path to 100ge", "100g path", "100ge path"),
           meaning="a 100GE-class upstream can be contracted"),
    Column("fiber_lead_time_months", NUMBER, unit="months", minimum=0,
           aliases=("fiber lead time", "fibre lead time", "lead time months", "lead time"),
           meaning="quoted lead time for new or upgraded fiber"),
    Column("staffing_24x7", BOOL, required=True,
           aliases=("24x7 staffing", "24 7 staffing", "staffed 24x7", "24x7"),
           meaning="staffed around the clock with escalation"),
    Column("dc_ops_staff", COUNT, minimum=0, aliases=("ops staff", "dc staff", "it staff"),
           meaning="staff qualified on servers, networks and firmware"),
    Column("sla_track_record", BOOL, aliases=("sla record", "sla", "sla history"),
           meaning="has operated under customer SLAs (hosting, colocation)"),
    Column("energized_mw", NUMBER, unit="mw", minimum=0, at_most="power_capacity_mw",
           aliases=("energized", "energised", "energised mw", "energized capacity",
                    "energized now", "mw energized"),
           meaning="MW energized today (blank: all of power_capacity_mw, unless "
                   "interconnection_status names a stage before energized)"),
    Column("interconnection_status", ENUM,
           choices=("energized", "approved", "in_study", "applied", "none"),
           aliases=("interconnection", "interconnect status", "grid connection status"),
           meaning="state of the grid interconnection for the MW not yet energized"),
    Column("time_to_power_months", NUMBER, unit="months", minimum=0,
           aliases=("time to power", "months to power", "time to energize"),
           meaning="months until the MW not yet energized are energized"),
    Column("permitting_status", ENUM,
           choices=("by_right", "permitted", "pending", "contested", "moratorium"),
           aliases=("permitting", "permit status", "permits", "zoning status"),
           meaning="state of the permits and zoning for the AI build"),
    Column("community_opposition", ENUM, choices=("none", "some", "organised"),
           aliases=("opposition", "local opposition", "community"),
           meaning="local opposition to the project"),
    Column("water_source", TEXT, aliases=("water", "water supply"),
           meaning="where the site's cooling water comes from"),
    Column("water_stress", ENUM, choices=("low", "low_medium", "medium_high", "high", "extreme"),
           aliases=("baseline water stress", "aqueduct water stress"),
           meaning="baseline water stress of the site's basin (WRI Aqueduct categories)"),
    Column("grid_operator", TEXT, aliases=("grid", "iso", "rto", "iso rto", "balancing authority",
                                           "bidding area", "bidding zone", "price area"),
           meaning="grid operator or market (ISO/RTO, utility or bidding area) the site "
                   "connects to: ERCOT, SPP, MISO, PJM, AESO, IESO, Hydro-Québec, Nord Pool "
                   "NO4...", from_coordinates=True),
    Column("climate_zone", TEXT, aliases=("koppen zone", "koppen geiger zone", "climate"),
           meaning="Köppen-Geiger climate zone code (Dfb, BWh, Cfa...)", from_coordinates=True),
    Column("notes", TEXT, aliases=("note", "comments"), meaning="free text, carried through"),
    # The site's own deal: signed or quoted terms; a blank keeps the rules' default.
    Column("lease_rate_usd_per_kw_month", NUMBER, unit="$/kw-month", minimum=0,
           above_minimum=True, maximum=1000,
           aliases=("lease rate", "rent", "year 1 rent", "year 1 lease rate", "first year rent",
                    "lease rate usd kw month"),
           meaning="year-1 lease rate per kW of critical IT a month, as signed or quoted"),
    Column("lease_term_years", NUMBER, unit="years", minimum=1, maximum=40,
           aliases=("lease term", "term", "term years", "contract term"),
           meaning="lease term from first rent"),
    Column("lease_escalator_pct", NUMBER, unit="%/yr", minimum=0, maximum=20,
           aliases=("escalator", "rent escalator", "lease escalator", "escalation"),
           meaning="yearly rent escalator"),
    Column("lease_structure", ENUM, choices=("triple_net", "modified_gross", "gross"),
           aliases=("structure", "lease type"),
           meaning="who pays power and the operating costs: triple_net (the tenant pays "
                   "both), modified_gross (the tenant pays power, the landlord the operating "
                   "costs), gross (the landlord pays both)"),
    Column("contracted_it_mw", NUMBER, unit="mw", minimum=0, above_minimum=True,
           aliases=("contracted it", "contracted critical it", "contract mw", "leased it mw"),
           meaning="critical IT the lease pays rent on"),
    Column("tenant_credit", ENUM, choices=("investment_grade", "backstopped", "unrated"),
           aliases=("credit", "tenant rating", "tenant credit rating"),
           meaning="the tenant's credit: investment_grade, backstopped (by an "
                   "investment-grade party) or unrated"),
    Column("capex_musd_per_it_mw", NUMBER, unit="m$/mw", minimum=0, above_minimum=True,
           maximum=100, aliases=("capex quote", "capex per mw", "capex per it mw", "build cost"),
           meaning="quoted capex per MW of critical IT for the AI halls"),
    Column("first_rent", MONTH, aliases=("first rent date", "rent start", "rent commencement",
                                         "commencement date"),
           meaning="month the first rent is due"),
    Column("prepayment_musd", NUMBER, unit="m$", minimum=0,
           aliases=("prepayment", "tenant prepayment", "prepaid rent"),
           meaning="rent the tenant prepays at signing, credited evenly against the lease"),
    # The site's own mining business.
    Column("fleet_efficiency_j_per_th", NUMBER, unit="j/th", minimum=1, maximum=200,
           aliases=("fleet efficiency", "efficiency", "j th", "fleet j th"),
           meaning="average efficiency of the site's mining fleet"),
    Column("demand_response_musd_per_year", NUMBER, unit="m$/yr", minimum=0,
           aliases=("demand response", "curtailment revenue", "demand response revenue",
                    "power credits"),
           meaning="curtailment and demand-response revenue the site's mining earns a year"),
)

# The site's own mining business, where it differs from the rules' fleet and grid.
MINING_COLUMNS = ("fleet_efficiency_j_per_th", "demand_response_musd_per_year")

# The site's own deal terms, in the order the reports show them.
DEAL_COLUMNS = ("lease_rate_usd_per_kw_month", "lease_term_years", "lease_escalator_pct",
                "lease_structure", "contracted_it_mw", "tenant_credit",
                "capex_musd_per_it_mw", "first_rent", "prepayment_musd")

BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}

# Where a location value came from, in the *_source columns the enrich stage adds.
GIVEN, COMPUTED = "given", "computed from coordinates"
FROM_REGION = "looked up from the country and region"
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)

# Spellings people use for enumerated values, folded by fold_choice() first.
CHOICE_ALIASES: dict[str, dict[str, str]] = {
    "power_redundancy": {"n": "N", "n+1": "N+1", "2n": "2N", "2xn": "2N", "nplus1": "N+1"},
    "cooling_type": {
        "air": "air", "aircooled": "air", "aircooling": "air", "fans": "air",
        "hydro": "hydro", "hydrocooled": "hydro", "hydrocooling": "hydro", "water": "hydro",
        "immersion": "immersion", "immersioncooled": "immersion",
        "immersioncooling": "immersion", "singlephaseimmersion": "immersion",
        "twophaseimmersion": "immersion",
        "reardoor": "rear_door", "rdhx": "rear_door", "reardoorheatexchanger": "rear_door",
        "directtochip": "direct_to_chip", "dlc": "direct_to_chip", "d2c": "direct_to_chip",
        "dtc": "direct_to_chip", "coldplate": "direct_to_chip",
        "directliquidcooling": "direct_to_chip",
    },
    "liquid_cooling_path": {
        "none": "none", "no": "none", "nopath": "none",
        "studied": "studied", "study": "studied", "understudy": "studied",
        "feasibilitystudy": "studied",
        "planned": "planned", "plan": "planned",
        "inprogress": "in_progress", "underconstruction": "in_progress",
        "building": "in_progress",
        "inplace": "in_place", "installed": "in_place", "done": "in_place",
        "complete": "in_place", "operational": "in_place",
    },
    "interconnection_status": {
        "energized": "energized", "energised": "energized", "live": "energized",
        "connected": "energized",
        "approved": "approved", "signed": "approved", "agreementsigned": "approved",
        "instudy": "in_study", "study": "in_study", "understudy": "in_study",
        "studies": "in_study",
        "applied": "applied", "requested": "applied", "queued": "applied", "inqueue": "applied",
        "none": "none", "no": "none", "notapplied": "none",
    },
    "permitting_status": {
        "byright": "by_right", "asofright": "by_right",
        "permitted": "permitted", "granted": "permitted", "issued": "permitted",
        "pending": "pending", "inreview": "pending", "submitted": "pending",
        "contested": "contested", "appealed": "contested", "challenged": "contested",
        "moratorium": "moratorium",
    },
    "lease_structure": {
        "triplenet": "triple_net", "nnn": "triple_net", "net": "triple_net",
        "modifiedgross": "modified_gross", "modgross": "modified_gross",
        "gross": "gross", "fullservice": "gross", "fullservicegross": "gross",
    },
    "tenant_credit": {
        "investmentgrade": "investment_grade", "ig": "investment_grade",
        "backstopped": "backstopped", "backstop": "backstopped",
        "hyperscalerbackstop": "backstopped", "guaranteed": "backstopped",
        "unrated": "unrated", "notrated": "unrated", "subinvestmentgrade": "unrated",
        "highyield": "unrated",
    },
    "community_opposition": {"none": "none", "no": "none", "some": "some",
                             "organised": "organised", "organized": "organised"},
    "water_stress": {
        "low": "low", "lowmedium": "low_medium", "lowtomedium": "low_medium",
        "mediumhigh": "medium_high", "mediumtohigh": "medium_high", "high": "high",
        "extreme": "extreme", "extremelyhigh": "extreme",
    },
}

BOOL_WORDS = {"yes": True, "y": True, "true": True, "1": True,
              "no": False, "n": False, "false": False, "0": False}


def fold_choice(text: str) -> str:
    """Fold an enumerated value for alias lookup: ``Direct-to-chip`` -> ``directtochip``."""
    return re.sub(r"[\s_\-.]+", "", text.strip().lower())


def header_key(text: str) -> str:
    """Fold a header for matching: case, spaces, punctuation and a bracketed unit go."""
    text = re.sub(r"[\(\[][^\)\]]*[\)\]]\s*$", "", str(text).strip())
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def header_unit(text: str) -> str | None:
    """The unit written in brackets at the end of a header, if any: ``Capacity (kW)`` -> kW."""
    match = re.search(r"[\(\[]([^\)\]]*)[\)\]]\s*$", str(text).strip())
    return match.group(1).strip() if match else None


HEADER_KEYS: dict[str, str] = {}
for _column in COLUMNS:
    for _spelling in (_column.name, *_column.aliases):
        HEADER_KEYS.setdefault(header_key(_spelling), _column.name)


def closest_column(header: str) -> str | None:
    """The contract column a header not in the contract most likely meant, if one is close:
    ``Lease trm (years)`` -> ``lease_term_years``."""
    import difflib

    found = difflib.get_close_matches(header_key(header), HEADER_KEYS, n=1, cutoff=0.8)
    return HEADER_KEYS[found[0]] if found else None


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column: 0 -> A, 25 -> Z, 27 -> AB."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@functools.lru_cache(maxsize=8192)  # the same few numbers recur in every site's sentences
def show_number(value: float) -> str:
    """A number as people read it: 1,200 / 12 / 0.045 / 2.5."""
    if value == float("inf"):
        return "unlimited"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.1f}"


def show_value(name: str, value) -> str:
    """A contract value with its unit, for sentences: ``12 MW``, ``yes``, ``N+1``."""
    if value is None:
        return "not given"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        label = BY_NAME[name].unit_label if name in BY_NAME else ""
        return f"{show_number(value)} {label}".strip()
    return str(value)
