"""What a new user reads from the CLI: plain help metavars, clear errors, readable text output.

Assertions are on content (words and numbers), never on layout or terminal width.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer.main

from pharmakon.chem.panel_io import read_molecules
from pharmakon.cli.main import app
from tests.core.conftest import molecule_table

#: Python type names as Typer prints them by default (``<bool>``, ``<list[str]>``, ``<float>``).
PYTHON_TYPE = re.compile(r"<(bool|int|float|str|path|file|dir|list\[|tuple|datetime|NoneType)\b")


def _command_paths() -> list[list[str]]:
    paths: list[list[str]] = []

    def walk(cmd: object, path: list[str]) -> None:
        paths.append(path)
        if not hasattr(cmd, "list_commands"):
            return
        ctx = cmd.make_context(path[-1] if path else "pharmakon", ["--help"], resilient_parsing=True)
        for name in sorted(cmd.list_commands(ctx)):  # through the group's API: groups load lazily
            walk(cmd.get_command(ctx, name), [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def test_help_shows_plain_metavars_on_every_command(cli) -> None:
    paths = _command_paths()
    assert len(paths) > 40  # every group and command, not just the top level
    for path in paths:
        res = cli(*path, "--help")
        assert res.exit_code == 0, (path, res.stderr)
        assert not PYTHON_TYPE.search(res.stdout), (path, PYTHON_TYPE.search(res.stdout))
    means = cli("trial", "samplesize", "means", "--help").stdout
    assert "INTEGER" in means and "NUMBER" in means and "TEXT" in means


def test_simulate_names_a_missing_spec_file(cli, pharmakon_home: Path, tmp_path: Path) -> None:
    for arg in ("missing.yaml", "spec.yml", "run.json", str(tmp_path / "nowhere" / "spec")):
        res = cli("trial", "simulate", arg)
        assert res.exit_code == 2, (arg, res.stderr)
        assert arg in res.stderr and "no such file" in res.stderr and "No such command" not in res.stderr
    res = cli("trial", "simulate", "ratez")  # not a path: a mistyped command stays a usage error
    assert res.exit_code == 2 and "ratez" in res.stderr


def test_samplesize_prints_rounded_up_subjects_and_no_empty_fields(cli) -> None:
    res = cli("trial", "samplesize", "means", "--alternative", "0.5", "--kmax", "3")
    assert res.exit_code == 0, res.stderr
    # 127.768 subjects in total: 64 + 64 whole subjects; looks at 42.59 and 85.18 -> 2 x 22 and 2 x 43
    assert "128" in res.stdout and "127.768" in res.stdout and "64 + 64" in res.stdout
    table = res.stdout.split("stage", 1)[1]
    assert re.search(r"\b1\s+44\b", table) and re.search(r"\b2\s+86\b", table)
    assert "None" not in res.stdout and "extra" not in res.stdout and "{" not in res.stdout

    res = cli("trial", "samplesize", "survival", "--hazard-ratio", "0.7", "--median2", "12", "--kmax", "2")
    assert res.exit_code == 0, res.stderr
    assert "249" in res.stdout and "248.709" in res.stdout  # events rounded up beside the exact value
    assert "None" not in res.stdout and "_" not in res.stdout.split("\n- ")[0]  # no snake_case labels

    exact = json.loads(cli("trial", "samplesize", "means", "--alternative", "0.5", "--kmax", "3", "--json").stdout)
    assert exact["max_number_of_subjects"] == pytest.approx(127.768, abs=1e-3)  # JSON keeps the exact value


def test_simulate_says_each_run_is_stored_as_a_new_version(cli, pharmakon_home: Path) -> None:
    args = ("trial", "simulate", "rates", "--pi1", "0.4", "--sims", "500")
    first, second = cli(*args), cli(*args)
    assert first.exit_code == 0 and second.exit_code == 0, first.stderr + second.stderr
    assert "stored as trial_simulation rates-simulation@1" in first.stdout
    assert "stored as trial_simulation rates-simulation@2" in second.stdout
    assert "{" not in first.stdout and "P(futility stop)" in first.stdout


def test_model_show_prints_readable_text(cli, pharmakon_home: Path, tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    molecule_table(n_max=10).drop(columns=["cls"]).to_csv(data, index=False)
    trained = cli(
        "model",
        "train",
        "--data",
        str(data),
        "--target",
        "y",
        "--smiles-col",
        "smiles",
        "--trials",
        "0",
        "--models",
        "ridge",
        "--name",
        "chains",
    )
    assert trained.exit_code == 0, trained.stderr
    res = cli("model", "show", "chains")
    assert res.exit_code == 0, res.stderr
    assert "chains v1" in res.stdout and "ridge" in res.stdout and "rmse" in res.stdout
    assert "{" not in res.stdout and "'" not in res.stdout  # no dict reprs
    assert "Rows dropped by QC" in res.stdout


def test_molecule_ids_default_to_the_row_number(tmp_path: Path) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text("smiles\nCCO\nc1ccccc1\n")
    assert next(read_molecules(csv))["id"].tolist() == ["1", "2"]
    smi = tmp_path / "in.smi"
    smi.write_text("CCO ethanol\nc1ccccc1\n")
    assert next(read_molecules(smi))["id"].tolist() == ["ethanol", "2"]
    sdf = tmp_path / "in.sdf"
    from rdkit import Chem

    with Chem.SDWriter(str(sdf)) as writer:
        for smiles, title in (("CCO", "ethanol"), ("CC", "")):
            mol = Chem.MolFromSmiles(smiles)
            mol.SetProp("_Name", title)
            writer.write(mol)
    assert next(read_molecules(sdf))["id"].tolist() == ["ethanol", "2"]
