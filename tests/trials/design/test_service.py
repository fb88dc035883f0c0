"""The trial-design specs (one default each, readable errors) and the typed results' faces."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pharmakon.errors import InputError
from pharmakon.trials.design.service import (
    BayesSpec,
    DesignSpec,
    DoseFindingSpec,
    EnrichmentSpec,
    SampleSizeSpec,
    SimulationSpec,
    compute_design,
    compute_sample_size,
    simulate_bayes,
    simulate_dose_finding,
    simulate_enrichment_design,
)


def test_design_defaults_are_rpacts() -> None:
    """getDesignGroupSequential(): kMax 3, alpha 0.025, beta 0.2, sided 1, typeOfDesign "OF"."""
    spec = DesignSpec()
    assert (spec.kmax, spec.alpha, spec.beta, spec.sided, spec.spending, spec.futility, spec.binding) == (
        3,
        0.025,
        0.2,
        1,
        "OF",
        "none",
        False,
    )
    assert SimulationSpec().seed == 0 and SimulationSpec().design == spec


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"alhpa": 0.1}, "did you mean 'alpha'"),
        ({"alpha": 0.7}, "alpha must be in (0, 0.5), got 0.7"),
        ({"kmax": 0}, "kmax must be in [1, 20]"),
        ({"information_rates": "0.3,x"}, "comma-separated numbers"),
    ],
)
def test_spec_errors_name_the_key(values, needle) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as info:
        DesignSpec.parse(values)
    assert needle in str(info.value)


def test_form_text_and_inferred_kmax() -> None:
    spec = DesignSpec.parse({"alpha": "0.05", "information_rates": "0.5,1", "binding": "1", "gamma": None})
    assert spec.kmax == 2 and spec.alpha == 0.05 and spec.binding is True and spec.information_rates == [0.5, 1.0]
    with pytest.raises(InputError, match="unknown key 'alhpa' in design spec"):
        SimulationSpec.parse({"design": {"alhpa": 1}})


def test_sample_size_design_is_fixed_unless_looks_given() -> None:
    assert SampleSizeSpec.parse(endpoint="means", alternative=0.5).design.kmax == 1
    assert SampleSizeSpec.parse(endpoint="means", alternative=0.5, design={"alpha": 0.05}).design.kmax == 1
    assert SampleSizeSpec.parse(endpoint="means", design={"information_rates": [0.5, 1]}).design.kmax == 2
    spec = SampleSizeSpec.parse(endpoint="survival", hazard_ratio=0.75, median2=12)
    assert spec.control_hazard() == pytest.approx(0.0577622650466621)  # ln 2 / 12
    with pytest.raises(InputError, match="median2"):
        compute_sample_size(SampleSizeSpec.parse(endpoint="survival", hazard_ratio=0.75))
    with pytest.raises(InputError, match="alternative"):
        compute_sample_size(SampleSizeSpec.parse(endpoint="means"))


def test_cross_field_checks() -> None:
    with pytest.raises(InputError, match="exactly one of p"):
        BayesSpec.parse(p="0.2,0.3", mu="0,1")
    with pytest.raises(InputError, match="CRM needs a skeleton"):
        DoseFindingSpec.parse(tox="0.1,0.2", method="crm")
    with pytest.raises(InputError, match="prevalence must be in"):
        EnrichmentSpec.parse(effect_s=0.4, effect_c=0, prevalence=2)


def test_result_faces() -> None:
    design = compute_design(DesignSpec(kmax=3, spending="asOF", futility="bsOF"))
    assert len(design.to_frame()) == 3 and "inflation factor" in design.summary()
    assert design.to_dict()["summary"] == design.design.summary() and "<pre>" in design._repr_html_()
    size = compute_sample_size(SampleSizeSpec.parse(endpoint="rates", pi1=0.4, pi2=0.25))
    assert list(size.to_frame()["stage"]) == [1] and "max subjects" in size.summary()
    bayes = simulate_bayes(BayesSpec.parse(p="0.2,0.2,0.45", sims=200))
    assert len(bayes.to_frame()) == 3 and bayes.endpoint == "binary" and "arm" in bayes.summary()
    dose = simulate_dose_finding(DoseFindingSpec.parse(tox="0.05,0.12,0.3,0.45", sims=200))
    assert len(dose.to_frame()) == 4 and dose.boundaries is not None and "BOIN" in dose.summary()
    enrich = simulate_enrichment_design(EnrichmentSpec(effect_s=0.4, effect_c=0.0, sims=2000))
    assert 0 < enrich.p_enrich < 1 and "enrichment" in enrich.summary()


def test_specs_import_without_the_numerical_code() -> None:
    code = "import sys, pharmakon.trials.design.spec; print('scipy.optimize' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
