"""Optional LLM judge for text criteria through any OpenAI-compatible endpoint (off by default).

Only text criteria that the computable checks left at "not enough information" are
sent. Before any call the note is scrubbed with the Safe Harbor scrubber
(:func:`pharmakon.patients.records.deid.scrub_text`, with the patient's known names and
identifiers), whatever was done upstream; the prompt holds the criterion and the
scrubbed note only (no patient id). Each call is counted, and the service writes the
endpoint, model and number of calls into its audit event. An unreachable endpoint or an
answer that is not the expected JSON leaves the verdict at "not enough information".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from pharmakon.patients.records.deid import scrub_text
from pharmakon.patients.records.model import PatientRecord

__all__ = ["LLMJudge", "PROMPT"]

PROMPT = (
    "You judge one clinical-trial eligibility criterion against a de-identified patient note. "
    'Answer with JSON only: {"verdict": "met" | "not met" | "not enough information", "evidence": "<quote>"}.'
)
_VERDICTS = ("met", "not met", "not enough information")


@dataclass
class LLMJudge:
    """An OpenAI-compatible chat-completions endpoint (``base_url`` ends before ``/chat/completions``)."""

    base_url: str
    model: str = "local-model"
    api_key: str | None = None
    timeout_s: float = 30.0
    calls: int = 0
    failures: int = 0
    errors: list[str] = field(default_factory=list)

    def judge(self, criterion: str, patient: PatientRecord) -> tuple[str, str]:
        """(verdict, evidence) for a text criterion; ``not enough information`` on any failure."""
        import httpx

        note = scrub_text(patient.text(), names=patient.names, identifiers=patient.identifiers + [patient.patient_id])
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": PROMPT},
                {"role": "user", "content": f"Criterion: {criterion}\n\nPatient note:\n{note}"},
            ],
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self.calls += 1
        try:
            resp = httpx.post(
                f"{self.base_url.rstrip('/')}/chat/completions", json=body, headers=headers, timeout=self.timeout_s
            )
            resp.raise_for_status()
            content = resp.json()["choices"][0]["message"]["content"]
            found = re.search(r"\{.*\}", content, re.S)
            answer = json.loads(found.group(0)) if found else {}
        except Exception as exc:  # any transport or format problem leaves the criterion undecided
            self.failures += 1
            self.errors.append(type(exc).__name__)
            return "not enough information", f"LLM call failed ({type(exc).__name__})"
        verdict = str(answer.get("verdict", "")).strip().lower()
        if verdict not in _VERDICTS:
            self.failures += 1
            return "not enough information", "LLM answer not understood"
        return verdict, f"LLM ({self.model}): {str(answer.get('evidence', ''))[:500]}"
