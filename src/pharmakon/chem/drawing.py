"""Pictures and words for explanations: a molecule drawn with the atoms that drove a prediction.

:func:`attribution_svg` draws a molecule with RDKit's ``MolDraw2DSVG``, each atom tinted by
the SHAP values of the Morgan bits it takes part in (orange raises the prediction, blue
lowers it; stronger tint, larger share). :func:`feature_words` says what a feature name
(``morgan:123``, ``rdkit2d:SMR_VSA3``) means in words, from RDKit's own descriptor
definitions where it has them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["atom_weights", "attribution_svg", "feature_words"]

#: Tints (RGB in 0..1) for atoms that raise / lower the prediction; the page's bars use the same.
RAISES = (0.761, 0.255, 0.047)  # #c2410c
LOWERS = (0.122, 0.373, 0.749)  # #1f5fbf
#: Largest molecule drawn (heavy atoms); larger ones would be an unreadable picture.
MAX_DRAWN_ATOMS = 200


def atom_weights(smiles: str, bits: Mapping[int, float], *, radius: int, n_bits: int) -> dict[int, float]:
    """Per atom index, the summed SHAP value of the Morgan bits whose environments hold it.

    Each occurrence of a bit spreads its value evenly over the atoms of its environment
    (centre atom and neighbours up to the bit's radius), so an atom's weight is its share
    of the prediction's push. ``radius`` and ``n_bits`` must be the fingerprint's the model
    used. Returns an empty dict for a SMILES RDKit cannot read.
    """
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator

    mol = Chem.MolFromSmiles(smiles)
    if mol is None or not bits:
        return {}
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    info = rdFingerprintGenerator.AdditionalOutput()
    info.AllocateBitInfoMap()
    gen.GetCountFingerprintAsNumPy(mol, additionalOutput=info)
    weights: dict[int, float] = {}
    for bit, shap in bits.items():
        places = info.GetBitInfoMap().get(int(bit), ())
        for centre, rad in places:
            atoms = {centre}
            for bond in Chem.FindAtomEnvironmentOfRadiusN(mol, rad, centre) if rad else ():
                b = mol.GetBondWithIdx(bond)
                atoms |= {b.GetBeginAtomIdx(), b.GetEndAtomIdx()}
            share = shap / (len(atoms) * len(places))
            for atom in atoms:
                weights[atom] = weights.get(atom, 0.0) + share
    return weights


def _tint(weight: float, scale: float) -> tuple[float, float, float]:
    """The raise/lower colour faded towards white by |weight| / scale (at least a visible tint)."""
    base = RAISES if weight > 0 else LOWERS
    strength = 0.25 + 0.75 * min(abs(weight) / scale, 1.0)
    return tuple(1.0 - strength * (1.0 - c) for c in base)  # type: ignore[return-value]


def attribution_svg(smiles: str, weights: Mapping[int, float], *, width: int = 420, height: int = 320) -> str:
    """An SVG drawing of ``smiles`` with atoms tinted by ``weights`` (see :func:`atom_weights`).

    Atoms with weight 0 (or absent) are not highlighted; bonds between two highlighted
    atoms pushing the same way take their colour. Returns "" for a SMILES RDKit cannot
    read or a molecule over :data:`MAX_DRAWN_ATOMS` heavy atoms.
    """
    from rdkit import Chem
    from rdkit.Chem.Draw import rdMolDraw2D

    mol = Chem.MolFromSmiles(smiles)
    if mol is None or mol.GetNumHeavyAtoms() > MAX_DRAWN_ATOMS:
        return ""
    shown = {a: w for a, w in weights.items() if w != 0 and a < mol.GetNumAtoms()}
    scale = max((abs(w) for w in shown.values()), default=1.0) or 1.0
    atom_colours = {a: _tint(w, scale) for a, w in shown.items()}
    bond_colours = {}
    for bond in mol.GetBonds():
        a, b = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        if a in shown and b in shown and (shown[a] > 0) == (shown[b] > 0):
            bond_colours[bond.GetIdx()] = _tint((shown[a] + shown[b]) / 2, scale)
    drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
    drawer.drawOptions().clearBackground = False
    rdMolDraw2D.PrepareAndDrawMolecule(
        drawer,
        mol,
        highlightAtoms=list(atom_colours),
        highlightAtomColors=atom_colours,
        highlightBonds=list(bond_colours),
        highlightBondColors=bond_colours,
    )
    drawer.FinishDrawing()
    svg = drawer.GetDrawingText()
    return svg[svg.find("<svg") :]  # without the XML declaration: the SVG goes inline into a page


# -- words -----------------------------------------------------------------------------------

_NAMED = {
    "MolWt": "molecular weight (Da)",
    "HeavyAtomMolWt": "molecular weight of the heavy atoms (Da)",
    "ExactMolWt": "exact (monoisotopic) mass (Da)",
    "MolLogP": "lipophilicity: Crippen cLogP",
    "MolMR": "molar refractivity (Crippen)",
    "TPSA": "topological polar surface area (Å²)",
    "LabuteASA": "approximate surface area (Labute, Å²)",
    "qed": "drug-likeness (QED, 0 to 1)",
    "SPS": "spatial score (3D complexity)",
    "NumHDonors": "hydrogen-bond donors",
    "NumHAcceptors": "hydrogen-bond acceptors",
    "NHOHCount": "NH and OH groups",
    "NOCount": "nitrogen and oxygen atoms",
    "NumRotatableBonds": "rotatable bonds",
    "NumHeteroatoms": "heteroatoms (not C or H)",
    "NumValenceElectrons": "valence electrons",
    "NumRadicalElectrons": "radical electrons",
    "HeavyAtomCount": "heavy (non-hydrogen) atoms",
    "RingCount": "rings",
    "FractionCSP3": "fraction of carbons that are sp3",
    "BalabanJ": "Balaban's J (topological shape index)",
    "BertzCT": "Bertz molecular complexity",
    "HallKierAlpha": "Hall–Kier alpha (size/shape correction)",
    "Ipc": "information content of the graph (Ipc)",
    "AvgIpc": "average information content of the graph",
    "Phi": "Kier flexibility index Φ",
    "MaxPartialCharge": "largest Gasteiger partial charge",
    "MinPartialCharge": "smallest Gasteiger partial charge",
    "MaxAbsPartialCharge": "largest absolute Gasteiger partial charge",
    "MinAbsPartialCharge": "smallest absolute Gasteiger partial charge",
    "MaxEStateIndex": "largest E-state index (electronic state of an atom)",
    "MinEStateIndex": "smallest E-state index",
    "MaxAbsEStateIndex": "largest absolute E-state index",
    "MinAbsEStateIndex": "smallest absolute E-state index",
}
#: ``<prefix><bin>`` surface-area descriptors: what the atoms are binned by, and RDKit's bin edges.
_VSA = {
    "SlogP_VSA": ("Crippen logP contribution", "logpBins", "rdkit.Chem.MolSurf"),
    "SMR_VSA": ("molar-refractivity contribution", "mrBins", "rdkit.Chem.MolSurf"),
    "PEOE_VSA": ("Gasteiger partial charge", "chgBins", "rdkit.Chem.MolSurf"),
    "EState_VSA": ("E-state index", "estateBins", "rdkit.Chem.EState.EState_VSA"),
}
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _bin_range(module: str, attr: str, index: int) -> str:
    """RDKit's bin ``index`` (1-based) as a range: bin 1 is below the first edge, the last above the last."""
    from importlib import import_module

    edges = list(getattr(import_module(module), attr))
    if index <= 1:
        return f"below {edges[0]:g}"
    if index > len(edges):
        return f"{edges[-1]:g} or more"
    return f"from {edges[index - 2]:g} to {edges[index - 1]:g}"


def _descriptor_words(name: str) -> str:
    if name in _NAMED:
        return _NAMED[name]
    if name.startswith("fr_"):
        from rdkit.Chem import Fragments

        doc = (getattr(Fragments, name, None).__doc__ or "").strip() if hasattr(Fragments, name) else ""
        return doc.lower() if doc else f"count of {name[3:].replace('_', ' ')} groups"
    for prefix, (what, attr, module) in _VSA.items():
        if m := re.fullmatch(rf"{prefix}(\d+)", name):
            return f"surface area (Å²) of atoms whose {what} is {_bin_range(module, attr, int(m[1]))}"
    if m := re.fullmatch(r"VSA_EState(\d+)", name):
        return f"sum of E-state indices of atoms whose surface area is {_bin_range('rdkit.Chem.EState.EState_VSA', 'vsaBins', int(m[1]))} Å²"
    if m := re.fullmatch(r"Chi(\d)([nv]?)", name):
        kind = {"": "", "n": ", without hydrogens", "v": ", valence"}[m[2]]
        return f"connectivity index χ{m[1]}{kind} (branching)"
    if m := re.fullmatch(r"Kappa(\d)", name):
        return f"Kier shape index κ{m[1]}"
    if m := re.fullmatch(r"FpDensityMorgan(\d)", name):
        return f"Morgan fingerprint density at radius {m[1]}"
    if m := re.fullmatch(r"BCUT2D_(MW|CHG|LOGP|MR)(HI|LOW|LO)", name):
        prop = {"MW": "atomic mass", "CHG": "partial charge", "LOGP": "logP contribution", "MR": "molar refractivity"}
        return f"{'highest' if m[2] == 'HI' else 'lowest'} BCUT eigenvalue weighted by {prop[m[1]]}"
    if name.startswith("Num"):
        return "number of " + _CAMEL.sub(" ", name[3:]).lower()
    return _CAMEL.sub(" ", name)


def feature_words(feature: str) -> str:
    """What a model feature means, in words.

    ``morgan:N`` is a substructure (Morgan fingerprint bit N); ``rdkit2d:NAME`` an RDKit
    descriptor (e.g. ``rdkit2d:SMR_VSA3`` -> "surface area (Å²) of atoms whose
    molar-refractivity contribution is from 1.82 to 2.24"); ``maccs:N`` a MACCS key.
    Other names are returned as they are.
    """
    kind, _, name = feature.partition(":")
    if kind == "morgan" and name.isdigit():
        return f"a substructure (Morgan fingerprint bit {name})"
    if kind == "maccs" and name.isdigit():
        return f"MACCS structural key {name}"
    if kind == "rdkit2d" and name:
        return _descriptor_words(name)
    return feature
