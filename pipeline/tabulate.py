"""Flat tables of a run's results, shared by the CSV and Excel writers."""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import asdict
from typing import Any

import pandas as pd

from pipeline import contract
from pipeline.classify import BUCKETS, Flip, SiteResult
from pipeline.classify.disqualifiers import DISQUALIFIERS
from pipeline.classify.gates import GATE_NAMES, WORKLOADS
from pipeline.classify.words import Bucket, Readiness, Verdict
from pipeline.economics import COLUMNS as ECONOMICS_COLUMNS
from pipeline.enrich import ENRICHED_COLUMNS
from pipeline.rules import Rules, as_cell, default_rules
from pipeline.validate import Problem

IDENTITY = ("site_id", "site_name", "operator", "country", "region")
# Beside the gates: what holds readiness back, deal risks, time to power, scale.
OUTLOOK_COLUMNS = ("held_back_by", "deal_risks", "power_now_mw", "power_pending_mw",
                   "months_to_power", "power_timeline", "large_load_regime", "market_scale")
GATE_COLUMNS = tuple(f"{w}_{g}" for w in WORKLOADS for g in GATE_NAMES)
RESULT_COLUMNS = (*IDENTITY, "bucket", "readiness", "training_verdict", "inference_verdict",
                  "training_score", "inference_score", *GATE_COLUMNS, "disqualifiers",
                  "next_actions", "what_would_flip_it", "better_bucket", "data_gaps",
                  "mullet_note", *OUTLOOK_COLUMNS, *ENRICHED_COLUMNS, *ECONOMICS_COLUMNS,
                  "source_row")
INPUT_COLUMNS = tuple(c.name for c in contract.COLUMNS if c.name not in IDENTITY)
PROBLEM_COLUMNS = ("file", "sheet", "row", "site_id", "column", "value", "problem")


def results_frame(results: list[SiteResult], extras: list[str],
                  flips: dict[str, Flip | None] | None = None,
                  economics: pd.DataFrame | None = None,
                  better: dict[str, Flip | None] | None = None) -> pd.DataFrame:
    """One row per evaluated site: the verdicts, every gate status, the economics (the rows
    of ``economics.evaluate``, by site_id), then the inputs. ``flips`` and ``better`` say
    what would make each site ready, and what would move it to a better bucket."""
    flips, better = flips or {}, better or {}
    money = {} if economics is None else economics.set_index("site_id").to_dict("index")
    rows = []
    for site in results:
        v = site.values
        row: dict[str, Any] = {c: v.get(c) for c in IDENTITY}
        row.update(bucket=str(site.bucket), readiness=str(site.readiness),
                   training_verdict=str(site.training.verdict),
                   inference_verdict=str(site.inference.verdict),
                   training_score=site.training.score, inference_score=site.inference.score)
        for workload in site.workloads:
            for name, gate in workload.gates.items():
                row[f"{workload.workload}_{name}"] = str(gate.status)
        row.update(
            disqualifiers="; ".join(d.title for d in site.disqualifiers),
            next_actions=" | ".join(f"{a.workload} {a.gate}: {a.text}" for a in site.actions),
            what_would_flip_it=_sentence(flips.get(site.site_id)),
            better_bucket=_sentence(better.get(site.site_id)),
            data_gaps="; ".join(f"{c} ({', '.join(g)})" for c, g in site.data_gaps.items()),
            mullet_note=site.mullet_note or "",
            source_row=v["row"])
        row.update(outlook_row(site))
        row.update({c: v.get(c) for c in ENRICHED_COLUMNS})
        row.update(money.get(site.site_id, {}))
        row.update({c: v.get(c) for c in INPUT_COLUMNS})
        row.update({c: v.get(c) for c in extras})
        rows.append(row)
    return pd.DataFrame(rows, columns=[*RESULT_COLUMNS, *INPUT_COLUMNS, *extras])


def _sentence(flip: Flip | None) -> str:
    return "" if flip is None else flip.text


def outlook_row(site: SiteResult) -> dict[str, Any]:
    """The site's holds, deal risks, power timeline and scale as results columns."""
    power = site.power_timeline
    return {"held_back_by": " | ".join(h.text for h in site.held_back),
            "deal_risks": " | ".join(r.text for r in site.deal_risks.risks),
            "power_now_mw": power.energized_mw, "power_pending_mw": power.pending_mw,
            "months_to_power": power.months_to_power, "power_timeline": power.text,
            "large_load_regime": " | ".join(r.text for r in power.regimes),
            "market_scale": power.scale}


GATE_DETAIL_COLUMNS = ("site_id", "site_name", "workload", "verdict",
                       *(f"{g}{part}" for g in GATE_NAMES for part in ("", "_reason", "_to_pass")))


