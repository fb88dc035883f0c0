"""The ADMET panel: which endpoints, from which catalogued data, trained through core.

Every endpoint maps a name to a catalogued data set, table, SMILES column and target
(:data:`ENDPOINTS`), plus the rule for which rows are training data:

* Biogen ADME (Fang et al. 2023): the catalogue holds only the authors' *training*
  splits (their test splits are sealed for independent evaluation), so all rows train.
* PharmaBench (Niu et al. 2024): rows whose ``scaffold_train_test_label`` is
  ``train``; the scaffold test rows are left out of training.
* MoleculeNet: the whole table (MoleculeNet has no fixed split); Tox21 is one
  endpoint per assay, rows with a missing label dropped.

Each endpoint goes through :func:`pharmakon.core.train_model` (QC, CV selection inside
the per-endpoint budget, conformal calibration, applicability domain) and is registered
as model ``admet.<endpoint>``. Assumptions: labels as published (no unit conversion;
PharmaBench CYP values are modelled on their given scale); conformal coverage holds for
molecules exchangeable with the training data, which ``in_domain`` flags.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pharmakon.datasets.loaders_molecules import TOX21_ASSAYS
from pharmakon.errors import InputError

__all__ = [
    "Endpoint",
    "ENDPOINTS",
    "MODEL_PREFIX",
    "PANEL_MODELS",
    "PANEL_DOMAIN_REFERENCE",
    "endpoint_names",
    "resolve_endpoints",
    "endpoint_frame",
    "train_endpoint",
    "train_panel",
    "SERVED_ALIAS",
    "WEAK_R2",
    "WEAK_AUROC",
    "endpoint_quality",
    "served_versions",
    "load_panel",
    "RegisteredPanel",
    "registered_panel",
    "PROFILES",
    "SCREEN_FEATURIZER",
    "SCREEN_MODELS",
    "model_prefix",
]

MODEL_PREFIX = "admet."
#: Prediction profiles: the exact ``full`` panel (fingerprints + RDKit 2D descriptors) and the
#: ``screen`` panel for ultra-large libraries (fingerprint-only models, trained through the same
#: lifecycle, so conformal intervals and the domain flag are kept). Profile -> registry prefix.
PROFILES: dict[str, str] = {"full": MODEL_PREFIX, "screen": "admet-screen."}
#: Features of the screening profile: Morgan counts only (no descriptor calculator per molecule).
SCREEN_FEATURIZER = "morgan"
#: Model families of the screening profile: linear models and one gradient-boosted ensemble.
SCREEN_MODELS: tuple[str, ...] = ("ridge", "logistic", "lightgbm")


def model_prefix(profile: str = "full") -> str:
    """Registry name prefix of a profile's endpoint models (``admet.`` or ``admet-screen.``)."""
    try:
        return PROFILES[profile]
    except KeyError:
        raise InputError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}", field="profile") from None


#: Model families the panel selects from by default: their prediction cost does not grow with the
#: training set (no kNN, no kernel SVM), so scoring a library stays fast. ``models=`` overrides.
PANEL_MODELS: tuple[str, ...] = ("ridge", "logistic", "lightgbm", "xgboost", "rf", "mlp")
#: Training molecules each endpoint keeps as its applicability-domain reference (a seeded random
#: subset above this; the flag rate is calibrated on the rest). Bounds the panel's per-molecule
#: domain cost at 36 x 2,000 comparisons whatever the training sets grow to.
PANEL_DOMAIN_REFERENCE = 2000
#: The alias users are served from: the workbench page, the REST routes and ``pharmakon admet
#: predict`` use each endpoint's ``production`` version where it has one, and the newest version
#: (with a note saying so) where it has none, so ``admet train`` alone does not change what users get.
SERVED_ALIAS = "production"
#: Cross-validated quality below which an endpoint is flagged "weak model": r² for regression,
#: AUROC for classification (0.5 is chance). Its predictions are shown with that warning.
WEAK_R2, WEAK_AUROC = 0.3, 0.7


@dataclass(frozen=True)
class Endpoint:
    """One panel endpoint.

    Attributes
    ----------
    name : str
        Panel name (output column prefix, registry name ``admet.<name>``).
    dataset, table : str
        Catalogue data set and table (:func:`pharmakon.datasets.load`).
    smiles_col, target : str
        Structure and label columns of that table.
    task : {"regression", "classification"}
    split : {"all", "scaffold_train"}
        Which rows train (see module notes).
    description : str
        What is predicted, with units.
    """

    name: str
    dataset: str
    table: str
    smiles_col: str
    target: str
    task: str
    split: str
    description: str


