"""Streaming panel prediction: read molecules in chunks, predict every endpoint, write atomically.

Memory stays flat in the input size: the reader yields chunks of ``chunk_size``
molecules, a window of ``2 x workers`` chunks is in flight at a time, each finished
window is appended to a temporary file next to the output, and the temporary file is
renamed over the output only when everything succeeded (``os.replace``).

Per chunk, molecules are standardised once and featurized once per distinct featurizer
configuration, and those features are reused by every endpoint (the models'
featurizers are swapped for a view on the precomputed block while they predict).
Workers load the panel once per process from a joblib file the caller writes, so the
``ray`` backend needs that file on a filesystem its workers share (a local cluster does).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pharmakon.errors import InputError
from pharmakon.files import atomic_open

__all__ = ["SMILES_COLUMNS", "read_molecules", "predict_chunk", "predict_file"]

#: Column names recognised as the SMILES column of a CSV (case-insensitive), in order.
SMILES_COLUMNS = ("smiles", "canonical_smiles", "smiles_unify", "smi", "mol")
_PANELS: dict[tuple[str, float], dict[str, Any]] = {}


def _find_col(columns: list[str], wanted: str | None, file: str) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise InputError(f"column {wanted!r} not found; the columns are {columns}", file=file, field=wanted)
        return wanted
    lower = {c.lower().strip(): c for c in columns}
    for name in SMILES_COLUMNS:
        if name in lower:
            return lower[name]
    raise InputError(f"no SMILES column found (looked for {list(SMILES_COLUMNS)}); the columns are {columns}; "
                     "name it with --smiles-col", file=file)  # fmt: skip


def read_molecules(path: Path, *, chunk_size: int = 5000, smiles_col: str | None = None,
                   id_col: str | None = None) -> Iterator[pd.DataFrame]:  # fmt: skip
    """Yield chunks of molecules from a CSV/TSV, SMILES (``.smi``) or SDF file.

    Yields
    ------
    DataFrame
        Up to ``chunk_size`` rows: ``row`` (1-based record number in the file),
        ``id`` (``id_col``, the SMILES file's name field or the SDF title; may be
        empty), ``input`` (SMILES; None for an SDF record RDKit cannot read) and
        ``parse_error`` (why a record could not be read, else empty).

    Raises
    ------
    InputError
        Missing or empty file, unknown columns, an unsupported extension.
    """
    file = str(path)
    if not path.exists():
        raise InputError("file not found", file=file)
    if path.stat().st_size == 0:
        raise InputError("the file is empty", file=file)
    if chunk_size < 1:
        raise InputError(f"chunk size must be >= 1, got {chunk_size}", field="chunk_size")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".tab", ".txt"):
        yield from _read_table(path, chunk_size, smiles_col, id_col, "\t" if suffix in (".tsv", ".tab") else ",")
    elif suffix in (".smi", ".smiles"):
        yield from _read_smi(path, chunk_size)
    elif suffix in (".sdf", ".sd"):
        yield from _read_sdf(path, chunk_size)
    else:
        raise InputError(f"unsupported input type {suffix!r}; use .csv, .tsv, .smi or .sdf", file=file)


def _frame(rows: list[tuple[int, str, str | None, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["row", "id", "input", "parse_error"]).astype({"input": object})


def _read_table(path: Path, chunk_size: int, smiles_col: str | None, id_col: str | None, sep: str):
    file = str(path)
    try:
        header = [str(c).strip() for c in pd.read_csv(path, sep=sep, nrows=0, encoding="utf-8-sig").columns]
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable table: {exc}", file=file) from None
    col = _find_col(header, smiles_col, file)
    if id_col is not None:
        _find_col(header, id_col, file)
    start, seen = 1, False
    reader = pd.read_csv(path, sep=sep, chunksize=chunk_size, dtype=str, keep_default_na=False,
                         encoding="utf-8-sig", usecols=lambda c: str(c).strip() in (col, id_col))  # fmt: skip
    for raw in reader:
        raw.columns = [str(c).strip() for c in raw.columns]
        n = len(raw)
        ids = raw[id_col].tolist() if id_col else [""] * n
        yield _frame(list(zip(range(start, start + n), ids, raw[col].tolist(), [""] * n)))
        start, seen = start + n, True
    if not seen:
        raise InputError("the file has a header but no data rows", file=file)


def _read_smi(path: Path, chunk_size: int):
    rows: list[tuple[int, str, str | None, str]] = []
    n = 0
    with path.open(encoding="utf-8-sig") as handle:
        for line in handle:
            parts = line.split(maxsplit=1)
            if not parts or (n == 0 and not rows and parts[0].lower() == "smiles"):
                continue
            n += 1
            rows.append((n, parts[1].strip() if len(parts) > 1 else "", parts[0], ""))
            if len(rows) == chunk_size:
                yield _frame(rows)
                rows = []
    if rows:
        yield _frame(rows)
    elif n == 0:
        raise InputError("the file has no SMILES lines", file=str(path))


def _read_sdf(path: Path, chunk_size: int):
    from rdkit import Chem

    from pharmakon.chem.standardize import rdkit_quiet

    rows: list[tuple[int, str, str | None, str]] = []
    n = 0
    with path.open("rb") as handle, rdkit_quiet():
        for mol in Chem.ForwardSDMolSupplier(handle):
            n += 1
            if mol is None:
                rows.append((n, "", None, "RDKit could not read this SDF record"))
            else:
                rows.append((n, mol.GetProp("_Name") if mol.HasProp("_Name") else "", Chem.MolToSmiles(mol), ""))
            if len(rows) == chunk_size:
                yield _frame(rows)
                rows = []
    if rows:
        yield _frame(rows)
    elif n == 0:
        raise InputError("the file has no SDF records", file=str(path))


class _Precomputed:
    """Stands in for a model's featurizer: returns the chunk's standardisation and features."""

    def __init__(self, real: Any, batch: Any, features: np.ndarray) -> None:
        self.real, self.batch, self.features = real, batch, features
        self.feature_names_ = real.feature_names_
        self.fingerprint_columns_ = real.fingerprint_columns_

    def prepare(self, smiles: list[object]) -> Any:
        return self.batch

    def transform_canonical(self, canonical: list[str | None]) -> np.ndarray:
        return self.features


def _feat_key(featurizer: Any) -> tuple:
    return (type(featurizer).__name__, tuple(sorted(featurizer.get_params().items())), featurizer.version_)


def predict_chunk(models: dict[str, Any], chunk: pd.DataFrame, *, alerts: bool = True) -> pd.DataFrame:
    """Every endpoint's prediction plus alerts for one chunk from :func:`read_molecules`.

    Returns
    -------
    DataFrame
        One row per input row: ``row``, ``id``, ``input``, ``canonical``, ``status``
        (``ok`` or why not), then per endpoint ``<name>`` and either
        ``<name>_lower``/``<name>_upper`` (regression, conformal interval) or
        ``<name>_p1`` (probability of the last class) and ``<name>_set`` (conformal
        set), and ``<name>_in_domain``; then :data:`~pharmakon.chem.alerts.ALERT_COLUMNS`
        (unless ``alerts`` is False; PAINS matching and QED cost about 4 ms a molecule).
    """
    from pharmakon.chem.alerts import compute_alerts
    from pharmakon.chem.standardize import standardize_smiles

    inputs = chunk["input"].tolist()
    out = chunk[["row", "id", "input"]].reset_index(drop=True).copy()
    batches: dict[bool, Any] = {}
    blocks: dict[tuple, Any] = {}
    cols: dict[str, Any] = {}
    for name, model in models.items():
        real = model.featurizer
        tautomer = bool(getattr(real, "tautomer", False))
        if tautomer not in batches:
            batches[tautomer] = standardize_smiles(inputs, tautomer=tautomer)
        key = _feat_key(real)
        if key not in blocks:
            blocks[key] = real.transform_canonical(batches[tautomer].table["canonical"].tolist())
            real.__dict__.pop("_cache", None)  # constant memory: no cross-chunk cache
        model.featurizer = _Precomputed(real, batches[tautomer], blocks[key])
        try:
            table = model.predict(pd.DataFrame({model.smiles_col: inputs})).table
        finally:
            model.featurizer = real
        cols[name] = table["prediction"].to_numpy()
        if model.task == "regression":
            cols[f"{name}_lower"], cols[f"{name}_upper"] = (
                table["pred_lower"].to_numpy(),
                table["pred_upper"].to_numpy(),
            )
        else:
            cols[f"{name}_p1"] = table[f"proba_{model.classes[-1]}"].to_numpy()
            cols[f"{name}_set"] = table["pred_set"].to_numpy()
        cols[f"{name}_in_domain"] = table["in_domain"].to_numpy()
    batch = next(iter(batches.values())) if batches else standardize_smiles(inputs)
    status = batch.table["status"].where(batch.table["status"].ne("invalid"), "invalid: " + batch.table["reason"])
    errors = chunk["parse_error"].reset_index(drop=True)
    out["canonical"] = batch.table["canonical"].to_numpy()
    out["status"] = np.where(errors.ne(""), "invalid: " + errors, status)
    parts = [out, pd.DataFrame(cols)] + ([compute_alerts(out["canonical"].tolist())] if alerts else [])
    out = pd.concat(parts, axis=1)
    return out


def _worker_chunk(panel_path: str, alerts: bool, chunk: pd.DataFrame) -> pd.DataFrame:
    key = (panel_path, os.path.getmtime(panel_path))
    if key not in _PANELS:
        import joblib

        _PANELS.clear()
        _PANELS[key] = joblib.load(panel_path)
    return predict_chunk(_PANELS[key], chunk, alerts=alerts)


def predict_file(models: dict[str, Any], input_path: Path, output_path: Path, *, backend: str | None = None,
                 chunk_size: int = 5000, smiles_col: str | None = None, id_col: str | None = None,
                 n_jobs: int | None = None, alerts: bool = True, progress: Callable[[int], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """Stream ``input_path`` through the panel into ``output_path`` (CSV; see :func:`predict_chunk`).

    Parameters
    ----------
    models : dict
        Endpoint name -> ``TrainedModel`` (:func:`pharmakon.chem.admet.load_panel`).
    backend : {"local", "ray", "serial"}, optional
        Executor backend (:func:`pharmakon.core.get_executor`).
    chunk_size : int
        Molecules per chunk (the unit of work and of memory).
    alerts : bool
        Add structural alerts and drug-likeness columns.
    progress : callable, optional
        ``progress(molecules_done)``, called as chunks finish.

    Returns
    -------
    dict
        ``rows``, ``invalid`` (count), ``invalid_rows`` (first 20: row, input, status),
        ``in_domain`` (per endpoint, count), ``seconds``, ``molecules_per_s``,
        ``endpoints``, ``output``.
    """
    import joblib

    from pharmakon.core import get_executor

    if not models:
        raise InputError("no endpoint models to predict with", field="endpoints")
    t0 = time.monotonic()
    output_path.parent.mkdir(parents=True, exist_ok=True)
    chunks = read_molecules(input_path, chunk_size=chunk_size, smiles_col=smiles_col, id_col=id_col)
    first = next(chunks)  # validates the input before anything is written
    pfd, panel_path = tempfile.mkstemp(prefix="pharmakon-panel-", suffix=".joblib")
    os.close(pfd)
    done, invalid, in_domain, shown = 0, 0, dict.fromkeys(models, 0), []
    try:
        joblib.dump(models, panel_path)
        fn = functools.partial(_worker_chunk, panel_path, alerts)
        with get_executor(backend, n_jobs=n_jobs) as ex, atomic_open(output_path, newline="") as sink:
            window_size = max(1, 2 * ex.n_workers)
            stream = itertools.chain([first], chunks)
            header = True
            while pending := list(itertools.islice(stream, window_size)):
                for result in ex.imap(fn, pending, chunksize=1):
                    result.to_csv(sink, index=False, header=header)
                    header = False
                    done += len(result)
                    bad = ~result["status"].eq("ok")
                    invalid += int(bad.sum())
                    shown += result.loc[bad, ["row", "input", "status"]].head(20 - len(shown)).to_dict("records")
                    for name in models:
                        in_domain[name] += int(result[f"{name}_in_domain"].sum())
                    if progress:
                        progress(done)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(panel_path)
    seconds = time.monotonic() - t0
    return {"rows": done, "invalid": invalid, "invalid_rows": shown, "in_domain": in_domain,
            "seconds": round(seconds, 2), "molecules_per_s": round(done / seconds, 1) if seconds else None,
            "endpoints": list(models), "output": str(output_path)}  # fmt: skip
