"""``pharmakon trial``: group-sequential designs, sample size, simulation, stored designs.

Thin layer over :mod:`pharmakon.trials.design`; heavy imports happen inside commands
so ``pharmakon --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from pharmakon.cli._common import cli_actor, console, print_json
from pharmakon.files import atomic_open

__all__ = ["app"]

app = typer.Typer(
    help="Clinical-trial design: group-sequential boundaries, sample size, simulation.", no_args_is_help=True
)
design_app = typer.Typer(help="Compute a design's boundaries.", no_args_is_help=True)
samplesize_app = typer.Typer(help="Sample size for means, rates or survival.", no_args_is_help=True)


class _SpecRoutingGroup(TyperGroup):
    """``trial simulate SPEC.yaml ...`` runs the ``spec`` command when the first argument is a file."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        if args and args[0] not in self.commands and Path(args[0]).is_file():
            args = ["spec", *args]
        return super().resolve_command(ctx, args)


simulate_app = typer.Typer(
    help="Simulate operating characteristics (vectorised, seeded): "
    "`simulate SPEC.yaml`, `simulate rates ...` or `simulate means ...`.",
    no_args_is_help=True,
    cls=_SpecRoutingGroup,
)
app.add_typer(design_app, name="design")
app.add_typer(samplesize_app, name="samplesize")
app.add_typer(simulate_app, name="simulate")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Kmax = Annotated[int, typer.Option("--kmax", help="Number of looks (1-20).")]
Alpha = Annotated[float, typer.Option("--alpha", help="Type I error in (0, 0.5); two-sided total if --sided 2.")]
Beta = Annotated[float, typer.Option("--beta", help="Type II error (1 - power).")]
Sided = Annotated[int, typer.Option("--sided", help="1 or 2.")]
Spending = Annotated[str, typer.Option("--spending", help="OF, P, WT, HP, asOF, asP, asKD, asHSD.")]
Gamma = Annotated[float | None, typer.Option("--gamma", help="Gamma of asKD / asHSD.")]
DeltaWT = Annotated[float | None, typer.Option("--delta-wt", help="Delta of Wang-Tsiatis (WT) designs.")]
Info = Annotated[str | None, typer.Option("--info-rates", help="Information rates, e.g. 0.3,0.7,1.")]
Futility = Annotated[str, typer.Option("--futility", help="Beta spending: none, bsOF, bsP, bsKD, bsHSD.")]
GammaB = Annotated[float | None, typer.Option("--gamma-b", help="Gamma of bsKD / bsHSD.")]
Binding = Annotated[bool, typer.Option("--binding/--non-binding", help="Binding futility bounds.")]


def _spec(
    kmax: int,
    alpha: float,
    beta: float,
    sided: int,
    spending: str,
    gamma: float | None,
    delta_wt: float | None,
    info_rates: str | None,
    futility: str,
    gamma_b: float | None,
    binding: bool,
) -> dict[str, Any]:
    from pharmakon.trials.design.spec import parse_rates

    return {
        "kmax": kmax,
        "alpha": alpha,
        "beta": beta,
        "sided": sided,
        "spending": spending,
        "gamma": gamma,
        "delta_wt": delta_wt,
        "information_rates": parse_rates(info_rates),
        "futility": futility,
        "gamma_b": gamma_b,
        "binding": binding,
    }


def _print_design(design: Any, extra: dict[str, Any] | None = None) -> None:
    from rich.table import Table

    console.print(design.summary(), markup=False)
    rows = design.table()
    table = Table()
    for col in rows[0]:
        table.add_column(col, justify="right")
    for row in rows:
        table.add_row(*("" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v) for v in row.values()))
    console.print(table)
    for key, value in (extra or {}).items():
        console.print(f"[cyan]{key}[/cyan]: {value}")


