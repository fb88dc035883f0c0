"""The model registry on the versioned object store.

A registered model is a ``kind="model"`` object: JSON metadata (task, target, data
hash, code and library versions, seed, chosen parameters, CV metrics, leaderboard, QC
report, conformal and domain settings) plus two artifacts, ``model.joblib`` (the fitted
:class:`~pharmakon.core.lifecycle.TrainedModel`) and ``card.html`` (the model card).
Registering writes one audit event per lifecycle step (``model.qc``, ``model.select``
...) and the store's own ``object.save``; aliases (``staging``, ``production``) are
moved with :func:`promote_model` (``object.alias``).

Loading checks library versions *before* unpickling: a different major.minor version
of scikit-learn, numpy, LightGBM or XGBoost raises :class:`ModelCompatibilityError`
naming the library and both versions; a different patch release (or RDKit release)
only warns. The featurizer version travels with the artifact: a structure featurizer
records the version it computed with when fitted (``version_``, also stored in the
metadata), and on load the unpickled featurizer is asked which version it computes
now (its class attribute ``version``); a model made with another version refuses to
load and says which. The registry does not know what a featurizer is made of (core
never imports a domain): any object with those two attributes is checked.

A server predicts with the same models over and over, so ``load_model(...,
cache=True)`` keeps loaded models in a per-process LRU bounded by their artifacts'
size on disk (:class:`~pharmakon.core.cache.BoundedCache`, the one cache policy;
``PHARMAKON_MODEL_CACHE_MB``, default 256 MiB; artifacts are compressed, so memory
is several times that: the full 36-endpoint ADMET panel is 81 MB of artifacts and
about 1.1 GB loaded). The key is the resolved name and version plus the artifact
file's path, size and modification time: an alias moved to another version, or an
artifact file touched on disk, misses the cache and is read (and hash-verified)
again. Versions are checked on every call, hit or miss. A loaded model's
``registry`` attribute holds its name, version, creation time and
``artifact_bytes`` (what caches built on it count).
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from sqlalchemy.orm import Session

from pharmakon.core.cache import BoundedCache, model_cache_bytes
from pharmakon.errors import PharmakonError, StoreError
from pharmakon.store import get_object, list_objects, object_versions, read_artifact, record_event, save_object
from pharmakon.store import set_alias as _set_alias

__all__ = [
    "ModelCompatibilityError",
    "register_model",
    "load_model",
    "promote_model",
    "list_models",
    "model_versions",
    "model_card_html",
    "model_metadata",
    "check_versions",
    "check_featurizer",
    "ALIASES",
    "model_aliases",
    "clear_model_cache",
    "resolve_model",
    "load_model_artifact",
]

KIND = "model"
ALIASES = ("staging", "production")
_STRICT = ("scikit-learn", "numpy", "lightgbm", "xgboost")
_WARN = ("rdkit", "pandas", "scipy")


class ModelCompatibilityError(PharmakonError):
    """A stored model was made with library versions that cannot safely load it here."""

    exit_code = 8


def _minor(v: str) -> tuple[str, ...]:
    return tuple(v.split(".")[:2])


def check_versions(
    saved: dict[str, str], *, what: str, featurizer_version: str | None = None, featurizer: Any = None
) -> list[str]:
    """Compare ``saved`` library versions with the installed ones.

    Returns the warnings issued; raises :class:`ModelCompatibilityError` on a
    major/minor mismatch of a strict library, or when ``featurizer`` (the model's
    structure featurizer) computes another version than ``featurizer_version``
    (:func:`check_featurizer`).
    """
    from pharmakon.core.lifecycle import library_versions

    now = library_versions()
    issued = []
    for lib in _STRICT + _WARN:
        old, new = saved.get(lib), now.get(lib)
        if old is None or new is None or old == new:
            continue
        if lib in _STRICT and _minor(old) != _minor(new):
            raise ModelCompatibilityError(
                f"{what} was saved with {lib} {old} but {lib} {new} is installed; a model pickled by another "
                f"{lib} release may predict differently. Retrain it (`pharmakon model train ...`) or install "
                f"{lib}=={old}"
            )
        msg = f"{what} was saved with {lib} {old}; {new} is installed (patch-level difference, loading anyway)"
        warnings.warn(msg, stacklevel=3)
        issued.append(msg)
    if featurizer is not None:
        check_featurizer(featurizer, what=what, stored=featurizer_version)
    return issued


def check_featurizer(featurizer: Any, *, what: str, stored: str | None = None) -> None:
    """Refuse a featurizer that now computes another version than the model was trained with.

    ``stored`` is the version recorded at training (the metadata's ``featurizer.version``);
    without it (older records) the featurizer's own fitted ``version_`` is used. The
    current version is the featurizer's ``version`` attribute (its class says what this
    code computes). Either missing: nothing to compare, nothing raised.

    Raises
    ------
    ModelCompatibilityError
        The versions differ; the message names both.
    """
    if featurizer is None:
        return
    trained = stored if stored is not None else getattr(featurizer, "version_", None)
    current = getattr(featurizer, "version", None)
    if trained is None or current is None or str(trained) == str(current):
        return
    raise ModelCompatibilityError(
        f"{what} was trained on featurizer version {trained} ({type(featurizer).__name__}), but this "
        f"pharmakon computes version {current}; retrain the model"
    )


def feature_blocks(names: Any) -> str:
    """The blocks a fitted featurizer computes, from its ``block:column`` feature names, ``+``-joined in order.

    >>> feature_blocks(["morgan:0", "morgan:1", "rdkit2d:MolWt", "lipid:tails"])
    'morgan+rdkit2d+lipid'
    """
    return "+".join(dict.fromkeys(str(n).split(":", 1)[0] for n in names))


def model_metadata(model: Any, *, name: str) -> dict[str, Any]:
    """The JSON record stored with a model."""
    from pharmakon._version import __version__

    feat = model.featurizer
    return {
        "name": name,
        "task": model.task,
        "target": model.target,
        "smiles_col": model.smiles_col,
        "id_cols": model.id_cols,
        "numeric_cols": model.numeric_cols,
        "categorical_cols": model.categorical_cols,
        "classes": [str(c) for c in model.classes],
        "data_sha256": model.data_hash,
        "code_version": __version__,
        "library_versions": model.versions,
        "seed": model.seed,
        "featurizer": None
        if feat is None
        else {
            "class": type(feat).__name__,
            "params": feat.get_params(),
            "version": getattr(feat, "version_", None),
            "blocks": feature_blocks(feat.get_feature_names_out()),
        },
        "best": model.selection["best"],
        "cv_metrics": model.selection["cv_metrics"],
        "leaderboard": model.selection["leaderboard"],
        "n_trials": model.selection["n_trials"],
        "n_splits": model.selection["n_splits"],
        "cv_split": model.selection.get("cv_split"),
        "budget_s": model.selection["budget_s"],
        "train_seconds": model.selection["seconds"],
        "qc": model.qc,
        "uncertainty": {
            "alpha": model.alpha,
            "nominal_coverage": 1 - model.alpha,
            "conformal_q": model.conformal.q_,
            "method": "Mondrian conformal by novelty (out-of-fold scores)",
            "bins": model.conformal.bins(),
        },
        "domain": {
            "metric": model.domain.metric,
            "threshold": model.domain.threshold_,
            "quantile": model.domain.quantile,
            "max_reference": getattr(model.domain, "max_reference", None),
        },
        "steps": model.steps,
        "fairness": getattr(model, "fairness", None),
    }


def _json_safe(obj: Any) -> Any:
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def register_model(
    session: Session,
    model: Any,
    *,
    name: str,
    actor: str,
    alias: str | None = None,
    reason: str | None = None,
    card: bytes | None = None,
) -> Any:
    """Store ``model`` as a new version of ``name``; audit its lifecycle steps; optionally alias it.

    Returns the :class:`~pharmakon.store.ObjectVersion`. Everything happens in the
    caller's transaction, so a failure registers nothing.
    """
    import joblib

    from pharmakon.core.modelcard import render_model_card

    content = _json_safe(model_metadata(model, name=name))
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    card = card if card is not None else render_model_card(model, name=name, metadata=content).encode("utf-8")
    version = len(object_versions(session, KIND, name)) + 1
    for step in model.steps:
        record_event(
            session,
            actor=actor,
            action=step["action"],
            object_type=KIND,
            object_id=f"{name}@{version}",
            params=_json_safe({**step["params"], "at": step["at"]}),
        )
    saved = save_object(
        session,
        kind=KIND,
        name=name,
        content=content,
        actor=actor,
        reason=reason,
        artifacts={"model.joblib": buffer.getvalue(), "card.html": card},
    )
    if alias:
        promote_model(session, name=name, version=saved.version, alias=alias, actor=actor, reason=reason)
    return saved


def promote_model(
    session: Session, *, name: str, version: int, alias: str, actor: str, reason: str | None = None
) -> None:
    """Point ``alias`` (staging, production or another lower-case word) at a version; audited."""
    _set_alias(session, kind=KIND, name=name, alias=alias, version=version, actor=actor, reason=reason)


def load_model(
    session: Session, name: str, version: int | str | None = None, *, actor: str | None = None, cache: bool = False
) -> Any:
    """Load a registered model (newest, a version number or an alias), version-checked.

    With ``cache=True`` the loaded model is kept (see module notes) and the same object
    is returned by later calls for the same version: treat it as read-only.

    Raises
    ------
    NotFoundError
        No such model, version or alias.
    ModelCompatibilityError
        Library or featurizer version mismatch (see module docstring).
    StoreError
        The artifact is missing, corrupt or cannot be unpickled.
    """
    obj = resolve_model(session, name, version)
    digest = obj.artifacts["model.joblib"]
    stored = (obj.content.get("featurizer") or {}).get("version")
    if not cache:
        return load_model_artifact(
            digest, name=name, version=obj.version, created_at=obj.created_at, featurizer_version=stored
        )
    path, size, mtime = _artifact_stat(digest)
    key = (name, obj.version, path, size, mtime)
    model = _CACHE.get(key)
    if model is not None:
        return model
    model = load_model_artifact(
        digest, name=name, version=obj.version, created_at=obj.created_at, featurizer_version=stored
    )
    return _CACHE.put(key, model, size)


def resolve_model(session: Session, name: str, version: int | str | None = None) -> Any:
    """The stored version :func:`load_model` would load, library-version-checked but not unpickled.

    Returns the :class:`~pharmakon.store.ObjectVersion`; its ``artifacts["model.joblib"]``
    is what :func:`load_model_artifact` takes (e.g. in a worker process).
    """
    obj = get_object(session, KIND, name, version)
    check_versions(obj.content.get("library_versions", {}), what=f"model {name!r} version {obj.version}")
    return obj


def load_model_artifact(
    digest: str, *, name: str, version: int, created_at: Any = None, featurizer_version: str | None = None
) -> Any:
    """Unpickle a model artifact (hash-verified) that :func:`resolve_model` checked.

    The model's structure featurizer (if any) is then asked whether it still computes
    the version the model was trained with (``featurizer_version`` from the metadata;
    default the featurizer's own record, see :func:`check_featurizer`).

    Raises
    ------
    StoreError
        The artifact is missing, corrupt or cannot be unpickled.
    ModelCompatibilityError
        The featurizer computes another version now.
    """
    import joblib

    try:
        data = read_artifact(digest)
    except StoreError as exc:
        raise StoreError(f"model {name!r} version {version}: {exc}") from exc
    try:
        model = joblib.load(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a corrupt/incompatible artifact
        raise StoreError(
            f"model {name!r} version {version}: the model artifact could not be loaded ({type(exc).__name__}: {exc})"
        ) from exc
    check_featurizer(
        getattr(model, "featurizer", None), what=f"model {name!r} version {version}", stored=featurizer_version
    )
    model.registry = {"name": name, "version": version, "created_at": created_at, "artifact_bytes": len(data)}
    return model


def _cache_limit() -> int:
    """Artifact bytes the model cache may hold (``PHARMAKON_MODEL_CACHE_MB``)."""
    return model_cache_bytes()


#: (name, version, artifact path, size, mtime) -> model, bounded by artifact bytes (read on every insert).
_CACHE = BoundedCache(lambda: _cache_limit())


def clear_model_cache() -> None:
    """Forget every model ``load_model(..., cache=True)`` kept."""
    _CACHE.clear()


def _artifact_stat(digest: str) -> tuple[str, int, int]:
    """(path, size in bytes, mtime in ns) of an artifact file; a missing file gives size -1 (never cached)."""
    from pharmakon.store.objects import artifact_path

    path = artifact_path(digest)
    try:
        st = path.stat()
    except OSError:
        return str(path), -1, -1
    return str(path), st.st_size, st.st_mtime_ns


def list_models(session: Session) -> list[Any]:
    """Newest version of every registered model."""
    return list_objects(session, KIND)


def model_versions(session: Session, name: str) -> list[Any]:
    return object_versions(session, KIND, name)


def model_card_html(session: Session, name: str, version: int | str | None = None) -> str:
    obj = get_object(session, KIND, name, version)
    return read_artifact(obj.artifacts["card.html"]).decode("utf-8")


def model_aliases(session: Session, name: str) -> dict[str, int]:
    """Alias -> version for one model (e.g. ``{"production": 3}``)."""
    from sqlalchemy import select

    from pharmakon.store.schema import ObjectAlias

    rows = session.execute(
        select(ObjectAlias.alias, ObjectAlias.version).where(ObjectAlias.kind == KIND, ObjectAlias.name == name)
    ).all()
    return {a: int(v) for a, v in rows}
