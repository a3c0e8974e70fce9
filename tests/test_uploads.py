"""Uploads may read only the app's folders, and what the app shows never names a server path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

pytest.importorskip("streamlit")

from sim.errors import InputError  # noqa: E402
from ui import paths  # noqa: E402
from ui.scenario_files import read_upload  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMAND = [{"origin": "niamey", "per_year": 20000, "budget_eur": 3500}]
SERVER_PATH = re.compile(r"(^|[\s'\"(])/\w")  # an absolute path in a message


def _refused(name: str, data: dict) -> str:
    with pytest.raises(InputError) as info:
        read_upload(name, yaml.safe_dump(data).encode())
    message = str(info.value)
    assert message.startswith(name + ":"), message
    assert str(ROOT) not in message and "/etc" not in message and "passwd" not in message, message
    assert not SERVER_PATH.search(message), message
    return message


@pytest.mark.parametrize("key, value", [
    ("network", "/etc/passwd"), ("network", str(ROOT / "geodata" / "europe")), ("network", "~/secret"),
    ("network", "../../../etc"), ("network", "../geodata/../../etc"),
    ("base", "/etc/passwd"), ("base", str(ROOT / "scenarios" / "baseline.yaml")),
    ("base", "../../etc/passwd"), ("base", "../../../../../../etc/passwd"),
])
def test_absolute_and_escaping_paths_are_refused(key, value):
    data = {"name": "X", "demand": DEMAND, key: value}
    if key == "base":
        data["network"] = "../geodata/europe"
    message = _refused("mine.yaml", data)
    assert f"mine.yaml: {key}:" in message and "not allowed in an uploaded scenario" in message


def test_refused_before_anything_is_read(monkeypatch):
    """The server must not even open the file: the network loader is never called."""
    def loader(path):
        raise AssertionError(f"opened {path}")
    with pytest.raises(InputError, match="not allowed"):
        read_upload("x.yaml", yaml.safe_dump({"name": "X", "network": "/etc", "demand": DEMAND}).encode(),
                    network_loader=loader)


def test_shipped_networks_and_scenarios_are_allowed():
    data, scenario, network = read_upload("mine.yaml", yaml.safe_dump({"base": "baseline.yaml", "days": 5}).encode())
    assert scenario.days == 5 and network.name == "europe"
    # the form the app's own download writes (relative to scenarios/, through ..) stays inside: accepted
    _, scenario, network = read_upload("mine.yaml", yaml.safe_dump(
        {"name": "X", "network": "../geodata/europe", "demand": [{"origin": network.origins[0], "per_year": 10}]}
    ).encode())
    assert network.name == "europe"


def test_a_missing_base_is_named_without_server_paths():
    message = _refused("child.yaml", {"base": "no_such.yaml"})
    assert "no_such.yaml" in message


def test_a_configured_data_folder_is_allowed(tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_APP_DATA", str(tmp_path))
    (tmp_path / "mine_base.yaml").write_text(yaml.safe_dump(
        {"name": "B", "network": str(ROOT / "tests" / "fixtures" / "tiny"), "demand": DEMAND}))
    _, scenario, _ = read_upload("up.yaml", yaml.safe_dump({"base": "mine_base.yaml", "days": 7}).encode())
    assert scenario.name == "B" and scenario.days == 7
    # a broken file there is reported by its place in the data folder, not by its server path
    (tmp_path / "broken.yaml").write_text("name: [x\n")
    message = _refused("up.yaml", {"base": "broken.yaml"})
    assert "broken.yaml" in message and str(tmp_path) not in message


def test_public_takes_server_paths_out_of_messages(tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_APP_RESULTS", str(tmp_path / "res"))
    text = (f"{ROOT}/scenarios/a.yaml: field x: /etc/passwd not found; {tmp_path}/res/sweep1/manifest.json "
            f"missing; {tmp_path}/other/file.parquet")
    shown = paths.public(text)
    assert shown == "scenarios/a.yaml: field x: passwd not found; results/sweep1/manifest.json missing; file.parquet"
