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


# --------------------------------------------------------------------------- values are checked, never guessed

_PATIENT = {
    "id": "p",
    "race": "White",
    "age": "60 - 69",
    "height_cm": 170.0,
    "weight_kg": 70.0,
    "cyp2c9": "*1/*3",
    "vkorc1_1639": "A/G",
}


def _dose(**change) -> float:
    from pharmakon.patients.pgx.warfarin import WarfarinPatient, patients_frame

    return float(dose_cohort(patients_frame([WarfarinPatient(**{**_PATIENT, **change})]))["pgx_dose_mg_week"][0])


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("race", "Martian", "race 'Martian' is not an IWPC race; accepted: White, Asian, Black or African American"),
        ("race", "Caucasian", "is not an IWPC race"),
        ("cyp2c9", "banana", "CYP2C9 genotype 'banana' is not a star-allele pair; accepted: a star-allele pair"),
        ("cyp2c9", "*1/*3/*2", "is not a star-allele pair"),
        ("vkorc1_1639", "A/C", "VKORC1 -1639 genotype 'A/C' is not recognised; accepted: A/A, A/G"),
        ("age", "sixty", "age 'sixty' is not recognised; accepted: an IWPC decade bin"),
        ("age", "60 - 65", "is not recognised"),
        ("age", "", "age is required"),
    ],
)
def test_a_patient_with_an_unknown_value_is_refused_naming_the_field(field, value, message):
    from pydantic import ValidationError

    from pharmakon.patients.pgx.warfarin import WarfarinPatient

    with pytest.raises(ValidationError) as err:
        WarfarinPatient(**{**_PATIENT, field: value})
    (problem,) = err.value.errors()
    assert problem["loc"] == (field,) and message in problem["msg"]


def test_documented_spellings_are_matched_without_case_and_unknown_is_explicit():
    white = _dose()
    assert _dose(race="white") == white == _dose(race=" WHITE ")
    assert _dose(cyp2c9="*3/*1") == white and _dose(vkorc1_1639="g/a") == white and _dose(age="65") == white
    unknown = _dose(race="Unknown")
    assert unknown != white and _dose(race="") == unknown and _dose(race="unknown") == unknown
    assert _dose(cyp2c9=None) == _dose(cyp2c9="Unknown") == _dose(cyp2c9="*1/*5")  # IWPC: no term for *5
    assert _dose(cyp2c9=None) != white
    assert _dose(vkorc1_1639=None) == _dose(vkorc1_1639="unknown") != white


def _cohort_file(tmp_path, column: str, value: str):
    frame = pd.read_csv(COHORT, dtype=str, nrows=6)
    frame.loc[3, column] = value  # the file's line 5 (header is line 1)
    path = tmp_path / "cohort.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("Race", "Martian", "race 'Martian' is not an IWPC race; accepted: White, Asian, Black or African American"),
        ("CYP2C9 consensus", "banana", "CYP2C9 genotype 'banana' is not a star-allele pair"),
        ("VKORC1 -1639 consensus", "A/C", "VKORC1 -1639 genotype 'A/C' is not recognised"),
        ("Age", "sixty", "age 'sixty' is not recognised"),
        ("Height (cm)", "1.70", "height 1.7 cm is outside 50-250 cm"),
        ("Weight (kg)", "heavy", "weight 'heavy' is not a number (kg)"),
        ("Amiodarone (Cordarone)", "yes", "medication flag 'yes' is not recognised; accepted: 1 (taking)"),
    ],
)
def test_a_cohort_with_an_unknown_value_names_file_row_and_field(tmp_path, column, value, message):
    path = _cohort_file(tmp_path, column, value)
    with pytest.raises(InputError) as err:
        read_cohort(path)
    assert str(err.value).startswith(f"file {path}, row 5, field {column!r}: ") and message in str(err.value)


def test_a_cohort_in_other_case_gives_the_same_doses(tmp_path):
    frame = pd.read_csv(COHORT, dtype=str, nrows=40)
    lower = frame.assign(Race=frame["Race"].str.lower())
    path = tmp_path / "lower.csv"
    lower.to_csv(path, index=False)
    pd.testing.assert_frame_equal(dose_cohort(read_cohort(path)), dose_cohort(read_cohort(COHORT).head(40)))


def test_a_frame_given_in_python_is_checked_too():
    frame = pd.read_csv(COHORT, dtype=str, nrows=3)
    frame.loc[1, "Race"] = "Martian"
    with pytest.raises(InputError, match=r"^row 2, field 'Race': race 'Martian'"):
        dose_cohort(frame)


def test_cli_refuses_a_cohort_typo_and_writes_nothing(cli, tmp_path):
    path = _cohort_file(tmp_path, "CYP2C9 consensus", "banana")
    out = tmp_path / "doses.csv"
    res = cli("pgx", "warfarin", "--cohort", str(path), "-o", str(out))
    assert res.exit_code == 2
    err = " ".join(res.stderr.split())
    assert "row 5, field 'CYP2C9 consensus': CYP2C9 genotype 'banana' is not a star-allele pair" in err
    assert not out.exists()


def test_cli_on_the_iwpc_cohort_gives_the_readme_mae(cli, tmp_path):
    res = cli("pgx", "warfarin", "--cohort", str(COHORT), "-o", str(tmp_path / "d.csv"))
    assert res.exit_code == 0, res.stderr
    out = " ".join(res.stdout.split())  # whatever the terminal width
    assert "MAE (n=4386): pharmacogenetic 8.62, clinical 9.98, fixed 13.26 mg/week" in out
