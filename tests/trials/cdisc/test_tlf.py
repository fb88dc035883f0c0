"""The pilot submission's tables reproduced at their printed precision (reference_numbers.json)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharmakon.errors import InputError
from pharmakon.trials.cdisc.analysis_spec import builtin_analysis, load_analysis
from pharmakon.trials.cdisc.tlf import run_analysis


@pytest.mark.parametrize("table", ["demographics", "primary", "km"])
def test_every_reference_number_is_reproduced(pilot_domains, reference, table: str) -> None:
    spec = builtin_analysis(table)
    out = run_analysis(spec, pilot_domains)
    expected = {k: v for k, v in reference[spec.reference_key].items() if k != "model"}
    assert {k: out.numbers[k] for k in expected} == expected


def test_primary_p_values_and_unrounded_numbers(pilot_domains) -> None:
    out = run_analysis(builtin_analysis("primary"), pilot_domains)
    # R Consortium pilot 3, Table 14-3.01: p = 0.245 (dose), 0.569, 0.233, 0.520
    assert [out.numbers["p_dose_response"]] + [
        out.numbers[k]["p"] for k in ("low_vs_placebo", "high_vs_placebo", "high_vs_low")
    ] == [0.245, 0.569, 0.233, 0.520]
    assert out.exact["p_dose_response"] == pytest.approx(0.2447, abs=5e-4)
    assert len(out.sources["rows"]) == 79 + 81 + 74  # each number traces to its subjects' rows


def test_km_traces_subjects(pilot_domains) -> None:
    out = run_analysis(builtin_analysis("km"), pilot_domains)
    assert {arm: len(ids) for arm, ids in out.sources["subjects"].items()} == {
        "Placebo": 86,
        "Xanomeline Low Dose": 84,
        "Xanomeline High Dose": 84,
    }
    assert out.exact["median_days"]["Placebo"] is None  # not reached


def test_a_new_table_from_a_yaml_spec(pilot_domains, tmp_path: Path) -> None:
    yaml = tmp_path / "sex.yaml"
    yaml.write_text(
        "kind: summary\ntable: sex\ndataset: adsl\npopulation: {SAFFL: 'Y'}\nby: TRT01A\n"
        "arms: [Placebo, Xanomeline High Dose]\nrows:\n  - {key: N, stat: n}\n"
        "  - {key: sex_f_m, stat: counts, var: SEX, levels: [F, M]}\n"
    )
    out = run_analysis(load_analysis(yaml), pilot_domains)
    assert out.numbers["N"] == {"Placebo": 86, "Xanomeline High Dose": 84}
    assert [sum(v) for v in out.numbers["sex_f_m"].values()] == [86, 84]


def test_bad_analysis_specs(pilot_domains, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "kind: summary\ntable: x\ndataset: adsl\nby: TRT01P\narms: [Placebo]\nrows: [{key: a, stat: median}]\n"
    )
    with pytest.raises(InputError, match="bad.yaml"):
        load_analysis(bad)
    bad.write_text(
        "kind: summary\ntable: x\ndataset: adsl\nby: TRT01P\narms: [Placebo]\nrows: [{key: a, stat: mean_sd, var: NOPE}]\n"
    )
    with pytest.raises(InputError, match="NOPE"):
        run_analysis(load_analysis(bad), pilot_domains)
    with pytest.raises(InputError, match="unknown table"):
        builtin_analysis("listing")
