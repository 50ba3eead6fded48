"""PDF reports opened and read: content, hostile input, file names, reuse on re-run."""

from __future__ import annotations

import http.server
import json
import os
import re
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import HEADER, ROW, SAMPLE, invoke, read_csv, sample_results, write_xlsx
from pipeline import contract, labels, tabulate
from pipeline.classify import Flip
from pipeline.writers import pdf


def words(path: Path) -> str:
    """The PDF's text with line breaks and runs of spaces folded, as a reader sees it."""
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())
    return re.sub(r"(\w[-/]) (\w)", r"\1\2", text)  # a line broken after a hyphen or slash


def evaluate(*args):
    return invoke("evaluate", *args)


@pytest.mark.slow  # reads the sample's 41 PDFs: rendering them is the sample_run fixture
def test_one_report_per_site_and_a_portfolio(sample_run):
    reports = sorted(p.name for p in (sample_run / "reports").iterdir())
    assert len(reports) == 40 and "TX-04.pdf" in reports
    assert (sample_run / "portfolio.pdf").is_file()
    manifest = json.loads((sample_run / "manifest.json").read_text())
    assert manifest["pdfs"]["rendered"] == 41 and manifest["pdfs"]["reused"] == 0
    for name in reports[:5]:
        assert 1 <= len(PdfReader(sample_run / "reports" / name).pages) <= 3


@pytest.mark.slow  # reads the sample's 41 PDFs: rendering them is the sample_run fixture
def test_site_report_says_what_the_scorecard_says(sample_run):
    row = next(r for r in read_csv(sample_run / "results.csv") if r["site_id"] == "IL-01")
    text = words(sample_run / "reports" / "IL-01.pdf")
    assert "Kankakee Junction" in text and "Prairie State Mining" in text
    assert f"{row['bucket']}: training and inference" in text and "not yet ready" in text
    details = [" ".join(part.split()) for part in row["next_actions"].split(" | ")]
    for detail in details:
        action = detail.split(": ", 1)[1]
        assert labels.readable(action) in text
    assert "Training cooling is unknown until liquid cooling path is given" in text
    assert "Inference location passes: 60 miles from Chicago" in text
    assert "Fiber carriers: needed to settle inference networking" in text  # the data request
    assert "Flexible mining" in text and "18 MW of mining" in text
    assert "Liquid cooling path: not given → in progress" in text  # what would make it ready
    assert re.search(r"Page 1 of [23]\b", text)


@pytest.mark.slow  # reads the sample's 41 PDFs: rendering them is the sample_run fixture
def test_every_gate_reason_is_printed(sample_run):
    from pipeline.classify import classify
    from pipeline.rules import default_rules
    from pipeline.run import check
    checked = check(SAMPLE)
    results = {s.site_id: s for s in classify(checked.sites, default_rules())}
    for site_id in ("WTX-01", "PY-01", "TX-04", "ON-01"):
        text = words(sample_run / "reports" / f"{site_id}.pdf")
        site = results[site_id]
        assert site.site_name in text
        for workload in site.workloads:
            for gate in workload.gates.values():
                assert labels.readable(" ".join(gate.reason.split())) in text, (site_id, gate.gate)
        for action in site.actions:
            assert labels.readable(" ".join(action.text.split())) in text, (site_id, action.gate)


@pytest.mark.slow  # reads the sample's 41 PDFs: rendering them is the sample_run fixture
def test_portfolio_summary(sample_run):
    text = words(sample_run / "portfolio.pdf")
    assert "Portfolio summary" in text and "40 sites evaluated" in text
    for bucket in ("Training", "Inference", "Hybrid", "Neither"):
        assert bucket in text
    assert "Ready today: the best sites" in text
    assert "Not yet ready: the strongest candidates" in text
    assert "No credible cooling retrofit path" in text and "Operational ceiling" in text
    assert "what blocks them" in text
    assert "None: every row of the spreadsheet was evaluated." in text


