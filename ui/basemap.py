"""The countries basemap: the shipped Natural Earth file ``geodata/countries_110m.geojson`` (public domain),
read from the repository only, simplified and cut to a network's area."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from shapely.geometry import mapping as shapely_mapping
from shapely.geometry import shape as shapely_shape

ROOT = Path(__file__).resolve().parent.parent
BASEMAP = ROOT / "geodata" / "countries_110m.geojson"
MARGIN_DEG = 12.0  # the basemap covers the network's area and this much around it
# Outlines simplified to 0.1 degree (about 10 km): half a pixel at zoom 3, where maps of the shipped network
# open (a pixel is 0.18 degree there), and within Natural Earth 1:110m's own generalisation.
SIMPLIFY_DEG = 0.1


def basemap_path() -> Path | None:
    """The shipped basemap, or None when it is missing (maps are then drawn without countries)."""
    return BASEMAP if BASEMAP.exists() else None


def _round_coords(coords, nd=2):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], nd), round(coords[1], nd)]
    return [_round_coords(c, nd) for c in coords if len(c)]


def _bbox(coords) -> tuple[float, float, float, float]:
    arr = np.asarray([p for p in _flatten(coords)])
    return arr[:, 0].min(), arr[:, 1].min(), arr[:, 0].max(), arr[:, 1].max()


def _flatten(coords):
    if isinstance(coords[0], (int, float)):
        yield coords
    else:
        for c in coords:
            yield from _flatten(c)


@lru_cache(maxsize=4)
def _basemap_features(path: str) -> tuple:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for f in data.get("features", []):
        props = f.get("properties") or {}
        geom = f.get("geometry")
        if not geom:
            continue
        iso = props.get("iso3") or props.get("iso_a3")
        if not iso or iso == "-99":
            iso = props.get("adm0_a3")
        codes = {c for c in (props.get("iso3"), props.get("iso_a3"), props.get("adm0_a3")) if c and c != "-99"}
        try:  # simplify: the map is for context, and smaller data is sent and drawn faster
            simple = shapely_mapping(shapely_shape(geom).simplify(SIMPLIFY_DEG, preserve_topology=True))
            if simple["type"] in ("Polygon", "MultiPolygon"):
                geom = simple
        except Exception:
            pass
        coords = _round_coords(geom["coordinates"])
        out.append({"iso3": iso, "codes": codes, "name": props.get("name") or iso, "type": geom["type"],
                    "coordinates": coords, "bbox": _bbox(coords)})
    return tuple(out)


def network_bounds(network) -> tuple[float, float, float, float]:
    p = network.places
    return float(p["lon"].min()), float(p["lat"].min()), float(p["lon"].max()), float(p["lat"].max())


def view_bounds(network, share: float = 0.94) -> tuple[float, float, float, float]:
    """The box a map opens on: the central `share` of the places in each direction, so that a few far origins
    (Havana, Beijing) do not shrink the routes to a strip; the far ones are a pan away. Small networks: all."""
    p = network.places
    if len(p) < 20:
        return network_bounds(network)
    lo, hi = 50 * (1 - share), 100 - 50 * (1 - share)
    x0, x1 = np.percentile(p["lon"], [lo, hi])
    y0, y1 = np.percentile(p["lat"], [lo, hi])
    return float(x0), float(y0), float(x1), float(y1)


def _near(network, margin_deg: float) -> list[dict]:
    """The basemap's countries that touch the network's area (plus a margin), in the file's order."""
    x0, y0, x1, y1 = network_bounds(network)
    x0, y0, x1, y1 = x0 - margin_deg, y0 - margin_deg, x1 + margin_deg, y1 + margin_deg
    return [f for f in _basemap_features(str(BASEMAP))
            if not (f["bbox"][2] < x0 or f["bbox"][0] > x1 or f["bbox"][3] < y0 or f["bbox"][1] > y1)]


def basemap_geojson(network, margin_deg: float = MARGIN_DEG) -> dict | None:
    """Countries that touch the network's area (plus a margin), as GeoJSON with iso3 and name."""
    if basemap_path() is None:
        return None
    feats = [{"type": "Feature", "properties": {"iso3": f["iso3"], "name": f["name"]},
              "geometry": {"type": f["type"], "coordinates": f["coordinates"]}} for f in _near(network, margin_deg)]
    return {"type": "FeatureCollection", "features": feats}


def basemap_index(network) -> dict[str, int]:
    """Country code (any of iso3, iso_a3, adm0_a3) -> the number of its feature in basemap_geojson(network):
    a map's layers that draw countries refer to the basemap's outlines by it instead of sending them again."""
    if basemap_path() is None:
        return {}
    out: dict[str, int] = {}
    for i, f in enumerate(_near(network, MARGIN_DEG)):
        for code in sorted(f["codes"]):
            out.setdefault(code, i)
    return out


def country_shapes(network) -> dict[str, dict]:
    """iso3 -> GeoJSON geometry for the network's countries (where the basemap has them)."""
    path = basemap_path()
    if path is None:
        return {}
    wanted = set(network.countries.index)
    out = {}
    for f in _basemap_features(str(path)):
        for code in f["codes"] & wanted:
            if code not in out:
                out[code] = {"type": f["type"], "coordinates": f["coordinates"]}
    return out
