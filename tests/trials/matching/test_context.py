"""ConText on a blank spaCy pipeline: negation, history, family, hypothetical (Harkema et al. 2009 examples)."""

from __future__ import annotations

import pytest

from pharmakon.trials.matching.context import NoteIndex


@pytest.mark.parametrize(
    ("text", "concept", "flags"),
    [
        ("The patient denies chest pain and has no history of diabetes.", "diabetes", {"negated", "historical"}),
        (
            "No evidence of alcoholic liver disease, varices, hemochromatosis or metabolic liver disease.",
            "liver_disease",
            {"negated"},
        ),
        ("Family history of Alzheimer disease in his mother.", "alzheimer", {"family", "historical"}),
        ("History of asthma since childhood.", "asthma", {"historical"}),
        ("Return if symptoms of pneumonia develop.", "pneumonia", {"hypothetical"}),
        ("Possible depression.", "depression", {"possible"}),
        ("57-year-old man with Parkinson disease.", "parkinson", set()),
        ("No fever but he has hypertension.", "hypertension", set()),  # "but" ends the negation's scope
    ],
)
def test_flags(text: str, concept: str, flags: set[str]) -> None:
    mentions = NoteIndex(text).concept(concept)
    assert mentions, f"{concept} not found in {text!r}"
    m = mentions[-1]
    found = {f for f in ("negated", "hypothetical", "historical", "family", "possible") if getattr(m, f)}
    assert found == flags
    assert m.affirmed == (not flags or flags == {"historical"})
