"""The registered ADMET panel as a service for the REST API and the workbench.

Lists the registered ``admet.<endpoint>`` models, predicts them for in-memory SMILES
(one ``admet.predict`` audit event per call: count, input and output hashes, model
versions) and explains one molecule's prediction with SHAP.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pharmakon.errors import InputError

__all__ = ["MAX_MOLECULES", "MAX_TOP", "registered_endpoints", "frame_records", "predict_panel", "explain_molecule"]

#: Molecules per in-memory request (files of any size: ``pharmakon admet predict``).
MAX_MOLECULES = 5_000
#: Most SHAP attributions one explanation returns.
MAX_TOP = 25


def registered_endpoints(session: Any) -> list[dict[str, Any]]:
    """Newest version of every registered ``admet.*`` model, in panel order."""
    from pharmakon.chem.admet import ENDPOINTS, MODEL_PREFIX
    from pharmakon.core.registry import list_models

    order = {name: k for k, name in enumerate(ENDPOINTS)}
    out = []
    for obj in list_models(session):
        if not obj.name.startswith(MODEL_PREFIX):
            continue
        name, c = obj.name[len(MODEL_PREFIX) :], obj.content
        known = ENDPOINTS.get(name)
        out.append(
            {
                "name": name,
                "model": obj.name,
                "version": obj.version,
                "task": c["task"],
                "description": known.description if known else f"custom endpoint (target {c['target']})",
                "best_model": c["best"]["model"],
                "cv_metrics": c["cv_metrics"],
                "coverage": (c.get("uncertainty") or {}).get("nominal_coverage"),
                "positive_class": c["classes"][-1] if c.get("classes") else None,
            }
        )
    return sorted(out, key=lambda r: (order.get(r["name"], len(order)), r["name"]))


def frame_records(frame: Any) -> list[dict[str, Any]]:
    """DataFrame -> JSON-ready records (NaN -> None, numpy scalars -> Python)."""
    import json

    return json.loads(frame.to_json(orient="records", double_precision=15))


def predict_panel(
    store: Any,
    smiles: Sequence[object],
    *,
    actor: str,
    channel: str,
    ids: Sequence[str] | None = None,
    endpoints: Sequence[str] | None = None,
    alerts: bool = True,
    parse_errors: Sequence[str] | None = None,
    source: str | None = None,
) -> tuple[Any, list[dict[str, Any]], dict[str, str]]:
    """Predict the registered panel for ``smiles`` and audit it (``admet.predict``).

    Parameters
    ----------
    parse_errors : sequence of str, optional
        Per molecule, why the file reader could not read it ("" when it could); such
        rows get ``status`` ``invalid: <reason>`` (SDF records RDKit cannot parse).
    source : str, optional
        Upload file name, kept in the audit event.

    Returns
    -------
    (DataFrame, list of dict, dict)
        The panel (:func:`pharmakon.chem.panel_io.predict_smiles` columns), the same
        as JSON records, and endpoint -> ``model@version``.
    """
    import numpy as np

    from pharmakon.chem.admet import load_panel
    from pharmakon.chem.panel_io import shared_panel
    from pharmakon.hashing import sha256_json
    from pharmakon.store import record_event

    if len(smiles) > MAX_MOLECULES:
        raise InputError(
            f"at most {MAX_MOLECULES:,} molecules per request, got {len(smiles):,}; split the batch "
            "or use `pharmakon admet predict FILE` for files of any size",
            field="smiles",
        )
    with store.read_session() as session:
        models = load_panel(session, list(endpoints) if endpoints else None, cache=True)
    panel = shared_panel(models)
    frame = panel.predict_smiles(list(smiles), ids=list(ids) if ids is not None else None, alerts=alerts)
    if parse_errors is not None:
        errors = np.asarray(list(parse_errors), dtype=object)
        frame["status"] = np.where(errors != "", "invalid: " + errors.astype(str), frame["status"].to_numpy())
    refs = {name: f"{m.registry['name']}@{m.registry['version']}" for name, m in models.items()}
    rows = frame_records(frame)
    invalid = int(frame["status"].ne("ok").sum())
    params = {"models": refs, "rows": len(frame), "invalid_rows": invalid, "alerts": alerts, "channel": channel}
    with store.session() as session:
        record_event(
            session,
            actor=actor,
            action="admet.predict",
            object_type="model",
            object_id="admet.panel",
            inputs={
                "smiles": sha256_json(
                    {
                        "smiles": [s if isinstance(s, str) else None for s in smiles],
                        "ids": list(ids) if ids is not None else None,
                    }
                )
            },
            outputs={"predictions": sha256_json(rows)},
            params=params | ({"source": source} if source else {}),
        )
    return frame, rows, refs


def explain_molecule(store: Any, smiles: str, endpoint: str, *, top: int = 5) -> dict[str, Any]:
    """One molecule's prediction for one endpoint and its top ``top`` SHAP attributions.

    Raises
    ------
    InputError
        The endpoint is unknown, not registered or a group; the SMILES is invalid.
    """
    import pandas as pd

    from pharmakon.chem.panel_io import predict_smiles
    from pharmakon.core.explain import explain_predictions
    from pharmakon.core.registry import load_model

    if not 1 <= top <= MAX_TOP:
        raise InputError(f"top must be in [1, {MAX_TOP}], got {top}", field="top")
    with store.read_session() as session:
        registered = {e["name"]: e for e in registered_endpoints(session)}
        if endpoint not in registered:
            raise InputError(
                f"endpoint {endpoint!r} is not registered; registered: {sorted(registered) or 'none'} "
                "(train with `pharmakon admet train`)",
                field="endpoint",
            )
        model = load_model(session, registered[endpoint]["model"], cache=True)
    row = predict_smiles({endpoint: model}, [smiles], alerts=False).iloc[0]  # a one-model panel is cheap to build
    if row["status"] != "ok":
        raise InputError(f"cannot explain {smiles!r}: {row['status']}", field="smiles")
    (attributions,) = explain_predictions(model, pd.DataFrame({model.smiles_col: [smiles]}), top=top)
    prediction = frame_records(pd.DataFrame([row.drop(["row", "id", "input", "canonical", "status"])]))[0]
    explains = (
        "the predicted value"
        if model.task == "regression"
        else f"the score of class {model.classes[-1]!r} (probability or log-odds, as the explainer gives it)"
    )
    info = registered[endpoint]
    return {
        "endpoint": endpoint,
        "model": info["model"],
        "version": model.registry["version"],
        "task": model.task,
        "description": info["description"],
        "smiles": smiles,
        "canonical": row["canonical"],
        "prediction": prediction,
        "coverage": info["coverage"],
        "explains": explains,
        "attributions": attributions,
    }
