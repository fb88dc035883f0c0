"""Soft sensor science: the alignment rule, chemotools preprocessing, PLS with CV components."""

from __future__ import annotations

import numpy as np
import pytest

from pharmakon.process.softsensor import MAX_SHIFT, PLSCV, align_reference, make_preprocessor, wavelength_grid


@pytest.fixture(scope="module")
def fermentation():
    datasets = pytest.importorskip("chemotools.datasets")
    return datasets.load_fermentation_train(), datasets.load_fermentation_test()


def test_alignment_rule_on_the_fermentation_run(fermentation) -> None:
    _, (spectra, hplc) = fermentation
    usable = spectra.std(axis=1).to_numpy() > 0
    assert (~usable).sum() == 3 and not usable[-3:].any()  # the run ends with three blank spectra
    idx = align_reference(len(spectra), hplc["time"].to_numpy(), interval_min=1.25, usable=usable)
    assert len(idx) == 34 == len(set(idx)) and (np.diff(idx) > 0).all()
    # spectrum k at k x 1.25 min: 0.6667 h -> 32, 33.88 h -> 1626.4 (blank) -> nearest usable 1625
    assert idx[0] == 0 and idx[1] == 32 and idx[-1] == 1625
    assert usable[idx].all()
    assert np.abs(idx - hplc["time"].to_numpy() * 60 / 1.25).max() <= MAX_SHIFT


def test_alignment_refuses_a_time_outside_the_run() -> None:
    assert align_reference(10, np.array([0.0, 0.1]), interval_min=6).tolist() == [0, 1]
    with pytest.raises(ValueError, match="no usable spectrum"):
        align_reference(10, np.array([3.0]), interval_min=6)


def test_preprocessing_uses_chemotools_steps(fermentation) -> None:
    from chemotools.scatter import StandardNormalVariate

    (X, _), _ = fermentation
    grid = wavelength_grid(list(X.columns))
    pre = make_preprocessor("baseline+sg1+snv", grid, (950, 1550))
    Z = pre.fit_transform(X.to_numpy())
    assert isinstance(pre.steps[-1][1], StandardNormalVariate)
    assert Z.shape[1] == int(((grid >= 950) & (grid <= 1550)).sum()) - 1 or Z.shape[1] < X.shape[1]
    assert np.allclose(Z.mean(axis=1), 0, atol=1e-9) and np.allclose(Z.std(axis=1), 1, atol=1e-6)
    assert make_preprocessor("none") is None
    with pytest.raises(ValueError, match="unknown preprocessing step 'fft'"):
        make_preprocessor("snv+fft")
    with pytest.raises(ValueError, match="not a wavelength"):
        wavelength_grid(["400", "id"])


def test_pls_with_cv_components_predicts_the_hplc_glucose(fermentation) -> None:
    (X, y), (spectra, hplc) = fermentation
    grid = wavelength_grid(list(X.columns))
    pre = make_preprocessor("baseline+sg1+snv", grid, (950, 1550), scores=10).fit(X.to_numpy())
    model = PLSCV().fit(pre.transform(X.to_numpy()), y["glucose"].to_numpy())
    assert 1 <= model.n_components_ <= 10
    usable = spectra.std(axis=1).to_numpy() > 0
    idx = align_reference(len(spectra), hplc["time"].to_numpy(), usable=usable)
    pred = model.predict(pre.transform(spectra.to_numpy()[idx]))
    truth = hplc["glucose"].to_numpy()
    rmsep = float(np.sqrt(np.mean((truth - pred) ** 2)))
    assert rmsep < 8.0  # g/L; the reference spread is 4-48 g/L (measured 5.2 in bench/process.py)
