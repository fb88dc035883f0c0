"""A data review of one study: edit checks and anomaly detection raising queries with evidence.

:func:`review_domains` runs the rule-based checks (:mod:`.review_checks`) and the
statistical/ML detectors (:mod:`.review_ml`) over SDTM domains (plus ADSL when given)
and returns one table of queries, shape ``(n_queries, 8)``: ``id`` (stable: the same
finding gets the same id in every run), ``site``, then the contract columns ``domain,
usubjid, seq, variable, rule, evidence``.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from pharmakon.trials.cdisc.review_checks import CHECKS, QUERY_COLUMNS, ReviewParams, run_checks
from pharmakon.trials.cdisc.review_ml import isolation_forest_subjects, robust_z_site, robust_z_subject

__all__ = ["RULES", "ML_RULES", "review_domains", "query_id"]

ML_RULES = ("robust_z_subject", "robust_z_site", "isolation_forest")
#: Every rule a review can raise.
RULES = (*CHECKS, *ML_RULES)


def query_id(
    domain: str, usubjid: str, seq: float | None, variable: str, rule: str, evidence: dict | None = None
) -> str:
    """A stable id: the first 16 hex digits of the SHA-256 of the query's identity.

    A record-level query is identified by its --SEQ; one without (SV visits, subject-level
    queries) also by its evidence, so that two visits of one subject stay two queries.
    """
    no_seq = seq is None or (isinstance(seq, float) and np.isnan(seq))
    seq_text = json.dumps(evidence, sort_keys=True, default=str) if no_seq else f"{float(seq):g}"
    return hashlib.sha256(f"{domain}|{usubjid}|{seq_text}|{variable}|{rule}".encode()).hexdigest()[:16]


def review_domains(
    domains: dict[str, pd.DataFrame],
    params: ReviewParams | None = None,
    *,
    rules: list[str] | None = None,
    ml: bool = True,
    contamination: float = 0.01,
    seed: int = 0,
) -> pd.DataFrame:
    """Queries of every check (or of ``rules``), sorted by domain, subject, seq and rule; one per id."""
    params = params or ReviewParams()
    parts = [run_checks(domains, params, rules)]
    lb, dm = domains.get("LB"), domains.get("DM")
    on = set(ML_RULES if rules is None else rules)
    if ml and lb is not None:
        if "robust_z_subject" in on:
            parts.append(robust_z_subject(lb))
        if "robust_z_site" in on and dm is not None:
            parts.append(robust_z_site(lb, dm))
        if "isolation_forest" in on:
            parts.append(isolation_forest_subjects(lb, contamination=contamination, seed=seed))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["id", "site", *QUERY_COLUMNS])
    q = pd.concat(parts, ignore_index=True)
    q["seq"] = q["seq"].astype(float)
    q.insert(
        0,
        "id",
        [
            query_id(*k)
            for k in zip(q["domain"], q["usubjid"], q["seq"], q["variable"], q["rule"], q["evidence"], strict=True)
        ],
    )
    site = dm.set_index("USUBJID")["SITEID"] if dm is not None and "SITEID" in dm else pd.Series(dtype=object)
    q.insert(1, "site", q["usubjid"].map(site).astype(object).where(lambda s: s.notna(), None))
    q = q.drop_duplicates("id").sort_values(["domain", "usubjid", "seq", "rule"], na_position="first")
    return q.reset_index(drop=True)
