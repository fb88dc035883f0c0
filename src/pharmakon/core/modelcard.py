"""Model cards: one self-contained HTML page with the plots (Mitchell et al. 2019).

Plots use the winner's out-of-fold predictions on the training data (each row
predicted by a model that did not see it): predicted vs observed and residuals for
regression; ROC, precision-recall and reliability (calibration) curves for
classification.

The page is the ``model_card.html`` template rendered through the one Jinja
environment (:func:`pharmakon.reports.render`); the plots are encoded by
:func:`pharmakon.plots.figure_png_base64`.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from pharmakon.plots import figure_png_base64, new_figure

__all__ = ["render_model_card", "card_plots", "card_context", "card_summary", "stored_card_plots", "target_label"]

#: Size of each card plot, inches.
_SIZE = (4.2, 4)


def card_plots(model: Any) -> dict[str, str]:
    """Base64 PNGs keyed by plot name, from the model's out-of-fold predictions."""
    y, p = model.oof_y, model.oof_pred
    plots = {}
    if model.task == "regression":
        fig, ax = new_figure(*_SIZE)
        ax.scatter(y, p, s=6, alpha=0.5)
        lo, hi = float(np.nanmin([y.min(), p.min()])), float(np.nanmax([y.max(), p.max()]))
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set(xlabel=f"observed {model.target}", ylabel="predicted (out-of-fold)", title="Predicted vs observed")
        plots["predicted_vs_observed"] = figure_png_base64(fig)
        fig, ax = new_figure(*_SIZE)
        ax.scatter(p, y - p, s=6, alpha=0.5)
        ax.axhline(0, color="k", lw=1)
        for q in (-model.conformal.q_, model.conformal.q_):
            ax.axhline(q, color="tab:red", ls=":", lw=1)
        ax.set(
            xlabel="predicted", ylabel="residual (observed - predicted)", title="Residuals (dotted: pooled conformal q)"
        )
        plots["residuals"] = figure_png_base64(fig)
        bins = model.conformal.bins()
        if len(bins) > 1:  # Mondrian: the half-width each novelty bin gets
            edges = [0.0, *(b["upper"] for b in bins[:-1]), 1.0]  # novelty = 1 - nearest Tanimoto, in [0, 1]
            fig, ax = new_figure(*_SIZE)
            ax.stairs([b["q"] for b in bins], edges, color="tab:red", lw=1.5)
            ax.axhline(model.conformal.q_, color="k", ls=":", lw=1)
            ax.set(
                xlabel="novelty (1 - nearest-neighbour Tanimoto)",
                ylabel="interval half-width q",
                title="Conformal q per novelty bin (dotted: pooled)",
                ylim=(0, None),
            )
            plots["interval_by_novelty"] = figure_png_base64(fig)
        return plots
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import precision_recall_curve, roc_curve

    idx = np.array([model.classes.index(v) for v in y])
    pos = len(model.classes) - 1
    score = p[:, pos]
    truth = (idx == pos).astype(int)
    if len(np.unique(truth)) == 2:
        fpr, tpr, _ = roc_curve(truth, score)
        fig, ax = new_figure(*_SIZE)
        ax.plot(fpr, tpr)
        ax.plot([0, 1], [0, 1], "k--", lw=1)
        ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC ({model.classes[pos]} vs rest)")
        plots["roc"] = figure_png_base64(fig)
        prec, rec, _ = precision_recall_curve(truth, score)
        fig, ax = new_figure(*_SIZE)
        ax.plot(rec, prec)
        ax.set(xlabel="recall", ylabel="precision", title="Precision-recall")
        plots["pr"] = figure_png_base64(fig)
        frac, mean = calibration_curve(truth, score, n_bins=10, strategy="quantile")
        fig, ax = new_figure(*_SIZE)
        ax.plot(mean, frac, "o-")
        ax.plot([0, 1], [0, 1], "k--", lw=1)
        ax.set(xlabel="mean predicted probability", ylabel="observed frequency", title="Reliability")
        plots["reliability"] = figure_png_base64(fig)
    return plots