def _biogen(name: str, table: str, what: str) -> Endpoint:
    return Endpoint(name, "biogen_adme_fang2023", table, "smiles", "activity", "regression", "all", what)


def _pb(name: str, table: str, task: str, what: str) -> Endpoint:
    return Endpoint(name, "pharmabench", table, "Smiles_unify", "value", task, "scaffold_train", what)


def _mn(name: str, table: str, target: str, task: str, what: str) -> Endpoint:
    return Endpoint(name, "moleculenet", table, "smiles", target, task, "all", what)


_LIST: list[Endpoint] = [
    _biogen("biogen_hlm", "hlm", "log10 human liver microsomal CLint (mL/min/kg)"),
    _biogen("biogen_rlm", "rlm", "log10 rat liver microsomal CLint (mL/min/kg)"),
    _biogen("biogen_mdr1_er", "mdr1_er", "log10 MDR1-MDCK efflux ratio"),
    _biogen("biogen_solubility", "solubility", "log10 solubility at pH 6.8 (ug/mL)"),
    _biogen("biogen_hppb", "hppb", "log10 human plasma protein binding (% unbound)"),
    _biogen("biogen_rppb", "rppb", "log10 rat plasma protein binding (% unbound)"),
    _mn("esol", "esol", "log_solubility", "regression", "ESOL log10 aqueous solubility (mol/L)"),
    _mn("freesolv", "freesolv", "freesolv", "regression", "FreeSolv hydration free energy (kcal/mol)"),
    _mn("lipophilicity", "lipophilicity", "lipo", "regression", "AstraZeneca logD at pH 7.4"),
    _mn("bbbp", "bbbp", "p_np", "classification", "blood-brain barrier penetration (1 = penetrates)"),
    _mn("clintox", "clintox", "CT_TOX", "classification", "clinical-trial toxicity failure (1 = toxic)"),
    _mn("bace", "bace", "Class", "classification", "BACE-1 inhibitor (1 = active)"),
    _mn("hiv", "hiv", "HIV_active", "classification", "DTP anti-HIV screen (1 = active)"),
    *(
        _mn(f"tox21_{t.lower().replace('-', '_')}", "tox21", t, "classification", f"Tox21 {t} assay (1 = active)")
        for t in TOX21_ASSAYS
    ),
    _pb("pb_logd", "logd", "regression", "PharmaBench logD"),
    _pb("pb_water_solubility", "water_solubility", "regression", "PharmaBench log10 solubility (nM)"),
    _pb("pb_bbb", "bbb", "classification", "PharmaBench BBB penetration (1 = penetrates)"),
    _pb("pb_ames", "ames", "classification", "PharmaBench Ames mutagenicity (1 = positive)"),
    _pb("pb_ppb", "ppb", "regression", "PharmaBench plasma protein binding (fraction bound)"),
    _pb("pb_cyp2c9", "cyp2c9", "regression", "PharmaBench CYP2C9 inhibition (value as published)"),
    _pb("pb_cyp2d6", "cyp2d6", "regression", "PharmaBench CYP2D6 inhibition (value as published)"),
    _pb("pb_cyp3a4", "cyp3a4", "regression", "PharmaBench CYP3A4 inhibition (value as published)"),
    _pb("pb_human_mic_cl", "human_microsomal_cl", "regression", "PharmaBench log human microsomal CL"),
    _pb("pb_rat_mic_cl", "rat_microsomal_cl", "regression", "PharmaBench log rat microsomal CL"),
    _pb("pb_mouse_mic_cl", "mouse_microsomal_cl", "regression", "PharmaBench log mouse microsomal CL"),
]
#: Endpoint name -> :class:`Endpoint`; 36 endpoints (6 Biogen, 19 MoleculeNet, 11 PharmaBench).
ENDPOINTS: dict[str, Endpoint] = {e.name: e for e in _LIST}


def endpoint_names() -> list[str]:
    """All endpoint names, in panel order."""
    return list(ENDPOINTS)


