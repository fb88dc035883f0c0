from __future__ import annotations

import numpy as np
import pytest

from pharmakon.chem import canonical_smiles, murcko_scaffold, murcko_scaffolds, standardize_smiles, to_mol


def test_standardize_reports_each_invalid_row_and_keeps_order():
    batch = standardize_smiles(["CCO", "not a smiles", None, "", "[Na+].CC(=O)[O-]", "C1CC"])
    t = batch.table
    assert t["row"].tolist() == [1, 2, 3, 4, 5, 6]
    assert t["status"].tolist() == ["ok", "invalid", "invalid", "invalid", "ok", "invalid"]
    assert t.loc[2, "reason"] == "missing SMILES" and t.loc[3, "reason"] == "empty SMILES"
    assert t.loc[4, "canonical"] == "CC(=O)O"  # largest fragment, neutralised
    assert batch.n_invalid == 4
    assert batch.invalid_rows()["row"].tolist() == [2, 3, 4, 6]


def test_canonical_is_input_order_independent():
    assert canonical_smiles("OCC") == canonical_smiles("C(O)C") == "CCO"
    assert canonical_smiles("C[NH3+]") == "CN"
    assert canonical_smiles("C[NH3+]", neutralize=False) == "C[NH3+]"


def test_to_mol_wrong_type_raises():
    with pytest.raises(TypeError, match="SMILES string"):
        to_mol(42)  # type: ignore[arg-type]


def test_tautomer_option():
    # 2-hydroxypyridine and 2-pyridone are one canonical tautomer
    a = canonical_smiles("Oc1ccccn1", tautomer=True)
    b = canonical_smiles("O=c1cccc[nH]1", tautomer=True)
    assert a == b
    assert canonical_smiles("Oc1ccccn1") != canonical_smiles("O=c1cccc[nH]1")


def test_murcko_scaffolds():
    assert murcko_scaffold("CCOc1ccccc1C(=O)N") == "c1ccccc1"
    assert murcko_scaffold("CCCC") == ""
    assert murcko_scaffolds(["c1ccccc1CC", "bad(", np.nan]) == ["c1ccccc1", None, None]
