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
from pharmakon.trials.design.spec import DesignSpec, design_from_spec

__all__ = ["KIND", "save_design", "load_design", "seed_example"]

KIND = "trial_design"


def save_design(
    session: Any,
    *,
    name: str,
    spec: DesignSpec | Mapping[str, Any],
    actor: str,
    reason: str | None = None,
    report: bool = True,
) -> tuple[Any, GroupSequentialDesign]:
    """Compute the design of ``spec`` and store it as a new version of ``trial_design/name``.

    The storage step of :func:`pharmakon.trials.design.service.store_design` (which
    also writes the ``trial.design`` audit event); ``save_object`` audits ``object.save``.

    Returns
    -------
    (ObjectVersion, GroupSequentialDesign)

    Raises
    ------
    InputError
        Invalid spec (nothing is stored).
    """
    from pharmakon.store import save_object

    if not isinstance(spec, DesignSpec):
        spec = DesignSpec.parse(spec)
    design = design_from_spec(spec)
    content = {
        "spec": spec.model_dump(mode="json", exclude_none=True),
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
    """Seed a 3-look O'Brien-Fleming-type design through the service, signed as authored by ``signer``.

    ``signer`` is the demo scientist's ``(username, password)``; ``settings`` is unused.
    """
    from pharmakon.caller import Caller
    from pharmakon.errors import NotFoundError
    from pharmakon.store import get_object, sign
    from pharmakon.trials.design.service import SaveDesignSpec, store_design

    name = "demo-obf-3look"
    try:
        with store.read_session() as session:
            obj = get_object(session, KIND, name)
        return f"trial design {name}@{obj.version} already present"
    except NotFoundError:
        pass
    spec = SaveDesignSpec(
        name=name,
        design=DesignSpec(kmax=3, alpha=0.025, beta=0.2, sided=1, spending="asOF", futility="bsOF", binding=False),
        reason="worked example",
    )
    result = store_design(store, spec, Caller("seed", "python"))
    user, password = signer
    with store.session() as session:
        sign(
            session,
            username=user,
            password=password,
            object_type=KIND,
            object_id=result.stored,
            meaning="authored",
            object_hash=result.content_hash,
            reason="worked example: 3-look O'Brien-Fleming-type design",
        )
    cv = ", ".join(f"{c:.3f}" for c in result.design.critical_values)
    return f"trial design {result.stored}: 3-look asOF/bsOF, critical values {cv}, signed by {user}"
