"""Workbench pages for the ADMET panel: paste or upload molecules, read the panel, explain one prediction.

Thin over :mod:`pharmakon.chem.service` (the same use cases as ``/api/v1/admet``): the
pages parse the form into the service's spec, call it and lay out its typed result. Each
endpoint is the version users are served (``production``, else the newest with a note),
shown with its cross-validated quality and a "weak model" warning below the thresholds
of :mod:`pharmakon.chem.admet`. The handlers are plain ``def`` (FastAPI's thread pool).
"""

from __future__ import annotations

import base64
import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from pharmakon.caller import Caller
from pharmakon.errors import InputError, PharmakonError
from pharmakon.web.routes import check_csrf, get_store, page_user, render

router = APIRouter(include_in_schema=False)

#: Molecules one page request may predict (the table stays readable; the CLI and API take more).
MAX_PAGE_MOLECULES = 1_000
MAX_UPLOAD_BYTES = 5 * 2**20
_SUFFIXES = (".csv", ".tsv", ".txt", ".smi", ".smiles", ".sdf", ".sd")


def _endpoints() -> list[dict[str, Any]]:
    from pharmakon.chem.service import registered_endpoints

    return [e.to_dict() for e in registered_endpoints(get_store()).endpoints]


def _context(text: str, chosen: list[str] | None, alerts: bool, error: str = "") -> dict[str, Any]:
    endpoints = _endpoints()
    names = [e["name"] for e in endpoints]
    return {
        "endpoints": endpoints,
        "chosen": chosen or names,
        "text": text,
        "alerts": alerts,
        "error": error,
        "max_molecules": MAX_PAGE_MOLECULES,
        "max_upload_mib": MAX_UPLOAD_BYTES // 2**20,
        "result": None,
    }


@router.get("/admet", response_class=HTMLResponse)
def admet_page(request: Request) -> Response:
    """The input form, pre-filled with the worked example's molecules."""
    from pharmakon.chem.panel_examples import example_text

    user = page_user(request, "viewer")
    return render(request, "admet_panel.html", user, **_context(example_text(), None, True))


def _parse_text(text: str) -> tuple[list[str], list[str]]:
    """``SMILES [name]`` per line; blank lines and ``#`` comments skipped."""
    smiles, ids = [], []
    for line in text.splitlines():
        parts = line.strip().split(maxsplit=1)
        if not parts or parts[0].startswith("#"):
            continue
        smiles.append(parts[0])
        ids.append(parts[1].strip() if len(parts) > 1 else "")
    if not smiles:
        raise InputError("paste at least one SMILES (one per line, optionally followed by a name)", field="smiles")
    return smiles, ids


