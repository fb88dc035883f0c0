"""``pharmakon nano pbpk`` end to end: the JSON contract and the Parquet layout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


def test_pbpk_json_and_parquet_contract(cli, tmp_path: Path) -> None:
    out = tmp_path / "traj.parquet"
    res = cli(
        "nano",
        "pbpk",
        "--spec",
        "nanoparticle-mouse",
        "--subjects",
        "20",
        "--hours",
        "48",
        "--step",
        "2",
        "--seed",
        "4",
        "--json",
        "-o",
        str(out),
    )
    assert res.exit_code == 0, res.stderr
    body = json.loads(res.stdout)
    for key in ("times", "compartments", "typical", "excreted", "percentiles", "dose", "max_mass_balance_error"):
        assert key in body
    assert body["times"] == [float(t) for t in range(0, 49, 2)]
    names = body["compartments"]
    assert names[0] == "plasma" and "tumor" in names
    assert set(body["typical"]) == set(names) and all(len(v) == 25 for v in body["typical"].values())
    assert set(body["percentiles"]) == {"p5", "p50", "p95"}
    for p in ("p5", "p50", "p95"):
        assert set(body["percentiles"][p]) == set(names)
    lo, mid, hi = (np.array(body["percentiles"][p]["liver"]) for p in ("p5", "p50", "p95"))
    assert np.all(lo <= mid + 1e-15) and np.all(mid <= hi + 1e-15)
    assert body["dose"] == 0.02
    assert body["max_mass_balance_error"] < 1e-6
    total = sum(np.array(v) for v in body["typical"].values()) + np.array(body["excreted"])
    np.testing.assert_allclose(total, body["dose"], rtol=1e-6)
    frame = pd.read_parquet(out)
    assert list(frame.columns) == ["subject", "time", *names, "excreted"]
    assert len(frame) == 20 * 25 and frame["subject"].nunique() == 20
    sums = frame[names].sum(axis=1) + frame["excreted"]
    np.testing.assert_allclose(sums, 0.02, rtol=1e-6)
    # the same seed gives the same population; the median of the file is the JSON's p50
    p50 = frame.groupby("time")["liver"].median().to_numpy()
    np.testing.assert_allclose(p50, mid, rtol=1e-9)


def test_subjects_without_population_are_typical(cli, tmp_path: Path) -> None:
    spec = tmp_path / "one.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "dose": {"amount": 1.0, "into": "plasma"},
                "compartments": [{"name": "plasma", "volume": 1.0, "clearance": 0.5}],
            }
        )
    )
    res = cli("nano", "pbpk", "--spec", str(spec), "--subjects", "3", "--hours", "4", "--json")
    assert res.exit_code == 0, res.stderr
    body = json.loads(res.stdout)
    np.testing.assert_allclose(body["typical"]["plasma"], np.exp(-0.5 * np.arange(5)), rtol=1e-6)
    assert body["percentiles"]["p5"]["plasma"] == body["percentiles"]["p95"]["plasma"]
    assert body["subjects"] == 3
