"""The hand-written sentences of the README and docs/rules.md that state a rule or a
default, checked against the rules file and the gates (the tables beside them are generated
by cog, and test_template_rules checks those are fresh)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import site
from pipeline.classify import Classifier
from pipeline.classify.words import Status
from pipeline.contract import show_number
from pipeline.rules import default_rules

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
RULES_MD = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
DEFAULTS = default_rules().flat()

def said(number) -> str:
    return show_number(number)


def millions(people) -> str:
    return "one" if people == 1_000_000 else show_number(people / 1e6)


# (document, sentence with {} where the default stands, rules key, how the key is shown)
STATED = [
    (README, "`campus` from {} MW", "scale.training_campus_min_mw", said),
    (README, "`enterprise` up to {} MW", "scale.enterprise_max_mw", said),
    (README, "Texas SB6 for loads of {} MW or more",
     "time_to_power.large_load_regimes.texas_sb6.min_mw", said),
    (README, "people (default {} million)", "location.enrichment.metro_min_population",
     millions),
    (README, "route factor {} x", "location.enrichment.fiber_route_factor", said),
    (README, "x {} us/km", "location.enrichment.fiber_us_per_km", said),
    (README, "by more than {}%", "location.enrichment.max_distance_disagreement",
     lambda share: show_number(share * 100)),
    (README, "within about {} miles of a major metro",
     "location.inference.pass_max_distance_miles", said),
    (RULES_MD, "nearest metro of at least {} million",
     "location.enrichment.metro_min_population", millions),
    (RULES_MD, "fiber route factor of {},", "location.enrichment.fiber_route_factor", said),
    (RULES_MD, "at {} microseconds per km", "location.enrichment.fiber_us_per_km", said),
    (RULES_MD, "by more than {}% is kept", "location.enrichment.max_distance_disagreement",
     lambda share: show_number(share * 100)),
]


@pytest.mark.parametrize("document, sentence, key, shown", STATED,
                         ids=[f"{s} ({k})" for _, s, k, _ in STATED])
def test_a_default_stated_in_prose_is_the_rules_default(document, sentence, key, shown):
    pattern = re.escape(sentence).replace(r"\{\}", r"(\S+?)").replace(r"\ ", r"\s+")
    found = re.findall(pattern, document)
    assert found, f"the sentence {sentence!r} is gone: update this test"
    assert set(found) == {shown(DEFAULTS[key])}


def statuses(**changes):
    return Classifier(default_rules()).statuses(site(**changes))


def test_location_is_as_docs_rules_md_says():
    """"Training is always pass ... Inference passes, is conditional or fails on the better
    of its two bands; with neither value given the gate is unknown (fail to pass)."""
    assert "Training is always pass" in RULES_MD and "the better of its two bands" in RULES_MD
    far = DEFAULTS["location.inference.conditional_max_distance_miles"] * 10
    near_rtt = DEFAULTS["location.inference.pass_max_rtt_ms"]
    assert statuses(metro_distance_miles=far, metro_rtt_ms=None)[("training", "location")] \
        == Status.PASS
    assert statuses(metro_distance_miles=far, metro_rtt_ms=near_rtt)[
        ("inference", "location")] == Status.PASS
    assert statuses(metro_distance_miles=None, metro_rtt_ms=None)[
        ("inference", "location")] == Status.UNKNOWN


@pytest.mark.parametrize("redundancy, feeds", [
    ("N+1", 1.0), ("2N", 1.0), ("N", 2.0), ("N", 1.0), (None, 2.0), (None, 1.0)])
def test_a_redundant_supply_is_as_docs_rules_md_defines_it(redundancy, feeds):
    """"A supply is redundant when `power_redundancy` is one of ... redundant_levels, or,
    when `power_redundancy` is blank, when there are at least ... utility_feeds": with
    backup generation and no curtailment, a redundant supply passes inference power."""
    assert "A supply is redundant when `power_redundancy` is one of" in RULES_MD
    redundant = (redundancy in DEFAULTS["power.inference.redundant_levels"]
                 if redundancy is not None
                 else feeds >= DEFAULTS["power.inference.redundant_min_utility_feeds"])
    got = statuses(power_redundancy=redundancy, utility_feeds=feeds, backup_generation=True,
                   curtailment_hours_per_year=0.0)[("inference", "power")]
    assert got == (Status.PASS if redundant else Status.CONDITIONAL)


def test_docs_rules_md_says_a_site_with_neither_redundancy_nor_backup_is_conditional():
    """The sentence that went stale said fail; the generated table says what the gate does."""
    assert "| no | no | no | conditional |" in RULES_MD.split("## 3. Cooling")[0]
    assert "fail with neither" not in RULES_MD
