"""First-stage retrieval over a trial collection: BM25 (bm25s) and reciprocal-rank fusion.

Tokenisation (the same for the matcher and for the BM25 baseline it is compared with):
bm25s' default regex word tokens, lower-cased, English stop words removed, no
stemming. BM25 parameters are bm25s' defaults (Lucene variant, k1 = 1.5, b = 0.75).
Dense retrieval (a sentence-embedding model) is not bundled; :func:`rrf` fuses any
rankings a caller has.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pharmakon.trials.matching.documents import Trial

__all__ = ["BM25Index", "rrf", "RRF_K"]

#: Reciprocal-rank-fusion constant (Cormack et al. 2009).
RRF_K = 60


class BM25Index:
    """BM25 over the :meth:`Trial.search_text` of a collection.

    Parameters
    ----------
    trials : sequence of Trial
        The collection (order kept: scores are indexed like it).
    """

    def __init__(self, trials: Sequence[Trial]) -> None:
        import bm25s

        self.ids = [t.nct_id for t in trials]
        corpus = bm25s.tokenize([t.search_text() for t in trials], stopwords="en", show_progress=False)
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every trial for ``query``, shape ``(n_trials,)`` (0 where no term matches)."""
        import bm25s

        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False, return_ids=False)[0]
        return np.asarray(self._bm25.get_scores(tokens), dtype=float) if tokens else np.zeros(len(self.ids))

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best (index, score) pairs, best first (ties broken by collection order)."""
        s = self.scores(query)
        k = min(k, len(s))
        idx = np.argpartition(-s, k - 1)[:k] if k < len(s) else np.arange(len(s))
        order = sorted(idx, key=lambda i: (-s[i], i))
        return [(int(i), float(s[i])) for i in order]


def rrf(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal-rank fusion: ``sum(1 / (k + rank))`` over the rankings (rank from 1)."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, 1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return fused
