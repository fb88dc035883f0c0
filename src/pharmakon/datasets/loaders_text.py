"""Table definitions of the text and knowledge data sets: patient-trial matching
collections (SIGIR 2016, TREC CT 2021/2022), RCT numeric extraction, Evidence
Inference 2.0 and the drug-repurposing gold standards."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pharmakon.datasets._tables import Table, apply_schema, csv_table, frame, read_csv_raw, read_jsonl

__all__ = ["TABLES"]

S, F, I, B = "string", "float64", "Int64", "boolean"

_QREL = {"query_id": S, "corpus_id": S, "score": I}
_QREL_RENAME = {"query-id": "query_id", "corpus-id": "corpus_id"}


def _queries(file: str = "queries.jsonl") -> Table:
    def reader(folder: Path) -> pd.DataFrame:
        rows = [{"query_id": r.get("_id"), "text": r.get("text")} for r in read_jsonl(folder / file, file=file)]
        return frame(rows, {"query_id": S, "text": S}, file=file)

    return Table("queries", reader, {"query_id": S, "text": S}, "patient descriptions (topics)")


def _qrels(name: str, path: str, extra: dict[str, str] | None = None, description: str = "") -> Table:
    return csv_table(
        name,
        path,
        {**_QREL, **(extra or {})},
        rename=_QREL_RENAME,
        sep="\t",
        description=description or "official judgments: 0 not relevant, 1 excluded/consider, 2 eligible",
    )


def _trials(file: str, fields: dict[str, str], rename: dict[str, str] | None = None) -> Table:
    schema = {rename.get(k, k) if rename else k: t for k, t in fields.items()}

    def reader(folder: Path) -> pd.DataFrame:
        rows = []
        for r in read_jsonl(folder / file, file=file):
            rows.append({(rename or {}).get(k, k): _flat(r.get(k)) for k in fields})
        return frame(rows, schema, file=file)

    return Table("trials", reader, schema, "trial texts (lists joined with '; ')")


def _flat(v: object) -> object:
    if isinstance(v, list):
        return "; ".join(map(str, v))
    if isinstance(v, dict):
        return "; ".join(f"{k}={x}" for k, x in v.items())
    return v


_SIGIR = [
    _qrels("qrels", "qrels/test.tsv", description="judgments: 0 would not refer, 1 consider, 2 highly likely"),
    _queries(),
    _trials(
        "judged_trial_sample/trials.jsonl",
        {
            "nct_id": S,
            "brief_title": S,
            "phase": S,
            "drugs_list": S,
            "diseases_list": S,
            "enrollment": F,
            "inclusion_criteria": S,
            "exclusion_criteria": S,
            "brief_summary": S,
        },
    ),
    _qrels("judged_pairs", "judged_trial_sample/pairs.tsv", description="official scores of the sampled trials"),
]
_TREC_TRIAL_FIELDS = {
    "nctid": S,
    "title": S,
    "brief_summary": S,
    "study_type": S,
    "phases": S,
    "primary_purpose": S,
    "raw_criteria": S,
    "minimum_age": S,
    "maximum_age": S,
    "sex": S,
    "condition": S,
    "overall_status": S,
}
_TREC21 = [
    _qrels("qrels", "qrels/test.tsv"),
    _queries(),
    _trials("judged_trial_sample/trials.jsonl", _TREC_TRIAL_FIELDS, {"nctid": "nct_id"}),
    _qrels("judged_pairs", "judged_trial_sample/pairs.tsv", description="official scores of the six sampled trials"),
]
_TREC22 = [_qrels("qrels", "qrels/test.tsv"), _queries()]
_TREC21_TRIALS = [
    _trials(
        "trials.jsonl",
        {
            **_TREC_TRIAL_FIELDS,
            "inclusion_criteria": S,
            "exclusion_criteria": S,
            "criteria_split": S,
            "min_age_years": F,
            "max_age_years": F,
            "sampled_for": S,
        },
        {"nctid": "nct_id"},
    ),
    _qrels(
        "pairs",
        "pairs.tsv",
        {"selected_topic": B},
        description="all TREC 2021 judgments of these trials; selected_topic marks the sampled topic pairs",
    ),
]


def _reports(folder: Path) -> pd.DataFrame:
    rows = []
    for sub, kind in (("markdown", "report"), ("case_study_markdown", "case_study")):
        for path in sorted((folder / sub).glob("PMC*.md")):
            rows.append({"pmcid": path.stem, "kind": kind, "text": path.read_text("utf-8")})
    return frame(rows, {"pmcid": S, "kind": S, "text": S}, file="markdown/*.md")


_RCT_ANN = {
    "id": I,
    "evidence_inference_prompt_id": S,
    "pmcid": S,
    "outcome": S,
    "intervention": S,
    "comparator": S,
    "outcome_type": S,
    "intervention_events": F,
    "intervention_group_size": F,
    "comparator_events": F,
    "comparator_group_size": F,
    "intervention_mean": F,
    "intervention_standard_deviation": F,
    "comparator_mean": F,
    "comparator_standard_deviation": F,
    "notes": S,
    "is_data_in_figure_graphics": B,
    "is_relevant_data_in_table": B,
    "is_table_in_graphic_format": B,
    "is_data_complete": B,
    "split": S,
}
_RCT = [
    csv_table(
        "annotations",
        "annotated_rct_dataset.csv",
        _RCT_ANN,
        description="ICO rows with reference events/n (binary) or mean/SD/n (continuous); blank = not reported",
    ),
    Table("reports", _reports, {"pmcid": S, "kind": S, "text": S}, "trial report texts (abstract + results, Markdown)"),
    csv_table(
        "case_study",
        "meta_analysis_case_study.csv",
        {
            "pmcid": S,
            "study": S,
            "outcome": S,
            "intervention_events": F,
            "intervention_group_size": F,
            "comparator_events": F,
            "comparator_group_size": F,
            "risk_ratio": F,
        },
        description="mortality meta-analysis case study (4 RCTs)",
    ),
    csv_table(
        "published_metrics",
        "published_metrics_summary.csv",
        {"task": S, "file": S, "model": S},
        description="authors' scores per task and model on the TEST split",
    ),
]


def _abstracts(folder: Path) -> pd.DataFrame:
    file = "abstracts.jsonl.gz"
    rows = [
        {k: r.get(k) for k in ("pmcid", "split", "title", "abstract")} for r in read_jsonl(folder / file, file=file)
    ]
    return frame(rows, {"pmcid": S, "split": S, "title": S, "abstract": S}, file=file)


_EVIDENCE = [
    csv_table(
        "prompts",
        "prompts_v2.csv",
        {"PromptID": S, "PMCID": S, "Outcome": S, "Intervention": S, "Comparator": S, "split": S},
        description="intervention/comparator/outcome prompts",
    ),
    csv_table(
        "annotations",
        "annotations_v2.csv",
        {
            "UserID": S,
            "PromptID": S,
            "PMCID": S,
            "Valid Label": B,
            "Valid Reasoning": B,
            "Label": S,
            "Annotations": S,
            "Label Code": I,
            "In Abstract": S,
            "Evidence Start": I,
            "Evidence End": I,
            "split": S,
            "evidence_in_abstract": B,
        },
        description="annotator labels (-1/0/1) and evidence spans (offsets into full texts); test sealed",
    ),
    Table("abstracts", _abstracts, {"pmcid": S, "split": S, "title": S, "abstract": S}, "article abstracts"),
]


def _matrix(path: str) -> Table:
    def reader(folder: Path) -> pd.DataFrame:
        raw = read_csv_raw(folder / path, file=path, header=None)
        raw.columns = [str(c) for c in raw.columns]
        return apply_schema(raw, {}, file=path, rest=F)

    name = path.split("/")[0].split("_")[1] + "_" + path.split("/")[1].split(".")[0]
    return Table(name, reader, {"0": F}, f"dense similarity matrix {path} (rows/columns in index order)")


_REPURPOSING = [
    csv_table(
        "indications",
        "pharmacotherapydb/indications.tsv",
        {"doid_id": S, "drugbank_id": S, "disease": S, "drug": S, "category": S, "n_curators": I, "n_resources": I},
        sep="\t",
        description="PharmacotherapyDB: DM disease-modifying, SYM symptomatic, NOT non-indication",
    ),
    csv_table(
        "pharmacotherapydb_drugs",
        "pharmacotherapydb/drugs.tsv",
        {"drugbank_id": S, "drug": S},
        rest=I,
        sep="\t",
        description="indication counts per drug",
    ),
    csv_table(
        "pharmacotherapydb_diseases",
        "pharmacotherapydb/diseases.tsv",
        {"doid_id": S, "disease": S},
        rest=I,
        sep="\t",
        description="indication counts per disease",
    ),
    *[
        t
        for ds in ("gottlieb_fdataset", "luo_cdataset")
        for t in (
            csv_table(
                f"{ds.split('_')[1]}_associations",
                f"{ds}/associations.csv",
                {"drug_idx": I, "disease_idx": I, "drug_drugbank": S, "disease_omim": S},
                description="known drug-disease associations",
            ),
            csv_table(f"{ds.split('_')[1]}_drugs", f"{ds}/drugs.csv", {"drug_idx": I, "drugbank_id": S}),
            csv_table(f"{ds.split('_')[1]}_diseases", f"{ds}/diseases.csv", {"disease_idx": I, "omim_id": S}),
            _matrix(f"{ds}/drug_similarity.csv.gz"),
            _matrix(f"{ds}/disease_similarity.csv.gz"),
        )
    ],
]

TABLES: dict[str, list[Table]] = {
    "sigir_2016": _SIGIR,
    "trec_ct_2021": _TREC21,
    "trec_ct_2022": _TREC22,
    "trec_ct_2021_trials": _TREC21_TRIALS,
    "rct_numeric_extraction": _RCT,
    "evidence_inference_v2": _EVIDENCE,
    "drug_repurposing": _REPURPOSING,
}
