"""`make bench`: the real pipeline on synthetic portfolios, against floors measured in the same run.

Every figure is a whole process (start-up and imports count), timed from outside with its
own peak memory from wait4(2). Ratios, not seconds, are the result: the machine is shared.

    python -m bench.run [--sizes 100,1000,10000] [--pdf-sites 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.portfolio import write_portfolio

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "output" / "bench"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

IO_FLOOR = """
import sys, pandas as pd
frame = pd.read_excel(sys.argv[1], engine="calamine")
shape = pd.read_csv(sys.argv[2])
shape.to_excel(sys.argv[3], index=False)
"""

PDF_FLOOR = """
import sys, time
from pathlib import Path
from weasyprint import CSS, HTML
from pipeline.classify import classify
from pipeline.enrich import enrich
from pipeline.rules import default_rules
from pipeline.run import check
from pipeline.writers import pdf
checked = check(Path(sys.argv[1]))
info = pdf.RunInfo("bench", "2026-01-01", "bench", "default", "0" * 64)
rules = default_rules()
results = classify(enrich(checked.sites, rules), rules)
pages = pdf.site_pages(results, info, pdf.report_names([s.site_id for s in results]), {}, {})
out = Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
start = time.perf_counter()
for number, page in enumerate(pages):
    HTML(string=page.html, base_url=str(pdf.TEMPLATES) + "/").write_pdf(
        out / f"{number}.pdf", stylesheets=[CSS(filename=str(pdf.TEMPLATES / "report.css"))])
print(time.perf_counter() - start)
"""


def timed(command: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float, str]:
    """Run ``command``; return wall seconds, peak RSS in MiB, and its stdout."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    out = process.stdout.read()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in ok:
        sys.exit(f"bench: {' '.join(command)} failed:\n{err}")
    return wall, usage.ru_maxrss / 1024, out


