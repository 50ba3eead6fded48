"""The bundled metro table and the nearest-metro lookup in pipeline.geo."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.geo import (
    EARTH_RADIUS_MILES,
    estimated_rtt_ms,
    great_circle_miles,
    load_metros,
    nearest_metro,
    nearest_metros,
)

MAJOR = 1_000_000


def metro_near(lat: float, lon: float, country: str, min_population: float = MAJOR):
    """The metro of ``country`` at or above the threshold within 25 miles of a point, or None."""
    metro, miles = nearest_metro(lat, lon, min_population)
    return metro if miles <= 25 and metro.country_code == country else None


def test_denton_is_within_50_miles_of_dallas_fort_worth():
    metro, miles = nearest_metro(33.2148, -97.1331, MAJOR)
    assert metro.name.startswith("Dallas-Fort Worth")
    assert miles < 50


def test_dickens_county_is_more_than_150_miles_from_any_major_metro():
    metro, miles = nearest_metro(33.62, -100.84, MAJOR)
    assert miles > 150, metro


@pytest.mark.parametrize("label, country, lat, lon", [
    ("Asuncion", "PY", -25.2637, -57.5759),
    ("Addis Ababa", "ET", 9.0250, 38.7469),
    ("Almaty", "KZ", 43.2500, 76.9167),
    ("Oslo", "NO", 59.9127, 10.7461),
    ("Stockholm", "SE", 59.3293, 18.0686),
    ("Helsinki", "FI", 60.1699, 24.9384),
    ("Copenhagen", "DK", 55.6761, 12.5683),
    ("Toronto", "CA", 43.6532, -79.3832),
    ("Montreal", "CA", 45.5017, -73.5673),
    ("Calgary", "CA", 51.0447, -114.0719),
    ("Minneapolis", "US", 44.9778, -93.2650),
    ("Buffalo", "US", 42.8864, -78.8784),
])
def test_major_metros_are_present(label, country, lat, lon):
    metro = metro_near(lat, lon, country)
    assert metro is not None, f"{label} is not a metro of at least {MAJOR:,}"
    assert metro.metro_population >= MAJOR


def test_city_proper_trap_is_avoided():
    # Buffalo proper is ~0.26 M; its metro (MSA) is ~1.1 M.
    buffalo = metro_near(42.8864, -78.8784, "US")
    assert buffalo.metro_population > 1_050_000


def test_table_is_sorted_and_threshold_filters():
    all_metros = load_metros(500_000)
    major = load_metros(MAJOR)
    assert all(m.metro_population >= 500_000 for m in all_metros)
    assert all(m.metro_population >= MAJOR for m in major)
    assert 0 < len(major) < len(all_metros)
    pops = [m.metro_population for m in all_metros]
    assert pops == sorted(pops, reverse=True)
    assert {m.source for m in all_metros} == {"census_cbsa_2019", "geonames_agglomeration_30km"}


def test_threshold_below_table_floor_is_refused():
    with pytest.raises(ValueError, match="at least 500,000"):
        load_metros(100_000)


def test_haversine_against_known_distances():
    # A degree of latitude along a meridian, and equator to pole, are exact on the sphere.
    assert great_circle_miles(0, 0, 1, 0) == pytest.approx(EARTH_RADIUS_MILES * math.pi / 180)
    assert great_circle_miles(0, 0, 90, 0) == pytest.approx(EARTH_RADIUS_MILES * math.pi / 2)
    # JFK to LAX is 2,475 miles on the WGS-84 ellipsoid; a sphere is within 0.5 % of that.
    assert great_circle_miles(40.6413, -73.7781, 33.9416, -118.4085) == pytest.approx(2475, rel=0.005)
    assert great_circle_miles(10, 20, 10, 20) == 0


def test_batched_equals_single():
    rng = np.random.default_rng(7)
    lats = rng.uniform(-60, 70, 2500)  # more than one broadcast block
    lons = rng.uniform(-180, 180, 2500)
    batched = nearest_metros(lats, lons, MAJOR)
    assert len(batched) == 2500
    for i in range(0, 2500, 97):
        metro, miles = nearest_metro(lats[i], lons[i], MAJOR)
        assert batched[i][0] == metro
        assert batched[i][1] == pytest.approx(miles)
        assert miles == pytest.approx(great_circle_miles(lats[i], lons[i], metro.latitude, metro.longitude))


def test_batched_distance_is_the_minimum_over_all_metros():
    """Over every place each metro is reached at (a US metro at each principal city)."""
    from pipeline.geo.metros import _metros
    metros = _metros(MAJOR)[0]
    assert len(metros) > len(load_metros(MAJOR))
    for lat, lon in [(33.62, -100.84), (-25.3, -57.6), (64.1, -21.9)]:
        best = min(great_circle_miles(lat, lon, m.latitude, m.longitude) for m in metros)
        assert nearest_metro(lat, lon, MAJOR)[1] == pytest.approx(best)


@pytest.mark.parametrize("lat, lon", [(float("nan"), 0.0), (91.0, 0.0), (0.0, -181.0)])
def test_bad_coordinates_are_refused(lat, lon):
    with pytest.raises(ValueError):
        nearest_metro(lat, lon, MAJOR)


def test_estimated_rtt():
    # 100 miles, route factor 1.5, 5 us/km: 2 x 160.9344 km x 1.5 x 5 us = 2.414 ms.
    assert estimated_rtt_ms(100, 1.5, 5.0) == pytest.approx(2.414016)
    assert estimated_rtt_ms(0, 1.5, 5.0) == 0