def _read_upload(upload: UploadFile) -> tuple[list[object], list[str], list[str]]:
    """SMILES, ids and per-record read errors of an uploaded CSV/TSV/SMI/SDF file."""
    import os
    import tempfile
    from pathlib import Path

    from pharmakon.chem.panel_io import read_molecules

    name = upload.filename or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in _SUFFIXES:
        raise InputError(f"unsupported file type {suffix or '(none)'!r}; upload .csv, .tsv, .smi or .sdf", file=name)
    data = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(
            f"the upload is larger than {MAX_UPLOAD_BYTES // 2**20} MiB; use `pharmakon admet "
            "predict FILE` for large files",
            file=name,
        )
    fd, tmp = tempfile.mkstemp(prefix="admet-upload-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        chunks = read_molecules(Path(tmp), chunk_size=MAX_PAGE_MOLECULES + 1)
        chunk = next(chunks)
    except InputError as exc:
        raise InputError(exc.message.replace(tmp, name)) from None
    finally:
        os.unlink(tmp)
    _check_count(len(chunk))
    smiles = [s if isinstance(s, str) else None for s in chunk["input"].tolist()]  # unreadable SDF record: None
    return smiles, chunk["id"].astype(str).tolist(), chunk["parse_error"].astype(str).tolist()


def _check_count(n: int) -> None:
    if n > MAX_PAGE_MOLECULES:
        raise InputError(
            f"the workbench takes at most {MAX_PAGE_MOLECULES:,} molecules per run; use the REST API "
            "(5,000 per request) or `pharmakon admet predict FILE` for more",
            field="smiles",
        )


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _set(value: Any) -> str:
    return "{" + ", ".join(str(value).split("|") if value not in (None, "") else []) + "}"


def _cells(row: dict[str, Any], endpoints: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cells = []
    for e in endpoints:
        n, coverage = e["name"], f"{100 * e['coverage']:.0f}% " if e["coverage"] else ""
        if e["task"] == "regression":
            text = _fmt(row[n])
            detail = f"[{_fmt(row[f'{n}_lower'])}, {_fmt(row[f'{n}_upper'])}]"
            title = f"prediction [conformal {coverage}interval]"
        else:
            text = f"p={_fmt(row[f'{n}_p1'])}"
            detail = _set(row[f"{n}_set"])
            title = (
                f"probability of class {e['positive_class']}; conformal {coverage}prediction set "
                f"(predicted class {row[n]})"
            )
        cells.append(
            {"endpoint": n, "text": text, "detail": detail, "title": title, "in_domain": bool(row[f"{n}_in_domain"])}
        )
    return cells


def _table(result: Any, endpoints: list[dict[str, Any]]) -> dict[str, Any]:
    """What the template shows: per molecule its cells, alerts and explanation links."""
    shown = []
    for row in result.rows:
        ok = row["status"] == "ok"
        link = "/admet/molecule?" + urlencode({"smiles": row["input"] or "", "endpoint": endpoints[0]["name"]})
        shown.append(
            {
                "row": row["row"],
                "id": row["id"],
                "input": row["input"] or "",
                "canonical": row["canonical"],
                "status": row["status"],
                "ok": ok,
                "link": link if ok else "",
                "cells": _cells(row, endpoints) if ok else [],
                "alerts": {
                    k: row.get(k)
                    for k in (
                        "pains_count",
                        "pains_alerts",
                        "brenk_count",
                        "brenk_alerts",
                        "qed",
                        "lipinski_violations",
                        "mw",
                        "clogp",
                        "tpsa",
                    )
                },
            }
        )
    csv = base64.b64encode(result.to_frame().to_csv(index=False).encode("utf-8")).decode("ascii")
    return {
        "rows": shown,
        "n": result.count,
        "invalid": result.invalid,
        "in_domain": sum(result.in_domain.get(e["name"], 0) for e in endpoints),
        "cells": (result.count - result.invalid) * len(endpoints),
        "csv": csv,
    }


@router.post("/admet", response_class=HTMLResponse)
def admet_predict(
    request: Request,
    smiles: Annotated[str, Form()] = "",
    upload: Annotated[UploadFile | None, File()] = None,
    endpoints: Annotated[list[str] | None, Form()] = None,
    alerts: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Predict the chosen endpoints for the pasted or uploaded molecules (scientists; audited)."""
    user = page_user(request, "scientist")
    check_csrf(request, csrf)
    from pharmakon.chem.service import PanelPredictSpec, predict_molecules
    from pharmakon.specs import build_spec

    ctx = _context(smiles, endpoints, bool(alerts))
    try:
        if upload is not None and upload.filename:
            inputs, ids, errors = _read_upload(upload)
            source = upload.filename
        else:
            inputs, ids = _parse_text(smiles)
            _check_count(len(inputs))
            errors, source = None, None
        spec = build_spec(PanelPredictSpec, smiles=inputs, ids=ids, endpoints=endpoints or None, alerts=bool(alerts))
        result = predict_molecules(get_store(), spec, Caller(user.username, "web"), parse_errors=errors, source=source)
    except PharmakonError as exc:
        return render(request, "admet_panel.html", user, status_code=422, **(ctx | {"error": str(exc)}))
    shown = [e for e in ctx["endpoints"] if e["name"] in result.models]
    ctx |= {
        "chosen": list(result.models),
        "result": _table(result, shown),
        "shown": shown,
        "models": result.models,
        "source": source,
    }
    return render(request, "admet_panel.html", user, **ctx)


@router.get("/admet/molecule", response_class=HTMLResponse)
def admet_molecule(request: Request, smiles: str = "", endpoint: str = "", top: int | None = None) -> Response:
    """One molecule, one endpoint: the prediction and its top SHAP attributions."""
    user = page_user(request, "viewer")
    from pharmakon.chem.service import MAX_TOP, ExplainSpec, explain_prediction
    from pharmakon.specs import build_spec

    top = top if top is not None else ExplainSpec.model_fields["top"].default
    endpoints = _endpoints()
    endpoint = endpoint or (endpoints[0]["name"] if endpoints else "")
    ctx: dict[str, Any] = {
        "smiles": smiles,
        "endpoint": endpoint,
        "endpoints": endpoints,
        "top": top,
        "max_top": MAX_TOP,
        "error": "",
        "explained": None,
        "drawing": "",
    }
    if smiles and endpoints:
        try:
            spec = build_spec(ExplainSpec, smiles=smiles, endpoint=endpoint, top=top)
            ctx["explained"] = _explained(explain_prediction(get_store(), spec).to_dict())
            ctx["drawing"] = _drawing(ctx["explained"])
        except PharmakonError as exc:
            return render(request, "admet_molecule.html", user, status_code=422, **(ctx | {"error": str(exc)}))
    return render(request, "admet_molecule.html", user, **ctx)


def _drawing(explained: dict[str, Any]) -> str:
    """The standardised molecule as SVG, its atoms tinted by the SHAP values of the shown Morgan bits.

    The fingerprint's radius and size come from the model's registry record (the bits
    are the model's own); "" when the model uses no Morgan fingerprint.
    """
    from pharmakon.chem.drawing import atom_weights, attribution_svg
    from pharmakon.core.service import show_model

    feat = show_model(get_store(), explained["model"], explained["version"]).metadata.get("featurizer") or {}
    params = feat.get("params") or {}
    bits = {
        int(a["feature"].split(":")[1]): a["shap"]
        for a in explained["attributions"]
        if a["feature"].startswith("morgan:") and a["substructure"]
    }
    if "radius" not in params or "n_bits" not in params or "morgan" not in (params.get("kinds") or ()):
        return ""
    weights = atom_weights(explained["canonical"], bits, radius=int(params["radius"]), n_bits=int(params["n_bits"]))
    return attribution_svg(explained["canonical"], weights)


def _explained(result: dict[str, Any]) -> dict[str, Any]:
    """Add display fields: the prediction line, bar widths (% of the largest |SHAP|), features in words."""
    from pharmakon.chem.drawing import feature_words

    p, n = result["prediction"], result["endpoint"]
    if result["task"] == "regression":
        line = f"{_fmt(p[n], 3)} (conformal interval {_fmt(p[f'{n}_lower'], 3)} to {_fmt(p[f'{n}_upper'], 3)})"
    else:
        line = f"class {p[n]}; probability {_fmt(p[f'{n}_p1'], 3)}; conformal prediction set {_set(p[f'{n}_set'])}"
    scale = max((abs(a["shap"]) for a in result["attributions"]), default=0.0) or 1.0
    bars = [
        a | {"width": round(100 * abs(a["shap"]) / scale, 1), "words": feature_words(a["feature"])}
        for a in result["attributions"]
    ]
    return result | {"line": line, "in_domain": bool(p[f"{n}_in_domain"]), "attributions": bars}
