"""Molecule size limits (issue 13, probe finding 1) and unreadable SDF records in file predictions.

A SMILES longer than ``PHARMAKON_MAX_SMILES_LENGTH`` or a molecule with more heavy atoms than
``PHARMAKON_MAX_HEAVY_ATOMS`` is an invalid row with a reason, wherever molecules enter:
standardisation, featurizers (training and prediction), ``admet predict`` files.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pharmakon.chem import standardize_smiles, to_mol
from pharmakon.chem.featurizers import make_featurizer
from pharmakon.chem.standardize import MAX_FRAGMENTS, molecule_limits
from pharmakon.config import get_settings
from pharmakon.store import Store
from tests.conftest import MIRROR


@pytest.fixture
def limits(monkeypatch):
    """Set the limits through the environment, settings reloaded around the test."""

    def set_limits(**values: int) -> None:
        for key, value in values.items():
            monkeypatch.setenv(f"PHARMAKON_{key.upper()}", str(value))
        get_settings.cache_clear()

    yield set_limits
    get_settings.cache_clear()


def test_defaults_are_stated() -> None:
    get_settings.cache_clear()
    assert (molecule_limits().max_length, molecule_limits().max_heavy_atoms) == (2000, 300)


def test_too_long_and_too_large_are_invalid_rows_with_a_reason() -> None:
    get_settings.cache_clear()
    inputs = [
        "C" * 5000,
        "C" * 301,
        "C" * 300,
        "C" * 400 + ".[Na+].[Cl-]",
        ".".join(["C"] * (MAX_FRAGMENTS + 1)),
        "CCO",
    ]
    t = standardize_smiles(inputs).table
    assert t["status"].tolist() == ["invalid", "invalid", "ok", "invalid", "invalid", "ok"]
    assert t.loc[0, "reason"] == (
        "SMILES too long: 5,000 characters (at most 2,000; setting PHARMAKON_MAX_SMILES_LENGTH)"
    )
    assert t.loc[1, "reason"] == (
        "molecule too large: 301 heavy atoms (at most 300; setting PHARMAKON_MAX_HEAVY_ATOMS)"
    )
    assert t.loc[3, "reason"].startswith("molecule too large: 400 heavy atoms")  # the largest fragment counts
    assert t.loc[4, "reason"] == f"too many fragments: {MAX_FRAGMENTS + 1} (at most {MAX_FRAGMENTS})"
    assert to_mol("C" * 5000) is None and to_mol("C" * 301) is None and to_mol("C" * 300) is not None


def test_limits_are_configurable(limits) -> None:
    limits(max_smiles_length=10, max_heavy_atoms=3)
    t = standardize_smiles(["CCCC", "CCC", "CCCCCCCCCCC", "CCC.[Na+]"]).table
    assert t["status"].tolist() == ["invalid", "ok", "invalid", "ok"]
    assert "4 heavy atoms (at most 3" in t.loc[0, "reason"] and "11 characters (at most 10" in t.loc[2, "reason"]


def test_featurizer_gives_a_nan_row_and_the_reason(limits) -> None:
    limits(max_heavy_atoms=20)
    f = make_featurizer("morgan+rdkit2d", n_bits=64).fit()
    X = f.transform(["CCO", "C" * 21])
    assert np.isfinite(X[0]).all() and np.isnan(X[1]).all()
    assert f.prepare(["C" * 21]).table.loc[0, "reason"].startswith("molecule too large: 21 heavy atoms")


def test_training_drops_too_large_molecules_in_qc(limits) -> None:
    from pharmakon.core.lifecycle import train_model

    limits(max_heavy_atoms=12)
    rng = np.random.default_rng(0)
    smiles = ["C" * k + end for end in ("O", "N", "Cl") for k in range(1, 12)] + ["C" * 30]
    model = train_model(
        pd.DataFrame({"smiles": smiles, "y": rng.normal(size=len(smiles))}),
        "y",
        task="regression",
        smiles_col="smiles",
        featurizer=make_featurizer("rdkit2d"),
        models=["ridge"],
        trials=0,
        n_splits=3,
        seed=0,
    )
    (dropped,) = model.qc["invalid_structures"]
    assert dropped["row"] == len(smiles) and dropped["reason"].startswith("molecule too large: 30 heavy atoms")


@pytest.mark.skipif(not MIRROR.exists(), reason="needs the data mirror")
def test_cli_file_with_a_huge_molecule_and_an_unreadable_sdf_record(cli, store: Store, tmp_path) -> None:
    from rdkit import Chem

    from tests.api.test_admet_api import register_tiny

    register_tiny(store)
    smi = tmp_path / "mols.smi"
    smi.write_text(f"CCO ethanol\n{'C' * 10_000} wax\nc1ccccc1O phenol\n")
    out = tmp_path / "panel.csv"
    r = cli("admet", "predict", str(smi), "-o", str(out), "--backend", "serial", "--json")
    assert r.exit_code == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["rows"] == 3 and result["invalid"] == 1
    (bad,) = result["invalid_rows"]
    assert bad["row"] == 2 and bad["status"].startswith("invalid: SMILES too long: 10,000 characters")

    mol = Chem.MolFromSmiles("CCO")
    mol.SetProp("_Name", "ethanol")
    sdf = tmp_path / "mols.sdf"
    sdf.write_text(Chem.MolToMolBlock(mol) + "$$$$\ngarbage\nM  END\n$$$$\n")
    r = cli("admet", "predict", str(sdf), "-o", str(out), "--backend", "serial", "--json")
    assert r.exit_code == 0, r.stderr
    (bad,) = json.loads(r.stdout, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))["invalid_rows"]
    assert bad == {"row": 2, "input": None, "status": "invalid: RDKit could not read this SDF record"}
    r = cli("admet", "predict", str(sdf), "-o", str(out), "--backend", "serial")
    assert r.exit_code == 0 and "nan" not in r.stderr.lower()