@design_app.command("gs")
def design_gs(
    kmax: Kmax = 3,
    alpha: Alpha = 0.025,
    beta: Beta = 0.2,
    sided: Sided = 1,
    spending: Spending = "OF",
    gamma: Gamma = None,
    delta_wt: DeltaWT = None,
    info_rates: Info = None,
    futility: Futility = "none",
    gamma_b: GammaB = None,
    binding: Binding = False,
    save: Annotated[str | None, typer.Option("--save", help="Store as trial_design NAME (new version).")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (audit trail), with --save.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Group-sequential boundaries (rpact getDesignGroupSequential conventions, z-scale)."""
    from pharmakon.trials.design import design_characteristics, design_from_spec

    spec = _spec(kmax, alpha, beta, sided, spending, gamma, delta_wt, info_rates, futility, gamma_b, binding)
    design = design_from_spec(spec)
    ch = design_characteristics(design)
    stored = None
    if save:
        from pharmakon.store import open_store
        from pharmakon.trials.design import save_design

        with open_store().session() as session:
            obj, _ = save_design(session, name=save, spec=spec, actor=cli_actor(), reason=reason)
            stored = f"{obj.name}@{obj.version}"
    if as_json:
        out = design.to_dict() | {"characteristics": ch.to_dict(), "summary": design.summary()}
        if stored:
            out["stored"] = stored
        print_json(out)
        return
    _print_design(
        design,
        {
            "inflation factor": f"{ch.inflation_factor:.6f}",
            "ASN (H1, H1/2, H0) / n_fixed": f"{ch.average_sample_number1:.4f}, "
            f"{ch.average_sample_number01:.4f}, {ch.average_sample_number0:.4f}",
            **({"stored": stored} if stored else {}),
        },
    )


def _design_opts(kmax, alpha, beta, sided, spending, gamma, info_rates, futility, binding):  # type: ignore[no-untyped-def]
    from pharmakon.trials.design import design_from_spec

    return design_from_spec(_spec(kmax, alpha, beta, sided, spending, gamma, None, info_rates, futility, None, binding))


def _print_result(res: Any, as_json: bool) -> None:
    data = res if isinstance(res, dict) else res.to_dict()
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        if isinstance(value, float):
            value = f"{value:.6g}"
        elif isinstance(value, list) and value and isinstance(value[0], float):
            value = ", ".join(f"{v:.6g}" for v in value)
        console.print(f"[cyan]{key:>32}[/cyan]  {value}", highlight=False)


@samplesize_app.command("means")
def samplesize_means(
    alternative: Annotated[float, typer.Option(help="Mean difference under H1 (endpoint units).")],
    stdev: Annotated[float, typer.Option(help="Standard deviation (endpoint units).")] = 1.0,
    groups: Annotated[int, typer.Option(help="1 or 2.")] = 2,
    allocation: Annotated[float, typer.Option(help="n1/n2 allocation ratio.")] = 1.0,
    t_test: Annotated[bool, typer.Option("--t-test/--z-test", help="Exact t power for the fixed size.")] = False,
    kmax: Kmax = 1,
    alpha: Alpha = 0.025,
    beta: Beta = 0.2,
    sided: Sided = 1,
    spending: Spending = "OF",
    gamma: Gamma = None,
    info_rates: Info = None,
    futility: Futility = "none",
    binding: Binding = False,
    as_json: JsonOpt = False,
) -> None:
    """Sample size for a continuous endpoint (fixed or group-sequential)."""
    from pharmakon.trials.design import sample_size_means

    design = _design_opts(kmax, alpha, beta, sided, spending, gamma, info_rates, futility, binding)
    _print_result(
        sample_size_means(
            design, alternative, stdev, groups=groups, allocation_ratio=allocation, normal_approximation=not t_test
        ),
        as_json,
    )


@samplesize_app.command("rates")
def samplesize_rates(
    pi1: Annotated[float, typer.Option(help="Rate under H1 (treatment / single group).")],
    pi2: Annotated[float | None, typer.Option(help="Control rate (two groups).")] = None,
    groups: Annotated[int, typer.Option(help="1 or 2.")] = 2,
    theta_h0: Annotated[float, typer.Option(help="H0 rate (one group), difference or ratio (two groups).")] = 0.0,
    risk_ratio: Annotated[bool, typer.Option("--risk-ratio", help="Test the ratio pi1/pi2 against theta-h0.")] = False,
    allocation: Annotated[float, typer.Option(help="n1/n2 allocation ratio.")] = 1.0,
    kmax: Kmax = 1,
    alpha: Alpha = 0.025,
    beta: Beta = 0.2,
    sided: Sided = 1,
    spending: Spending = "OF",
    gamma: Gamma = None,
    info_rates: Info = None,
    futility: Futility = "none",
    binding: Binding = False,
    as_json: JsonOpt = False,
) -> None:
    """Sample size for a binary endpoint (normal approximation)."""
    from pharmakon.trials.design import sample_size_rates

    design = _design_opts(kmax, alpha, beta, sided, spending, gamma, info_rates, futility, binding)
    _print_result(
        sample_size_rates(
            design, pi1, pi2, groups=groups, theta_h0=theta_h0, allocation_ratio=allocation, risk_ratio=risk_ratio
        ),
        as_json,
    )


@samplesize_app.command("survival")
def samplesize_survival(
    hazard_ratio: Annotated[float, typer.Option("--hazard-ratio", help="Hazard ratio under H1.")],
    median2: Annotated[float, typer.Option(help="Control median survival (time units).")],
    accrual: Annotated[float, typer.Option(help="Accrual duration (time units).")] = 12.0,
    follow_up: Annotated[float, typer.Option(help="Follow-up after accrual (time units).")] = 12.0,
    dropout: Annotated[float, typer.Option(help="Probability of dropping out by --dropout-time (both arms).")] = 0.0,
    dropout_time: Annotated[float, typer.Option(help="Time (units) at which --dropout applies.")] = 12.0,
    method: Annotated[str, typer.Option(help="Schoenfeld, Freedman or HsiehFreedman.")] = "Schoenfeld",
    kmax: Kmax = 1,
    alpha: Alpha = 0.025,
    beta: Beta = 0.2,
    sided: Sided = 1,
    spending: Spending = "OF",
    gamma: Gamma = None,
    info_rates: Info = None,
    futility: Futility = "none",
    binding: Binding = False,
    as_json: JsonOpt = False,
) -> None:
    """Events (Schoenfeld) and subjects for a log-rank test."""
    import math

    from pharmakon.trials.design import sample_size_survival

    design = _design_opts(kmax, alpha, beta, sided, spending, gamma, info_rates, futility, binding)
    if not median2 > 0:
        from pharmakon.errors import InputError

        raise InputError(f"median2 must be > 0, got {median2}", field="median2")
    res = sample_size_survival(
        design,
        hazard_ratio,
        math.log(2) / median2,
        accrual_time=accrual,
        follow_up_time=follow_up,
        dropout_rate1=dropout,
        dropout_rate2=dropout,
        dropout_time=dropout_time,
        type_of_computation=method,
    )
    _print_result(res, as_json)


@contextmanager
def _bar(quiet: bool) -> Iterator[Any]:
    """A Rich progress bar over executor chunks; yields the ``progress(done, total)`` callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    ) as bar:
        task = bar.add_task("chunks", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _simulate(
    kind: str,
    design: Any,
    sims: int,
    seed: int,
    backend: str | None,
    as_json: bool,
    name: str | None = None,
    curve: int = 0,
    **kwargs: Any,
) -> None:
    from pharmakon.store import open_store
    from pharmakon.trials.design.sim_store import save_simulation, simulate_operating_characteristics

    planned = kwargs.pop("planned")
    with _bar(as_json) as progress:
        oc = simulate_operating_characteristics(
            design, kind, kwargs, planned, sims=sims, seed=seed, backend=backend, curve_points=curve, progress=progress
        )
    with open_store().session() as session:
        obj = save_simulation(session, name=name or f"{kind}-simulation", design=design, oc=oc, actor=cli_actor())
    stored = f"{obj.name}@{obj.version}"
    if as_json:
        print_json(oc["result"] | {"stored": stored, "power_curve": oc["power_curve"]})
        return
    _print_result(oc["result"], False)
    for p in oc["power_curve"]:
        console.print(f"  effect {p['effect']:.4g}: power {p['power']:.4f} (SE {p['mc_se']:.4f})", highlight=False)
    console.print(f"stored as trial_simulation {stored}")


Sims = Annotated[int, typer.Option("--sims", help="Simulated trials.")]
Seed = Annotated[int, typer.Option("--seed", help="Root seed (same seed, same answer on any backend).")]
Planned = Annotated[str, typer.Option("--planned", help="Cumulative total sample sizes per look, e.g. 100,200,300.")]
Backend = Annotated[str | None, typer.Option("--backend", help="serial, local or ray.")]
SimName = Annotated[str | None, typer.Option("--name", help="Store the result as trial_simulation NAME.")]
Curve = Annotated[int, typer.Option("--curve", help="Also simulate a power curve at this many effects.")]


@simulate_app.command("rates")
def simulate_rates_cmd(
    pi1: Annotated[float, typer.Option(help="Treatment response rate.")],
    pi2: Annotated[float, typer.Option(help="Control response rate.")] = 0.2,
    planned: Planned = "100,200,300",
    sims: Sims = 100_000,
    seed: Seed = 0,
    backend: Backend = None,
    kmax: Kmax = 3,
    alpha: Alpha = 0.025,
    beta: Beta = 0.2,
    sided: Sided = 1,
    spending: Spending = "OF",
    gamma: Gamma = None,
    info_rates: Info = None,
    futility: Futility = "none",
    binding: Binding = False,
    name: SimName = None,
    curve: Curve = 0,
    as_json: JsonOpt = False,
) -> None:
    """Simulate a two-arm binary trial (rpact getSimulationRates conventions)."""
    from pharmakon.trials.design.spec import parse_rates

    design = _design_opts(kmax, alpha, beta, sided, spending, gamma, info_rates, futility, binding)
    _simulate(
        "rates",
        design,
        sims,
        seed,
        backend,
        as_json,
        name,
        curve,
        pi1=pi1,
        pi2=pi2,
        planned=parse_rates(planned, "planned"),
    )


@simulate_app.command("means")
def simulate_means_cmd(
    alternative: Annotated[float, typer.Option(help="True mean difference.")],
    stdev: Annotated[float, typer.Option(help="Standard deviation.")] = 1.0,
    planned: Planned = "100,200,300",
    sims: Sims = 100_000,
    seed: Seed = 0,
    backend: Backend = None,
    kmax: Kmax = 3,
    alpha: Alpha = 0.025,
    beta: Beta = 0.2,
    sided: Sided = 1,
    spending: Spending = "OF",
    gamma: Gamma = None,
    info_rates: Info = None,
    futility: Futility = "none",
    binding: Binding = False,
    name: SimName = None,
    curve: Curve = 0,
    as_json: JsonOpt = False,
) -> None:
    """Simulate a two-arm continuous trial (rpact getSimulationMeans conventions, known SD)."""
    from pharmakon.trials.design.spec import parse_rates

    design = _design_opts(kmax, alpha, beta, sided, spending, gamma, info_rates, futility, binding)
    _simulate(
        "means",
        design,
        sims,
        seed,
        backend,
        as_json,
        name,
        curve,
        alternative=alternative,
        stdev=stdev,
        planned=parse_rates(planned, "planned"),
    )


@simulate_app.command("spec")
def simulate_spec(
    spec_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="YAML spec (design + simulate).")],
    sims: Annotated[int | None, typer.Option("--sims", help="Override simulate.sims.")] = None,
    backend: Backend = None,
    name: SimName = None,
    curve: Curve = 0,
    as_json: JsonOpt = False,
) -> None:
    """Simulate the design and scenario of a YAML spec file (also: `trial simulate SPEC.yaml`)."""
    from pharmakon.errors import InputError
    from pharmakon.trials.design import design_from_spec, load_spec
    from pharmakon.trials.design.spec import check_keys

    data = load_spec(spec_file)
    design = design_from_spec(data["design"], file=str(spec_file))
    sim = dict(data.get("simulate") or {})
    kind = sim.pop("endpoint", "rates")
    if kind not in ("rates", "means"):
        raise InputError(f"endpoint must be rates or means, got {kind!r}", file=str(spec_file), field="endpoint")
    allowed = {
        "rates": ("pi1", "pi2", "planned", "sims", "seed"),
        "means": ("alternative", "stdev", "theta_h0", "planned", "sims", "seed"),
    }[kind]
    check_keys(sim, allowed, f"simulate spec for {kind}", str(spec_file))
    if "planned" not in sim:
        raise InputError(
            "simulate needs 'planned' (cumulative total sample sizes)", file=str(spec_file), field="planned"
        )
    n = sims or int(sim.pop("sims", 100_000))
    sim.pop("sims", None)
    seed = int(sim.pop("seed", 0))
    _simulate(kind, design, n, seed, backend, as_json, name or data.get("name") or spec_file.stem, curve, **sim)


