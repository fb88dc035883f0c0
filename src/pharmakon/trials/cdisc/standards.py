"""What the SDTM Implementation Guide asks of each domain: required variables, keys, controlled terms.

A small, declarative subset of SDTMIG 3.x and CDISC Controlled Terminology, enough for
dataset-level checks of the domains the review reads. ``REQUIRED`` lists the variables
SDTMIG marks *Req* (they must exist and hold a value); ``KEYS`` the variables that
identify one record; ``TERMS`` the codelists of the variables that have one (the
extensible ones with the values the CDISC pilot uses as well).
"""

from __future__ import annotations

import re

__all__ = ["REQUIRED", "KEYS", "TERMS", "ISO8601", "SDTM_DOMAINS", "ADAM_DATASETS"]

#: SDTM domains the checks and the review read (file stems).
SDTM_DOMAINS = ("dm", "ae", "ds", "ex", "sv", "lb", "vs", "qs", "cm", "mh", "tv", "ta")
#: ADaM datasets the TLFs, review and retention read.
ADAM_DATASETS = ("adsl", "adtte", "adae")

_COMMON = ["STUDYID", "DOMAIN", "USUBJID"]
REQUIRED: dict[str, list[str]] = {
    "DM": ["STUDYID", "DOMAIN", "USUBJID", "SUBJID", "SITEID", "SEX", "ARMCD", "ARM", "COUNTRY"],
    "AE": [*_COMMON, "AESEQ", "AETERM", "AEDECOD"],
    "DS": [*_COMMON, "DSSEQ", "DSTERM", "DSDECOD"],
    "EX": [*_COMMON, "EXSEQ", "EXTRT"],
    "SV": [*_COMMON, "VISITNUM"],
    "LB": [*_COMMON, "LBSEQ", "LBTESTCD", "LBTEST"],
    "VS": [*_COMMON, "VSSEQ", "VSTESTCD", "VSTEST"],
    "QS": [*_COMMON, "QSSEQ", "QSTESTCD", "QSTEST", "QSCAT"],
    "CM": [*_COMMON, "CMSEQ", "CMTRT"],
    "MH": [*_COMMON, "MHSEQ", "MHTERM"],
    "TV": ["STUDYID", "DOMAIN", "VISITNUM"],
    "TA": ["STUDYID", "DOMAIN", "ARMCD", "ARM", "TAETORD", "ETCD"],
}

KEYS: dict[str, list[str]] = {
    "DM": ["USUBJID"],
    "SV": ["USUBJID", "VISITNUM"],
    "TV": ["VISITNUM", "ARMCD"],
    "TA": ["ARMCD", "TAETORD"],
    **{d: ["USUBJID", f"{d}SEQ"] for d in ("AE", "DS", "EX", "LB", "VS", "QS", "CM", "MH")},
}

_NY = ["N", "Y"]
_RACE = [
    "AMERICAN INDIAN OR ALASKA NATIVE",
    "ASIAN",
    "BLACK OR AFRICAN AMERICAN",
    "NATIVE HAWAIIAN OR OTHER PACIFIC ISLANDER",
    "WHITE",
    "MULTIPLE",
    "OTHER",
    "UNKNOWN",
    "NOT REPORTED",
]
#: Controlled terminology: variable -> allowed values, per domain.
TERMS: dict[str, dict[str, list[str]]] = {
    "DM": {
        "SEX": ["F", "M", "U", "UNDIFFERENTIATED"],
        "AGEU": ["YEARS", "MONTHS", "WEEKS", "DAYS", "HOURS"],
        "RACE": _RACE,
        "ETHNIC": ["HISPANIC OR LATINO", "NOT HISPANIC OR LATINO", "NOT REPORTED", "UNKNOWN"],
        "DTHFL": ["Y"],
    },
    "AE": {
        "AESEV": ["MILD", "MODERATE", "SEVERE"],
        **{v: _NY for v in ("AESER", "AESCAN", "AESCONG", "AESDISAB", "AESDTH", "AESHOSP", "AESLIFE", "AESOD")},
        "AEOUT": [
            "FATAL",
            "NOT RECOVERED/NOT RESOLVED",
            "RECOVERED/RESOLVED",
            "RECOVERED/RESOLVED WITH SEQUELAE",
            "RECOVERING/RESOLVING",
            "UNKNOWN",
        ],
    },
    "DS": {"DSCAT": ["DISPOSITION EVENT", "PROTOCOL MILESTONE", "OTHER EVENT"]},
    "LB": {"LBNRIND": ["NORMAL", "LOW", "HIGH", "ABNORMAL"], "LBBLFL": ["Y"]},
    "VS": {"VSPOS": ["SUPINE", "STANDING", "SITTING"], "VSBLFL": ["Y"]},
    "EX": {"EXDOSFRM": ["PATCH", "TABLET", "CAPSULE", "SOLUTION", "INJECTION"]},
}

#: ISO 8601 date/datetime, complete or partial (SDTM --DTC), e.g. 2014-01-02, 2014-01, 2014-01-02T11:45.
ISO8601 = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?)?)?$")
