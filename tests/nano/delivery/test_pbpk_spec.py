"""Bad PBPK specs are refused with the file and the field named; the CLI exits non-zero, writes nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from pharmakon.errors import InputError
from pharmakon.nano.delivery.pbpk_spec import builtin_spec_names, load_spec, parse_spec

BASE = {
    "dose": {"amount": 1.0, "into": "plasma"},
    "compartments": [
        {"name": "plasma", "volume": 0.001},
        {"name": "liver", "volume": 0.0013, "blood_flow": 0.0048, "partition": 0.08},
        {"name": "spleen", "volume": 0.0001, "blood_flow": 0.001, "partition": 0.15},
    ],
}


def _with(path: list, value) -> dict:
    data = copy.deepcopy(BASE)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (_with(["compartments", 2, "returns_to"], "livr"), "compartments[spleen].returns_to", "did you mean 'liver'"),
        (_with(["compartments", 1, "volume"], -0.1), "compartments[liver].volume", "volume must be > 0"),
        (_with(["compartments", 1, "blood_flow"], -1.0), "compartments[liver].blood_flow", "blood_flow must be > 0"),
        (_with(["compartments", 1, "partition"], 0), "compartments[liver].partition", "partition must be > 0"),
        (_with(["dose", "into"], "blod"), "dose.into", "unknown compartment 'blod'"),
        (_with(["compartments", 1, "volumee"], 1.0), "compartments[liver].volumee", "did you mean 'volume'"),
        (_with(["dosee"], {}), "dosee", "did you mean 'dose'"),
        (_with(["population"], {"n": 5, "cv": {"liver.partiton": 0.2}}), "population.cv.liver.partiton", "partition"),
        (_with(["population"], {"n": 5, "cv": {"livr.partition": 0.2}}), "population.cv.livr.partition", "'liver'"),
        (_with(["compartments", 1, "phagocytic"], {"max_rate": 1, "half_time": -2}), "half_time", "greater than 0"),
    ],
)
def test_bad_spec_names_file_and_field(tmp_path: Path, data: dict, field: str, words: str) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as info:
        load_spec(path)
    assert info.value.file == str(path)
    assert field in (info.value.field or "")
    assert words in str(info.value)


def test_unreadable_yaml_and_unknown_builtin(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("dose: [unclosed\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_spec(bad)
    with pytest.raises(InputError, match="nanoparticle-mouse"):
        load_spec("no-such-model")


def test_builtin_spec_is_valid_and_cites_its_sources() -> None:
    assert builtin_spec_names() == ["nanoparticle-mouse"]
    spec, label = load_spec("nanoparticle-mouse")
    assert label == "nanoparticle-mouse"
    assert {"plasma", "lung", "liver", "spleen", "kidney", "tumor", "rest", "brain"} <= set(spec.names)
    assert any("Nanotoxicology 2016" in r for r in spec.references)
    assert any("Nano-AI-PBPK-G2" in r for r in spec.references)
    liver = next(c for c in spec.compartments if c.name == "liver")
    assert liver.permeability_limited and liver.phagocytic.capacity == 100 and liver.bile > 0


def test_cli_rejects_a_bad_spec_and_writes_nothing(cli, tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(_with(["compartments", 1, "partition"], 0)))
    out = tmp_path / "traj.parquet"
    res = cli("nano", "pbpk", "--spec", str(path), "--json", "-o", str(out))
    assert res.exit_code == 2
    assert str(path) in res.stderr and "compartments[liver].partition" in res.stderr
    assert not out.exists()


def test_cli_solver_failure_names_subject_and_time_and_writes_nothing(cli, tmp_path: Path) -> None:
    data = _with(["solver"], {"max_evaluations": 5})
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "traj.parquet"
    res = cli("nano", "pbpk", "--spec", str(path), "--json", "-o", str(out))
    assert res.exit_code not in (0, None)
    assert "subject 1" in res.stderr and "t = " in res.stderr
    assert not out.exists()


def test_cli_list_specs(cli) -> None:
    res = cli("nano", "pbpk", "--list-specs", "--json")
    assert res.exit_code == 0, res.stderr
    assert [s["name"] for s in json.loads(res.stdout)] == ["nanoparticle-mouse"]


def test_parse_refuses_a_non_mapping() -> None:
    with pytest.raises(InputError, match="mapping"):
        parse_spec([1, 2])
