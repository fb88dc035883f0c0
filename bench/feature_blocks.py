"""Which SMILES feature blocks generalise to new scaffolds, with the models held fixed.

Each Biogen ADME training split (Fang et al. 2023; the authors' test splits are sealed) is
divided 80/20 by Bemis-Murcko scaffold (pharmakon's balanced ``scaffold_split``) for each
``--seeds`` value. For each feature set, the zoo's SVM (RBF) and LightGBM are fitted at
their default settings behind ``model train``'s numeric preprocessing
(``pharmakon.core.zoo.numeric_preprocessor``) and scored on the held-out 20% by Pearson r,
alone and averaged (the two families ``model train`` ensembles on these endpoints). No budget and no
tuning: the numbers are the same on a busy machine, and they isolate the features.

A feature set is a ``model train --featurizer`` spec (``morgan+rdkit2d+erg+pharmabench``); ``+avalon``
appends RDKit's Avalon count fingerprint (1,024 counts) and ``+fcfp`` feature-Morgan counts
(FCFP4: Morgan radius 2 over pharmacophoric atom invariants, 1,024 counts), which the
featurizer does not offer, to test them.

Run: ``python bench/feature_blocks.py [--sets morgan+rdkit2d+erg,morgan+rdkit2d+erg+pharmabench]
[--seeds 0,1,2] [--endpoints HLM,Sol]``; results in ``bench/results/feature_blocks.json``.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import pandas as pd

import _common

MIRROR = _common.REPO_ROOT.parent / "shared" / "data"
BIOGEN_DIR = MIRROR / "biogen_adme_fang2023" / "splits"
ENDPOINTS = ("HLM", "MDR1_ER", "Sol", "RLM", "hPPB", "rPPB")
FAMILIES = ("svm", "lightgbm")
AVALON_BITS = 1024
FCFP_BITS = 1024
#: Trial blocks computed here, not by the featurizer.
EXTRA_BLOCKS = ("avalon", "fcfp")


def _clipped_counts(smiles: list[str], bits: int, counts_of) -> np.ndarray:
    """Shape (n, bits): ``counts_of(mol)`` per molecule, clipped at 255 like Morgan's; invalid rows NaN."""
    from rdkit import Chem

    out = np.full((len(smiles), bits), np.nan)
    for i, smi in enumerate(smiles):
        mol = Chem.MolFromSmiles(smi)
        if mol is not None:
            out[i] = np.minimum(counts_of(mol), 255)
    return out


def avalon_counts(smiles: list[str]) -> np.ndarray:
    """Avalon count fingerprints, shape (n, AVALON_BITS), counts clipped at 255 like Morgan's."""
    from rdkit.Avalon import pyAvalonTools

    def counts_of(mol) -> np.ndarray:
        dense = np.zeros(AVALON_BITS)
        for bit, count in pyAvalonTools.GetAvalonCountFP(mol, nBits=AVALON_BITS).GetNonzeroElements().items():
            dense[bit] = count
        return dense

    return _clipped_counts(smiles, AVALON_BITS, counts_of)


def fcfp_counts(smiles: list[str]) -> np.ndarray:
    """Feature-Morgan (FCFP4) count fingerprints, shape (n, FCFP_BITS), counts clipped at 255."""
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(
        radius=2, fpSize=FCFP_BITS, atomInvariantsGenerator=rdFingerprintGenerator.GetMorganFeatureAtomInvGen()
    )
    return _clipped_counts(smiles, FCFP_BITS, generator.GetCountFingerprintAsNumPy)


def features(spec: str, smiles: list[str]) -> np.ndarray:
    """The design matrix of one feature set, shape (n, columns)."""
    from pharmakon.chem import make_featurizer

    kinds = spec.split("+")
    blocks = [make_featurizer("+".join(k for k in kinds if k not in EXTRA_BLOCKS)).fit(smiles).transform(smiles)]
    if "avalon" in kinds:
        blocks.append(avalon_counts(smiles))
    if "fcfp" in kinds:
        blocks.append(fcfp_counts(smiles))
    return np.hstack(blocks)


def held_out_pearson(X: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> dict[str, float]:
    """Pearson r on ``test`` of each fixed family fitted on ``train``, and of their average."""
    from scipy.stats import pearsonr

    from pharmakon.core.zoo import build_estimator, numeric_preprocessor

    prep = numeric_preprocessor()
    Xtr, Xte = prep.fit_transform(X[train]), prep.transform(X[test])
    preds = {
        f: build_estimator(f, "regression", {}, seed=0, n_jobs=2).fit(Xtr, y[train]).predict(Xte) for f in FAMILIES
    }
    preds["average"] = np.mean([preds[f] for f in FAMILIES], axis=0)
    return {name: round(float(pearsonr(p, y[test])[0]), 4) for name, p in preds.items()}


def main() -> None:
    from pharmakon.chem.scaffolds import murcko_scaffolds
    from pharmakon.core.splits import scaffold_split

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="morgan+rdkit2d+erg,morgan+rdkit2d+erg+pharmabench")
    parser.add_argument("--seeds", default="0,1,2", help="scaffold-split seeds")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    args = parser.parse_args()
    os.environ.setdefault("PHARMAKON_DATA_MIRROR", str(MIRROR))
    sets, seeds = args.sets.split(","), [int(s) for s in args.seeds.split(",")]
    results = []
    for endpoint in args.endpoints.split(","):
        frame = pd.read_csv(BIOGEN_DIR / f"ADME_{endpoint}_train.csv")
        smiles, y = frame["smiles"].tolist(), frame["activity"].to_numpy(float)
        matrices = {spec: features(spec, smiles) for spec in sets}
        scaffolds = murcko_scaffolds(smiles)
        for seed in seeds:
            train, test = scaffold_split(scaffolds, test_size=0.2, seed=seed)
            for spec in sets:
                row = {"endpoint": endpoint, "seed": seed, "features": spec}
                row.update(held_out_pearson(matrices[spec], y, np.asarray(train), np.asarray(test)))
                results.append(row)
                print(row, flush=True)
    table = pd.DataFrame(results).groupby(["endpoint", "features"], sort=False)[[*FAMILIES, "average"]].mean()
    _common.print_table(
        f"Biogen ADME, scaffold 80/20, seeds {args.seeds}: mean hold-out Pearson r, fixed SVM and LightGBM",
        ["endpoint", "features", *FAMILIES, "average"],
        [[e, f, *(f"{v:.4f}" for v in vals)] for (e, f), vals in table.iterrows()],
        numeric=[*FAMILIES, "average"],
    )
    _common.write_result(
        "feature_blocks", {"machine": _common.machine_info(), "settings": vars(args), "results": results}
    )


if __name__ == "__main__":
    main()
