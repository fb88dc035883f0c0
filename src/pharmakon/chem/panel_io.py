"""Streaming panel prediction: read molecules in chunks, predict every endpoint, write atomically.

Memory stays flat in the input size: the reader yields chunks of ``chunk_size``
molecules, a window of ``2 x workers`` chunks is in flight at a time, each finished
window is appended to a temporary file next to the output, and the temporary file is
renamed over the output only when everything succeeded (``os.replace``).

Per chunk, molecules are standardised once and featurized once per distinct featurizer
configuration, and every endpoint predicts from that one feature block.
Workers load the panel once per process: from the store's artifacts when given a
:class:`~pharmakon.chem.admet.RegisteredPanel` (what ``pharmakon admet predict`` passes,
so the calling process never unpickles the models), or from a joblib file the caller
writes when given models in memory. The ``ray`` backend needs those files on a
filesystem its workers share (a local cluster does).
A server keeps its panel between requests with :func:`shared_panel`, in a
:class:`~pharmakon.core.cache.BoundedCache` bounded by the same
``PHARMAKON_MODEL_CACHE_MB`` as the registry's model cache (a panel counts its models'
artifact bytes). A worker holds the one panel of the job it serves (a slot, not a
cache: it is replaced when another job's panel arrives, and never dropped mid-job).
CSV/TSV input is read by the one table reader (:func:`pharmakon.tables.iter_table`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pharmakon.core.cache import BoundedCache, pickled_nbytes
from pharmakon.errors import InputError
from pharmakon.files import atomic_open
from pharmakon.tables import check_file, iter_table, read_header

if TYPE_CHECKING:
    from pharmakon.chem.admet import RegisteredPanel
    from pharmakon.chem.screen import ScreenPanel

__all__ = [
    "SMILES_COLUMNS",
    "read_molecules",
    "smiles_frame",
    "Panel",
    "make_panel",
    "feature_key",
    "panel_frame",
    "endpoint_columns",
    "predict_chunk",
    "predict_smiles",
    "predict_file",
    "shared_panel",
    "panel_nbytes",
    "clear_shared_panels",
]

#: Column names recognised as the SMILES column of a CSV (case-insensitive), in order.
SMILES_COLUMNS = ("smiles", "canonical_smiles", "smiles_unify", "smi", "mol")
#: This worker process's panel: ``(source key, Panel)`` of the job it serves (see the module notes).
_WORKER_PANEL: list[tuple[Any, Any]] = []
#: Panels :func:`shared_panel` keeps, by artifact bytes (``PHARMAKON_MODEL_CACHE_MB``, like the model cache).
_SHARED = BoundedCache()


def _find_col(columns: list[str], wanted: str | None, file: str) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise InputError(f"column {wanted!r} not found; the columns are {columns}", file=file, field=wanted)
        return wanted
    lower = {c.lower().strip(): c for c in columns}
    for name in SMILES_COLUMNS:
        if name in lower:
            return lower[name]
    raise InputError(
        f"no SMILES column found (looked for {list(SMILES_COLUMNS)}); the columns are {columns}; "
        "name it with --smiles-col",
        file=file,
    )


def molecule_lines(frame: pd.DataFrame) -> str:
    """The molecules of ``frame`` as ``id,input`` CSV lines (no header): what an audit event hashes.

    The same text whether the molecules came in a request or a file, so the same molecules
    give the same input hash on every channel.
    """
    return frame[["id", "input"]].to_csv(index=False, header=False, lineterminator="\n")


def read_molecules(
    path: Path, *, chunk_size: int = 5000, smiles_col: str | None = None, id_col: str | None = None
) -> Iterator[pd.DataFrame]:
    """Yield chunks of molecules from a CSV/TSV, SMILES (``.smi``) or SDF file.

    Yields
    ------
    DataFrame
        Up to ``chunk_size`` rows: ``row`` (1-based record number in the file),
        ``id`` (``id_col``, else the SMILES file's name field or the SDF title,
        else the 1-based record number), ``input`` (SMILES; None for an SDF record RDKit cannot read) and
        ``parse_error`` (why a record could not be read, else empty).

    Raises
    ------
    InputError
        Missing or empty file, unknown columns, an unsupported extension.
    """
    path = check_file(path)
    file = str(path)
    if chunk_size < 1:
        raise InputError(f"chunk size must be >= 1, got {chunk_size}", field="chunk_size")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".tab", ".txt"):
        yield from _read_table(path, chunk_size, smiles_col, id_col)
    elif suffix in (".smi", ".smiles"):
        yield from _chunks(_smi_records(path), chunk_size, path, "the file has no SMILES lines")
    elif suffix in (".sdf", ".sd"):
        yield from _chunks(_sdf_records(path), chunk_size, path, "the file has no SDF records")
    else:
        raise InputError(f"unsupported input type {suffix!r}; use .csv, .tsv, .smi or .sdf", file=file)


def _frame(rows: list[tuple[int, str, str | None, str]]) -> pd.DataFrame:
    """Records as a chunk; ``input`` an object column that keeps None (an unreadable record) as None, not NaN."""
    row, ids, inputs, errors = zip(*rows) if rows else ((), (), (), ())
    return pd.DataFrame(
        {
            "row": pd.Series(row, dtype="int64"),
            "id": pd.Series(ids, dtype=object),
            "input": pd.Series(inputs, dtype=object),
            "parse_error": pd.Series(errors, dtype=object),
        }
    )


def _read_table(path: Path, chunk_size: int, smiles_col: str | None, id_col: str | None):
    file = str(path)
    header = read_header(path)
    col = _find_col(header, smiles_col, file)
    if id_col is not None:
        _find_col(header, id_col, file)
    start = 1
    wanted = [col] + ([id_col] if id_col is not None and id_col != col else [])
    for raw in iter_table(path, chunk_size, dtype=str, keep_default_na=False, usecols=wanted):
        n = len(raw)
        ids = raw[id_col].tolist() if id_col else [str(k) for k in range(start, start + n)]
        yield _frame(list(zip(range(start, start + n), ids, raw[col].tolist(), [""] * n)))
        start += n


def _chunks(records: Iterator[tuple[int, str, str | None, str]], chunk_size: int, path: Path, nothing: str):
    """Frames of up to ``chunk_size`` records; ``InputError(nothing)`` when there is no record at all."""
    seen = False
    while rows := list(itertools.islice(records, chunk_size)):
        seen = True
        yield _frame(rows)
    if not seen:
        raise InputError(nothing, file=str(path))


def _smi_records(path: Path):
    n = 0
    with path.open(encoding="utf-8-sig") as handle:
        for line in handle:
            parts = line.split(maxsplit=1)
            if not parts or (n == 0 and parts[0].lower() == "smiles"):
                continue
            n += 1
            name = parts[1].strip() if len(parts) > 1 else ""
            yield n, name or str(n), parts[0], ""


def _sdf_records(path: Path):
    from rdkit import Chem

    from pharmakon.chem.standardize import rdkit_quiet

    with path.open("rb") as handle, rdkit_quiet():
        for n, mol in enumerate(Chem.ForwardSDMolSupplier(handle), start=1):
            if mol is None:
                yield n, str(n), None, "RDKit could not read this SDF record"
            else:
                title = mol.GetProp("_Name").strip() if mol.HasProp("_Name") else ""
                yield n, title or str(n), Chem.MolToSmiles(mol), ""


def smiles_frame(smiles: Sequence[object], ids: Sequence[str] | None = None) -> pd.DataFrame:
    """A chunk like :func:`read_molecules` yields, from in-memory SMILES (rows numbered from 1)."""
    if ids is not None and len(ids) != len(smiles):
        raise InputError(f"{len(ids)} ids for {len(smiles)} SMILES; give one id per molecule", field="ids")
    names = [str(i) for i in ids] if ids is not None else [""] * len(smiles)
    return _frame([(k, names[k - 1], s if isinstance(s, str) else None, "") for k, s in enumerate(smiles, start=1)])


def feature_key(featurizer: Any) -> tuple:
    """What identifies a featurizer's output: class, parameters and version (models sharing it share a block)."""
    return (type(featurizer).__name__, tuple(sorted(featurizer.get_params().items())), featurizer.version_)


