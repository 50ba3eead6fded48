"""The classifier's words: a gate's status, a workload's verdict, a site's bucket and
readiness. Each is a StrEnum, so it prints, writes and compares as its text ("pass",
"Hybrid", "not yet"); a status also orders by how favourable it is."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A gate's status. Decided statuses order fail < conditional < pass; ``unknown`` is a
    range of them and has no place in that order."""

    FAIL = "fail"
    CONDITIONAL = "conditional"
    PASS = "pass"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        if self is Status.UNKNOWN:
            raise ValueError("unknown is a range of statuses, not one of them")
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        return self.rank < Status(other).rank

    def __le__(self, other: object) -> bool:
        return self.rank <= Status(other).rank

    def __gt__(self, other: object) -> bool:
        return self.rank > Status(other).rank

    def __ge__(self, other: object) -> bool:
        return self.rank >= Status(other).rank

    @property
    def verb(self) -> str:
        """How a sentence says it: "Training power passes", "is conditional", "fails"."""
        return {"pass": "passes", "conditional": "is conditional", "fail": "fails"}[self]


_RANK = {Status.FAIL: 0, Status.CONDITIONAL: 1, Status.PASS: 2}


class Verdict(StrEnum):
    """A workload's verdict over its five gates."""

    FIT = "fit"
    CONDITIONAL = "conditional"
    UNFIT = "unfit"


class Bucket(StrEnum):
    TRAINING = "Training"
    INFERENCE = "Inference"
    HYBRID = "Hybrid"
    NEITHER = "Neither"


class Readiness(StrEnum):
    READY = "ready"
    NOT_YET = "not yet"
