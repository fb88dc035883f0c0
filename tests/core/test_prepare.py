"""The one-pass numeric preprocessing used at predict time equals scikit-learn's transform."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharmakon.core.lifecycle import _prepare
from pharmakon.core.zoo import make_preprocessor


@pytest.mark.parametrize("with_missing", [True, False])
def test_numeric_fast_path_equals_column_transformer(with_missing):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.poisson(0.3, (200, 40)).astype(float), columns=[f"f{i}" for i in range(40)])
    X.iloc[::7, 3] = np.nan  # missing values: median-imputed
    X["all_missing"] = np.nan
    X["logp"], X["mw"] = rng.normal(2, 1, 200), rng.normal(350, 80, 200)  # continuous: standardised
    prep = make_preprocessor(list(X.columns), []).fit(X)
    new = X.sample(50, random_state=1).copy()
    new.iloc[1, new.columns.get_loc("mw")] = 1e6  # far outside training: clipped on both routes
    new.iloc[2, new.columns.get_loc("logp")] = -1e6
    if with_missing:
        new.iloc[0, :5] = np.nan
    else:
        new = new.fillna(2.0)
    want = prep.transform(new)

    def slow_route(_):
        raise AssertionError("the all-numeric preprocessor should not need scikit-learn's transform")

    prep.transform = slow_route
    np.testing.assert_array_equal(_prepare(prep, new), want)
    np.testing.assert_array_equal(_prepare(prep, new, new.to_numpy(dtype=float)), want)


def test_other_preprocessors_take_scikit_learns_route(cls_model, patients):
    prep = cls_model.pipeline[0]  # numeric and categorical columns: one-hot encoding, no shortcut
    X, _, _ = cls_model.design(patients.drop(columns=["response", "outcome"]))
    np.testing.assert_array_equal(_prepare(prep, X), prep.transform(X))
