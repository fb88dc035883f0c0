"""Reading and writing images and label masks with spacing and orientation kept.

Images are SimpleITK images (NRRD, NIfTI, MetaImage read by SimpleITK; DICOM series and
multi-frame files through SimpleITK's GDCM reader, checked with pydicom first so that a
file without pixel data is named). Label masks come from a mask file, a DICOM SEG
(highdicom) or an RT Structure Set (rt-utils, on the image series' grid). Arrays from
:func:`to_array` are ``(k, j, i)`` = (slice, row, column), as SimpleITK returns them;
spacings are ``(i, j, k)`` in mm.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk

from pharmakon.errors import InputError
from pharmakon.files import atomic_path

__all__ = [
    "Volume",
    "read_image",
    "read_mask",
    "read_dicom",
    "read_seg",
    "read_rtstruct",
    "write_image",
    "image_ext",
    "same_grid",
    "MAX_VOXELS",
]

#: Largest image accepted (voxels): 512 x 512 x 2048.
MAX_VOXELS = 512 * 512 * 2048
#: Grid agreement tolerance (mm for spacing/origin, unitless for direction cosines).
GRID_TOL = 1e-3


@dataclass(frozen=True)
class Volume:
    """An image with its grid: ``array`` (k, j, i), ``spacing`` (i, j, k) mm, origin, direction."""

    array: np.ndarray
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float]
    direction: tuple[float, ...]

    @classmethod
    def of(cls, image: sitk.Image) -> Volume:
        """The array and grid of a 3-D (or 2-D, promoted to one slice) SimpleITK image."""
        if image.GetDimension() == 2:
            image = sitk.JoinSeries(image)
        arr = sitk.GetArrayFromImage(image)
        return cls(arr, tuple(image.GetSpacing()), tuple(image.GetOrigin()), tuple(image.GetDirection()))

    def to_image(self) -> sitk.Image:
        """Back to a SimpleITK image with this grid."""
        img = sitk.GetImageFromArray(self.array)
        img.SetSpacing(self.spacing)
        img.SetOrigin(self.origin)
        img.SetDirection(self.direction)
        return img


def _check_size(image: sitk.Image, file: str) -> sitk.Image:
    n = int(np.prod(image.GetSize()))
    if n > MAX_VOXELS:
        raise InputError(f"image has {n} voxels, more than the {MAX_VOXELS} allowed", file=file)
    return image


def _is_dicom(path: Path) -> bool:
    if path.is_dir():
        return True
    if path.suffix.lower() in (".dcm", ".dicom"):
        return True
    with path.open("rb") as fh:
        return fh.read(132)[128:132] == b"DICM"


def read_image(path: str | Path) -> sitk.Image:
    """An image file (NRRD, NIfTI, MHA, ...) or DICOM file/folder, as a SimpleITK image.

    Raises
    ------
    InputError
        Missing or unreadable file, DICOM without pixel data, more than :data:`MAX_VOXELS`.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or folder", file=str(path))
    if _is_dicom(path):
        return read_dicom(path)
    try:
        image = sitk.ReadImage(str(path))
    except RuntimeError as exc:
        raise InputError(f"cannot read the image: {str(exc).strip().splitlines()[-1]}", file=str(path)) from None
    return _check_size(image, str(path))


def _dicom_files(path: Path) -> list[Path]:
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
    if not files:
        raise InputError("folder holds no DICOM file", file=str(path))
    return files


def read_dicom(path: str | Path) -> sitk.Image:
    """A DICOM file (single or multi-frame) or a folder holding one series, with its geometry.

    Every file is opened with pydicom first so a file without Pixel Data (7FE0,0010) is
    named; the volume itself is assembled by SimpleITK (GDCM), which sorts slices by
    position and applies the rescale slope/intercept.
    """
    path = Path(path)
    files = _dicom_files(path)
    for f in files:
        try:
            ds = pydicom.dcmread(f, stop_before_pixels=False, force=True)
        except Exception as exc:  # pydicom raises many types on a broken file
            raise InputError(f"not a readable DICOM file: {exc}", file=str(f)) from None
        if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
            raise InputError("DICOM file has no pixel data (tag (7FE0,0010) PixelData)", file=str(f), field="PixelData")
    if path.is_dir():
        reader = sitk.ImageSeriesReader()
        series = reader.GetGDCMSeriesIDs(str(path))
        if len(series) > 1:
            raise InputError(f"folder holds {len(series)} DICOM series; give one series folder", file=str(path))
        names = reader.GetGDCMSeriesFileNames(str(path), series[0]) if series else [str(f) for f in files]
        reader.SetFileNames(names)
        image = reader.Execute()
    else:
        try:
            image = sitk.ReadImage(str(path))
        except RuntimeError as exc:
            raise InputError(f"cannot decode the DICOM pixel data: {str(exc).strip()[-200:]}", file=str(path)) from None
    return _check_size(image, str(path))


def same_grid(a: sitk.Image, b: sitk.Image) -> bool:
    """Whether two images share size, spacing, origin and direction (within :data:`GRID_TOL`)."""
    return (
        a.GetSize() == b.GetSize()
        and np.allclose(a.GetSpacing(), b.GetSpacing(), atol=GRID_TOL)
        and np.allclose(a.GetOrigin(), b.GetOrigin(), atol=GRID_TOL)
        and np.allclose(a.GetDirection(), b.GetDirection(), atol=GRID_TOL)
    )


