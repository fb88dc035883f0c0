"""Turn an eligibility item into computable checks where possible.

:func:`parse_checks` reads one criterion's text and returns the checks it states:

* ``age`` (``low``/``high`` in years), ``sex``;
* ``concept``: a diagnosis or condition from the lexicon (with ``window_days`` for
  "within the last 5 years", ``qualifier`` for "severe", "uncontrolled"... which the
  patient's evidence must share, and codes where a record carries them);
* ``lab``: analyte, comparator, value and unit (or multiple of ULN, or relation to the
  reference range), time window;
* ``score``: questionnaire or performance score (MMSE, Hachinski, ECOG, Karnofsky,
  HAM-D...) with comparator or range;
* ``pregnancy`` (pregnant or lactating);
* ``medication``: drug or therapy terms, with time window.

A criterion states its combination (``all`` for inclusion items, ``any`` for exclusion
items) and whether it is negated ("No prior taxanes": satisfied when absent). Text the
parser cannot read yields no checks: the criterion stays a text criterion (assessed
against notes, or "not enough information"), never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from pharmakon.trials.matching.criteria import Criterion
from pharmakon.trials.matching.lexicon import CONCEPTS, LABS, SCORES, concepts_in_text

__all__ = ["Check", "ParsedCriterion", "parse_checks", "parse_criterion", "number"]

Op = Literal["ge", "gt", "le", "lt", "range", "eq"]


@dataclass(frozen=True)
class Check:
    """One computable check (see the module docstring for the kinds and their params)."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        p = self.params
        if self.kind == "age":
            return f"age in [{p.get('low')}, {p.get('high')}] years"
        if self.kind in ("lab", "score"):
            target = p.get("analyte") or p.get("score")
            if p.get("ref"):
                return f"{target} {p['ref']} reference range"
            return f"{target} {p.get('op')} {p.get('value')}{'' if p.get('value2') is None else '-' + str(p['value2'])} {p.get('unit') or ''}".strip()
        return f"{self.kind} {p}"


@dataclass(frozen=True)
class ParsedCriterion:
    """A criterion with its checks, combination rule and negation."""

    criterion: Criterion
    checks: tuple[Check, ...]
    combine: Literal["all", "any"]
    negated: bool

    @property
    def computable(self) -> bool:
        return bool(self.checks)


_NUM = r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
_GE = r"(?:≥|>=|=>|at least|no less than|not less than|minimum(?: of)?|greater than or equal to|equal to or greater than|or (?:more|greater|higher|older|above))"
_GT = r"(?:>|greater than|more than|above|exceeding|exceeds|over|higher than|older than)"
_LE = r"(?:≤|<=|=<|no greater than|not greater than|not more than|no more than|at most|maximum(?: of)?|up to|less than or equal to|not exceeding|or (?:less|lower|younger|below|fewer))"
_LT = r"(?:<|less than|below|under|lower than|younger than|fewer than)"
_OPS = [("ge", _GE), ("le", _LE), ("gt", _GT), ("lt", _LT)]
_UNIT = r"(?:\s*(%|mg%|gm%|g%|[a-zA-Zµμ]+(?:/[0-9.]*\s?[a-zA-Zµμ0-9^²*]+)+|x\s?10\^?\d+/[lL]|10\^\d+/[lL]|/mm3|/mm\^3|/[uµμ][lL]|cells/mm3|mmhg|mm hg|kg/m2|kg/m²|msec|ms|kg|lbs?|copies/ml)(?![a-zA-Z]))?"
_WINDOW = re.compile(
    r"(?:within|in|during|over)\s+(?:the\s+)?(?:last|past|previous|prior)?\s*(\d+|one|two|three|four|five|six|twelve)?\s*"
    r"(day|week|month|year)s?",
    re.I,
)
_SINCE = re.compile(r"(?:at least|minimum of)?\s*(\d+)\s*(day|week|month|year)s?\s+(?:since|prior to|before)", re.I)
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "twelve": 12}
_DAYS = {"day": 1, "week": 7, "month": 30.44, "year": 365.25}
_NEGATED = re.compile(
    r"^\s*(?:patients?\s+(?:must|should)\s+(?:not|never)|(?:must|should)\s+not|no\b|not\b|never\b|without\b|absence of|free of|"
    r"(?:patients?\s+)?(?:who\s+)?(?:do|does|did)\s+not\s+have|has not|have not|negative\b)",
    re.I,
)
_QUALIFIERS = (
    "severe",
    "uncontrolled",
    "unstable",
    "decompensated",
    "serious",
    "clinically significant",
    "significant",
    "active",
    "advanced",
    "end-stage",
    "poorly controlled",
    "recurrent",
    "metastatic",
    "acute",
)
_EXCEPT = re.compile(
    r"\b(?:other than|non-?|excluding|except(?:\s+for)?|besides|aside from|apart from)\s*[^,;.)]*", re.I
)
_DRUG_CLASS = re.compile(
    r"['’]?s?\s*(?:[\w-]+\s+)?(?:therapeutic|medication|drug|treatment|therapy|agent|regimen)", re.I
)
_NOT_PREGNANT = re.compile(
    r"non-?\s?pregnant|not\s+(?:be\s+)?pregnant|non-?\s?breast|negative\s+(?:serum\s+|urine\s+)?pregnancy|"
    r"no\s+pregnan|childbearing|child-bearing|contracept",
    re.I,
)
_TREATMENT = re.compile(
    r"\b(treated with|treatment with|therapy with|taking|receiving|use of|using|currently on|on stable|prior|previous|"
    r"received|exposure to|medications?|drugs?|therapy|therapies|treatment)\b",
    re.I,
)