@app.command("bayes")
def bayes(
    p: Annotated[str | None, typer.Option("--p", help="Binary endpoint: true response rates, control first.")] = None,
    mu: Annotated[str | None, typer.Option("--mu", help="Normal endpoint: true means, control first.")] = None,
    sigma: Annotated[float, typer.Option(help="Normal endpoint: known SD.")] = 1.0,
    n_max: Annotated[int, typer.Option("--n-max", help="Maximum total patients.")] = 200,
    block: Annotated[int, typer.Option(help="Patients per interim block.")] = 40,
    efficacy: Annotated[float, typer.Option(help="Posterior P(arm > control) to stop for efficacy.")] = 0.99,
    futility: Annotated[float, typer.Option(help="Drop an arm below this posterior probability.")] = 0.05,
    rar: Annotated[bool, typer.Option("--rar/--equal", help="Thompson-type adaptive randomisation.")] = True,
    calibrate: Annotated[float | None, typer.Option(help="Calibrate efficacy to this type I error first.")] = None,
    sims: Sims = 10_000,
    seed: Seed = 0,
    backend: Backend = None,
    as_json: JsonOpt = False,
) -> None:
    """Bayesian adaptive multi-arm trial (binary --p or normal --mu): RAR, arm dropping, posterior stopping."""
    from pharmakon.errors import InputError
    from pharmakon.trials import design as td
    from pharmakon.trials.design.spec import parse_rates

    if (p is None) == (mu is None):
        raise InputError("give exactly one of --p (binary endpoint) or --mu (normal endpoint)", field="p")
    values = parse_rates(p if mu is None else mu, "p" if mu is None else "mu") or []
    kw: dict[str, Any] = {
        "n_max": n_max,
        "block": block,
        "futility": futility,
        "rar": rar,
        "backend": backend or "serial",
    }
    if mu is not None:
        kw["sigma"] = sigma
    sim, cal_fn = (
        (td.simulate_bayesian_multiarm, td.calibrate_efficacy)
        if mu is None
        else (td.simulate_bayesian_continuous, td.calibrate_continuous)
    )
    from pharmakon.core import get_executor

    cal = None
    with _bar(as_json) as progress, get_executor(kw.pop("backend")) as executor:  # one pool for all runs
        kw["backend"] = executor
        if calibrate is not None:
            cal = cal_fn([values[0]] * len(values), calibrate, sims=sims, seed=seed, **kw)
            efficacy = cal["efficacy"]
        res = sim(values, efficacy=efficacy, sims=sims, seed=seed, progress=progress, **kw)
    out = res.to_dict() | ({"calibration": cal} if cal else {})
    if as_json:
        print_json(out)
        return
    for key, value in out.items():
        console.print(f"[cyan]{key:>20}[/cyan]  {value}", highlight=False)


