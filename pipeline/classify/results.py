"""What the classifier says of a site: gate results, workload verdicts, the site's bucket."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from pipeline import risks, timeline
from pipeline.classify.disqualifiers import Disqualifier
from pipeline.classify.gates import WORKLOADS
from pipeline.classify.words import Bucket, Readiness, Status, Verdict
from pipeline.contract import show_value

BUCKETS = tuple(Bucket)


@dataclass(frozen=True)
class GateResult:
    """One gate for one workload: status, range, the sentence that explains it, the action,
    and the inputs and rule values it read to decide."""

    gate: str
    workload: str
    status: Status
    low: Status
    high: Status
    reason: str
    action: str | None
    inputs: dict[str, Any]
    thresholds: dict[str, Any]
    missing: tuple[str, ...] = ()

    @property
    def range_label(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low} to {self.high}"


@dataclass(frozen=True)
class WorkloadResult:
    workload: str
    verdict: Verdict
    score: int
    gates: dict[str, GateResult]


@dataclass(frozen=True)
class Action:
    workload: str
    gate: str
    status: Status
    text: str


@dataclass(frozen=True)
class Hold:
    """Something besides the gates that keeps a site from ready: a deal risk, or power not
    yet energized."""

    topic: str
    text: str


@dataclass(frozen=True)
class SiteResult:
    site_id: str
    site_name: str
    values: dict[str, Any]
    training: WorkloadResult
    inference: WorkloadResult
    bucket: Bucket
    readiness: Readiness
    disqualifiers: tuple[Disqualifier, ...]
    actions: tuple[Action, ...]
    data_gaps: dict[str, tuple[str, ...]] = field(default_factory=dict)
    mullet_note: str | None = None
    power_timeline: timeline.PowerTimeline | None = None
    deal_risks: risks.DealRisks = risks.DealRisks()
    held_back: tuple[Hold, ...] = ()  # what keeps the site from ready besides its gates

    @property
    def workloads(self) -> tuple[WorkloadResult, WorkloadResult]:
        return self.training, self.inference

    def gate(self, workload: str, gate: str) -> GateResult:
        return getattr(self, workload).gates[gate]


@dataclass(frozen=True)
class InputChange:
    """One input changed: the column, its value now and the value the change asks for."""

    column: str
    before: Any
    after: Any

    @property
    def text(self) -> str:
        return (f"{self.column} {show_value(self.column, self.before)} → "
                f"{show_value(self.column, self.after)}")


@dataclass(frozen=True)
class Flip:
    """What would move a site: a lead (``Ready with:``) and the input changes it names, or a
    lead alone where no change to the inputs does."""

    lead: str
    changes: tuple[InputChange, ...] = ()

    @property
    def text(self) -> str:
        """The flip as one sentence: ``Ready with: a → b; c → d.``"""
        if not self.changes:
            return self.lead
        return f"{self.lead} {'; '.join(c.text for c in self.changes)}."

    @classmethod
    def of(cls, lead: str, values: dict[str, Any], change: dict[str, Any]) -> Flip:
        """``lead`` with each column of ``change`` against its value in ``values``."""
        return cls(lead, tuple(InputChange(c, values.get(c), v) for c, v in change.items()))


@dataclass(frozen=True)
class Assessment:
    """A classified site with what would flip it to ready (None when it is ready), what would
    move it to a better bucket (None for a Hybrid site) and, for each gate short of pass, the
    input changes that would make it pass (in words)."""

    site: SiteResult
    what_would_flip: Flip | None
    better_bucket: Flip | None
    fixes: dict[tuple[str, str], str]


def verdict_of(statuses: Iterable[Status]) -> Verdict:
    statuses = list(statuses)
    if Status.FAIL in statuses:
        return Verdict.UNFIT
    if all(s == Status.PASS for s in statuses):
        return Verdict.FIT
    return Verdict.CONDITIONAL


def bucket_of(training: Verdict, inference: Verdict) -> Bucket:
    """The site's bucket from the two workload verdicts."""
    train_ok, infer_ok = training != Verdict.UNFIT, inference != Verdict.UNFIT
    if train_ok and infer_ok:
        return Bucket.HYBRID
    if train_ok:
        return Bucket.TRAINING
    if infer_ok:
        return Bucket.INFERENCE
    return Bucket.NEITHER


BUCKET_WORKLOADS = {Bucket.TRAINING: ("training",), Bucket.INFERENCE: ("inference",),
                    Bucket.HYBRID: WORKLOADS, Bucket.NEITHER: ()}


def bucket_workloads(bucket: str) -> tuple[str, ...]:
    """The workloads a site of ``bucket`` must make fit to be ready (none for Neither)."""
    return BUCKET_WORKLOADS[Bucket(bucket)]
