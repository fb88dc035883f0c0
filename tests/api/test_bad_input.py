"""Bad input to the REST API is a 4xx naming the field, never a 500 (issue 13, probe finding 7).

Python's JSON parser accepts ``NaN``, ``Infinity``, ``1e400`` and lone surrogates, which
FastAPI's default 422 handler then failed to encode (500, connection reset); extreme
numbers in specs and version numbers overflowed the arithmetic or the store.
"""

from __future__ import annotations

import http.client
import json
import threading
import time

import pytest
from fastapi.testclient import TestClient

from pharmakon.api.app import API_PREFIX, json_body_problem
from pharmakon.core.service import PredictSpec
from pharmakon.errors import InputError
from pharmakon.server import create_app
from pharmakon.specs import build_spec
from pharmakon.store import Store
from pharmakon.trials.design.spec import SampleSizeSpec
from pharmakon.trials.safety.specs import StartMonitorSpec

#: What Python's json module reads but JSON does not allow, as body text.
POISONS = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity", "1e400": "1e400", "surrogate": '"\\ud800"'}

#: (method, path, body with X where the poison goes, the field the answer must name): each router with a JSON body.
ROUTES = [
    (
        "post",
        "/audit/signatures",
        '{"object_type": "m", "object_id": "x", "meaning": "approved", "password": X}',
        "password",
    ),
    ("post", "/users", '{"username": X, "role": "viewer", "password": "long-enough"}', "username"),
    ("post", "/users/root/tokens", '{"label": "api", "expires_days": X}', "expires_days"),
    ("post", "/pgx/warfarin", '{"age": X}', "age"),
    ("post", "/models/m/predict", '{"rows": [{"a": 1}, {"a": X}]}', "rows.1.a"),
    ("post", "/models/m/aliases", '{"alias": "staging", "version": X}', "version"),
    ("post", "/safety/tables", '{"name": "t", "rows": [{"report": "1", "drug": X, "event": "e"}]}', "rows.0.drug"),
    ("put", "/safety/monitors/t", '{"rules": [{"name": "r", "threshold": X}]}', "rules.0.threshold"),
    ("post", "/safety/monitors/t/events", '{"records": [{"type": "ae", "subject": "s", "time": X}]}', "records.0.time"),
    ("post", "/trial/designs/compute", '{"alpha": X}', "alpha"),
    ("post", "/trial/designs/d", '{"spec": {"kmax": 2, "gamma": X}}', "spec.gamma"),
    ("post", "/trial/samplesize/survival", '{"hazard_ratio": X, "median2": 6}', "hazard_ratio"),
    ("post", "/trial/simulate", '{"endpoint": "means", "alternative": X}', "alternative"),
    ("post", "/admet/predict", '{"smiles": ["CCO", X]}', "smiles.1"),
    ("post", "/admet/explain", '{"smiles": X}', "smiles"),
]


@pytest.fixture
def client(store: Store) -> TestClient:
    return TestClient(create_app())


@pytest.fixture
def admin(make_user) -> dict[str, str]:
    _, _, token = make_user("root", "admin")
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _send(client: TestClient, method: str, path: str, body: str, headers: dict[str, str]):
    return client.request(method, API_PREFIX + path, content=body.encode("utf-8"), headers=headers)


