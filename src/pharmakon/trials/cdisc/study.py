"""A study's datasets as one mapping, with the SHA-256 of every file read (for the audit trail)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pharmakon.errors import InputError
from pharmakon.hashing import sha256_file
from pharmakon.trials.cdisc.io import domain_file, load_domains
from pharmakon.trials.cdisc.standards import ADAM_DATASETS, SDTM_DOMAINS

__all__ = ["load_study", "input_hashes", "study_folders"]


def study_folders(study: Path) -> tuple[Path, Path]:
    """(SDTM folder, ADaM folder) of a study folder holding ``sdtm/`` and ``adam/``."""
    sdtm, adam = Path(study) / "sdtm", Path(study) / "adam"
    if not sdtm.is_dir() and not adam.is_dir():
        raise InputError("a study folder must hold sdtm/ and/or adam/ subfolders", file=str(study))
    return sdtm, adam


def load_study(
    sdtm: Path | None, adam: Path | None = None, *, sdtm_names: tuple[str, ...] = SDTM_DOMAINS
) -> dict[str, pd.DataFrame]:
    """SDTM domains of ``sdtm`` and ADaM datasets of ``adam`` (upper-case names); either may be None."""
    data: dict[str, pd.DataFrame] = {}
    if sdtm is not None:
        data |= load_domains(sdtm, sdtm_names)
        if not data:
            raise InputError("no SDTM domain found (dm.xpt, dm.csv, ...)", file=str(sdtm))
    if adam is not None:
        data |= load_domains(adam, ADAM_DATASETS)
    return data


def input_hashes(folders: list[Path | None], names: tuple[str, ...]) -> dict[str, str]:
    """``folder-name/file`` -> SHA-256 of each dataset file read."""
    out = {}
    for folder in folders:
        if folder is None:
            continue
        for name in names:
            path = domain_file(folder, name)
            if path is not None:
                out[f"{folder.name}/{path.name}"] = sha256_file(path)
    return out
