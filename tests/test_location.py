"""Country, state, grid operator, climate, cloud region and exchange from coordinates: the
look-ups against hand-checked places, and end to end through results, workbook, PDF and
validate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from conftest import read_csv, site, write_xlsx
from pipeline import climate
from pipeline.classify import classify_site
from pipeline.enrich import enrich
from pipeline.cli import cli
from pipeline.errors import RulesError
from pipeline.geo import great_circle_miles, koppen
from pipeline.geo.places import _table, nearest_cloud_regions, nearest_exchanges
from pipeline.geo.regions import find
from pipeline.rules import default_rules, with_settings

# (latitude, longitude, country, state, grid operator), each read off a public map.
PLACES = [
    (33.2148, -97.1331, "US", "TX", "ERCOT"),  # Denton: Oncor, ERCOT
    (31.42, -103.49, "US", "TX", "ERCOT"),  # Pecos: TNMP, ERCOT
    (35.20, -101.80, "US", "TX", "SPP"),  # Amarillo: Xcel SPS
    (31.76, -106.44, "US", "TX", "WECC (West non-RTO)"),  # El Paso Electric
    (30.08, -94.13, "US", "TX", "MISO"),  # Beaumont: Entergy Texas
    (29.76, -95.37, "US", "TX", "ERCOT"),  # Houston: CenterPoint
    (41.12, -87.86, "US", "IL", "PJM"),  # Kankakee: ComEd
    (38.63, -90.20, "US", "MO", "MISO"),  # St. Louis: Ameren
    (46.00, -98.50, "US", "ND", "MISO"),  # Ellendale
    (48.15, -103.62, "US", "ND", "SPP"),  # Williston: Basin Electric
    (35.47, -97.52, "US", "OK", "SPP"),  # Oklahoma City
    (39.04, -77.49, "US", "VA", "PJM"),  # Ashburn
    (49.22, -68.15, "CA", "QC", "Hydro-Québec"),  # Baie-Comeau
    (51.05, -114.07, "CA", "AB", "AESO"),  # Calgary
    (59.74, 10.20, "NO", None, "Nord Pool NO1 (Statnett)"),  # Drammen, in a fjord
]


@pytest.mark.parametrize("lat, lon, country, state, grid", PLACES)
def test_places_from_coordinates(rules, lat, lon, country, state, grid):
    (found,) = find(np.array([lat]), np.array([lon]),
                    rules["location"]["enrichment"]["max_outline_gap_miles"])
    assert found.country.iso2 == country
    assert (found.state.region if found.state else None) == state
    if grid is not None:
        assert (found.area.grid_operator if found.area else found.state.grid_operator) == grid


def test_the_open_sea_is_outside_every_country(rules):
    (found,) = find(np.array([40.0]), np.array([-40.0]), 30.0)
    assert found.country is None and found.at_sea and found.zone == "Ocean"


@pytest.mark.parametrize("lat, lon, zone", [
    (46.0, -98.5, "Dfb"), (31.42, -103.49, "BWh"), (1.35, 103.82, "Af"), (33.21, -97.13, "Cfa"),
    (65.58, 22.15, "Dfc"), (59.74, 10.20, "Cfb"), (35.2, -101.8, "BSk")])
def test_climate_zones_match_the_koppen_map(lat, lon, zone):
    assert koppen.zones([lat], [lon])[0] == zone


@settings(max_examples=40, deadline=None)
@given(st.floats(-60, 75), st.floats(-180, 180))
def test_the_nearest_cloud_region_is_nearer_than_every_other(lat, lon):
    (place, miles), = nearest_cloud_regions([lat], [lon])
    every = [great_circle_miles(lat, lon, p.latitude, p.longitude)
             for p in _table("cloud_regions.csv")[0]]
    assert miles == pytest.approx(min(every), abs=0.01)


def test_ashburn_is_next_to_a_cloud_region_and_an_exchange():
    (region, region_miles), = nearest_cloud_regions([39.05], [-77.48])
    (exchange, exchange_miles), = nearest_exchanges([39.05], [-77.48])
    assert region.label.startswith(("AWS us-east-1", "Google Cloud us-east4"))
    assert region_miles < 5 and exchange_miles < 5 and "Ashburn" in exchange.label


# ---------------------------------------------------------------- climate and PUE


def test_design_pue_follows_the_climate_band_and_says_why(rules):
    cold, why = climate.design_pue({"climate_zone": "Dfb"}, "liquid", rules)
    hot, _ = climate.design_pue({"climate_zone": "BWh"}, "liquid", rules)
    assert (cold, hot) == (pytest.approx(1.18), pytest.approx(1.27))
    assert why == "liquid design PUE 1.25 - 0.07 for a cold climate (Köppen-Geiger Dfb)"
    assert climate.design_pue({}, "air", rules) == (1.4, "flat air design PUE (climate zone "
                                                         "not known)")


def test_the_flat_pue_switch(rules):
    flat = with_settings(rules, ["climate.adjust_pue=false"])
    assert climate.design_pue({"climate_zone": "Dfb"}, "liquid", flat)[0] == 1.25


@settings(max_examples=30, deadline=None)
@given(st.floats(-0.2, 0.2), st.floats(0.0, 0.2))
def test_a_higher_pue_adjustment_never_adds_critical_it(step, more):
    from pipeline import economics

    rules = default_rules()

    def it(adjust: float) -> float:
        changed = with_settings(rules, [f"climate.pue_adjustment_liquid={{ cold = {adjust}, "
                                        "temperate = 0.0, warm_humid = 0.0, hot_dry = 0.0, "
                                        "hot_humid = 0.0 }"])
        result = classify_site(site(climate_zone="Dfb", power_capacity_mw=100.0), changed)
        return economics.evaluate([result], changed).rows.iloc[0].econ_it_mw_full

    assert it(step + more) <= it(step)


def test_a_band_without_an_adjustment_is_refused(rules):
    with pytest.raises(RulesError, match="Dfb = 'arctic' has no PUE adjustment"):
        with_settings(rules, ['climate.band_by_zone={ Dfb = "arctic" }'])


# ---------------------------------------------------------------- end to end

MINIMAL = ["site_id", "site_name", "latitude", "longitude", "power_capacity_mw",
           "power_cost_usd_per_kwh", "cooling_type", "fiber_on_site", "staffing_24x7"]


def _row(site_id, lat, lon, capacity=200):
    return [site_id, f"Site {site_id}", lat, lon, capacity, 0.04, "direct_to_chip", "yes", "yes"]


def _evaluate(tmp_path, rows, *options):
    source = write_xlsx(tmp_path / "sites.xlsx", rows)
    result = CliRunner().invoke(cli, ["evaluate", str(source), "--out", str(tmp_path / "out"),
                                      *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return {r["site_id"]: r for r in read_csv(tmp_path / "out" / "results.csv")}


def test_a_portfolio_given_only_coordinates_is_located_and_marked(tmp_path):
    sites = _evaluate(tmp_path, [MINIMAL, _row("ELLENDALE", 46.0, -98.5),
                                 _row("PECOS", 31.42, -103.49), _row("NOWHERE", None, None)],
                      "--no-pdf")
    cold, hot, blind = sites["ELLENDALE"], sites["PECOS"], sites["NOWHERE"]
    assert (cold["country"], cold["region"], cold["grid_operator"], cold["climate_zone"],
            cold["climate_band"]) == ("United States", "ND", "MISO", "Dfb", "cold")
    assert (hot["region"], hot["grid_operator"], hot["climate_band"]) == ("TX", "ERCOT",
                                                                          "hot_dry")
    for column in ("country", "region", "grid_operator", "climate_zone"):
        assert cold[f"{column}_source"] == "computed from coordinates"
    assert cold["nearest_cloud_region"] and float(cold["cloud_region_distance_miles"]) > 0
    assert cold["nearest_ix"].startswith("MICE") and float(cold["ix_rtt_ms"]) > 0
    # the country the deal risks ask for is known now, so fewer data gaps
    assert "country" not in cold["data_gaps"] and "country" in blind["data_gaps"]
    assert cold["bucket"] == hot["bucket"] == "Training"  # far from metros: training only
    # a cold site gets more critical IT from the same power than a hot one
    assert float(cold["econ_it_mw"]) > float(hot["econ_it_mw"])
    assert cold["location_conflicts"] == "" and blind["country"] == ""


def test_sb6_follows_the_grid_operator_not_the_state(tmp_path):
    sites = _evaluate(tmp_path, [MINIMAL, _row("AMARILLO", 35.2, -101.8),
                                 _row("MIDLAND", 32.0, -102.1),
                                 _row("CHILDRESS", 34.4265, -100.2040),
                                 _row("KANSASCITY", 39.0997, -94.5786)], "--no-pdf")
    assert sites["AMARILLO"]["grid_operator"] == "SPP"
    assert sites["AMARILLO"]["large_load_regime"] == ""
    assert sites["MIDLAND"]["large_load_regime"].startswith("Texas SB6 (2025)")
    assert "this site is on ERCOT" in sites["MIDLAND"]["large_load_regime"]
    # a county the operator's map puts outside the drawn area (grid_counties.csv)
    assert sites["CHILDRESS"]["grid_operator"] == "ERCOT"
    assert sites["CHILDRESS"]["large_load_regime"].startswith("Texas SB6 (2025)")
    assert (sites["KANSASCITY"]["region"], sites["KANSASCITY"]["grid_operator"]) == ("MO", "SPP")


def test_a_given_value_wins_over_the_coordinates(tmp_path):
    header = MINIMAL + ["grid_operator", "climate_zone"]
    sites = _evaluate(tmp_path, [header, _row("A", 35.2, -101.8) + ["ERCOT", "BWh"]],
                      "--no-pdf")
    a = sites["A"]
    assert (a["grid_operator"], a["grid_operator_source"]) == ("ERCOT", "given")
    assert (a["climate_zone"], a["climate_band"]) == ("BWh", "hot_dry")
    assert a["large_load_regime"].startswith("Texas SB6")


CONFLICTED = [MINIMAL + ["region"], _row("OKC", 35.47, -97.52) + ["TX"],
              _row("SEA", 40.0, -40.0) + [None], _row("FINE", 35.2, -101.8) + ["Texas"]]


def test_a_region_the_coordinates_contradict_is_flagged_everywhere(tmp_path):
    sites = _evaluate(tmp_path, CONFLICTED)
    okc = sites["OKC"]
    assert okc["region"] == "TX" and okc["region_source"] == "given"
    assert "region TX given, but the coordinates are in Oklahoma (OK)" in \
        okc["location_conflicts"]
    assert okc["grid_operator"] == "SPP"  # the grid is where the site physically is
    assert sites["SEA"]["location_conflicts"] == "the coordinates are in the sea: check them"
    assert sites["FINE"]["location_conflicts"] == ""

    sheet = load_workbook(tmp_path / "out" / "scorecard.xlsx", read_only=True)["Scorecard"]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if "location_conflicts" in r or any(
        isinstance(c, str) and c.lower().startswith("location conflicts") for c in r))
    column = next(i for i, c in enumerate(header) if isinstance(c, str)
                  and c.lower().replace(" ", "_").startswith("location_conflicts"))
    flagged = [r[column] for r in rows if r[column] and "Oklahoma" in str(r[column])]
    assert len(flagged) == 1

    text = " ".join(p.extract_text() for p in PdfReader(tmp_path / "out" / "reports" /
                                                        "OKC.pdf").pages)
    assert "given, but the coordinates are in Oklahoma" in " ".join(text.split())

    checked = CliRunner().invoke(cli, ["validate", str(tmp_path / "sites.xlsx")])
    assert checked.exit_code == 0
    assert "row 2, site OKC: region TX given, but the coordinates are in Oklahoma" in \
        checked.output
    assert "row 3, site SEA: the coordinates are in the sea" in checked.output
    assert "2 with location conflicts to check" in checked.output


@pytest.mark.slow
def test_the_pdf_explains_the_climate_pue_and_names_the_grid_operator(tmp_path):
    _evaluate(tmp_path, [MINIMAL, _row("ELLENDALE", 46.0, -98.5), _row("TROMSO", 69.65, 18.96)])
    tromso = " ".join(" ".join(p.extract_text() for p in PdfReader(
        tmp_path / "out" / "reports" / "TROMSO.pdf").pages).split())
    assert ("Grid operator: Nord Pool NO4 (Statnett), computed from coordinates, inside an "
            "approximate outline of North Norway (NO4).") in tromso
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(
        tmp_path / "out" / "reports" / "ELLENDALE.pdf").pages).split())
    assert "liquid design PUE 1.25 - 0.07 for a cold climate (Köppen-Geiger Dfb)" in text
    assert "Grid operator: MISO, computed from coordinates." in text
    assert "Nearest internet exchange: MICE (Minneapolis)" in text


def test_a_nearer_cloud_region_may_stand_in_for_the_metro(tmp_path):
    # Quincy, WA: Azure West US 2 is next door, Seattle about 125 miles away
    rows = [MINIMAL + ["fiber_carriers", "uplink_gbps"], _row("Q", 47.23, -119.85) + [2, 100]]
    (tmp_path / "off").mkdir(), (tmp_path / "on").mkdir()
    off = _evaluate(tmp_path / "off", rows, "--no-pdf")["Q"]
    on = _evaluate(tmp_path / "on", rows, "--no-pdf", "--set",
                   "location.inference.nearer_cloud_region_counts=true")["Q"]
    assert off["nearest_metro"].startswith("Seattle") and off["inference_location"] != "pass"
    assert on["nearest_metro"].startswith("Azure westus2")
    assert on["nearest_metro_source"].startswith("nearest cloud region")
    assert float(on["metro_distance_miles"]) < 5 and on["inference_location"] == "pass"


# Each public conversion's campus, placed at its town (company releases).
CAMPUSES = {"Galaxy Digital, Helios": (33.62, -100.84),
            "Cipher Mining, Barber Lake": (32.39, -100.86),
            "Hut 8, River Bend": (30.40, -91.19), "Core Scientific, Muskogee": (35.75, -95.37),
            "Applied Digital, Ellendale": (46.00, -98.53),
            "TeraWulf, Lake Mariner": (43.35, -78.60)}


def test_public_conversions_still_reproduced_in_their_own_climates(rules):
    from test_economics import FAR, conversions

    from pipeline import economics

    checked = 0
    for row in conversions():
        campus = next((c for c in CAMPUSES if row["conversion"].startswith(c)), None)
        if not row["gross_mw"] or campus is None:
            continue
        lat, lon = CAMPUSES[campus]
        zone = koppen.zones([lat], [lon])[0]
        result = classify_site(site(power_capacity_mw=float(row["gross_mw"]), mining_load_mw=0.0,
                                    cooling_type="air", rack_density_kw=10.0,
                                    liquid_cooling_path="planned", climate_zone=zone, **FAR),
                               rules)
        it = economics.evaluate([result], rules).rows.iloc[0].econ_it_mw_full
        assert it == pytest.approx(float(row["critical_it_mw"]), rel=0.15), row["conversion"]
        checked += 1
    assert checked >= 6


def test_a_country_the_coordinates_contradict_is_flagged_and_kept(tmp_path):
    header = MINIMAL + ["country", "region"]
    sites = _evaluate(tmp_path, [header, _row("BORDER", 44.7, -73.45) + ["Canada", "Quebec"],
                                 _row("CODE", 46.0, -98.5) + ["USA", None]], "--no-pdf")
    border, code = sites["BORDER"], sites["CODE"]
    assert border["country"] == "Canada" and border["region"] == "Quebec"
    assert border["location_conflicts"] == ("country Canada given, but the coordinates are in "
                                            "United States: the given country is used; check it")
    assert border["grid_operator"] == "Hydro-Québec"  # from the country and region in force
    assert code["location_conflicts"] == "" and code["region"] == "ND"  # USA is the US


@pytest.mark.parametrize("place, lat, lon, iso2, operator", [
    ("Moscow", 55.75, 37.62, "RU", "SO UPS"), ("St Petersburg", 59.94, 30.31, "RU", "SO UPS"),
    ("Irkutsk", 52.29, 104.28, "RU", "SO UPS"), ("Bratsk", 56.15, 101.63, "RU", "SO UPS"),
    ("Anadyr", 64.73, 177.51, "RU", "SO UPS"), ("Suva", -18.14, 178.44, "FJ", None),
    ("San Juan", 18.40, -66.06, "PR", "PREPA (non-RTO)"),
    ("Monterrey", 25.69, -100.32, "MX", "CENACE"), ("Cordoba", -31.42, -64.18, "AR", "CAMMESA"),
    ("Thimphu", 27.47, 89.64, "BT", "Bhutan Power Corporation"),
    ("Singapore", 1.29, 103.85, "SG", "EMA Power System Operator (NEMS)"),
    ("Manama", 26.22, 50.58, "BH", "EWA (Electricity and Water Authority)")])
def test_a_country_is_found_on_either_side_of_the_antimeridian(place, lat, lon, iso2, operator):
    from pipeline.geo import regions
    (found,) = regions.find(np.array([lat]), np.array([lon]), 30.0)
    assert found.country is not None and found.country.iso2 == iso2, place
    row = regions.grid_row(found.country, None)
    assert (row.grid_operator if row else None) == operator, place


@pytest.mark.parametrize("place, lat, lon, iso2, region", [
    ("Niagara Falls NY, 5 km inside the US", 43.0945, -79.0567, "US", "NY"),
    ("Windsor ON, across the river from Detroit", 42.3149, -83.0364, "CA", "ON"),
    ("Detroit", 42.3314, -83.0458, "US", "MI"),
    ("Ciudad Juarez, across the Rio Grande", 31.69, -106.42, "MX", None),
    ("El Paso", 31.76, -106.49, "US", "TX"), ("Key West, an island", 24.5551, -81.78, "US", "FL"),
    ("Singapore, a small state", 1.29, 103.85, "SG", None),
    ("Manama, an island state", 26.22, 50.58, "BH", None),
    ("Luxembourg", 49.61, 6.13, "LU", None), ("Tromso, in a fjord", 69.65, 18.96, "NO", None),
    ("Lulea, on the gulf", 65.58, 22.15, "SE", None)])
def test_borders_and_coasts_at_deal_precision(place, lat, lon, iso2, region):
    """Within the 1:110m outlines' error of a border or a coast, the 1:10m ones decide."""
    from pipeline.geo import regions
    (found,) = regions.find(np.array([lat]), np.array([lon]), 30.0)
    assert found.country is not None and found.country.iso2 == iso2, place
    assert (found.state.region if found.state else None) == region, place


