"""Split eligibility text into inclusion and exclusion items.

Handles the layouts ClinicalTrials.gov text takes: "Inclusion Criteria:" /
"Exclusion Criteria:" headings (also "Key inclusion criteria", "Criteria for
exclusion"), bullets (``*``, ``-``, ``•``), numbering (``1.``, ``a)``, ``(i)``),
nesting (a child bullet under an item ending in ":" keeps its parent as context), items
on blank-line separated paragraphs, and the older PDQ layout ("DISEASE
CHARACTERISTICS: ... PATIENT CHARACTERISTICS: Age: 18 and over Performance status: ...",
all inclusion, split at its sub-headings). Nothing is dropped: a line the splitter cannot
classify is an item of the current section, and text before any heading is inclusion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["Criterion", "CriterionType", "split_criteria", "MAX_ITEMS", "MAX_ITEM_CHARS"]

CriterionType = Literal["inclusion", "exclusion"]
#: Most items kept per trial (the rest are joined into the last one, never dropped).
MAX_ITEMS = 200
#: Longest item (characters).
MAX_ITEM_CHARS = 2_000

_HEADING = re.compile(
    r"^\s*(?:[-*#•]+\s*)?(?:key\s+|main\s+|general\s+|additional\s+)?"
    r"(?:(?P<inc>inclusion|eligibility)\s+criteria|criteria\s+for\s+(?P<inc2>inclusion)|"
    r"(?P<exc>exclusion)\s+criteria|criteria\s+for\s+(?P<exc2>exclusion)|(?P<exc3>exclusions?))\b\s*:?\s*",
    re.IGNORECASE,
)
_PDQ = re.compile(
    r"^\s*(DISEASE CHARACTERISTICS|PATIENT CHARACTERISTICS|PRIOR CONCURRENT THERAPY|PRIOR THERAPY)\s*:\s*",
)
_PDQ_SUB = re.compile(
    r"\s(?=(?:Age|Sex|Menopausal status|Performance status|Life expectancy|Hematopoietic|Hepatic|Renal|"
    r"Cardiovascular|Pulmonary|Neurologic|Gastrointestinal|Endocrine|Immunologic|Other|Biologic therapy|"
    r"Chemotherapy|Endocrine therapy|Radiotherapy|Surgery|No |At least |Not |Must |Prior |Concurrent )\b)"
)
_BULLET = re.compile(r"^(?P<indent>\s*)(?:[*\-•·▪◦o]\s+|\(?(?:\d{1,3}|[a-zA-Z]|[ivxIVX]{1,4})[.)]\s+)")


@dataclass(frozen=True)
class Criterion:
    """One eligibility item: its text as written, its type, and its parent's text if nested."""

    text: str
    type: CriterionType
    parent: str | None = None
    index: int = 0


def _heading_type(line: str) -> tuple[CriterionType | None, str]:
    m = _HEADING.match(line)
    if m and (len(line) - m.end() < len(line) * 0.8 or not line[m.end() :].strip()):
        kind: CriterionType = "exclusion" if (m.group("exc") or m.group("exc2") or m.group("exc3")) else "inclusion"
        if m.group("exc3") and line[m.end() :].strip() and not line.strip().endswith(":"):
            return None, line  # "Exclusions apply to ..." is a sentence, not a heading
        return kind, line[m.end() :].strip()
    return None, line


def _pieces(text: str) -> list[tuple[str, int, bool]]:
    """(line, indent, bulleted) for each non-empty line, PDQ run-on lines split at sub-headings."""
    out = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not raw.strip():
            out.append(("", 0, False))
            continue
        m = _BULLET.match(raw)
        indent = len(raw) - len(raw.lstrip())
        line = raw[m.end() :] if m else raw.strip()
        out.append((line.strip(), indent, bool(m)))
    return out


def split_criteria(text: str | None) -> list[Criterion]:
    """Inclusion and exclusion items of a criteria text, in order.

    Parameters
    ----------
    text : str or None
        Eligibility text as written (ClinicalTrials.gov ``eligibilityCriteria``).

    Returns
    -------
    list of Criterion
        Empty for an empty text (the caller reports "no criteria text").
    """
    if not text or not text.strip():
        return []
    items: list[Criterion] = []
    section: CriterionType = "inclusion"
    parent: tuple[str, int] | None = None
    paragraph: list[str] = []

    def add(line: str, *, nested_parent: str | None = None) -> None:
        line = re.sub(r"\s+", " ", line).strip(" ;")
        if len(re.sub(r"\W", "", line)) < 2:
            return
        items.append(Criterion(line[:MAX_ITEM_CHARS], section, nested_parent, len(items)))

    def flush() -> None:
        if paragraph:
            add(" ".join(paragraph))
            paragraph.clear()

    for line, indent, bulleted in _pieces(text):
        if not line:
            flush()
            continue
        pdq = _PDQ.match(line)
        if pdq:
            flush()
            section, parent = "inclusion", None
            for part in _PDQ_SUB.split(line[pdq.end() :]):
                add(part)
            continue
        kind, rest = _heading_type(line)
        if kind is not None:
            flush()
            section, parent = kind, None
            if rest:
                add(rest)
            continue
        if bulleted:
            flush()
            if parent is not None and indent > parent[1]:
                add(line, nested_parent=parent[0])
                continue
            add(line)
            parent = (line, indent) if line.endswith(":") else None
        elif line.endswith(":") and len(line) < 200:
            flush()
            add(line)
            parent = (line, indent - 1)
        else:
            paragraph.append(line)
            if line.endswith((".", ";")) or len(" ".join(paragraph)) > 400:
                flush()
    flush()
    if len(items) > MAX_ITEMS:
        tail = " ".join(c.text for c in items[MAX_ITEMS - 1 :])[:MAX_ITEM_CHARS]
        items = [*items[: MAX_ITEMS - 1], Criterion(tail, items[MAX_ITEMS - 1].type, None, MAX_ITEMS - 1)]
    return items
