"""Flat tables of a run's results, shared by the CSV and Excel writers."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

import pandas as pd

from pipeline import contract
from pipeline.classify import BUCKETS, SiteResult
from pipeline.classify.disqualifiers import DISQUALIFIERS
from pipeline.classify.gates import GATE_NAMES, WORKLOADS
from pipeline.enrich import ENRICHED_COLUMNS
from pipeline.validate import Problem

IDENTITY = ("site_id", "site_name", "operator", "country", "region")
GATE_COLUMNS = tuple(f"{w}_{g}" for w in WORKLOADS for g in GATE_NAMES)
RESULT_COLUMNS = (*IDENTITY, "bucket", "readiness", "training_verdict", "inference_verdict",
                  "training_score", "inference_score", *GATE_COLUMNS, "disqualifiers",
                  "next_actions", "data_gaps", "mullet_note", *ENRICHED_COLUMNS, "source_row")
INPUT_COLUMNS = tuple(c.name for c in contract.COLUMNS if c.name not in IDENTITY)
PROBLEM_COLUMNS = ("file", "sheet", "row", "site_id", "column", "value", "problem")


def results_frame(results: list[SiteResult], extras: list[str]) -> pd.DataFrame:
    """One row per evaluated site: the verdicts, every gate status, then the inputs."""
    rows = []
    for site in results:
        v = site.values
        row: dict[str, Any] = {c: v.get(c) for c in IDENTITY}
        row.update(bucket=site.bucket, readiness=site.readiness,
                   training_verdict=site.training.verdict,
                   inference_verdict=site.inference.verdict,
                   training_score=site.training.score, inference_score=site.inference.score)
        for workload in site.workloads:
            for name, gate in workload.gates.items():
                row[f"{workload.workload}_{name}"] = gate.status
        row.update(
            disqualifiers="; ".join(d.title for d in site.disqualifiers),
            next_actions=" | ".join(f"{a.workload} {a.gate}: {a.text}" for a in site.actions),
            data_gaps="; ".join(f"{c} ({', '.join(g)})" for c, g in site.data_gaps.items()),
            mullet_note=site.mullet_note or "",
            source_row=v["row"])
        row.update({c: v.get(c) for c in ENRICHED_COLUMNS})
        row.update({c: v.get(c) for c in INPUT_COLUMNS})
        row.update({c: v.get(c) for c in extras})
        rows.append(row)
    return pd.DataFrame(rows, columns=[*RESULT_COLUMNS, *INPUT_COLUMNS, *extras])


def gate_detail_frame(results: list[SiteResult]) -> pd.DataFrame:
    """One row per site, workload and gate, with the reason, the range and the action."""
    rows = []
    for site in results:
        for workload in site.workloads:
            for name, gate in workload.gates.items():
                rows.append({
                    "site_id": site.site_id, "site_name": site.site_name,
                    "workload": workload.workload, "gate": name, "status": gate.status,
                    "range": gate.range_label, "reason": gate.reason, "action": gate.action or "",
                    "inputs": "; ".join(f"{c}={contract.show_value(c, x)}"
                                        for c, x in gate.inputs.items()),
                    "missing": ", ".join(gate.missing),
                    "thresholds": "; ".join(f"{k}={x}" for k, x in gate.thresholds.items()),
                })
    return pd.DataFrame(rows, columns=["site_id", "site_name", "workload", "gate", "status",
                                       "range", "reason", "action", "inputs", "missing",
                                       "thresholds"])


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    return pd.DataFrame([asdict(p) for p in problems], columns=list(PROBLEM_COLUMNS))


def bucket_summary(results: list[SiteResult]) -> pd.DataFrame:
    """Sites, ready sites and megawatts by bucket, every bucket listed."""
    rows = []
    for bucket in BUCKETS:
        members = [s for s in results if s.bucket == bucket]
        rows.append({"bucket": bucket, "sites": len(members),
                     "ready": sum(s.readiness == "ready" for s in members),
                     "capacity_mw": float(sum(s.values["power_capacity_mw"] for s in members))})
    rows.append({"bucket": "Total", "sites": len(results),
                 "ready": sum(s.readiness == "ready" for s in results),
                 "capacity_mw": float(sum(s.values["power_capacity_mw"] for s in results))})
    return pd.DataFrame(rows)


def disqualifier_counts(results: list[SiteResult]) -> list[tuple[str, int]]:
    fired = Counter(d.key for s in results for d in s.disqualifiers)
    return [(d.title, fired[d.key]) for d in DISQUALIFIERS]
