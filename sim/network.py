"""Load and check a route network folder (places, legs, countries); see docs/geodata.md."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from shapely.geometry import shape

from .errors import InputError
from .files import clip, read_text_capped
from .geocheck import check_swapped, is_country_code

PLACE_KINDS = ("origin", "hub", "departure", "landing", "destination")
MODES = ("land", "sea", "air")
COUNTRY_FIELDS = ("enforcement", "corruption", "digital_capacity", "financial_capacity", "training", "pushback",
                  "pushback_counted")
# columns a countries.csv may leave out, with the value they then take
OPTIONAL_COUNTRY_FIELDS = {"pushback": 0.0, "pushback_counted": 1.0}
END_TOLERANCE_KM = 25.0
MAX_LEG_DAYS = 365  # no single leg takes a year; keeps the model's 16-bit day counters far from wrapping
MAX_GEOJSON_BYTES = 100_000_000
_ID = re.compile(r"^[A-Za-z0-9_\-]+$")
_WGS84_NAMES = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "EPSG:4326", "epsg:4326"}
_GEOD = Geod(ellps="WGS84")


def entering(counts_from, counts_to):
    """Per leg: it enters a country that counts detections from one that does not. A crossing of such a leg
    is a detection at the bloc's external border; the model counts its people there (sim/model/world.py) and
    the fits can reach a figure only through such legs (RouteNetwork.entry_corridors)."""
    return counts_to & ~counts_from


@dataclass(frozen=True)
class RouteNetwork:
    """A route network: places and directed legs as tables, and the country defaults."""

    folder: Path
    places: pd.DataFrame  # one row per place, positional index = place number
    legs: pd.DataFrame  # one row per leg, positional index = leg number
    countries: pd.DataFrame  # indexed by iso3
    name: str = field(default="")

    @cached_property
    def place_index(self) -> dict[str, int]:
        return {pid: i for i, pid in enumerate(self.places["id"])}

    @cached_property
    def place_kind(self) -> dict[str, str]:
        """Each place's kind by id (checking a scenario against the network asks it for every run of a
        sweep; a pandas index built each time cost about 0.3 ms)."""
        return dict(zip(self.places["id"], self.places["kind"]))

    @cached_property
    def leg_index(self) -> dict[str, int]:
        return {lid: i for i, lid in enumerate(self.legs["id"])}

    @cached_property
    def corridors(self) -> list[str]:
        return sorted(self.legs["corridor"].unique())

    @cached_property
    def origins(self) -> list[str]:
        return list(self.places.loc[self.places["kind"] == "origin", "id"])

    def graph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_nodes_from(self.places["id"])
        g.add_edges_from(zip(self.legs["from"], self.legs["to"]))
        return g

    def entry_corridors(self) -> dict[str, set[str]]:
        """Nationality -> the corridors of the legs into a country that counts detections (from one that does
        not) that its origins can reach: where the model can count its people at all. A figure observed
        elsewhere cannot be fitted, and a fit that counts it pushes its people onto the routes they can reach."""
        counts = self.countries["counts_detections"].astype(bool)
        country = dict(zip(self.places["id"], self.places["iso3"]))
        def counts_at(ends):
            return ends.map(country).map(counts).fillna(False).to_numpy(bool)

        entries = self.legs[entering(counts_at(self.legs["from"]), counts_at(self.legs["to"]))]
        g = self.graph()
        out: dict[str, set[str]] = {}
        for origin, nationality in self.places.loc[self.places["kind"] == "origin", ["id", "nationality"]].itertuples(
                index=False):
            reached = nx.descendants(g, origin) | {origin}
            out.setdefault(nationality, set()).update(entries.loc[entries["from"].isin(reached), "corridor"])
        return out


def _no_duplicate_keys(path: Path):
    def hook(pairs):
        out = {}
        for key, value in pairs:
            if key in out:
                raise InputError(path, None, f"key {clip(key)!r} given twice in one object")
            out[key] = value
        return out

    return hook


def _read_geojson(path: Path) -> list[dict]:
    text = read_text_capped(path, MAX_GEOJSON_BYTES)
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys(path))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(path, None, f"not valid GeoJSON ({clip(exc)})") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InputError(path, None, "not a GeoJSON FeatureCollection")
    crs = data.get("crs")
    if crs is None:
        raise InputError(path, "crs", "missing: say the file is in WGS 84 (EPSG:4326), see docs/geodata.md")
    props = crs.get("properties") if isinstance(crs, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    if not isinstance(name, str) or name not in _WGS84_NAMES:
        raise InputError(path, "crs", f"unexpected CRS {clip(repr(name))}: reproject to WGS 84 (EPSG:4326)")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise InputError(path, "features", "no features")
    for n, feat in enumerate(features, start=1):
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise InputError(path, f"feature {n}", "not a GeoJSON Feature object")
        if not isinstance(feat.get("properties") or {}, dict):
            raise InputError(path, f"feature {n}", "field 'properties' must be an object of fields")
        if not isinstance(feat.get("geometry") or {}, dict):
            raise InputError(path, f"feature {n}", "field 'geometry' must be a GeoJSON geometry object")
    return features


def _prop(path, label, props, key, kind, *, optional=False):
    value = props.get(key)
    if value is None or value == "":
        if optional:
            return None
        raise InputError(path, label, f"field '{key}' is missing")
    ok = {
        "text": isinstance(value, str),
        "bool": isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value),
    }[kind]
    if not ok:
        raise InputError(path, label, f"field '{key}' must be a {kind}, got {clip(repr(value))}")
    return value


def _geometry(path, label, feat, expected):
    geom = feat.get("geometry")
    if not geom:
        raise InputError(path, label, "geometry is empty")
    try:
        g = shape(geom)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        detail = " ".join(str(exc).split()).removeprefix("IllegalArgumentException: ")
        raise InputError(path, label, f"invalid geometry ({detail})") from None
    if g.geom_type != expected:
        raise InputError(path, label, f"geometry must be a {expected}, got {g.geom_type}")
    if g.is_empty or not g.is_valid or (expected == "LineString" and g.length == 0):
        raise InputError(path, label, "invalid or empty geometry")
    lon, lat = np.asarray(g.coords).T[:2]
    if np.any(np.abs(lon) > 180) or np.any(np.abs(lat) > 90):
        raise InputError(path, label, "coordinates out of range: are they longitude/latitude in degrees?")
    return g


def _feature_id(path, n: int, props: dict, what: str, seen: set) -> tuple[str, str]:
    """A feature's id, checked and unique, and the label that names the feature in messages."""
    fid = props.get("id")
    label = f"{what} {clip(repr(fid))} (feature {n})" if fid else f"feature {n}"
    fid = _prop(path, label, props, "id", "text")
    if not _ID.match(fid):
        raise InputError(path, label, "field 'id' may only hold letters, digits, '_' and '-'")
    if fid in seen:
        raise InputError(path, label, f"duplicate {what} id {fid!r}")
    seen.add(fid)
    return fid, label