def _cell(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return {True: "yes", False: "no", None: ""}[v]
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _table(rows: list[dict[str, Any]], cols: list[str], heads: dict[str, str] | None = None) -> dict[str, Any]:
    """A table for the template: column headers (in words) and formatted cells (floats to 4 significant digits)."""
    heads = heads or {}
    return {
        "cols": [heads.get(c, c.replace("_", " ")) for c in cols],
        "rows": [[_cell(r.get(c)) for c in cols] for r in rows],
    }


def _flat(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """``(key, value)`` rows of a nested mapping, keys dotted (``{"a": {"b": 1}}`` -> ``[("a.b", "1")]``)."""
    if isinstance(value, dict) and not value and prefix:
        return [(prefix, "defaults")]
    if isinstance(value, dict):
        rows: list[tuple[str, str]] = []
        for k, v in value.items():
            rows += _flat(v, f"{prefix}.{k}" if prefix else str(k))
        return rows
    if isinstance(value, list | tuple) and any(isinstance(v, dict) for v in value):
        rows = []
        for i, item in enumerate(value, 1):
            rows += _flat(item, f"{prefix} {i}") if item != {} else [(f"{prefix} {i}", "defaults")]
        return rows
    if isinstance(value, list | tuple):
        return [(prefix, ", ".join(_cell(v) for v in value))]
    return [(prefix, _cell(value))]


def _pairs(value: Any, key: str, val: str) -> dict[str, Any]:
    """A two-column table of a (nested) mapping."""
    return {"cols": [key, val], "rows": [list(r) for r in _flat(value or {})]}


#: The QC report's drop reasons, in words.
_DROPPED = {
    "missing_target": "target missing",
    "duplicate_records": "exact duplicate records (first kept)",
    "duplicate_structures_merged": "duplicate structures merged into one row",
    "conflicting_structures": "structures with conflicting labels (dropped)",
}
#: Metric keys in words (RMSE and MAE are in the target's units).
_METRICS = {
    "rmse": "RMSE",
    "mae": "MAE",
    "r2": "r²",
    "pearson": "Pearson r",
    "spearman": "Spearman ρ",
    "auroc": "AUROC",
    "auprc": "AUPRC",
    "mcc": "MCC",
    "coverage": "interval coverage",
    "accuracy": "accuracy",
    "brier": "Brier score",
    "log_loss": "log loss",
    "cv_rmse": "CV RMSE",
    "cv_mae": "CV MAE",
    "cv_r2": "CV r²",
    "cv_pearson": "CV Pearson r",
    "cv_auroc": "CV AUROC",
    "cv_auprc": "CV AUPRC",
    "cv_mcc": "CV MCC",
    "seconds": "seconds",
    "n": "rows",
}
_RULE_ITEM = re.compile(r"^\s*\d+\.\s+")
_MARKUP = re.compile(r"``([^`]+)``|\*([^*]+)\*")


def _segments(text: str) -> list[dict[str, Any]]:
    """Text with reStructuredText literals (``x``) and emphasis (*x*) as segments the template marks up."""
    out, at = [], 0
    for m in _MARKUP.finditer(text):
        if m.start() > at:
            out.append({"text": text[at : m.start()], "code": False, "em": False})
        out.append({"text": m.group(1) or m.group(2), "code": m.group(1) is not None, "em": m.group(2) is not None})
        at = m.end()
    if at < len(text):
        out.append({"text": text[at:], "code": False, "em": False})
    return out


def qc_rules(text: str) -> list[list[dict[str, Any]]]:
    """The numbered QC rules as list items of segments (no raw reStructuredText markup)."""
    items: list[str] = []
    for line in (text or "").splitlines():
        if _RULE_ITEM.match(line):
            items.append(_RULE_ITEM.sub("", line).strip())
        elif line.strip() and items:
            items[-1] += " " + line.strip()
        elif line.strip():
            items.append(line.strip())
    return [_segments(item) for item in items]


def _panel_step(metadata: dict[str, Any]) -> dict[str, Any] | None:
    """The ``admet.endpoint`` step's parameters of a panel model (trained on a column renamed ``y``), else None."""
    for step in metadata.get("steps") or []:
        if step.get("action") == "admet.endpoint":
            return step.get("params", {})
    return None


def target_column(metadata: dict[str, Any]) -> str:
    """The data column the target came from (for panel models: the catalogue table's column)."""
    p = _panel_step(metadata)
    return f"{p.get('target')} of {p.get('dataset')}/{p.get('table')}" if p else str(metadata["target"])


def target_label(metadata: dict[str, Any]) -> str:
    """The target as users know it: the column, or for panel models trained on a renamed column, the endpoint."""
    p = _panel_step(metadata)
    return f"{p.get('endpoint')} (column {target_column(metadata)})" if p else str(metadata["target"])


def _selection(metadata: dict[str, Any]) -> dict[str, Any]:
    trials, budget = metadata["n_trials"], metadata["budget_s"]
    if not trials:
        work = "no tuning: each family with its default settings"
    else:
        work = f"{trials} Optuna trial(s)" + (f" within a budget of {budget} s" if budget is not None else "")
    return {
        "n_splits": metadata["n_splits"],
        "cv_split": metadata.get("cv_split"),
        "work": work,
        "train_seconds": _cell(metadata["train_seconds"]),
        "seed": metadata["seed"],
    }


def card_summary(metadata: dict[str, Any], *, name: str, target: str | None = None) -> dict[str, Any]:
    """Everything the card shows except the plots, from the registry metadata alone (no model load).

    ``target`` names the target in words with its unit (e.g. ``log10 human liver
    microsomal CLint (mL/min/kg)``) where the caller knows it; otherwise the column name.
    """
    metric_keys = [k for k, v in metadata["cv_metrics"].items() if v is not None]
    board_cols = ["model", "source", "status"] + [
        c
        for c in ("cv_rmse", "cv_mae", "cv_r2", "cv_pearson", "cv_auroc", "cv_auprc", "cv_mcc", "seconds")
        if any(c in r for r in metadata["leaderboard"])
    ]
    board = sorted(metadata["leaderboard"], key=lambda r: (r.get("status") != "ok", r.get("source") != "screen"))
    qc, unc, dom = metadata["qc"], metadata["uncertainty"], metadata["domain"]
    fairness = metadata.get("fairness")
    feat = metadata.get("featurizer")
    return {
        "name": name,
        "use": {
            "task": metadata["task"],
            "target": target or target_label(metadata),
            "column": target_column(metadata),
            "smiles_col": metadata["smiles_col"],
            "n_numeric": len(metadata["numeric_cols"]),
            "n_categorical": len(metadata["categorical_cols"]),
            "n_columns": len(metadata["numeric_cols"]) + len(metadata["categorical_cols"]),
        },
        "best": {
            "model": metadata["best"]["model"],
            "params": _pairs(metadata["best"].get("params"), "parameter", "value"),
        },
        "selection": _selection(metadata),
        "cv": _table([metadata["cv_metrics"]], metric_keys, _METRICS),
        "uncertainty": {
            "kind": "intervals" if metadata["task"] == "regression" else "prediction sets",
            "coverage": f"{unc['nominal_coverage']:.0%}",
            "n_bins": len(unc.get("bins") or [None]),
            "qs": ", ".join(f"{b['q']:.3g}" for b in unc.get("bins") or []) or f"{unc['conformal_q']:.4g}",
        },
        "domain": {
            "metric": dom["metric"],
            "threshold": f"{dom['threshold']:.4g}",
            "quantile": f"{dom['quantile']:.0%}",
        },
        "fairness": None
        if not fairness
        else {
            "table": _table(fairness["table"], ["attribute", "group", "metric", "value", "ci_low", "ci_high", "n"]),
            "disparities": _pairs(fairness["disparities"], "difference", "value"),
            "warnings": list(fairness["warnings"]),
        },
        "leaderboard": _table(board, board_cols, _METRICS),
        "qc": {
            "n_rows_in": qc["n_rows_in"],
            "n_rows_out": qc["n_rows_out"],
            "data_sha256": metadata["data_sha256"],
            "dropped": {
                "cols": ["reason", "rows"],
                "rows": [
                    [_DROPPED.get(k, k.replace("_", " ")), _cell(v)] for k, v in (qc.get("dropped") or {}).items()
                ],
            },
            "warnings": list(qc["warnings"]),
            "rules": qc_rules(qc["rules"]),
        },
        "provenance": {
            "code_version": metadata["code_version"],
            "libraries": _pairs(metadata["library_versions"], "library", "version"),
            "featurizer": None
            if not feat
            else {
                "class": feat.get("class"),
                "version": feat.get("version"),
                "blocks": feat.get("blocks"),
                "params": _pairs(feat.get("params"), "parameter", "value"),
            },
        },
    }


_STORED_PLOT = re.compile(r'<img alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def stored_card_plots(card_html: str) -> list[tuple[str, str]]:
    """``(name, base64 PNG)`` of the plots in a stored card (the card keeps the plots; the metadata does not)."""
    return _STORED_PLOT.findall(card_html)


def card_context(model: Any, *, name: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """What ``model_card.html`` shows, from the model (plots) and its registry metadata."""
    return card_summary(metadata, name=name) | {"plots": list(card_plots(model).items())}


def render_model_card(model: Any, *, name: str, metadata: dict[str, Any]) -> str:
    """The model card as a standalone HTML string (template ``model_card.html``)."""
    from pharmakon.reports import render

    return render("model_card.html", card=card_context(model, name=name, metadata=metadata))
