"""Feature typing: integer columns named like an identifier are flagged in the QC warnings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharmakon.core import train_model
from pharmakon.core.lifecycle import identifier_like


@pytest.mark.parametrize("name", ["ID", "id", "study_id", "SubjectID", "record-id", "batch id", "userId"])
def test_integer_codes_named_like_an_id_are_flagged(name):
    note = identifier_like(name, pd.Series([3, 3, 7, 9, np.nan]))
    assert note is not None
    assert f"column {name!r}" in note and "3 distinct in 4 rows" in note and f"--id-col {name}" in note


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("ID", [1.5, 2.0, 3.0]),  # not integer codes
        ("Size", [1, 2, 3]),  # not named like an id
        ("Width", [1, 2, 3]),  # "id" inside a word is not a token
        ("grid", [1, 2, 3]),
        ("ID", [np.nan, np.nan]),  # nothing present
    ],
)
def test_other_columns_are_not_flagged(name, values):
    assert identifier_like(name, pd.Series(values, dtype=float)) is None


def test_training_warns_about_an_id_like_column_and_keeps_it_a_feature():
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame(
        {
            "StudyID": rng.integers(1, 20, n),
            "size": rng.normal(2.0, 0.3, n),
            "material": rng.choice(["gold", "lipid"], n),
        }
    )
    frame["y"] = 2.0 * frame["size"] + rng.normal(0, 0.1, n)
    model = train_model(frame, "y", task="regression", trials=0, models=["ridge"], n_splits=3)
    flagged = [w for w in model.qc["warnings"] if "looks like an identifier" in w]
    assert len(flagged) == 1 and "'StudyID'" in flagged[0]
    assert "StudyID" in model.numeric_cols  # still a feature: the warning informs, it does not decide
    quiet = train_model(frame, "y", task="regression", trials=0, models=["ridge"], n_splits=3, id_cols=["StudyID"])
    assert not any("looks like an identifier" in w for w in quiet.qc["warnings"])