def _grid_text(img: sitk.Image) -> str:
    spacing = "x".join(f"{s:.4g}" for s in img.GetSpacing())
    return f"size {'x'.join(map(str, img.GetSize()))}, spacing {spacing} mm"


def read_mask(path: str | Path, image: sitk.Image | None = None) -> sitk.Image:
    """A label mask (integer labels, 0 = background); checked to lie on ``image``'s grid.

    A DICOM SEG file is converted with :func:`read_seg` (on its own grid).

    Raises
    ------
    InputError
        The mask is on another grid than the image (both shapes and spacings named).
    """
    path = Path(path)
    if path.is_file() and _is_dicom(path) and _modality(path) == "SEG":
        mask = read_seg(path)
    else:
        mask = read_image(path)
    if mask.GetNumberOfComponentsPerPixel() != 1:
        raise InputError("a mask must have one component per voxel", file=str(path))
    if image is not None and not same_grid(image, mask):
        raise InputError(
            f"mask is on another grid than its image: image {_grid_text(image)}; mask {_grid_text(mask)}",
            file=str(path),
        )
    return sitk.Cast(mask, sitk.sitkUInt16) if mask.GetPixelID() not in (sitk.sitkUInt8, sitk.sitkUInt16) else mask


def _modality(path: Path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True, force=True).get("Modality", ""))


def read_seg(path: str | Path) -> sitk.Image:
    """A DICOM SEG as a label image: segment number as label, on the SEG's own frame grid.

    highdicom reads the segmentation; frames are ordered along the stack by their image
    position (so the 3-D array and the grid agree) and overlapping segments keep the
    highest segment number.
    """
    import highdicom as hd

    path = Path(path)
    try:
        seg = hd.seg.segread(str(path))
    except Exception as exc:  # highdicom raises ValueError/AttributeError on a non-SEG file
        raise InputError(f"not a readable DICOM SEG: {exc}", file=str(path)) from None
    numbers = list(seg.segment_numbers)
    volume = seg.get_volume(segment_numbers=numbers, combine_segments=True, relabel=False)
    if volume is None:
        raise InputError("DICOM SEG has no frame geometry to build a volume from", file=str(path))
    arr = np.asarray(volume.array)  # (k, j, i) in highdicom's volume convention (slice, row, column)
    affine = np.asarray(volume.affine)
    spacing = tuple(float(np.linalg.norm(affine[:3, c])) for c in (2, 1, 0))  # column, row, slice axes
    direction = np.stack([affine[:3, c] / np.linalg.norm(affine[:3, c]) for c in (2, 1, 0)], axis=1)
    image = sitk.GetImageFromArray(arr.astype(np.uint16))
    image.SetSpacing(spacing)
    image.SetOrigin(tuple(float(x) for x in affine[:3, 3]))
    image.SetDirection(tuple(float(x) for x in direction.ravel()))
    return image


def read_rtstruct(rtstruct: str | Path, series_dir: str | Path, image: sitk.Image) -> tuple[sitk.Image, list[str]]:
    """An RT Structure Set as a label image on the grid of ``image`` (read from ``series_dir``).

    rt-utils rasterises each ROI on the referenced series' slices; ROI n (1-based, in the
    order of the structure set) gets label n; later ROIs overwrite earlier ones where they overlap.
    """
    from rt_utils import RTStructBuilder

    try:
        rt = RTStructBuilder.create_from(dicom_series_path=str(series_dir), rt_struct_path=str(rtstruct))
    except Exception as exc:  # rt-utils raises bare Exceptions on a mismatched series
        raise InputError(f"cannot read the RT Structure Set against its series: {exc}", file=str(rtstruct)) from None
    names = rt.get_roi_names()
    labels = np.zeros(sitk.GetArrayViewFromImage(image).shape, dtype=np.uint16)
    for n, name in enumerate(names, start=1):
        roi = rt.get_roi_mask_by_name(name)  # (row, column, slice)
        labels[np.transpose(roi, (2, 0, 1))] = n
    out = sitk.GetImageFromArray(labels)
    out.CopyInformation(image)
    return out, names


def image_ext(path: str | Path) -> str:
    """The writer extension of ``path`` (``.nrrd``, ``.nii``, ``.nii.gz``, ``.mha``)."""
    name = Path(path).name.lower()
    for ext in (".nii.gz", ".nrrd", ".nii", ".mha"):
        if name.endswith(ext):
            return ext
    raise InputError("output must end in .nrrd, .nii, .nii.gz or .mha", file=str(path))


def write_image(image: sitk.Image, path: str | Path, ext: str | None = None) -> Path:
    """Write ``image`` all or nothing, compressed, in the format of ``ext`` (default: from ``path``)."""
    path = Path(path)
    ext = ext or image_ext(path)
    with atomic_path(path) as tmp:
        staged = tmp.with_name(tmp.name + ext)  # SimpleITK picks its writer from the extension
        try:
            sitk.WriteImage(image, str(staged), useCompression=True)
            staged.replace(tmp)
        finally:
            staged.unlink(missing_ok=True)
    return path
