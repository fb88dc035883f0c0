"""Several API worker processes writing at once still produce one valid audit chain."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from pharmakon.store import Store, verify_chain
from tests.postgres_server import free_port


@pytest.mark.slow
def test_two_api_workers_one_chain(store: Store, make_user, pharmakon_home) -> None:
    _, _, token = make_user("alice", "admin")
    store.dispose()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "pharmakon.cli.main", "serve", "--port", str(port), "--workers", "2", "--no-seed"],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)

        def add(i: int) -> int:
            body = {"username": f"user{i}", "password": "password-123", "role": "viewer"}
            return httpx.post(
                f"{base}/users", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60
            ).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(add, range(24)))
        assert codes == [201] * 24
    finally:
        server.terminate()
        server.wait(timeout=30)
    with store.read_session() as session:
        report = verify_chain(session)
    assert report.ok, report.problem
    assert report.n_events == 2 + 24
