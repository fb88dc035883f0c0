"""Coverage and warfarin accuracy per biogeographic group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharmakon.errors import InputError
from pharmakon.patients.pgx import dose_cohort, iwpc_mae, read_cohort, warfarin_mae_by_group
from pharmakon.patients.pgx.fairness import read_groups, sample_coverage_by_group
from tests.conftest import MIRROR


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return read_cohort(MIRROR / "iwpc_warfarin" / "warfarin.csv")


def test_mae_by_race_adds_up_to_the_pinned_overall_mae(cohort):
    by = warfarin_mae_by_group(cohort)
    overall = iwpc_mae(cohort)
    assert set(by["group"]) == {"Asian", "Black or African American", "Unknown", "White"}
    assert by["n"].sum() == overall["n"] == 4386
    for alg in ("pharmacogenetic", "clinical", "fixed"):
        weighted = float((by[f"mae_{alg}"] * by["n"]).sum() / by["n"].sum())
        assert weighted == pytest.approx(overall[alg], rel=1e-12)
        assert (by[f"ci_low_{alg}"] < by[f"mae_{alg}"]).all() and (by[f"mae_{alg}"] < by[f"ci_high_{alg}"]).all()
    assert not by["small_group"].any()
    assert warfarin_mae_by_group(cohort, min_group=500)["small_group"].sum() == 2  # Black (n<500) and Unknown


def test_mae_by_group_by_hand():
    base = {
        "PharmGKB Subject ID": "P",
        "Age": "50 - 59",
        "Height (cm)": 170.0,
        "Weight (kg)": 70.0,
        "Amiodarone (Cordarone)": 0,
        "Carbamazepine (Tegretol)": 0,
        "Phenytoin (Dilantin)": 0,
        "Rifampin or Rifampicin": 0,
        "CYP2C9 consensus": "*1/*1",
        "VKORC1 -1639 consensus": "G/G",
    }
    rows = [{**base, "Race": "White", "Therapeutic Dose of Warfarin": d} for d in (20.0, 40.0)]
    rows.append({**base, "Race": "Asian", "Therapeutic Dose of Warfarin": 30.0})
    frame = pd.DataFrame(rows)
    pred = dose_cohort(frame)["pgx_dose_mg_week"].to_numpy()
    by = warfarin_mae_by_group(frame, min_group=2).set_index("group")
    assert by.loc["White", "mae_pharmacogenetic"] == pytest.approx((abs(pred[0] - 20) + abs(pred[1] - 40)) / 2)
    assert by.loc["White", "mae_fixed"] == pytest.approx(10.0)
    assert by.loc["Asian", "small_group"] and not by.loc["White", "small_group"]
    assert np.isnan(by.loc["Asian", "ci_low_fixed"])  # one patient: no interval


def test_sample_coverage_by_group():
    summary = pd.DataFrame(
        {
            "sample": ["a", "a", "b", "b", "c", "c"],
            "gene": ["X", "Y"] * 3,
            "status": ["called", "uncertain", "called", "called", "incomplete", "not called"],
        }
    )
    out = sample_coverage_by_group(summary, {"a": "G1", "b": "G1", "c": "G2"}, min_group=2).set_index("group")
    assert out.loc["G1", "n_samples"] == 2 and out.loc["G1", "share_any_uncertain"] == 0.5
    assert out.loc["G1", "share_any_not_fully_called"] == 0.5 and not out.loc["G1", "small_group"]
    assert out.loc["G2", "share_any_not_fully_called"] == 1.0 and out.loc["G2", "small_group"]


def test_read_groups(tmp_path):
    f = tmp_path / "g.csv"
    f.write_text("sample,group\ns1,A\ns2,\n")
    assert read_groups(f) == {"s1": "A", "s2": "not given"}
    f.write_text("sample,group\ns1,A\ns1,B\n")
    with pytest.raises(InputError, match="listed twice"):
        read_groups(f)
    f.write_text("id,ancestry\ns1,A\n")
    with pytest.raises(InputError, match="'sample' and 'group'"):
        read_groups(f)
