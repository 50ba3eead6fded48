"""manifest.json: what a run read (input and rules, with their hashes), what it decided and
what it wrote."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import __version__

if TYPE_CHECKING:
    from pipeline import tabulate
    from pipeline.rules import Rules
    from pipeline.outcome import FileOutcome
    from pipeline.plan import Plan
    from pipeline.validate import Validated


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(path: Path, checked: Validated, rules: Rules, totals: tabulate.Tally,
                   outcome: FileOutcome, *, previous: Path | None = None, changes: int = 0,
                   baseline: Rules | None = None, whatif_sites: int = 0,
                   plan: Plan | None = None, plan_changes: bool = False) -> None:
    """What a run read, decided and wrote, as JSON at ``path``: the record of the run.
    ``previous`` is the run it was compared with (``changes`` sites changed), ``baseline``
    the rules a what-if compared against (``whatif_sites`` sites moved), ``plan`` the
    conversion plan (``plan_changes``: its changes against the previous run's were
    written)."""
    table = checked.table
    manifest = {
        "tool": "sitefit",
        "version": __version__,
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "input": {"path": str(table.path), "sha256": _sha256(table.path),
                  "sheet": table.sheet, "header_row": table.header_row,
                  "numbers": checked.numbers.record(),
                  "carried_through_not_read": list(table.extras)},
        "rules": {"source": rules.source, "sha256": rules.sha256, "values": rules.values},
        "rows": {
            "data_rows": outcome.data_rows,
            "evaluated": outcome.evaluated,
            "rejected": outcome.rejected,
            "all_accounted_for": outcome.evaluated + outcome.rejected == outcome.data_rows,
            "rejected_rows": checked.rejected_rows,
            "not_data": {str(row): why for row, why in table.skipped_rows.items()},
        },
        "buckets": {row.bucket: row.sites for row in totals.buckets().itertuples(index=False)},
        "outputs": ["results.csv", "rejected.csv", "scorecard.xlsx", "manifest.json",
                    "plan.csv", "plan-options.csv"]
        + (["plan-changes.csv"] if plan_changes else [])
        + (["changes.csv"] if previous is not None else [])
        + (["whatif.csv"] if baseline is not None else [])
        + (["portfolio.pdf", "reports/"] if outcome.pdfs else []),
        "previous": {"path": str(previous), "changes": changes}
        if previous is not None else None,
        "what_if": {"baseline": baseline.source, "baseline_sha256": baseline.sha256,
                    "sites_changed": whatif_sites} if baseline is not None else None,
        "plan": None if plan is None else {
            "converted": plan.converted, "npv_musd": plan.npv_musd,
            "capex_musd": plan.capex_musd, "optimality_gap": plan.gap,
            "optimal": plan.optimal},
        "pdfs": outcome.pdfs,
        "timings_s": outcome.timings,
        "exit_status": outcome.exit_code,
        "message": outcome.message,
    }
    path.write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