@pytest.mark.slow  # three runs, six renders; the quick set checks reuse in test_a_damaged_*
def test_unchanged_rerun_reuses_every_pdf_and_a_rules_change_renders_again(tmp_path):
    out = tmp_path / "o"
    source = write_xlsx(tmp_path / "p.xlsx", [HEADER, ROW, ["B-2", "Beta", 8, 0.09, "air",
                                                           "yes", "no"]])
    evaluate(source, "--out", out, "--jobs", "1")
    first = (out / "reports" / "A-1.pdf").read_bytes()
    evaluate(source, "--out", out, "--jobs", "1")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["pdfs"]["rendered"] == 0 and manifest["pdfs"]["reused"] == 3
    assert (out / "reports" / "A-1.pdf").read_bytes() == first
    rules = tmp_path / "r.toml"
    rules.write_text("[power.training]\npass_min_capacity_mw = 25.0\n")
    evaluate(source, "--out", out, "--jobs", "1", "--rules", rules)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["pdfs"]["rendered"] == 3 and manifest["pdfs"]["reused"] == 0


def test_no_pdf_writes_none(tmp_path):
    evaluate(write_xlsx(tmp_path / "p.xlsx", [HEADER, ROW]), "--out", tmp_path / "o", "--no-pdf")
    assert not (tmp_path / "o" / "reports").exists()
    assert not (tmp_path / "o" / "portfolio.pdf").exists()


HOSTILE = [
    "<img src=http://127.0.0.1:9/x.png>",
    "<script>alert('x')</script>",
    "<link rel=stylesheet href=file:///etc/hostname>",
    "&amp; {{ 7*7 }} </td></tr></table>",
]


@pytest.mark.slow  # five renders; the quick set checks escaping in test_branding_names_*
def test_hostile_text_prints_as_text(tmp_path):
    rows = [HEADER + ["operator", "notes"]] + [
        [f"H{i}", text, 30, 0.04, "air", "yes", "yes", text, text]
        for i, text in enumerate(HOSTILE)]
    out = tmp_path / "o"
    assert evaluate(write_xlsx(tmp_path / "h.xlsx", rows), "--out", out, "--jobs", "1"
                    ).exit_code == 0
    def squeezed(text):
        return "".join(text.split())

    for i, text in enumerate(HOSTILE):
        assert text in words(out / "reports" / f"H{i}.pdf")
    portfolio = squeezed(words(out / "portfolio.pdf"))
    assert all(squeezed(text) in portfolio for text in HOSTILE)


