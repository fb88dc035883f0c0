"""SDTM as the running-trial safety monitor's stream: enrolments (DM), adverse events (AE), exits (DS).

Time is days since the first subject's RFSTDTC (the trial's calendar), so the stream
replays the trial as it ran. A subject is enrolled at RFSTDTC in its DM ARM (screen
failures and subjects without RFSTDTC are left out); an AE counts at AESTDTC (one
before the subject's enrolment is counted at enrolment: it was recorded while the
subject was on study); the subject exits at its last DS disposition event.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pharmakon.errors import InputError
from pharmakon.trials.cdisc.review_checks import day

__all__ = ["monitor_records", "monitor_rules"]


def monitor_records(data: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """The stream ``[{"type", "subject", "time", "arm"|"event"}]`` sorted by time, shape-checked by the monitor."""
    for name in ("DM", "AE"):
        if name not in data:
            raise InputError(f"the safety feed needs the {name} domain", field=name.lower())
    dm = data["DM"]
    dm = dm.assign(_start=day(dm["RFSTDTC"])).dropna(subset=["_start"])
    dm = dm[~dm["ARM"].isin(["Screen Failure", "Not Assigned"])]
    if dm.empty:
        raise InputError("no randomised subject with RFSTDTC in DM", field="RFSTDTC")
    origin = dm["_start"].min()
    start = dm.set_index("USUBJID")["_start"]
    recs: list[tuple[float, int, dict[str, Any]]] = []
    for u, s, arm in zip(dm["USUBJID"], dm["_start"], dm["ARM"], strict=True):
        recs.append(
            ((s - origin).days, 0, {"type": "enroll", "subject": u, "time": float((s - origin).days), "arm": arm})
        )
    ae = data["AE"]
    ae = ae.assign(_d=day(ae["AESTDTC"]), _s=ae["USUBJID"].map(start)).dropna(subset=["_d", "_s"])
    for u, d, s, term in zip(ae["USUBJID"], ae["_d"], ae["_s"], ae["AEDECOD"], strict=True):
        t = float((max(d, s) - origin).days)
        recs.append((t, 1, {"type": "ae", "subject": u, "time": t, "event": str(term)}))
    ds = data.get("DS")
    if ds is not None:
        ev = ds[ds["DSCAT"] == "DISPOSITION EVENT"].assign(
            _d=lambda f: day(f["DSSTDTC"]), _s=lambda f: f["USUBJID"].map(start)
        )
        ev = ev.dropna(subset=["_d", "_s"]).sort_values("_d").groupby("USUBJID").tail(1)
        for u, d, s in zip(ev["USUBJID"], ev["_d"], ev["_s"], strict=True):
            t = float((max(d, s) - origin).days)
            recs.append((t, 2, {"type": "exit", "subject": u, "time": t}))
    return [r for _, _, r in sorted(recs, key=lambda x: (x[0], x[1]))]


def monitor_rules(data: dict[str, pd.DataFrame], *, event: str, control: str, cutoff: float) -> list[dict[str, Any]]:
    """One beta-binomial rule per treated arm against ``control`` for ``event``."""
    arms = sorted(set(data["DM"]["ARM"].dropna()) - {"Screen Failure", "Not Assigned", control})
    if control not in set(data["DM"]["ARM"]):
        raise InputError(f"control arm {control!r} is not an ARM of DM (arms: {', '.join(arms)})", field="control")
    slug = "".join(ch if ch.isalnum() else "-" for ch in event.lower())
    return [
        {
            "name": f"{slug}-{''.join(ch if ch.isalnum() else '-' for ch in arm.lower())}",
            "event": event,
            "model": "beta_binomial",
            "arm": arm,
            "control": control,
            "threshold": 1.0,
            "cutoff": cutoff,
        }
        for arm in arms
    ]
