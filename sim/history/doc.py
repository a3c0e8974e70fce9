"""Generated sections of docs/validation.md, each between its own markers: the replay's (episodes, monthly),
written here, and the 2023 baseline's (validate-data), written by `sim validate-data --markdown`."""

from __future__ import annotations

import re
from pathlib import Path

MARKERS = {"episodes": ("<!-- replay-episodes:start -->", "<!-- replay-episodes:end -->"),
           "monthly": ("<!-- replay-monthly:start -->", "<!-- replay-monthly:end -->"),
           "validate-data": ("<!-- validate-data:start -->", "<!-- validate-data:end -->")}


def write_section(path: Path, which: str, text: str) -> None:
    from ..files import atomic_write

    start, end = MARKERS[which]
    doc = path.read_text() if path.exists() else ""
    if start not in doc:
        doc += f"\n{start}\n{end}\n"
    new = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _m: f"{start}\n{text}\n{end}", doc, flags=re.S)
    atomic_write(path, lambda f: Path(f).write_text(new))


def read_section(path: Path, which: str) -> str | None:
    start, end = MARKERS[which]
    doc = path.read_text() if path.exists() else ""
    m = re.search(re.escape(start) + "(.*?)" + re.escape(end), doc, flags=re.S)
    return m.group(1) if m else None


def fingerprint_in(section: str) -> str | None:
    m = re.search(r"inputs ([0-9a-f]{12})", section or "")
    return m.group(1) if m else None
