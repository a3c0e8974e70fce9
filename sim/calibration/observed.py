"""The observed figures file (data/observed_*.yaml): its schema, and the numbers to fit resolved from the
data files it sits beside (Frontex detections and origins, IOM dead and missing)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError
from ..files import read_yaml
from ..scenario import validation_problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RouteSpec(_Strict):
    corridors: list[str] = Field(min_length=1)
    deaths: dict[str, str] = {}
    fee_eur: tuple[float, float] | None = None


class InterceptionSpec(_Strict):
    corridor: str
    countries: list[str]
    intercepted: float = Field(gt=0)
    departures: float = Field(gt=0)
    tolerance: float = 0.15


class ArrivalSpec(_Strict):
    arrivals: float = Field(gt=0)
    tolerance: float = 0.3
    source: str


class OnwardSpec(_Strict):
    after: str
    detection: list[str] = Field(min_length=1)


class ObservedSpec(_Strict):
    name: str
    scenario: str
    write_to: str
    enforcement_for_detections: dict[str, list[str]] = {}
    fee_for_detections: list[str] = []
    detections_tolerance: float = 0.15
    deaths_tolerance: float = 0.3
    routes: dict[str, RouteSpec]
    interception: InterceptionSpec | None = None
    destinations: dict[str, ArrivalSpec] = {}
    onward: dict[str, OnwardSpec] = {}


@dataclass
class Observed:
    """Numbers to fit, resolved from the data files."""

    routes: dict[str, list[str]]  # route -> corridors
    detections: dict[str, float]
    by_origin: dict[str, dict[str, float]]  # route -> nationality -> detections (scaled to the route's total)
    deaths: dict[tuple, tuple[float, float, float]]  # routes -> (low, target, high)
    fees: dict[str, tuple[float, float]] = field(default_factory=dict)
    interception: tuple[str, tuple[str, ...], float, float] | None = None  # corridor, countries, share, tolerance
    enforcement_for: dict[str, list[str]] = field(default_factory=dict)  # route -> countries fitted to its detections
    detections_tolerance: float = 0.15
    deaths_tolerance: float = 0.3
    arrivals: dict[str, tuple[float, float]] = field(default_factory=dict)  # destination -> (arrivals, tolerance)
    onward: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # route -> (route before it, countries)
    listed: dict[str, list[str]] = field(default_factory=dict)  # route -> nationalities in the data's top ten
    fee_for: list[str] = field(default_factory=list)  # routes whose fee factor also follows their detections


def load_observed(path: str | Path) -> tuple[ObservedSpec, Observed]:
    path = Path(path)
    if not path.exists():
        raise InputError(path, None, "file not found")
    try:
        raw = read_yaml(path)
        spec = ObservedSpec.model_validate(raw)
    except ValidationError as exc:
        where, msg = validation_problem(exc)
        raise InputError(path, f"field '{where}'", msg) from None
    folder = path.parent
    try:
        det = pd.read_csv(folder / "frontex_detections_2023.csv")
        org = pd.read_csv(folder / "frontex_origins_2023.csv")
        dead = pd.read_csv(folder / "dead_missing_2023.csv")
    except FileNotFoundError as exc:
        raise InputError(exc.filename, None, "data file not found") from None
    detections, by_origin, deaths, listed_on = {}, {}, {}, {}
    for code, _route in spec.routes.items():
        rows = det[det["route_code"] == code]
        if rows.empty:
            raise InputError(path, f"field 'routes.{code}'", f"route code {code} not in frontex_detections_2023.csv")
        detections[code] = float(rows["detections"].sum())
        top = org[(org["route_code"] == code) & (org["nationality_iso3"] != "OOO")]
        # the listed nationalities stand for the whole route, in proportion
        shares = top.groupby("nationality_iso3")["detections"].sum()
        by_origin[code] = (shares / shares.sum() * detections[code]).to_dict()
        listed_on[code] = sorted(shares.index)
    # a nationality listed on some route but not among another route's top ten had fewer detections
    # there than that route's tenth: aim at half of it
    listed = {n for d in by_origin.values() for n in d}
    for _code, cells in by_origin.items():
        floor = 0.5 * min(cells.values())
        for nat in listed - set(cells):
            cells[nat] = floor
    groups: dict[str, list[str]] = {}
    for code, route in spec.routes.items():
        if "iom_group" in route.deaths:
            groups.setdefault(route.deaths["iom_group"], []).append(code)
            continue
        if "iom" not in route.deaths:
            continue
        iom = _count(dead, route.deaths["iom"], path, code)
        if "ngo" in route.deaths:
            ngo = _count(dead, route.deaths["ngo"], path, code)
            deaths[(code,)] = (iom, math.sqrt(iom * ngo), ngo)  # inside the band, at its geometric middle
        else:
            t = spec.deaths_tolerance
            deaths[(code,)] = (iom * (1 - t), iom, iom * (1 + t))
    for group, codes in groups.items():
        n = _count(dead, group, path, codes[0])
        t = spec.deaths_tolerance
        deaths[tuple(codes)] = (n * (1 - t), n, n * (1 + t))
    fees = {code: tuple(r.fee_eur) for code, r in spec.routes.items() if r.fee_eur}
    icp = spec.interception
    interception = (icp.corridor, tuple(icp.countries), icp.intercepted / icp.departures, icp.tolerance) if icp else None
    observed = Observed({c: r.corridors for c, r in spec.routes.items()}, detections, by_origin, deaths, fees,
                      interception, dict(spec.enforcement_for_detections), spec.detections_tolerance,
                      spec.deaths_tolerance,
                      {k: (a.arrivals, a.tolerance) for k, a in spec.destinations.items()},
                      {k: (o.after, list(o.detection)) for k, o in spec.onward.items()}, listed_on,
                      list(spec.fee_for_detections))
    for code in spec.fee_for_detections:
        if code not in spec.routes or not spec.routes[code].fee_eur:
            raise InputError(path, "field 'fee_for_detections'", f"route {code} needs a published fee range in 'routes'")
    for later, o in spec.onward.items():
        for code in (later, o.after):
            if code not in spec.routes:
                raise InputError(path, f"field 'onward.{later}'", f"route {code} is not in 'routes'")
    return spec, observed


def _count(dead: pd.DataFrame, route: str, path, code) -> float:
    rows = dead[dead["route"] == route]
    if rows.empty:
        raise InputError(path, f"field 'routes.{code}.deaths'", f"route {route!r} not in dead_missing_2023.csv")
    return float(rows["dead_and_missing"].sum())