@app.command("dosefind")
def dosefind(
    tox: Annotated[str, typer.Option("--tox", help="True DLT probabilities per dose, e.g. 0.05,0.12,0.3,0.45.")],
    method: Annotated[str, typer.Option(help="boin or crm.")] = "boin",
    skeleton: Annotated[str | None, typer.Option(help="CRM prior guesses per dose (increasing).")] = None,
    target: Annotated[float, typer.Option(help="Target DLT rate.")] = 0.3,
    cohort_size: Annotated[int, typer.Option("--cohort-size", help="Patients per cohort.")] = 3,
    cohorts: Annotated[int, typer.Option(help="Number of cohorts.")] = 10,
    sims: Sims = 10_000,
    seed: Seed = 0,
    backend: Backend = None,
    as_json: JsonOpt = False,
) -> None:
    """Dose finding (BOIN or CRM): simulated selection probabilities and allocation."""
    from pharmakon.errors import InputError
    from pharmakon.trials.design import simulate_boin, simulate_crm
    from pharmakon.trials.design.spec import parse_rates

    p = parse_rates(tox, "tox") or []
    kw = {"cohort_size": cohort_size, "n_cohorts": cohorts, "sims": sims, "seed": seed, "backend": backend or "serial"}
    if method not in ("boin", "crm"):
        raise InputError(f"method must be boin or crm, got {method!r}", field="method")
    sk = parse_rates(skeleton, "skeleton")
    if method == "crm" and sk is None:
        raise InputError("CRM needs --skeleton (prior DLT guesses per dose)", field="skeleton")
    with _bar(as_json) as progress:
        res = (
            simulate_boin(p, target, progress=progress, **kw)
            if method == "boin"
            else simulate_crm(p, sk, target, progress=progress, **kw)
        )
    _print_result(res, as_json)


