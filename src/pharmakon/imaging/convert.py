"""DICOM (series, multi-frame, SEG, RTSTRUCT) to NRRD/NIfTI, image and masks on one grid.

Every DICOM header is de-identified (:func:`pharmakon.imaging.deid.deidentify`) as it is
read, and only de-identified attributes are kept; the written volumes carry no DICOM
header at all (the image is rebuilt from its array and geometry, so none of the
reader's metadata dictionary reaches the NRRD/NIfTI header).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk

from pharmakon.errors import InputError
from pharmakon.imaging.deid import deidentify
from pharmakon.imaging.io import Volume, image_ext, read_dicom, read_rtstruct, read_seg, same_grid, write_image

__all__ = ["Converted", "convert_dicom", "mask_path_for"]

#: De-identified attributes kept in the result (none of them identifies a person).
KEPT = ("Modality", "SOPClassUID", "Rows", "Columns", "NumberOfFrames", "BodyPartExamined", "Manufacturer")


@dataclass
class Converted:
    """What was written: the image (or label map), the mask, their grid and the header summary."""

    output: str
    mask_output: str | None
    size: tuple[int, ...]
    spacing: tuple[float, ...]
    kind: str  # "image" or "segmentation"
    foreground_voxels: int | None
    labels: list[int]
    deidentified: list[str] = field(default_factory=list)
    header: dict[str, str] = field(default_factory=dict)


def mask_path_for(output: Path) -> Path:
    """``out.nrrd`` -> ``out_label.nrrd``; ``out.nii.gz`` -> ``out_label.nii.gz``."""
    name = output.name
    ext = ".nii.gz" if name.lower().endswith(".nii.gz") else output.suffix
    return output.with_name(name[: len(name) - len(ext)] + "_label" + ext)


def _headers(path: Path) -> tuple[list[str], dict[str, str]]:
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
    touched: set[str] = set()
    summary: dict[str, str] = {}
    for f in files:
        try:
            ds = pydicom.dcmread(f, stop_before_pixels=True, force=True)
        except Exception as exc:  # pydicom raises many types on a broken file
            raise InputError(f"not a readable DICOM file: {exc}", file=str(f)) from None
        touched.update(deidentify(ds))
        for key in KEPT:
            if key in ds and key not in summary:
                summary[key] = str(ds.get(key))
    return sorted(touched), summary


def _clean(image: sitk.Image) -> sitk.Image:
    """The image without its metadata dictionary (DICOM tags would go into the header)."""
    return Volume.of(image).to_image() if image.GetDimension() in (2, 3) else image


def _on_grid(mask: sitk.Image, image: sitk.Image) -> sitk.Image:
    if same_grid(mask, image):
        return mask
    # nearest neighbour keeps labels; voxels outside the mask's extent are background
    return sitk.Resample(mask, image, sitk.Transform(), sitk.sitkNearestNeighbor, 0, mask.GetPixelID())


def convert_dicom(
    dicom: Path,
    output: Path,
    seg: Path | None = None,
    rtstruct: Path | None = None,
    *,
    mask_output: Path | None = None,
    ext: str | None = None,
) -> Converted:
    """Convert ``dicom`` (file or series folder) to ``output``; a mask to ``mask_output``.

    ``mask_output`` defaults to :func:`mask_path_for`; ``ext`` (the format) to the
    extension of ``output`` (give it when ``output`` is a temporary name).
    """
    ext = ext or image_ext(output)
    touched, header = _headers(dicom)
    if header.get("Modality") == "SEG":  # a segmentation alone: its label map on its own grid
        labels = _clean(read_seg(dicom))
        write_image(labels, output, ext)
        arr = sitk.GetArrayViewFromImage(labels)
        return Converted(
            str(output),
            None,
            labels.GetSize(),
            labels.GetSpacing(),
            "segmentation",
            int((arr > 0).sum()),
            sorted(int(v) for v in np.unique(arr) if v),
            touched,
            header,
        )
    image = _clean(read_dicom(dicom))
    mask = None
    if seg is not None:
        more, _ = _headers(seg)
        touched = sorted(set(touched) | set(more))
        mask = _on_grid(_clean(read_seg(seg)), image)
    elif rtstruct is not None:
        if not dicom.is_dir():
            raise InputError("an RT Structure Set needs the image series folder as --dicom", file=str(rtstruct))
        more, _ = _headers(rtstruct)
        touched = sorted(set(touched) | set(more))
        mask, _ = read_rtstruct(rtstruct, dicom, image)
        mask = _clean(mask)
    mask_out = None
    if mask is not None:
        mask_out = mask_output or mask_path_for(output)
        write_image(mask, mask_out, ext)
    write_image(image, output, ext)
    arr = sitk.GetArrayViewFromImage(mask) if mask is not None else None
    return Converted(
        str(output),
        str(mask_out) if mask_out else None,
        image.GetSize(),
        image.GetSpacing(),
        "image",
        int((arr > 0).sum()) if arr is not None else None,
        sorted(int(v) for v in np.unique(arr) if v) if arr is not None else [],
        touched,
        header,
    )