def gate_detail_frame(results: list[SiteResult],
                      fixes: dict[tuple[str, str, str], str] | None = None) -> pd.DataFrame:
    """One row per site and workload: its verdict, then each gate's status, the reason that
    names the inputs and thresholds that decided it (for an unknown, its range and the
    inputs missing), and the input changes that would make it pass. The gates of a site sit
    side by side, so a row reads as the site's case for that workload."""
    fixes = fixes or {}
    rows = []
    for site in results:
        for workload in site.workloads:
            row = [site.site_id, site.site_name, str(workload.workload), str(workload.verdict)]
            for name in GATE_NAMES:
                gate = workload.gates[name]
                row += [str(gate.status), gate.reason,
                        fixes.get((site.site_id, workload.workload, name), "")]
            rows.append(row)
    return pd.DataFrame(rows, columns=list(GATE_DETAIL_COLUMNS))


# The figures a reader looks for first, right after the site, so the first printed page has
# them; then every other economics column in the model's order.
ECONOMICS_HEADLINE = ("econ_workload", "econ_npv_musd", "econ_irr_pct", "econ_equity_irr_pct",
                      "econ_capex_musd", "econ_months_to_revenue", "econ_lease_term_years")
ECONOMICS_SITE_COLUMNS = ("site_id", "site_name", "bucket", "readiness", *ECONOMICS_HEADLINE,
                          *(c for c in ECONOMICS_COLUMNS if c not in ECONOMICS_HEADLINE))
# The economics a Scorecard row keeps; the Economics sheet has every economics column.
SCORECARD_ECONOMICS = ("econ_workload", "econ_it_mw", "econ_capex_musd",
                       "econ_cost_to_ready_musd", "econ_npv_musd", "econ_irr_pct",
                       "econ_payback_years")

CASH_FLOW_COLUMNS = ("site_id", "site_name", "econ_workload", "econ_capex_musd",
                     "econ_npv_musd", "econ_irr_pct")


def scorecard_columns(columns: list[str]) -> list[str]:
    """The results columns the Scorecard sheet shows: all but the economics detail, which the
    Economics sheet shows site by site (results.csv keeps every column)."""
    return [c for c in columns if c not in ECONOMICS_COLUMNS or c in SCORECARD_ECONOMICS]


def economics_rows(results: list[SiteResult], economics: pd.DataFrame) -> pd.DataFrame:
    """A chunk's sites that have economics, one row each, with their names and buckets."""
    names = pd.DataFrame([(s.site_id, s.site_name, str(s.bucket), str(s.readiness))
                          for s in results],
                         columns=["site_id", "site_name", "bucket", "readiness"])
    return names.merge(economics, on="site_id")[list(ECONOMICS_SITE_COLUMNS)]


def cash_flow_rows(rows: pd.DataFrame, cash_flows: pd.DataFrame) -> pd.DataFrame:
    """A chunk's yearly cash flows, a row per phase, the committed cash's present value and
    the equity's cash for each site, beside its NPV and IRR."""
    return rows[list(CASH_FLOW_COLUMNS)].merge(cash_flows, on="site_id")


