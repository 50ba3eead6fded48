"""PDF reports for executives: one per site and one for the portfolio (A4).

HTML comes from the Jinja templates in ``templates/`` with every value escaped; WeasyPrint
renders it with one font configuration and one parsed stylesheet per process, spread over
``jobs`` processes. The renderer may read files inside ``templates/`` and nothing else, and
fetches nothing from the network. A report whose HTML (less the run date), templates and
tool version are unchanged since the previous run, and whose file is still the one that run
recorded (size and sha256 in its manifest), is reused instead of rendered again.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import re
import shutil
import stat
import sys
from collections import Counter
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse
from urllib.request import url2pathname

import jinja2
import markupsafe
import pandas as pd

from pipeline import __version__, bounded, contract, labels, tabulate
from pipeline.children import end_with_parent, signals_held
from pipeline.classify import Flip, SiteResult
from pipeline.classify.gates import GATE_NAMES, WORKLOADS
from pipeline.classify.words import Readiness
from pipeline.economics.figures import BRIDGE, EQUITY_CASH
from pipeline.errors import EnvironmentFailure, UsageError
from pipeline.plan.settings import COMMITTED
from pipeline.writers import sitemap

# templates/ in the repository, pipeline/templates/ in the wheel: the package knows where.
TEMPLATES = Path(str(resources.files("pipeline.templates")))
DATE_TOKEN = "@@SITEFIT_RUN_DATE@@"
BUCKET_COLOURS = {bucket: labels.PALETTE[bucket].strong for bucket in labels.BUCKETS}
HEADLINES = {
    "Training": "Training site", "Inference": "Inference site",
    "Hybrid": "Hybrid: training and inference", "Neither": "Neither training nor inference yet",
}
EXPLANATIONS = {
    "Training": "This site suits AI training (cheap, scalable power matters more than distance "
                "to users) but not inference.",
    "Inference": "This site suits AI inference (close to users, reliable and staffed) but not "
                 "training.",
    "Hybrid": "This site suits both AI training and inference.",
    "Neither": "This site suits neither AI training nor inference as it stands; the actions "
               "below say what would change that.",
}
RESERVED_NAMES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                  *(f"LPT{i}" for i in range(1, 10))}


class PdfUnavailable(EnvironmentFailure):
    """WeasyPrint or a system library it needs is missing; the message says what to install."""


class BrandingError(UsageError):
    """The branding file or its logo cannot be used; the message names the file."""


@dataclass(frozen=True)
class Branding:
    """The company a report is made for: its name and its logo as a ``data:`` URI."""

    name: str
    logo: str | None = None


LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
LOGO_MAX_BYTES = 512 * 1024
NAME_MAX_CHARS = 120


def load_branding(path: Path) -> Branding:
    """The ``[branding]`` table of a TOML file: ``name`` and an optional ``logo``, a PNG or
    JPEG file of at most 512 KiB, its path relative to the TOML file. Only that one file is
    read, and only if it is a regular file that starts as a PNG or JPEG does."""
    table = bounded.read_toml(path, str(path), "a branding file", BrandingError).get("branding")
    if not isinstance(table, dict):
        raise BrandingError(f"{path}: no [branding] table")
    unknown = sorted(set(table) - {"name", "logo"})
    if unknown:
        raise BrandingError(f"{path}: [branding] has unknown keys {', '.join(unknown)}; "
                            "it takes name and logo")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX_CHARS:
        raise BrandingError(f"{path}: [branding] name must be text of 1 to {NAME_MAX_CHARS} "
                            "characters")
    logo = table.get("logo")
    if logo is None:
        return Branding(name.strip())
    if not isinstance(logo, str) or not logo:
        raise BrandingError(f"{path}: [branding] logo must be the path of a PNG or JPEG file")
    return Branding(name.strip(), _logo_uri(path.parent / logo))


def _logo_uri(path: Path) -> str:
    try:
        # non-blocking, so a named pipe is refused rather than waited on
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise BrandingError(f"{path}: the logo is not a regular file")
            data = handle.read(LOGO_MAX_BYTES + 1)
    except OSError as exc:
        raise BrandingError(f"{path}: cannot read the logo: {exc.strerror or exc}") from exc
    if len(data) > LOGO_MAX_BYTES:
        raise BrandingError(f"{path}: the logo is larger than {LOGO_MAX_BYTES // 1024} KiB")
    kind = next((kind for magic, kind in LOGO_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise BrandingError(f"{path}: the logo must be a PNG or JPEG image")
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


@dataclass(frozen=True)
class RunInfo:
    version: str
    date: str
    input: str
    rules_source: str
    rules_hash: str
    branding: Branding | None = None


@dataclass(frozen=True)
class Page:
    """One PDF to produce: its file name under the output folder and its HTML."""

    name: str
    html: str  # with DATE_TOKEN where the run date goes

    def key(self, templates_hash: str) -> str:
        text = f"{__version__}\n{templates_hash}\n{self.html}"
        return hashlib.sha256(text.encode()).hexdigest()


def report_names(site_ids: list[str]) -> dict[str, str]:
    """A safe, unique file name under reports/ for each site_id.

    Characters a file system may reject become ``_``. A name that had to change, that
    differs from another only in case, or that Windows reserves, gets a short hash of the
    real id, so two ids never share a file.
    """
    slugs = {sid: re.sub(r"[^A-Za-z0-9._-]+", "_", sid).strip("._")[:80] or "site"
             for sid in site_ids}
    exact = Counter(slug.lower() for sid, slug in slugs.items() if slug == sid)
    names = {}
    for sid, slug in slugs.items():
        if (slug != sid or exact[slug.lower()] > 1
                or slug.upper().split(".")[0] in RESERVED_NAMES):
            stem, dot, rest = slug.partition(".")  # Windows reserves CON.anything too
            slug = f"{stem}-{hashlib.sha256(sid.encode()).hexdigest()[:10]}{dot}{rest}"
        names[sid] = f"{slug}.pdf"
    return names


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """The templates' environment, made once per process (each chunk renders with it)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.globals.update(number=contract.show_number, musd=_musd, gates=GATE_NAMES,
                       computed=contract.COMPUTED,
                       bucket_colours=BUCKET_COLOURS, label=labels.label,
                       palette_css=markupsafe.Markup(labels.palette_css()))
    env.filters["readable"] = labels.readable
    return env