def resolve_endpoints(names: Sequence[str] | None) -> list[Endpoint]:
    """Endpoints by name; ``None``/empty means all. Accepts ``biogen``/``moleculenet``/``pharmabench`` as groups.

    Raises
    ------
    InputError
        An unknown name; the message lists the known ones.
    """
    if not names:
        return list(ENDPOINTS.values())
    out: list[Endpoint] = []
    for name in names:
        group = (
            [e for e in ENDPOINTS.values() if e.dataset.startswith(name)]
            if name in ("biogen", "moleculenet", "pharmabench")
            else [ENDPOINTS[name]]
            if name in ENDPOINTS
            else None
        )
        if group is None:
            raise InputError(
                f"unknown endpoint {name!r}; choose from {endpoint_names()} or a group "
                "(biogen, moleculenet, pharmabench)",
                field="endpoints",
            )
        out += [e for e in group if e not in out]
    return out


def endpoint_frame(endpoint: Endpoint, *, max_rows: int | None = None, seed: int = 0) -> pd.DataFrame:
    """Training rows of ``endpoint`` as a frame with columns ``smiles`` and ``y``.

    ``max_rows`` takes a seeded random subset (for tests and quick runs).
    """
    from pharmakon.datasets import load

    raw = load(endpoint.dataset, endpoint.table)
    if endpoint.split == "scaffold_train":
        raw = raw[raw["scaffold_train_test_label"].astype(str).str.strip().eq("train")]
    frame = pd.DataFrame(
        {"smiles": raw[endpoint.smiles_col].astype(object).to_numpy(), "y": raw[endpoint.target].to_numpy()}
    )
    frame = frame.dropna(subset=["smiles", "y"]).reset_index(drop=True)
    if endpoint.task == "classification":
        frame["y"] = frame["y"].astype(int)
    else:
        frame["y"] = frame["y"].astype(float)
    if max_rows is not None and len(frame) > max_rows:
        frame = frame.sample(n=max_rows, random_state=seed).reset_index(drop=True)
    return frame