def _load_places(path: Path) -> pd.DataFrame:
    rows, seen = [], set()
    for n, feat in enumerate(_read_geojson(path), start=1):
        props = feat.get("properties") or {}
        pid, label = _feature_id(path, n, props, "place", seen)
        kind = _prop(path, label, props, "kind", "text")
        if kind not in PLACE_KINDS:
            raise InputError(path, label, f"field 'kind' must be one of {', '.join(PLACE_KINDS)}, got {clip(repr(kind))}")
        g = _geometry(path, label, feat, "Point")
        iso3 = _prop(path, label, props, "iso3", "text").upper()
        # the people an origin starts are of its country, or of `nationality` where they live abroad
        # (Syrians in Turkey): their detections, preferences, perception and visas are their nationality's
        nationality = _prop(path, label, props, "nationality", "text", optional=True)
        if nationality is not None and kind != "origin":
            raise InputError(path, label, "field 'nationality' is for origins only (the people who start there)")
        rows.append({
            "id": pid,
            "name": _prop(path, label, props, "name", "text"),
            "kind": kind,
            "iso3": iso3,
            "nationality": nationality.upper() if nationality else iso3,
            "lon": g.x,
            "lat": g.y,
        })
    return pd.DataFrame(rows)


def _load_legs(path: Path, places: pd.DataFrame) -> pd.DataFrame:
    index = {pid: i for i, pid in enumerate(places["id"])}
    kinds = list(places["kind"])
    rows, seen = [], set()
    for n, feat in enumerate(_read_geojson(path), start=1):
        props = feat.get("properties") or {}
        lid, label = _feature_id(path, n, props, "leg", seen)
        ends = {}
        for key in ("from", "to"):
            pid = _prop(path, label, props, key, "text")
            if pid not in index:
                raise InputError(path, label, f"field '{key}': unknown place id {clip(repr(pid))}")
            ends[key] = index[pid]
        if kinds[ends["from"]] == "destination":
            raise InputError(path, label, f"field 'from': place {props['from']!r} is a destination, where journeys "
                                          "end: no leg may leave it (make it a hub if people travel on)")
        if ends["from"] == ends["to"]:
            raise InputError(path, label, "'from' and 'to' are the same place")
        mode = _prop(path, label, props, "mode", "text")
        if mode not in MODES:
            raise InputError(path, label, f"field 'mode' must be one of {', '.join(MODES)}, got {clip(repr(mode))}")
        days = _prop(path, label, props, "days", "number")
        fee = _prop(path, label, props, "fee_eur", "number")
        risk = _prop(path, label, props, "death_risk", "number")
        if not 0 < days <= MAX_LEG_DAYS:
            raise InputError(path, label, f"field 'days' must be > 0 and at most {MAX_LEG_DAYS}, got {days:g}")
        if fee < 0:
            raise InputError(path, label, f"field 'fee_eur' must be >= 0, got {fee}")
        if not 0 <= risk < 1:
            raise InputError(path, label, f"field 'death_risk' must be in [0, 1), got {risk}")
        controlled = _prop(path, label, props, "controlled", "bool")
        control = _prop(path, label, props, "control_iso3", "text", optional=True)
        if controlled and not control:
            raise InputError(path, label, "field 'control_iso3' is required when 'controlled' is true")
        g = _geometry(path, label, feat, "LineString")
        coords = np.asarray(g.coords)[:, :2]
        for key, point in (("from", coords[0]), ("to", coords[-1])):
            place = places.iloc[ends[key]]
            _, _, dist = _GEOD.inv(point[0], point[1], place["lon"], place["lat"])
            if dist / 1000 > END_TOLERANCE_KM:
                raise InputError(
                    path, label,
                    f"the line's {'first' if key == 'from' else 'last'} point is {dist / 1000:.0f} km from "
                    f"place {place['id']!r} (more than {END_TOLERANCE_KM:.0f} km)",
                )
        rows.append({
            "id": lid,
            "from": places.iloc[ends["from"]]["id"],
            "to": places.iloc[ends["to"]]["id"],
            "src": ends["from"],
            "dst": ends["to"],
            "mode": mode,
            "corridor": _prop(path, label, props, "corridor", "text"),
            "days": float(days),
            "fee_eur": float(fee),
            "death_risk": float(risk),
            "controlled": controlled,
            "control_iso3": control.upper() if control else "",
            "smuggled": _prop(path, label, props, "smuggled", "bool"),
            "commercial": _prop(path, label, props, "commercial", "bool"),
            "length_km": _GEOD.geometry_length(g) / 1000,
            "geometry": g,
        })
    return pd.DataFrame(rows)


