"""ConText (Harkema et al. 2009) on a blank spaCy pipeline: negated, hypothetical, historical, family.

medspaCy, the usual home of ConText, pins spaCy < 3.8 and cannot be installed beside
spaCy 3.8 here, so the algorithm is implemented on ``spacy.blank("en")`` with a
sentencizer and a ``PhraseMatcher``: the trigger lexicon (:data:`TRIGGERS`, after the
default ConText/medspaCy rules) is data; each trigger modifies the tokens in its scope,
which runs from the trigger in its direction (forward, backward, or both) to the
sentence end, a terminating trigger ("but", "however", "presents"...) or ``MAX_SCOPE``
tokens, whichever is first. A pseudo-trigger ("no increase", "not only") blocks the
trigger it overlaps. Every token gets four flags; a target phrase carries the flags of
its tokens.

:class:`NoteIndex` reads a note once (tokens, sentences, flags, concept mentions) so
that many criteria can be checked against it cheaply.

References
----------
Harkema H, Dowling JN, Thornblade T, Chapman WW. ConText: an algorithm for determining
negation, experiencer, and temporal status from clinical reports. J Biomed Inform.
2009;42(5):839-51.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from pharmakon.trials.matching.lexicon import CONCEPTS

__all__ = ["TRIGGERS", "Mention", "NoteIndex", "note_index", "MAX_SCOPE"]

#: Most tokens a trigger reaches (ConText's scope is the rest of the sentence; this only bounds run-ons).
MAX_SCOPE = 40
# (phrase, category, direction); categories NEGATED, HYPOTHETICAL, HISTORICAL, FAMILY,
# POSSIBLE; directions forward, backward, bidirectional, terminate, pseudo.
TRIGGERS: tuple[tuple[str, str, str], ...] = (
    *(
        (p, "NEGATED", "forward")
        for p in (
            "no",
            "not",
            "denies",
            "denied",
            "denying",
            "without",
            "absence of",
            "absent",
            "negative for",
            "free of",
            "no evidence of",
            "no history of",
            "no sign of",
            "no signs of",
            "rules out",
            "ruled out",
            "rule out",
            "never had",
            "never",
            "none",
            "nor",
            "no known",
            "no prior",
            "not have",
            "did not have",
            "does not have",
            "has not had",
            "resolved",
            "no further",
            "fails to reveal",
            "unremarkable for",
            "negative",
        )
    ),
    *(
        (p, "NEGATED", "backward")
        for p in (
            "was ruled out",
            "is ruled out",
            "are ruled out",
            "ruled out",
            "is negative",
            "was negative",
            "were negative",
            "unlikely",
            "not seen",
            "not present",
            "is absent",
            "was absent",
            "free",
            "resolved",
            "denied",
        )
    ),
    *(
        (p, "HYPOTHETICAL", "forward")
        for p in (
            "if",
            "in case",
            "should he",
            "should she",
            "return if",
            "return for",
            "as needed",
            "risk of",
            "at risk for",
            "to prevent",
            "prevention of",
            "screening for",
            "evaluate for",
            "to rule out",
            "concern for",
            "worried about",
            "would like",
            "plan to",
            "planned",
            "consider",
            "considering",
            "candidate for",
        )
    ),
    *(
        (p, "POSSIBLE", "forward")
        for p in (
            "possible",
            "possibly",
            "probable",
            "suspected",
            "suspicion of",
            "questionable",
            "may have",
            "might have",
            "likely",
            "cannot exclude",
            "differential",
            "versus",
            "vs",
            "r/o",
            "query",
        )
    ),
    *(
        (p, "HISTORICAL", "forward")
        for p in (
            "history of",
            "h/o",
            "hx of",
            "previous",
            "previously",
            "prior",
            "past",
            "past medical history",
            "pmh",
            "status post",
            "s/p",
            "former",
            "formerly",
            "remote",
            "childhood",
            "in the past",
            "years ago",
        )
    ),
    *(
        (p, "FAMILY", "forward")
        for p in (
            "family history of",
            "family history",
            "fhx",
            "mother",
            "father",
            "sister",
            "brother",
            "aunt",
            "uncle",
            "grandmother",
            "grandfather",
            "cousin",
            "sibling",
            "siblings",
            "parent",
            "parents",
            "daughter",
            "son",
            "mother's",
            "father's",
            "maternal",
            "paternal",
            # ConText's "other experiencer": people around the patient
            "husband",
            "wife",
            "spouse",
            "partner",
            "boyfriend",
            "girlfriend",
            "friend",
            "roommate",
            "caregiver",
        )
    ),
    *(
        (p, "FAMILY", "backward")
        for p in ("in her mother", "in his mother", "in her father", "in his father", "in the family")
    ),
    *(
        (p, "TERMINATE", "terminate")
        for p in (
            "but",
            "however",
            "although",
            "though",
            "yet",
            "except",
            "apart from",
            "aside from",
            "which",
            "who",
            "presents",
            "presented",
            "presenting",
            "complains",
            "reports",
            "now",
            "currently",
            "today",
            "since",
            ";",
        )
    ),
    *(
        (p, "PSEUDO", "pseudo")
        for p in (
            "no increase",
            "no change",
            "not only",
            "no significant change",
            "not necessarily",
            "not cause",
            "without difficulty",
            "gram negative",
            "not certain if",
            "no further",
            "not been ruled out",
            "not ruled out",
        )
    ),
)
_FLAGS = ("negated", "hypothetical", "historical", "family", "possible")


@dataclass(frozen=True)
class Mention:
    """A concept or phrase found in a note, with its ConText flags and sentence (the evidence)."""

    concept: str
    text: str
    start: int
    end: int
    sentence: str
    negated: bool
    hypothetical: bool
    historical: bool
    family: bool
    possible: bool

    @property
    def affirmed(self) -> bool:
        """Present in the patient: not negated, hypothetical, possible or about a relative."""
        return not (self.negated or self.hypothetical or self.family or self.possible)

    def to_evidence(self) -> str:
        flags = [f for f in _FLAGS if getattr(self, f)]
        return f'"{self.sentence.strip()}"' + (f" [{', '.join(flags)}]" if flags else "")


@lru_cache(maxsize=1)
def _pipeline() -> tuple[Any, Any, Any, dict[str, tuple[str, str]]]:
    import spacy
    from spacy.matcher import PhraseMatcher

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    triggers = PhraseMatcher(nlp.vocab, attr="LOWER")
    meta: dict[str, tuple[str, str]] = {}
    for i, (phrase, category, direction) in enumerate(TRIGGERS):
        key = f"T{i}"
        meta[key] = (category, direction)
        triggers.add(key, [nlp.make_doc(phrase)])
    concepts = PhraseMatcher(nlp.vocab, attr="LOWER")
    for concept, phrases in CONCEPTS.items():
        concepts.add(concept, [nlp.make_doc(p) for p in phrases])
    return nlp, triggers, concepts, meta


class NoteIndex:
    """A note read once: tokens, sentences, ConText flags per token, concept mentions.

    Parameters
    ----------
    text : str
        The note (free text, any length up to the caller's bound).
    """

    def __init__(self, text: str) -> None:
        nlp, trig_matcher, concept_matcher, meta = _pipeline()
        self.text = text
        self.doc = doc = nlp(text)
        n = len(doc)
        self.flags = {f: np.zeros(n, dtype=bool) for f in _FLAGS}
        self._sent_of = np.zeros(n, dtype=np.int32)
        sents = list(doc.sents)
        for i, s in enumerate(sents):
            self._sent_of[s.start : s.end] = i
        self._sents = [(s.start, s.end, s.text) for s in sents]
        self._apply_triggers(trig_matcher(doc), meta)
        self.lower = [t.lower_ for t in doc]
        self.mentions = self._concept_mentions(concept_matcher(doc))

    def _apply_triggers(self, matches: list[tuple[int, int, int]], meta: dict[str, tuple[str, str]]) -> None:
        vocab = self.doc.vocab.strings
        found = [(meta[vocab[m]], s, e) for m, s, e in matches]
        pseudo = [(s, e) for (cat, _), s, e in found if cat == "PSEUDO"]
        terminate = np.zeros(len(self.doc), dtype=bool)
        for (cat, _), s, e in found:
            if cat == "TERMINATE":
                terminate[s:e] = True
        for (cat, direction), s, e in found:
            if cat in ("PSEUDO", "TERMINATE") or any(ps <= s and e <= pe for ps, pe in pseudo):
                continue
            sent_start, sent_end, _ = self._sents[self._sent_of[s]]
            flag = self.flags[cat.lower()]
            if direction in ("forward", "bidirectional"):
                stop = min(sent_end, e + MAX_SCOPE)
                for i in range(e, stop):
                    if terminate[i]:
                        break
                    flag[i] = True
            if direction in ("backward", "bidirectional"):
                stop = max(sent_start, s - MAX_SCOPE)
                for i in range(s - 1, stop - 1, -1):
                    if terminate[i]:
                        break
                    flag[i] = True

    def _mention(self, concept: str, start: int, end: int) -> Mention:
        span = self.doc[start:end]
        flags = {f: bool(self.flags[f][start:end].any()) for f in _FLAGS}
        return Mention(
            concept, span.text, span.start_char, span.end_char, self._sents[self._sent_of[start]][2], **flags
        )

    def _concept_mentions(self, matches: list[tuple[int, int, int]]) -> list[Mention]:
        vocab = self.doc.vocab.strings
        # longest match wins where phrases overlap ("hepatitis c" over "hepatitis")
        matches = sorted(matches, key=lambda m: (m[1], -(m[2] - m[1])))
        out, last_end = [], -1
        for m, s, e in matches:
            if s < last_end:
                continue  # inside a longer match already taken
            out.append(self._mention(vocab[m], s, e))
            last_end = max(last_end, e)
        return out

    def concept(self, concept: str) -> list[Mention]:
        """Mentions of a lexicon concept."""
        return [m for m in self.mentions if m.concept == concept]

    def phrase(self, phrase: str) -> list[Mention]:
        """Mentions of a phrase (case-insensitive, whole tokens)."""
        words = [w for w in re.findall(r"\w+|[^\w\s]", phrase.lower()) if w]
        if not words:
            return []
        k, out = len(words), []
        for i in range(len(self.lower) - k + 1):
            if self.lower[i] == words[0] and self.lower[i : i + k] == words:
                out.append(self._mention(phrase, i, i + k))
        return out


@lru_cache(maxsize=256)
def note_index(text: str) -> NoteIndex:
    """:class:`NoteIndex` of ``text``, cached (the same note is read once per run)."""
    return NoteIndex(text)