@app.command("enrich")
def enrich(
    effect_s: Annotated[float, typer.Option("--effect-s", help="Mean difference in the subgroup.")],
    effect_c: Annotated[float, typer.Option("--effect-c", help="Mean difference in the complement.")],
    prevalence: Annotated[float, typer.Option(help="Subgroup share of the population.")] = 0.4,
    n1: Annotated[int, typer.Option(help="Stage-1 patients per arm.")] = 100,
    n2: Annotated[int, typer.Option(help="Stage-2 patients per arm.")] = 100,
    futility_c: Annotated[float, typer.Option("--futility-c", help="Enrich if complement z is below.")] = 0.0,
    alpha: Alpha = 0.025,
    sims: Sims = 100_000,
    seed: Seed = 0,
    backend: Backend = None,
    as_json: JsonOpt = False,
) -> None:
    """Two-stage adaptive enrichment (Bonferroni + inverse-normal combination)."""
    from pharmakon.trials.design import simulate_enrichment

    with _bar(as_json) as progress:
        res = simulate_enrichment(
            effect_s,
            effect_c,
            prevalence=prevalence,
            n1=n1,
            n2=n2,
            futility_c=futility_c,
            alpha=alpha,
            sims=sims,
            seed=seed,
            backend=backend or "serial",
            progress=progress,
        )
    _print_result(res, as_json)


