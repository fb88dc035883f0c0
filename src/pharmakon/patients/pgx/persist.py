"""Store PGx reports as versioned objects (``kind="pgx_report"``) and the seeded worked example."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pharmakon.patients.pgx.models import SampleReport
from pharmakon.patients.pgx.report import report_html

__all__ = ["KIND", "EXAMPLE_NAME", "object_name", "save_report", "seed_example"]

KIND = "pgx_report"
EXAMPLE_NAME = "demo-pharmcat-example2"


def object_name(text: str) -> str:
    """A valid stored-object name made from a sample name (other characters become ``-``)."""
    name = re.sub(r"[^A-Za-z0-9_.:@+-]", "-", text).strip("-")
    return name if name and name[0].isalnum() else f"r-{name}"


def save_report(
    session: Any,
    report: SampleReport,
    *,
    name: str | None = None,
    actor: str,
    source: str,
    reason: str | None = None,
) -> Any:
    """Save one sample report (JSON content + HTML artifact); audited by the store as ``object.save``.

    Parameters
    ----------
    session : store session
    report : one sample's report (:func:`pharmakon.patients.pgx.call_vcf`)
    name : object name (default: the sample name)
    actor : who saves it
    source : where the genotypes came from (file name and SHA-256), kept in the content
    """
    from pharmakon.store import save_object

    return save_object(
        session,
        kind=KIND,
        name=object_name(name or report.sample),
        content={"report": report.to_dict(), "source": source},
        actor=actor,
        artifacts={"report.html": report_html(report).encode()},
        reason=reason,
    )


def seed_example(store: Any, settings: Any, *, actor: str = "seed") -> str:
    """Call PharmCAT's example VCF (+ its CYP2D6 outside call), store the report, dose IWPC warfarin.

    Both steps go through the PGx service (:mod:`pharmakon.patients.pgx.service`) as
    ``Caller(actor, "python")``, so the example leaves the audit events any channel would.
    """
    from pharmakon.caller import Caller
    from pharmakon.datasets import fetch
    from pharmakon.errors import NotFoundError
    from pharmakon.patients.pgx.service import (
        CallSpec,
        WarfarinCohortSpec,
        call_vcf_file,
        dose_warfarin_cohort,
        get_report,
    )

    try:
        stored = get_report(store, EXAMPLE_NAME)
        return f"pgx report {EXAMPLE_NAME}@{stored.version} already present"
    except NotFoundError:
        pass
    caller = Caller(actor, "python")
    folder = Path(fetch("pharmcat", settings=settings)) / "example_report"
    spec = CallSpec(
        vcf=folder / "pharmcat.example2.vcf",
        outside_call=folder / "pharmcat.example.outsideCall.tsv",
        save=True,
        name=EXAMPLE_NAME,
        reason="worked example: PharmCAT example2 VCF + CYP2D6 outside call",
    )
    called = call_vcf_file(store, spec, caller)
    (report,), (saved,) = called.reports, called.saved
    cohort = Path(fetch("iwpc_warfarin", settings=settings)) / "warfarin.csv"
    mae = dose_warfarin_cohort(store, WarfarinCohortSpec(cohort=cohort), caller).mae_mg_week
    cyp = report.genes["CYP2C19"]
    return (
        f"pgx report {saved.name}@{saved.version}: CYP2C19 {'/'.join(cyp.diplotypes)} {cyp.phenotype}, "
        f"{len(report.recommendations)} recommendations; IWPC warfarin MAE (n={mae.n}) "
        f"{mae.pharmacogenetic:.2f} / {mae.clinical:.2f} / {mae.fixed:.2f} mg/week"
    )
