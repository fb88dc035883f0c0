"""Molecules: standardisation, featurizers and scaffolds on RDKit.

Importing this package is cheap; RDKit loads on first use. It registers the
``chemprop`` model family (:mod:`pharmakon.chem.chemprop_model`; torch loads only when
such a model is built) into core's zoo: core never imports a domain.
"""

from pharmakon.chem import chemprop_model  # noqa: F401 - registers the chemprop family in core's zoo
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