def sitefit(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline", "evaluate", *args]


def stage_times(out: Path) -> dict[str, float]:
    return json.loads((out / "manifest.json").read_text())["timings_s"]


def pdf_counts(out: Path) -> dict[str, int]:
    manifest = json.loads((out / "manifest.json").read_text())["pdfs"]
    return {"rendered": manifest["rendered"], "reused": manifest["reused"]}


def bench_size(size: int, seed: int) -> dict:
    source = write_portfolio(WORK / f"portfolio-{size}.xlsx", size, seed)
    out = WORK / f"run-{size}"
    shutil.rmtree(out, ignore_errors=True)  # a cold run: no previous output to compare with
    wall, peak, _ = timed(sitefit(str(source), "--out", str(out), "--no-pdf"), ok=(0, 1))
    floor_wall, floor_peak, _ = timed([sys.executable, "-c", IO_FLOOR, str(source),
                                       str(out / "results.csv"), str(WORK / "floor.xlsx")])
    return {"size": size, "wall": wall, "peak_mib": peak, "stages": stage_times(out),
            "floor_wall": floor_wall, "floor_peak_mib": floor_peak}


def bench_pdfs(size: int, seed: int) -> dict:
    source = write_portfolio(WORK / f"portfolio-{size}.xlsx", size, seed)
    result = {"size": size}
    _, _, out = timed([sys.executable, "-c", PDF_FLOOR, str(source), str(WORK / "pdf-floor")])
    result["floor_render"] = float(out.strip())
    for jobs in (1, 2):
        target = WORK / f"pdf-{size}-jobs{jobs}"
        shutil.rmtree(target, ignore_errors=True)
        wall, peak, _ = timed(sitefit(str(source), "--out", str(target), "--jobs", str(jobs)),
                              ok=(0, 1))
        result[f"jobs{jobs}"] = {"wall": wall, "peak_mib": peak,
                                 "render": stage_times(target)["pdf"], **pdf_counts(target)}
    rerun_wall, _, _ = timed(sitefit(str(source), "--out", str(WORK / f"pdf-{size}-jobs2"),
                                     "--jobs", "2"), ok=(0, 1))
    result["rerun"] = {"wall": rerun_wall, **pdf_counts(WORK / f"pdf-{size}-jobs2")}
    small = write_portfolio(WORK / "portfolio-pdf-small.xlsx", max(size // 10, 10), seed)
    target = WORK / "pdf-small"
    shutil.rmtree(target, ignore_errors=True)
    _, small_peak, _ = timed(sitefit(str(small), "--out", str(target), "--jobs", "1"), ok=(0, 1))
    result["small"] = {"size": max(size // 10, 10), "peak_mib": small_peak}
    return result


def report(sizes: list[dict], pdfs: dict | None) -> str:
    lines = ["## End to end, no PDFs (whole processes)", "",
             "| sites | load | validate | enrich | classify | csv | excel | total | sites/s "
             "| peak MiB | I/O floor | ratio to floor | target |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in sizes:
        s = row["stages"]
        ratio = row["wall"] / row["floor_wall"]
        target = "<= 1.5x" + (" met" if ratio <= 1.5 else " MISSED") if row["size"] == 10000 else ""
        lines.append(
            f"| {row['size']:,} | {s['load']:.2f} | {s['validate']:.2f} | {s['enrich']:.2f} | "
            f"{s['classify']:.2f} | "
            f"{s['csv']:.2f} | {s['excel']:.2f} | {row['wall']:.2f} | "
            f"{row['size'] / row['wall']:,.0f} | {row['peak_mib']:.0f} | {row['floor_wall']:.2f} "
            f"| {ratio:.2f}x | {target} |")
    big = next((r for r in sizes if r["size"] == 10000), None)
    if big:
        verdict = "met" if big["peak_mib"] < 1024 else "MISSED"
        lines += ["", f"Peak memory at 10,000 sites without PDFs: {big['peak_mib']:.0f} MiB "
                      f"(target < 1 GB: {verdict})."]
    if pdfs:
        j1, j2, floor = pdfs["jobs1"], pdfs["jobs2"], pdfs["floor_render"]
        r1, r2 = j1["render"] / floor, j2["render"] / j1["render"]
        rerun = pdfs["rerun"]["wall"] / j2["wall"]
        growth = (j1["peak_mib"] - pdfs["small"]["peak_mib"]) / (pdfs["size"]
                                                                 - pdfs["small"]["size"])
        lines += ["", f"## PDFs, {pdfs['size']:,} sites (+1 portfolio report)", "",
                  "| measure | seconds | ratio | target |", "|---|---:|---:|---|",
                  f"| serial floor: WeasyPrint defaults, one after another | {floor:.1f} | 1.00 | |",
                  f"| sitefit, 1 job (render stage; HTML made before, as in the floor) | "
                  f"{j1['render']:.1f} | {r1:.2f}x floor | "
                  f"<= 0.9x {'met' if r1 <= 0.9 else 'MISSED'} |",
                  f"| sitefit, 2 jobs (render stage) | {j2['render']:.1f} | {r2:.2f}x 1 job | "
                  f"<= 0.65x {'met' if r2 <= 0.65 else 'MISSED'} |",
                  f"| unchanged re-run, whole process ({pdfs['rerun']['reused']} reused, "
                  f"{pdfs['rerun']['rendered']} rendered) | {pdfs['rerun']['wall']:.1f} | "
                  f"{rerun:.3f}x cold | < 0.10x {'met' if rerun < 0.1 else 'MISSED'} |",
                  "", f"Peak memory rendering with 1 job: {pdfs['small']['peak_mib']:.0f} MiB at "
                      f"{pdfs['small']['size']:,} sites, {j1['peak_mib']:.0f} MiB at "
                      f"{pdfs['size']:,}: {growth * 1024:.0f} KiB per extra PDF."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--pdf-sites", type=int, default=1000, help="0 skips the PDF bench")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    sizes = [bench_size(int(n), args.seed) for n in args.sizes.split(",")]
    pdfs = bench_pdfs(args.pdf_sites, args.seed) if args.pdf_sites else None
    text = report(sizes, pdfs)
    (WORK / "report.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
