"""Worked example seeded by ``pharmakon serve``: CAERS signals and a monitored simulated trial."""

from __future__ import annotations

from typing import Any

from pharmakon.trials.safety.dsmb import dsmb_report_html, run_monitor
from pharmakon.trials.safety.monitoring import Monitor, MonitorRule
from pharmakon.trials.safety.persist import record_alerts, review_signal, save_monitor, save_signal_table
from pharmakon.trials.safety.signals import detect_signals
from pharmakon.trials.safety.simulate import simulate_trial_stream

__all__ = ["seed_example", "DEMO_RULES", "SEED_TABLE", "SEED_TRIAL"]

SEED_ACTOR = "seed"
SEED_TABLE = "caers-openebgm"
SEED_TRIAL = "demo-trial-hepatotoxicity"
#: Rules of the demo trial: one per model.
DEMO_RULES = [
    MonitorRule("hepatotox-bb", event="HEPATOTOXICITY", model="beta_binomial", threshold=1.0, cutoff=0.99),
    MonitorRule("hepatotox-gp", event="HEPATOTOXICITY", model="gamma_poisson", threshold=1.0, cutoff=0.99),
    MonitorRule(
        "hepatotox-maxsprt",
        event="HEPATOTOXICITY",
        model="maxsprt",
        control=None,
        historical_rate=0.002,
        max_expected=40.0,
    ),
]


def seed_example(store: Any, settings: Any) -> str:
    """Signals on the CAERS data from the mirror, one review, and a simulated trial that alerts."""
    from pharmakon.datasets import load

    caers = load("pharmacovigilance", "caers", settings=settings)
    table = caers.rename(columns={"id": "report", "var1": "drug", "var2": "event"})
    # openEBGM's published CAERS example is unstratified; seeding the same setup lets a user
    # compare the workbench with openEBGM's numbers (131 pairs with EB05 >= 2).
    result = detect_signals(table, methods="ebgm,prr,ror,ic")
    top = result.signals("ebgm").iloc[0]
    with store.session() as session:
        save_signal_table(
            session,
            name=SEED_TABLE,
            result=result,
            actor=SEED_ACTOR,
            source={"dataset": "pharmacovigilance", "table": "caers", "format": "caers"},
            reason="worked example: openEBGM's CAERS data",
            reports=table,
        )
    with store.session() as session:
        review_signal(
            session,
            table_name=SEED_TABLE,
            drug=str(top["drug"]),
            event=str(top["event"]),
            status="reviewed",
            reason="demo: reviewed; case series requested",
            actor=SEED_ACTOR,
        )
    records = simulate_trial_stream(80, 0.002, 3.0, event="HEPATOTOXICITY", seed=7)
    monitor = run_monitor(Monitor(list(DEMO_RULES)), records)
    html = dsmb_report_html(monitor, records, title=f"DSMB safety report: {SEED_TRIAL} (simulated)")
    with store.session() as session:
        record_alerts(session, trial=SEED_TRIAL, alerts=monitor.alerts, actor=SEED_ACTOR)
        save_monitor(session, trial=SEED_TRIAL, monitor=monitor, actor=SEED_ACTOR, records=records, report_html=html)
    n_eb05 = int((result.table["eb05"] >= 2).sum())
    return (
        f"safety signals on CAERS ({len(result.table)} pairs, {n_eb05} with EB05 >= 2, as openEBGM) and a "
        f"simulated monitored trial with {len(monitor.alerts)} alert(s)"
    )
