"""Sparse exact Tanimoto search against the dense formula."""

from __future__ import annotations

import numpy as np
import pytest

from pharmakon.core.nearest import TanimotoIndex, binary_bits


def _dense(query: np.ndarray, ref: np.ndarray) -> np.ndarray:
    q, r = query.astype(float), ref.astype(float)
    inter = q @ r.T
    union = q.sum(1)[:, None] + r.sum(1)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 1.0)


@pytest.fixture
def bits():
    rng = np.random.default_rng(7)
    ref = rng.random((300, 512)) < 0.04
    query = rng.random((40, 512)) < 0.04
    ref[5] = False  # an empty reference fingerprint
    query[3] = False  # and an empty query
    query[7] = ref[11]  # an exact duplicate: similarity 1
    return query, ref


def test_matches_dense_formula_per_segment(bits):
    query, ref = bits
    sizes = [100, 1, 199]
    got = TanimotoIndex(ref, sizes).max_similarity(query)
    dense = _dense(query, ref)
    starts = np.cumsum([0, *sizes])
    want = np.stack([dense[:, a:b].max(1) for a, b in zip(starts[:-1], starts[1:])], axis=1)
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert got[7].max() == pytest.approx(1.0)
    assert got[3, 0] == 1.0  # empty query vs the empty reference in segment 0


@pytest.mark.parametrize("n_bits", [512, 509])  # a width that is not a whole number of bytes too
def test_index_from_packed_bits_is_the_same_index(bits, n_bits):
    query, ref = bits[0][:, :n_bits], bits[1][:, :n_bits]
    plain = TanimotoIndex(ref, [100, 200])
    packed = TanimotoIndex.from_packed(np.packbits(ref, axis=1), n_bits, [100, 200])
    np.testing.assert_array_equal(packed.by_bit, plain.by_bit)
    np.testing.assert_array_equal(packed.counts, plain.counts)
    np.testing.assert_array_equal(packed.max_similarity(query), plain.max_similarity(query))
    with pytest.raises(ValueError, match="packed must have shape"):
        TanimotoIndex.from_packed(np.packbits(ref, axis=1), n_bits + 8)


def test_exclude_self_and_many_set_bits():
    rng = np.random.default_rng(1)
    ref = rng.random((50, 1024)) < 0.4  # > 255 set bits per row: wider accumulator
    got = TanimotoIndex(ref).max_similarity(ref, exclude=np.arange(50))[:, 0]
    dense = _dense(ref, ref)
    np.fill_diagonal(dense, -1)
    np.testing.assert_allclose(got, dense.max(1), atol=1e-6)
    assert (got < 1).all()


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="sum to the 3 reference rows"):
        TanimotoIndex(np.ones((3, 8), bool), [1, 1])
    with pytest.raises(ValueError, match=r"shape \(n, 8\)"):
        TanimotoIndex(np.ones((3, 8), bool)).max_similarity(np.ones((2, 9), bool))


def test_binary_bits_treats_missing_as_unset():
    assert binary_bits(np.array([[np.nan, 2.0, 0.0]])).tolist() == [[False, True, False]]
