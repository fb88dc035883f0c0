"""The running monitor's sample rules: one record per sample, in order, flagged never lost."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from pharmakon.process.mspc import DPCAMonitor, PCAMonitor
from pharmakon.process.sources import read_samples
from pharmakon.process.stream import StreamMonitor, persistence_alarm

VARS = ["a", "b", "c"]


@pytest.fixture(scope="module")
def pca() -> PCAMonitor:
    rng = np.random.default_rng(0)
    return PCAMonitor(n_components=2).fit(rng.normal(size=(300, 3)))


def _sample(i: int, **values: object) -> dict:
    return {"index": i, "a": 0.1, "b": -0.2, "c": 0.05, **values}


def test_every_sample_gets_one_record_in_order_with_the_stated_flags(pca) -> None:
    mon = StreamMonitor(pca, VARS)
    samples = [
        _sample(1),
        _sample(2, b=float("nan")),  # NaN
        {"index": 3, "a": 1, "c": 2},  # missing variable
        _sample(4, c="high"),  # text
        _sample(5, extra=1.0),  # extra variable
        _sample(5),  # fine: index 5 was not scored before
        _sample(5),  # duplicate
        _sample(4),  # out of order (4 was flagged, never scored, so not a duplicate)
        _sample(7.5),  # not a whole index
        "line 10: not valid JSON",  # unreadable line from a source
        _sample(8, fault=1, sample=8),  # identifier keys are not variables
    ]
    out, _ = mon.score(samples)
    assert [r["seq"] for r in out] == list(range(1, 12))
    flags = [r["flag"] for r in out]
    assert flags[0] is None and flags[5] is None and flags[10] is None
    assert "NaN" in flags[1] and "b" in flags[1]
    assert flags[2].startswith("missing variable(s) b")
    assert "non-numeric" in flags[3] and "c" in flags[3]
    assert "unknown variable" in flags[4] and "extra" in flags[4]
    assert flags[6] == "duplicate index 5"
    assert flags[7].startswith("out of order: index 4 after 5")
    assert "whole number" in flags[8]
    assert flags[9] == "line 10: not valid JSON"
    for r in out:
        assert set(r) >= {"index", "t2", "spe", "t2_limit", "spe_limit", "alarm", "flag", "contributions"}
        assert (r["t2"] is None) == (r["flag"] is not None)
    assert mon.counts == {"samples": 11, "scored": 3, "flagged": 8, "alarms": 0, "onsets": 0}


def test_batches_and_single_samples_give_the_same_records(pca) -> None:
    rng = np.random.default_rng(1)
    rows = [dict(zip(VARS, v, strict=True), index=i) for i, v in enumerate(rng.normal(size=(60, 3)) * 3, 1)]
    rows[10]["a"] = None
    whole, _ = StreamMonitor(pca, VARS, k=2, n=3).score(rows)
    one = StreamMonitor(pca, VARS, k=2, n=3)
    single = [one.score([r])[0][0] for r in rows]
    assert whole == single


def test_persistence_k_of_n_and_alarm_onsets(pca) -> None:
    assert persistence_alarm(np.array([1, 0, 1, 1, 0, 0, 0, 0], bool), 2, 3).tolist() == [
        False, False, True, True, True, False, False, False,
    ]  # fmt: skip
    mon = StreamMonitor(pca, VARS, k=2, n=3)
    normal, fault = _sample(0), {"a": 40.0, "b": -40.0, "c": 40.0}
    seq = [normal] * 3 + [fault] * 4 + [normal] * 5 + [fault] * 3
    out, onsets = mon.score([{**s, "index": i} for i, s in enumerate(seq, 1)])
    alarms = [r["alarm"] for r in out]
    assert alarms[:4] == [False] * 4 and alarms[4:8] == [True] * 4 and not any(alarms[9:13])
    assert [o.index for o in onsets] == [5, 14]
    shares = out[5]["contributions"]
    assert set(shares) == set(VARS) and sum(shares.values()) == pytest.approx(1, abs=1e-3)
    assert out[0]["contributions"] is None


def test_dynamic_pca_warms_up_on_its_lags() -> None:
    rng = np.random.default_rng(2)
    est = DPCAMonitor(n_components=2, lags=2).fit(rng.normal(size=(200, 3)))
    mon = StreamMonitor(est, VARS, lags=2)
    out, _ = mon.score([_sample(i) for i in range(1, 6)])
    assert [r["flag"] is not None for r in out] == [True, True, False, False, False]
    assert out[0]["flag"].startswith("warm-up")
    x = np.array([[0.1, -0.2, 0.05]] * 3)
    t2, _ = est.statistics(x.reshape(1, -1))
    assert out[2]["t2"] == pytest.approx(t2[0], abs=1e-6)  # records keep 6 decimals


def test_sources_read_csv_jsonl_and_stdin(tmp_path) -> None:
    csv = tmp_path / "s.csv"
    csv.write_text("index,a,b,c\n1,0.1,0.2,0.3\n\n2,0.1,,0.3\n3,1,2,3,4\n")
    got = list(read_samples(csv))
    assert got[0] == {"index": "1", "a": "0.1", "b": "0.2", "c": "0.3"}
    assert got[1]["b"] == "" and "fields but the header has" in got[2]
    lines = io.StringIO(json.dumps({"a": 1}) + "\n[1,2]\n{bad\n")
    got = list(read_samples("-", stdin=lines))
    assert got[0] == {"a": 1} and "JSON object" in got[1] and "not valid JSON" in got[2]


def test_follow_reads_lines_appended_while_running(tmp_path) -> None:
    import threading
    import time

    path = tmp_path / "live.jsonl"
    path.write_text('{"a": 1}\n')

    def append() -> None:
        time.sleep(0.2)
        with path.open("a") as f:
            f.write('{"a": 2')  # a half-written line waits for its newline
            f.flush()
            time.sleep(0.2)
            f.write("}\n")

    threading.Thread(target=append).start()
    got = list(read_samples(path, follow=True, idle_timeout=1.0))
    assert got == [{"a": 1}, {"a": 2}]


def test_batch_scoring_equals_sample_by_sample_with_every_kind_of_bad_sample() -> None:
    """The vectorised batch path and one-sample calls agree record for record (dynamic PCA, k of n, alarms)."""
    rng = np.random.default_rng(3)
    train = rng.normal(size=(300, 4)).cumsum(axis=0) * 0.1 + rng.normal(size=(300, 4))
    names = ["a", "b", "c", "d"]
    est = DPCAMonitor(n_components=3, lags=1, alpha=0.95).fit(train)
    run = rng.normal(size=(200, 4)) + np.r_[np.zeros((100, 4)), np.full((100, 4), 2.5)]
    samples: list = [dict(zip(names, r, strict=True), index=i) for i, r in enumerate(run.tolist(), 1)]
    samples[10]["b"] = float("nan")
    samples[20]["index"] = 19  # duplicate
    samples[30]["index"] = 2  # late
    samples[40].pop("c")
    samples[50]["d"] = "x"
    samples[60]["index"] = "7.5"
    samples[70] = "line 71: not valid JSON"
    samples[80]["extra"] = 1
    samples[120]["index"] = "121"  # text index, still whole: scored
    whole = StreamMonitor(est, names, lags=1, k=2, n=3)
    one = StreamMonitor(est, names, lags=1, k=2, n=3)
    out, onsets = whole.score(samples)
    single, single_onsets = [], []
    for s in samples:
        r, o = one.score([s])
        single += r
        single_onsets += o
    assert out == single and whole.counts == one.counts
    assert [(o.index, o.seq, o.top) for o in onsets] == [(o.index, o.seq, o.top) for o in single_onsets]
    assert [o.t2 for o in onsets] == pytest.approx([o.t2 for o in single_onsets])  # BLAS order: last bits
    flagged = [r["seq"] for r in out if r["flag"] is not None]
    assert flagged == [1, 11, 21, 31, 41, 51, 61, 71, 81]  # warm-up + the eight bad samples
    assert whole.counts["onsets"] >= 1 and all(r["alarm"] for r in out[110:])
