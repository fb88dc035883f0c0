"""Molecules: standardisation, featurizers and scaffolds on RDKit.

RDKit loads on first use. Importing this package registers what the molecule domain
adds to core (core never imports a domain): the ``chemprop`` model family in the zoo
(:mod:`pharmakon.chem.chemprop_model`; torch loads only when such a model is built),
and SMILES featurization and scaffold grouping in the model service
(:func:`pharmakon.core.service.register_structures`).
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


def _register_structures() -> None:
    from pharmakon.core.service import register_structures

    register_structures(featurizer=make_featurizer, scaffolds=murcko_scaffolds)


_register_structures()
