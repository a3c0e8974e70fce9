"""Field paths into a scenario mapping: `countries.LBY.corruption`, `interventions[0].intensity`,
`demand[2].per_year`, `corridors.Central Mediterranean.risk_factor`, `corridors["A.B"].fee_factor`,
`interventions[kind=operational_cooperation].intensity` (every item whose field has that value).

A path is checked twice: against the Scenario schema (is there such a field, what type does it hold)
and against the base scenario's mapping (does list item 3 exist, does a selector match something).
"""

from __future__ import annotations

import copy
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

# one step: .key | [123] | [field=value] | ["quoted key"] | ['quoted key']
_STEP = re.compile(r"""
    \.?(?P<key>[^.\[\]]+)
  | \[\s*(?P<index>-?\d+)\s*\]
  | \[\s*(?P<field>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>[^\]]*?)\s*\]
  | \[\s*(?P<q>["'])(?P<qkey>.*?)(?P=q)\s*\]
""", re.VERBOSE)


@dataclass(frozen=True)
class Step:
    kind: str  # "key", "index" or "select"
    key: str | int
    value: str | None = None  # for "select": the value the field must have

    def __str__(self) -> str:
        if self.kind == "index":
            return f"[{self.key}]"
        if self.kind == "select":
            return f"[{self.key}={self.value}]"
        return str(self.key)


class PathError(ValueError):
    """A path that does not parse, or does not lead anywhere in the schema or the data."""


def parse_path(text: str) -> tuple[Step, ...]:
    if not isinstance(text, str) or not text.strip():
        raise PathError("empty path")
    text = text.strip()
    steps, pos = [], 0
    while pos < len(text):
        m = _STEP.match(text, pos)
        if not m or m.end() == pos or (m.group("key") is not None and pos > 0 and text[pos] != "."):
            raise PathError(f"cannot read the path {text!r} at character {pos + 1}")
        if m.group("key") is not None:
            key = m.group("key").strip()
            if not key:
                raise PathError(f"empty name in the path {text!r}")
            steps.append(Step("key", key))
        elif m.group("index") is not None:
            index = int(m.group("index"))
            if index < 0:
                raise PathError(f"negative list index in {text!r}")
            steps.append(Step("index", index))
        elif m.group("field") is not None:
            steps.append(Step("select", m.group("field"), m.group("value").strip().strip("\"'")))
        else:
            steps.append(Step("key", m.group("qkey")))
        pos = m.end()
    if steps[0].kind != "key":
        raise PathError(f"the path {text!r} must start with a field name")
    return tuple(steps)


def format_path(steps) -> str:
    out = ""
    for s in steps:
        if s.kind == "key":
            key = str(s.key)
            out += (f'["{key}"]' if "." in key else ("." if out else "") + key)
        else:
            out += str(s)
    return out


# ----------------------------------------------------------------------------- schema walking
def _unwrap(tp):
    """Strip Annotated and Optional; keep the rest."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def _describe(tp) -> str:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return "a mapping of fields"
    origin = typing.get_origin(tp)
    if origin is list:
        return "a list"
    if origin is dict:
        return "a mapping"
    if origin is typing.Literal:
        return "one of " + ", ".join(map(str, typing.get_args(tp)))
    if tp is float:
        return "a number"
    if tp is int:
        return "a whole number"
    if tp is str:
        return "a text"
    if tp is bool:
        return "true or false"
    return str(tp)


def leaf_type(model: type[BaseModel], steps) -> Any:
    """The type the path leads to in a pydantic model; PathError if the schema has no such field."""
    tp: Any = model
    done = []
    for step in steps:
        tp = _unwrap(tp)
        where = format_path(done) or "the top level"
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if step.kind != "key":
                raise PathError(f"{where} is a mapping of fields, not a list: use .name, not {step}")
            fields = tp.model_fields
            if step.key not in fields or fields[step.key].exclude:
                known = ", ".join(k for k, f in fields.items() if not f.exclude)
                raise PathError(f"unknown field {step.key!r} in {where} (known: {known})")
            tp = fields[step.key].annotation
            # keep Annotated constraints out of the way: the annotation without metadata
        elif origin is list:
            if step.kind == "key":
                raise PathError(f"{where} is a list: use an index like [0] or a selector like [kind=...]")
            item = _unwrap(typing.get_args(tp)[0])
            if step.kind == "select":
                if not (isinstance(item, type) and issubclass(item, BaseModel)) or step.key not in item.model_fields:
                    raise PathError(f"items of {where} have no field {step.key!r}")
            tp = item
        elif origin is dict:
            if step.kind != "key":
                raise PathError(f"{where} is a mapping: use .name, not {step}")
            tp = typing.get_args(tp)[1]
        else:
            raise PathError(f"{where} is {_describe(tp)} and has no parts")
        done.append(step)
    return tp


def check_value(tp, value) -> str | None:
    """None if `value` has the right shape for a field of type `tp`; else what was expected.

    Only the type is checked here; bounds (0..1, > 0) are the scenario schema's and are checked per run."""
    tp = _unwrap(tp)
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return None if value in typing.get_args(tp) else f"expected {_describe(tp)}, got {value!r}"
    if origin in (typing.Union, types.UnionType):
        return None if any(check_value(a, value) is None for a in typing.get_args(tp)) else \
            f"expected {' or '.join(_describe(a) for a in typing.get_args(tp) if a is not type(None))}, got {value!r}"
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif tp is int:
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())
    elif tp is bool:
        ok = isinstance(value, bool)
    elif tp is str:
        ok = isinstance(value, str)
    elif origin is list:
        ok = isinstance(value, list)
    elif origin is dict or (isinstance(tp, type) and issubclass(tp, BaseModel)):
        ok = isinstance(value, dict)
    else:
        ok = True
    return None if ok else f"expected {_describe(tp)}, got {value!r}"


