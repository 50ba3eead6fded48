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
    from pipeline.run import FileOutcome, RunState
    from pipeline.validate import Validated


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(path: Path, checked: Validated, rules: Rules, totals: tabulate.Tally,
                   outcome: FileOutcome, run: RunState) -> None:
    """What a run read, decided and wrote, as JSON at ``path``: the record of the run."""
    table = checked.table
    manifest = {
        "tool": "sitefit",
        "version": __version__,
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "input": {"path": str(table.path), "sha256": _sha256(table.path),
                  "sheet": table.sheet, "header_row": table.header_row},
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
                    "plan.csv"]
        + (["plan-changes.csv"] if run.plan_changes is not None else [])
        + (["changes.csv"] if run.before is not None else [])
        + (["whatif.csv"] if run.baseline is not None else [])
        + (["portfolio.pdf", "reports/"] if outcome.pdfs else []),
        "previous": {"path": str(run.previous), "changes": len(run.changes)}
        if run.before is not None else None,
        "what_if": {"baseline": run.baseline.source, "baseline_sha256": run.baseline.sha256,
                    "sites_changed": len(run.whatif)} if run.baseline is not None else None,
        "plan": None if run.plan is None else {
            "converted": run.plan.converted, "npv_musd": run.plan.npv_musd,
            "capex_musd": run.plan.capex_musd, "optimality_gap": run.plan.gap,
            "optimal": run.plan.optimal},
        "pdfs": outcome.pdfs,
        "timings_s": outcome.timings,
        "exit_status": outcome.exit_code,
        "message": outcome.message,
    }
    path.write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