@pytest.mark.parametrize(("method", "path", "template", "field"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_non_json_values_are_422_naming_the_field(client, admin, method, path, template, field) -> None:
    for name, poison in POISONS.items():
        response = _send(client, method, path, template.replace("X", poison), admin)
        assert response.status_code == 422, (name, response.text)
        body = response.json()
        assert body["field"] == field, (name, body)
        assert body["detail"].startswith(f"field {field!r}: "), body
        expected = "surrogate" if name == "surrogate" else "not a number JSON allows"
        assert expected in body["detail"], body
    # the same route still answers a well-formed request (nothing was left broken)
    assert _send(client, method, path, template.replace("X", "1"), admin).status_code < 500


def test_the_check_finds_the_first_bad_value_and_passes_valid_json() -> None:
    assert json_body_problem(b'{"a": [1, {"b": NaN}], "c": Infinity}') == (
        "field 'a.1.b': NaN is not a number JSON allows: send a finite number (or null)",
        "a.1.b",
    )
    assert json_body_problem(b"NaN")[1] is None
    assert json_body_problem(b'{"k\\udc00": 1}')[1] == "k\udc00"
    assert json_body_problem(b'{"n": 9223372036854775808}')[1] == "n"
    # escapes of real characters (a surrogate pair too), big finite numbers, 64-bit ints, raw UTF-8
    valid = '{"a": "\\u00e9\\ud83d\\ude00", "b": 1e308, "c": -9223372036854775808, "d": "é"}'.encode()
    assert json_body_problem(valid) is None
    assert json_body_problem(b"{not json") is None  # FastAPI answers that one itself


def test_a_validation_error_never_echoes_what_cannot_be_encoded(client, admin) -> None:
    # a lone surrogate in the raw UTF-8 bytes (CESU), which Python decodes with 'surrogatepass'
    body = b'{"spending": "\xed\xa0\x80"}'
    response = client.post(f"{API_PREFIX}/trial/designs/compute", content=body, headers=admin)
    assert response.status_code in (400, 422) and isinstance(response.json()["detail"], str)
    # invalid JSON and a body of the wrong type: one message, no array of pydantic errors
    response = client.post(f"{API_PREFIX}/trial/designs/compute", content=b'{"alpha": ', headers=admin)
    assert response.status_code == 422 and response.json()["detail"].startswith("request body is not valid JSON")
    response = client.post(f"{API_PREFIX}/trial/designs/compute", content=b"[1]", headers=admin)
    assert response.status_code == 422 and response.json()["detail"].startswith("request body: ")
    # a huge string is named, not echoed in full
    big = json.dumps({"alpha": "x" * 100_000})
    response = client.post(f"{API_PREFIX}/trial/designs/compute", content=big, headers=admin)
    assert response.status_code == 422 and len(response.json()["detail"]) <= 1000
    # a typo is named with the closest key
    response = client.post(f"{API_PREFIX}/trial/designs/compute", json={"alhpa": 0.1}, headers=admin)
    assert response.status_code == 422 and "did you mean 'alpha'" in response.json()["detail"]


EXTREMES = [
    ("get", "/trial/designs/d?version=9223372036854775808", None, "version"),
    ("get", "/trial/simulations/s?version=99999999999", None, "version"),
    ("get", "/models/m?version=9223372036854775808", None, "version"),
    ("get", "/models/m/card?version=%C2%B2", None, "version"),  # a Unicode digit
    ("post", "/models/m/aliases", {"alias": "staging", "version": 2**62}, "version"),
    ("post", "/models/m/predict", {"rows": [{"a": [1, 2]}]}, "rows"),
    ("post", "/trial/samplesize/means", {"alternative": 1e308}, "alternative"),
    ("post", "/trial/samplesize/means", {"alternative": 1e-300}, None),
    ("post", "/trial/samplesize/survival", {"hazard_ratio": 1e-308, "median2": 6}, "hazard_ratio"),
    ("post", "/trial/samplesize/survival", {"hazard_ratio": 0.5, "median2": 1e300}, "median2"),
    ("post", "/trial/samplesize/rates", {"pi1": 0.3, "pi2": 0.2, "allocation_ratio": 1e-300}, "allocation_ratio"),
    ("post", "/trial/designs/compute", {"kmax": 2, "spending": "WT", "delta_wt": 1e308}, "delta_wt"),
    ("post", "/trial/designs/compute", {"kmax": 3, "futility_bounds": [1e300, 0]}, "0"),
    ("post", "/trial/simulate", {"endpoint": "means", "alternative": 1e308, "sims": 10}, "alternative"),
    ("post", "/trial/simulate", {"seed": 2**63, "sims": 10}, "seed"),
    ("put", "/safety/monitors/t", {"rules": [{"name": "r", "threshold": "abc"}]}, "threshold"),
    ("put", "/safety/monitors/t", {"rules": [{"name": "r", "cutoff": 2}]}, "cutoff"),
    ("put", "/safety/monitors/t", {"rules": [{"name": "r", "thresold": 2}]}, "thresold"),
    ("put", "/safety/monitors/t", {"rules": [{"name": "r", "max_expected": 1e9}]}, "max_expected"),
    ("put", "/safety/monitors/t", {"rules": [{"threshold": 2}]}, "name"),
    ("get", "/safety/tables/t?offset=100000000000000000000", None, "offset"),
    ("get", "/safety/tables/t?min_n=100000000000000000000", None, "min_n"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), EXTREMES, ids=[f"{m} {p} {b}" for m, p, b, _ in EXTREMES])
def test_extreme_numbers_and_untyped_fields_are_422(client, admin, method, path, body, field) -> None:
    response = client.request(method, API_PREFIX + path, json=body, headers=admin)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert isinstance(problem["detail"], str) and problem["detail"]
    if field is not None:
        assert problem["field"] is not None and problem["field"].split(".")[-1] == field, problem


def test_typed_rules_stay_the_mappings_the_service_reads() -> None:
    spec = build_spec(
        StartMonitorSpec, trial="t", rules=[{"name": "r", "control": None, "historical_rate": 0.01, "threshold": "2"}]
    )
    assert spec.rules == [{"name": "r", "control": None, "historical_rate": 0.01, "threshold": 2.0}]
    with pytest.raises(InputError, match="threshold"):
        build_spec(StartMonitorSpec, trial="t", rules=[{"name": "r", "threshold": float("nan")}])


def test_predict_rows_are_checked_before_predicting() -> None:
    with pytest.raises(InputError, match=r"row 2, column 'extra'"):
        build_spec(PredictSpec, name="m", rows=[{"extra": 1}, {"extra": {"nested": float("nan")}}])
    with pytest.raises(InputError, match="version"):
        build_spec(PredictSpec, name="m", version=2**63, rows=[{"a": 1}])
    # a NaN cell is a missing value (it hashes), and digit strings are version numbers
    spec = build_spec(PredictSpec, name="m", version="2", rows=[{"a": float("nan")}])
    assert spec.version == 2


def test_sample_size_specs_refuse_non_finite_numbers() -> None:
    with pytest.raises(InputError, match="hazard_ratio"):
        SampleSizeSpec.parse({"hazard_ratio": float("inf"), "median2": 6}, endpoint="survival")


def test_the_connection_survives_a_bad_request(store: Store) -> None:
    """A kept-alive connection still answers after a refused request (a 500 used to reset it)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for body in ('{"alpha": NaN}', '{"spending": "\\ud800"}', '{"alpha": 2}'):
            conn.request("POST", f"{API_PREFIX}/trial/designs/compute", body, {"Content-Type": "application/json"})
            sock = conn.sock
            response = conn.getresponse()
            assert response.status in (401, 422) and "detail" in json.loads(response.read())
            assert (response.getheader("connection") or "").lower() != "close"
        conn.request("GET", f"{API_PREFIX}/health")
        assert conn.sock is sock, "the server closed the connection"
        response = conn.getresponse()
        assert response.status == 200 and json.loads(response.read())["status"] == "ok"
        conn.close()
    finally:
        server.should_exit = True
        thread.join(timeout=60)
