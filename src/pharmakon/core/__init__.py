"""The governed model lifecycle every domain uses.

Importing this package is cheap: numpy and scikit-learn load on
first use (the lifecycle names below are resolved lazily through ``__getattr__``).
"""

from importlib import import_module
from typing import Any

#: Public lifecycle name -> the module that defines it (imported on first access).
_LAZY = {
    **dict.fromkeys(
        [
            "SPLITS",
            "random_split",
            "stratified_split",
            "group_split",
            "scaffold_split",
            "temporal_split",
            "make_split",
            "cv_folds",
        ],
        "splits",
    ),
    **dict.fromkeys(["QCReport", "run_qc", "leakage_report", "QC_RULES"], "qc"),
    **dict.fromkeys(["regression_metrics", "classification_metrics", "PRIMARY_METRIC"], "metrics"),
    **dict.fromkeys(
        ["ZOO", "zoo_names", "build_estimator", "make_preprocessor", "MinSupport", "register_family", "family"], "zoo"
    ),
    **dict.fromkeys(["BoundedCache"], "cache"),
    **dict.fromkeys(["SelectionResult", "select_model", "cross_validate"], "selection"),
    **dict.fromkeys(
        [
            "ConformalRegressor",
            "ConformalClassifier",
            "ApplicabilityDomain",
            "conformal_quantile",
            "tanimoto_max",
            "split_conformal_regression",
        ],
        "uncertainty",
    ),
    **dict.fromkeys(["TrainedModel", "PredictionResult", "train_model", "infer_task", "library_versions"], "lifecycle"),
    **dict.fromkeys(
        [
            "ModelCompatibilityError",
            "register_model",
            "load_model",
            "promote_model",
            "list_models",
            "model_versions",
            "model_card_html",
            "model_aliases",
            "check_versions",
        ],
        "registry",
    ),
    **dict.fromkeys(["render_model_card"], "modelcard"),
    **dict.fromkeys(["ShapResult", "shap_values", "global_importance", "explain_predictions"], "explain"),
    **dict.fromkeys(["FairnessReport", "fairness_report"], "fairness"),
    **dict.fromkeys(["coverage_test", "evaluate_model", "record_evaluation", "model_evaluations"], "evaluation"),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pharmakon.core' has no attribute {name!r}")
    value = getattr(import_module(f"pharmakon.core.{module}"), name)
    globals()[name] = value
    return value


__all__ = [*_LAZY]
