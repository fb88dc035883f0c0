"""First-stage retrieval over a trial collection: BM25 (bm25s), dense embeddings, and RRF.

Tokenisation of BM25 (the same for the matcher and for the BM25 baseline it is compared
with): bm25s' default regex word tokens, lower-cased, English stop words removed, no
stemming. BM25 parameters are bm25s' defaults (Lucene variant, k1 = 1.5, b = 0.75).

Dense retrieval (behind the ``deep`` extra): WordLlama ``l2_supercat`` (Miller 2024),
static token embeddings distilled from Llama 2's embedding codebook, 256 dimensions,
average-pooled and L2-normalised; cosine similarity. Its weights (16 MB) and tokenizer
ship inside the ``wordllama`` wheel and are loaded from the installed package with
downloads disabled: nothing is fetched at run time.

Hybrid: reciprocal-rank fusion (Cormack, Clarke & Büttcher 2009) of the BM25 and dense
rankings of the whole collection, ``sum(1 / (k + rank))`` with ``k = 60``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from pharmakon.errors import InputError
from pharmakon.trials.matching.documents import Trial

__all__ = [
    "BM25Index",
    "DenseIndex",
    "HybridIndex",
    "Retriever",
    "RETRIEVERS",
    "make_index",
    "rrf",
    "RRF_K",
    "DENSE_HINT",
    "DENSE_MODEL",
    "load_embedder",
    "top_k",
]

#: Reciprocal-rank-fusion constant (Cormack et al. 2009).
RRF_K = 60
RETRIEVERS = ("bm25", "dense", "hybrid")
#: The dense model: WordLlama configuration and dimension (shipped in the wheel).
DENSE_MODEL = {"package": "wordllama", "config": "l2_supercat", "dim": 256}
DENSE_HINT = (
    "the dense and hybrid retrievers need the deep extra (package wordllama, which ships its "
    "model weights): pip install 'pharmakon[deep]'"
)


class Retriever(Protocol):
    """What the matcher needs of a first-stage index (scores indexed like the collection)."""

    ids: list[str]

    def __len__(self) -> int: ...

    def scores(self, query: str) -> np.ndarray: ...

    def top(self, query: str, k: int) -> list[tuple[int, float]]: ...


def top_k(s: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The ``k`` best (index, score) pairs of ``s``, best first (ties broken by collection order)."""
    k = min(k, len(s))
    if k <= 0:
        return []
    idx = np.argpartition(-s, k - 1)[:k] if k < len(s) else np.arange(len(s))
    order = sorted(idx, key=lambda i: (-s[i], i))
    return [(int(i), float(s[i])) for i in order]


class BM25Index:
    """BM25 over the :meth:`Trial.search_text` of a collection.

    Parameters
    ----------
    trials : sequence of Trial
        The collection (order kept: scores are indexed like it).
    """

    name = "bm25"

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
        return top_k(self.scores(query), k)


@lru_cache(maxsize=1)
def load_embedder() -> Any:
    """The WordLlama model from the installed wheel (downloads disabled); :data:`DENSE_HINT` if missing."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError as exc:
        raise InputError(f"{DENSE_HINT} ({exc})", field="retriever") from None
    finally:
        # wordllama calls logging.basicConfig on import; the application's logging stays as it was
        root.handlers[:], root.level = handlers, level
    from pathlib import Path

    # the wheel holds weights/ and tokenizers/; pointing the cache at the package finds both
    # (its own lookup of the packaged tokenizer misses it and would try the network)
    here = Path(wordllama.__file__).parent
    try:
        return WordLlama.load(
            config=DENSE_MODEL["config"], dim=DENSE_MODEL["dim"], cache_dir=here, disable_download=True
        )
    except FileNotFoundError as exc:
        raise InputError(
            f"{DENSE_HINT}; the installed wordllama lacks its bundled model ({exc})", field="retriever"
        ) from None


class DenseIndex:
    """Cosine similarity of WordLlama embeddings (module docstring), clipped at 0.

    Parameters
    ----------
    trials : sequence of Trial
        The collection; each trial's :meth:`Trial.search_text` is embedded once, shape
        ``(n_trials, 256)`` float32, unit rows.
    """

    name = "dense"

    def __init__(self, trials: Sequence[Trial], batch_size: int = 16) -> None:
        self._model = load_embedder()
        self.ids = [t.nct_id for t in trials]
        texts = [t.search_text() for t in trials]
        self._emb = self._embed(texts, batch_size) if texts else np.zeros((0, DENSE_MODEL["dim"]), np.float32)

    def _embed(self, texts: list[str], batch_size: int = 16) -> np.ndarray:
        # batches of similar length: each batch is padded to its longest text
        order = np.argsort([len(t) for t in texts], kind="stable")
        emb = np.empty((len(texts), DENSE_MODEL["dim"]), dtype=np.float32)
        emb[order] = np.asarray(self._model.embed([texts[i] for i in order], batch_size=batch_size), dtype=np.float32)
        norms = np.linalg.norm(emb, axis=1, keepdims=True)
        # a text of unknown tokens only embeds to 0: it stays 0 (no direction) instead of NaN
        return np.divide(emb, norms, out=np.zeros_like(emb), where=norms > 0)

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, query: str) -> np.ndarray:
        """Cosine similarity of ``query`` with every trial, clipped to [0, 1], shape ``(n_trials,)``."""
        if not query.strip() or not len(self.ids):
            return np.zeros(len(self.ids))
        q = self._embed([query])[0]
        return np.clip(self._emb @ q, 0.0, 1.0).astype(float)

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` most similar (index, score) pairs, best first."""
        return top_k(self.scores(query), k)


class HybridIndex:
    """RRF (``k`` = :data:`RRF_K`) of the BM25 and dense rankings of the whole collection.

    ``scores`` are the fused values ``sum(1 / (k + rank))`` (at most ``2 / (k + 1)``).
    """

    name = "hybrid"

    def __init__(self, trials: Sequence[Trial], k: int = RRF_K) -> None:
        self.parts: tuple[Retriever, ...] = (BM25Index(trials), DenseIndex(trials))
        self.ids = [t.nct_id for t in trials]
        self.k = k

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, query: str) -> np.ndarray:
        """Fused score of every trial, shape ``(n_trials,)``; ranks over the full collection, ties by order."""
        fused = np.zeros(len(self.ids))
        for part in self.parts:
            order = np.argsort(-part.scores(query), kind="stable")  # ties keep collection order
            ranks = np.empty(len(order))
            ranks[order] = np.arange(1, len(order) + 1)
            fused += 1.0 / (self.k + ranks)
        return fused

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best fused (index, score) pairs, best first."""
        return top_k(self.scores(query), k)


def make_index(trials: Sequence[Trial], retriever: str = "bm25") -> Retriever:
    """The first-stage index named ``retriever`` (one of :data:`RETRIEVERS`) over ``trials``."""
    if retriever == "bm25":
        return BM25Index(trials)
    if retriever == "dense":
        return DenseIndex(trials)
    if retriever == "hybrid":
        return HybridIndex(trials)
    raise InputError(f"unknown retriever {retriever!r}; choose from {RETRIEVERS}", field="retriever")


def rrf(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal-rank fusion: ``sum(1 / (k + rank))`` over the rankings (rank from 1)."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, 1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return fused
