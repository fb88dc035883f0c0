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


def test_descriptor_table_is_nan_free_with_units_and_known_values() -> None:
    from pharmakon.chem.lipids import LIPID_TABLE_COLUMNS, LIPID_TABLE_UNITS, lipid_descriptor_table

    t = lipid_descriptor_table([SM102, MC3, "bad((", None, "CCO", MC3])
    assert list(t.columns) == list(LIPID_TABLE_COLUMNS) and set(LIPID_TABLE_UNITS) == set(LIPID_TABLE_COLUMNS)
    assert len(t) == 6 and not t.isna().any().any()
    sm, mc = t.iloc[0], t.iloc[1]
    # tails stop before the carbon that bonds the ester oxygen: 8, 8 (branched alcohol) and 10 (undecyl)
    assert (sm.lipid_tails, sm.lipid_tail_carbons_min, sm.lipid_tail_carbons_max) == (3, 8, 10)
    assert (sm.lipid_hydroxyls, sm.lipid_esters, sm.lipid_ionizable_centres, sm.lipid_tail_cc_double) == (1, 2, 1, 0)
    # MC3: two linoleyl tails (18 C) with two C=C each, one ionizable dimethylamine
    assert (mc.lipid_tails, mc.lipid_unsaturated_tails, mc.lipid_tail_cc_double) == (2, 2, 4)
    assert (mc.lipid_tail_carbons_total, mc.lipid_ionizable_centres, mc.lipid_centres_per_tail) == (36, 1, 0.5)
    assert (t.iloc[2] == 0).all() and (t.iloc[3] == 0).all()  # unparsable, missing: zeros, lipid_parsed 0
    assert t.iloc[4].lipid_parsed == 1 and t.iloc[4].lipid_is_lipid == 0 and t.iloc[4].lipid_tails == 0
    assert t.iloc[5].equals(t.iloc[1])  # the same SMILES, the same row (computed once)
    assert abs(mc.lipid_mol_weight - 642.1) < 0.2  # Dlin-MC3-DMA, C43H79NO2
