"""Designs as versioned, signable objects in the store (kind ``trial_design``).

A stored design holds the spec it was made from, the computed boundaries and
characteristics, and its HTML report as an artifact; ``pharmakon audit sign
trial_design NAME@VERSION`` signs it. Nothing is stored when the spec is invalid: the
design is computed first, then saved in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pharmakon.trials.design.characteristics import design_characteristics
from pharmakon.trials.design.groupsequential import GroupSequentialDesign
from pharmakon.trials.design.report import design_report_html
from pharmakon.trials.design.spec import design_from_spec

__all__ = ["KIND", "save_design", "load_design", "seed_example"]

KIND = "trial_design"


def save_design(
    session: Any, *, name: str, spec: Mapping[str, Any], actor: str, reason: str | None = None, report: bool = True
) -> tuple[Any, GroupSequentialDesign]:
    """Compute the design of ``spec`` and store it as a new version of ``trial_design/name``.

    Returns
    -------
    (ObjectVersion, GroupSequentialDesign)

    Raises
    ------
    InputError
        Invalid spec (nothing is stored).
    """
    from pharmakon.store import save_object

    design = design_from_spec(spec)
    content = {
        "spec": dict(spec),
        "design": design.to_dict(),
        "characteristics": design_characteristics(design).to_dict(),
    }
    artifacts = {"report.html": design_report_html(design, name).encode("utf-8")} if report else None
    obj = save_object(session, kind=KIND, name=name, content=content, actor=actor, artifacts=artifacts, reason=reason)
    return obj, design


def load_design(session: Any, name: str, version: int | str | None = None) -> tuple[Any, GroupSequentialDesign]:
    """Read a stored design back: ``(ObjectVersion, GroupSequentialDesign)``."""
    from pharmakon.store import get_object

    obj = get_object(session, KIND, name, version)
    return obj, GroupSequentialDesign(**obj.content["design"])


def seed_example(store: Any, settings: Any, *, signer: tuple[str, str]) -> str:
    """Seed a 3-look O'Brien-Fleming design, signed as authored by the demo scientist."""
    from pharmakon.errors import NotFoundError
    from pharmakon.store import get_object, sign

    name = "demo-obf-3look"
    spec = {
        "kmax": 3,
        "alpha": 0.025,
        "beta": 0.2,
        "sided": 1,
        "spending": "asOF",
        "futility": "bsOF",
        "binding": False,
    }
    user, password = signer
    with store.session() as session:
        try:
            obj = get_object(session, KIND, name)
            return f"trial design {name}@{obj.version} already present"
        except NotFoundError:
            pass
        obj, design = save_design(session, name=name, spec=spec, actor=user, reason="worked example")
        sign(
            session,
            username=user,
            password=password,
            object_type=KIND,
            object_id=f"{name}@{obj.version}",
            meaning="authored",
            object_hash=obj.content_hash,
            reason="worked example: 3-look O'Brien-Fleming-type design",
        )
    cv = ", ".join(f"{c:.3f}" for c in design.critical_values)
    return f"trial design {name}@{obj.version}: 3-look asOF/bsOF, critical values {cv}, signed by {user}"
