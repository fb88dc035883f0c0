"""IWPC warfarin algorithms: MAE pinned on the IWPC cohort, an independent hand computation, coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharmakon.errors import InputError
from pharmakon.patients.pgx import cpic_warfarin_notes, dose_cohort, iwpc_mae, read_cohort, warfarin_coverage
from tests.conftest import MIRROR

COHORT = MIRROR / "iwpc_warfarin" / "warfarin.csv"


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return read_cohort(COHORT)


def test_mae_matches_the_recomputed_iwpc_figures(cohort):
    mae = iwpc_mae(cohort)
    assert mae["n"] == 4386
    assert mae["pharmacogenetic"] == pytest.approx(8.63, abs=0.01)
    assert mae["clinical"] == pytest.approx(9.98, abs=0.01)
    assert mae["fixed"] == pytest.approx(13.26, abs=0.01)


def test_one_patient_by_hand():
    """Pharmacogenetic dose written out term by term from the IWPC appendix."""
    row = {
        "PharmGKB Subject ID": "P1",
        "Race": "Asian",
        "Age": "60 - 69",
        "Height (cm)": 170.0,
        "Weight (kg)": 70.0,
        "Amiodarone (Cordarone)": 1,
        "Carbamazepine (Tegretol)": np.nan,
        "Phenytoin (Dilantin)": 0,
        "Rifampin or Rifampicin": np.nan,
        "CYP2C9 consensus": "*1/*3",
        "VKORC1 -1639 consensus": "A/G",
    }
    out = dose_cohort(pd.DataFrame([row]))
    sqrt_pgx = 5.6044 - 0.2614 * 6 + 0.0087 * 170 + 0.0128 * 70 - 0.8677 - 0.9357 - 0.1092 - 0.5503
    sqrt_clin = 4.0376 - 0.2546 * 6 + 0.0118 * 170 + 0.0134 * 70 - 0.6752 - 0.5695
    assert out["pgx_dose_mg_week"][0] == pytest.approx(sqrt_pgx**2)
    assert out["clinical_dose_mg_week"][0] == pytest.approx(sqrt_clin**2)
    assert out["fixed_dose_mg_week"][0] == 35.0


def test_missing_categories_and_reasons():
    base = {
        "PharmGKB Subject ID": "P",
        "Race": "Unknown",
        "Age": "90+",
        "Height (cm)": 160.0,
        "Weight (kg)": 60.0,
        "Amiodarone (Cordarone)": 0,
        "Carbamazepine (Tegretol)": 1,
        "Phenytoin (Dilantin)": 0,
        "Rifampin or Rifampicin": 0,
        "CYP2C9 consensus": np.nan,
        "VKORC1 -1639 consensus": np.nan,
    }
    rows = [base, {**base, "PharmGKB Subject ID": "Q", "Height (cm)": np.nan, "Age": np.nan}]
    out = dose_cohort(pd.DataFrame(rows))
    s = 5.6044 - 0.2614 * 9 + 0.0087 * 160 + 0.0128 * 60 - 0.4854 - 0.2188 - 0.1032 + 1.1816
    assert out["pgx_dose_mg_week"][0] == pytest.approx(s**2)
    assert np.isnan(out["pgx_dose_mg_week"][1])
    assert out["not_dosed_reason"][1] == "missing age, height"


def test_bad_cohort(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="missing columns"):
        read_cohort(f)


def test_coverage_by_race(cohort):
    cov = warfarin_coverage(cohort).set_index("group")
    assert set(cov.index) == {"Asian", "Black or African American", "Unknown", "White"}
    assert cov["n"].sum() == len(cohort)
    assert ((cov["share_any_genotype_unknown"] >= 0) & (cov["share_any_genotype_unknown"] <= 1)).all()


def test_cpic_notes():
    genes = {"CYP4F2": {"diplotypes": ["*1/*3"]}, "CYP2C9": {"diplotypes": ["*1/*1"]}, "VKORC1": {"diplotypes": []}}
    notes = cpic_warfarin_notes(genes, ancestry="Black or African American")
    assert any("CYP4F2*3" in n for n in notes) and any("rs12777823" in n for n in notes)
    assert any("not called" in n for n in notes)
