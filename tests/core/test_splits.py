from __future__ import annotations

import numpy as np
import pytest

from pharmakon.core import (
    cv_folds,
    group_split,
    make_split,
    random_split,
    scaffold_split,
    stratified_split,
    temporal_split,
)
from pharmakon.errors import InputError


def _partition(train, test, n):
    assert len(np.intersect1d(train, test)) == 0
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(n))


def test_random_split_is_seeded():
    a, b = random_split(100, test_size=0.25, seed=3), random_split(100, test_size=0.25, seed=3)
    assert np.array_equal(a[1], b[1]) and len(a[1]) == 25
    assert not np.array_equal(a[1], random_split(100, test_size=0.25, seed=4)[1])
    _partition(*a, 100)


def test_stratified_keeps_class_shares():
    y = np.array([0] * 80 + [1] * 20)
    train, test = stratified_split(y, test_size=0.25, seed=0)
    _partition(train, test, 100)
    assert (y[test] == 1).sum() == 5 and (y[test] == 0).sum() == 20


def test_group_and_scaffold_never_share_a_group():
    groups = np.repeat(np.arange(20), 5)
    for fn in (group_split, scaffold_split):
        train, test = fn(groups.astype(str), test_size=0.2, seed=1)
        _partition(train, test, 100)
        assert not set(groups[train]) & set(groups[test])
        assert 15 <= len(test) <= 25


def test_scaffold_split_puts_big_scaffolds_in_train():
    keys = ["benzene"] * 50 + [f"s{i}" for i in range(50)]
    train, test = scaffold_split(keys, test_size=0.2, seed=0)
    assert set(range(50)) <= set(train.tolist())
    assert len(test) == 20


def test_temporal_split_tests_on_the_latest():
    times = ["2020-01-01", "2021-06-01", "2019-03-03", "2022-02-02", "2018-01-01"]
    train, test = temporal_split(times, test_size=0.4)
    assert test.tolist() == [1, 3]
    with pytest.raises(InputError, match="row 2"):
        temporal_split(["2020-01-01", "not a date", "2021-01-01"])


def test_make_split_errors_name_the_choices():
    with pytest.raises(InputError, match="random"):
        make_split("bogus", n=10)
    with pytest.raises(InputError, match="groups"):
        make_split("scaffold", n=10)
    with pytest.raises(InputError, match="test_size"):
        random_split(10, test_size=1.5)


def test_cv_folds_grouped_and_stratified():
    groups = np.repeat(np.arange(10), 3)
    for tr, te in cv_folds(30, n_splits=5, groups=groups, seed=0):
        assert not set(groups[tr]) & set(groups[te])
    y = np.array([0] * 20 + [1] * 10)
    for _tr, te in cv_folds(30, n_splits=5, y=y, seed=0):
        assert (y[te] == 1).sum() == 2
