"""A network's places against the world: ISO 3166 codes, and each place against its country's polygon.

The basemap is Natural Earth at 1:110m (geodata/countries_110m.geojson). At that scale small islands
(Malta, Cape Verde, Lampedusa, the Canaries, the Greek islands) are missing and coasts are off by up to
about 20 km, so a place on no polygon (at sea on the basemap) is accepted, and only a place lying on
*another* country's land, more than TOLERANCE_KM from its own, gets a warning. Its latitude and
longitude swapped is an error when the swapped point lies in its country. Documented exceptions:
EXTRA_CODES (codes outside ISO 3166 in common use) and EXCLAVES (places the basemap draws inside a
neighbour). See docs/geodata.md.
"""

from __future__ import annotations

import csv
import json
from functools import cache, lru_cache
from pathlib import Path

import shapely
from pyproj import Geod
from shapely.geometry import Point, shape
from shapely.ops import nearest_points

from .errors import InputError

GEODATA = Path(__file__).resolve().parents[1] / "geodata"
ISO_TABLE = GEODATA / "iso3166_alpha3.csv"
BASEMAP = GEODATA / "countries_110m.geojson"
TOLERANCE_KM = 25.0
EXTRA_CODES = {"XKX": "Kosovo (user-assigned code used by the EU, the IMF and Frontex)"}
# areas the basemap draws as separate countries (its adm0_a3) -> the ISO code their places carry
POLYGON_ALIASES = {"SOL": "SOM", "CYN": "CYP", "KOS": "XKX", "PSX": "PSE", "SAH": "ESH", "SDS": "SSD"}
# places the basemap draws on a neighbour's land: Ceuta and Melilla on Morocco's polygon, and Greek islands
# off the Turkish coast (Samos) under Turkey's coarse coastline
EXCLAVES = {"ESP": {"MAR"}, "GRC": {"TUR"}}
_GEOD = Geod(ellps="WGS84")


@lru_cache(maxsize=1)
def iso_codes() -> frozenset[str]:
    with ISO_TABLE.open(newline="", encoding="utf-8") as fh:
        return frozenset(row["alpha-3"] for row in csv.DictReader(fh)) | frozenset(EXTRA_CODES)


def is_country_code(code: str) -> bool:
    return code in iso_codes()


@lru_cache(maxsize=1)
def _basemap_features() -> tuple[tuple[str, dict], ...]:
    if not BASEMAP.exists():
        return ()
    feats = json.loads(BASEMAP.read_text(encoding="utf-8"))["features"]
    return tuple((POLYGON_ALIASES.get(f["properties"]["adm0_a3"], f["properties"]["adm0_a3"]), f["geometry"])
                 for f in feats)


@cache
def country_shape(code: str) -> shapely.Geometry | None:
    """A country's land on the basemap (prepared for fast point tests), None if the basemap lacks it."""
    parts = [shape(g) for c, g in _basemap_features() if c == code]
    if not parts:
        return None
    geom = shapely.union_all([p if p.is_valid else shapely.make_valid(p) for p in parts])
    shapely.prepare(geom)
    return geom


def country_shapes() -> dict[str, shapely.Geometry]:
    """ISO3 -> land polygon, every country of the basemap."""
    return {c: country_shape(c) for c in dict.fromkeys(c for c, _ in _basemap_features())}


def _km_outside(geom, lon: float, lat: float) -> float:
    point = Point(lon, lat)
    if geom.contains(point):
        return 0.0
    near = nearest_points(geom, point)[0]
    return _GEOD.inv(lon, lat, near.x, near.y)[2] / 1000


def check_swapped(path: Path, places) -> None:
    """Refuse a place whose point is off its country but would be in it with latitude and longitude swapped."""
    for n, row in enumerate(places.itertuples(), start=1):
        geom = country_shape(row.iso3)
        if geom is None or abs(row.lat) > 180 or abs(row.lon) > 90:
            continue
        if geom.contains(Point(row.lat, row.lon)) and _km_outside(geom, row.lon, row.lat) > TOLERANCE_KM:
            raise InputError(path, f"place {row.id!r} (feature {n})",
                             f"coordinates look swapped: [{row.lon:g}, {row.lat:g}] is outside {row.iso3} but "
                             f"[{row.lat:g}, {row.lon:g}] is inside; GeoJSON wants [longitude, latitude]")


def place_warnings(network) -> list[str]:
    """One line per place that lies on another country's land, more than TOLERANCE_KM from its own."""
    shapes = country_shapes()
    out = []
    for n, row in enumerate(network.places.itertuples(), start=1):
        own = shapes.get(row.iso3)
        if own is None:
            continue  # the country is too small for the basemap (Malta, Comoros, ...)
        km = _km_outside(own, row.lon, row.lat)
        if km <= TOLERANCE_KM:
            continue
        point = Point(row.lon, row.lat)
        host = next((c for c, g in shapes.items() if c != row.iso3 and g.contains(point)), None)
        if host is None or host in EXCLAVES.get(row.iso3, ()):
            continue  # at sea on the basemap: an island too small for 1:110m
        out.append(f"{network.folder / 'places.geojson'}: place {row.id!r} (feature {n}): it is in {host}, "
                   f"{km:,.0f} km from {row.iso3} (its iso3) on the 1:110m basemap")
    return out
