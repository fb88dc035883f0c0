"""CPIC and DPWG prescribing recommendations keyed by phenotype or activity score.

Source: ``cpic_recommendations/recommendations_flat.csv`` (PharmGKB guideline annotations,
CC BY-SA 4.0; cite the CPIC/DPWG guideline named in each row). A recommendation applies
when every gene of its lookup key matches the sample: by phenotype for most genes, by
activity score for CYP2D6 and DPYD (``"1.0"``), by the table's lookup key otherwise.

A recommendation is *actionable* when it changes prescribing: PharmGKB's
``dosingInformation`` (a dose change) or ``alternateDrugAvailable`` (another drug) is set.
"No recommendation" rows and "use the standard dose" rows are not actionable.
"""

from __future__ import annotations

import json
from functools import lru_cache

import pandas as pd

from pharmakon.patients.pgx.definitions import data_folder

__all__ = ["GUIDELINE_URL", "action_flags", "key_matches", "load_recommendations", "recommend"]

GUIDELINE_URL = "https://www.pharmgkb.org/guidelineAnnotation/{guideline_id}"
"""PharmGKB's page of a guideline annotation (links to the CPIC / DPWG publication)."""


@lru_cache(maxsize=1)
def load_recommendations() -> pd.DataFrame:
    """All recommendation rows with the lookup key parsed (column ``key``: dict gene -> value)."""
    frame = pd.read_csv(data_folder("cpic_recommendations") / "recommendations_flat.csv", dtype=str)
    frame["key"] = [json.loads(k) if isinstance(k, str) else {} for k in frame["lookup_key"]]
    for column in ("dosing_information", "alternate_drug_available"):
        frame[column] = frame[column].fillna("").str.strip().str.lower() == "true"
    return frame


def action_flags(guideline_id: str, population: str | None, recommendation: str | None) -> tuple[bool, bool] | None:
    """``(dose change, alternative drug)`` of a table row, for reports stored before the flags were kept.

    None when no row of that guideline, population and text exists.
    """
    frame = load_recommendations()
    rows = frame[
        (frame["guideline_id"] == guideline_id)
        & (frame["population"].fillna("") == (population or ""))
        & (frame["recommendation"].fillna("") == (recommendation or ""))
    ]
    if rows.empty:
        return None
    return bool(rows["dosing_information"].any()), bool(rows["alternate_drug_available"].any())


def _score(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def key_matches(value: object, sample: dict) -> bool:
    """Does one gene's lookup-key value match the sample's gene result?

    ``sample`` holds ``phenotypes`` (set of str), ``scores`` (set of float) and
    ``diplotypes`` (list of ``"A/B"``). Key forms in the tables: a phenotype, an activity
    score (``"1.0"``), a score with a label (``"1.0 (Intermediate Metabolizer)"``), a bound
    (``"≥3.0"``), or allele counts (``{"*1": 1.0, "*3": 1.0}``).
    """
    if isinstance(value, dict):
        want = {k: int(v) for k, v in value.items()}
        for d in sample.get("diplotypes", []):
            a, b = d.split("/", 1)
            if ({a: 2} if a == b else {a: 1, b: 1}) == want:
                return True
        return False
    text = str(value).strip()
    if text.endswith("(Phenotyping)"):
        return False  # DPWG rows for a measured DPD activity, not a genotype-derived score
    scores = sample.get("scores", set())
    if text.startswith(("≥", ">=")):
        bound = _score(text.lstrip("≥>= "))
        return bound is not None and any(x >= bound - 1e-9 for x in scores)
    head = text.split(" (", 1)[0]
    number = _score(head)
    if number is not None:
        return any(abs(x - number) < 1e-9 for x in scores)
    return text in sample.get("phenotypes", set())


def recommend(lookups: dict[str, dict], drugs: list[str] | None = None) -> list[dict]:
    """Recommendations whose lookup key is satisfied.

    Parameters
    ----------
    lookups : dict gene -> dict
        Per called gene: ``phenotypes`` (set of str), ``scores`` (set of float),
        ``diplotypes`` (list of str); see :func:`key_matches`.
    drugs : list of str, optional
        Restrict to these drugs.

    Returns
    -------
    list of dict
        ``source, drug, guideline, genes, lookup, population, classification,
        recommendation, implications, dosing_change, alternative_drug``, sorted by drug
        then source.
    """
    frame = load_recommendations()
    out = []
    for row in frame.itertuples(index=False):
        key = row.key
        if not key or drugs and row.drug not in drugs:
            continue
        if all(g in lookups and key_matches(v, lookups[g]) for g, v in key.items()):
            out.append(
                {
                    "source": row.source,
                    "drug": row.drug,
                    "guideline": row.guideline_name,
                    "guideline_id": row.guideline_id,
                    "genes": row.genes,
                    "lookup": key,
                    "population": None if pd.isna(row.population) else row.population,
                    "classification": None if pd.isna(row.classification) else row.classification,
                    "recommendation": row.recommendation,
                    "implications": row.implications,
                    "dosing_change": bool(row.dosing_information),
                    "alternative_drug": bool(row.alternate_drug_available),
                }
            )
    return sorted(out, key=lambda r: (r["drug"], r["source"], r["population"] or ""))
