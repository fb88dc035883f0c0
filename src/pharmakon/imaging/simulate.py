"""Simulated SDTM TU/TR of target-lesion series with a known RECIST 1.1 outcome.

Each subject has 1-5 target lesions (about one in four a lymph node, measured by its
short axis) and ``visits`` follow-ups 6 weeks apart. Its sum of diameters follows a
path drawn from a few archetypes (shrinking, growing, stable, shrink then regrow,
complete disappearance); lesion sizes are rounded to 0.1 mm. The expected per-visit
response is computed from the path with the RECIST 1.1 rules independently of
:mod:`pharmakon.imaging.recist` (a plain loop over the sums), so the two can be compared.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

__all__ = ["simulate_sdtm", "expected_responses"]

ARCHETYPES = ("shrink", "grow", "stable", "regrow", "vanish")


def _path(kind: str, visits: int, rng: np.random.Generator) -> np.ndarray:
    """Multiplicative factors of each lesion's baseline size per follow-up (visits,)."""
    t = np.arange(1, visits + 1)
    if kind == "shrink":
        f = 1 - rng.uniform(0.1, 0.2) * t
    elif kind == "grow":
        f = 1 + rng.uniform(0.05, 0.15) * t
    elif kind == "stable":
        f = 1 + rng.normal(0, 0.05, visits)
    elif kind == "regrow":
        f = np.where(t <= visits // 2, 1 - 0.2 * t, 1 - 0.2 * (visits // 2) + 0.25 * (t - visits // 2))
    else:
        f = np.where(t >= 2, 0.0, 0.5)
    return np.clip(f, 0.0, None)


def simulate_sdtm(n_subjects: int, visits: int = 4, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(TU, TR) frames of ``n_subjects`` simulated subjects (investigator reads)."""
    rng = np.random.default_rng(seed)
    tu_rows, tr_rows = [], []
    start = date(2020, 1, 6)
    for s in range(n_subjects):
        usubjid = f"SIM-{s:06d}"
        n_les = int(rng.integers(1, 6))
        nodes = rng.random(n_les) < 0.25
        base = np.where(nodes, rng.uniform(15, 40, n_les), rng.uniform(10, 60, n_les))
        kind = ARCHETYPES[int(rng.integers(len(ARCHETYPES)))]
        factors = _path(kind, visits, rng)
        for i in range(n_les):
            tu_rows.append(
                {
                    "USUBJID": usubjid,
                    "TULNKID": f"T{i + 1:02d}",
                    "TULOC": "LYMPH NODE" if nodes[i] else "LIVER",
                    "TUSTRESC": "TARGET",
                    "VISITNUM": 1,
                }
            )
        for v in range(visits + 1):
            when = (start + timedelta(weeks=6 * v)).isoformat()
            for i in range(n_les):
                size = base[i] if v == 0 else base[i] * factors[v - 1]
                if nodes[i] and v > 0 and kind == "vanish":
                    size = min(size, 8.0)  # a node "disappears" below 10 mm
                tr_rows.append(
                    {
                        "USUBJID": usubjid,
                        "TRLNKID": f"T{i + 1:02d}",
                        "TRTESTCD": "LPERP" if nodes[i] else "LDIAM",
                        "TRSTRESC": f"{size:.1f}",
                        "VISITNUM": v + 1,
                        "VISIT": "BASELINE" if v == 0 else f"WEEK {6 * v}",
                        "TRDTC": when,
                    }
                )
    return pd.DataFrame(tu_rows), pd.DataFrame(tr_rows)


def expected_responses(tu: pd.DataFrame, tr: pd.DataFrame) -> dict[str, list[str]]:
    """Per subject, the RECIST 1.1 target response of each follow-up (plain re-derivation)."""
    node = {(r.USUBJID, r.TULNKID): r.TULOC == "LYMPH NODE" for r in tu.itertuples()}
    tr = tr.assign(value=tr["TRSTRESC"].astype(float))
    out: dict[str, list[str]] = {}
    for usubjid, rows in tr.groupby("USUBJID", sort=True):
        by_visit = rows.groupby("VISITNUM")
        sums = by_visit["value"].sum().to_numpy()
        gone = [
            all((r.value < 10) if node[(usubjid, r.TRLNKID)] else r.value == 0 for r in g.itertuples())
            for _, g in by_visit
        ]
        nadir, resp = sums[0], []
        for v in range(1, len(sums)):
            if sums[v] - nadir >= 5 and sums[v] >= 1.2 * nadir:
                resp.append("PD")
            elif gone[v]:
                resp.append("CR")
            elif sums[v] <= 0.7 * sums[0]:
                resp.append("PR")
            else:
                resp.append("SD")
            nadir = min(nadir, sums[v])
        out[str(usubjid)] = resp
    return out