def field_default(model: type[BaseModel], steps):
    """The schema's default of the field a path leads to (None if it has none)."""
    from pydantic_core import PydanticUndefined

    tp: Any = model
    info = None
    for step in steps:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = tp.model_fields[step.key]
            tp = info.annotation
        elif origin is list:
            tp, info = typing.get_args(tp)[0], None
        elif origin is dict:
            tp, info = typing.get_args(tp)[1], None
    if info is None or info.default is PydanticUndefined:
        return None
    return info.default


def is_numeric(tp) -> bool:
    tp = _unwrap(tp)
    return tp in (int, float)


def is_integer(tp) -> bool:
    return _unwrap(tp) is int


# ----------------------------------------------------------------------------- data
def _matches(item, step: Step) -> bool:
    if not isinstance(item, dict) or step.key not in item:
        return False
    v = item[step.key]
    return str(v) == step.value or (isinstance(v, (int, float)) and not isinstance(v, bool) and _num(step.value) == v)


def _num(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _targets(node, steps, done):
    """The (container, key) pairs a path ends at in a mapping; creates missing mappings on the way."""
    if not steps:
        raise PathError("empty path")
    step, rest = steps[0], steps[1:]
    here = format_path(done) or "the top level"
    if step.kind == "key":
        if not isinstance(node, dict):
            raise PathError(f"{here} is not a mapping in the scenario")
        if not rest:
            return [(node, step.key)]
        if node.get(step.key) is None:
            node[step.key] = {}
        return _targets(node[step.key], rest, done + [step])
    if not isinstance(node, list):
        raise PathError(f"{here} is not a list in the scenario")
    if step.kind == "index":
        if step.key >= len(node):
            n = len(node)
            raise PathError(f"{format_path(done + [step])}: the scenario has only {n} item{'s' if n != 1 else ''} "
                            f"in {here}")
        indices = [step.key]
    else:
        indices = [i for i, item in enumerate(node) if _matches(item, step)]
        if not indices:
            raise PathError(f"{format_path(done + [step])}: no item of {here} has {step.key} = {step.value}")
    if not rest:
        return [(node, i) for i in indices]
    out = []
    for i in indices:
        out += _targets(node[i], rest, done + [Step("index", i)])
    return out


def set_path(data: dict, steps, value, combine=None) -> None:
    """Set the field(s) a path leads to in a scenario mapping (in place).

    combine(old, value) -> new, if given, computes each field's new value from its current one."""
    for container, key in _targets(data, tuple(steps), []):
        if combine is None:
            container[key] = copy.deepcopy(value)
        else:
            old = container.get(key) if isinstance(container, dict) else container[key]
            container[key] = combine(old, value)


def get_path(data: dict, steps):
    """The current value(s) at a path (a list: a selector may match several items); missing keys give None."""
    out = []
    for container, key in _targets(copy.deepcopy(data), tuple(steps), []):
        out.append(container.get(key) if isinstance(container, dict) else container[key])
    return out
