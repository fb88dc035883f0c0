"""Model cards: one self-contained HTML page with the plots (Mitchell et al. 2019).

Plots use the winner's out-of-fold predictions on the training data (each row
predicted by a model that did not see it): predicted vs observed and residuals for
regression; ROC, precision-recall and reliability (calibration) curves for
classification.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import numpy as np

__all__ = ["render_model_card", "card_plots"]


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def card_plots(model: Any) -> dict[str, str]:
    """Base64 PNGs keyed by plot name, from the model's out-of-fold predictions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    y, p = model.oof_y, model.oof_pred
    plots = {}
    if model.task == "regression":
        fig, ax = plt.subplots(figsize=(4.2, 4))
        ax.scatter(y, p, s=6, alpha=0.5)
        lo, hi = float(np.nanmin([y.min(), p.min()])), float(np.nanmax([y.max(), p.max()]))
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set(xlabel=f"observed {model.target}", ylabel="predicted (out-of-fold)", title="Predicted vs observed")
        plots["predicted_vs_observed"] = _png(fig)
        fig, ax = plt.subplots(figsize=(4.2, 4))
        ax.scatter(p, y - p, s=6, alpha=0.5)
        ax.axhline(0, color="k", lw=1)
        for q in (-model.conformal.q_, model.conformal.q_):
            ax.axhline(q, color="tab:red", ls=":", lw=1)
        ax.set(
            xlabel="predicted", ylabel="residual (observed - predicted)", title="Residuals (dotted: pooled conformal q)"
        )
        plots["residuals"] = _png(fig)
        bins = model.conformal.bins()
        if len(bins) > 1:  # Mondrian: the half-width each novelty bin gets
            edges = [0.0, *(b["upper"] for b in bins[:-1]), 1.0]  # novelty = 1 - nearest Tanimoto, in [0, 1]
            fig, ax = plt.subplots(figsize=(4.2, 4))
            ax.stairs([b["q"] for b in bins], edges, color="tab:red", lw=1.5)
            ax.axhline(model.conformal.q_, color="k", ls=":", lw=1)
            ax.set(
                xlabel="novelty (1 - nearest-neighbour Tanimoto)",
                ylabel="interval half-width q",
                title="Conformal q per novelty bin (dotted: pooled)",
                ylim=(0, None),
            )
            plots["interval_by_novelty"] = _png(fig)
        return plots
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import precision_recall_curve, roc_curve

    idx = np.array([model.classes.index(v) for v in y])
    pos = len(model.classes) - 1
    score = p[:, pos]
    truth = (idx == pos).astype(int)
    if len(np.unique(truth)) == 2:
        fpr, tpr, _ = roc_curve(truth, score)
        fig, ax = plt.subplots(figsize=(4.2, 4))
        ax.plot(fpr, tpr)
        ax.plot([0, 1], [0, 1], "k--", lw=1)
        ax.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC ({model.classes[pos]} vs rest)")
        plots["roc"] = _png(fig)
        prec, rec, _ = precision_recall_curve(truth, score)
        fig, ax = plt.subplots(figsize=(4.2, 4))
        ax.plot(rec, prec)
        ax.set(xlabel="recall", ylabel="precision", title="Precision-recall")
        plots["pr"] = _png(fig)
        frac, mean = calibration_curve(truth, score, n_bins=10, strategy="quantile")
        fig, ax = plt.subplots(figsize=(4.2, 4))
        ax.plot(mean, frac, "o-")
        ax.plot([0, 1], [0, 1], "k--", lw=1)
        ax.set(xlabel="mean predicted probability", ylabel="observed frequency", title="Reliability")
        plots["reliability"] = _png(fig)
    return plots