def number(text: str) -> float:
    """A number as criteria write it ("1,500", "2.5")."""
    return float(text.replace(",", ""))


def _window(text: str) -> float | None:
    m = _WINDOW.search(text)
    if m:
        n = m.group(1)
        count = 1 if n is None else _WORDS.get(n.lower(), None) or float(n)
        return float(count) * _DAYS[m.group(2).lower()]
    return None


@lru_cache(maxsize=1)
def _name_patterns() -> dict[str, tuple[re.Pattern[str], dict[str, str]]]:
    """Per lexicon (lab, score, concept): one alternation of every name (longest first) and name -> id."""

    return {
        "lab": _alternation({k: v[0] for k, v in LABS.items()}),
        "score": _alternation({k: v[0] for k, v in SCORES.items()}),
    }


def _alternation(table: dict[str, tuple[str, ...]]) -> tuple[re.Pattern[str], dict[str, str]]:
    owner: dict[str, str] = {}
    for key, names in table.items():
        for n in names:
            owner.setdefault(n.lower(), key)
    alts = "|".join(re.escape(n) for n in sorted(owner, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alts})(?![\w])", re.I), owner


@lru_cache(maxsize=4096)
def _concept_pattern(present: frozenset[str]) -> tuple[re.Pattern[str], dict[str, str]]:
    """The alternation of the names of ``present`` concepts only (in lexicon order, as the full one)."""
    return _alternation({k: v for k, v in CONCEPTS.items() if k in present})


def _first_mentions(kind: str, text: str) -> list[tuple[int, int, str]]:
    """(start, end, id) of the first mention of each id of a lexicon in ``text``, in text order."""
    if kind == "concept":
        # one alternation of the ~1,000 concept names is slow in ``re``; a word-table lookup
        # finds which concepts can match (a superset), and only their names are searched
        present = concepts_in_text(text)
        if not present:
            return []
        pattern, owner = _concept_pattern(frozenset(present))
    else:
        pattern, owner = _name_patterns()[kind]
    seen: dict[str, tuple[int, int, str]] = {}
    for m in pattern.finditer(text):
        key = owner[m.group(0).lower()]
        seen.setdefault(key, (m.start(), m.end(), key))
    return sorted(seen.values())


def _comparison(text: str) -> tuple[str, float, float | None, str | None] | None:
    """(op, value, value2, unit) of the first comparison in ``text``."""
    m = re.search(rf"(?:between|from|of|score of|:)?\s*{_NUM}\s*%?\s*(?:-|–|to|and)\s*{_NUM}\s*{_UNIT}", text, re.I)
    best: tuple[int, tuple[str, float, float | None, str | None]] | None = None
    if m and re.search(r"between|from|range|-|–|to", m.group(0), re.I):
        best = (m.start(), ("range", number(m.group(1)), number(m.group(2)), m.group(3)))
    for op, pattern in _OPS:
        mm = re.search(
            rf"{pattern}\s*(?:a\s+|an\s+|the\s+)?(?:value\s+of\s+|level\s+of\s+|of\s+)?{_NUM}\s*{_UNIT}", text, re.I
        )
        if mm and (best is None or mm.start() < best[0]):
            best = (mm.start(), (op, number(mm.group(1)), None, mm.group(2)))
        post = re.search(rf"{_NUM}\s*{_UNIT}\s*{pattern}", text, re.I) if "or " in pattern else None
        if post and (best is None or post.start() < best[0]):
            best = (post.start(), (op, number(post.group(1)), None, post.group(2)))
    return best[1] if best else None


