"""DICOM conversion and de-identification (DICOM PS3.15 basic profile)."""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest
import SimpleITK as sitk

from pharmakon.imaging.deid import deidentify
from pharmakon.store import Store, list_events


def test_basic_profile_on_ct(pydicom_dir: Path) -> None:
    ds = pydicom.dcmread(pydicom_dir / "CT_small.dcm")
    uid, name = ds.StudyInstanceUID, str(ds.PatientName)
    assert name and any(e.tag.is_private for e in ds.iterall())
    touched = deidentify(ds)
    assert ds.PatientName == "" and ds.PatientID == "" and "InstitutionName" not in ds
    assert not any(e.tag.is_private for e in ds.iterall()) and "(private tags)" in touched
    assert ds.StudyInstanceUID != uid and ds.PatientIdentityRemoved == "YES"
    assert ds.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
    again = pydicom.dcmread(pydicom_dir / "CT_small.dcm")
    deidentify(again)
    assert again.StudyInstanceUID == ds.StudyInstanceUID  # same salt, same new UID: references stay consistent
    assert name not in json.dumps(touched)


def test_seg_converts_to_107098_voxels_audited(cli, store: Store, pydicom_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "liver.nii.gz"
    res = cli("imaging", "convert", "--dicom", str(pydicom_dir / "liver.dcm"), "-o", str(out), "--json")
    assert res.exit_code == 0, res.stderr
    result = json.loads(res.stdout)
    assert result["kind"] == "segmentation" and result["foreground_voxels"] == 107_098
    arr = sitk.GetArrayFromImage(sitk.ReadImage(str(out)))
    assert int((arr > 0).sum()) == 107_098
    with store.read_session() as session:
        (event,), _ = list_events(session, action="imaging.convert")
    assert event.params["foreground_voxels"] == 107_098 and "PatientName" in event.params["deidentified"]
    assert event.outputs[str(out)] and event.params["channel"] == "cli"


def test_ct_output_carries_no_identifying_header(cli, store: Store, pydicom_dir: Path, tmp_path: Path) -> None:
    ds = pydicom.dcmread(pydicom_dir / "CT_small.dcm")
    out = tmp_path / "ct.nrrd"
    res = cli("imaging", "convert", "--dicom", str(pydicom_dir / "CT_small.dcm"), "-o", str(out))
    assert res.exit_code == 0, res.stderr
    raw = out.read_bytes()
    for value in (str(ds.PatientName), str(ds.PatientID), str(ds.StudyInstanceUID)):
        assert value.encode() not in raw
    img = sitk.ReadImage(str(out))
    assert img.GetSize() == (128, 128, 1) and abs(img.GetSpacing()[0] - 0.661468) < 1e-6
    assert not any(k.startswith("0010|") for k in img.GetMetaDataKeys())


def test_multiframe_and_seg_on_image_grid(cli, store: Store, pydicom_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "emri.nrrd"
    res = cli("imaging", "convert", "--dicom", str(pydicom_dir / "emri_small.dcm"), "-o", str(out), "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["size"] == [64, 64, 10]
    # a SEG on another grid is resampled onto the image grid (nearest neighbour): same size as the image
    out2 = tmp_path / "ct.nrrd"
    res = cli(
        "imaging",
        "convert",
        "--dicom",
        str(pydicom_dir / "CT_small.dcm"),
        "--seg",
        str(pydicom_dir / "liver.dcm"),
        "-o",
        str(out2),
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    mask = sitk.ReadImage(json.loads(res.stdout)["mask_output"])
    assert mask.GetSize() == sitk.ReadImage(str(out2)).GetSize()


def _series(folder: Path, template: Path, n: int = 4) -> None:
    """A CT series of ``n`` slices 5 mm apart made from one test file (pydicom)."""
    import copy

    from pydicom.uid import generate_uid

    src = pydicom.dcmread(template)
    series, frame = generate_uid(), generate_uid()
    x, y, z = (float(v) for v in src.ImagePositionPatient)
    for i in range(n):
        ds = copy.deepcopy(src)
        ds.SeriesInstanceUID, ds.FrameOfReferenceUID = series, frame
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = i + 1
        ds.ImagePositionPatient = [x, y, z + 5.0 * i]
        ds.save_as(folder / f"slice{n - i}.dcm")  # file names in reverse order: the reader sorts by position


def test_series_with_rtstruct_on_one_grid(cli, store: Store, pydicom_dir: Path, tmp_path: Path) -> None:
    import numpy as np
    from rt_utils import RTStructBuilder

    (series := tmp_path / "series").mkdir()
    _series(series, pydicom_dir / "CT_small.dcm")
    rt = RTStructBuilder.create_new(dicom_series_path=str(series))
    roi = np.zeros((128, 128, 4), dtype=bool)  # rt-utils: (row, column, slice)
    roi[40:60, 50:80, 1:3] = True
    rt.add_roi(mask=roi, name="lesion")
    rt.save(str(tmp_path / "rt.dcm"))
    out = tmp_path / "ct.nii.gz"
    args = ["--dicom", str(series), "--rtstruct", str(tmp_path / "rt.dcm"), "-o", str(out), "--json"]
    res = cli("imaging", "convert", *args)
    assert res.exit_code == 0, res.stderr
    result = json.loads(res.stdout)
    assert result["size"] == [128, 128, 4] and result["spacing_mm"][2] == 5.0 and result["foreground_voxels"] == 1200
    label = sitk.GetArrayFromImage(sitk.ReadImage(result["mask_output"]))
    where = np.argwhere(label)
    assert where.min(axis=0).tolist() == [1, 40, 50] and where.max(axis=0).tolist() == [2, 59, 79]
    res = cli("imaging", "measure", "--image", str(out), "--mask", result["mask_output"], "--json")
    (lesion,) = json.loads(res.stdout)["lesions"]
    assert lesion["longest_diameter_mm"] == pytest.approx(0.661468 * (19**2 + 29**2) ** 0.5, abs=1e-3)
    assert lesion["short_axis_mm"] > 0 and lesion["voxels"] == 1200
