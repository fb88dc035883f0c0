"""The one-pass numeric preprocessing used at predict time equals scikit-learn's transform."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pharmakon.core.lifecycle import _prepare
from pharmakon.core.zoo import make_preprocessor


def test_numeric_fast_path_equals_column_transformer():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.poisson(0.3, (200, 40)).astype(float), columns=[f"f{i}" for i in range(40)])
    X.iloc[::7, 3] = np.nan  # missing values: median-imputed
    X["all_missing"] = np.nan
    prep = make_preprocessor(list(X.columns), []).fit(X)
    new = X.sample(50, random_state=1).copy()
    new.iloc[0, :5] = np.nan
    want = prep.transform(new)

    def slow_route(_):
        raise AssertionError("the all-numeric preprocessor should not need scikit-learn's transform")

    prep.transform = slow_route
    np.testing.assert_array_equal(_prepare(prep, new), want)


def test_other_preprocessors_take_scikit_learns_route(cls_model, patients):
    prep = cls_model.pipeline[0]  # numeric and categorical columns: one-hot encoding, no shortcut
    X, _, _ = cls_model.design(patients.drop(columns=["response", "outcome"]))
    np.testing.assert_array_equal(_prepare(prep, X), prep.transform(X))
