"""What a run of one input file did: the record the caller, the manifest and ``--json`` read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import Exit, SitefitError


@dataclass
class FileOutcome:
    """What a run of one input file did, for the caller and the manifest."""

    input: Path
    out_dir: Path | None
    exit_code: int
    message: str
    data_rows: int = 0
    evaluated: int = 0
    rejected: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    pdfs: dict | None = None
    problems: dict[str, int] = field(default_factory=dict)  # rejected rows' problems by code
    error: str | None = None  # the code of the error that stopped this input, if one did
    # columns not in the contract, carried through, not read: each header as written, with
    # the contract column it may have meant
    unread: tuple[str, ...] = ()

    @property
    def unread_note(self) -> str | None:
        """The columns sitefit carried through without reading, in one line."""
        if not self.unread:
            return None
        return (f"{self.input}: {len(self.unread)} column{'s' if len(self.unread) > 1 else ''}"
                f" carried through, not read: {', '.join(self.unread)}")

    @classmethod
    def failed(cls, path: Path, out_dir: Path | None, error: SitefitError) -> FileOutcome:
        """The outcome of an input whose run ``error`` stopped: nothing of it was written."""
        return cls(path, out_dir, error.exit_code, str(error), error=error.code)

    @property
    def status(self) -> str:
        """``evaluated``, ``some-rejected``, ``nothing-evaluated`` or ``failed``."""
        if self.error is not None:
            return "failed"
        return {Exit.OK: "evaluated", Exit.SOME_REJECTED: "some-rejected"}.get(
            self.exit_code, "nothing-evaluated")

    @property
    def manifest(self) -> Path | None:
        """The run's manifest.json, unless the run failed before writing it."""
        if self.error is not None or self.out_dir is None:
            return None
        return self.out_dir / "manifest.json"
