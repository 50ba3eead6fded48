"""Which outline a point falls in: Natural Earth countries, US states, Canadian provinces,
sub-state grid areas and Nord Pool bidding areas.

The outlines are the map's own basemaps (``templates/map/``: Natural Earth Admin 0 at 1:110m
and US Census states, as TopoJSON) and the packed outlines of ``pipeline/data/*.npz`` (1:10m
countries, Canadian provinces, Nord Pool bidding areas, US counties), read once per process;
the sub-state grid areas are the polygons of ``pipeline/data/grid_areas.json``. The test is even-odd ray crossing over every edge of a
polygon, for the points inside its bounding box only, in numpy: exact for the outline as drawn
(the 1:110m coast runs up to ~10 km off the real one, so a coastal site can fall just outside;
``near`` then names the closest one).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources

import numpy as np

from pipeline.geo.distance import EARTH_RADIUS_MILES

_MILES_PER_DEGREE = EARTH_RADIUS_MILES * np.pi / 180
_CHUNK = 2048  # points per test block: 2048 x a ~2,000-edge state x 8 bytes = 32 MB at most
_PREFILTER_CELLS = 1_000_000  # points x polygons up to which boxes are tested all at once


@dataclass(frozen=True)
class Polygon:
    """One polygon of an outline: its rings (holes included) as (lon, lat) points, their
    edges and its bounding box, in degrees; a ring that crosses the antimeridian is
    continued past 180 degrees east."""

    owner: int  # index of the outline (country, state or area) it belongs to
    rings: tuple[np.ndarray, ...]
    x1: np.ndarray
    y1: np.ndarray
    x2: np.ndarray
    y2: np.ndarray
    box: tuple[float, float, float, float]  # west, south, east, north


@dataclass(frozen=True)
class Outlines:
    """Named outlines: ids and names by index, and their polygons."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    polygons: tuple[Polygon, ...]
    within: tuple[str, ...] = ()  # for grid areas: the FIPS code of the state each lies in

    @cached_property
    def _boxes(self) -> np.ndarray:
        """Every polygon's box (west, south, east, north), one row each."""
        return np.array([p.box for p in self.polygons], dtype=float).reshape(-1, 4)

    def _worth_testing(self, lats: np.ndarray, lons: np.ndarray, reach_lat: float = 0.0,
                       reach_lon: np.ndarray | float = 0.0) -> tuple[Polygon, ...]:
        """The polygons whose box, widened by the reach, holds one of the points: a few for
        a few points, tested at once instead of one polygon after another (every polygon
        for many points, where the per-polygon test is as cheap)."""
        if lats.size * len(self.polygons) > _PREFILTER_CELLS:
            return self.polygons
        west, south, east, north = (column[None, :] for column in self._boxes.T)
        y, x = lats[:, None], _onto(lons[:, None], west, east)
        reach = np.reshape(reach_lon, (-1, 1)) if np.ndim(reach_lon) else reach_lon
        hit = ((y >= south - reach_lat) & (y <= north + reach_lat)
               & (x >= west - reach) & (x <= east + reach)).any(axis=0)
        return tuple(self.polygons[i] for i in np.flatnonzero(hit))

    def locate(self, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
        """The index of the outline each point falls in, or -1 outside every one."""
        found = np.full(lats.size, -1, dtype=np.intp)
        for polygon in self._worth_testing(lats, lons):
            west, south, east, north = polygon.box
            shifted = _onto(lons, west, east)
            candidates = np.flatnonzero((found < 0) & (lats >= south) & (lats <= north)
                                        & (shifted >= west) & (shifted <= east))
            for start in range(0, candidates.size, _CHUNK):
                block = candidates[start:start + _CHUNK]
                found[block[_inside(polygon, shifted[block], lats[block])]] = polygon.owner
        return found

    def only(self, keep) -> Outlines:
        """The same outlines with only the polygons of those whose id ``keep`` accepts."""
        return Outlines(self.ids, self.names,
                        tuple(p for p in self.polygons if keep(self.ids[p.owner])), self.within)

    def near(self, lats: np.ndarray, lons: np.ndarray, max_miles: float
             ) -> tuple[np.ndarray, np.ndarray]:
        """For each point, the outline whose edge is closest within ``max_miles`` (index, or
        -1 when none is that close) and the miles to that edge."""
        best = np.full(lats.size, -1, dtype=np.intp)
        best_miles = np.full(lats.size, np.inf)
        reach_lat = max_miles / _MILES_PER_DEGREE
        reach_lon = reach_lat / np.maximum(np.cos(np.radians(np.minimum(np.abs(lats) + reach_lat,
                                                                        89.0))), 0.01)
        for polygon in self._worth_testing(lats, lons, reach_lat, reach_lon):
            west, south, east, north = polygon.box
            shifted = _onto(lons, west, east)
            candidates = np.flatnonzero((lats >= south - reach_lat) & (lats <= north + reach_lat)
                                        & (shifted >= west - reach_lon)
                                        & (shifted <= east + reach_lon))
            for start in range(0, candidates.size, _CHUNK):
                block = candidates[start:start + _CHUNK]
                miles = _edge_miles(polygon, shifted[block], lats[block])
                closer = (miles < best_miles[block]) & (miles <= max_miles)
                best[block[closer]] = polygon.owner
                best_miles[block[closer]] = miles[closer]
        return best, best_miles


def _onto(lons: np.ndarray, west, east) -> np.ndarray:
    """Longitudes as a polygon's box reads them: where the polygon is continued past 180 E
    (Russia, Fiji), a point west of its box is moved on by 360 degrees, and only such a
    point; Moscow at 37.6 E stays inside Russia's box (19 E to 191 E), Chukotka's -170
    becomes 190. ``west`` and ``east`` are one box's or, broadcast, many boxes'."""
    if np.ndim(east) == 0 and east <= 180.0:
        return lons
    return np.where((east > 180.0) & (lons < west), lons + 360.0, lons)


def _inside(polygon: Polygon, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Even-odd test: a point is inside when a ray to its east crosses an odd number of edges."""
    y1, y2 = polygon.y1[None, :], polygon.y2[None, :]
    px, py = x[:, None], y[:, None]
    straddles = (y1 > py) != (y2 > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        cross_x = polygon.x1 + (py - y1) * (polygon.x2 - polygon.x1) / (y2 - y1)
    return np.count_nonzero(straddles & (px < cross_x), axis=1) % 2 == 1


def _edge_miles(polygon: Polygon, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Approximate miles from each point to the polygon's nearest edge (flat, locally)."""
    squeeze = np.cos(np.radians(y))[:, None]
    ax, ay = (polygon.x1[None, :] - x[:, None]) * squeeze, polygon.y1[None, :] - y[:, None]
    bx, by = (polygon.x2[None, :] - x[:, None]) * squeeze, polygon.y2[None, :] - y[:, None]
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(np.where(length > 0, -(ax * dx + ay * dy) / length, 0.0), 0.0, 1.0)
    return np.min(np.hypot(ax + t * dx, ay + t * dy), axis=1) * _MILES_PER_DEGREE


def _polygon(owner: int, rings: list[np.ndarray]) -> Polygon:
    edges = [(ring[:-1], ring[1:]) for ring in rings if len(ring) > 1]
    start = np.concatenate([a for a, _ in edges])
    end = np.concatenate([b for _, b in edges])
    everything = np.concatenate(rings)
    return Polygon(owner, tuple(rings), start[:, 0], start[:, 1], end[:, 0], end[:, 1],
                   (float(everything[:, 0].min()), float(everything[:, 1].min()),
                    float(everything[:, 0].max()), float(everything[:, 1].max())))


def _unwrapped(ring: np.ndarray) -> np.ndarray:
    """A ring that crosses the antimeridian continued past 180 degrees east."""
    if ring.size == 0 or np.all(np.abs(np.diff(ring[:, 0])) <= 180):
        return ring
    shifted = ring.copy()
    shifted[shifted[:, 0] < 0, 0] += 360.0
    return shifted if np.ptp(shifted[:, 0]) < 180 else ring


def read_topology(text: str, collection: str) -> Outlines:
    """The outlines of one geometry collection of a quantized TopoJSON file."""
    topology = json.loads(text)
    scale = np.array(topology["transform"]["scale"])
    translate = np.array(topology["transform"]["translate"])
    arcs = [np.cumsum(np.array(arc, dtype=float), axis=0) * scale + translate
            for arc in topology["arcs"]]

    def ring(indices: list[int]) -> np.ndarray:
        parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indices]
        return _unwrapped(np.concatenate([parts[0]] + [p[1:] for p in parts[1:]]))

    ids, names, polygons = [], [], []
    for owner, geometry in enumerate(topology["objects"][collection]["geometries"]):
        ids.append(str(geometry.get("id", "")))
        names.append(geometry.get("properties", {}).get("name", ""))
        shapes = {"Polygon": [geometry.get("arcs", [])],
                  "MultiPolygon": geometry.get("arcs", [])}.get(geometry["type"], [])
        polygons += [_polygon(owner, [ring(r) for r in shape]) for shape in shapes if shape]
    return Outlines(tuple(ids), tuple(names), tuple(polygons))


def read_areas(text: str) -> Outlines:
    """Outlines from a GeoJSON FeatureCollection of Polygons whose properties hold ``id``,
    ``name`` and ``state``."""
    features = json.loads(text)["features"]
    polygons = [_polygon(owner, [np.array(r, dtype=float) for r in f["geometry"]["coordinates"]])
                for owner, f in enumerate(features)]
    return Outlines(tuple(f["properties"]["id"] for f in features),
                    tuple(f["properties"]["name"] for f in features), tuple(polygons),
                    tuple(f["properties"]["state"] for f in features))


@cache
def countries() -> Outlines:
    """Natural Earth Admin 0 countries (1:110m); ids are ISO 3166 numeric codes."""
    text = resources.files("pipeline.templates").joinpath("map/countries-110m.json").read_text(
        encoding="utf-8")
    return read_topology(text, "countries")


def read_packed(data: bytes) -> Outlines:
    """Outlines from an npz that scripts/build_locations.py packs from a TopoJSON file: every
    ring's points on the file's own integer grid (``steps``, one difference chain through all
    rings; ``scale`` and ``translate`` turn it into degrees), ``ring_sizes``, the rings of
    each polygon (``polygon_rings``) and its outline (``owner``), the rings continued past
    180 E (``shifted``), and the outlines' ``ids`` and ``names``. The degrees are those
    ``read_topology`` reads from the file, to the bit."""
    with np.load(io.BytesIO(data)) as z:
        points = np.cumsum(z["steps"], axis=0).astype(float) * z["scale"] + z["translate"]
        sizes, shifted = z["ring_sizes"], z["shifted"]
        per_polygon, owners = z["polygon_rings"].tolist(), z["owner"].tolist()
        ids, names = tuple(z["ids"].tolist()), tuple(z["names"].tolist())
    points[np.repeat(shifted, sizes), 0] += 360.0
    rings = np.split(points, np.cumsum(sizes)[:-1])
    starts = np.concatenate(([0], np.cumsum(per_polygon)))
    return Outlines(ids, names, tuple(_polygon(owner, rings[a:b]) for owner, a, b
                                      in zip(owners, starts[:-1].tolist(), starts[1:].tolist())))


def countries_fine() -> Outlines:
    """Natural Earth Admin 0 countries at 1:10m (pipeline/data/countries-10m.npz): read for
    points near a border or a coast of the 1:110m outlines; ids are ISO 3166 numeric codes."""
    return _packed("countries-10m.npz")


def provinces() -> Outlines:
    """Canada's provinces and territories (Natural Earth Admin 1 at 1:50m,
    pipeline/data/provinces-50m.npz); ids are their postal codes."""
    return _packed("provinces-50m.npz")


@cache
def bidding_areas(iso2: str) -> Outlines:
    """The Nord Pool bidding areas of one country (pipeline/data/bidding_areas.npz, drawn
    approximately); ids are the areas' codes, which begin with the country's ISO code."""
    return _packed("bidding_areas.npz").only(lambda id_: id_.startswith(iso2))


@cache
def _packed(name: str) -> Outlines:
    return read_packed(resources.files("pipeline").joinpath(f"data/{name}").read_bytes())


def grid_counties() -> Outlines:
    """The US counties pipeline/data/grid_counties.csv lists (US Census outlines via
    us-atlas, pipeline/data/grid_counties.npz); ids are county FIPS codes."""
    return _packed("grid_counties.npz")


@cache
def states() -> Outlines:
    """US states, DC and territories (US Census); ids are state FIPS codes."""
    text = resources.files("pipeline.templates").joinpath("map/states-10m.json").read_text(
        encoding="utf-8")
    return read_topology(text, "states")


@cache
def grid_areas() -> Outlines:
    """Parts of states served by another grid operator than the state's own (grid_areas.json)."""
    return read_areas(resources.files("pipeline").joinpath("data/grid_areas.json").read_text(
        encoding="utf-8"))