@app.command("list")
def list_designs(as_json: JsonOpt = False) -> None:
    """List stored trial designs (latest version of each)."""
    from pharmakon.store import list_objects, open_store
    from pharmakon.trials.design import KIND

    with open_store().read_session() as session:
        objs = list_objects(session, KIND)
    rows = [
        {
            "name": o.name,
            "version": o.version,
            "created_by": o.created_by,
            "created_at": o.created_at,
            "type": o.content["design"]["type_of_design"],
            "kmax": o.content["design"]["kmax"],
        }
        for o in objs
    ]
    if as_json:
        print_json(rows)
        return
    for r in rows:
        console.print(f"{r['name']}@{r['version']}  {r['type']} K={r['kmax']}  by {r['created_by']} {r['created_at']}")


@app.command("report")
def report(
    name: Annotated[str, typer.Argument(help="Stored design name (NAME or NAME@VERSION).")],
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("trial_design.html"),
) -> None:
    """Write the HTML report (boundaries, characteristics, plots) of a stored design."""

    from pharmakon.store import open_store
    from pharmakon.trials.design import design_report_html, load_design

    base, _, version = name.partition("@")
    with open_store().read_session() as session:
        obj, design = load_design(session, base, version or None)
    text = design_report_html(design, f"{obj.name}@{obj.version}")
    with atomic_open(out) as fh:
        fh.write(text)
    console.print(f"wrote {out} for trial_design {obj.name}@{obj.version}")
