"""Worked example seeded by ``make run``: lesion measurement, radiomics and RECIST 1.1 on mirror data."""

from __future__ import annotations

from typing import Any

from pharmakon.caller import Caller
from pharmakon.imaging.radiomics import available
from pharmakon.imaging.service import (
    FeaturesSpec,
    MeasureSpec,
    RecistSpec,
    features,
    measure,
    recist,
)

__all__ = ["seed_example", "SEED_NAMES"]

SEED_NAMES = {"measure": "demo-brain1", "features": "demo-breast1", "recist": "demo-cdisc-onco"}


def seed_example(store: Any, settings: Any) -> str:
    """brain1's two lesions measured, breast1's pyradiomics features, RECIST of the CDISC oncology set."""
    from pharmakon.datasets.fetching import fetch

    imaging = fetch("medical_imaging", settings=settings)
    onco = fetch("cdisc_pilot01", settings=settings) / "onco_recist"
    caller = Caller("seed", "python")
    rad = imaging / "pyradiomics"
    lesions = measure(
        store,
        MeasureSpec(image=rad / "brain1_image.nrrd", mask=rad / "brain1_label.nrrd", name=SEED_NAMES["measure"]),
        caller,
    ).lesions
    feats: dict[str, float] = {}
    if available():  # pyradiomics is an optional build (see docs/imaging.md)
        spec = FeaturesSpec(
            image=rad / "breast1_image.nrrd", mask=rad / "breast1_label.nrrd", name=SEED_NAMES["features"]
        )
        feats = features(store, spec, caller).features
    recist_spec = RecistSpec(
        tu=onco / "tu_onco_recist.csv",
        tr=onco / "tr_onco_recist.csv",
        rs=onco / "rs_onco_recist.csv",
        name=SEED_NAMES["recist"],
    )
    result = recist(store, recist_spec, caller)
    return (
        f"imaging: brain1 lesions {[les.voxels for les in lesions]} voxels, {len(feats)} radiomics features of "
        f"breast1, RECIST 1.1 of {len(result.subjects)} CDISC oncology subjects (kappa {result.kappa:.3f})"
    )
