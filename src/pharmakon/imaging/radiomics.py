"""Radiomic features through pyradiomics (IBSI-style first order, shape, texture).

:func:`extract` runs ``radiomics.featureextractor.RadiomicsFeatureExtractor`` on a
SimpleITK image and mask and returns the flat map of pyradiomics' names
(``original_firstorder_Mean``, ``original_shape_Maximum3DDiameter``, ...), diagnostics
left out. :func:`baseline_parity` compares a case against pyradiomics' own reference
tables (``data/baseline/baseline_<class>.csv``) with its test tolerance (3 % relative).

pyradiomics has no wheel for Python 3.11; it builds from its source distribution with
``pip install versioneer`` then ``pip install --no-build-isolation pyradiomics``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import SimpleITK as sitk

from pharmakon.errors import ConfigError, InputError

__all__ = [
    "DEFAULT_SETTINGS",
    "available",
    "extract",
    "load_baseline",
    "baseline_parity",
    "CLASSES",
    "DIFFERS_BY_DEFINITION",
]

#: The settings of pyradiomics' baseline cases (``diagnostics_Configuration_Settings``).
DEFAULT_SETTINGS: dict[str, Any] = {"binWidth": 25, "label": 1, "voxelArrayShift": 2000, "distances": [1]}
CLASSES = ("firstorder", "shape", "glcm", "glrlm", "glszm", "gldm", "ngtdm")
#: Settings a user may give (others are refused): bounded by :func:`check_settings`.
ALLOWED_SETTINGS = {
    "binWidth": (0.001, 1e6),
    "binCount": (1, 4096),
    "label": (1, 65535),
    "voxelArrayShift": (0, 1e6),
    "resampledPixelSpacing": None,
    "interpolator": None,
    "normalize": None,
    "normalizeScale": (0.001, 1e6),
    "removeOutliers": (0, 1e6),
    "minimumROIDimensions": (1, 3),
    "minimumROISize": (1, 1e9),
    "force2D": None,
    "force2Ddimension": (0, 2),
    "distances": None,
    "preCrop": None,
    "padDistance": (0, 100),
    "geometryTolerance": (0, 1),
    "correctMask": None,
    "resegmentRange": None,
}
#: Features computed that differ from a reference by definition (none found on the baseline cases).
DIFFERS_BY_DEFINITION: dict[str, str] = {}


#: How to install pyradiomics here (no wheel for Python 3.11; an isolated build fails).
INSTALL_HINT = "pip install versioneer && pip install --no-build-isolation pyradiomics"


def available() -> bool:
    """Whether pyradiomics can be imported."""
    try:
        import radiomics  # noqa: F401
    except ImportError:
        return False
    return True


def check_settings(settings: Mapping[str, Any], file: str | None = None) -> dict[str, Any]:
    """Known pyradiomics settings within bounds; anything else is an :class:`InputError`."""
    out = {}
    for key, value in settings.items():
        if key not in ALLOWED_SETTINGS:
            raise InputError(
                f"unknown pyradiomics setting (allowed: {', '.join(ALLOWED_SETTINGS)})", file=file, field=key
            )
        bounds = ALLOWED_SETTINGS[key]
        if bounds is not None and isinstance(value, int | float) and not bounds[0] <= value <= bounds[1]:
            raise InputError(f"must be in [{bounds[0]:g}, {bounds[1]:g}], got {value}", file=file, field=key)
        out[key] = value
    return out


def extract(image: sitk.Image, mask: sitk.Image, settings: Mapping[str, Any] | None = None) -> dict[str, float]:
    """pyradiomics' features (original image, every default class) as a flat name -> value map."""
    try:
        from radiomics import featureextractor
    except ImportError:
        raise ConfigError(f"pyradiomics is not installed; install it with: {INSTALL_HINT}") from None

    logging.getLogger("radiomics").setLevel(logging.ERROR)  # pyradiomics logs every class at INFO
    params = {**DEFAULT_SETTINGS, **dict(settings or {})}
    extractor = featureextractor.RadiomicsFeatureExtractor(**params)
    try:
        raw = extractor.execute(image, mask)
    except ValueError as exc:  # e.g. the label is not in the mask
        raise InputError(f"pyradiomics refused the image/mask: {exc}", field="mask") from None
    return {k: float(np.asarray(v)) for k, v in raw.items() if not k.startswith("diagnostics_")}


def load_baseline(folder: str | Path, case: str) -> dict[str, float]:
    """pyradiomics' reference features of ``case`` (``brain1``...) from its baseline CSVs."""
    folder = Path(folder)
    out: dict[str, float] = {}
    for cls in CLASSES:
        path = folder / f"baseline_{cls}.csv"
        table = pd.read_csv(path, index_col=0)
        if case not in table.columns:
            raise InputError(f"no column {case!r}", file=str(path), field=case)
        col = table[case]
        for name, value in col.items():
            if str(name).startswith("original_"):
                out[str(name)] = float(value)
    return out


def baseline_parity(ours: Mapping[str, float], reference: Mapping[str, float], rtol: float = 0.03) -> pd.DataFrame:
    """One row per reference feature: ours, reference, relative difference, within ``rtol``."""
    rows = []
    for name, ref in sorted(reference.items()):
        mine = ours.get(name, float("nan"))
        rel = abs(mine - ref) / abs(ref) if ref != 0 else abs(mine - ref)
        rows.append(
            {
                "feature": name,
                "ours": mine,
                "reference": ref,
                "rel_diff": rel,
                "within": bool(rel <= rtol),
                "note": DIFFERS_BY_DEFINITION.get(name, ""),
            }
        )
    return pd.DataFrame(rows)
