"""FAERS-shaped synthetic spontaneous-report data with injected drug-event signals.

Not real data; for benchmarks and tests only. Each report names ``1 + Poisson(lam_drugs)``
drugs and ``1 + Poisson(lam_events)`` events; drug and event frequencies follow Zipf
laws (a few drugs and events dominate, as in FAERS). Events are drawn independently
of drugs given the report's drug class (``n_classes`` classes; each class tilts the event
frequencies by ``exp(Normal(0, class_sd))``, the background heterogeneity of real data),
except for ``n_signals`` injected pairs ``(d, e)``: a report naming drug
``d`` gains event ``e`` with probability ``(rr - 1) * p_e`` (``p_e`` the background
per-report probability of ``e``), so the reporting ratio of the pair is about ``rr``.
Each report also gets a ``sex`` stratum and a ``quarter``. Everything is vectorised
numpy; 20 million rows take well under a minute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SyntheticReports", "make_reports"]


@dataclass
class SyntheticReports:
    """``rows``: long table ``report, drug, event, sex, quarter``; ``truth``: injected pairs with ``rr``."""

    rows: pd.DataFrame
    truth: pd.DataFrame


def _zipf_probs(n: int, s: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def make_reports(
    n_rows: int = 1_000_000,
    *,
    n_drugs: int = 5000,
    n_events: int = 2000,
    n_signals: int = 200,
    rr_choices: tuple[float, ...] = (2.0, 3.0, 5.0),
    zipf_drug: float = 1.1,
    zipf_event: float = 1.0,
    lam_drugs: float = 0.8,
    lam_events: float = 1.2,
    n_quarters: int = 8,
    n_classes: int = 30,
    class_sd: float = 0.7,
    seed: int = 0,
    as_strings: bool = True,
) -> SyntheticReports:
    """Generate about ``n_rows`` (report, drug, event) rows.

    Parameters
    ----------
    n_rows : int
        Target number of rows (the result is within a few per cent).
    n_drugs, n_events : int
        Vocabulary sizes.
    n_signals : int
        Injected pairs, on distinct drugs of rank 10..n_drugs/10 and events of rank 5..n_events/10.
    rr_choices : tuple of float
        Reporting ratios drawn uniformly for the injected pairs.
    seed : int
    as_strings : bool
        Name drugs ``DRUG00001`` and events ``EVENT0001`` (as text, like real extracts).

    Returns
    -------
    SyntheticReports
    """
    rng = np.random.default_rng(seed)
    rows_per_report = (1 + lam_drugs) * (1 + lam_events)
    n_reports = max(int(n_rows / rows_per_report), 10)
    kd = 1 + rng.poisson(lam_drugs, n_reports)
    ke = 1 + rng.poisson(lam_events, n_reports)
    p_drug, p_event = _zipf_probs(n_drugs, zipf_drug), _zipf_probs(n_events, zipf_event)
    drugs = rng.choice(n_drugs, size=int(kd.sum()), p=p_drug).astype(np.int32)
    drug_report = np.repeat(np.arange(n_reports, dtype=np.int32), kd)
    # background heterogeneity: a report's events depend on the class of its first drug
    drug_class = rng.integers(0, n_classes, n_drugs)
    report_class = drug_class[drugs[np.concatenate([[0], np.cumsum(kd)[:-1]])]]
    event_class = np.repeat(report_class, ke)
    events = np.empty(int(ke.sum()), dtype=np.int32)
    for c in range(n_classes):  # loop over a few classes, not over pairs
        tilt = p_event * np.exp(rng.normal(0.0, class_sd, n_events))
        where = np.flatnonzero(event_class == c)
        events[where] = rng.choice(n_events, size=where.size, p=tilt / tilt.sum())
    # injected signals on distinct drugs
    sig_drugs = rng.choice(np.arange(10, max(n_drugs // 10, 11 + n_signals)), n_signals, replace=False)
    sig_events = rng.choice(np.arange(5, max(n_events // 10, 6)), n_signals, replace=True)
    rr = rng.choice(np.asarray(rr_choices, dtype=float), n_signals)
    per_event_report = 1 - (1 - p_event) ** ke.mean()
    lookup = np.full(n_drugs, -1, dtype=np.int64)
    lookup[sig_drugs] = np.arange(n_signals)
    which = lookup[drugs]
    hit = which >= 0
    add = hit.copy()
    add[hit] = rng.random(int(hit.sum())) < np.clip(
        (rr[which[hit]] - 1) * per_event_report[sig_events[which[hit]]], 0, 1
    )
    extra_report, extra_event = drug_report[add], sig_events[which[add]].astype(np.int32)
    # cross product of each report's drugs and events (plus the injected extra events)
    ev_report = np.concatenate([np.repeat(np.arange(n_reports, dtype=np.int32), ke), extra_report])
    ev = np.concatenate([events, extra_event])
    order = np.argsort(ev_report, kind="stable")
    ev_report, ev = ev_report[order], ev[order]
    ke_all = np.bincount(ev_report, minlength=n_reports)
    d_start = np.concatenate([[0], np.cumsum(kd)[:-1]])
    e_start = np.concatenate([[0], np.cumsum(ke_all)[:-1]])
    per = kd * ke_all
    row_report = np.repeat(np.arange(n_reports, dtype=np.int32), per)
    j = np.arange(int(per.sum()), dtype=np.int64) - np.repeat(np.cumsum(per) - per, per)
    kr = ke_all[row_report]
    row_drug = drugs[d_start[row_report] + j // kr]
    row_event = ev[e_start[row_report] + j % kr]
    sex = np.where(rng.random(n_reports) < 0.6, "F", "M")
    quarter = rng.integers(0, n_quarters, n_reports)
    qlabels = np.array([f"{2020 + q // 4}Q{q % 4 + 1}" for q in range(n_quarters)])
    if as_strings:
        dnames = np.array([f"DRUG{i:05d}" for i in range(n_drugs)])
        enames = np.array([f"EVENT{i:04d}" for i in range(n_events)])
        rows = pd.DataFrame(
            {
                "report": row_report,
                "drug": pd.Categorical.from_codes(row_drug, dnames),
                "event": pd.Categorical.from_codes(row_event, enames),
                "sex": pd.Categorical.from_codes((sex[row_report] == "M").astype(np.int8), ["F", "M"]),
                "quarter": pd.Categorical.from_codes(quarter[row_report], qlabels),
            }
        )
        truth = pd.DataFrame({"drug": dnames[sig_drugs], "event": enames[sig_events], "rr": rr})
    else:
        rows = pd.DataFrame({"report": row_report, "drug": row_drug, "event": row_event})
        truth = pd.DataFrame({"drug": sig_drugs, "event": sig_events, "rr": rr})
    return SyntheticReports(rows, truth)
