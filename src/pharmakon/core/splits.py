"""Train/test splits and cross-validation folds, reproducible from a seed.

Every split returns two sorted integer index arrays ``(train, test)`` into the input
rows. Scaffold and group splits keep every member of a group on one side; the scaffold
keys themselves come from a domain (``pharmakon.chem.murcko_scaffolds``), so this
module knows nothing about molecules.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pharmakon.errors import InputError

__all__ = [
    "SPLITS",
    "random_split",
    "stratified_split",
    "group_split",
    "scaffold_split",
    "temporal_split",
    "make_split",
    "cv_folds",
]

SPLITS = ("random", "stratified", "scaffold", "group", "temporal")


def _check(n: int, test_size: float) -> int:
    if not 0.0 < test_size < 1.0:
        raise InputError(f"test_size must be in (0, 1), got {test_size!r}", field="test_size")
    if n < 2:
        raise InputError(f"need at least 2 rows to split, got {n}")
    return min(max(1, round(n * test_size)), n - 1)


def _out(test: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    mask = np.zeros(n, dtype=bool)
    mask[test] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def random_split(n: int, *, test_size: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Uniformly random split of ``n`` rows.

    Examples
    --------
    >>> train, test = random_split(10, test_size=0.3, seed=1)
    >>> len(train), len(test)
    (7, 3)
    """
    n_test = _check(n, test_size)
    perm = np.random.default_rng(seed).permutation(n)
    return _out(perm[:n_test], n)


def stratified_split(y: Sequence[object], *, test_size: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random split that keeps each class's share (rounded per class) on both sides."""
    y = np.asarray(y)
    _check(len(y), test_size)
    rng = np.random.default_rng(seed)
    test = []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        k = int(round(len(idx) * test_size))
        if len(idx) >= 2:
            k = min(max(k, 1), len(idx) - 1)
        test.append(rng.permutation(idx)[:k])
    return _out(np.concatenate(test) if test else np.array([], int), len(y))


def group_split(groups: Sequence[object], *, test_size: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Whole groups (patients, sites) go to test in random order until ``test_size`` is reached."""
    groups = np.asarray([str(g) for g in groups], dtype=object)
    n_test = _check(len(groups), test_size)
    uniq, inverse = np.unique(groups, return_inverse=True)
    if len(uniq) < 2:
        raise InputError("a group split needs at least 2 distinct groups", field="groups")
    order = np.random.default_rng(seed).permutation(len(uniq))
    sizes = np.bincount(inverse)
    chosen, count = [], 0
    for g in order:
        if count >= n_test or len(chosen) == len(uniq) - 1:
            break
        chosen.append(g)
        count += sizes[g]
    return _out(np.flatnonzero(np.isin(inverse, chosen)), len(groups))


def scaffold_split(
    scaffolds: Sequence[str | None], *, test_size: float = 0.2, seed: int = 0, balanced: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Scaffold split (Bemis-Murcko keys given): no scaffold is on both sides.

    With ``balanced=True`` (chemprop's "scaffold_balanced"), scaffold sets larger than
    half the test size go to train first and the rest are shuffled with ``seed``, then
    sets fill test until ``test_size``; with ``balanced=False`` sets are taken largest
    first (deterministic; ``seed`` unused). Rows with scaffold None get their own set.
    """
    keys = [s if s is not None else f"__none_{i}" for i, s in enumerate(scaffolds)]
    n_test = _check(len(keys), test_size)
    sets: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        sets.setdefault(key, []).append(i)
    groups = list(sets.values())
    if balanced:
        rng = np.random.default_rng(seed)
        big = [g for g in groups if len(g) > n_test / 2]
        small = [g for g in groups if len(g) <= n_test / 2]
        rng.shuffle(big)  # type: ignore[arg-type]
        rng.shuffle(small)  # type: ignore[arg-type]
        ordered = big + small
        test: list[int] = []
        for g in reversed(ordered):  # small sets fill test first; big ones stay in train
            if len(test) + len(g) <= n_test or not test:
                test += g
            if len(test) >= n_test:
                break
    else:
        ordered = sorted(groups, key=lambda g: (-len(g), g[0]))
        test = []
        for g in ordered[::-1]:
            if len(test) >= n_test:
                break
            test += g
    if len(test) >= len(keys):
        raise InputError("scaffold split put every row in test: too few distinct scaffolds", field="scaffolds")
    return _out(np.array(sorted(test), dtype=int), len(keys))


def temporal_split(times: Sequence[object], *, test_size: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """The latest ``test_size`` share of rows (by ``times``, ties kept together) is the test set."""
    import pandas as pd

    t = pd.Series(
        pd.to_datetime(pd.Series(times), errors="coerce")
        if not np.issubdtype(np.asarray(times).dtype, np.number)
        else pd.Series(times)
    )
    if t.isna().any():
        bad = int(np.flatnonzero(t.isna().to_numpy())[0]) + 1
        raise InputError("time value is missing or not a date", row=bad, field="time")
    n_test = _check(len(t), test_size)
    order = np.argsort(t.to_numpy(), kind="stable")
    cutoff = t.to_numpy()[order[len(t) - n_test]]
    return _out(np.flatnonzero(t.to_numpy() >= cutoff), len(t))


def make_split(
    kind: str,
    *,
    n: int,
    y: Sequence[object] | None = None,
    groups: Sequence[object] | None = None,
    times: Sequence[object] | None = None,
    test_size: float = 0.2,
    seed: int = 0,
):
    """Dispatch on ``kind`` (one of :data:`SPLITS`); ``groups`` are scaffold keys for ``scaffold``."""
    if kind == "random":
        return random_split(n, test_size=test_size, seed=seed)
    if kind == "stratified" and y is not None:
        return stratified_split(y, test_size=test_size, seed=seed)
    if kind in ("scaffold", "group") and groups is not None:
        fn = scaffold_split if kind == "scaffold" else group_split
        return fn(groups, test_size=test_size, seed=seed)
    if kind == "temporal" and times is not None:
        return temporal_split(times, test_size=test_size)
    if kind not in SPLITS:
        raise InputError(f"unknown split {kind!r}; choose one of {list(SPLITS)}", field="split")
    raise InputError(
        f"split {kind!r} needs {'y' if kind == 'stratified' else 'groups' if kind != 'temporal' else 'times'}"
    )


def cv_folds(
    n: int,
    *,
    n_splits: int = 5,
    y: Sequence[object] | None = None,
    groups: Sequence[object] | None = None,
    seed: int = 0,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """K folds: grouped when ``groups`` is given, stratified when ``y`` is, else shuffled K-fold."""
    from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold

    if n_splits < 2 or n_splits > n:
        raise InputError(f"n_splits must be in [2, {n}], got {n_splits}", field="n_splits")
    index = np.arange(n)
    if groups is not None:
        keys = np.asarray([str(g) for g in groups], dtype=object)
        k = min(n_splits, len(np.unique(keys)))
        splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
        return [(tr, te) for tr, te in splitter.split(index, groups=keys)]
    if y is not None:
        codes = np.unique(np.asarray([str(v) for v in y]), return_inverse=True)[1]
        if np.bincount(codes).min() >= n_splits:
            return list(StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(index, codes))
    return list(KFold(n_splits, shuffle=True, random_state=seed).split(index))
