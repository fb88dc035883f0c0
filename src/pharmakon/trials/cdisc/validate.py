"""Dataset-level checks of SDTM with pandera schemas, plus cross-domain consistency.

Each failure is a :class:`Finding`: the domain, the 1-based record number in its dataset
(``None`` for a dataset-level finding such as a missing variable), the variable and the
rule broken. Rules:

``required_variable``   a variable SDTMIG marks required is absent from the dataset;
``required_value``      a required variable is blank in a record;
``iso8601``             a ``--DTC`` value is not ISO 8601 or not a calendar date/time;
``controlled_terms``    a value outside the variable's codelist;
``key_unique``          two records share the domain's key (``USUBJID`` + ``--SEQ``...);
``subject_in_dm``       a subject of a domain is missing from DM;
``ae_in_reference_period``  an AE starts before the subject's RFSTDTC or after the end of
                        participation (RFPENDTC, else RFENDTC).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
import pandera.pandas as pa

from pharmakon.trials.cdisc.standards import ISO8601, KEYS, REQUIRED, TERMS

__all__ = ["Finding", "validate_domains", "iso8601_valid", "domain_schema"]


@dataclass(frozen=True)
class Finding:
    """One failed check: ``row`` is the 1-based record number in the dataset (None: the whole dataset)."""

    domain: str
    row: int | None
    variable: str | None
    rule: str
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def iso8601_valid(values: pd.Series) -> pd.Series:
    """True where a value is blank or a valid ISO 8601 date/datetime (complete or partial), shape ``(n,)``."""
    text = values.astype(object).where(values.notna(), None)
    present = text.notna()
    shape_ok = text.where(present, "").astype(str).str.match(ISO8601.pattern)
    # A shape-valid value must also be a calendar date (no 2014-02-30) and time (no T25:00).
    full = text.where(present & shape_ok, None).astype(str).str.slice(0, 19)
    day = full.str.len() >= 10
    parsed = pd.to_datetime(full.where(day, None), errors="coerce", format="ISO8601")
    month_only = full.str.len() == 7
    month_ok = pd.to_numeric(full.str.slice(5, 7), errors="coerce").between(1, 12)
    calendar_ok = (~day | parsed.notna()) & (~month_only | month_ok)
    return ~present | (shape_ok & calendar_ok)


def _column(domain: str, name: str, required: bool) -> pa.Column:
    checks = []
    if name.endswith("DTC"):
        checks.append(pa.Check(iso8601_valid, name="iso8601"))
    if name in TERMS.get(domain, {}):
        allowed = set(TERMS[domain][name])
        checks.append(pa.Check(lambda s, a=allowed: s.isna() | s.isin(a), name="controlled_terms"))
    return pa.Column(object if name.endswith("DTC") else None, checks=checks, nullable=not required, required=required)


def domain_schema(domain: str, columns: list[str]) -> pa.DataFrameSchema:
    """The pandera schema of one SDTM domain: required variables, dates, terms, key uniqueness."""
    required = REQUIRED.get(domain, [])
    names = list(dict.fromkeys([*required, *(c for c in columns if c.endswith("DTC") or c in TERMS.get(domain, {}))]))
    key = [k for k in KEYS.get(domain, []) if k in columns]
    return pa.DataFrameSchema(
        {n: _column(domain, n, n in required) for n in names},
        unique=key or None,
        report_duplicates="all",
        name=domain,
    )


_RULES = {
    "column_in_dataframe": "required_variable",
    "not_nullable": "required_value",
    "iso8601": "iso8601",
    "controlled_terms": "controlled_terms",
    "multiple_fields_uniqueness": "key_unique",
}


def _schema_findings(domain: str, frame: pd.DataFrame) -> list[Finding]:
    schema = domain_schema(domain, list(frame.columns))
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _from_failures(domain, exc.failure_cases, schema)
    return []


def _from_failures(domain: str, cases: pd.DataFrame, schema: pa.DataFrameSchema) -> list[Finding]:
    out = []
    key = ",".join(schema.unique or [])
    for case in cases.itertuples(index=False):
        check = str(case.check).split("(")[0]
        rule = _RULES.get(check)
        if rule is None:
            continue
        row = None if pd.isna(case.index) else int(case.index) + 1
        if rule == "required_variable":
            out.append(Finding(domain, None, str(case.failure_case), rule))
        elif rule == "key_unique":
            out.append(Finding(domain, row, key, rule))
        else:
            value = None if case.failure_case is None or pd.isna(case.failure_case) else str(case.failure_case)
            out.append(Finding(domain, row, str(case.column), rule, value))
    return sorted(set(out), key=lambda f: (f.row or 0, f.variable or "", f.rule))


def _day(values: pd.Series) -> pd.Series:
    """Complete dates (first 10 characters) as timestamps; partial or invalid dates NaT."""
    text = values.astype(object).where(values.notna(), None).astype(str).str.slice(0, 10)
    return pd.to_datetime(text.where(text.str.len() == 10, None), errors="coerce", format="%Y-%m-%d")


def _cross_findings(domains: dict[str, pd.DataFrame]) -> list[Finding]:
    dm = domains.get("DM")
    if dm is None or "USUBJID" not in dm:
        return []
    out: list[Finding] = []
    subjects = set(dm["USUBJID"].dropna())
    for name, frame in domains.items():
        if name in ("DM", "TV", "TA") or "USUBJID" not in frame:
            continue
        missing = ~frame["USUBJID"].isin(subjects)
        out += [
            Finding(name, int(i) + 1, "USUBJID", "subject_in_dm", str(v))
            for i, v in frame.loc[missing, "USUBJID"].items()
        ]
    ae = domains.get("AE")
    if ae is not None and {"USUBJID", "AESTDTC"} <= set(ae) and "RFSTDTC" in dm:
        end_col = "RFPENDTC" if "RFPENDTC" in dm else "RFENDTC"
        ref = dm.set_index("USUBJID")
        start = ae["USUBJID"].map(_day(ref["RFSTDTC"]))
        end = ae["USUBJID"].map(_day(ref[end_col])) if end_col in ref else pd.Series(pd.NaT, index=ae.index)
        onset = _day(ae["AESTDTC"])
        outside = (onset < start) | (onset > end)
        out += [
            Finding("AE", int(i) + 1, "AESTDTC", "ae_in_reference_period", str(ae.at[i, "AESTDTC"]))
            for i in ae.index[outside]
        ]
    return out


def validate_domains(domains: dict[str, pd.DataFrame]) -> list[Finding]:
    """Every finding of the schema and cross-domain checks, domain by domain then record order."""
    out: list[Finding] = []
    for name, frame in domains.items():
        out += _schema_findings(name, frame.reset_index(drop=True))
    return out + _cross_findings(domains)
