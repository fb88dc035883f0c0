"""Small data sets the core tests make themselves (not for benchmarking)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

GROUPS = {"": 0.0, "O": -0.8, "N": -0.6, "Cl": 0.5, "C(=O)O": -1.0, "c1ccccc1": 1.5, "OC": -0.4}


def molecule_table(n_max: int = 14, seed: int = 0) -> pd.DataFrame:
    """Alkyl chains with one end group: ``smiles``, ``y`` (additive 'logP-like' value + noise), ``cls``."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in range(1, n_max + 1):
        for group, effect in GROUPS.items():
            smi = "C" * n + group
            y = 0.5 * n + effect + rng.normal(0, 0.2)
            rows.append((smi, y))
    df = pd.DataFrame(rows, columns=["smiles", "y"])
    df["cls"] = np.where(df["y"] > df["y"].median(), "high", "low")
    return df


def tabular_table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """A patient-like table: age, sex, site, dose (numeric/categorical) -> response and a binary outcome."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(20, 80, n)
    sex = rng.choice(["F", "M"], n)
    site = rng.choice(["A", "B", "C"], n, p=[0.6, 0.3, 0.1])
    dose = rng.uniform(0, 10, n)
    response = 0.05 * age + 0.8 * dose + (sex == "F") * 1.0 + rng.normal(0, 1.0, n)
    return pd.DataFrame(
        {
            "patient_id": [f"P{i:04d}" for i in range(n)],
            "age": age,
            "sex": sex,
            "site": site,
            "dose": dose,
            "response": response,
            "outcome": (response > np.median(response)).astype(int),
        }
    )


@pytest.fixture(scope="session")
def molecules() -> pd.DataFrame:
    return molecule_table()


@pytest.fixture(scope="session")
def patients() -> pd.DataFrame:
    return tabular_table()


@pytest.fixture(scope="session")
def small_featurizer():
    from pharmakon.chem import SmilesFeaturizer

    return SmilesFeaturizer(kinds=("morgan", "rdkit2d"), n_bits=256)


@pytest.fixture(scope="session")
def mol_model(molecules, small_featurizer):
    """A regression model on the molecule table, trained once for the session."""
    from pharmakon.core import train_model

    return train_model(
        molecules.drop(columns=["cls"]),
        "y",
        smiles_col="smiles",
        featurizer=small_featurizer,
        trials=0,  # fixed work: the same model on any machine
        models=["ridge", "lightgbm", "rf"],
        task="regression",
        seed=0,
        n_splits=3,
    )


@pytest.fixture(scope="session")
def cls_model(patients):
    """A classification model on the patient-like table (no SMILES)."""
    from pharmakon.core import train_model

    return train_model(
        patients.drop(columns=["response"]),
        "outcome",
        id_cols=["patient_id"],
        trials=0,
        models=["logistic", "lightgbm"],
        seed=0,
        n_splits=3,
    )