def _age_check(text: str) -> Check | None:
    low = r"|".join(
        [
            rf"{_NUM}\s*(?:years?|yrs?)?(?:\s*of age)?\s*(?:or|and)\s*(?:older|over|above|greater)",
            rf"{_NUM}\s*\+",
        ]
    )
    lower = text.lower()
    if not re.search(r"\bage[ds]?\b|years? of age|years? old|\byrs?\b|years? or older|\badults?\b", lower):
        return None
    if re.search(r"\bonset\b|\bdiagnosed (?:at|before|after)\b", lower):
        return None  # "age of onset < 40" is about the disease, not the patient's age
    m = re.search(rf"(?:between|from|aged?:?)\s*{_NUM}\s*(?:years?\s*)?(?:-|–|to|and)\s*{_NUM}", lower)
    if m:
        return Check("age", {"low": number(m.group(1)), "high": number(m.group(2))})
    params: dict[str, float] = {}
    m = re.search(low, lower)
    if m:
        params["low"] = number(m.group(1) or m.group(2))
    for op, pattern in _OPS:
        mm = re.search(rf"{pattern}\s*(?:the\s+age\s+of\s+)?{_NUM}\s*(?:years?|yrs?)?", lower)
        if mm:
            v = number(mm.group(1))
            if op in ("ge", "gt") and "low" not in params:
                params["low"] = v if op == "ge" else v + 1e-9
            elif op in ("le", "lt") and "high" not in params:
                params["high"] = v if op == "le" else v - 1e-9
    if not params:
        m = re.search(rf"\bage[ds]?\s*:?\s*{_NUM}\s*(?:years?)?\s*(?:and|or)\s*(?:over|older|above)", lower)
        if m:
            params["low"] = number(m.group(1))
    return Check("age", params) if params else None


def _sex_check(text: str) -> Check | None:
    lower = text.lower()
    if re.search(r"pregnan|lactat|contracept|childbearing|nursing|breast|partner|condom", lower):
        return None
    female = re.search(r"\b(female|females|women|woman|girls?)\b", lower)
    male = re.search(r"\b(male|males|men|man|boys?)\b", lower)
    if female and male:
        return None
    if (female or male) and len(lower) < 80:
        return Check("sex", {"sex": "female" if female else "male"})
    return None


def _concept_checks(text: str, window: float | None, drop: frozenset[str] = frozenset()) -> list[Check]:
    cleaned = _EXCEPT.sub(" ", text)
    found = [(start, c) for start, end, c in _first_mentions("concept", cleaned) if not _DRUG_CLASS.match(cleaned, end)]
    found = [(i, c) for i, c in found if c not in drop]
    if not found:
        return []
    lower = cleaned.lower()
    qualifier = next((q for q in _QUALIFIERS if re.search(rf"\b{re.escape(q)}\b", lower)), None)
    current = bool(re.search(r"\b(current|currently|active|ongoing)\b", lower))
    concepts = [c for _, c in sorted(found)]
    return [Check("concept", {"concepts": concepts, "window_days": window, "qualifier": qualifier, "current": current})]


def _ref_phrases(text: str) -> list[tuple[int, str]]:
    out = []
    pattern = (
        r"(above|exceed\w*|greater than|higher than|over|below|less than|lower than|under|outside|within|abnormal)\s+"
        r"(?:the\s+)?(?:[\w.' ]{0,40}?)(?:upper limit of\s+)?(?:normal|reference)(?:\s+range|\s+limits?)?"
    )
    for m in re.finditer(pattern, text, re.I):
        word = m.group(1).lower()
        ref = "above" if word.startswith(("above", "exceed", "greater", "higher", "over")) else None
        ref = ref or ("below" if word in ("below", "less than", "lower than", "under") else None)
        ref = ref or ("within" if word == "within" else "outside")
        out.append((m.start(), ref))
    return out


def _lab_checks(text: str, window: float | None) -> list[Check]:
    checks: list[Check] = []
    refs = _ref_phrases(text)
    # one alternation, longest names first: "creatinine clearance" is egfr, not creatinine
    mentions = _first_mentions("lab", text)
    params_of: list[dict[str, Any] | None] = []
    for i, (start, end, analyte) in enumerate(mentions):
        nxt = mentions[i + 1][0] if i + 1 < len(mentions) else len(text)
        tail = text[end : min(nxt, end + 90)]
        uln = re.search(
            rf"{_NUM}\s*(?:x|×|times)\s*(?:the\s+)?(?:institutional\s+)?(?:upper limit of normal|uln|normal)",
            tail,
            re.I,
        )
        comp = _comparison(tail)
        params: dict[str, Any] = {"analyte": analyte, "window_days": window}
        if i + 1 < len(mentions) and re.fullmatch(r"\s*(?:/|,|or|and|&)\s*", tail):
            params_of.append({"share_next": True, **params})  # "AST/ALT <= 2.5 x ULN": the next one's bound
            continue
        if uln and comp:
            params.update(op=comp[0] if comp[0] != "range" else "le", value=number(uln.group(1)), uln=True, unit=None)
        elif comp:
            params.update(op=comp[0], value=comp[1], value2=comp[2], unit=comp[3])
        else:
            before = [r for s, r in refs if s <= start]
            after = [r for s, r in refs if s > start]
            if not (before or after):
                continue
            params["ref"] = before[-1] if before else after[0]
        params_of.append(params)
    for i, params in enumerate(params_of):
        if params is None:
            continue
        if params.pop("share_next", False):
            nxt = next((p for p in params_of[i + 1 :] if p and not p.get("share_next")), None)
            if nxt is None:
                continue
            params = {**nxt, "analyte": params["analyte"]}
        checks.append(Check("lab", params))
    return checks


