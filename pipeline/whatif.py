"""What-if: the sites whose outcome the rules in force change against baseline rules."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.classify import Classifier
from pipeline.compare import CHANGE_COLUMNS, as_text, changes
from pipeline.rules import Rules
from pipeline.tabulate import results_frame


class WhatIf:
    """Classifies each chunk again under ``baseline`` and keeps the sites that differ."""

    def __init__(self, baseline: Rules, extras: list[str]):
        self._classifier, self._extras = Classifier(baseline), extras
        self._moved: list[pd.DataFrame] = []

    def add(self, frame: pd.DataFrame, chunk: list[dict[str, Any]]) -> None:
        """Take one chunk's results under the rules in force and the site values behind
        them."""
        base = [self._classifier.site(values) for values in chunk]
        self._moved.append(changes(as_text(results_frame(base, self._extras)), as_text(frame)))

    def finish(self) -> pd.DataFrame:
        """The sites the rules in force move against the baseline rules."""
        moved = (pd.concat(self._moved) if self._moved
                 else pd.DataFrame(columns=CHANGE_COLUMNS))
        return moved.drop(columns=["change", "inputs_changed"])
