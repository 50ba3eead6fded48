"""What would flip a site: the input changes, read off the gates' own bands and rules, that
make a workload fit, and those that move the site to a better bucket.

Each gate names the least change to each input its rules ask for (``Gate.fix``: a capacity
raised to the bar, a price brought to it, a path advanced to the first level that counts).
The combined changes are checked by classifying the changed site again; a suggestion that
would not make the workload fit is never shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline import risks, timeline
from pipeline.classify.gates import GATE_NAMES, GATES, WORKLOADS
from pipeline.classify.results import Flip, SiteResult, bucket_workloads, verdict_of
from pipeline.classify.words import Bucket, Readiness, Status, Verdict

if TYPE_CHECKING:
    from pipeline.classify import Classifier

GATE = {(gate.workload, gate.name): gate for gate in GATES}


def gate_fix(site: SiteResult, workload: str, gate: str,
             classifier: Classifier) -> dict[str, Any]:
    """Input changes that the rules ask for this gate to pass (empty when it passes)."""
    if site.gate(workload, gate).status == Status.PASS:
        return {}
    return GATE[(workload, gate)].fix(site.values, classifier.values)


def gate_fixes(site: SiteResult, classifier: Classifier) -> dict[tuple[str, str], str]:
    """Every gate's changes to pass, in words (blank where it passes)."""
    return {(w, g): describe(site, gate_fix(site, w, g, classifier))
            for w in WORKLOADS for g in GATE_NAMES}


def workload_fix(site: SiteResult, workload: str,
                 classifier: Classifier) -> dict[str, Any] | None:
    """Changes that make ``workload`` fit, verified by classifying again; None if none found."""
    return fix_for(site, (workload,), classifier)


def fix_for(site: SiteResult, workloads: tuple[str, ...],
            classifier: Classifier) -> dict[str, Any] | None:
    """Changes that make every one of ``workloads`` fit, or None.

    Each workload's fix is read off the site as already changed for the ones before it, so
    two workloads never ask for conflicting values (training's in_progress path already
    satisfies inference's planned one). The result is checked by evaluating again every gate
    of the changed site that reads a changed input; it also lifts what holds the site back
    besides its gates (a contested permit, organised opposition, power not yet energized).
    """
    change: dict[str, Any] = {}
    values = site.values
    statuses = {(w, g): site.gate(w, g).status for w in workloads for g in GATE_NAMES}
    for workload in workloads:
        for gate in GATE_NAMES:
            if statuses[(workload, gate)] != Status.PASS:
                change.update(GATE[(workload, gate)].fix(values, classifier.values))
        values = {**site.values, **change}
        statuses = classifier.statuses_after(site, change, workloads)
    if not all(statuses[(w, g)] == Status.PASS for w in workloads for g in GATE_NAMES):
        return None
    change.update(risks.release(values, classifier.rules))
    if classifier.short_of_power(values, timeline.assess(values, classifier.rules),
                                 dict.fromkeys(workloads, Status.PASS)):
        change.update(timeline.release(values))
    return change


def describe(site: SiteResult, change: dict[str, Any]) -> str:
    """Input changes in words: ``power_capacity_mw 22 MW → 25 MW; ...``."""
    return "; ".join(c.text for c in Flip.of("", site.values, change).changes)


def what_would_flip(site: SiteResult, classifier: Classifier) -> Flip | None:
    """The smallest verified change to ``ready`` for the bucket's workloads; for a Neither
    site, the workload that needs the fewest changes to become fit; None for a ready site."""
    if site.readiness == Readiness.READY:
        return None
    if barred := site.deal_risks.barred:
        return Flip(f"No change to the site makes it eligible: {barred.text}")
    if site.bucket != Bucket.NEITHER and (held := site.deal_risks.beyond_inputs):
        return Flip(f"No change to the inputs makes this site ready while this holds: "
                    f"{held.text}")
    if site.bucket == Bucket.NEITHER:
        options = [(w, workload_fix(site, w, classifier)) for w in WORKLOADS]
        options = [(w, c) for w, c in options if c is not None]
        if not options:
            return Flip("No change to the inputs alone makes either workload fit.")
        workload, change = min(options, key=lambda o: len(o[1]))
        return Flip.of(f"{workload.capitalize()} becomes fit with:", site.values, change)
    change = fix_for(site, bucket_workloads(site.bucket), classifier)
    if change is None:
        return Flip("No change to the inputs alone makes this site ready.")
    return Flip.of("Ready with:", site.values, change)


# The workloads a site lacks for each better bucket it could reach.
LACKING = {Bucket.TRAINING: ("inference",), Bucket.INFERENCE: ("training",),
           Bucket.NEITHER: WORKLOADS}


def lift(site: SiteResult, workload: str, classifier: Classifier) -> dict[str, Any] | None:
    """The fewest changes that take ``workload`` from unfit to at least conditional, or None.

    Every failed gate asks for its least change (bands to their conditional bars); then each
    change is dropped in turn while the failed gates, evaluated again, stay out of fail. (A
    change only moves an input towards a bar, so a gate that did not fail cannot start to.)
    """
    failed = tuple(g for g in GATE_NAMES if site.gate(workload, g).status == Status.FAIL)
    change: dict[str, Any] = {}
    for gate in failed:
        change.update(GATE[(workload, gate)].fix(site.values, classifier.values, least=True))

    def lifted(candidate: dict[str, Any]) -> bool:
        statuses = classifier.statuses_after(site, candidate, (workload,), failed)
        return verdict_of(statuses.values()) != Verdict.UNFIT

    if not lifted(change):
        return None
    for column in list(change):
        fewer = {c: v for c, v in change.items() if c != column}
        if lifted(fewer):
            change = fewer
    return change


def better_bucket(site: SiteResult, classifier: Classifier) -> Flip | None:
    """The cheapest verified change that moves the site to a better bucket (Training or
    Inference to Hybrid; Neither to either); None for a Hybrid site."""
    if site.bucket == Bucket.HYBRID:
        return None
    if barred := site.deal_risks.barred:
        return Flip(f"No change to the site reaches a better bucket: {barred.text}")
    options = []
    for workload in LACKING[site.bucket]:
        change = lift(site, workload, classifier)
        if change is not None:  # verified: the changed site, classified again, moves up
            bucket = classifier.bucket_after(site, change)
            if bucket != site.bucket:
                options.append((len(change), bucket, change))
    if not options:
        return Flip("No change to the inputs alone reaches a better bucket.")
    _, bucket, change = min(options, key=lambda option: option[0])
    return Flip.of(f"{bucket} with:", site.values, change)