def _ranked(parts: list[pd.DataFrame], columns: tuple[str, ...]) -> pd.DataFrame:
    """Every chunk's rows, highest NPV first (then by site_id), numbered."""
    parts = [part for part in parts if len(part)]
    frame = (pd.concat(parts, ignore_index=True) if parts
             else pd.DataFrame(columns=list(columns)))
    order = pd.DataFrame({"npv": -frame["econ_npv_musd"].astype(float),
                          "site_id": frame["site_id"]}).sort_values(
        ["npv", "site_id"], kind="mergesort").index
    frame = frame.loc[order].reset_index(drop=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame


ASSUMPTION_COLUMNS = ("assumption", "means", "low", "base", "high", "value", "unit", "source",
                      "as_of")


def assumptions_frame(rules: Rules) -> pd.DataFrame:
    """The Assumptions sheet: each [economics] rule in force, a row each, with its meaning,
    its low, base and high (or its one value), unit, and source and as-of date (or the file
    that set it)."""
    defaults = default_rules().flat()
    rows = []
    for key, value in rules.flat().items():
        if not key.startswith("economics."):
            continue
        about = rules.about(key)
        ranged = isinstance(value, list)  # every [economics] list is [low, base, high]
        given = value == defaults[key]
        rows.append((key, about.means, *(value if ranged else (None, None, None)),
                     None if ranged else as_cell(value), about.unit,
                     about.source if given else f"set by {rules.source}",
                     about.as_of if given else None))
    return pd.DataFrame(rows, columns=list(ASSUMPTION_COLUMNS))


def economics_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The Economics sheet from every chunk's economics rows: sites ranked by NPV (IRR
    beside it); the assumptions are a sheet of their own (``assumptions_frame``)."""
    return _ranked(parts, ECONOMICS_SITE_COLUMNS)


def cash_flows_frame(parts: list[pd.DataFrame], decision_date: str) -> pd.DataFrame:
    """The Cash flows sheet: each site's rows (``economics.Chunk.cash_flows``), sites ranked
    by NPV, a column a year from the decision (``decision_date``, YYYY-MM), named with the
    month it starts from (``year_1_2027_01``; M USD, a year past a site's lease is 0)."""
    frame = _ranked(parts, (*CASH_FLOW_COLUMNS, "cash_series"))
    frame["rank"] = pd.factorize(frame["site_id"])[0] + 1  # a site's rows share its rank
    years = [c for c in frame.columns if c.startswith("year_")]
    years.sort(key=lambda c: int(c.split("_")[1]))
    frame[years] = frame[years].fillna(0.0)
    start = decision_date[:7].replace("-", "_")
    frame = frame.rename(columns={c: f"{c}_{start}" for c in years})
    return frame[["rank", *CASH_FLOW_COLUMNS, "cash_series", *(f"{c}_{start}" for c in years)]]


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    return pd.DataFrame([asdict(p) for p in problems], columns=list(PROBLEM_COLUMNS))


class Tally:
    """Portfolio totals gathered chunk by chunk, so no run holds every site's result at once."""

    TOP = 10  # sites ranked per workload and readiness
    LISTED = 50  # not-yet sites listed by name
    UNLOCATED_LISTED = 20  # sites without coordinates listed by name

    def __init__(self) -> None:
        self.sites = Counter()
        self.ready = Counter()
        self.megawatts = Counter()
        self.fired = Counter()
        self.blockers = Counter()
        self.risks = Counter()
        self.not_yet = 0
        self.not_yet_listed: list[dict[str, Any]] = []
        self.best: dict[tuple[str, str], list[tuple]] = {
            (w, r): [] for w in WORKLOADS for r in Readiness}
        self.located: list[dict[str, Any]] = []
        self.unlocated: list[dict[str, Any]] = []
        self.unlocated_count = 0

    def add(self, results: list[SiteResult],
            flips: dict[str, Flip | None] | None = None) -> None:
        """Count a chunk of results; ``flips`` says what would make each site ready."""
        flips = flips or {}
        for site in results:
            self.sites[site.bucket] += 1
            self.ready[site.bucket] += site.readiness == Readiness.READY
            self.megawatts[site.bucket] += site.values["power_capacity_mw"]
            self.fired.update(d.key for d in site.disqualifiers)
            self.risks.update(f"{r.topic}: {r.value.replace('_', ' ')}"
                              for r in site.deal_risks.risks)
            if site.power_timeline.pending_mw != 0:
                self.risks["power not yet all energized"] += 1
            self._place(site)
            held = sorted({f"{a.workload} {a.gate}" for a in site.actions}
                          | {h.topic for h in site.held_back}) \
                if site.readiness == Readiness.NOT_YET else []
            for workload in site.workloads:
                if workload.verdict != Verdict.UNFIT and site.bucket != Bucket.NEITHER:
                    self.best[(str(workload.workload), str(site.readiness))].append(
                        (-workload.score, site.site_id, site.site_name, str(site.bucket),
                         ", ".join(held)))
            if site.readiness == Readiness.NOT_YET and site.bucket != Bucket.NEITHER:
                self.blockers.update(held)
                self.not_yet += 1
                if len(self.not_yet_listed) < self.LISTED:
                    self.not_yet_listed.append({
                        "site_id": site.site_id, "site_name": site.site_name,
                        "bucket": str(site.bucket), "blocked_by": ", ".join(held),
                        "flip": flips.get(site.site_id)})
        for key, ranked in self.best.items():
            self.best[key] = heapq.nsmallest(self.TOP, ranked)

    def _place(self, site: SiteResult) -> None:
        """Keep where the site is for the map, or list it as not mapped."""
        latitude, longitude = site.values.get("latitude"), site.values.get("longitude")
        if latitude is not None and longitude is not None:
            self.located.append({"latitude": latitude, "longitude": longitude,
                                 "bucket": str(site.bucket)})
            return
        self.unlocated_count += 1
        if len(self.unlocated) < self.UNLOCATED_LISTED:
            self.unlocated.append({"site_id": site.site_id, "site_name": site.site_name})

    def buckets(self) -> pd.DataFrame:
        """Sites, ready sites and megawatts by bucket, every bucket listed, then the total."""
        rows = [{"bucket": str(b), "sites": self.sites[b], "ready": self.ready[b],
                 "capacity_mw": float(self.megawatts[b])} for b in BUCKETS]
        rows.append({"bucket": "Total", "sites": sum(self.sites.values()),
                     "ready": sum(self.ready.values()),
                     "capacity_mw": float(sum(self.megawatts.values()))})
        return pd.DataFrame(rows)

    def disqualifiers(self) -> list[tuple[str, int]]:
        return [(d.title, self.fired[d.key]) for d in DISQUALIFIERS]

    def deal_risks(self) -> list[tuple[str, int]]:
        """Sites per deal risk (and with power not yet all energized), most frequent first."""
        return sorted(self.risks.items(), key=lambda item: (-item[1], item[0]))

    def ranked(self, workload: str, readiness: str) -> list[dict[str, Any]]:
        """The best sites for a workload (fit or conditional, and not barred to Neither, as a
        sanctioned country bars a site) that are ``ready`` or ``not yet``, highest score
        first, with what holds each back (blank for a ready site)."""
        return [{"score": -score, "site_id": sid, "site_name": name, "bucket": bucket,
                 "held_back": held}
                for score, sid, name, bucket, held in self.best[(workload, readiness)]]

