"""Classify stage: five gates per workload, then verdicts, bucket, readiness and actions.

``classify_site`` is pure: a dict of contract values and the rules in, a SiteResult
out. A gate that needs a missing value is evaluated at that value's least and most
favourable extremes (``gates.EXTREMES``); if every combination agrees the status
stands, otherwise the gate is ``unknown`` and carries its range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable

import pandas as pd

from pipeline.classify.disqualifiers import DISQUALIFIERS, Disqualifier
from pipeline.classify.gates import (CONDITIONAL, EXTREMES, FAIL, GATE_NAMES, GATES, PASS,
                                     WORKLOADS, Facts, Gate, Missing, Status)
from pipeline.rules import Rules

UNKNOWN = "unknown"
BUCKETS = ("Training", "Inference", "Hybrid", "Neither")


@dataclass(frozen=True)
class GateResult:
    """One gate for one workload: status, range, the sentence that explains it, the action."""

    gate: str
    workload: str
    status: str  # pass | conditional | fail | unknown
    low: Status
    high: Status
    reason: str
    action: str | None
    inputs: dict[str, Any]
    thresholds: dict[str, Any]
    missing: tuple[str, ...] = ()

    @property
    def range_label(self) -> str:
        return self.low.label if self.low == self.high else f"{self.low.label} to {self.high.label}"


@dataclass(frozen=True)
class WorkloadResult:
    workload: str
    verdict: str  # fit | conditional | unfit
    score: int
    gates: dict[str, GateResult]


@dataclass(frozen=True)
class Action:
    workload: str
    gate: str
    status: str
    text: str


@dataclass(frozen=True)
class SiteResult:
    site_id: str
    site_name: str
    values: dict[str, Any]
    training: WorkloadResult
    inference: WorkloadResult
    bucket: str
    readiness: str  # ready | not yet
    disqualifiers: tuple[Disqualifier, ...]
    actions: tuple[Action, ...]
    data_gaps: dict[str, tuple[str, ...]] = field(default_factory=dict)
    mullet_note: str | None = None

    @property
    def workloads(self) -> tuple[WorkloadResult, WorkloadResult]:
        return self.training, self.inference

    def gate(self, workload: str, gate: str) -> GateResult:
        return getattr(self, workload).gates[gate]


def _explore(gate: Gate, values: dict[str, Any], rules: Rules, read: set[str] | None = None):
    """Every outcome of ``gate`` over the extremes of the missing values it reads, with the
    values assumed for each: the least favourable extreme of each missing value first."""
    outcomes = []
    pending: list[dict[str, Any]] = [{}]
    while pending:
        assumed = pending.pop()
        facts = Facts(values, assumed)
        try:
            outcomes.append((gate.decide(facts, rules.values), assumed))
        except Missing as need:
            least, most = EXTREMES[need.column]
            pending.append({**assumed, need.column: most})
            pending.append({**assumed, need.column: least})  # taken next
        if read is not None:
            read.update(facts.read)
    return outcomes


def gate_statuses(values: dict[str, Any], rules: Rules,
                  workloads: tuple[str, ...] = WORKLOADS) -> dict[tuple[str, str], str]:
    """The status of every gate of ``workloads`` for a site, without the sentences: for
    checking many what-ifs."""
    statuses = {}
    for gate in (g for g in GATES if g.workload in workloads):
        found = {verdict.status for verdict, _ in _explore(gate, values, rules)}
        statuses[(gate.workload, gate.name)] = (
            next(iter(found)).label if len(found) == 1 else UNKNOWN)
    return statuses


def evaluate_gate(gate: Gate, values: dict[str, Any], rules: Rules,
                  thresholds: dict[str, Any]) -> GateResult:
    """Evaluate one gate, exploring the extremes of every missing value it needs;
    ``thresholds`` are the gate's own (``gate_thresholds``), worked out once per run."""
    read: set[str] = set()
    outcomes = _explore(gate, values, rules, read)
    low = min(v.status for v, _ in outcomes)
    high = max(v.status for v, _ in outcomes)
    missing = tuple(sorted({c for _, assumed in outcomes for c in assumed}))
    inputs = {c: values.get(c) for c in sorted(read)}
    if low == high:
        verdict = outcomes[0][0]
        return GateResult(gate.name, gate.workload, low.label, low, high, verdict.reason,
                          verdict.action, inputs, thresholds)
    names = ", ".join(missing)
    reason = (f"{gate.workload.capitalize()} {gate.name} is unknown until {names} "
              f"{'is' if len(missing) == 1 else 'are'} given: {low.label} at worst, "
              f"{high.label} at best.")
    action = f"Ask the site team for {names}."
    return GateResult(gate.name, gate.workload, UNKNOWN, low, high, reason, action, inputs,
                      thresholds, missing)


