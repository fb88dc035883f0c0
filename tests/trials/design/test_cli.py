"""``pharmakon trial``: the machine-readable contract and bad-input handling."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.trials.design._rpact import anchors

A = {r["id"]: r for r in anchors()}


def test_design_gs_json_contract(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli(
        "trial", "design", "gs", "--kmax", "3", "--alpha", "0.025", "--sided", "1", "--spending", "asOF", "--json"
    )
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)["design"]  # the REST compute body: design, summary, characteristics, ...
    ref = A["gs_k3_asOF_sided1"]  # rpact 3.3.4 getDesignGroupSequential(kMax=3, alpha=0.025, typeOfDesign="asOF")
    np.testing.assert_allclose(out["critical_values"], ref["criticalValues"], atol=1e-6)
    np.testing.assert_allclose(out["alpha_spent"], ref["alphaSpent"], atol=1e-7)
    np.testing.assert_allclose(out["stage_levels"], ref["stageLevels"], atol=1e-7)
    np.testing.assert_allclose(out["information_rates"], ref["informationRates"], atol=1e-9)


def test_design_gs_with_futility(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli(
        "trial",
        "design",
        "gs",
        "--kmax",
        "3",
        "--spending",
        "asOF",
        "--beta",
        "0.2",
        "--futility",
        "bsOF",
        "--non-binding",
        "--info-rates",
        "0.33,0.67,1",
        "--json",
    )
    ref = A["gs_k3_asOF_bsOF_nonbinding"]
    out = json.loads(res.stdout)["design"]
    np.testing.assert_allclose(out["futility_bounds"], ref["futilityBounds"], atol=1e-6)
    np.testing.assert_allclose(out["critical_values"], ref["criticalValues"], atol=1e-6)


def test_design_table_output(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("trial", "design", "gs", "--kmax", "2", "--spending", "P")
    assert res.exit_code == 0 and "inflation factor" in res.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--alpha", "0.6"], "alpha must be in (0, 0.5)"),
        (["--info-rates", "0.5,0.4,1"], "information_rates"),
        (["--info-rates", "0.3,0.6,0.9"], "must end at 1"),
        (["--spending", "asXX"], "unknown design type"),
    ],
)
def test_bad_input_one_line_nonzero(cli, args, needle) -> None:  # type: ignore[no-untyped-def]
    res = cli("trial", "design", "gs", "--kmax", "3", *args, "--json")
    assert res.exit_code != 0 and needle in res.stderr and res.stdout == ""


def test_simulate_rates_contract(cli, pharmakon_home) -> None:  # type: ignore[no-untyped-def]
    res = cli(
        "trial",
        "simulate",
        "rates",
        "--kmax",
        "3",
        "--alpha",
        "0.025",
        "--spending",
        "asOF",
        "--pi1",
        "0.5",
        "--pi2",
        "0.3",
        "--planned",
        "60,120,180",
        "--sims",
        "20000",
        "--seed",
        "3",
        "--backend",
        "serial",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert {"power", "reject_per_stage", "early_stop", "expected_n", "mc_se", "sims_per_second"} <= set(out)
    assert len(out["reject_per_stage"]) == 3 and abs(sum(out["reject_per_stage"]) - out["power"]) < 1e-12
    again = json.loads(
        cli(
            "trial",
            "simulate",
            "rates",
            "--kmax",
            "3",
            "--spending",
            "asOF",
            "--pi1",
            "0.5",
            "--pi2",
            "0.3",
            "--planned",
            "60,120,180",
            "--sims",
            "20000",
            "--seed",
            "3",
            "--backend",
            "serial",
            "--json",
        ).stdout
    )
    assert again["power"] == out["power"]


def test_simulate_means_contract(cli, pharmakon_home) -> None:  # type: ignore[no-untyped-def]
    res = cli(
        "trial",
        "simulate",
        "means",
        "--kmax",
        "3",
        "--spending",
        "OF",
        "--alternative",
        "0.5",
        "--stdev",
        "1",
        "--planned",
        "60,120,180",
        "--sims",
        "20000",
        "--seed",
        "1",
        "--backend",
        "serial",
        "--json",
    )
    out = json.loads(res.stdout)
    assert 0.85 < out["power"] < 0.97 and out["mc_se"] > 0


def test_spec_with_typo_is_refused(cli, tmp_path: Path, pharmakon_home) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "design:\n  kmax: 3\n  alhpa: 0.025\n  spending: asOF\nsimulate:\n  pi1: 0.5\n  planned: [60, 120, 180]\n"
    )
    res = cli("trial", "simulate", "spec", str(spec), "--json")
    assert res.exit_code != 0 and "alhpa" in res.stderr and "did you mean 'alpha'" in res.stderr
    spec.write_text(
        "design:\n  kmax: 3\n  spending: asOF\nsimulate:\n  endpoint: rates\n  pi1: 0.5\n  pi2: 0.3\n"
        "  planned: [60, 120, 180]\n  sims: 5000\n  seed: 2\n"
    )
    res = cli("trial", "simulate", "spec", str(spec), "--backend", "serial", "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["sims"] == 5000


def test_simulate_spec_file_as_written_in_the_issue_is_stored(cli, tmp_path: Path, pharmakon_home) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "obf.yaml"
    spec.write_text(
        "name: obf-sim\ndesign:\n  kmax: 3\n  spending: asOF\nsimulate:\n  endpoint: means\n"
        "  alternative: 0.4\n  stdev: 1\n  planned: [60, 120, 180]\n  seed: 3\n"
    )
    # the issue's form: `pharmakon trial simulate SPEC.yaml --sims N`
    res = cli("trial", "simulate", str(spec), "--sims", "20000", "--backend", "serial", "--curve", "3", "--json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["sims"] == 20000 and out["stored"] == "obf-sim@1" and len(out["power_curve"]) == 3
    assert out["power_curve"][0]["effect"] == 0.0 and out["power_curve"][0]["power"] < 0.04
    again = json.loads(cli("trial", "simulate", str(spec), "--sims", "20000", "--backend", "serial", "--json").stdout)
    assert again["stored"] == "obf-sim@2" and again["power"] == out["power"]  # same seed, same answer
    assert cli("trial", "simulate", str(tmp_path / "missing.yaml")).exit_code != 0
    assert cli("trial", "simulate", "rates", "--help").exit_code == 0


def test_samplesize_commands(cli) -> None:  # type: ignore[no-untyped-def]
    out = json.loads(cli("trial", "samplesize", "rates", "--pi1", "0.4", "--pi2", "0.25", "--json").stdout)
    assert out["max_number_of_subjects"] == pytest.approx(A["ss_rates_fixed_0.40_vs_0.25"]["maxNumberOfSubjects"])
    out = json.loads(
        cli(
            "trial",
            "samplesize",
            "survival",
            "--hazard-ratio",
            "0.75",
            "--median2",
            "12",
            "--accrual",
            "24",
            "--follow-up",
            "12",
            "--beta",
            "0.1",
            "--json",
        ).stdout
    )
    assert out["max_number_of_events"] == pytest.approx(A["ss_surv_fixed_hr0.75_b0.1"]["maxNumberOfEvents"])
    assert cli("trial", "samplesize", "means", "--alternative", "0", "--json").exit_code != 0


def test_save_list_report_and_sign(cli, store, make_user, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PHARMAKON_ACTOR", "sam")
    res = cli("trial", "design", "gs", "--kmax", "3", "--spending", "asOF", "--save", "obf3", "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["stored"] == "obf3@1"
    assert "obf3" in cli("trial", "list").stdout
    out = tmp_path / "r.html"
    assert cli("trial", "report", "obf3", "--out", str(out)).exit_code == 0
    assert "<svg" in out.read_text() and "Boundaries" in out.read_text()
    make_user("sam", "scientist")
    res = cli(
        "audit",
        "sign",
        "trial_design",
        "obf3@1",
        "--meaning",
        "authored",
        "--user",
        "sam",
        "--password-stdin",
        stdin="sam-password\n",
    )
    assert res.exit_code == 0, res.stdout + res.stderr
    # bad spec: nothing stored
    assert cli("trial", "design", "gs", "--alpha", "0.7", "--save", "bad").exit_code != 0
    assert "bad" not in cli("trial", "list").stdout


def test_bayes_command(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("trial", "bayes", "--p", "0.2,0.2,0.45", "--sims", "1000", "--seed", "2", "--json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["select_probability"][2] > out["select_probability"][1]
    assert cli("trial", "bayes", "--p", "0.2", "--sims", "10").exit_code != 0
    cont = cli(
        "trial", "bayes", "--mu", "0,0,0.6", "--sigma", "1", "--n-max", "240", "--sims", "1000", "--seed", "2", "--json"
    )
    assert cont.exit_code == 0, cont.stderr
    out = json.loads(cont.stdout)
    assert out["select_probability"][2] > 0.8 and "normal outcome" in out["assumptions"][0]
    both = cli("trial", "bayes", "--p", "0.2,0.3", "--mu", "0,1", "--sims", "10")
    assert both.exit_code != 0 and "exactly one of p" in both.stderr


def test_boin_command(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("trial", "dosefind", "--tox", "0.05,0.12,0.3,0.45", "--sims", "2000", "--json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert abs(out["boundaries"][0] - 0.236) < 1e-3 and len(out["select_probability"]) == 4
    res = cli(
        "trial",
        "dosefind",
        "--method",
        "crm",
        "--tox",
        "0.05,0.12,0.3,0.45",
        "--skeleton",
        "0.1,0.2,0.3,0.4",
        "--sims",
        "1000",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    assert cli("trial", "dosefind", "--method", "crm", "--tox", "0.1,0.2").exit_code != 0


def test_enrich_command(cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("trial", "enrich", "--effect-s", "0.4", "--effect-c", "0", "--sims", "5000", "--json")
    assert res.exit_code == 0, res.stderr
    assert 0 < json.loads(res.stdout)["p_enrich"] < 1
    assert cli("trial", "enrich", "--effect-s", "0.4", "--effect-c", "0", "--prevalence", "2").exit_code != 0


def test_design_wt_optimum_from_the_cli(cli) -> None:  # type: ignore[no-untyped-def]
    """rpact unit test record (typeOfDesign = "WToptimum", kMax 3, beta 0.23): deltaWT 0.393."""
    res = cli(
        "trial",
        "design",
        "gs",
        "--kmax",
        "3",
        "--beta",
        "0.23",
        "--spending",
        "WToptimum",
        "--info-rates",
        "0.3,0.8,1",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)["design"]
    assert out["delta_wt"] == 0.393 and out["critical_values"][0] == pytest.approx(2.4700754, abs=1e-6)
