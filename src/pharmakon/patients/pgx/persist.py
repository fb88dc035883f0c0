"""Store PGx reports as versioned objects (``kind="pgx_report"``) and the seeded worked example."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pharmakon.patients.pgx.report import call_vcf, report_html

__all__ = ["KIND", "save_report", "seed_example"]

KIND = "pgx_report"


def _safe_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.:@+-]", "-", text).strip("-")
    return name if name and name[0].isalnum() else f"r-{name}"


def save_report(
    session: Any, report: dict, *, name: str | None = None, actor: str, source: str, reason: str | None = None
) -> Any:
    """Save one sample report (JSON content + HTML artifact); audited by the store as ``object.save``.

    Parameters
    ----------
    session : store session
    report : dict from :func:`pharmakon.patients.pgx.call_vcf`
    name : object name (default: the sample name)
    actor : who saves it
    source : where the genotypes came from (file name and SHA-256), kept in the content
    """
    from pharmakon.store import save_object

    content = {"report": json.loads(json.dumps(report, default=str)), "source": source}
    return save_object(
        session,
        kind=KIND,
        name=_safe_name(name or report["sample"]),
        content=content,
        actor=actor,
        artifacts={"report.html": report_html(report).encode()},
        reason=reason,
    )


def seed_example(store: Any, settings: Any, *, actor: str = "seed") -> str:
    """Call PharmCAT's example VCF (+ its CYP2D6 outside call), store the report, dose IWPC warfarin."""
    from pharmakon.datasets import fetch
    from pharmakon.errors import NotFoundError
    from pharmakon.hashing import sha256_file
    from pharmakon.patients.pgx.warfarin import iwpc_mae, read_cohort
    from pharmakon.store import get_object, record_event

    name = "demo-pharmcat-example2"
    with store.session() as session:
        try:
            obj = get_object(session, KIND, name)
            return f"pgx report {name}@{obj.version} already present"
        except NotFoundError:
            pass
    folder = Path(fetch("pharmcat", settings=settings)) / "example_report"
    vcf = folder / "pharmcat.example2.vcf"
    (report,) = list(call_vcf(vcf, folder / "pharmcat.example.outsideCall.tsv"))
    cohort = Path(fetch("iwpc_warfarin", settings=settings)) / "warfarin.csv"
    mae = iwpc_mae(read_cohort(cohort))
    with store.session() as session:
        obj = save_report(
            session,
            report,
            name=name,
            actor=actor,
            source=f"{vcf.name} sha256:{sha256_file(vcf)}",
            reason="worked example: PharmCAT example2 VCF + CYP2D6 outside call",
        )
        record_event(
            session,
            actor=actor,
            action="pgx.warfarin",
            object_type="dataset",
            object_id="iwpc_warfarin",
            inputs={"warfarin.csv": sha256_file(cohort)},
            outputs={k: f"{v:.4f}" for k, v in mae.items()},
            params={"algorithms": "IWPC 2009 pharmacogenetic, clinical, fixed 35 mg/week"},
        )
    cyp = report["genes"]["CYP2C19"]
    return (
        f"pgx report {name}@{obj.version}: CYP2C19 {'/'.join(cyp['diplotypes'])} {cyp['phenotype']}, "
        f"{len(report['recommendations'])} recommendations; IWPC warfarin MAE (n={mae['n']}) "
        f"{mae['pharmacogenetic']:.2f} / {mae['clinical']:.2f} / {mae['fixed']:.2f} mg/week"
    )