def test_random_land_points_find_their_country_but_for_islands_the_outlines_leave_out():
    """20,000 points uniform on the sphere; land where the climate map has a zone, outside
    Antarctica. At 1:110m some islands have no outline (the Faroes, the Canaries, the
    Andamans, the Kurils...), so a small share stays unresolved, each within a degree of
    the sea; none inland. (Before the antimeridian fix 11.8 % of land points had none.)"""
    from pipeline.geo import outlines
    rng = np.random.default_rng(3)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 20_000)))
    lon = rng.uniform(-180, 180, 20_000)
    land = (koppen.zones(lat, lon) != koppen.OCEAN) & (lat > -60)
    lat, lon = lat[land], lon[land]
    unresolved = outlines.countries().locate(lat, lon) < 0
    assert unresolved.mean() < 0.05, unresolved.mean()
    ring = np.linspace(-1.0, 1.0, 9)
    dlat, dlon = (a.ravel() for a in np.meshgrid(ring, ring))
    for y, x in zip(lat[unresolved], lon[unresolved]):
        around = koppen.zones(np.clip(y + dlat, -89.9, 89.9), (x + dlon + 180) % 360 - 180)
        assert (around == koppen.OCEAN).any(), (y, x)


def test_places_where_bitcoin_is_mined_get_their_country_region_and_grid(rules):
    """tests/world_places.csv: 79 places across the countries where bitcoin is mined (city
    coordinates as GeoNames gives them; operators from each operator's or regulator's public
    map, bidding areas from Nord Pool's), located from coordinates alone through the enrich
    stage: every country, US state and Canadian province right, every grid operator or
    bidding area right, and nothing flagged."""
    places = pd.read_csv(Path(__file__).with_name("world_places.csv"), keep_default_na=False)
    out = _enriched(rules, places["latitude"], places["longitude"])
    got = out[["country", "region", "grid_operator"]].fillna("")
    wrong = places[(got != places[["country", "region", "grid_operator"]]).any(axis=1)]
    assert wrong.empty, got.loc[wrong.index].assign(place=wrong["place"])
    assert out["location_conflicts"].isna().all()
    assert out["grid_operator_source"].str.startswith(("computed from coordinates",
                                                       "looked up from")).all()


