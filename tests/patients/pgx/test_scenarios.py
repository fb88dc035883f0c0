"""PharmCAT's own test scenarios (150, extracted from its Java tests) replayed on our caller."""

from __future__ import annotations

import collections

import pytest

from tests.patients.pgx.scenarios import evaluate, scenarios

SCENARIOS = scenarios()


def test_there_are_150_scenarios():
    assert len(SCENARIOS) == 150


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[f"{s['source_file'][:-5]}.{s['test']}" for s in SCENARIOS])
def test_scenario(scenario):
    failures = [(check, detail) for check, status, detail in evaluate(scenario) if status == "fail"]
    assert not failures, failures


def test_checked_assertions_cover_every_diplotype_expectation():
    """Every assertDiplotypePairs / literal diplotype print for our genes is checked, none skipped."""
    status = collections.Counter()
    for s in SCENARIOS:
        for check, st, _ in evaluate(s):
            status[(check, st)] += 1
    assert status[("assertDiplotypePairs", "pass")] >= 60
    assert status[("testPrintCpicCalls", "pass")] >= 30
    assert sum(n for (_, st), n in status.items() if st == "fail") == 0
