"""Bad input through the CLI: a clear message naming the file/row/tag, exit 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from pharmakon.store import Store, list_events


def _write(arr: np.ndarray, path: Path, spacing=(1.0, 1.0, 1.0)) -> Path:
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(spacing)
    sitk.WriteImage(img, str(path))
    return path


def _msg(res) -> str:
    return " ".join(res.stderr.split())


def test_dicom_without_pixel_data(cli, store: Store, pydicom_dir: Path, tmp_path: Path) -> None:
    (folder := tmp_path / "out").mkdir()
    out = folder / "plan.nrrd"
    res = cli("imaging", "convert", "--dicom", str(pydicom_dir / "rtplan.dcm"), "-o", str(out))
    assert res.exit_code == 2 and "rtplan.dcm" in _msg(res) and "(7FE0,0010)" in _msg(res)
    assert list(folder.iterdir()) == []  # nothing half-written, not even a temporary


def test_empty_mask_and_wrong_grid(cli, store: Store, tmp_path: Path) -> None:
    image = _write(np.zeros((4, 8, 8), dtype=np.int16), tmp_path / "img.nrrd")
    empty = _write(np.zeros((4, 8, 8), dtype=np.uint8), tmp_path / "empty.nrrd")
    res = cli("imaging", "measure", "--image", str(image), "--mask", str(empty))
    assert res.exit_code == 2 and "empty.nrrd" in _msg(res) and "empty mask" in _msg(res)
    res = cli("imaging", "features", "--image", str(image), "--mask", str(empty), "--json")
    assert res.exit_code == 2 and "empty mask" in _msg(res)  # refused before pyradiomics is needed
    other = _write(np.ones((4, 8, 8), dtype=np.uint8), tmp_path / "other.nrrd", spacing=(1.0, 1.0, 2.5))
    res = cli("imaging", "measure", "--image", str(image), "--mask", str(other))
    assert res.exit_code == 2 and "spacing 1x1x1 mm" in _msg(res) and "spacing 1x1x2.5 mm" in _msg(res)
    with store.read_session() as session:
        assert list_events(session, action="imaging.measure")[0] == []


def test_recist_file_errors(cli, store: Store, tmp_path: Path) -> None:
    tu = pd.DataFrame([{"USUBJID": "S1", "TULNKID": "T01", "TULOC": "LIVER", "TUSTRESC": "TARGET"}])
    tr = pd.DataFrame(
        [
            {
                "USUBJID": "S1",
                "TRLNKID": "T01",
                "TRTESTCD": "LDIAM",
                "TRSTRESC": "20",
                "VISITNUM": 1,
                "TRDTC": "2020-01-01",
            },
            {
                "USUBJID": "S1",
                "TRLNKID": "T02",
                "TRTESTCD": "LDIAM",
                "TRSTRESC": "9",
                "VISITNUM": 1,
                "TRDTC": "2020-01-01",
            },
        ]
    )
    tu.to_csv(tu_path := tmp_path / "tu.csv", index=False)
    tr.to_csv(tr_path := tmp_path / "tr.csv", index=False)
    res = cli("imaging", "recist", "--tu", str(tu_path), "--tr", str(tr_path))
    assert res.exit_code == 2 and "tr.csv, row 3, field 'TRLNKID'" in _msg(res) and "T02" in _msg(res)
    tr.loc[1, "TRLNKID"] = "T01"
    tr.loc[1, "TRDTC"] = None
    tr.to_csv(tr_path, index=False)
    res = cli("imaging", "recist", "--tu", str(tu_path), "--tr", str(tr_path))
    assert res.exit_code == 2 and "row 3, field 'TRDTC'" in _msg(res)
    res = cli("imaging", "recist", "--tu", str(tu_path), "--tr", str(tr_path), "--confirm-weeks", "99")
    assert res.exit_code == 2 and "confirm_weeks must be in [0, 52]" in _msg(res)
    res = cli("imaging", "recist", "--tu", str(tmp_path / "missing.csv"), "--tr", str(tr_path))
    assert res.exit_code == 2 and "missing.csv" in _msg(res)


def test_features_settings_are_checked(cli, store: Store, radiomics_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("radiomics", reason="pyradiomics is not installed (docs/imaging.md)")
    settings = tmp_path / "params.yaml"
    settings.write_text("setting:\n  binWidth: 25\n  shellCommand: rm\n")
    image, mask = radiomics_dir / "breast1_image.nrrd", radiomics_dir / "breast1_label.nrrd"
    res = cli("imaging", "features", "--image", str(image), "--mask", str(mask), "--settings", str(settings))
    assert res.exit_code == 2 and "params.yaml" in _msg(res) and "shellCommand" in _msg(res)
    settings.write_text("setting:\n  binWidth: 25\n")
    res = cli("imaging", "features", "--image", str(image), "--mask", str(mask), "--settings", str(settings), "--json")
    assert res.exit_code == 0, res.stderr
    flat = json.loads(res.stdout)
    assert all(isinstance(v, float) for v in flat.values())
    assert {"original_firstorder_Mean", "original_shape_Maximum3DDiameter", "original_glcm_Contrast"} <= set(flat)


def test_label_defaults_to_the_only_label(cli, store: Store, tmp_path: Path) -> None:
    image = _write(np.zeros((2, 8, 8), dtype=np.int16), tmp_path / "img.nrrd")
    arr = np.zeros((2, 8, 8), dtype=np.uint8)
    arr[0, 1:3, 1:4] = 7
    only7 = _write(arr, tmp_path / "only7.nrrd")
    res = cli("imaging", "measure", "--image", str(image), "--mask", str(only7), "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["label"] == 7 and json.loads(res.stdout)["lesions"][0]["voxels"] == 6
    arr[1, 5, 5] = 3
    two = _write(arr, tmp_path / "two.nrrd")
    res = cli("imaging", "measure", "--image", str(image), "--mask", str(two))
    assert res.exit_code == 2 and "labels [3, 7]" in _msg(res) and "--label" in _msg(res)
    res = cli("imaging", "measure", "--image", str(image), "--mask", str(two), "--label", "3", "--json")
    assert json.loads(res.stdout)["lesions"][0]["voxels"] == 1