def _marked(value: Any, source: Any) -> str:
    return f"{value} ({source})" if source and source != contract.GIVEN else str(value)


def location_lines(v: dict[str, Any]) -> list[str]:
    """What the site's location says, each value computed from coordinates marked so."""
    n, lines = contract.show_number, []
    place = [_marked(v[c], v.get(f"{c}_source")) for c in ("region", "country") if v.get(c)]
    if place:
        lines.append("Place: " + ", ".join(place) + ".")
    if v.get("climate_zone"):
        band = v.get("climate_band")
        zone = _marked(v["climate_zone"], v.get("climate_zone_source"))
        lines.append(f"Climate: Köppen-Geiger {zone}"
                     + (f", {band.replace('_', '-')} cooling band" if band else ", no cooling band")
                     + "; the design PUE of the economics follows it.")
    for what, column, prefix in (("cloud region", "nearest_cloud_region", "cloud_region"),
                                 ("internet exchange", "nearest_ix", "ix")):
        if v.get(column):
            lines.append(f"Nearest {what}: {v[column]}, {n(v[f'{prefix}_distance_miles'])} "
                         f"miles, about {n(v[f'{prefix}_rtt_ms'])} ms round trip estimated "
                         f"({contract.COMPUTED}).")
    return lines


def site_pages(results: list[SiteResult], run: RunInfo, names: dict[str, str],
               flips: dict[str, Flip | None], changes: dict[str, dict],
               money: dict[str, Any] | None = None) -> list[Page]:
    """One page per site; ``names`` maps every site_id of the run to its file name, ``flips``
    says what would make a site ready, ``changes`` what changed since the previous run."""
    template = _environment().get_template("site.html")
    info = _undated(run)
    pages = []
    for site in results:
        pages.append(Page(f"reports/{names[site.site_id]}", template.render(
            site=site, v=site.values, run=info, headline=_headline(site),
            explanation=EXPLANATIONS[site.bucket], flip=_flip(flips.get(site.site_id)),
            change=changes.get(site.site_id),
            location=location_lines(site.values),
            money=_with_charts((money or {}).get(site.site_id)))))
    return pages


def _flip(flip: Flip | None) -> dict[str, Any] | None:
    """What would flip a site as people read it: its lead and a list of the changes."""
    if flip is None:
        return None
    return {"lead": labels.readable(flip.lead),
            "changes": [labels.readable(c.text) for c in flip.changes]}


