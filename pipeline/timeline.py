"""Time to power and scale: the MW energized today, the rest and when it comes, the
large-load regimes that apply, and the site's scale against today's AI market.

The power gates judge a site's capacity; readiness judges the MW energized today
(``pipeline.classify`` checks the power gates again at that figure). The economics reads
the same timeline: ``energized_floor`` as the MW that earn from the build, and the months
until the rest (given, or estimated from the interconnection status). Every threshold and
regime lives in the rules file (``[time_to_power]``, ``[scale]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pipeline.contract import show_number
from pipeline.rules import Rules

TOPIC = "time to power"  # how a data request from this module names what it settles


@dataclass(frozen=True)
class Regime:
    """A large-load regime that applies to a site, and what it asks of the operator."""

    name: str
    text: str


@dataclass(frozen=True)
class PowerTimeline:
    """A site's power over time: what is energized now and when the rest comes."""

    capacity_mw: float
    energized_mw: float | None  # None: not given while interconnection_status says not all
    months_to_power: float | None  # until the full capacity: 0 when it is all energized
    months_estimated: bool
    later: str  # the MW still to come and when ("" when every MW is energized)
    months_to_expansion: float | None = None  # until power_expansion_mw, from the same status
    expansion_estimated: bool = False
    regimes: tuple[Regime, ...] = ()
    scale: str = ""
    scale_text: str = ""
    requests: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """Now, and when the rest comes, in a sentence."""
        if not self.later:
            return f"All {show_number(self.capacity_mw)} MW energized now."
        now = ("MW energized today not given" if self.energized_mw is None
               else f"{show_number(self.energized_mw)} MW energized now")
        return f"{now}; {self.later}"

    @property
    def energized_floor(self) -> float:
        """The MW energized today at least (none, when not given)."""
        return self.energized_mw if self.energized_mw is not None else 0.0

    @property
    def pending_mw(self) -> float | None:
        return None if self.energized_mw is None else self.capacity_mw - self.energized_mw

    def hold(self, workloads: tuple[str, ...]) -> str:
        """Why readiness waits for power, for ``workloads`` whose power gate the MW energized
        today would not pass."""
        now = ("MW energized today not given" if self.energized_mw is None
               else f"{show_number(self.energized_mw)} of {show_number(self.capacity_mw)} MW "
               "energized today")
        return f"Power: {now}, short of the {' and '.join(workloads)} power bar; {self.later}"


def assess(values: dict[str, Any], rules: Rules) -> PowerTimeline:
    """The power timeline, large-load regimes and scale of a site given as contract values."""
    capacity = values["power_capacity_mw"]
    status = values.get("interconnection_status")
    energized = values.get("energized_mw")
    requests: list[str] = []
    if energized is None and status in (None, "energized"):
        energized = capacity
    elif energized is None:
        requests.append("energized_mw")
    months, estimated = _months(values, energized, capacity, status, rules, requests)
    expansion, expansion_estimated = (
        _wait(values, status, rules) if values.get("power_expansion_mw") else (None, False))
    return PowerTimeline(capacity, energized, months, estimated,
                         _later(energized, capacity, months, estimated, status),
                         expansion, expansion_estimated,
                         _regimes(values, rules), *_scale(values, rules), tuple(requests))


def release(values: dict[str, Any]) -> dict[str, Any]:
    """The input change that ends a wait for power: every MW energized."""
    return {"energized_mw": values["power_capacity_mw"]}


def _months(values: dict, energized: float | None, capacity: float, status: str | None,
            rules: Rules, requests: list[str]) -> tuple[float | None, bool]:
    if energized is not None and energized >= capacity:
        return 0.0, False
    months, estimated = _wait(values, status, rules)
    if values.get("time_to_power_months") is None:
        requests.append("time_to_power_months")
        if months is None and status is None:
            requests.append("interconnection_status")
    return months, estimated


def _wait(values: dict, status: str | None, rules: Rules) -> tuple[float | None, bool]:
    """Months until power not yet energized: the site's own, else the estimate for its
    interconnection status (estimated), else not known."""
    given = values.get("time_to_power_months")
    if given is not None:
        return given, False
    estimate = rules["time_to_power"]["estimated_months_by_status"].get(status)
    return (None, False) if estimate is None else (float(estimate), True)


STATUS_WORDS = {"energized": "interconnection energized", "approved": "interconnection approved",
                "in_study": "interconnection in study", "applied": "interconnection applied for",
                "none": "no interconnection request yet"}


def _later(energized: float | None, capacity: float, months: float | None, estimated: bool,
           status: str | None) -> str:
    n = show_number
    if energized is not None and energized >= capacity:
        return ""
    more = (f"{n(capacity)} MW in all" if energized is None
            else f"{n(capacity - energized)} MW more")
    state = STATUS_WORDS.get(status, "interconnection status not given")
    if months is None:
        return f"{more}, date not known ({state})."
    if estimated:
        return f"{more} in about {n(months)} months (estimated for {state})."
    return f"{more} in {n(months)} months ({state})."


def _fold(text: Any) -> str:
    return re.sub(r"[^0-9a-z]+", "", str(text).lower())


def _regimes(values: dict, rules: Rules) -> tuple[Regime, ...]:
    load = values["power_capacity_mw"] + (values.get("power_expansion_mw") or 0.0)
    grid = _fold(values.get("grid_operator") or "")
    found = []
    for regime in rules["time_to_power"]["large_load_regimes"].values():
        if grid and grid in map(_fold, regime["grid_operators"]) and load >= regime["min_mw"]:
            found.append(Regime(regime["name"], (
                f"{regime['name']} applies to new loads of {show_number(regime['min_mw'])} MW "
                f"or more in {regime['where']}; this site is on {values['grid_operator']} "
                f"({show_number(load)} MW with its expansion). It asks the operator to: "
                f"{'; '.join(regime['asks'])}.")))
    return tuple(found)


def _scale(values: dict, rules: Rules) -> tuple[str, str]:
    """The site's scale against today's AI market, as a label and a sentence."""
    s, n = rules["scale"], show_number
    capacity = values["power_capacity_mw"]
    expanded = capacity + (values.get("power_expansion_mw") or 0.0)
    deals = f"today's training deals ({n(s['training_campus_min_mw'])} MW and more a site)"
    if capacity >= s["training_campus_min_mw"]:
        return "campus", f"Scale: {n(capacity)} MW, training-campus scale like {deals}."
    grows = (f"; {n(expanded)} MW with its expansion reaches it" if
             expanded >= s["training_campus_min_mw"] else "")
    if capacity <= s["enterprise_max_mw"]:
        return "enterprise", (f"Scale: {n(capacity)} MW, the inference and enterprise range (up "
                              f"to {n(s['enterprise_max_mw'])} MW), below {deals}{grows}.")
    return "mid-size", f"Scale: {n(capacity)} MW, mid-size, below {deals}{grows}."
