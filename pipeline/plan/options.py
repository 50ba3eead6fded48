"""The plan's choices for each site: one row per (site, workload, delay in whole years),
in the columns the economics' ``options`` table has (see ``OPTION_COLUMNS``)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipeline import economics
from pipeline.classify import SiteResult, bucket_workloads
from pipeline.rules import Rules

OPTION_COLUMNS = ("site_id", "workload", "delay_years", "npv_musd", "npv_p10_musd",
                  "npv_p90_musd", "irr_pct", "equity_irr_pct", "capex_musd", "equity_musd",
                  "it_mw")


def year_columns(last: int) -> list[str]:
    """The per-year columns for years 0..``last`` from the decision."""
    return [f"{stem}_y{k}" for k in range(last + 1)
            for stem in ("capex_musd", "equity_musd", "mw")]


def options_from_current_economics(results: list[SiteResult], rules: Rules,
                                   delays: Sequence[int]) -> pd.DataFrame:
    """Each site's conversion options from today's economics, for every workload its bucket
    suits (both for a Hybrid) and every delay in ``delays``.

    Today's model commits all capex at the start and has no debt, so equity is the capex, a
    start ``k`` years after the decision spends it all in year ``k``, and the NPVs (base,
    P10, P90) at the decision are the start's NPVs discounted by (1 + rate)^-k. The IRR does
    not move with the start."""
    candidates = [p for s in results for w in bucket_workloads(s.bucket)
                  if (p := economics.plan(s, w, rules)).energized_mw - p.kept_mw
                  + p.later_mw > 0]
    last = max(delays, default=0)
    if not candidates:
        return pd.DataFrame(columns=[*OPTION_COLUMNS, *year_columns(last)])
    sites = economics.Sites.of(candidates, rules)
    model = economics.Model(rules, economics._horizon(sites, rules))
    npv = economics.npv(sites, model)[:, 0]
    spread, _ = economics._monte_carlo(sites, model, economics.draws(rules))
    flows = economics.monthly_flows(sites, model, economics.scenarios(rules)["base"])
    irr = economics._irr(economics._yearly(flows)) * 100
    capex = sites.capex[:, economics.BASE]
    it_mw = sites.it_now + sites.it_later
    frames = []
    for delay in delays:
        shift = (1 + model.rate) ** -delay
        frame = pd.DataFrame({
            "site_id": [p.site.site_id for p in candidates],
            "workload": [p.workload for p in candidates],
            "delay_years": delay,
            "npv_musd": npv * shift, "npv_p10_musd": spread[:, 0] * shift,
            "npv_p90_musd": spread[:, 2] * shift, "irr_pct": irr, "equity_irr_pct": irr,
            "capex_musd": capex, "equity_musd": capex, "it_mw": it_mw})
        for k in range(last + 1):
            frame[f"capex_musd_y{k}"] = capex if k == delay else 0.0
            frame[f"equity_musd_y{k}"] = capex if k == delay else 0.0
            frame[f"mw_y{k}"] = it_mw if k == delay else 0.0
        frames.append(frame)
    return pd.concat(frames, ignore_index=True).astype({"delay_years": int})
