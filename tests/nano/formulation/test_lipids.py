"""Lipid-structure descriptors (chem/lipids.py) on known ionizable lipids."""

from __future__ import annotations

import numpy as np

from pharmakon.chem.lipids import LIPID_COLUMNS, lipid_descriptors

SM102 = "CCCCCCCCC(CCCCCCCC)OC(=O)CCCCCCCN(CCO)CCCCCC(=O)OCCCCCCCCCCC"
MC3 = "CCCCC/C=C\\C/C=C\\CCCCCCCCC(CCCCCCCC/C=C\\C/C=C\\CCCCC)OC(=O)CCCN(C)C"


def test_known_lipids() -> None:
    d = lipid_descriptors([SM102, MC3, "bad((", None])
    assert list(d.columns) == [*LIPID_COLUMNS, "status"]
    sm, mc = d.iloc[0], d.iloc[1]
    # SM-102: one tertiary amine (ionizable), two esters, three tails (two on the branched alcohol, one undecyl)
    assert (sm.lipid_amines_tertiary, sm.lipid_esters, sm.lipid_tails, sm.lipid_cc_double) == (1, 2, 3, 0)
    # MC3: dimethylamino head, one ester, two linoleyl tails with two C=C each
    assert (mc.lipid_ionizable_centres, mc.lipid_esters, mc.lipid_tails, mc.lipid_cc_double) == (1, 1, 2, 4)
    assert mc.lipid_tail_carbons_max == 18
    assert d["status"].tolist() == ["ok", "ok", "unparsable SMILES", "missing SMILES"]
    assert np.isnan(d.iloc[2]["lipid_tails"])


def test_amides_are_not_ionizable() -> None:
    d = lipid_descriptors(["CCCCCCCCCCCC(=O)N(C)C", "CCCCCCCCCCCCN(C)C"])
    assert d["lipid_ionizable_centres"].tolist() == [0, 1] and d["lipid_amides"].tolist() == [1, 0]
