"""Explanation drawings and feature words (pharmakon.chem.drawing), checked against RDKit itself."""

from __future__ import annotations

import pytest
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

from pharmakon.chem.drawing import atom_weights, attribution_svg, feature_words

PHENETOLE = "CCOc1ccccc1"


def _bit_info(smiles: str, radius: int = 2, n_bits: int = 2048) -> dict[int, tuple]:
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    info = rdFingerprintGenerator.AdditionalOutput()
    info.AllocateBitInfoMap()
    gen.GetCountFingerprintAsNumPy(Chem.MolFromSmiles(smiles), additionalOutput=info)
    return dict(info.GetBitInfoMap())


def test_weights_follow_the_bits_environments() -> None:
    info = _bit_info(PHENETOLE)
    # a radius-0 bit set once: all its value on its one atom
    bit0, [(atom, _)] = next((b, p) for b, p in info.items() if len(p) == 1 and p[0][1] == 0)
    assert atom_weights(PHENETOLE, {bit0: 0.6}, radius=2, n_bits=2048) == pytest.approx({atom: 0.6})
    # a radius-1 bit: its value spread over the centre and its neighbours, summing to the SHAP value
    bit1, [(centre, _)] = next((b, p) for b, p in info.items() if len(p) == 1 and p[0][1] == 1)
    weights = atom_weights(PHENETOLE, {bit1: -0.9}, radius=2, n_bits=2048)
    neighbours = {n.GetIdx() for n in Chem.MolFromSmiles(PHENETOLE).GetAtomWithIdx(centre).GetNeighbors()}
    assert set(weights) == {centre} | neighbours and sum(weights.values()) == pytest.approx(-0.9)
    unset = next(b for b in range(2048) if b not in info)
    assert atom_weights(PHENETOLE, {unset: 1.0}, radius=2, n_bits=2048) == {}  # a bit this molecule does not set
    assert atom_weights("not a smiles", {bit0: 1.0}, radius=2, n_bits=2048) == {}


def test_drawing_highlights_the_weighted_atoms() -> None:
    plain = attribution_svg(PHENETOLE, {})
    tinted = attribution_svg(PHENETOLE, {0: 0.5, 1: 0.4, 3: -0.2})
    assert plain.startswith("<svg") and tinted.startswith("<svg") and "<?xml" not in tinted
    assert len(tinted) > len(plain)  # highlight shapes were drawn
    assert "#E" in tinted.upper() or "FILL:#" in tinted.upper()
    assert attribution_svg("not a smiles", {0: 1.0}) == ""


@pytest.mark.parametrize(
    ("feature", "words"),
    [
        ("rdkit2d:SMR_VSA3", "surface area (Å²) of atoms whose molar-refractivity contribution is from 1.82 to 2.24"),
        ("rdkit2d:SlogP_VSA1", "surface area (Å²) of atoms whose Crippen logP contribution is below -0.4"),
        ("rdkit2d:PEOE_VSA14", "surface area (Å²) of atoms whose Gasteiger partial charge is 0.3 or more"),
        ("rdkit2d:TPSA", "topological polar surface area (Å²)"),
        ("rdkit2d:fr_benzene", "number of benzene rings"),  # RDKit's own definition
        ("rdkit2d:NumAromaticRings", "number of aromatic rings"),
        ("rdkit2d:Chi1v", "connectivity index χ1, valence (branching)"),
        ("morgan:17", "a substructure (Morgan fingerprint bit 17)"),
        ("custom_column", "custom_column"),
    ],
)
def test_features_in_words(feature: str, words: str) -> None:
    assert feature_words(feature) == words


def test_every_panel_descriptor_has_words() -> None:
    from pharmakon.chem.featurizers import DESCRIPTOR_NAMES

    for name in DESCRIPTOR_NAMES:
        words = feature_words(f"rdkit2d:{name}")
        assert words and words != name and "_" not in words, name
