"""pyradiomics features against pyradiomics' own reference tables (3 % relative, its test tolerance)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharmakon.errors import InputError

pytest.importorskip("radiomics", reason="pyradiomics is not installed (docs/imaging.md)")
from pharmakon.imaging.io import read_image, read_mask
from pharmakon.imaging.radiomics import baseline_parity, check_settings, extract, load_baseline


@pytest.mark.parametrize("case", ["brain1", "brain2", "breast1"])
def test_every_baseline_feature_within_3_percent(radiomics_dir: Path, case: str) -> None:
    image = read_image(radiomics_dir / f"{case}_image.nrrd")
    mask = read_mask(radiomics_dir / f"{case}_label.nrrd", image)
    table = baseline_parity(extract(image, mask), load_baseline(radiomics_dir / "baseline", case))
    assert len(table) == 107  # firstorder 18, shape 14, glcm 24, glrlm 16, glszm 16, gldm 14, ngtdm 5
    assert table["within"].all(), table[~table["within"]].to_string()


def test_settings_are_bounded() -> None:
    assert check_settings({"binWidth": 10}) == {"binWidth": 10}
    with pytest.raises(InputError, match="binCount"):
        check_settings({"binCount": 0})
    with pytest.raises(InputError, match="unknown pyradiomics setting"):
        check_settings({"enableCExtensions": False})
