"""Table definitions of the imaging and signal data sets (medical imaging test files,
PhysioNet ECG/PPG records). Pixel data and DICOM objects need their own readers
(pydicom, SimpleITK); these tables hold what pandas can: reference features, labels,
headers, annotations and the decoded MIT-BIH record 100."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from pharmakon.datasets._tables import Table, csv_table, frame, read_csv_raw
from pharmakon.errors import InputError

__all__ = ["TABLES", "parse_wfdb_header", "read_format_212"]

S, F, I, B = "string", "float64", "Int64", "boolean"


# ----------------------------------------------------------------------- medical imaging
def _radiomics_baseline(folder: Path) -> pd.DataFrame:
    parts = []
    for path in sorted((folder / "pyradiomics" / "baseline").glob("baseline_*.csv")):
        rel = path.relative_to(folder).as_posix()
        raw = read_csv_raw(path, file=rel, dtype=str)
        if "featureName" not in raw.columns:
            raise InputError("missing column", file=rel, field="featureName")
        long = raw.melt(id_vars="featureName", var_name="case", value_name="value_text")
        long.insert(0, "feature_class", path.stem.removeprefix("baseline_"))
        parts.append(long.rename(columns={"featureName": "feature"}))
    df = pd.concat(parts, ignore_index=True)
    df["value"] = pd.to_numeric(df["value_text"], errors="coerce")
    return frame(df.to_dict("records"), _RADIOMICS_SCHEMA, file="pyradiomics/baseline/*.csv")


_RADIOMICS_SCHEMA = {"feature_class": S, "feature": S, "case": S, "value": F, "value_text": S}


def _breastmnist_labels(folder: Path) -> pd.DataFrame:
    rel = "medmnist/breastmnist.npz"
    try:
        with np.load(folder / rel, allow_pickle=False) as npz:
            rows = [
                {"split": split, "index": i, "label": int(lab)}
                for split in ("train", "val", "test")
                for i, lab in enumerate(np.asarray(npz[f"{split}_labels"]).reshape(-1))
            ]
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot read the npz archive: {exc}", file=rel) from exc
    return frame(rows, {"split": S, "index": I, "label": I}, file=rel)


def _nrrd_headers(folder: Path) -> pd.DataFrame:
    """The header fields of each NRRD file, read by pynrrd (spacing: the norms of the space directions)."""
    import nrrd

    rows = []
    for path in sorted((folder / "pyradiomics").glob("*.nrrd")):
        rel = path.relative_to(folder).as_posix()
        try:
            fields = nrrd.read_header(str(path))
        except (nrrd.NRRDError, OSError, UnicodeDecodeError) as exc:
            raise InputError(f"not a readable NRRD file: {exc}", file=rel, row=1) from exc
        dirs = fields.get("space directions")
        spacing = [] if dirs is None else [float(np.linalg.norm(d)) for d in np.asarray(dirs, dtype=float)]
        sizes = fields.get("sizes")
        rows.append(
            {
                "file": rel,
                "type": fields.get("type"),
                "dimension": fields.get("dimension"),
                "sizes": " ".join(str(int(n)) for n in sizes) if sizes is not None else None,
                "spacing_mm": " ".join(f"{s:.6g}" for s in spacing) or None,
                "encoding": fields.get("encoding"),
            }
        )
    return frame(rows, _NRRD_SCHEMA, file="pyradiomics/*.nrrd")


_NRRD_SCHEMA = {"file": S, "type": S, "dimension": I, "sizes": S, "spacing_mm": S, "encoding": S}


def _dicom_files(folder: Path) -> pd.DataFrame:
    rows = []
    for path in sorted((folder / "pydicom").glob("*.dcm")):
        with path.open("rb") as fh:
            head = fh.read(132)
        rows.append(
            {
                "file": path.relative_to(folder).as_posix(),
                "size_bytes": path.stat().st_size,
                "has_preamble": head[128:132] == b"DICM",
            }
        )
    return frame(rows, {"file": S, "size_bytes": I, "has_preamble": B}, file="pydicom/*.dcm")


_IMAGING = [
    Table(
        "radiomics_baseline",
        _radiomics_baseline,
        _RADIOMICS_SCHEMA,
        "pyradiomics reference features, long format (value_text keeps non-numeric diagnostics)",
    ),
    Table(
        "breastmnist_labels",
        _breastmnist_labels,
        {"split": S, "index": I, "label": I},
        "BreastMNIST labels per split (0 = malignant, 1 = normal/benign)",
    ),
    Table("nrrd_headers", _nrrd_headers, _NRRD_SCHEMA, "headers of the NRRD image/mask files (spacing in mm)"),
    Table(
        "dicom_files",
        _dicom_files,
        {"file": S, "size_bytes": I, "has_preamble": B},
        "inventory of the DICOM test files (has_preamble False: read with force=True)",
    ),
]


# ---------------------------------------------------------------------------- ECG (WFDB)
_GAIN = re.compile(r"^([-+\d.eE]+)(?:\((-?\d+)\))?(?:/(\S+))?$")


def parse_wfdb_header(path: Path, *, file: str) -> tuple[dict[str, object], list[dict[str, object]]]:
    """Record line and signal specifications of a WFDB ``.hea`` header.

    Returns
    -------
    record : dict
        ``record``, ``n_signals``, ``fs`` (Hz), ``n_samples``, ``comments``.
    signals : list of dict
        Per signal: ``file``, ``format``, ``gain`` (adu per unit), ``baseline``, ``units``,
        ``adc_resolution``, ``adc_zero``, ``initial_value``, ``checksum``, ``description``.
    """
    lines = path.read_text("latin-1").splitlines()
    comments = [ln.lstrip("#").strip() for ln in lines if ln.startswith("#")]
    body = [(i, ln.split()) for i, ln in enumerate(lines, start=1) if ln.strip() and not ln.startswith("#")]
    if not body:
        raise InputError("empty WFDB header", file=file)
    row, first = body[0]
    try:
        record = {
            "record": first[0],
            "n_signals": int(first[1]),
            "fs": float(first[2].split("/")[0]),
            "n_samples": int(first[3]) if len(first) > 3 else None,
            "comments": " | ".join(comments),
        }
        signals = []
        for _row, parts in body[1:]:
            m = _GAIN.match(parts[2])
            if not m:
                raise ValueError(f"bad gain field {parts[2]!r}")
            adc_zero = int(parts[4]) if len(parts) > 4 else 0
            signals.append(
                {
                    "file": parts[0],
                    "format": parts[1],
                    "gain": float(m.group(1)) or 200.0,
                    "baseline": int(m.group(2)) if m.group(2) else adc_zero,
                    "units": m.group(3) or "mV",
                    "adc_resolution": int(parts[3]),
                    "adc_zero": adc_zero,
                    "initial_value": int(parts[5]) if len(parts) > 5 else None,
                    "checksum": int(parts[6]) if len(parts) > 6 else None,
                    "description": " ".join(parts[8:]) or None,
                }
            )
    except (IndexError, ValueError) as exc:
        raise InputError(f"malformed WFDB header line: {exc}", file=file, row=row) from exc
    if len(signals) != record["n_signals"]:
        raise InputError(f"{len(signals)} signal lines for {record['n_signals']} signals", file=file)
    return record, signals


def read_format_212(path: Path, n_signals: int, *, file: str) -> np.ndarray:
    """Digital samples of a WFDB format-212 file, shape ``(n_samples, n_signals)`` (int16)."""
    raw = np.fromfile(path, dtype=np.uint8)
    raw = raw[: len(raw) - len(raw) % 3].reshape(-1, 3).astype(np.int16)
    first = raw[:, 0] | ((raw[:, 1] & 0x0F) << 8)
    second = raw[:, 2] | ((raw[:, 1] & 0xF0) << 4)
    flat = np.empty(2 * len(raw), dtype=np.int16)
    flat[0::2], flat[1::2] = first, second
    flat[flat > 2047] -= 4096
    n = len(flat) // n_signals
    if n == 0:
        raise InputError("no samples", file=file)
    return flat[: n * n_signals].reshape(n, n_signals)


def _wfdb_headers(folder: Path) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    records, signals = [], []
    for path in sorted(folder.glob("*/*.hea")):
        rel = path.relative_to(folder).as_posix()
        rec, sigs = parse_wfdb_header(path, file=rel)
        records.append({"folder": path.parent.name, **rec})
        signals += [{"record": rec["record"], "channel": k, **s} for k, s in enumerate(sigs)]
    return records, signals


_RECORD_SCHEMA = {"folder": S, "record": S, "n_signals": I, "fs": F, "n_samples": I, "comments": S}
_SIGNAL_SCHEMA = {
    "record": S,
    "channel": I,
    "file": S,
    "format": S,
    "gain": F,
    "baseline": I,
    "units": S,
    "adc_resolution": I,
    "adc_zero": I,
    "initial_value": I,
    "checksum": I,
    "description": S,
}


def _mitdb_100_signal(folder: Path) -> pd.DataFrame:
    rel = "mitdb_100/100.dat"
    rec, sigs = parse_wfdb_header(folder / "mitdb_100" / "100.hea", file="mitdb_100/100.hea")
    digital = read_format_212(folder / rel, len(sigs), file=rel)
    if rec["n_samples"] is not None and len(digital) != rec["n_samples"]:
        raise InputError(f"{len(digital)} samples, header says {rec['n_samples']}", file=rel)
    for k, s in enumerate(sigs):
        total = int(digital[:, k].astype(np.int64).sum())
        checksum = ((total + 2**15) % 2**16) - 2**15
        if s["checksum"] is not None and checksum != s["checksum"]:
            raise InputError(
                f"checksum {checksum} differs from the header's {s['checksum']}", file=rel, field=str(s["description"])
            )
    data = {
        "sample": pd.array(np.arange(len(digital)), dtype="Int64"),
        "time_s": np.arange(len(digital)) / float(rec["fs"]),
    }  # type: ignore[arg-type]
    for k, s in enumerate(sigs):
        data[str(s["description"])] = (digital[:, k] - s["baseline"]) / s["gain"]  # type: ignore[operator]
    return pd.DataFrame(data)


_ECG = [
    csv_table(
        "mitdb_100_annotations",
        "mitdb_100/100_atr.csv",
        {"sample": I, "time_s": F, "symbol": S, "aux_note": S},
        description="MIT-BIH record 100 beat annotations (N normal, A atrial premature, V PVC, + rhythm)",
    ),
    Table(
        "records",
        lambda folder: frame(_wfdb_headers(folder)[0], _RECORD_SCHEMA, file="*/*.hea"),
        _RECORD_SCHEMA,
        "one row per WFDB record: signals, sampling frequency (Hz), length, header comments",
    ),
    Table(
        "signals",
        lambda folder: frame(_wfdb_headers(folder)[1], _SIGNAL_SCHEMA, file="*/*.hea"),
        _SIGNAL_SCHEMA,
        "one row per channel: storage format, gain (adu per unit), baseline, description",
    ),
    Table(
        "mitdb_100_signal",
        _mitdb_100_signal,
        {"sample": I, "time_s": F, "MLII": F, "V5": F},
        "MIT-BIH record 100 decoded to physical units (mV), 360 Hz, checksums verified",
    ),
]

TABLES: dict[str, list[Table]] = {"medical_imaging": _IMAGING, "ecg_wfdb": _ECG}
