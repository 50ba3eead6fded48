"""Location from coordinates, end to end: computed metros drive the location gate, marked."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import HEADER, ROW, read_csv, write_xlsx
from pipeline.cli import cli

COORDS = HEADER + ["latitude", "longitude", "fiber_carriers", "uplink_gbps"]


def located(site_id, lat, lon, *extra):
    return [site_id, f"Site {site_id}", *ROW[2:], lat, lon, 2, 100, *extra]


def run(tmp_path, rows, *options):
    source = write_xlsx(tmp_path / "geo.xlsx", rows)
    result = CliRunner().invoke(cli, ["evaluate", str(source), "--out", str(tmp_path / "out"),
                                      *options], catch_exceptions=False)
    return result, {r["site_id"]: r for r in read_csv(tmp_path / "out" / "results.csv")}


def test_coordinates_alone_settle_the_location_gate(tmp_path):
    result, sites = run(tmp_path, [COORDS, located("DENTON", 33.2148, -97.1331),
                                   located("DICKENS", 33.62, -100.84)], "--no-pdf")
    assert result.exit_code == 0
    denton, dickens = sites["DENTON"], sites["DICKENS"]
    assert denton["nearest_metro"].startswith("Dallas-Fort Worth")
    assert float(denton["metro_distance_miles"]) < 50
    assert denton["metro_distance_source"] == "computed from coordinates"
    assert denton["inference_location"] == "pass"
    assert 0 < float(denton["estimated_rtt_ms"]) < 2
    assert float(dickens["metro_distance_miles"]) > 150
    assert dickens["inference_location"] == "fail"


@pytest.mark.parametrize("lat, lon, metro", [
    (-25.41, -54.62, "Asunción"), (8.87, 38.79, "Addis Ababa"), (43.35, 76.95, "Almaty"),
    (59.74, 10.20, "Oslo"), (59.86, 17.64, "Stockholm"), (64.22, 27.73, "Helsinki"),
    (45.40, -73.90, "Montréal"), (51.46, -112.71, "Calgary"), (44.98, -93.27, "Minneapolis"),
])
def test_mining_regions_are_covered(tmp_path, lat, lon, metro):
    _, sites = run(tmp_path, [COORDS, located("S", lat, lon)], "--no-pdf")
    assert sites["S"]["computed_metro"].startswith(metro)


def test_given_values_are_kept_and_a_disagreement_is_flagged(tmp_path):
    header = COORDS + ["nearest_metro", "metro_distance_miles"]
    _, sites = run(tmp_path, [header, located("FAR", 33.2148, -97.1331, "Dallas", 120),
                              located("NEAR", 33.2148, -97.1331, "Dallas", 40)], "--no-pdf")
    far, near = sites["FAR"], sites["NEAR"]
    assert far["metro_distance_miles"] == "120.0" and far["metro_distance_source"] == "given"
    assert "given 120 miles to Dallas, but the coordinates put Dallas-Fort Worth" in \
        far["location_check"]
    assert far["inference_location"] == "conditional"  # the given distance decides
    assert near["location_check"] == ""


def test_the_threshold_comes_from_the_rules(tmp_path):
    rules = tmp_path / "r.toml"
    rules.write_text("[location.enrichment]\nmetro_min_population = 500000\n")
    site = located("ABQ", 35.08, -106.65)  # Albuquerque: a metro under a million people
    _, default = run(tmp_path, [COORDS, site], "--no-pdf")
    assert not default["ABQ"]["computed_metro"].startswith("Albuquerque")
    _, lowered = run(tmp_path, [COORDS, site], "--no-pdf", "--rules", str(rules))
    assert lowered["ABQ"]["computed_metro"].startswith("Albuquerque")
    rules.write_text("[location.enrichment]\nmetro_min_population = 100000\n")
    result = CliRunner().invoke(cli, ["rules", "--rules", str(rules)])
    assert result.exit_code == 2 and "starts at 500,000 people" in result.stderr


def test_scorecard_and_pdf_say_which_values_were_derived(tmp_path):
    result, _ = run(tmp_path, [COORDS, located("DENTON", 33.2148, -97.1331)], "--jobs", "1")
    assert result.exit_code == 0
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(
        tmp_path / "out" / "reports" / "DENTON.pdf").pages).split())
    text = re.sub(r"(\w[-/]) (\w)", r"\1\2", text)
    assert "(computed from coordinates)" in text
    assert "round trip estimated" in text
