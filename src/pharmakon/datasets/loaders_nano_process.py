"""Table definitions of the nanomedicine and manufacturing data sets (LNPDB/LiON, AGILE,
Nano-Tumor DB, PLGA-PEG microfluidics, Tennessee Eastman process)."""

from __future__ import annotations

from pharmakon.datasets._tables import Table, csv_table

__all__ = ["TABLES"]

S, F, I, B = "string", "float64", "Int64", "boolean"

_LNP_META = {"LNP_ID": S, "Experiment_ID": S, "IL_name": S, "IL_head_name": S, "IL_SMILES": S, "Experiment_value": F}
_LNPDB = [
    csv_table(
        "train",
        "single_split/train_metadata.csv",
        _LNP_META,
        description="authors' training split: ionizable lipid -> standardised delivery efficacy",
    ),
    csv_table("val", "single_split/val_metadata.csv", _LNP_META, description="authors' validation split"),
    csv_table(
        "metadata",
        "all_data_metadata.csv",
        _LNP_META,
        description="all non-test formulations, row-aligned with 'extra_x' and 'weights'",
    ),
    csv_table(
        "extra_x",
        "all_data_extra_x.csv",
        {
            "IL_to_nucleicacid_massratio": F,
            "IL_molratio": F,
            "HL_molratio": F,
            "CHL_molratio": F,
            "PEG_molratio": F,
            "Dose_ug_nucleicacid": F,
        },
        rest=F,
        description="composition ratios, dose (ug nucleic acid) and 86 one-hot context columns",
    ),
    csv_table("weights", "all_data_weights.csv", {"Sample_weight": F}, description="LiON per-row sample weight"),
    csv_table(
        "test_scores",
        "single_split/test_scores.csv",
        {"Task": S},
        rest=F,
        description="LiON test RMSE on the sealed test split (anchor)",
    ),
]

_AGILE = [
    csv_table(
        "lipids",
        "AGILE_smiles_with_value_group.csv",
        {
            "id": I,
            "label": S,
            "combined_mol_SMILES": S,
            "A_smiles": S,
            "B_smiles": S,
            "C_smiles": S,
            "expt_Hela": F,
            "expt_Raw": F,
        },
        description="Ugi-3CR ionizable lipids with mRNA transfection in HeLa and RAW 264.7 (log luminescence)",
    ),
]

_NANO_TUMOR = [
    csv_table(
        "delivery",
        "nano_tumor_de_dev.csv",
        {
            "ID": S,
            "Type": S,
            "MAT": S,
            "TS": S,
            "CT": S,
            "TM": S,
            "Shape": S,
            "Size": F,
            "ZP": F,
            "DE_Tmax": F,
            "DE_Tmax_PK": F,
            "DE_24": F,
            "DE_168": F,
            "DE_Max": F,
        },
        description="nanoparticle properties (Size = log10 nm, ZP mV) -> tumor delivery efficiency (%ID)",
    ),
]

_PLGA_IN = {"ID": S, "PLGA": F, "PP-L": F, "PP-COOH": F, "PP-NH2": F, "S/AS": F}
_PLGA_OUT = {"Uptake": F, "Uptake_stdev": F, "PDI": F, "PDI_stdev": F, "Z_ave": F, "Z_ave_stdev": F}
_PLGA = [
    csv_table(
        "samples",
        "all_samples.csv",
        {**_PLGA_IN, **_PLGA_OUT, "cycle": I, "cycle_type": S, "pick_for_next_cycle": S},
        description="150 formulations: polymer fractions, flow ratio -> Z_ave (nm), PDI, uptake (fold)",
    ),
    *[
        csv_table(
            f"uptake_cycle_{k}",
            f"Uptake_data_cycle_{k}.csv",
            {**_PLGA_IN, **_PLGA_OUT},
            description=f"training data available at active-learning cycle {k}",
        )
        for k in range(4)
    ],
    *[
        csv_table(
            f"published_eval_{t}",
            f"published_eval_{t}_model_2_eval_{m}_24Apr.csv",
            {**_PLGA_IN, "y": F, "y_hat": F, "CI_5%": F, "CI_95%": F, "y_uncertainty": F},
            description=f"authors' cycle-2 {m.upper()} model: observed vs predicted {t}",
        )
        for t, m in (("size", "xgb"), ("pdi", "xgb"), ("uptake", "bnn"))
    ],
]

_TEP_VARS = {f"xmeas_{i}": F for i in range(1, 42)} | {f"xmv_{i}": F for i in range(1, 12)}
_TEP = [
    csv_table(
        "test",
        "test_d00-d21.csv",
        {"fault": I, "sample": I, "faulty": B, **_TEP_VARS},
        description="22 stacked test runs (960 samples every 3 min); faulty = fault > 0 and sample > 160",
    ),
    csv_table(
        "train_normal",
        "d00_train_normal.csv",
        _TEP_VARS,
        description="normal-operation training run, 500 samples x 41 measurements + 11 manipulated",
    ),
    csv_table(
        "pca_baseline",
        "pca_baseline_ours.csv",
        {"n_pc": I, "fault": I, "FDR_T2": F, "FDR_SPE": F, "FAR_T2_pre": F, "FAR_SPE_pre": F},
        description="our static-PCA baseline: fault detection / false alarm rates (%) per fault",
    ),
]

TABLES: dict[str, list[Table]] = {
    "lnpdb_lion": _LNPDB,
    "agile_lipids": _AGILE,
    "nano_tumor_db": _NANO_TUMOR,
    "plga_peg_microfluidics": _PLGA,
    "tep_braatz": _TEP,
}
