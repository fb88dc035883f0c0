"""What the workbench home page lists. Each domain issue adds its entry here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capability:
    name: str
    summary: str
    users: str
    cli: str
    href: str | None = None
    min_role: str = "viewer"


CAPABILITIES: list[Capability] = [
    Capability(
        "Audit trail",
        "Hash-chained, append-only record of who did what, with which data and model; electronic signatures.",
        "QA / regulatory",
        "pharmakon audit log|verify|export|sign",
        "/audit",
    ),
    Capability(
        "Data catalogue",
        "Public data sets with licence, citation and SHA-256; fetched and verified into the local cache.",
        "everyone",
        "pharmakon data list|fetch|info",
        "/data",
    ),
    Capability(
        "Users and roles",
        "Viewer < scientist < admin; API tokens stored only as Argon2 hashes.",
        "administrators",
        "pharmakon users add|list|token|disable",
        "/users",
        "admin",
    ),
    Capability(
        "Pharmacogenomics",
        "VCF -> star-allele diplotypes (PharmCAT rules, 11 genes + CYP2D6 outside calls) -> "
        "phenotypes -> CPIC/DPWG advice; IWPC warfarin doses.",
        "clinical pharmacists",
        "pharmakon pgx call|batch|warfarin",
        "/pgx",
    ),
    Capability(
        "Models",
        "Governed model lifecycle on any table, with or without SMILES: QC, CV selection over a "
        "model zoo (Optuna), conformal intervals, applicability domain, registry with model cards.",
        "data scientists, chemists",
        "pharmakon model train|predict|list|card|promote",
        "/models",
    ),
    Capability(
        "Drug safety",
        "Disproportionality signals (MGPS EBGM/EB05 checked against openEBGM, PRR, ROR, IC) at "
        "FAERS scale; signal review; trial safety monitoring.",
        "drug-safety scientists",
        "pharmakon safety signals|review|monitor",
        "/safety",
    ),
    Capability(
        "Trial design",
        "Group-sequential boundaries (checked against rpact), sample size, vectorised "
        "simulation; designs stored, signed and reported.",
        "biostatisticians",
        "pharmakon trial design|samplesize|simulate|bayes|dosefind|enrich",
        "/trial",
    ),
    Capability(
        "ADMET panel",
        "36 endpoints (Biogen ADME, MoleculeNet, PharmaBench) with conformal intervals/sets, "
        "applicability-domain flags, structural alerts, QED and SHAP per molecule.",
        "medicinal / computational chemists",
        "pharmakon admet endpoints|train|predict",
        "/admet",
    ),
    Capability(
        "Trial data (CDISC)",
        "SDTM/ADaM (XPT, CSV) validated with pandera; the pilot submission's demographics, ADAS-Cog "
        "ANCOVA and KM tables reproduced exactly; data review with queries (edit checks, robust z, "
        "isolation forest); retention risk with SHAP reasons and fairness.",
        "data managers, statisticians",
        "pharmakon trialdata validate|tlf|review|retention",
        "/trialdata",
    ),
    Capability(
        "Imaging biomarkers",
        "Lesion calipers from masks, RECIST 1.1 from SDTM TU/TR/RS (BOR, confirmed BOR, reader kappa), "
        "pyradiomics features, DICOM conversion with basic-profile de-identification.",
        "radiologists, imaging scientists",
        "pharmakon imaging measure|recist|features|convert",
        "/imaging",
    ),
    Capability(
        "Nanomedicine formulation",
        "CQA models (size, PDI, uptake) with conformal intervals, designs of experiments (pyDOE3, "
        "Sobol, mixtures, D-optimal), and constrained batch proposals for the next experiments.",
        "formulation scientists",
        "pharmakon nano fit|predict|design|propose",
        "/nano/formulation",
    ),
    Capability(
        "Patient-trial matching",
        "Trials for a patient and patients for a trial: BM25, dense (WordLlama) or hybrid (RRF) retrieval, criteria split into computable "
        "checks (age, sex, diagnoses, labs with units, ECOG/Karnofsky, scores, pregnancy, medications), "
        "ConText on notes, per-criterion verdict and evidence; FHIR R4 and notes de-identified (Safe "
        "Harbor); funnel and equity view.",
        "clinical operations, coordinators",
        "pharmakon match trials|patients|eval|save-trials",
        "/matching",
    ),
    Capability(
        "Nanoparticle delivery",
        "Population PBPK of nanoparticles in mice (YAML specs, built-in Lin-lab model), tumour-delivery "
        "QSAR on the Nano-Tumor DB with conformal intervals, AI-assisted PBPK, parameter fitting.",
        "nanomedicine scientists, pharmacometricians",
        "pharmakon nano pbpk|pbpk-fit|delivery train|predict|ai-pbpk",
        "/nano/delivery",
    ),
    Capability(
        "Manufacturing quality",
        "Process monitoring (PCA, dynamic PCA, PLS, kernel PCA; T²/SPE, contributions, live "
        "dashboard), EWMA/CUSUM charts, spectral soft sensors with intervals, nanoprecipitation digital twin with "
        "set-point correction.",
        "process engineers / PAT",
        "pharmakon process fit|monitor|alarms|chart|softsensor|twin",
        "/process",
    ),
]
