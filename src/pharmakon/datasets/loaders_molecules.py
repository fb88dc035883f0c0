"""Table definitions of the molecule data sets (MoleculeNet, Biogen ADME, PharmaBench,
TDC reference numbers, Davis/KIBA affinities).

Each ``TABLES[name]`` lists the data set's tables, the first being its default. SMILES
are kept as given (not canonicalised); label columns are ``Int64`` with ``<NA>`` where
not measured.
"""

from __future__ import annotations

from pharmakon.datasets._tables import Table, csv_table

__all__ = ["TABLES", "TOX21_ASSAYS"]

S, F, I = "string", "float64", "Int64"

#: The 12 Tox21 assays (label columns of MoleculeNet's ``tox21`` table).
TOX21_ASSAYS = (
    "NR-AR",
    "NR-AR-LBD",
    "NR-AhR",
    "NR-Aromatase",
    "NR-ER",
    "NR-ER-LBD",
    "NR-PPAR-gamma",
    "SR-ARE",
    "SR-ATAD5",
    "SR-HSE",
    "SR-MMP",
    "SR-p53",
)

_MOLECULENET = [
    csv_table(
        "esol",
        "delaney.csv",
        {"smiles": S, "log_solubility": F},
        rename={"logp": "log_solubility"},
        description="ESOL: measured log10 aqueous solubility (mol/L); the source column is misnamed 'logp'",
    ),
    csv_table(
        "freesolv",
        "freesolv.csv",
        {"smiles": S, "freesolv": F},
        description="FreeSolv: experimental hydration free energy (kcal/mol)",
    ),
    csv_table("lipophilicity", "lipo.csv", {"smiles": S, "lipo": F}, description="AstraZeneca logD at pH 7.4"),
    csv_table(
        "bbbp", "bbbp.csv", {"smiles": S, "p_np": I}, description="blood-brain barrier penetration (1 = penetrating)"
    ),
    csv_table(
        "clintox",
        "clintox.csv",
        {"smiles": S, "FDA_APPROVED": I, "CT_TOX": I},
        description="FDA approval and clinical-trial toxicity failure (binary)",
    ),
    csv_table(
        "tox21",
        "tox21.csv",
        {"smiles": S, **{c: I for c in TOX21_ASSAYS}},
        description="Tox21 2014: 12 binary assay labels, <NA> = not tested",
    ),
    csv_table(
        "hiv", "hiv.csv", {"smiles": S, "HIV_active": I}, description="DTP AIDS antiviral screen, active (CA+CM) = 1"
    ),
    csv_table(
        "bace",
        "bace.csv",
        {"smiles": S, "Class": I},
        rename={"mol": "smiles"},
        description="BACE-1 inhibitor binary label; the source SMILES column is 'mol'",
    ),
]

_BIOGEN_ENDPOINTS = {
    "hlm": ("HLM", "log human liver microsomal CLint (mL/min/kg)"),
    "rlm": ("RLM", "log rat liver microsomal CLint (mL/min/kg)"),
    "mdr1_er": ("MDR1_ER", "log MDR1-MDCK efflux ratio (B-A/A-B)"),
    "solubility": ("Sol", "log solubility at pH 6.8 (ug/mL)"),
    "hppb": ("hPPB", "log human plasma protein binding (% unbound)"),
    "rppb": ("rPPB", "log rat plasma protein binding (% unbound)"),
}
_BIOGEN = [
    csv_table(
        k,
        f"splits/ADME_{code}_train.csv",
        {"smiles": S, "activity": F},
        description=f"authors' 80% training split: {what}",
    )
    for k, (code, what) in _BIOGEN_ENDPOINTS.items()
] + [
    csv_table(
        "published_pearson_r",
        "published_pearson_r.csv",
        {"model": S, "row": S},
        rest=F,
        description="Pearson r on the authors' test split, one column per endpoint (paper's results sheet)",
    ),
]

_PHARMABENCH_FILES = {
    "logd": ("logd_reg", F),
    "water_solubility": ("water_sol_reg", F),
    "bbb": ("bbb_cls", I),
    "ames": ("ames_cls", I),
    "ppb": ("ppb_reg", F),
    "cyp2c9": ("cyp_2c9_reg", F),
    "cyp2d6": ("cyp_2d6_reg", F),
    "cyp3a4": ("cyp_3a4_reg", F),
    "human_microsomal_cl": ("hum_mic_cl_reg", F),
    "rat_microsomal_cl": ("rat_mic_cl_reg", F),
    "mouse_microsomal_cl": ("mou_mic_cl_reg", F),
}
_PB_COLS = ["Smiles_unify", "value", "property", "scaffold_train_test_label", "random_train_test_label"]
_PHARMABENCH = [
    csv_table(
        k,
        f"{stem}_final_data.csv",
        {"Smiles_unify": S, "value": vt, "property": S, "scaffold_train_test_label": S, "random_train_test_label": S},
        usecols=_PB_COLS,
        description=f"PharmaBench {k}: value ({'binary label' if vt == I else 'regression target'}) "
        "with fixed scaffold and random train/test labels",
    )
    for k, (stem, vt) in _PHARMABENCH_FILES.items()
]

_TDC = [
    csv_table(
        "leaderboard",
        "tdc_leaderboard_snapshot_2023-02.csv",
        {
            "dataset": S,
            "size": I,
            "task": S,
            "metric": S,
            "split": S,
            "rank": I,
            "model": S,
            "n_params": S,
            "mean": F,
            "std": F,
        },
        description="TDC ADMET-group leaderboard rows (Feb 2023): mean and std over seeds 1-5",
    ),
    csv_table(
        "admet_ai_metrics",
        "admet_ai_model_metrics.csv",
        {
            "category": S,
            "id": S,
            "name": S,
            "task_type": S,
            "units": S,
            "minimum": F,
            "maximum": F,
            "species": S,
            "tdc_rank": I,
            "AUPRC": F,
            "AUROC": F,
            "R^2": F,
            "MAE": F,
            "url": S,
        },
        na_values=["-"],
        description="ADMET-AI Chemprop-RDKit 5-fold CV metrics per TDC data set (not leaderboard numbers)",
    ),
]


def _dta(ds: str, what: str) -> list[Table]:
    return [
        csv_table(
            ds,
            f"{ds}_affinity_long.csv.gz",
            {"drug_idx": I, "protein_idx": I, "drug_id": S, "protein_id": S, "raw_value": F, "affinity": F, "split": S},
            description=f"{ds.upper()} training-fold affinities: {what}",
        ),
        csv_table(
            f"{ds}_drugs",
            f"{ds}_drugs.csv",
            {"drug_idx": I, "drug_id": S, "smiles": S},
            description=f"{ds.upper()} drugs with canonical SMILES",
        ),
        csv_table(
            f"{ds}_proteins",
            f"{ds}_proteins.csv",
            {"protein_idx": I, "protein_id": S, "sequence": S},
            description=f"{ds.upper()} proteins with amino-acid sequences",
        ),
    ]


TABLES: dict[str, list[Table]] = {
    "moleculenet": _MOLECULENET,
    "biogen_adme_fang2023": _BIOGEN,
    "pharmabench": _PHARMABENCH,
    "tdc_admet_reference": _TDC,
    "dta_davis_kiba": _dta("davis", "raw Kd (nM) and pKd") + _dta("kiba", "KIBA score"),
}