def panel_frame(chunk: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The leading columns of a panel chunk: ``row``, ``id``, ``input``, ``canonical``, ``status``.

    ``table`` is the chunk's standardisation table (:func:`~pharmakon.chem.standardize.standardize_smiles`);
    a record the reader could not read keeps the reader's reason.
    """
    out = chunk[["row", "id", "input"]].reset_index(drop=True).copy()
    status = table["status"].where(table["status"].ne("invalid"), "invalid: " + table["reason"])
    errors = chunk["parse_error"].reset_index(drop=True)
    out["canonical"] = table["canonical"].to_numpy()
    out["status"] = np.where(errors.ne(""), "invalid: " + errors, status)
    return out


def endpoint_columns(
    name: str, model: Any, rows: dict[str, np.ndarray] | None, ok: np.ndarray, n: int
) -> dict[str, np.ndarray]:
    """One endpoint's output columns for a chunk of ``n`` molecules.

    ``rows`` holds ``TrainedModel.predict_rows``'s columns for the valid molecules (``ok``,
    shape (n,)); the others get the model's empty values. Columns: ``<name>``, then
    ``<name>_lower``/``<name>_upper`` (regression) or ``<name>_p1``/``<name>_set``
    (classification), then ``<name>_in_domain``.
    """
    full = model.empty_columns(n)
    if rows is not None and ok.any():
        for col, values in full.items():
            values[ok] = rows[col]
    out = {name: full["prediction"]}
    if model.task == "regression":
        out[f"{name}_lower"], out[f"{name}_upper"] = full["pred_lower"], full["pred_upper"]
    else:
        out[f"{name}_p1"] = full[f"proba_{model.classes[-1]}"]
        out[f"{name}_set"] = full["pred_set"]
    out[f"{name}_in_domain"] = full["in_domain"]
    return out


class Panel:
    """Endpoint models made ready for many chunks: one standardisation, one featurization and one
    applicability-domain pass per chunk serve every endpoint.

    Models sharing a featurizer configuration share its feature block; their Tanimoto
    domains are stacked into one :class:`~pharmakon.core.nearest.TanimotoIndex`, so each
    molecule is compared with every endpoint's reference set in a single sparse pass
    (the same scores ``ApplicabilityDomain.score`` gives, checked in the tests).
    """

    def __init__(self, models: dict[str, Any]) -> None:
        from pharmakon.core.nearest import TanimotoIndex

        self.models = models  # may be empty: then a chunk gets standardisation and alerts only
        self.groups: dict[tuple, list[str]] = {}
        for name, model in models.items():
            self.groups.setdefault(feature_key(model.featurizer), []).append(name)
        self.indexes: dict[tuple, tuple[Any, list[str]]] = {}
        for key, names in self.groups.items():
            tanimoto = [n for n in names if models[n].domain.metric == "tanimoto"]
            if tanimoto:
                refs = [models[n].domain.reference_packed() for n in tanimoto]  # one featurizer: one width
                index = TanimotoIndex.from_packed(
                    np.concatenate([r for r, _ in refs]), refs[0][1], [len(r) for r, _ in refs]
                )
                self.indexes[key] = (index, tanimoto)
        self._lock = threading.Lock()

    def predict_smiles(
        self, smiles: Sequence[object], *, ids: Sequence[str] | None = None, alerts: bool = True
    ) -> pd.DataFrame:
        """The panel for in-memory SMILES; same columns as :meth:`predict_chunk`. Safe to call from threads
        (calls take turns: a chunk already keeps a core busy)."""
        if len(smiles) == 0:
            raise InputError("no molecules given", field="smiles")
        with self._lock:
            return self.predict_chunk(smiles_frame(smiles, ids), alerts=alerts)

    def predict_chunk(self, chunk: pd.DataFrame, *, alerts: bool = True) -> pd.DataFrame:
        """Every endpoint's prediction plus alerts for one chunk from :func:`read_molecules`.

        Returns
        -------
        DataFrame
            One row per input row: ``row``, ``id``, ``input``, ``canonical``, ``status``
            (``ok`` or why not), then per endpoint ``<name>`` and either
            ``<name>_lower``/``<name>_upper`` (regression, conformal interval) or
            ``<name>_p1`` (probability of the last class) and ``<name>_set`` (conformal
            set), and ``<name>_in_domain``; then :data:`~pharmakon.chem.alerts.ALERT_COLUMNS`
            (unless ``alerts`` is False).
        """
        from rdkit import Chem

        from pharmakon.chem.alerts import alerts_for_mols
        from pharmakon.chem.standardize import rdkit_quiet, standardize_smiles
        from pharmakon.core.zoo import SMILES_COLUMN

        inputs = chunk["input"].tolist()
        n = len(inputs)
        standard: dict[bool, tuple[pd.DataFrame, list[Any]]] = {}

        def standardised(tautomer: bool) -> tuple[pd.DataFrame, list[Any]]:
            if tautomer not in standard:
                table = standardize_smiles(inputs, tautomer=tautomer).table
                with rdkit_quiet():  # one parse of each canonical SMILES serves features and alerts
                    mols = [Chem.MolFromSmiles(c) if isinstance(c, str) else None for c in table["canonical"]]
                standard[tautomer] = (table, mols)
            return standard[tautomer]

        cols: dict[str, Any] = {}
        for key, names in self.groups.items():
            featurizer = self.models[names[0]].featurizer
            table, mols = standardised(bool(getattr(featurizer, "tautomer", False)))
            ok = np.array([m is not None for m in mols])
            block = featurizer.transform_mols([m for m in mols if m is not None])
            # An object Index: the models compare their column lists with it, and Python strings compare
            # faster than pandas' Arrow-backed default when a small request runs dozens of models.
            X = pd.DataFrame(block, columns=pd.Index(featurizer.feature_names_, dtype=object), copy=False)
            scores = {}
            if key in self.indexes and ok.any():
                index, tanimoto = self.indexes[key]
                best = index.max_similarity(block[:, featurizer.fingerprint_columns_] > 0)
                scores = {name: best[:, j].astype(float) for j, name in enumerate(tanimoto)}
            for name in names:
                Xn = X
                if self.models[name].smiles_input:  # a model that reads the molecules (chemprop) gets them too
                    Xn = X.assign(**{SMILES_COLUMN: table["canonical"].to_numpy(object)[ok]})
                cols.update(self._endpoint_columns(name, Xn, block, scores.get(name), ok, n))
        table, mols = standardised(False)
        parts = [panel_frame(chunk, table), pd.DataFrame(cols)] + ([alerts_for_mols(mols)] if alerts else [])
        return pd.concat(parts, axis=1)

    def _endpoint_columns(
        self, name: str, X: pd.DataFrame, block: np.ndarray, score: np.ndarray | None, ok: np.ndarray, n: int
    ) -> dict[str, Any]:
        model = self.models[name]
        rows = model.predict_rows(X, raw=block, domain_score=score) if ok.any() else None
        return endpoint_columns(name, model, rows, ok, n)


def make_panel(models: dict[str, Any], profile: str = "full") -> Panel | ScreenPanel:
    """The panel for ``models``: :class:`~pharmakon.chem.screen.ScreenPanel` for a screening panel it can
    serve (``profile="screen"``), else :class:`Panel`. Both give the same columns."""
    from pharmakon.chem.screen import ScreenPanel, screen_supported

    if profile == "screen" and screen_supported(models):
        return ScreenPanel(models)
    return Panel(models)


def predict_chunk(
    models: dict[str, Any], chunk: pd.DataFrame, *, alerts: bool = True, profile: str = "full"
) -> pd.DataFrame:
    """:meth:`Panel.predict_chunk` for a one-off chunk (builds the panel, :func:`make_panel`, each call)."""
    return make_panel(models, profile).predict_chunk(chunk, alerts=alerts)


def predict_smiles(
    models: dict[str, Any],
    smiles: Sequence[object],
    *,
    ids: Sequence[str] | None = None,
    alerts: bool = True,
    profile: str = "full",
) -> pd.DataFrame:
    """The panel for in-memory SMILES; same columns as :func:`predict_chunk` (builds the panel each call)."""
    return make_panel(models, profile).predict_smiles(smiles, ids=ids, alerts=alerts)


def shared_panel(models: dict[str, Any], profile: str = "full") -> Panel | ScreenPanel:
    """The :class:`Panel` of models that stay loaded (``load_panel(..., cache=True)``), built once.

    Keyed by the model objects themselves, so a newly registered version (another
    object) gets a new panel; the panel holds its models, so the ids in the key stay
    theirs while it is kept. Panels are kept by the one cache policy
    (:class:`~pharmakon.core.cache.BoundedCache`): least recently used dropped first,
    bounded by ``PHARMAKON_MODEL_CACHE_MB`` of its models' artifact bytes
    (:func:`panel_nbytes`); ``0`` keeps none. ``profile`` picks the panel (:func:`make_panel`).
    """
    key = (profile, *((name, id(model)) for name, model in models.items()))
    panel = _SHARED.get(key)
    if panel is not None:
        return panel
    panel = make_panel(dict(models), profile)
    return _SHARED.put(key, panel, panel_nbytes(panel.models))


def panel_nbytes(models: dict[str, Any]) -> int:
    """What a panel of ``models`` counts against the cache bound: each model's artifact bytes.

    A model loaded from the registry knows its artifact size (``model.registry["artifact_bytes"]``);
    any other is measured by its pickled size.
    """
    total = 0
    for model in models.values():
        size = (getattr(model, "registry", None) or {}).get("artifact_bytes")
        size = pickled_nbytes(model) if size is None else int(size)
        if size < 0:
            return -1
        total += size
    return total


def clear_shared_panels() -> None:
    """Forget every panel :func:`shared_panel` kept."""
    _SHARED.clear()


#: Modules a screening worker needs (the panel's code, RDKit, and what unpickling the models imports).
SCREEN_WORKER_MODULES = (
    "pharmakon.chem.panel_io",
    "pharmakon.chem.screen",
    "pharmakon.core.lifecycle",
    "sklearn.pipeline",
    "sklearn.compose",
    "sklearn.impute",
    "sklearn.linear_model",
    "scipy.sparse",
    "rdkit.Chem.rdFingerprintGenerator",
    "rdkit.Chem.MolStandardize.rdMolStandardize",
)


def _preload_worker_modules(executor: Any) -> None:
    """Have the fork server import :data:`SCREEN_WORKER_MODULES` once, so each worker forked from it
    starts with them instead of importing them itself (about 1.7 s of CPU per worker, mostly
    scikit-learn, which ``pharmakon.chem`` imports).

    Only a local pool on the ``forkserver`` start method, and only before its fork server starts
    (the standard library's preload list is read when it starts; a running one is left as it is).
    ``__main__`` stays preloaded, as by default.
    """
    if getattr(executor, "mp_context", None) != "forkserver":
        return
    import multiprocessing

    multiprocessing.get_context("forkserver").set_forkserver_preload(["__main__", *SCREEN_WORKER_MODULES])


class _PanelFile:
    """Models the caller dumped to a joblib file for the workers (``predict_file`` given models); like
    :class:`~pharmakon.chem.admet.RegisteredPanel`, it has a ``key`` for the workers' cache and ``load``."""

    def __init__(self, path: str) -> None:
        self.path = path

    def key(self) -> tuple[str, float]:
        return self.path, os.path.getmtime(self.path)

    def load(self) -> dict[str, Any]:
        import joblib

        return joblib.load(self.path)


def _worker_chunk(source: Any, alerts: bool, threads: int, profile: str, chunk: pd.DataFrame) -> dict[str, Any]:
    """One chunk's panel as CSV text (header included) plus its tallies.

    Formatting happens here, in the worker, so the parent only appends text: a data frame
    of a few hundred mixed columns costs more to pickle back than its CSV. BLAS/OpenMP
    pools are held to ``threads`` so that workers do not compete for the same cores.
    """
    from threadpoolctl import threadpool_limits

    key = (profile, source.key())
    if not _WORKER_PANEL or _WORKER_PANEL[0][0] != key:
        _WORKER_PANEL[:] = [(key, make_panel(source.load(), profile))]
    with threadpool_limits(limits=threads):
        result = _WORKER_PANEL[0][1].predict_chunk(chunk, alerts=alerts)
    bad = ~result["status"].eq("ok")
    domain = [c for c in result.columns if c.endswith("_in_domain")]
    return {
        "csv": result.to_csv(index=False, lineterminator="\n"),
        "rows": len(result),
        "invalid": int(bad.sum()),
        "shown": [  # JSON-ready: an unreadable record's input is None, never NaN
            {"row": int(r), "input": i if isinstance(i, str) else None, "status": s}
            for r, i, s in result.loc[bad, ["row", "input", "status"]].head(20).itertuples(index=False)
        ],
        "in_domain": {c[: -len("_in_domain")]: int(result[c].sum()) for c in domain},
    }


def predict_file(
    models: dict[str, Any] | RegisteredPanel,
    input_path: Path,
    output_path: Path,
    *,
    backend: str | None = None,
    chunk_size: int = 5000,
    smiles_col: str | None = None,
    id_col: str | None = None,
    n_jobs: int | None = None,
    alerts: bool = True,
    progress: Callable[[int], None] | None = None,
    before_publish: Callable[..., None] | None = None,
    profile: str = "full",
) -> dict[str, Any]:
    """Stream ``input_path`` through the panel into ``output_path`` (CSV; see :func:`predict_chunk`).

    Parameters
    ----------
    models : dict or RegisteredPanel
        Endpoint name -> ``TrainedModel`` (:func:`pharmakon.chem.admet.load_panel`; written
        to a temporary file for the workers), or a
        :class:`~pharmakon.chem.admet.RegisteredPanel` (:func:`~pharmakon.chem.admet.registered_panel`;
        the workers read the store's artifacts, nothing is unpickled or written here).
    backend : {"local", "ray", "serial"}, optional
        Executor backend (:func:`pharmakon.executor.get_executor`).
    chunk_size : int
        Molecules per chunk (the unit of work and of memory).
    alerts : bool
        Add structural alerts and drug-likeness columns.
    progress : callable, optional
        ``progress(molecules_done)``, called as chunks finish.
    before_publish : callable, optional
        ``before_publish(summary, molecules_sha256=..., output_sha256=...)``, called when
        every chunk is written and before the output appears under its name (record the
        audit event there). ``molecules_sha256`` hashes the molecules' ``id,input`` CSV
        lines as read, ``output_sha256`` the output file's bytes; both are computed while
        streaming, so nothing is read back.
    profile : {"full", "screen"}
        ``screen`` predicts a screening panel through :class:`~pharmakon.chem.screen.ScreenPanel`
        (:func:`make_panel`; same columns).

    Returns
    -------
    dict
        ``rows``, ``invalid`` (count), ``invalid_rows`` (first 20: row, input, status),
        ``in_domain`` (per endpoint, count), ``seconds``, ``molecules_per_s``,
        ``endpoints``, ``output``.
    """
    import joblib

    from pharmakon.chem.admet import RegisteredPanel
    from pharmakon.executor import get_executor

    names = models.names if isinstance(models, RegisteredPanel) else list(models)
    if not names:
        raise InputError("no endpoint models to predict with", field="endpoints")
    t0 = time.monotonic()
    output_path.parent.mkdir(parents=True, exist_ok=True)
    chunks = read_molecules(input_path, chunk_size=chunk_size, smiles_col=smiles_col, id_col=id_col)
    first = next(chunks)  # validates the input before anything is written
    panel_path = None
    done, invalid, in_domain, shown = 0, 0, dict.fromkeys(names, 0), []
    try:
        if isinstance(models, RegisteredPanel):
            source: Any = models
        else:
            pfd, panel_path = tempfile.mkstemp(prefix="pharmakon-panel-", suffix=".joblib")
            os.close(pfd)
            joblib.dump(models, panel_path)
            source = _PanelFile(panel_path)
        molecules, written = hashlib.sha256(), hashlib.sha256()
        with get_executor(backend, n_jobs=n_jobs) as ex, atomic_open(output_path, newline="") as sink:
            if profile == "screen":
                _preload_worker_modules(ex)
            threads = max(1, (os.cpu_count() or 1) // ex.n_workers)
            fn = functools.partial(_worker_chunk, source, alerts, threads, profile)
            window_size = max(1, 2 * ex.n_workers)
            stream = itertools.chain([first], chunks)
            while pending := list(itertools.islice(stream, window_size)):
                for chunk in pending:
                    molecules.update(molecule_lines(chunk).encode())
                for result in ex.imap(fn, pending, chunksize=1):
                    text = result["csv"]
                    text = text if done == 0 else text[text.index("\n") + 1 :]  # one header, from the first
                    sink.write(text)
                    written.update(text.encode("utf-8"))
                    done += result["rows"]
                    invalid += result["invalid"]
                    shown += result["shown"][: 20 - len(shown)]
                    for name, count in result["in_domain"].items():
                        in_domain[name] += count
                    if progress:
                        progress(done)
            seconds = time.monotonic() - t0
            summary = {
                "rows": done,
                "invalid": invalid,
                "invalid_rows": shown,
                "in_domain": in_domain,
                "seconds": round(seconds, 2),
                "molecules_per_s": round(done / seconds, 1) if seconds else None,
                "endpoints": names,
                "output": str(output_path),
            }
            sink.flush()
            if before_publish is not None:
                before_publish(summary, molecules_sha256=molecules.hexdigest(), output_sha256=written.hexdigest())
    finally:
        if panel_path is not None:
            with contextlib.suppress(OSError):
                os.unlink(panel_path)
    return summary