def gate_thresholds(gate: Gate, rules: Rules) -> dict[str, Any]:
    """The rule values a gate reads, under their dotted keys."""
    return {f"{section}.{key}": value for section in gate.sections
            for key, value in _section(rules, section).items() if not isinstance(value, dict)}


def _section(rules: Rules, dotted: str) -> dict[str, Any]:
    node = rules.values
    for part in dotted.split("."):
        node = node[part]
    return node


def _workload(workload: str, gates: dict[str, GateResult], rules: Rules) -> WorkloadResult:
    if any(g.status == FAIL.label for g in gates.values()):
        verdict = "unfit"
    elif all(g.status == PASS.label for g in gates.values()):
        verdict = "fit"
    else:
        verdict = "conditional"
    points = rules["scores"]
    score = sum(points[g.low.label] for g in gates.values())
    return WorkloadResult(workload, verdict, score, gates)


def bucket_of(training: str, inference: str) -> str:
    """The site's bucket from the two workload verdicts."""
    train_ok, infer_ok = training != "unfit", inference != "unfit"
    if train_ok and infer_ok:
        return "Hybrid"
    if train_ok:
        return "Training"
    if infer_ok:
        return "Inference"
    return "Neither"


BUCKET_WORKLOADS = {"Training": ("training",), "Inference": ("inference",),
                    "Hybrid": WORKLOADS, "Neither": ()}


def bucket_workloads(bucket: str) -> tuple[str, ...]:
    """The workloads a site of ``bucket`` must make fit to be ready (none for Neither)."""
    return BUCKET_WORKLOADS[bucket]


_ACTION_ORDER = {FAIL.label: 0, CONDITIONAL.label: 1, UNKNOWN: 2}


def classify_site(values: dict[str, Any], rules: Rules,
                  thresholds: dict[Gate, dict[str, Any]] | None = None) -> SiteResult:
    """Classify one site given as contract values (None for missing)."""
    thresholds = thresholds or {gate: gate_thresholds(gate, rules) for gate in GATES}
    results = {w: {} for w in WORKLOADS}
    for gate in GATES:
        results[gate.workload][gate.name] = evaluate_gate(gate, values, rules, thresholds[gate])
    training = _workload("training", results["training"], rules)
    inference = _workload("inference", results["inference"], rules)
    bucket = bucket_of(training.verdict, inference.verdict)
    targets = bucket_workloads(bucket)
    ready = bool(targets) and all(
        (training, inference)[WORKLOADS.index(w)].verdict == "fit" for w in targets)
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
    mining = values.get("mining_load_mw")
    mullet = None
    if mining and mining > 0 and bucket != "Neither":
        mullet = (f"Keep the {mining:g} MW of mining as flexible load that curtails first while "
                  "AI keeps its uptime (\"mullet mining\").")
    return SiteResult(
        site_id=str(values["site_id"]), site_name=str(values["site_name"]), values=values,
        training=training, inference=inference, bucket=bucket,
        readiness="ready" if ready else "not yet",
        disqualifiers=tuple(d for d in DISQUALIFIERS if d.fires(statuses)),
        actions=tuple(actions), data_gaps={k: tuple(v) for k, v in gaps.items()},
        mullet_note=mullet)


def classify(sites: pd.DataFrame, rules: Rules) -> list[SiteResult]:
    """Classify every row of a validated frame, in row order."""
    thresholds = {gate: gate_thresholds(gate, rules) for gate in GATES}
    return [classify_site(values, rules, thresholds) for values in site_records(sites)]


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
