"""Exact nearest-neighbour Tanimoto similarity for sparse binary fingerprints.

A molecule's Morgan fingerprint sets a few dozen of its 2,048 bits, so the overlap
of a query with every reference is the sum of the reference rows of the query's set
bits: ``|q & r| = sum over b in q of R[b, r]``, with ``R`` the transposed reference
bits (one byte per bit). That reads about 40 bytes per query-reference pair instead
of the 2,048 multiply-adds of a dense product, and gives the same Tanimoto values
``|q & r| / (|q| + |r| - |q & r|)`` (checked against the dense formula in the tests).

One :class:`TanimotoIndex` can hold several reference sets one after another
(``segments``): a single pass then yields each query's best similarity within every
set, which is how the ADMET panel scores all endpoints' applicability domains at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["binary_bits", "TanimotoIndex"]


def binary_bits(X: np.ndarray) -> np.ndarray:
    """Fingerprint counts or bits (NaN = 0) as a boolean array of the same shape."""
    return np.nan_to_num(np.asarray(X, dtype=float)) > 0


class TanimotoIndex:
    """Reference fingerprints for repeated exact max-Tanimoto queries.

    Parameters
    ----------
    bits : ndarray of bool, shape (n_reference, n_bits)
    segments : sequence of int, optional
        Sizes of consecutive reference sets (summing to ``n_reference``); default one set.

    Examples
    --------
    >>> index = TanimotoIndex(np.array([[1, 1, 0, 0], [0, 0, 1, 1]], bool))
    >>> index.max_similarity(np.array([[1, 1, 1, 0]], bool)).round(3).tolist()
    [[0.667]]
    """

    def __init__(self, bits: np.ndarray, segments: Sequence[int] | None = None) -> None:
        bits = np.asarray(bits, dtype=bool)
        if bits.ndim != 2:
            raise ValueError(f"bits must be 2-D (n_reference, n_bits), got shape {bits.shape}")
        self._set(np.ascontiguousarray(bits.T, dtype=np.uint8), segments)

    @classmethod
    def from_packed(cls, packed: np.ndarray, n_bits: int, segments: Sequence[int] | None = None) -> TanimotoIndex:
        """The index of ``np.packbits(bits, axis=1)`` (shape (n_reference, ceil(n_bits / 8))).

        Unpacks straight into the bit-major layout the queries read, which is several
        times faster than unpacking rows and transposing them (the ADMET panel builds an
        index of some 70,000 references in every worker).
        """
        packed = np.asarray(packed, dtype=np.uint8)
        if packed.ndim != 2 or packed.shape[1] != -(-n_bits // 8):
            raise ValueError(f"packed must have shape (n, {-(-n_bits // 8)}) for {n_bits} bits, got {packed.shape}")
        index = cls.__new__(cls)
        index._set(np.unpackbits(np.ascontiguousarray(packed.T), axis=0, count=n_bits), segments)
        return index

    def _set(self, by_bit: np.ndarray, segments: Sequence[int] | None) -> None:
        n_reference = by_bit.shape[1]
        sizes = [n_reference] if segments is None else [int(s) for s in segments]
        if sum(sizes) != n_reference or any(s < 1 for s in sizes):
            raise ValueError(f"segments {sizes} must be positive and sum to the {n_reference} reference rows")
        self.n_bits = by_bit.shape[0]
        self.starts = np.cumsum([0, *sizes[:-1]])
        self.by_bit = by_bit
        self.counts = by_bit.sum(axis=0, dtype=np.int32).astype(np.float32)

    @property
    def n_reference(self) -> int:
        return self.by_bit.shape[1]

    def max_similarity(self, query: np.ndarray, *, exclude: np.ndarray | None = None) -> np.ndarray:
        """Best Tanimoto similarity of each query row within each segment, shape (n_query, n_segments).

        Parameters
        ----------
        query : ndarray of bool, shape (n_query, n_bits)
        exclude : ndarray of int, shape (n_query,), optional
            Reference row to ignore for each query (its own row when the query set is
            the reference set); -1 ignores nothing.

        Two empty fingerprints have similarity 1; an empty and a non-empty one 0.
        """
        query = np.asarray(query, dtype=bool)
        if query.ndim != 2 or query.shape[1] != self.n_bits:
            raise ValueError(f"query must have shape (n, {self.n_bits}), got {query.shape}")
        out = np.empty((len(query), len(self.starts)), dtype=np.float32)
        sim = np.empty(self.n_reference, dtype=np.float32)
        denominator = np.empty_like(sim)
        for i, row in enumerate(query):
            on = np.flatnonzero(row)
            if len(on) == 0:
                sim[:] = self.counts == 0
            else:
                overlap = np.add.reduce(self.by_bit[on], axis=0, dtype=np.uint8 if len(on) < 256 else np.uint16)
                np.add(self.counts, len(on), out=denominator)
                denominator -= overlap
                np.divide(overlap, denominator, out=sim)
            if exclude is not None and exclude[i] >= 0:
                sim[exclude[i]] = -1.0
            out[i] = np.maximum.reduceat(sim, self.starts)
        return out