def _with_charts(money: dict[str, Any] | None) -> dict[str, Any] | None:
    """A site's economics (a row of ``economics.evaluate``'s pages) with its charts."""
    if money is None:
        return None
    return {**money, "cash_chart": _cash_flow_chart(money["series"]),
            "tornado_chart": _tornado_chart(money["tornado"], money["econ_npv_musd"])}


def portfolio_page(totals: tabulate.Tally, run: RunInfo, rejected: int,
                   changes: list[dict] | None, economics=None,
                   money: dict[str, Any] | None = None, plan=None,
                   plan_changes=None) -> Page:
    """The executive summary; ``changes`` (None without a previous run) lists what changed,
    ``economics`` the sites with the highest NPV, ``money`` the portfolio's totals
    (``economics.Portfolio.summary``), ``plan`` the conversion plan (``pipeline.plan.Plan``)
    and ``plan_changes`` its changes since the previous run."""
    buckets = totals.buckets()
    points = [sitemap.Point(p["latitude"], p["longitude"], p["bucket"]) for p in totals.located]
    html = _environment().get_template("portfolio.html").render(
        run=_undated(run), evaluated=int(buckets.iloc[-1]["sites"]), rejected=rejected,
        total_mw=float(buckets.iloc[-1]["capacity_mw"]), ready=int(buckets.iloc[-1]["ready"]),
        neither=totals.sites["Neither"], not_yet_count=totals.not_yet,
        buckets=buckets.to_dict("records"), chart=_bucket_chart(buckets.iloc[:-1]),
        site_map=sitemap.site_map(points, BUCKET_COLOURS),
        mapped=len(points), unmapped=totals.unlocated, unmapped_count=totals.unlocated_count,
        ranked={w: {r: totals.ranked(w, r) for r in Readiness} for w in WORKLOADS},
        disqualifiers=totals.disqualifiers(), deal_risks=totals.deal_risks(),
        blockers=totals.blockers.most_common(),
        not_yet=[{**s, "flip": _flip(s["flip"])} for s in totals.not_yet_listed],
        changes=changes, economics=economics.to_dict("records") if economics is not None else [],
        money=money or {}, plan=_plan_view(plan, plan_changes) if plan is not None else None,
        breakeven_chart=(_breakeven_chart(money["breakeven_rents"], money["market_rent"])
                         if money and money.get("breakeven_rents") else None),
        top_blocker=totals.blockers.most_common(1)[0] if totals.blockers else None)
    return Page("portfolio.pdf", html)


def _plan_view(plan, changes) -> dict[str, Any]:
    """What the plan page shows: the conversions by start year, each year's use of its
    limits, the shadow values, the frontier and the reasons sites are left out."""
    rows = plan.sites
    converted = rows[rows["converted"] == "yes"]
    by_year = []
    for year in plan.years.to_dict("records"):
        starting = converted[converted["start_year"] == year["year"]]
        by_year.append({**year, "sites": starting.to_dict("records"),
                        "npv_musd": float(starting["npv_musd"].sum())})
    out = rows[rows["converted"] == "no"]
    # the sites a limit keeps out first: those are the ones a board could bring in
    first = out["reason"].str.startswith(("budget", "MW limit", "timing"))
    out = pd.concat([out[first], out[~first]])
    reasons = Counter(r.split(":")[0] for r in out["reason"])
    settings = plan.settings
    hurdle = ("NPV above 0" if settings.hurdle == "npv" else
              f"{settings.hurdle.replace('_', ' ').replace('irr', 'IRR')} of at least "
              f"{contract.show_number(settings.hurdle_min_pct)}%")
    return {"plan": plan, "years": by_year, "reasons": reasons.most_common(),
            "left_out": out.head(12).to_dict("records"), "left_out_count": len(out),
            "hurdle": hurdle, "limited": settings.limited(),
            "committed_basis": settings.capex_basis == COMMITTED,
            "capex_limited": any(v is not None for v in settings.limits["capex"]),
            "later_musd": float(converted["capex_musd_later"].sum()),
            "last_year": settings.start_years[-1],
            "shadow": plan.shadow.to_dict("records"),
            "use_chart": _plan_use_chart(plan.years),
            "frontier_chart": _frontier_chart(plan.frontier, plan.npv_musd, _own_budget(plan)),
            # only a plan that changed gets the section: an unchanged re-run renders nothing
            "changes": None if changes is None else changes.to_dict("records") or None}


