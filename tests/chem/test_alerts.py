from __future__ import annotations

import math

import pytest

from pharmakon.chem.alerts import ALERT_COLUMNS, compute_alerts


def test_known_pains_and_brenk_hits():
    # 5-benzylidene rhodanine: the textbook PAINS (ene_rhod) and a Brenk Michael acceptor/thiocarbonyl.
    rhodanine = "O=C1NC(=S)SC1=Cc1ccccc1"
    frame = compute_alerts([rhodanine, "CCO"])
    assert list(frame.columns) == list(ALERT_COLUMNS)
    assert frame.loc[0, "pains_count"] >= 1 and "ene_rhod" in frame.loc[0, "pains_alerts"]
    assert frame.loc[0, "brenk_count"] >= 1
    assert frame.loc[1, "pains_count"] == 0 and frame.loc[1, "brenk_count"] == 0


def test_lipinski_veber_against_hand_counts():
    from rdkit import Chem
    from rdkit.Chem import QED

    aspirin = "CC(=O)Oc1ccccc1C(=O)O"
    row = compute_alerts([aspirin]).iloc[0]
    assert row["mw"] == pytest.approx(180.159, abs=0.01)
    assert row["hbd"] == 1 and row["hba"] == 4  # one OH; four oxygens
    assert row["tpsa"] == pytest.approx(63.6, abs=0.1)
    assert row["lipinski_violations"] == 0 and row["veber_violations"] == 0
    assert row["qed"] == pytest.approx(QED.qed(Chem.MolFromSmiles(aspirin)))
    # cyclosporin A: MW ~1202, many donors/acceptors, TPSA > 140 -> violates both rule sets
    cyclosporin = (
        "CC[C@H]1C(=O)N(CC(=O)N([C@H](C(=O)N[C@H](C(=O)N([C@H](C(=O)N[C@H](C(=O)N[C@@H](C(=O)N([C@H]"
        "(C(=O)N([C@H](C(=O)N([C@H](C(=O)N([C@H](C(=O)N1)[C@@H]([C@H](C)C/C=C/C)O)C)C(C)C)C)CC(C)C)C)CC(C)C)"
        "C)C)C)CC(C)C)C)C(C)C)CC(C)C)C)C"
    )
    big = compute_alerts([cyclosporin]).iloc[0]
    assert big["mw"] > 1100 and big["lipinski_violations"] >= 2 and big["veber_violations"] >= 1


def test_invalid_rows_are_missing_not_errors():
    frame = compute_alerts([None, "CCO"])
    assert frame["pains_count"].isna()[0] and math.isnan(frame.loc[0, "qed"])
    assert frame.loc[1, "qed"] > 0
