"""Classify stage: five gates per workload, then verdicts, bucket, readiness and actions.

A ``Classifier`` holds one set of rules and classifies sites under them: ``site`` is pure,
a dict of contract values in, a SiteResult out; ``assess`` adds what would flip the site
to ready or to a better bucket, and the input changes each gate asks for. A gate that needs a missing value is evaluated
at that value's least and most favourable extremes (``gates.EXTREMES``); if every
combination agrees the status stands, otherwise the gate is ``unknown`` and carries its
range.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import pandas as pd

from pipeline import risks, timeline
from pipeline.classify import flips
from pipeline.classify.disqualifiers import DISQUALIFIERS
from pipeline.classify.gates import (EXTREMES, GATE_NAMES, GATES, WORKLOADS, Facts, Gate,
                                     Missing)
from pipeline.classify.results import (BUCKETS, Action, Assessment, Flip, GateResult, Hold,
                                       InputChange, SiteResult, WorkloadResult, bucket_of,
                                       bucket_workloads, verdict_of)
from pipeline.classify.words import Bucket, Readiness, Status, Verdict
from pipeline.rules import Rules

__all__ = ["BUCKETS", "Action", "Assessment", "Classifier", "Flip", "GateResult", "Hold",
           "InputChange", "SiteResult", "WorkloadResult", "bucket_of", "bucket_workloads", "classify", "classify_site",
           "site_records", "verdict_of"]


_ACTION_ORDER = {Status.FAIL: 0, Status.CONDITIONAL: 1, Status.UNKNOWN: 2}


class Classifier:
    """Classifies sites under one set of rules, read once."""

    def __init__(self, rules: Rules):
        self.rules = rules
        self.values = rules.flat()
        self._points = rules["scores"]

    def _explore(self, gate: Gate, values: dict[str, Any]):
        """Every outcome of ``gate`` over the extremes of the missing values it reads, with
        the values assumed and the facts read for each: the least favourable extreme of each
        missing value first."""
        outcomes = []
        pending: list[dict[str, Any]] = [{}]
        while pending:
            assumed = pending.pop()
            facts = Facts(values, assumed, self.values)
            try:
                outcomes.append((gate.outcome(facts), assumed, facts))
            except Missing as need:
                least, most = EXTREMES[need.column]
                pending.append({**assumed, need.column: most})
                pending.append({**assumed, need.column: least})  # taken next
        return outcomes

    def statuses(self, values: dict[str, Any], workloads: tuple[str, ...] = WORKLOADS,
                 names: tuple[str, ...] = GATE_NAMES) -> dict[tuple[str, str], Status]:
        """The status of the gates ``names`` of ``workloads`` for a site, without the
        sentences: for checking many what-ifs."""
        return {(gate.workload, gate.name): self._status(gate, values)
                for gate in _gates(workloads, names)}

    def statuses_after(self, site: SiteResult, change: dict[str, Any],
                       workloads: tuple[str, ...] = WORKLOADS,
                       names: tuple[str, ...] = GATE_NAMES) -> dict[tuple[str, str], Status]:
        """:meth:`statuses` of ``site`` with ``change`` made to its inputs. A gate decides
        on the inputs it reads alone, so one that read none of the changed inputs keeps
        its status and is not evaluated again."""
        values = {**site.values, **change}
        moved = {column for column, value in change.items() if site.values.get(column) != value}
        statuses = {}
        for gate in _gates(workloads, names):
            before = site.gate(gate.workload, gate.name)
            statuses[(gate.workload, gate.name)] = (
                before.status if moved.isdisjoint(before.inputs) else self._status(gate, values))
        return statuses

    def _status(self, gate: Gate, values: dict[str, Any]) -> Status:
        found = {outcome.status for outcome, _, _ in self._explore(gate, values)}
        return next(iter(found)) if len(found) == 1 else Status.UNKNOWN

    def bucket_after(self, site: SiteResult, change: dict[str, Any]) -> Bucket:
        """The bucket of ``site`` with ``change`` made to its inputs, without sentences,
        readiness or actions: for checking what-ifs. A site barred by its country is Neither
        whatever its gates."""
        statuses = self.statuses_after(site, change)
        verdicts = [verdict_of([statuses[(w, g)] for g in GATE_NAMES]) for w in WORKLOADS]
        return _bucket(risks.assess({**site.values, **change}, self.rules), *verdicts)

    def gate(self, gate: Gate, values: dict[str, Any]) -> GateResult:
        """Evaluate one gate, exploring the extremes of every missing value it needs."""
        outcomes = self._explore(gate, values)
        low = min(o.status for o, _, _ in outcomes)
        high = max(o.status for o, _, _ in outcomes)
        missing = tuple(sorted({c for _, assumed, _ in outcomes for c in assumed}))
        if low == high:
            outcome, _, facts = outcomes[0]
            reason, action = outcome.reason, outcome.action
            status = low
        else:
            names = ", ".join(missing)
            reason = (f"{gate.workload.capitalize()} {gate.name} is unknown until {names} "
                      f"{'is' if len(missing) == 1 else 'are'} given: {low} at worst, "
                      f"{high} at best.")
            action = f"Ask the site team for {names}."
            status = Status.UNKNOWN
        read = {c for _, _, facts in outcomes for c in facts.read}
        thresholds = {k: v for _, _, facts in outcomes for k, v in facts.thresholds.items()}
        return GateResult(gate.name, gate.workload, status, low, high, reason, action,
                          {c: values.get(c) for c in sorted(read)}, thresholds,
                          missing if status == Status.UNKNOWN else ())

    def _workload(self, workload: str, gates: dict[str, GateResult]) -> WorkloadResult:
        score = sum(self._points[g.low] for g in gates.values())
        return WorkloadResult(workload, verdict_of(g.status for g in gates.values()), score,
                              gates)

    def site(self, values: dict[str, Any]) -> SiteResult:
        """Classify one site given as contract values (None for missing)."""
        results: dict[str, dict[str, GateResult]] = {w: {} for w in WORKLOADS}
        for gate in GATES:
            results[gate.workload][gate.name] = self.gate(gate, values)
        training = self._workload("training", results["training"])
        inference = self._workload("inference", results["inference"])
        deal, power = risks.assess(values, self.rules), timeline.assess(values, self.rules)
        bucket = _bucket(deal, training.verdict, inference.verdict)
        targets = bucket_workloads(bucket)
        held = [Hold(r.topic, r.text) for r in deal.holding]
        if short := self.short_of_power(values, power,
                                        {w: results[w]["power"].status for w in targets}):
            held.append(Hold(timeline.TOPIC, power.hold(short)))
        ready = bool(targets) and not held and all(
            (training, inference)[WORKLOADS.index(w)].verdict == Verdict.FIT for w in targets)
        statuses = {(w, g): results[w][g].status for w in WORKLOADS for g in GATE_NAMES}
        actions = []
        for workload in targets or WORKLOADS:  # a Neither site hears what both would need
            for name in GATE_NAMES:
                result = results[workload][name]
                if result.action:
                    actions.append(Action(workload, name, result.status, result.action))
        actions.sort(key=lambda a: _ACTION_ORDER[a.status])
        gaps: dict[str, list[str]] = {}
        for workload in WORKLOADS:
            for name in GATE_NAMES:
                for column in results[workload][name].missing:
                    gaps.setdefault(column, []).append(f"{workload} {name}")
        for topic, columns in ((risks.TOPIC, deal.requests), (timeline.TOPIC, power.requests)):
            for column in columns:
                gaps.setdefault(column, []).append(topic)
        mining = values.get("mining_load_mw")
        mullet = None
        if mining and mining > 0 and bucket != Bucket.NEITHER:
            mullet = (f"Keep the {mining:g} MW of mining as flexible load that curtails first "
                      "while AI keeps its uptime (\"mullet mining\").")
        return SiteResult(
            site_id=str(values["site_id"]), site_name=str(values["site_name"]), values=values,
            training=training, inference=inference, bucket=bucket,
            readiness=Readiness.READY if ready else Readiness.NOT_YET,
            disqualifiers=tuple(d for d in DISQUALIFIERS if d.fires(statuses)),
            actions=tuple(actions), data_gaps={k: tuple(v) for k, v in gaps.items()},
            mullet_note=mullet, power_timeline=power, deal_risks=deal, held_back=tuple(held))

    def short_of_power(self, values: dict[str, Any], power: timeline.PowerTimeline,
                       full: dict[str, Status]) -> tuple[str, ...]:
        """The workloads whose power gate would fall below ``full`` (their status at the
        site's capacity) if judged on the MW energized today: readiness reads energized MW."""
        if not full or power.energized_floor >= power.capacity_mw:
            return ()
        now = self.statuses({**values, "power_capacity_mw": power.energized_floor}, tuple(full),
                            ("power",))
        return tuple(w for w, status in full.items() if now[(w, "power")] != status)

    def assess(self, values: dict[str, Any]) -> Assessment:
        """Classify a site and work out what would flip it and what each gate asks for."""
        site = self.site(values)
        return Assessment(site, flips.what_would_flip(site, self),
                          flips.better_bucket(site, self), flips.gate_fixes(site, self))


def _gates(workloads: tuple[str, ...], names: tuple[str, ...]) -> Iterable[Gate]:
    return (g for g in GATES if g.workload in workloads and g.name in names)


def _bucket(deal: risks.DealRisks, training: Verdict, inference: Verdict) -> Bucket:
    """The bucket the verdicts give, or Neither for a site its country bars."""
    return Bucket.NEITHER if deal.barred else bucket_of(training, inference)


def classify_site(values: dict[str, Any], rules: Rules) -> SiteResult:
    """Classify one site given as contract values (None for missing)."""
    return Classifier(rules).site(values)


def classify(sites: pd.DataFrame, rules: Rules) -> list[SiteResult]:
    """Classify every row of a validated frame, in row order."""
    classifier = Classifier(rules)
    return [classifier.site(values) for values in site_records(sites)]


def site_records(sites: pd.DataFrame) -> Iterable[dict[str, Any]]:
    """Rows as plain Python dicts: NaN and NA become None, numpy scalars become Python."""
    columns = list(sites.columns)
    for row, record in zip(sites.index, sites.itertuples(index=False, name=None)):
        values = {c: _plain(v) for c, v in zip(columns, record)}
        values["row"] = int(row)
        yield values


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value
