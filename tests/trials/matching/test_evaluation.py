"""Ranking metrics against hand-computed values and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from pharmakon.trials.matching.evaluation import auroc, ndcg_at, precision_at, reciprocal_rank, topic_metrics


def test_ndcg_matches_hand_value_and_sklearn() -> None:
    ranked = [2, 0, 1, 2, 0]
    # DCG = 2/log2(2) + 0 + 1/log2(4) + 2/log2(5); ideal 2, 2, 1 -> 2 + 2/log2(3) + 1/log2(4)
    dcg = 2 + 0.5 + 2 / np.log2(5)
    idcg = 2 + 2 / np.log2(3) + 0.5
    assert ndcg_at(ranked, ranked, k=10) == pytest.approx(dcg / idcg)
    scores = -np.arange(len(ranked), dtype=float)
    assert ndcg_at(ranked, ranked, k=3) == pytest.approx(ndcg_score([ranked], [scores], k=3))


def test_precision_mrr_auroc() -> None:
    assert precision_at([2, 1, 2, 0], k=10) == 0.5
    assert reciprocal_rank([0, 1, 2]) == pytest.approx(1 / 3) and reciprocal_rank([0, 1]) == 0.0
    assert auroc([0.9, 0.1, 0.5], [2, 1, 0]) == 1.0 and auroc([0.1], [2]) is None
    m = topic_metrics({"t": [("a", 3.0), ("b", 2.0), ("c", 1.0)]}, {"t": {"a": 1, "b": 2, "c": 0}})
    assert m["mrr"] == 0.5 and m["auroc"] == 0.0 and m["topics"] == 1
