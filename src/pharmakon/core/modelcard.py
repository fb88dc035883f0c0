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

from typing import Any

import numpy as np

from pharmakon.plots import figure_png_base64, new_figure

__all__ = ["render_model_card", "card_plots", "card_context"]

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
    return f"{v:.4g}" if isinstance(v, float) else str(v if v is not None else "")


def _table(rows: list[dict[str, Any]], cols: list[str]) -> dict[str, Any]:
    """A table for the template: column names and formatted cells (floats to 4 significant digits)."""
    return {"cols": cols, "rows": [[_cell(r.get(c)) for c in cols] for r in rows]}


def card_context(model: Any, *, name: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """What ``model_card.html`` shows, from the model (plots) and its registry metadata."""
    metric_keys = [k for k, v in metadata["cv_metrics"].items() if v is not None]
    board_cols = ["model", "source", "status"] + [
        c
        for c in ("cv_rmse", "cv_mae", "cv_r2", "cv_pearson", "cv_auroc", "cv_auprc", "cv_mcc", "seconds")
        if any(c in r for r in metadata["leaderboard"])
    ]
    board = sorted(metadata["leaderboard"], key=lambda r: (r.get("status") != "ok", r.get("source") != "screen"))
    qc, unc, dom = metadata["qc"], metadata["uncertainty"], metadata["domain"]
    fairness = metadata.get("fairness")
    return {
        "name": name,
        "use": {
            "task": metadata["task"],
            "target": metadata["target"],
            "smiles_col": metadata["smiles_col"],
            "n_numeric": len(metadata["numeric_cols"]),
            "n_categorical": len(metadata["categorical_cols"]),
            "n_columns": len(metadata["numeric_cols"]) + len(metadata["categorical_cols"]),
        },
        "best": {"model": metadata["best"]["model"], "params": str(metadata["best"]["params"])},
        "selection": {
            "n_splits": metadata["n_splits"],
            "cv_split": metadata.get("cv_split"),
            "n_trials": metadata["n_trials"],
            "budget_s": metadata["budget_s"],
            "train_seconds": metadata["train_seconds"],
            "seed": metadata["seed"],
        },
        "cv": _table([metadata["cv_metrics"]], metric_keys),
        "plots": list(card_plots(model).items()),
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
            "disparities": str(fairness["disparities"]),
            "warnings": list(fairness["warnings"]),
        },
        "leaderboard": _table(board, board_cols),
        "qc": {
            "n_rows_in": qc["n_rows_in"],
            "n_rows_out": qc["n_rows_out"],
            "data_sha256": metadata["data_sha256"],
            "dropped": str(qc["dropped"]),
            "warnings": "; ".join(qc["warnings"]) or "none",
            "rules": qc["rules"],
        },
        "provenance": {"code_version": metadata["code_version"], "libraries": str(metadata["library_versions"])},
    }


def render_model_card(model: Any, *, name: str, metadata: dict[str, Any]) -> str:
    """The model card as a standalone HTML string (template ``model_card.html``)."""
    from pharmakon.reports import render

    return render("model_card.html", **card_context(model, name=name, metadata=metadata))
