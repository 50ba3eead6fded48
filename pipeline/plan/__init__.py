"""The conversion plan: which sites to convert, when and for which workload, to make the
most of the portfolio's NPV within the capex, equity and MW the board can commit each year
(docs/plan.md). A stage above the economics: it reads only the options table that
``pipeline.economics.options`` makes (``OPTION_COLUMNS``, then the per-year columns)."""

from pipeline.plan.changes import plan_changes
from pipeline.economics.options import OPTION_COLUMNS
from pipeline.plan.portfolio import Plan, make_plan
from pipeline.plan.settings import PlanSettings, load_plan_file, plan_settings

__all__ = ["OPTION_COLUMNS", "Plan", "PlanSettings", "load_plan_file", "make_plan",
           "plan_changes", "plan_settings"]