PLAN_BAR = 125  # the longest bar of the plan's use chart, leaving room for its label


def _plan_use_chart(years) -> str:
    """Capex and MW committed in each start year, bars against the year's limit (a line),
    as inline SVG."""
    width, height = 520, 120
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" '
             'xmlns="http://www.w3.org/2000/svg" role="img" '
             'aria-label="Capex and MW by start year against the limits">']
    for offset, kind, title in ((0, "capex", "Capex (M USD)"), (270, "mw", "Critical IT (MW)")):
        limits = [v for v in years[f"{kind}_limit"] if v is not None and v == v]
        top = max([*years[f"{kind}_used"], *limits, 1.0])
        parts.append(f'<text x="{offset}" y="10" font-size="9" font-weight="bold" '
                     f'font-family="Report Sans">{title}</text>')
        for i, row in enumerate(years.to_dict("records")):
            y = 18 + i * 30
            used, cap = row[f"{kind}_used"], row[f"{kind}_limit"]
            bar = PLAN_BAR * used / top
            parts.append(f'<text x="{offset}" y="{y + 13}" font-size="8.5" '
                         f'font-family="Report Sans">{row["year"]}</text>')
            parts.append(f'<rect x="{offset + 32}" y="{y}" width="{bar:.1f}" height="18" '
                         f'fill="{labels.HEADER.strong}"/>')
            shown = contract.show_number(round(used, 1))
            if cap is not None and cap == cap:
                x = offset + 32 + PLAN_BAR * cap / top
                parts.append(f'<line x1="{x:.1f}" y1="{y - 3}" x2="{x:.1f}" y2="{y + 21}" '
                             f'stroke="{labels.BAD.strong}" stroke-width="1.4"/>')
                shown += f" of {contract.show_number(round(cap, 1))}"
            else:
                shown += ", no limit"
            parts.append(f'<text x="{offset + 36 + max(bar, PLAN_BAR * (cap or 0) / top):.1f}" '
                         f'y="{y + 13}" font-size="8" font-family="Report Sans">{shown}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _frontier_chart(frontier, npv: float, budget: float) -> str:
    """The plan's NPV at each capex budget (the total of the start years' capex limits):
    the efficient frontier, a line with its points, and this plan marked at its own
    ``budget``, as inline SVG."""
    width, height, left, bottom = 270, 150, 30, 24
    if frontier.empty:
        return ""
    budgets, values = frontier["capex_limit_musd"].tolist(), frontier["npv_musd"].tolist()
    right, top = max(max(budgets), budget, 1.0), max(max(values), npv, 1.0)
    low = min(min(values), 0.0)
    x = lambda b: left + (width - left - 20) * b / right  # noqa: E731
    y = lambda v: 18 + (height - bottom - 18) * (top - v) / ((top - low) or 1.0)  # noqa: E731
    points = " ".join(f"{x(b):.1f},{y(v):.1f}" for b, v in zip(budgets, values))
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" '
             'xmlns="http://www.w3.org/2000/svg" role="img" '
             'aria-label="Plan NPV at each capex budget a year">',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" '
             f'y2="{height - bottom}" stroke="#555" stroke-width="0.6"/>',
             f'<line x1="{left}" y1="18" x2="{left}" y2="{height - bottom}" stroke="#555" '
             'stroke-width="0.6"/>',
             f'<polyline points="{points}" fill="none" stroke="{labels.HEADER.strong}" '
             'stroke-width="1.5"/>']
    shown = float("-inf")  # the last budget labelled on the x axis: labels never overlap
    for b, v in zip(budgets, values):
        parts.append(f'<circle cx="{x(b):.1f}" cy="{y(v):.1f}" r="2.5" '
                     f'fill="{labels.HEADER.strong}"/>')
        if x(b) - shown >= 26:
            shown = x(b)
            parts.append(f'<text x="{x(b) - 10:.1f}" y="{height - bottom + 10}" '
                         f'font-size="7.5" font-family="Report Sans">'
                         f'{contract.show_number(round(b))}</text>')
        parts.append(f'<text x="{x(b) - 14:.1f}" y="{y(v) - 5:.1f}" font-size="7.5" '
                     f'font-family="Report Sans">{_musd(round(v))}</text>')
    mark, ring_x, ring_y = labels.PALETTE["Hybrid"].strong, x(budget), y(npv)
    parts.append(f'<circle class="this-plan" cx="{ring_x:.1f}" cy="{ring_y:.1f}" '
                 f'r="4.5" fill="none" stroke="{mark}" stroke-width="1.5"/>')
    label = ring_x + 7 if ring_x < width / 2 else ring_x - 40
    parts.append(f'<text x="{label:.1f}" y="{ring_y + 14:.1f}" font-size="7.5" '
                 f'fill="{mark}" font-family="Report Sans">this plan</text>')
    parts.append(f'<text x="{left}" y="{height - 2}" font-size="7.5" '
                 'font-family="Report Sans">capex limits of the start years, in all</text>')
    parts.append('<text x="0" y="16" font-size="7.5" font-family="Report Sans">NPV</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _own_budget(plan) -> float:
    """Where the plan sits on its frontier's axis: the total of its own capex limits, or
    with none, its largest year's capex times the start years (the least uniform budget it
    fits)."""
    own = [v for v in plan.settings.limits["capex"] if v is not None]
    if own:
        return float(sum(own))
    return float(plan.years["capex_used"].max()) * len(plan.settings.start_years)


def _undated(run: RunInfo) -> RunInfo:
    return dataclasses.replace(run, date=DATE_TOKEN)


def _headline(site: SiteResult) -> str:
    if site.bucket == "Neither":
        return HEADLINES["Neither"]
    return f"{HEADLINES[site.bucket]} · {'ready' if site.readiness == 'ready' else 'not yet ready'}"


def _bucket_chart(buckets) -> str:
    """Two bar charts side by side, sites and MW per bucket, as inline SVG (no input text)."""
    parts = ['<svg class="chart" viewBox="0 0 520 130" xmlns="http://www.w3.org/2000/svg" '
             'role="img" aria-label="Sites and megawatts by bucket">']
    for offset, column, title in ((0, "sites", "Sites"), (270, "capacity_mw", "MW")):
        top = max(float(buckets[column].max()), 1.0)
        parts.append(f'<text x="{offset}" y="10" font-size="9" font-weight="bold" '
                     f'font-family="Report Sans">{title}</text>')
        for i, row in enumerate(buckets.itertuples(index=False)):
            value = float(getattr(row, column))
            width = 150 * value / top
            y = 18 + i * 27
            parts.append(f'<text x="{offset}" y="{y + 13}" font-size="8.5" '
                         f'font-family="Report Sans">{row.bucket}</text>')
            parts.append(f'<rect x="{offset + 60}" y="{y}" width="{width:.1f}" height="18" '
                         f'fill="{BUCKET_COLOURS[row.bucket]}"/>')
            parts.append(f'<text x="{offset + 64 + width:.1f}" y="{y + 13}" font-size="8.5" '
                         f'font-family="Report Sans">{contract.show_number(round(value, 1))}'
                         f'</text>')
    parts.append("</svg>")
    return "\n".join(parts)


PHASE_COLOURS = ("#1f5f8b", "#6aa6cf", "#b9b9b9")  # committed phases in turn; options grey
BRIDGE_COLOUR = "#6b9b3a"
KEY_STEP = 100  # the legend's spacing


def _cash_flow_chart(series: dict[str, list[float]]) -> str:
    """A site's cash a year from the decision (M USD) as inline SVG: a bar a phase side by
    side (options grey) and one for the mining margin kept through the build, negative
    below the axis, and a line through the equity's cash after debt service."""
    width, height, left, axis_pad, key = 520, 112, 40, 8, 16
    phases = {k: v for k, v in series.items()
              if k.endswith(("(committed)", "(option)")) or k == BRIDGE}
    equity = series.get(EQUITY_CASH, [])
    values = [x for v in phases.values() for x in v] + list(equity) + [0.0]
    top, bottom = max(values), min(values)
    span = (top - bottom) or 1.0
    plot = height - key - 2 * axis_pad
    zero = key + axis_pad + plot * top / span
    years = max((len(v) for v in phases.values()), default=len(equity))
    step = (width - left) / max(years, 1)
    bar = (step - 2) / max(len(phases), 1)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" '
             'xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{left}" y1="{zero:.1f}" x2="{width}" y2="{zero:.1f}" stroke="#555" '
             'stroke-width="0.6"/>']
    for value in (top, bottom):
        y = zero - plot * value / span
        parts.append(f'<text x="0" y="{y + 3:.1f}" font-size="7.5" font-family="Report Sans">'
                     f'{_musd(round(value, 1))}</text>')
    colours, committed = [], 0
    for name in phases:
        if name == BRIDGE:
            colours.append(BRIDGE_COLOUR)
        elif name.endswith("(option)"):
            colours.append(PHASE_COLOURS[-1])
        else:
            colours.append(PHASE_COLOURS[min(committed, len(PHASE_COLOURS) - 2)])
            committed += 1
    for j, (name, flows) in enumerate(phases.items()):
        for i, value in enumerate(flows):
            size = plot * abs(value) / span
            y = zero - size if value >= 0 else zero
            parts.append(f'<rect x="{left + i * step + 1 + j * bar:.1f}" y="{y:.1f}" '
                         f'width="{bar:.1f}" height="{size:.1f}" fill="{colours[j]}"/>')
        key = name.split(",")[0] if name != BRIDGE else "mining kept in the build"
        parts.append(f'<rect x="{left + j * KEY_STEP}" y="2" width="8" height="8" '
                     f'fill="{colours[j]}"/><text x="{left + 11 + j * KEY_STEP}" y="9" '
                     f'font-size="7" font-family="Report Sans">{escape(key)}'
                     f'{" (option)" if name.endswith("(option)") else ""}</text>')
    if equity:
        points = " ".join(f"{left + (i + 0.5) * step:.1f},{zero - plot * v / span:.1f}"
                          for i, v in enumerate(equity))
        parts.append(f'<polyline points="{points}" fill="none" stroke="#c0392b" '
                     'stroke-width="1.2"/>')
        at = left + max(len(phases), 3) * KEY_STEP
        parts.append(f'<line x1="{at}" y1="6" x2="{at + 10}" y2="6" '
                     'stroke="#c0392b" stroke-width="1.2"/><text '
                     f'x="{at + 13}" y="9" font-size="7" '
                     'font-family="Report Sans">equity after debt</text>')
    for i in range(0, years, 2):
        parts.append(f'<text x="{left + i * step + 1:.1f}" y="{height - 1}" font-size="7" '
                     f'font-family="Report Sans">{i + 1}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _breakeven_chart(rents: list[float], market: list[float]) -> str:
    """The portfolio's sites by break-even rent (USD/kW-month), 5 to a bin, against the
    market's range today shaded: a site converts where the market pays more than its bar."""
    width, height, left, bottom, step = 520, 90, 30, 14, 5
    top = max(200.0, max(rents, default=0.0), market[-1])
    bins = int(top // step) + 1
    counts = [0] * bins
    for rent in rents:
        counts[min(int(rent // step), bins - 1)] += 1
    most = max(counts) or 1
    scale = (width - left) / (bins * step)
    plot = height - bottom - 10
    x = lambda v: left + v * scale  # noqa: E731
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" '
             'xmlns="http://www.w3.org/2000/svg">',
             f'<rect x="{x(market[0]):.1f}" y="4" width="{x(market[-1]) - x(market[0]):.1f}" '
             f'height="{plot + 6}" fill="#e8eef7"/>',
             f'<text x="{x(market[0]) + 2:.1f}" y="12" font-size="7" '
             'font-family="Report Sans">market rent today</text>']
    for i, count in enumerate(counts):
        if count:
            size = plot * count / most
            parts.append(f'<rect x="{x(i * step) + 0.5:.1f}" y="{10 + plot - size:.1f}" '
                         f'width="{step * scale - 1:.1f}" height="{size:.1f}" '
                         f'fill="{labels.HEADER.strong}"/>')
    parts.append(f'<line x1="{left}" y1="{10 + plot}" x2="{width}" y2="{10 + plot}" '
                 'stroke="#555" stroke-width="0.6"/>')
    for v in range(0, int(top) + 1, 25):
        parts.append(f'<text x="{x(v):.1f}" y="{height - 2}" font-size="7" '
                     f'font-family="Report Sans">{v}</text>')
    parts.append(f'<text x="0" y="{10 + plot * 0.1:.1f}" font-size="7" '
                 f'font-family="Report Sans">{most} sites</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _tornado_chart(tornado: list[tuple[str, float, float]], base: float) -> str:
    """One bar per assumption, from NPV at its low end to NPV at its high end, around the
    base NPV; the widest first. Inline SVG."""
    width, row, left = 520, 15, 120
    values = [v for _, lo, hi in tornado for v in (lo, hi)] + [base]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    scale = lambda v: left + (width - left - 115) * (v - low) / span  # noqa: E731
    height = row * len(tornado) + 14
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" '
             'xmlns="http://www.w3.org/2000/svg">']
    for i, (name, lo, hi) in enumerate(tornado):
        y = 4 + i * row
        x0, x1 = sorted((scale(lo), scale(hi)))
        parts.append(f'<text x="0" y="{y + 11}" font-size="8" font-family="Report Sans">'
                     f'{escape(name)}</text>')
        parts.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 0.5):.1f}" '
                     f'height="{row - 5}" fill="{labels.HEADER.strong}"/>')
        parts.append(f'<text x="{x1 + 3:.1f}" y="{y + 11}" font-size="7.5" '
                     f'font-family="Report Sans">'
                     f'{_musd(round(lo, 1))} to {_musd(round(hi, 1))}</text>')
    x = scale(base)
    parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 12}" stroke="#1b1b1b" '
                 'stroke-width="0.8"/>')
    parts.append(f'<text x="{x - 20:.1f}" y="{height - 2}" font-size="7.5" '
                 f'font-family="Report Sans">base {_musd(round(base, 1))}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _musd(value: float | None) -> str:
    """An amount in M USD as people write it, ``-$4.92M``; "n/a" when there is none."""
    if value is None or value != value:
        return "n/a"
    return f"{'-' if value < 0 else ''}${contract.show_number(abs(value))}M"


def templates_hash() -> str:
    """A hash of what the reports are drawn from: every template asset, not Python files."""
    digest = hashlib.sha256()
    for path in sorted(p for p in TEMPLATES.rglob("*") if p.is_file()
                       and p.suffix not in (".py", ".pyc")):
        digest.update(path.relative_to(TEMPLATES).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class PdfWriter:
    """Renders pages as they come, over ``jobs`` processes, reusing unchanged ones.

    A page whose key (its HTML less the run date, the templates and the tool version) matches
    the one the manifest in ``previous`` (an earlier output folder) records is hard-linked
    from there instead of rendered, if that file is still the one recorded. At most a few
    pages per process wait in the queue, so memory stays flat however many sites there are.
    """

    def __init__(self, staging: Path, previous: Path | None, date: str, jobs: int, total: int,
                 progress: bool = False):
        self._staging, self._previous = staging, previous
        self._recorded = _recorded(previous)
        self._date, self._jobs = date, min(jobs, total)
        self._templates = templates_hash()
        self._report = _progress(total) if progress else (lambda: None)
        self._pool: ProcessPoolExecutor | None = None
        self._pending: set = set()
        self.keys: dict[str, str] = {}
        self.files: dict[str, dict] = {}  # size and sha256 of each report, by name
        self.rendered = self.reused = 0
        (staging / "reports").mkdir(parents=True, exist_ok=True)

    def add(self, pages: list[Page]) -> None:
        for page in pages:
            key = self.keys[page.name] = page.key(self._templates)
            recorded = self._recorded.get(page.name)
            if (recorded is not None and recorded[0] == key
                    and _carry_over(self._previous / page.name, self._staging / page.name,
                                    recorded[1])):
                self.files[page.name] = recorded[1]
                self.reused += 1
                self._report()
            else:
                self._render(page.html.replace(DATE_TOKEN, self._date),
                             str(self._staging / page.name))

    def _render(self, html: str, target: str) -> None:
        if self.rendered == 0:
            load_weasyprint()  # fail here, once, with advice, rather than inside every worker
        self.rendered += 1
        if self._jobs <= 1:
            _render(html, target)
            self._report()
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self._jobs, initializer=_start_worker,
                                             initargs=(os.getpid(),))
        with signals_held():  # a submit may fork a renderer
            self._pending.add(self._pool.submit(_render, html, target))
        if len(self._pending) >= 4 * self._jobs:
            self._collect(FIRST_COMPLETED)

    def _collect(self, until: str) -> None:
        done, self._pending = wait(self._pending, return_when=until)
        for future in done:
            future.result()
            self._report()

    def abort(self) -> None:
        """Stop at once: pages waiting are dropped, and the renderers killed."""
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        terminate = getattr(pool, "terminate_workers", None)  # Python 3.14 on
        if terminate is not None:
            terminate()
        else:
            for process in list((pool._processes or {}).values()):
                process.kill()
        pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> dict[str, Any]:
        """Wait for every page; return how many were rendered and reused, their keys, and
        each file's size and sha256 (for the next run to check what it reuses)."""
        try:
            if self._pending:
                self._collect(ALL_COMPLETED)
        finally:
            if self._pool is not None:
                pool, self._pool = self._pool, None
                pool.shutdown(wait=True, cancel_futures=True)
        for name in self.keys.keys() - self.files.keys():
            self.files[name] = _fingerprint(self._staging / name)
        return {"rendered": self.rendered, "reused": self.reused, "keys": self.keys,
                "files": dict(sorted(self.files.items()))}


def _recorded(folder: Path | None) -> dict[str, tuple[str, dict]]:
    """The key and file fingerprint of each report the manifest in ``folder`` records."""
    if folder is None:
        return {}
    try:
        pdfs = json.loads(bounded.read_text(folder / "manifest.json", bounded.MANIFEST_MAX_BYTES,
                                            "a manifest"))["pdfs"]
        return {name: (key, pdfs["files"][name]) for name, key in pdfs["keys"].items()
                if name in pdfs["files"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError,
            bounded.TooLarge):
        return {}


def _carry_over(source: Path, target: Path, recorded: dict) -> bool:
    """Link (or copy) an earlier report to ``target`` if it is still the regular file
    recorded; else leave nothing at ``target`` and say False."""
    try:
        try:
            os.link(source, target, follow_symlinks=False)
        except OSError:
            shutil.copyfile(source, target, follow_symlinks=False)
        if stat.S_ISREG(os.lstat(target).st_mode) and _fingerprint(target) == recorded:
            return True
    except OSError:
        pass
    target.unlink(missing_ok=True)
    return False


def _fingerprint(path: Path) -> dict:
    with path.open("rb") as handle:
        return {"bytes": os.fstat(handle.fileno()).st_size,
                "sha256": hashlib.file_digest(handle, "sha256").hexdigest()}


def _progress(total: int) -> Callable[[], None]:
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\rPDF reports [{'#' * filled}{'.' * (width - filled)}] "
                         f"{done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return step


_RENDERER: dict[str, Any] = {}


def _start_worker(parent: int) -> None:
    end_with_parent(parent)
    _start_renderer()


def _start_renderer() -> None:
    """Set up WeasyPrint once per process: one font configuration, one parsed stylesheet."""
    if _RENDERER:
        return
    weasy = load_weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    fetcher = _templates_only_fetcher()
    css = weasy.CSS(filename=str(TEMPLATES / "report.css"), font_config=fonts,
                    url_fetcher=fetcher)
    _RENDERER.update(weasy=weasy, fonts=fonts, fetcher=fetcher, css=css)


def _render(html: str, target: str) -> None:
    _start_renderer()
    r = _RENDERER
    document = r["weasy"].HTML(string=html, base_url=TEMPLATES.as_uri() + "/",
                               url_fetcher=r["fetcher"])
    partial = f"{target}.part"
    document.write_pdf(partial, stylesheets=[r["css"]], font_config=r["fonts"], pdf_tags=True)
    os.replace(partial, target)


def load_weasyprint():
    """Import WeasyPrint, turning a missing system library into advice."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(
            f"PDF reports need WeasyPrint and its system libraries (Pango, HarfBuzz): {exc}. "
            "On Debian or Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
            "libharfbuzz-subset0; or run with --no-pdf") from exc
    return weasyprint


def _templates_only_fetcher():
    from weasyprint.urls import URLFetcher

    root = TEMPLATES.resolve()

    class TemplatesOnly(URLFetcher):
        """Serves files inside templates/ and a PNG or JPEG logo inlined as a ``data:`` URI,
        and refuses everything else."""

        def fetch(self, url, headers=None):
            if url.startswith(tuple(f"data:{kind};base64," for kind in LOGO_TYPES.values())):
                return super().fetch(url, headers)
            parsed = urlparse(url)
            if parsed.scheme != "file":
                raise ValueError(f"sitefit reports fetch nothing from the network: {url}")
            path = Path(url2pathname(parsed.path)).resolve()
            if not path.is_relative_to(root):
                raise ValueError(f"sitefit reports read only their templates: {url}")
            return super().fetch(url, headers)

    return TemplatesOnly(allowed_protocols={"file", "data"})
