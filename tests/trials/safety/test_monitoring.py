"""Trial safety monitoring: posterior probabilities, MaxSPRT level, stream checks, simulation, DSMB report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pharmakon.errors import InputError
from pharmakon.trials.safety.dsmb import dsmb_report_html, incidence_curves, kaplan_meier, run_monitor
from pharmakon.trials.safety.monitoring import (
    Monitor,
    MonitorRule,
    maxsprt_critical_value,
    maxsprt_llr,
    parse_rules,
    posterior_prob_rr_beta,
    posterior_prob_rr_gamma,
)
from pharmakon.trials.safety.simulate import operating_characteristics, simulate_trial_stream


def test_posterior_probabilities_against_monte_carlo():
    rng = np.random.default_rng(1)
    m = 400_000
    pt, pc = rng.beta(0.5 + 9, 0.5 + 41, m), rng.beta(0.5 + 4, 0.5 + 46, m)
    assert posterior_prob_rr_beta(9, 50, 4, 50, 1.5, 0.5, 0.5) == pytest.approx(np.mean(pt / pc > 1.5), abs=3e-3)
    lt, lc = rng.gamma(1 + 12, 1 / (1 + 800.0), m), rng.gamma(1 + 5, 1 / (1 + 900.0), m)
    assert posterior_prob_rr_gamma(12, 800.0, 5, 900.0, 1.2, 1.0, 1.0) == pytest.approx(
        np.mean(lt / lc > 1.2), abs=3e-3
    )
    # versus a historical rate: exact gamma / beta tails
    assert posterior_prob_rr_gamma(12, 800.0, None, None, 1.0, 1.0, 1.0, rate_hist=0.01) == pytest.approx(
        np.mean(lt > 0.01), abs=3e-3
    )
    assert posterior_prob_rr_beta(9, 50, None, None, 2.0, 0.5, 0.5, p_hist=0.05) == pytest.approx(
        np.mean(pt > 0.1), abs=3e-3
    )


def test_maxsprt_llr_and_level():
    assert maxsprt_llr(5, 2.0) == pytest.approx(2.0 - 5 + 5 * np.log(2.5))
    assert maxsprt_llr(1, 2.0) == 0.0
    cv = maxsprt_critical_value(0.05, 10.0, 1, n_paths=20_000, seed=1)
    # independent check with other random paths: the null crossing probability is close to alpha
    rng = np.random.default_rng(99)
    times = np.cumsum(rng.exponential(1.0, (20_000, 60)), axis=1)
    llr = np.where(times <= 10.0, maxsprt_llr(np.arange(1, 61)[None, :], times), 0)
    assert np.mean(llr.max(axis=1) >= cv) == pytest.approx(0.05, abs=0.008)
    assert maxsprt_critical_value(0.01, 10.0) > maxsprt_critical_value(0.05, 10.0)


def test_rule_validation_and_parsing():
    with pytest.raises(InputError, match="cutoff"):
        MonitorRule("r", cutoff=1.5)
    with pytest.raises(InputError, match="historical_rate"):
        MonitorRule("r", model="maxsprt", control=None)
    with pytest.raises(InputError, match="unknown key"):
        parse_rules([{"name": "r", "bogus": 1}])
    with pytest.raises(InputError, match="unique"):
        parse_rules({"rules": [{"name": "r"}, {"name": "r"}]})
    assert parse_rules({"rules": [{"name": "r", "model": "gamma_poisson"}]})[0].model == "gamma_poisson"


def test_stream_errors_name_the_line():
    mon = Monitor([MonitorRule("r")])
    with pytest.raises(InputError, match="row 3.*before enrolment"):
        mon.update({"type": "ae", "subject": "S9", "event": "X", "time": 1}, line=3)
    mon.update({"type": "enroll", "subject": "S1", "arm": "treatment", "time": 5}, line=4)
    with pytest.raises(InputError, match="before the previous"):
        mon.update({"type": "exit", "subject": "S1", "time": 2}, line=5)
    with pytest.raises(InputError, match="type"):
        mon.update({"type": "dose", "subject": "S1", "time": 6}, line=6)
    with pytest.raises(InputError, match="time must be a number"):
        mon.update({"type": "exit", "subject": "S1", "time": "soon"}, line=7)


def test_monitor_alerts_once_and_counts_exposure():
    rule = MonitorRule("gp", event="AE", model="gamma_poisson", cutoff=0.9, min_events=2)
    mon = Monitor([rule])
    mon.update({"type": "enroll", "subject": "T1", "arm": "treatment", "time": 0})
    mon.update({"type": "enroll", "subject": "C1", "arm": "control", "time": 0})
    for t in (10, 20, 30, 40):
        mon.update({"type": "ae", "subject": "T1", "event": "ae", "time": t})
    mon.update({"type": "exit", "subject": "C1", "time": 50})
    mon.update({"type": "ae", "subject": "T1", "event": "AE", "time": 100})
    counts = mon.arm_counts("control", "AE")
    assert counts["days"] == pytest.approx(50) and mon.arm_counts("treatment", "AE")["days"] == pytest.approx(100)
    assert len(mon.alerts) == 1 and mon.alerts[0].counts["events_arm"] >= 2


def test_simulated_operating_characteristics():
    rules = [
        MonitorRule("bb", event="HEPATOTOXICITY", cutoff=0.99),
        MonitorRule(
            "sprt", event="HEPATOTOXICITY", model="maxsprt", control=None, historical_rate=0.002, max_expected=30
        ),
    ]
    oc = operating_characteristics(rules, (1.0, 4.0), n_sims=25, n_per_arm=60, seed=5)
    by = oc.set_index(["rule", "rr"])
    for name in ("bb", "sprt"):
        assert by.loc[(name, 4.0), "alert_rate"] >= 0.8
        assert by.loc[(name, 1.0), "alert_rate"] <= 0.2  # false-alert rate with no excess
        assert by.loc[(name, 4.0), "median_days_to_alert"] < 360
    assert {"alert_rate_se", "mean_days_to_alert"} <= set(oc.columns)


def test_dsmb_report(tmp_path: Path):
    records = simulate_trial_stream(40, 0.003, 3.0, seed=11)
    assert [r["time"] for r in records] == sorted(r["time"] for r in records)
    mon = run_monitor(Monitor([MonitorRule("bb", event="HEPATOTOXICITY", cutoff=0.95)]), records)
    html = dsmb_report_html(mon, records, title="Trial X")
    assert html.startswith("<!doctype html>") and html.count("data:image/png;base64,") == 2
    assert "Assumptions" in html and "Trial X" in html
    curves = incidence_curves(mon, "HEPATOTOXICITY")
    assert set(curves["arm"]) == {"treatment", "control"} and curves["incidence"].between(0, 1).all()
    assert curves.equals(incidence_curves(records, "HEPATOTOXICITY"))  # from the state or replayed: the same
    assert "Kaplan-Meier" in html


def test_kaplan_meier_hand_computed():
    # times 2 (event), 3 (censored), 5, 5 (events), 8 (censored): S(2) = 4/5, S(5) = 4/5 * (1 - 2/3)
    km = kaplan_meier(np.array([2, 3, 5, 5, 8.0]), np.array([1, 0, 1, 1, 0]))
    assert km["time"].tolist() == [2.0, 5.0] and km["at_risk"].tolist() == [5, 3] and km["events"].tolist() == [1, 2]
    assert km["survival"].tolist() == pytest.approx([0.8, 0.8 / 3])
    # Greenwood: S^2 * sum d / (n (n - d)) = 0.8^2 * 1/20 at t = 2
    assert km["var"].iloc[0] == pytest.approx(0.64 / 20)


def test_kaplan_meier_against_scipy_and_censoring():
    from scipy.stats import CensoredData, ecdf

    rng = np.random.default_rng(3)
    t_event, t_cens = rng.exponential(100, 300).round(), rng.uniform(0, 150, 300).round()
    time, event = np.minimum(t_event, t_cens), (t_event <= t_cens).astype(int)
    km = kaplan_meier(time, event)
    ref = ecdf(CensoredData(uncensored=time[event == 1], right=time[event == 0])).sf
    assert km["survival"].to_numpy() == pytest.approx(ref.evaluate(km["time"].to_numpy()), rel=1e-12)
    # a stream: subjects censored at exit or at the data cut, not counted as event-free to the end
    mon = Monitor([])
    for rec in [{"type": "enroll", "subject": s, "arm": "a", "time": 0} for s in "ABCD"] + [
        {"type": "exit", "subject": "A", "time": 10},
        {"type": "ae", "subject": "B", "event": "X", "time": 20},
        {"type": "ae", "subject": "C", "event": "X", "time": 30},
        {"type": "ae", "subject": "C", "event": "X", "time": 35},
    ]:
        mon.update(rec)
    t, e = mon.subject_times("a", "X")
    assert t.tolist() == [10, 20, 30, 35] and e.tolist() == [0, 1, 1, 0]
    curve = incidence_curves(mon, "X")
    # crude would say 2/4 = 0.5; KM: 1 - (2/3)(1/2) = 2/3 because A was censored at day 10
    assert curve["incidence"].iloc[-1] == pytest.approx(2 / 3)


@pytest.mark.usefixtures("pharmakon_home")
def test_cli_monitor_and_simulate(cli, tmp_path: Path):
    stream = tmp_path / "events.jsonl"
    stream.write_text("\n".join(json.dumps(r) for r in simulate_trial_stream(60, 0.003, 4.0, seed=2)) + "\n")
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: hep\n    event: HEPATOTOXICITY\n    model: beta_binomial\n    cutoff: 0.95\n")
    report = tmp_path / "dsmb.html"
    res = cli(
        "safety",
        "monitor",
        "--stream",
        str(stream),
        "--rules",
        str(rules),
        "--report",
        str(report),
        "--trial",
        "t1",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["alerts"] and out["alerts"][0]["rule"] == "hep" and report.exists()
    log = cli("audit", "log", "--json")
    assert "safety.alert" in log.stdout
    live = cli("safety", "monitor", "--stream", "-", "--rules", str(rules), "--no-save", stdin=stream.read_text())
    assert live.exit_code == 0, live.stderr
    assert live.stdout.startswith("ALERT hep") and f"day {out['alerts'][0]['time']:.1f}" in live.stdout
    stream.write_text('{"type": "enroll", "subject": "a", "arm": "treatment", "time": 0}\nnot json\n')
    res = cli("safety", "monitor", "--stream", str(stream), "--rules", str(rules))
    assert res.exit_code == 2 and "row 2" in " ".join(res.stderr.split())
    res = cli(
        "safety", "simulate", "--rules", str(rules), "--rr", "1,3", "--n-sims", "5", "--n-per-arm", "20", "--json"
    )
    assert res.exit_code == 0, res.stderr
    assert len(json.loads(res.stdout)) == 2


def test_dsmb_report_shows_no_python_none_and_headers_in_words():
    """Missing values are a dash and column headers are words, not ``None`` and snake_case keys."""
    import re

    records = simulate_trial_stream(40, 0.003, 3.0, seed=11)
    rules = [
        MonitorRule("bb", event="HEPATOTOXICITY", cutoff=0.95),  # historical_rate None
        MonitorRule("sprt", event="HEPATOTOXICITY", model="maxsprt", control=None, historical_rate=0.001),
    ]
    html = dsmb_report_html(run_monitor(Monitor(rules), records), records, title="Trial X")
    text = re.sub(r"<[^>]+>", " ", html.split("<h2>Assumptions</h2>")[0])  # the tables, not the prose
    assert not re.search(r"\bNone\b", text)
    assert "&mdash;" in html or "\u2014" in html
    headers = re.findall(r"<th>([^<]*)</th>", html)
    assert headers and not [h for h in headers if "_" in h]
    assert {"Historical rate", "Minimum events", "Subjects enrolled"} <= set(headers)
