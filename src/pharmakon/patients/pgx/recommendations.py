"""CPIC and DPWG prescribing recommendations keyed by phenotype or activity score.

Source: ``cpic_recommendations/recommendations_flat.csv`` (PharmGKB guideline annotations,
CC BY-SA 4.0; cite the CPIC/DPWG guideline named in each row). A recommendation applies
when every gene of its lookup key matches the sample: by phenotype for most genes, by
activity score for CYP2D6 and DPYD (``"1.0"``), by the table's lookup key otherwise.
"""

from __future__ import annotations

import json
from functools import lru_cache

import pandas as pd

from pharmakon.patients.pgx.definitions import data_folder

__all__ = ["key_matches", "load_recommendations", "recommend"]


@lru_cache(maxsize=1)
def load_recommendations() -> pd.DataFrame:
    """All recommendation rows with the lookup key parsed (column ``key``: dict gene -> value)."""
    frame = pd.read_csv(data_folder("cpic_recommendations") / "recommendations_flat.csv", dtype=str)
    frame["key"] = [json.loads(k) if isinstance(k, str) else {} for k in frame["lookup_key"]]
    return frame


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
        recommendation, implications``, sorted by drug then source.
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
                }
            )
    return sorted(out, key=lambda r: (r["drug"], r["source"], r["population"] or ""))