def _table(rows: list[dict[str, Any]], cols: list[str]) -> str:
    def fmt(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else html.escape(str(v if v is not None else ""))

    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{fmt(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fairness(report: dict[str, Any] | None) -> str:
    if not report:
        return ""
    warn = "".join(f"<li>{html.escape(w)}</li>" for w in report["warnings"])
    return (
        f"<h2>Fairness (out-of-fold, per subgroup, bootstrap 95% CI)</h2>"
        f"{_table(report['table'], ['attribute', 'group', 'metric', 'value', 'ci_low', 'ci_high', 'n'])}"
        f"<p>Largest between-group differences: {html.escape(str(report['disparities']))}</p>"
        f"{'<ul>' + warn + '</ul>' if warn else ''}"
    )


def render_model_card(model: Any, *, name: str, metadata: dict[str, Any]) -> str:
    """The model card as a standalone HTML string."""
    metric_keys = [k for k, v in metadata["cv_metrics"].items() if v is not None]
    board_cols = ["model", "source", "status"] + [
        c
        for c in ("cv_rmse", "cv_mae", "cv_r2", "cv_pearson", "cv_auroc", "cv_auprc", "cv_mcc", "seconds")
        if any(c in r for r in metadata["leaderboard"])
    ]
    board = sorted(metadata["leaderboard"], key=lambda r: (r.get("status") != "ok", r.get("source") != "screen"))
    plots = "".join(
        f'<figure><img alt="{k}" src="data:image/png;base64,{v}"><figcaption>{k.replace("_", " ")}'
        f"</figcaption></figure>"
        for k, v in card_plots(model).items()
    )
    qc = metadata["qc"]
    unc = metadata["uncertainty"]
    dom = metadata["domain"]
    e = html.escape
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Model card: {e(name)}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;font-size:90%}}figure{{display:inline-block;margin:4px}}</style></head>
<body><h1>Model card: {e(name)}</h1>
<h2>Intended use</h2><p>{e(metadata["task"])} of <code>{e(metadata["target"])}</code>
{"from the structure in <code>" + e(metadata["smiles_col"]) + "</code>" if metadata["smiles_col"] else ""}
{"and " if metadata["smiles_col"] and (metadata["numeric_cols"] or metadata["categorical_cols"]) else ""}
{"from " + str(len(metadata["numeric_cols"])) + " numeric and " + str(len(metadata["categorical_cols"])) + " categorical columns" if metadata["numeric_cols"] or metadata["categorical_cols"] else ""}.
Predictions outside the applicability domain (<code>in_domain</code> false) should not be trusted.</p>
<h2>Model</h2><p>Winner: <b>{e(metadata["best"]["model"])}</b> with parameters <code>{e(str(metadata["best"]["params"]))}</code>,
chosen by {metadata["n_splits"]}-fold cross-validation{" (" + e(metadata["cv_split"]) + " folds)" if metadata.get("cv_split") else ""} among the leaderboard below ({metadata["n_trials"]} Optuna trials,
budget {metadata["budget_s"]} s, {metadata["train_seconds"]} s used). Seed {metadata["seed"]}.</p>
<h2>Cross-validated performance (out-of-fold, pooled)</h2>{_table([metadata["cv_metrics"]], metric_keys)}
<h2>Plots</h2>{plots}
<h2>Uncertainty and domain</h2><p>Conformal {"intervals" if metadata["task"] == "regression" else "prediction sets"}
at nominal coverage {unc["nominal_coverage"]:.0%}, calibrated on out-of-fold scores, Mondrian by novelty:
{len(unc.get("bins") or [None])} bin(s) of nearest-neighbour novelty, thresholds q =
{e(", ".join(f"{b['q']:.3g}" for b in unc.get("bins") or []) or f"{unc['conformal_q']:.4g}")} from the most familiar
to the most novel bin; coverage holds per bin for new rows exchangeable with the calibration rows of that bin.
Applicability domain: nearest-neighbour {e(dom["metric"])}, threshold {dom["threshold"]:.4g}
({dom["quantile"]:.0%} of training rows fall outside by the same rule).</p>
{_fairness(metadata.get("fairness"))}
<h2>Leaderboard</h2>{_table(board, board_cols)}
<h2>Data and QC</h2><p>{qc["n_rows_in"]} rows in, {qc["n_rows_out"]} used; data SHA-256 <code>{e(metadata["data_sha256"])}</code>.
Dropped: {e(str(qc["dropped"]))}. Warnings: {e("; ".join(qc["warnings"]) or "none")}.</p><pre>{e(qc["rules"])}</pre>
<h2>Provenance</h2><p>pharmakon {e(metadata["code_version"])}; libraries: {e(str(metadata["library_versions"]))}</p>
</body></html>"""
