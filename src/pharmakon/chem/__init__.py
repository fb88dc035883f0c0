"""Molecules: standardisation, featurizers and scaffolds on RDKit.

Importing this package is cheap; RDKit loads on first use.
"""

from pharmakon.chem.featurizers import (
    DESCRIPTOR_NAMES,
    FEATURIZER_VERSION,
    FEATURIZERS,
    NotFittedError,
    SmilesFeaturizer,
    make_featurizer,
)
from pharmakon.chem.scaffolds import murcko_scaffold, murcko_scaffolds
from pharmakon.chem.standardize import (
    StandardizedBatch,
    canonical_smiles,
    rdkit_quiet,
    standardize_smiles,
    to_mol,
)

__all__ = [
    "DESCRIPTOR_NAMES",
    "FEATURIZER_VERSION",
    "FEATURIZERS",
    "NotFittedError",
    "SmilesFeaturizer",
    "make_featurizer",
    "murcko_scaffold",
    "murcko_scaffolds",
    "StandardizedBatch",
    "canonical_smiles",
    "rdkit_quiet",
    "standardize_smiles",
    "to_mol",
]
