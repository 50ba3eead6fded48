"""The portfolio map: a mark per site, coloured by bucket, on a public-domain basemap, as SVG.

The basemaps are bundled under ``templates/map/`` (Natural Earth countries at 1:110m and US
Census states, as TopoJSON; ``templates/map/SOURCE`` says where from). The projection is
equirectangular with its standard parallel in the middle of the sites, cropped to the sites
with a margin, so a portfolio in one region fills the frame and a world-wide one shows the
world. Nothing is fetched; no input text reaches the SVG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipeline.geo import outlines
from pipeline.geo.outlines import Outlines, Polygon

WIDTH, HEIGHT = 520.0, 290.0  # the SVG's user units; the page scales it to the column
MIN_SPAN_LON, MIN_SPAN_LAT = 24.0, 12.0  # the least extent, so one site is not a close-up
MARGIN = 0.08  # of the extent, on each side
BINNED_ABOVE = 600  # more sites than this: one mark per 0.5-degree cell and bucket
STATES_BELOW_SPAN = 80.0  # draw US state lines when the map is narrower than this (degrees)


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float
    bucket: str


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

    def overlaps(self, polygon: Polygon) -> bool:
        west, south, east, north = polygon.box
        return not (east < self.west or west > self.east
                    or north < self.south or south > self.north)


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


def _path(frame: Frame, outlines: Outlines) -> str:
    parts = []
    for polygon in outlines.polygons:
        if not frame.overlaps(polygon):
            continue
        for ring in polygon.rings:
            xy = [frame.xy(lon, lat) for lon, lat in ring]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in xy) + "Z")
    return "".join(parts)


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


def site_map(points: list[Point], colours: dict[str, str]) -> str:
    """The map as inline SVG: land, borders, then one mark per site (or per crowded cell)."""
    frame = frame_for(points)
    parts = [f'<svg class="map" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" '
             'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Map of the sites">',
             f'<rect width="{WIDTH:.0f}" height="{HEIGHT:.0f}" fill="#eef3f8"/>',
             f'<path d="{_path(frame, outlines.countries())}" fill="#fbfaf6" stroke="#b8b8b0" '
             'stroke-width="0.5" stroke-linejoin="round"/>']
    if frame.east - frame.west < STATES_BELOW_SPAN:
        parts.append(f'<path d="{_path(frame, outlines.states())}" fill="none" stroke="#d2d2ca" '
                     'stroke-width="0.4"/>')
    for lat, lon, bucket, count in sorted(marks(points), key=lambda m: -m[3]):
        x, y = frame.xy(lon, lat)
        radius = 3.6 * math.sqrt(count)
        parts.append(f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" '
                     f'fill="{colours[bucket]}" stroke="#1b1b1b" stroke-width="0.6" '
                     'fill-opacity="0.9"/>')
    parts.append("</svg>")
    return "".join(parts)
