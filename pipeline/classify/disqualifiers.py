"""The seed article's common disqualifiers, each defined by the gate failures that fire it."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.classify.words import Status


@dataclass(frozen=True)
class Disqualifier:
    key: str
    title: str
    meaning: str
    when: tuple[tuple[str, str], ...]  # (workload, gate) pairs that must all fail

    def fires(self, statuses: dict[tuple[str, str], Status]) -> bool:
        return all(statuses[pair] == Status.FAIL for pair in self.when)


DISQUALIFIERS: tuple[Disqualifier, ...] = (
    Disqualifier("remote_limited_scale", "Remote and limited scale",
                 "Not enough power advantage for training economics, too far for inference.",
                 (("training", "power"), ("inference", "location"))),
    Disqualifier("no_cooling_path", "No credible cooling retrofit path",
                 "Conversion capex can exceed greenfield economics quickly.",
                 (("training", "cooling"),)),
    Disqualifier("no_fiber_path", "No fiber path in a location-sensitive market",
                 "Inference dies; training may still work only if power economics are "
                 "exceptional.",
                 (("inference", "networking"),)),
    Disqualifier("operational_ceiling", "Operational ceiling",
                 "Without 24x7 high-availability operations inference is not realistic, and "
                 "training is constrained to smaller configurations.",
                 (("inference", "operations"),)),
)