def test_renderer_fetches_nothing_outside_the_templates(tmp_path):
    fetcher = pdf._templates_only_fetcher()
    for url in ("http://127.0.0.1:9/x.png", "https://example.org/a.css", "file:///etc/passwd",
                (pdf.TEMPLATES / ".." / "README.md").resolve().as_uri(), "data:text/plain,hi"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    response = fetcher.fetch((pdf.TEMPLATES / "report.css").as_uri())
    assert response is not None
    # raw HTML that tries to reach out still renders, with nothing fetched: no request
    # reaches a server listening here, and a stylesheet outside templates/ is not applied
    leak = tmp_path / "leak.css"
    leak.write_text('p::after { content: " LEAKED" }')
    requests = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    target = tmp_path / "raw.pdf"
    try:
        pdf._render(f'<p>hi</p><img src="{url}/x.png"><link rel="stylesheet" href="{url}/a.css">'
                    f'<link rel="stylesheet" href="{leak.as_uri()}">', str(target))
    finally:
        server.shutdown()
    assert "hi" in words(target) and "LEAKED" not in words(target)
    assert requests == []


@pytest.mark.parametrize("ids", [
    ["../../x", "x"], ["a/b", "a?b", "a:b"], ["ABC", "abc"], ["CON", "nul.txt"], ["", "."],
    ["é" * 200, "ü" * 200],
])
def test_report_names_stay_inside_reports_and_never_collide(ids):
    names = pdf.report_names(ids)
    assert len(set(n.lower() for n in names.values())) == len(ids)
    for name in names.values():
        assert "/" not in name and "\\" not in name and not name.startswith(".")
        assert len(name) < 120 and name.endswith(".pdf")


@pytest.mark.slow  # four renders; the quick set checks the names in test_report_names_*
def test_path_like_site_ids_write_inside_reports(tmp_path):
    rows = [HEADER, ["../../escape", *ROW[1:]], ["sub/dir", *ROW[1:]], ["sub_dir", *ROW[1:]]]
    out = tmp_path / "o"
    assert evaluate(write_xlsx(tmp_path / "p.xlsx", rows), "--out", out, "--jobs", "1"
                    ).exit_code == 0
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.pdf"))
    assert len(written) == 4 and all(p.parts[:2] in (("o", "reports"), ("o", "portfolio.pdf"))
                                     for p in written)
    assert (out / "reports" / "sub_dir.pdf").is_file()


MACHINE_WORDS = sorted({c.name for c in contract.COLUMNS if "_" in c.name}
                       | {name for name in labels.NAMED if "_" in name}
                       | {choice for c in contract.COLUMNS for choice in c.choices if "_" in choice})


def test_what_would_flip_it_lists_the_changes_it_was_given():
    flip = Flip.of("Ready with:", {"rack_density_kw": 12.0, "notes": None},
                   {"rack_density_kw": 40.0, "notes": "a; b: c"})
    assert pdf._flip(flip) == {"lead": "Ready with:", "changes": [
        "Rack density: 12 kW → 40 kW", "notes not given → a; b: c"]}
    assert pdf._flip(Flip("No change to the site makes it eligible: sanctions")) == {
        "lead": "No change to the site makes it eligible: sanctions", "changes": []}
    assert pdf._flip(None) is None


@pytest.mark.slow  # reads the text of all 41 PDFs: ~13 s
def test_no_page_names_a_field(sample_run):
    for path in [sample_run / "portfolio.pdf", *sorted((sample_run / "reports").iterdir())]:
        text = words(path)
        named = [word for word in MACHINE_WORDS if re.search(rf"\b{word}\b", text)]
        assert not named, (path.name, named)
        assert not re.search(r"\bnan\b", text), path.name  # a missing figure, printed


def test_what_would_flip_it_reads_as_labels():
    text = labels.readable("Ready with: rack_density_kw 12 kW → 40 kW; liquid_cooling_path "
                        "planned → in_progress.")
    assert text == ("Ready with: Rack density: 12 kW → 40 kW; Liquid cooling path: planned → "
                    "in progress.")
    assert labels.readable("unknown until liquid_cooling_path is given") == \
        "unknown until liquid cooling path is given"
    assert labels.readable("an SLA: sla_track_record no") == "an SLA: SLA track record no"


@pytest.mark.slow  # reads the sample's 41 PDFs: rendering them is the sample_run fixture
def test_portfolio_first_page_stands_alone_with_a_map(sample_run):
    rows = read_csv(sample_run / "results.csv")
    first = " ".join(PdfReader(sample_run / "portfolio.pdf").pages[0].extract_text().split())
    assert "Portfolio summary" in first and "Where the sites are" in first
    assert "39 of 40 sites mapped" in first and "Not mapped (no coordinates): PY-03" in first
    for bucket in ("Training", "Inference", "Hybrid", "Neither"):
        count = sum(r["bucket"] == bucket for r in rows)
        assert f"{bucket} ({count})" in first  # the map's legend
    assert "Sites and megawatts by bucket" not in first  # page 2 starts the detail


def test_the_map_has_one_mark_per_located_site_in_its_bucket_colour():
    from pipeline.rules import default_rules
    results = sample_results(default_rules())
    totals = tabulate.Tally()
    totals.add(results)
    page = pdf.portfolio_page(totals, pdf.RunInfo("0", "d", "sites.xlsx", "r", "h"), 0, None)
    marks = re.findall(r'<circle class="mark"[^>]*fill="(#[0-9A-Fa-f]{6})"', page.html)
    located = [s for s in results if s.values.get("latitude") is not None]
    assert len(marks) == len(located) == 39
    assert sorted(marks) == sorted(pdf.BUCKET_COLOURS[s.bucket] for s in located)


def test_map_frames_the_sites_it_is_given():
    from pipeline.writers import sitemap
    europe = [sitemap.Point(60.0, 10.0, "Training"), sitemap.Point(65.0, 25.0, "Hybrid")]
    frame = sitemap.frame_for(europe)
    assert frame.west < 10.0 and frame.east > 25.0 and frame.south < 60.0 and frame.north > 65.0
    assert frame.east - frame.west < 90  # a region, not the world
    world = sitemap.frame_for([sitemap.Point(-30.0, -60.0, "Training"),
                               sitemap.Point(65.0, 80.0, "Training")])
    assert -180 <= world.west and world.east <= 180 and -90 <= world.south
    for point in europe:
        x, y = frame.xy(point.longitude, point.latitude)
        assert 0 < x < sitemap.WIDTH and 0 < y < sitemap.HEIGHT


@pytest.mark.slow  # reads the sample's 41 PDFs: rendering them is the sample_run fixture
def test_ready_and_not_yet_sites_are_ranked_apart(sample_run):
    rows = read_csv(sample_run / "results.csv")
    readiness = {r["site_id"]: r["readiness"] for r in rows}
    neither = {r["site_id"] for r in rows if r["bucket"] == "Neither"}
    text = words(sample_run / "portfolio.pdf")
    ready_part = text.split("Ready today: the best sites", 1)[1].split("Not yet ready:", 1)[0]
    not_yet_part = text.split("Not yet ready: the strongest candidates", 1)[1].split(
        "Indicative economics", 1)[0]
    ids = re.compile(r"\b([A-Z]{2,3}-\d\d)\b")
    assert ids.findall(ready_part) and ids.findall(not_yet_part)
    assert {readiness[i] for i in ids.findall(ready_part)} == {"ready"}
    assert {readiness[i] for i in ids.findall(not_yet_part)} == {"not yet"}
    assert "IR-01" in neither  # fit for training by its gates, barred by its country
    assert not neither & set(ids.findall(ready_part + not_yet_part))


@pytest.mark.slow  # reads the sample's 41 PDFs: rendering them is the sample_run fixture
def test_amounts_read_as_people_write_them(sample_run):
    for path in [sample_run / "portfolio.pdf", sample_run / "reports" / "SE-02.pdf"]:
        text = words(path)
        if path.name != "portfolio.pdf":  # a site's low case and its years of capex
            assert re.search(r"-\$\d", text), path.name
        assert "$-" not in text and "nan" not in text.lower().split(), path.name


@pytest.mark.slow  # reads the sample's 41 PDFs: rendering them is the sample_run fixture
def test_reports_are_tagged_for_screen_readers(sample_run):
    for path in (sample_run / "portfolio.pdf", sample_run / "reports" / "IL-01.pdf"):
        root = PdfReader(path).trailer["/Root"]
        assert root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root
        assert root["/Lang"] == "en"


def _structure(node, seen):
    """The structure elements' types, depth first, as a screen reader meets them."""
    node = node.get_object()
    if "/S" in node:
        seen.append(str(node["/S"]).lstrip("/"))
    kids = node.get("/K")
    if kids is None:
        return seen
    for kid in (kids if isinstance(kids, list) else [kids]):
        kid = kid.get_object()
        if hasattr(kid, "get") and ("/S" in kid or "/K" in kid):
            _structure(kid, seen)
    return seen


LONG = "Ü" * 150
WORDY = " ".join(["A very long operator name with many words"] * 10)


def test_long_values_push_the_page_down_instead_of_colliding(tmp_path):
    rows = [HEADER + ["operator", "nearest_metro", "region", "latitude", "longitude"],
            ["L-1", LONG, 30, 0.04, "air", "yes", "yes", WORDY, "M" * 200, WORDY, 40.0, -90.0]]
    out = tmp_path / "o"
    assert evaluate(write_xlsx(tmp_path / "l.xlsx", rows), "--out", out, "--jobs", "1"
                    ).exit_code == 0
    report = out / "reports" / "L-1.pdf"
    text = words(report)
    # the gate matrix is read whole, row by row, before the next actions: nothing floats
    order = [text.index(w) for w in ("Gates at a glance", "Location", "Power", "Cooling",
                                     "Networking", "Operations", "Next actions")]
    assert order == sorted(order)
    tags = _structure(PdfReader(report).trailer["/Root"]["/StructTreeRoot"], [])
    assert "Table" in tags and "L" in tags
    first_table, actions_list = tags.index("Table"), tags.index("L")
    assert first_table < actions_list
    assert tags[first_table:actions_list].count("TR") == 6  # the header row and five gates
    assert "M" * 60 in "".join(text.split())  # the long metro name is printed whole


def _png(path: Path, size: tuple[int, int] = (40, 16)) -> Path:
    from PIL import Image
    Image.new("RGB", size, (31, 56, 100)).save(path)
    return path


def test_branding_names_the_company_and_shows_its_logo(tmp_path):
    _png(tmp_path / "logo.png")
    (tmp_path / "sitefit.toml").write_text(
        '[branding]\nname = "Northwind <Capital> & Co"\nlogo = "logo.png"\n')
    out = tmp_path / "o"
    result = evaluate(write_xlsx(tmp_path / "p.xlsx", [HEADER, ROW]), "--out", out, "--jobs", "1",
                      "--branding", tmp_path / "sitefit.toml")
    assert result.exit_code == 0, result.stderr
    for path in (out / "portfolio.pdf", out / "reports" / "A-1.pdf"):
        assert "Northwind <Capital> & Co" in words(path)
        assert len(PdfReader(path).pages[0].images) == 1


def test_branding_without_a_logo(tmp_path):
    (tmp_path / "b.toml").write_text('[branding]\nname = "Northwind"\n')
    assert pdf.load_branding(tmp_path / "b.toml") == pdf.Branding("Northwind")


@pytest.mark.parametrize("logo, table, message", [
    ("notes.txt", None, "must be a PNG or JPEG image"),
    ("big.png", None, "larger than 512 KiB"),
    ("folder", None, "cannot read the logo"),
    ("pipe", None, "not a regular file"),
    ("missing.png", None, "cannot read the logo"),
    ("../../../../../../../../etc/hostname", None, "must be a PNG or JPEG image"),
    (None, '[branding]\nname = "N"\ncolour = "red"\n', "unknown keys colour"),
    (None, '[branding]\nlogo = "logo.png"\n', "name must be text"),
    (None, 'name = "N"\n', "no [branding] table"),
    (None, '[branding\n', "cannot be read as TOML"),
])
def test_branding_reads_only_a_small_image_file(tmp_path, logo, table, message):
    (tmp_path / "notes.txt").write_text("not an image\n")
    big = _png(tmp_path / "big.png")
    big.write_bytes(big.read_bytes() + b"\0" * (512 * 1024))
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "pipe")
    config = tmp_path / "b.toml"
    config.write_text(table or f'[branding]\nname = "N"\nlogo = "{logo}"\n')
    result = evaluate(write_xlsx(tmp_path / "p.xlsx", [HEADER, ROW]), "--out", tmp_path / "o",
                      "--branding", config)
    assert result.exit_code == 2 and message in result.stderr
    assert str(config.parent) in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.slow  # reads the sample's 41 PDFs: rendering them is the sample_run fixture
def test_a_site_with_nothing_committed_says_so_instead_of_blank_figures(sample_run):
    # ND-03's power is all at the applied stage: its conversion is an option, not committed
    text = words(sample_run / "reports" / "ND-03.pdf")
    assert re.search(r"IRR, unlevered; payback \S+; nothing committed", text)
    assert "Nothing is committed yet, so no assumption moves the headline NPV" in text
