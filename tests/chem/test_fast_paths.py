"""The fast routes of standardisation, descriptors and alerts give what RDKit's plain routes give.

Each check runs over real mirror molecules (salts, charges, metals and PAINS-rich
screening compounds included) and compares molecule by molecule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import MIRROR

pytestmark = pytest.mark.skipif(not MIRROR.exists(), reason="needs the data mirror")


@pytest.fixture(scope="module")
def smiles() -> list[str]:
    parts = [
        pd.read_csv(MIRROR / "moleculenet" / "hiv.csv")["smiles"].iloc[::200],  # screening library
        pd.read_csv(MIRROR / "moleculenet" / "clintox.csv")["smiles"].iloc[::8],  # drugs, salts, charges
        pd.read_csv(MIRROR / "moleculenet" / "freesolv.csv")["smiles"].iloc[::10],
    ]
    return pd.concat(parts).dropna().tolist()


def test_standardisation_shortcut_changes_nothing(smiles):
    from rdkit import Chem
    from rdkit.Chem.MolStandardize import rdMolStandardize

    from pharmakon.chem.standardize import molecule_limits, rdkit_quiet, to_mol

    limit = molecule_limits().max_heavy_atoms

    def full_route(text: str) -> str | None:
        mol = Chem.MolFromSmiles(text)
        if mol is None:
            return None
        try:
            mol = rdMolStandardize.LargestFragmentChooser(preferOrganic=True).choose(mol)
            if mol.GetNumHeavyAtoms() > limit:  # too large (a peptide of the HIV screen): refused
                return None
            mol = rdMolStandardize.Uncharger().uncharge(mol)
            Chem.SanitizeMol(mol)
        except Exception:  # noqa: BLE001
            return None
        return Chem.MolToSmiles(mol)

    with rdkit_quiet():
        fast = [(lambda m: None if m is None else Chem.MolToSmiles(m))(to_mol(s)) for s in smiles]
        full = [full_route(s) for s in smiles]
    assert fast == full
    assert sum("." in s for s in smiles) > 5 and sum("+" in s for s in smiles) > 5  # the slow route was exercised


def test_batched_descriptors_equal_rdkit_descriptors(smiles):
    from rdkit import Chem

    from pharmakon.chem.featurizers import DESCRIPTOR_NAMES, _descriptor_functions, _descriptors, _safe

    functions = _descriptor_functions()
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        if mol is None:
            continue
        got = _descriptors().values(Chem.Mol(mol))
        want = np.array([_safe(fn, Chem.Mol(mol)) for fn in functions])
        same = (got == want) | (np.isnan(got) & np.isnan(want))
        assert same.all(), (s, [DESCRIPTOR_NAMES[i] for i in np.flatnonzero(~same)])


def test_screened_alerts_equal_filter_catalog_and_qed(smiles):
    from rdkit import Chem
    from rdkit.Chem import QED

    from pharmakon.chem.alerts import alert_catalog, alerts_for_mols

    mols = [m for m in map(Chem.MolFromSmiles, smiles) if m is not None]
    frame = alerts_for_mols(mols)
    for k, mol in enumerate(mols):
        for family in ("pains", "brenk"):
            names = sorted({e.GetDescription() for e in alert_catalog(family).GetMatches(mol)})
            assert frame.loc[k, f"{family}_alerts"] == ";".join(names), (Chem.MolToSmiles(mol), family)
        try:
            want = QED.qed(mol)
        except Exception:  # noqa: BLE001
            want = float("nan")
        assert frame.loc[k, "qed"] == pytest.approx(want, nan_ok=True, rel=0, abs=0)
    assert frame["pains_count"].gt(0).sum() >= 3 and frame["brenk_count"].gt(0).sum() >= 20  # hits were exercised


def test_screen_fingerprints_of_the_standardised_molecule_equal_the_reparsed_ones(smiles):
    """The screening profile parses once: Morgan counts of the standardised molecule are what training
    computes from its canonical SMILES parsed again (``SmilesFeaturizer.transform``)."""
    from pharmakon.chem.featurizers import make_featurizer
    from pharmakon.chem.screen import morgan_counts
    from pharmakon.chem.standardize import standardize_mols, standardize_smiles

    batch, mols = standardize_mols(smiles)
    assert batch.table.equals(standardize_smiles(smiles).table)
    ok = batch.ok.to_numpy()
    assert [m is not None for m in mols] == ok.tolist() and ok.sum() > 400
    featurizer = make_featurizer("morgan").fit()
    want = featurizer.transform(smiles)[ok]
    got = morgan_counts([m for m in mols if m is not None], radius=2, n_bits=2048).toarray()
    assert np.array_equal(got, want)
