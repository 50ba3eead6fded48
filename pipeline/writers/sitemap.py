"""The portfolio map: a mark per site, coloured by bucket, on a public-domain basemap, as SVG.

The basemaps are bundled under ``templates/map/`` (Natural Earth countries at 1:110m and US
Census states, as TopoJSON; ``templates/map/SOURCE`` says where from). The projection is
equirectangular with its standard parallel in the middle of the sites, cropped to the sites
with a margin, so a portfolio in one region fills the frame and a world-wide one shows the
world. Nothing is fetched; no input text reaches the SVG.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources.abc import Traversable

WIDTH, HEIGHT = 520.0, 290.0  # the SVG's user units; the page scales it to the column
MIN_SPAN_LON, MIN_SPAN_LAT = 24.0, 12.0  # the least extent, so one site is not a close-up
MARGIN = 0.08  # of the extent, on each side
BINNED_ABOVE = 600  # more sites than this: one mark per 0.5-degree cell and bucket
STATES_BELOW_SPAN = 80.0  # draw US state lines when the map is narrower than this (degrees)

Ring = list[tuple[float, float]]  # (lon, lat) points


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float
    bucket: str


@dataclass(frozen=True)
class Shape:
    rings: tuple[Ring, ...]
    west: float
    south: float
    east: float
    north: float


def read_topology(source: Traversable, collection: str) -> list[Shape]:
    """The polygons of one geometry collection of a TopoJSON file, in degrees."""
    topology = json.loads(source.read_text(encoding="utf-8"))
    (kx, ky), (dx, dy) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for step_x, step_y in arc:
            x, y = x + step_x, y + step_y
            points.append((x * kx + dx, y * ky + dy))
        arcs.append(points)

    def ring(indices: list[int]) -> Ring:
        points: Ring = []
        for index in indices:
            arc = arcs[index] if index >= 0 else arcs[~index][::-1]
            points.extend(arc[1:] if points else arc)
        return _unwrapped(points)

    shapes = []
    for geometry in topology["objects"][collection]["geometries"]:
        polygons = {"Polygon": [geometry.get("arcs", [])],
                    "MultiPolygon": geometry.get("arcs", [])}.get(geometry["type"], [])
        for polygon in polygons:
            rings = tuple(ring(r) for r in polygon)
            lons = [p[0] for r in rings for p in r]
            lats = [p[1] for r in rings for p in r]
            if lons:
                shapes.append(Shape(rings, min(lons), min(lats), max(lons), max(lats)))
    return shapes


def _unwrapped(ring: Ring) -> Ring:
    """A ring that crosses the antimeridian (Fiji, Chukotka) continued past 180 degrees east,
    so no edge runs across the whole map; a ring round the pole (Antarctica) stays as is."""
    if all(abs(a[0] - b[0]) <= 180 for a, b in zip(ring, ring[1:])):
        return ring
    shifted = [(lon + 360 if lon < 0 else lon, lat) for lon, lat in ring]
    lons = [lon for lon, _ in shifted]
    return shifted if max(lons) - min(lons) < 180 else ring


@dataclass(frozen=True)
class Frame:
    """The part of the world shown and how degrees become SVG units."""

    west: float
    south: float
    east: float
    north: float

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (WIDTH * (lon - self.west) / (self.east - self.west),
                HEIGHT * (self.north - lat) / (self.north - self.south))

    def overlaps(self, shape: Shape) -> bool:
        return not (shape.east < self.west or shape.west > self.east
                    or shape.north < self.south or shape.south > self.north)


def frame_for(points: list[Point]) -> Frame:
    """The sites' extent with a margin, widened to the map's shape, kept on the globe."""
    lons = [p.longitude for p in points] or [0.0]
    lats = [p.latitude for p in points] or [20.0]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    span_lon = max(east - west, MIN_SPAN_LON) * (1 + 2 * MARGIN)
    span_lat = max(north - south, MIN_SPAN_LAT) * (1 + 2 * MARGIN)
    middle_lon, middle_lat = (west + east) / 2, (south + north) / 2
    squeeze = math.cos(math.radians(max(-60.0, min(60.0, middle_lat))))
    # widen whichever way keeps WIDTH:HEIGHT once longitude is squeezed by the parallel
    if span_lon * squeeze / span_lat < WIDTH / HEIGHT:
        span_lon = span_lat * WIDTH / HEIGHT / squeeze
    else:
        span_lat = span_lon * squeeze * HEIGHT / WIDTH
    span_lon, span_lat = min(span_lon, 360.0), min(span_lat, 180.0)
    west = max(-180.0, min(180.0 - span_lon, middle_lon - span_lon / 2))
    south = max(-90.0, min(90.0 - span_lat, middle_lat - span_lat / 2))
    return Frame(west, south, west + span_lon, south + span_lat)


def _path(frame: Frame, shapes: list[Shape]) -> str:
    parts = []
    for shape in shapes:
        if not frame.overlaps(shape):
            continue
        for ring in shape.rings:
            xy = [frame.xy(lon, lat) for lon, lat in ring]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in xy) + "Z")
    return "".join(parts)


@lru_cache(maxsize=1)
def _basemaps(folder: Traversable) -> tuple[list[Shape], list[Shape]]:
    return (read_topology(folder / "countries-110m.json", "countries"),
            read_topology(folder / "states-10m.json", "states"))


def marks(points: list[Point]) -> list[tuple[float, float, str, int]]:
    """(lat, lon, bucket, sites) per mark: one a site, or one per 0.5-degree cell and bucket
    when there are too many sites to tell apart."""
    if len(points) <= BINNED_ABOVE:
        return [(p.latitude, p.longitude, p.bucket, 1) for p in points]
    cells: dict[tuple[float, float, str], int] = {}
    for p in points:
        key = (round(p.latitude * 2) / 2, round(p.longitude * 2) / 2, p.bucket)
        cells[key] = cells.get(key, 0) + 1
    return [(lat, lon, bucket, count) for (lat, lon, bucket), count in cells.items()]


def site_map(points: list[Point], colours: dict[str, str], folder: Traversable) -> str:
    """The map as inline SVG: land, borders, then one mark per site (or per crowded cell)."""
    frame = frame_for(points)
    countries, states = _basemaps(folder)
    parts = [f'<svg class="map" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" '
             'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Map of the sites">',
             f'<rect width="{WIDTH:.0f}" height="{HEIGHT:.0f}" fill="#eef3f8"/>',
             f'<path d="{_path(frame, countries)}" fill="#fbfaf6" stroke="#b8b8b0" '
             'stroke-width="0.5" stroke-linejoin="round"/>']
    if frame.east - frame.west < STATES_BELOW_SPAN:
        parts.append(f'<path d="{_path(frame, states)}" fill="none" stroke="#d2d2ca" '
                     'stroke-width="0.4"/>')
    for lat, lon, bucket, count in sorted(marks(points), key=lambda m: -m[3]):
        x, y = frame.xy(lon, lat)
        radius = 3.6 * math.sqrt(count)
        parts.append(f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" '
                     f'fill="{colours[bucket]}" stroke="#1b1b1b" stroke-width="0.6" '
                     'fill-opacity="0.9"/>')
    parts.append("</svg>")
    return "".join(parts)