def _enriched(rules, lats, lons) -> pd.DataFrame:
    sites = pd.DataFrame({"site_id": [f"S{i}" for i in range(len(lats))],
                          "latitude": list(lats), "longitude": list(lons)})
    for column in ("country", "region", "grid_operator", "climate_zone", "nearest_metro"):
        sites[column] = pd.Series([None] * len(sites), dtype=object)
    sites["metro_distance_miles"] = float("nan")
    return enrich(sites, rules)


def test_a_point_in_a_country_but_outside_all_its_regions_is_flagged(rules):
    """In a great lake, inside the country's outline but miles from every state's or
    province's shore: no region or operator is guessed."""
    out = _enriched(rules, [47.9, 45.0], [-87.5, -82.4])
    assert out["location_conflicts"].tolist() == [
        "the coordinates are in United States but outside every state outline: check them, "
        "or give the region and grid operator",
        "the coordinates are in Canada but outside every province outline: check them, or "
        "give the region and grid operator"]
    assert out["region"].isna().all() and out["grid_operator"].isna().all()


def test_a_metro_is_reached_at_its_nearest_principal_city(rules):
    """Granbury TX is about 34 miles from Fort Worth and 62 from Dallas: Dallas-Fort
    Worth-Arlington is reached at Fort Worth, with the whole metro's population."""
    from pipeline.geo import nearest_metro
    metro, miles = nearest_metro(32.4421, -97.7942, 1_000_000)
    assert metro.name == "Dallas-Fort Worth-Arlington, TX" and metro.reached_at == "Fort Worth"
    assert 30 < miles < 38 and metro.metro_population > 7_000_000
    out = _enriched(rules, [32.4421], [-97.7942])
    assert out["metro_distance_miles"].iloc[0] == pytest.approx(miles, abs=0.05)


def test_a_foreign_metro_counts_unless_the_rules_keep_to_the_country(rules):
    """El Paso's nearest metro of a million is Ciudad Juárez across the river; kept to the
    United States, it is Tucson, about 260 miles off."""
    across = _enriched(rules, [31.7587], [-106.4869])
    assert across["nearest_metro"].iloc[0] == "Ciudad Juárez"
    assert across["metro_distance_miles"].iloc[0] < 5
    home = _enriched(with_settings(rules, ["location.inference.foreign_metros_count=false"]),
                     [31.7587, 64.1466], [-106.4869, -21.9426])
    assert home["nearest_metro"].iloc[0].startswith("Tucson")
    assert 250 < home["metro_distance_miles"].iloc[0] < 275
    # Iceland has no metro of a million: the nearest anywhere stands
    anywhere = _enriched(rules, [64.1466], [-21.9426])
    assert home["nearest_metro"].iloc[1] == anywhere["nearest_metro"].iloc[0]