def _score_checks(text: str) -> list[Check]:
    checks = []
    for _, end, score in _first_mentions("score", text):
        tail = text[end : end + 80]
        comp = _comparison(tail)
        if comp is None:
            lst = re.search(r"(?:of|:|status|score)?\s*(\d)\s*(?:,\s*\d\s*)*(?:or|and)\s*(\d)\b", tail)
            if lst:
                values = [int(v) for v in re.findall(r"\d", lst.group(0))]
                comp = ("range", float(min(values)), float(max(values)), None)
            else:
                single = re.search(
                    r"^\s*(?:score|status|ps)?\s*(?:of|:|=)?\s*(\d{1,3})\b(?!\s*(?:-|to|or))", tail, re.I
                )
                if not single:
                    continue
                comp = ("eq", float(single.group(1)), None, None)
        checks.append(Check("score", {"score": score, "op": comp[0], "value": comp[1], "value2": comp[2]}))
    return checks


def _medication_check(text: str, window: float | None) -> Check | None:
    if not _TREATMENT.search(text):
        return None
    terms = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]{4,}", _EXCEPT.sub(" ", text))]
    return Check("medication", {"terms": sorted(set(terms)), "window_days": window}) if terms else None


def parse_checks(text: str, ctype: str = "inclusion", target: frozenset[str] = frozenset()) -> list[Check]:
    """The computable checks stated in one criterion's text (see :func:`_parse_checks`)."""
    return list(_parse_checks(text, ctype, target))


@lru_cache(maxsize=100_000)
def _parse_checks(text: str, ctype: str, target: frozenset[str]) -> tuple[Check, ...]:
    """The computable checks stated in one criterion's text (empty: a text criterion).

    ``target``: the trial's own condition concepts; an exclusion item that names them
    ("prior surgery for Parkinson's disease" in a Parkinson's trial) is about something
    else, so they are not checked there.
    """
    window = _window(text)
    checks: list[Check] = []
    if (age := _age_check(text)) is not None:
        checks.append(age)
    if (sex := _sex_check(text)) is not None:
        checks.append(sex)
    scores = _score_checks(text)
    checks += scores
    if re.search(
        r"pregnan|lactat|breast-?feed|nursing (?:women|mothers|females)|childbearing|child-bearing", text, re.I
    ):
        absent = ctype == "inclusion" and bool(_NOT_PREGNANT.search(text))
        if ctype == "exclusion" or absent:
            checks.append(Check("pregnancy", {"absent": absent}))
    labs = _lab_checks(text, window)
    checks += labs
    if not any(c.kind == "pregnancy" for c in checks):
        concept = _concept_checks(text, window, target if ctype == "exclusion" else frozenset())
        if concept and not (labs and len(concept[0].params["concepts"]) == 0):
            checks += concept
    if not checks and (med := _medication_check(text, window)) is not None:
        checks.append(med)
    return tuple(checks)


_ANY = re.compile(r"\bany of the following\b|\bone of the following\b|\bor\b", re.I)


def parse_criterion(criterion: Criterion, target: frozenset[str] = frozenset()) -> ParsedCriterion:
    """A criterion with its checks, combination (all for inclusion, any for exclusion) and negation.

    ``target``: the trial's own condition concepts (see :func:`parse_checks`).
    """
    checks, combine, negated = _parsed(criterion.text, criterion.type, criterion.parent, target)
    return ParsedCriterion(criterion, checks, combine, negated)


@lru_cache(maxsize=100_000)
def _parsed(
    item: str, ctype: str, parent: str | None, target: frozenset[str]
) -> tuple[tuple[Check, ...], Literal["all", "any"], bool]:
    # cached by text: collections repeat items ("Written informed consent") across trials
    text = f"{parent} {item}" if parent and len(item) < 60 else item
    checks = _parse_checks(text, ctype, target)
    negated = bool(_NEGATED.match(item)) and not any(c.kind in ("age", "sex", "pregnancy") for c in checks)
    combine: Literal["all", "any"] = "all" if ctype == "inclusion" else "any"
    if _ANY.search(text) and all(c.kind in ("concept", "lab") for c in checks):
        combine = "any"
    return checks, combine, negated