def _load_countries(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InputError(path, None, "file not found")
    text = read_text_capped(path, MAX_GEOJSON_BYTES)
    with io.StringIO(text, newline="") as fh:
        reader = csv.DictReader(fh)
        doubled = sorted({c for c in reader.fieldnames or [] if (reader.fieldnames or []).count(c) > 1})
        if doubled:
            raise InputError(path, None, f"column(s) given twice: {', '.join(map(clip, doubled))}")
        needed = ("iso3", "name", *(f for f in COUNTRY_FIELDS if f not in OPTIONAL_COUNTRY_FIELDS),
                  "counts_detections")
        missing = [c for c in needed if c not in (reader.fieldnames or [])]
        if missing:
            hint = " (is it separated by ';'? use commas)" if ";" in ",".join(reader.fieldnames or []) else ""
            raise InputError(path, None, f"missing column(s): {', '.join(missing)}{hint}")
        rows, seen = [], set()
        for n, row in enumerate(reader, start=2):
            iso3 = (row["iso3"] or "").strip().upper()
            label = f"line {n} ({iso3 or 'no iso3'})"
            if not re.fullmatch(r"[A-Z]{3}", iso3):
                raise InputError(path, label, f"column 'iso3' must be a 3-letter code, got {clip(repr(row['iso3']))}")
            if not is_country_code(iso3):
                raise InputError(path, label, f"column 'iso3': {iso3} is not an ISO 3166 alpha-3 code (list: "
                                              "geodata/iso3166_alpha3.csv; XKX is accepted for Kosovo)")
            if iso3 in seen:
                raise InputError(path, label, f"duplicate country {iso3}")
            seen.add(iso3)
            out = {"iso3": iso3, "name": row["name"]}
            for col in COUNTRY_FIELDS:
                if col in OPTIONAL_COUNTRY_FIELDS and not (row.get(col) or "").strip():
                    out[col] = OPTIONAL_COUNTRY_FIELDS[col]
                    continue
                try:
                    value = float(row[col])
                except (TypeError, ValueError):
                    raise InputError(path, label, f"column '{col}' must be a number, got {clip(repr(row[col]))}") from None
                if not 0 <= value <= 1:  # also refuses nan
                    raise InputError(path, label, f"column '{col}' must be between 0 and 1, got {value}")
                out[col] = value
            if row["counts_detections"] not in ("0", "1"):
                raise InputError(path, label, "column 'counts_detections' must be 0 or 1")
            out["counts_detections"] = row["counts_detections"] == "1"
            rows.append(out)
    if not rows:
        raise InputError(path, None, "no countries")
    return pd.DataFrame(rows).set_index("iso3")


def _check_countries(folder: Path, places, legs, countries) -> None:
    for n, row in enumerate(places.itertuples(), start=1):
        if row.iso3 not in countries.index:
            raise InputError(folder / "places.geojson", f"place {row.id!r} (feature {n})",
                             f"country {row.iso3} is not in countries.csv")
        if row.nationality not in countries.index:
            raise InputError(folder / "places.geojson", f"place {row.id!r} (feature {n})",
                             f"field 'nationality': country {row.nationality} is not in countries.csv")
    for n, row in enumerate(legs.itertuples(), start=1):
        if row.control_iso3 and row.control_iso3 not in countries.index:
            raise InputError(folder / "legs.geojson", f"leg {row.id!r} (feature {n})",
                             f"field 'control_iso3': country {row.control_iso3} is not in countries.csv")


def _check_reachability(folder: Path, network: RouteNetwork) -> None:
    g = network.graph()
    places = network.places
    origins = list(places.loc[places["kind"] == "origin", "id"])
    destinations = set(places.loc[places["kind"] == "destination", "id"])
    where = folder / "places.geojson"
    if not origins:
        raise InputError(where, None, "no place of kind 'origin'")
    if not destinations:
        raise InputError(where, None, "no place of kind 'destination'")
    reached = set()
    for o in origins:
        below = nx.descendants(g, o) | {o}
        if not below & destinations:
            raise InputError(where, f"place {o!r}", "this origin cannot reach any destination along the legs")
        reached |= below
    for n, pid in enumerate(places["id"], start=1):
        if pid not in reached:
            raise InputError(where, f"place {pid!r} (feature {n})", "no origin can reach this place along the legs")


def load_network(folder: str | Path) -> RouteNetwork:
    """Read a network folder, check it, and return it. Raises InputError naming file and feature."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, None, "network folder not found")
    places = _load_places(folder / "places.geojson")
    check_swapped(folder / "places.geojson", places)
    legs = _load_legs(folder / "legs.geojson", places)
    countries = _load_countries(folder / "countries.csv")
    _check_countries(folder, places, legs, countries)
    network = RouteNetwork(folder=folder, places=places, legs=legs, countries=countries, name=folder.name)
    _check_reachability(folder, network)
    return network


# the most a port's depth inside the basemap's land adds to its buffer: on the 1:110m basemap Necoclí lies
# 24 km inside the filled-in Gulf of Urabá, Acandí 17 km (Turbo 62 km, whose leg ends at Acandí)
INLAND_CAP_KM = 30.0
SEA_END_BUFFER_KM = 20.0  # what `sim check` ignores around each end of a sea leg (the basemap's coast is that coarse)


def land_crossing_km(network: RouteNetwork, land: shapely.Geometry, end_buffer_km: float = 15.0,
                     inland_cap_km: float = INLAND_CAP_KM) -> pd.Series:
    """Length (km, roughly) of each sea leg drawn over land, ignoring a buffer around both ends.

    A port the coarse basemap puts inland (a gulf or an estuary it does not resolve, such as Urabá's) gets
    its depth inside the land added to its buffer, up to `inland_cap_km`: the boat leaves from the real
    coast, which the basemap has filled in. The cap keeps a sea leg between two inland places (a typo for
    a land leg) a warning."""
    out = {}
    coast = land.boundary
    for row in network.legs[network.legs["mode"] == "sea"].itertuples():
        coords = np.asarray(row.geometry.coords)
        ends = []
        for xy in (coords[0], coords[-1]):
            point = shapely.Point(xy)
            inland_km = coast.distance(point) * 111.0 if land.contains(point) else 0.0
            ends.append(point.buffer((end_buffer_km + min(inland_km, inland_cap_km)) / 111.0))
        over = row.geometry.difference(shapely.union_all(ends)).intersection(land)
        out[row.id] = over.length * 111.0
    return pd.Series(out, dtype=float)


def leg_cycles(network: RouteNetwork, limit: int = 3) -> list[list[str]]:
    """Up to `limit` cycles of places the legs go round (each a list of place ids, the first not repeated).
    People choose their next leg place by place, so on a cycle of cheap legs some go round and round: a road
    back from Thessaloniki to Athens made 45,000 trips a year in the 2023 baseline (geodata/europe/SOURCES.md)."""
    import itertools

    return [list(c) for c in itertools.islice(nx.simple_cycles(network.graph()), limit)]


BASEMAP = Path(__file__).resolve().parents[1] / "geodata" / "countries_110m.geojson"


def sea_legs_over_land(network: RouteNetwork, end_buffer_km: float = SEA_END_BUFFER_KM, tolerance_km: float = 1.0) -> dict[str, float]:
    """Sea legs crossing more than `tolerance_km` of land on the shipped basemap (empty if it is missing)."""
    if not BASEMAP.exists():
        return {}
    import geopandas as gpd

    world = gpd.read_file(BASEMAP)
    land = shapely.make_valid(shapely.union_all(world.geometry.values))
    over = land_crossing_km(network, land, end_buffer_km)
    return over[over > tolerance_km].round(1).to_dict()
