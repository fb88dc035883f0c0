"""The optional LLM backend: a note with planted identifiers sent to a local echo server; none reaches it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from pharmakon.caller import Caller
from pharmakon.specs import build_spec
from pharmakon.store import Store, list_events
from pharmakon.trials.matching.service import match_trials
from pharmakon.trials.matching.specs import MatchTrialsSpec

PLANTED = [
    "Margaret Okonkwo-Hale",
    "MRN 00482913",
    "617-555-0199",
    "m.okonkwo@example.com",
    "078-05-1120",
    "17 Harbor Street",
    "02134",
    "04/22/2023",
    "https://chart.example.org/78812",
]
NOTE = (
    "Mrs. Margaret Okonkwo-Hale (MRN 00482913) is a 58-year-old woman with type 2 diabetes, admitted 04/22/2023. "
    "She lives at 17 Harbor Street, Boston MA 02134; phone 617-555-0199, e-mail m.okonkwo@example.com, SSN 078-05-1120. "
    "Chart: https://chart.example.org/78812. She has good family support and gave informed consent."
)
TRIAL = {
    "nct_id": "NCT30000001",
    "title": "Diabetes trial",
    "raw_criteria": "Inclusion Criteria:\n- Able to give written informed consent\n- Type 2 diabetes",
}


class _Echo(BaseHTTPRequestHandler):
    bodies: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        type(self).bodies.append(body)
        answer = {
            "choices": [{"message": {"content": json.dumps({"verdict": "met", "evidence": "gave informed consent"})}}]
        }
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def echo_server():
    _Echo.bodies = []
    server = HTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", _Echo.bodies
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("deidentify", [True, False])
def test_no_planted_identifier_reaches_the_endpoint(store: Store, echo_server, deidentify: bool) -> None:
    url, bodies = echo_server
    spec = build_spec(
        MatchTrialsSpec, patients=[{"_id": "pt-1", "text": NOTE}], trials=[TRIAL], llm_url=url, deidentify=deidentify
    )
    result = match_trials(store, spec, Caller("ann", "python"))
    assert bodies, "the text criterion was sent to the LLM"
    for body in bodies:
        for value in PLANTED:
            assert value not in body, f"{value!r} reached the LLM endpoint"
        assert "pt-1" not in body and "type 2 diabetes" in body  # clinical content kept, id not sent
    consent = next(c for c in result.results[0].ranking[0].criteria if "consent" in c.text)
    assert consent.verdict == "met" and consent.evidence.startswith("LLM (local-model)")
    with store.read_session() as session:
        [event], _ = list_events(session, action="match.trials", limit=5)
    assert event.params["llm"]["calls"] == len(bodies) and event.params["llm"]["endpoint"] == url


def test_unreachable_endpoint_leaves_not_enough_information(store: Store) -> None:
    spec = build_spec(
        MatchTrialsSpec, patients=[{"_id": "p", "text": NOTE}], trials=[TRIAL], llm_url="http://127.0.0.1:9/v1"
    )
    result = match_trials(store, spec, Caller("ann", "python"))
    consent = next(c for c in result.results[0].ranking[0].criteria if "consent" in c.text)
    assert consent.verdict == "not enough information" and "LLM call failed" in consent.evidence