def train_endpoint(
    endpoint: Endpoint,
    *,
    budget_s: float = 60.0,
    trials: int | None = None,
    seed: int = 0,
    featurizer: str = "morgan+rdkit2d",
    max_rows: int | None = None,
    frame: pd.DataFrame | None = None,
    cv_split: str = "random",
    channel: str | None = None,
    **kwargs: Any,
):
    """Train one endpoint through :func:`pharmakon.core.train_model`; returns the ``TrainedModel``.

    ``trials`` is fixed work instead of the budget (every family screened, then that many
    Optuna trials: the same model on any machine). ``frame`` (columns ``smiles``, ``y``)
    replaces the catalogue data (tests);
    ``cv_split="scaffold"`` keeps each Bemis–Murcko scaffold in one CV fold; other
    keyword arguments go to ``train_model`` (e.g. ``n_jobs``; ``models`` defaults to
    :data:`PANEL_MODELS`). ``channel`` (the front end that asked, see
    :class:`~pharmakon.caller.Caller`) is kept in the first lifecycle step, ``admet.endpoint``.
    """
    from pharmakon.chem.featurizers import make_featurizer
    from pharmakon.core.lifecycle import train_model
    from pharmakon.core.zoo import ZOO, zoo_names

    start = time.monotonic()  # the budget counts loading, scaffold grouping and featurization too
    data = endpoint_frame(endpoint, max_rows=max_rows, seed=seed) if frame is None else frame
    if cv_split not in ("random", "scaffold"):
        raise InputError(f"cv_split must be random or scaffold, got {cv_split!r}", field="cv_split")
    if cv_split == "scaffold":
        from pharmakon.chem.scaffolds import murcko_scaffolds

        kwargs["groups"] = murcko_scaffolds(data["smiles"].tolist())
        kwargs["groups_kind"] = "scaffold"
    kwargs.setdefault("max_reference", PANEL_DOMAIN_REFERENCE)
    wanted = kwargs.get("models") or PANEL_MODELS  # one list serves both tasks: keep the families that fit
    unknown = [m for m in wanted if m not in ZOO]
    if unknown:
        raise InputError(
            f"unknown model famil{'y' if len(unknown) == 1 else 'ies'} {unknown}; choose from {sorted(ZOO)}",
            field="models",
        )
    kwargs["models"] = [m for m in zoo_names(endpoint.task) if m in wanted]
    if not kwargs["models"]:
        raise InputError(
            f"none of the model families {list(wanted)} fits {endpoint.name} ({endpoint.task}); "
            f"choose from {zoo_names(endpoint.task)}",
            field="models",
        )
    model = train_model(
        data,
        "y",
        task=endpoint.task,
        smiles_col="smiles",
        featurizer=make_featurizer(featurizer),
        budget_s=budget_s,
        trials=trials,
        seed=seed,
        start=start,
        file=f"{endpoint.dataset}/{endpoint.table}",
        **kwargs,
    )
    model.steps.insert(
        0,
        {
            "action": "admet.endpoint",
            "params": {
                "endpoint": endpoint.name,
                "dataset": endpoint.dataset,
                "table": endpoint.table,
                "target": endpoint.target,
                "split": endpoint.split,
                "rows": len(data),
                **({"channel": channel} if channel else {}),
            },
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    )
    return model


def train_panel(
    session: Any,
    endpoints: Sequence[str] | None = None,
    *,
    actor: str,
    channel: str | None = None,
    budget_s: float = 60.0,
    trials: int | None = None,
    seed: int = 0,
    max_rows: int | None = None,
    featurizer: str | None = None,
    alias: str | None = None,
    reason: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    profile: str = "full",
    **kwargs: Any,
) -> list[dict[str, Any]]:
    """Train and register endpoints as ``admet.<name>``, one after another
    (:func:`pharmakon.chem.service.train_endpoints` is the audited use case over it).

    Each model is registered in ``session`` as soon as it is trained (a failure
    part-way leaves the endpoints before it registered, none half-written).
    ``profile="screen"`` registers ``admet-screen.<name>`` models on
    :data:`SCREEN_FEATURIZER` features, selected from :data:`SCREEN_MODELS` unless
    ``featurizer``/``models`` say otherwise.

    Returns
    -------
    list of dict
        Per endpoint: ``endpoint``, ``model`` (registry name), ``version``, ``task``,
        ``rows``, ``best`` (model family), ``cv_metrics``, ``seconds``.
    """
    from pharmakon.core.registry import register_model

    prefix = model_prefix(profile)
    if featurizer is None:
        featurizer = SCREEN_FEATURIZER if profile == "screen" else "morgan+rdkit2d"
    if profile == "screen" and not kwargs.get("models"):
        kwargs["models"] = list(SCREEN_MODELS)
    chosen = resolve_endpoints(endpoints)
    summary = []
    for k, endpoint in enumerate(chosen):
        if progress:
            progress(endpoint.name, k, len(chosen))
        t0 = time.monotonic()
        model = train_endpoint(
            endpoint,
            budget_s=budget_s,
            trials=trials,
            seed=seed,
            featurizer=featurizer,
            max_rows=max_rows,
            channel=channel,
            **kwargs,
        )
        saved = register_model(session, model, name=prefix + endpoint.name, actor=actor, alias=alias, reason=reason)
        summary.append(
            {
                "endpoint": endpoint.name,
                "model": prefix + endpoint.name,
                "version": saved.version,
                "task": model.task,
                "rows": int(model.qc["n_rows_out"]),
                "best": model.selection["best"]["model"],
                "cv_metrics": model.selection["cv_metrics"],
                "seconds": round(time.monotonic() - t0, 1),
            }
        )
    if progress:
        progress("", len(chosen), len(chosen))
    return summary


def endpoint_quality(task: str, cv_metrics: dict[str, Any]) -> dict[str, Any]:
    """An endpoint's cross-validated quality and whether it is a weak model.

    Returns
    -------
    dict
        ``metric`` (``r2`` or ``auroc``), ``value`` (None if not computed), ``threshold``
        (:data:`WEAK_R2` / :data:`WEAK_AUROC`), ``weak`` (value below the threshold, or
        missing) and ``text`` (e.g. ``"CV r² 0.015: weak model (below 0.3)"``).
    """
    metric, threshold, label = ("r2", WEAK_R2, "r²") if task == "regression" else ("auroc", WEAK_AUROC, "AUROC")
    value = cv_metrics.get(metric)
    value = None if value is None or value != value else float(value)
    weak = value is None or value < threshold
    text = f"CV {label} {value:.3f}" if value is not None else f"CV {label} not computed"
    if weak:
        text += f": weak model (below {threshold})"
    return {"metric": metric, "value": value, "threshold": threshold, "weak": weak, "text": text}


def served_versions(
    session: Any, endpoints: Sequence[str] | None = None, *, version: int | str | None = None, profile: str = "full"
) -> dict[str, tuple[int, str | None]]:
    """Endpoint -> ``(version served, note)`` for the registered panel.

    With ``version`` None each endpoint is served from its :data:`SERVED_ALIAS` version,
    or from its newest version with a note saying it has none; a given ``version`` (a
    number or alias) is used for every endpoint, without a note.

    Raises
    ------
    InputError
        As :func:`load_panel`.
    NotFoundError
        An endpoint has no such version or alias.
    """
    from pharmakon.core.registry import model_aliases, resolve_model

    prefix = model_prefix(profile)
    out: dict[str, tuple[int, str | None]] = {}
    for n in _panel_names(session, endpoints, profile):
        name = prefix + n
        if version is not None:
            out[n] = (resolve_model(session, name, version).version, None)
            continue
        aliased = model_aliases(session, name).get(SERVED_ALIAS)
        if aliased is not None:
            out[n] = (aliased, None)
        else:
            newest = resolve_model(session, name).version
            out[n] = (
                newest,
                f"no {SERVED_ALIAS} version: serving the newest, v{newest} (promote one with "
                f"`pharmakon model promote {name} --version N --alias {SERVED_ALIAS}`)",
            )
    return out


def load_panel(
    session: Any,
    endpoints: Sequence[str] | None = None,
    *,
    version: str | None = None,
    cache: bool = False,
    profile: str = "full",
) -> dict[str, Any]:
    """Registered panel models, endpoint name -> ``TrainedModel``, as :func:`served_versions` picks them
    (``production``, else the newest; or the ``version`` given for all).

    With ``endpoints`` None, every registered ``admet.*`` model is loaded. ``cache``
    keeps them loaded for later calls (``load_model(..., cache=True)``; servers).

    Raises
    ------
    InputError
        No endpoint is registered (run ``pharmakon admet train``), or a requested one is missing.
    """
    from pharmakon.core.registry import load_model

    served = served_versions(session, endpoints, version=version, profile=profile)
    prefix = model_prefix(profile)
    return {n: load_model(session, prefix + n, v, cache=cache) for n, (v, _) in served.items()}


@dataclass(frozen=True)
class RegisteredPanel:
    """A registered panel by reference, for processes that load it themselves.

    ``entries`` holds, per endpoint, ``(endpoint, model name, version, created_at,
    artifact SHA-256)``, already version-checked by :func:`registered_panel`. Worker
    processes call :meth:`load` (hash-verified reads of the store's artifacts), so the
    caller never unpickles the models: a file prediction starts sooner and its parent
    process stays small.
    """

    entries: tuple[tuple[str, str, int, Any, str], ...]

    @property
    def names(self) -> list[str]:
        return [e[0] for e in self.entries]

    @property
    def refs(self) -> dict[str, str]:
        """Endpoint -> ``model@version``."""
        return {e[0]: f"{e[1]}@{e[2]}" for e in self.entries}

    def key(self) -> tuple:
        """What identifies the loaded models (a worker keeps one panel per key)."""
        return self.entries

    def load(self) -> dict[str, Any]:
        """Endpoint -> ``TrainedModel`` (needs the same ``PHARMAKON_HOME`` as the caller)."""
        from pharmakon.core.registry import load_model_artifact

        return {
            endpoint: load_model_artifact(digest, name=name, version=version, created_at=created)
            for endpoint, name, version, created, digest in self.entries
        }


def registered_panel(
    session: Any, endpoints: Sequence[str] | None = None, *, version: str | None = None, profile: str = "full"
) -> RegisteredPanel:
    """What :func:`load_panel` would load (the same versions), resolved and version-checked but not unpickled.

    Raises
    ------
    InputError, ModelCompatibilityError
        As :func:`load_panel`.
    """
    from pharmakon.core.registry import resolve_model

    prefix = model_prefix(profile)
    entries = []
    for n, (v, _) in served_versions(session, endpoints, version=version, profile=profile).items():
        obj = resolve_model(session, prefix + n, v)
        entries.append((n, prefix + n, obj.version, obj.created_at, obj.artifacts["model.joblib"]))
    return RegisteredPanel(tuple(entries))


def _panel_names(session: Any, endpoints: Sequence[str] | None, profile: str = "full") -> list[str]:
    from pharmakon.core.registry import list_models

    prefix = model_prefix(profile)
    registered = {o.name[len(prefix) :] for o in list_models(session) if o.name.startswith(prefix)}
    names = (
        [e.name for e in resolve_endpoints(endpoints)]
        if endpoints
        else [n for n in [*ENDPOINTS, *sorted(registered - set(ENDPOINTS))] if n in registered]
    )
    missing = [n for n in names if n not in registered]
    if missing or not names:
        train = "pharmakon admet train" + ("" if profile == "full" else f" --profile {profile}")
        raise InputError(
            f"ADMET {profile}-profile endpoint model(s) not registered: {missing or 'none at all'}; run `{train}` first",
            field="endpoints",
        )
    return names
