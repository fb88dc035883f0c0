"""``pharmakon trial``: group-sequential designs, sample size, simulation, stored designs.

Thin layer over :mod:`pharmakon.trials.design.service`: each command builds the
use case's spec (defaults come from the spec), calls the service and prints its result
(``summary()`` as text, ``to_dict()`` with ``--json``). Heavy imports happen inside
commands so ``pharmakon --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from pydantic import BaseModel
from typer.core import TyperGroup

from pharmakon.cli._common import cli_caller, console, print_json
from pharmakon.files import atomic_open
from pharmakon.trials.design.spec import (
    BayesSpec,
    DesignSpec,
    DoseFindingSpec,
    EnrichmentSpec,
    SampleSizeInputs,
    SimulationSpec,
)

__all__ = ["app"]


def _default(model: type[BaseModel], field: str) -> Any:
    """The spec's default for ``field`` (defaults are defined once, in the specs)."""
    info = model.model_fields[field]
    return info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]


app = typer.Typer(
    help="Clinical-trial design: group-sequential boundaries, sample size, simulation.", no_args_is_help=True
)
design_app = typer.Typer(help="Compute a design's boundaries.", no_args_is_help=True)
samplesize_app = typer.Typer(help="Sample size for means, rates or survival.", no_args_is_help=True)


class _SpecRoutingGroup(TyperGroup):
    """``trial simulate SPEC.yaml ...`` runs the ``spec`` command when the first argument is a file."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        if args and args[0] not in self.commands:
            if Path(args[0]).is_file():
                args = ["spec", *args]
            elif _looks_like_path(args[0]):
                from pharmakon.errors import InputError

                raise InputError("no such file (expected a simulation spec YAML)", file=args[0])
        return super().resolve_command(ctx, args)


def _looks_like_path(arg: str) -> bool:
    """A spec file the user meant (``.yaml``/``.yml``/``.json`` or a path), not a mistyped command."""
    import os

    seps = {os.sep, "/"} | ({os.altsep} if os.altsep else set())
    return arg.lower().endswith((".yaml", ".yml", ".json")) or any(sep in arg for sep in seps)


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
FixedKmax = Annotated[int | None, typer.Option("--kmax", help="Number of looks (1-20); default 1, a fixed design.")]
Alpha = Annotated[float, typer.Option("--alpha", help="Type I error in (0, 0.5); two-sided total if --sided 2.")]
Beta = Annotated[float, typer.Option("--beta", help="Type II error (1 - power).")]
Sided = Annotated[int, typer.Option("--sided", help="1 or 2.")]
Spending = Annotated[
    str, typer.Option("--spending", help="OF, P, WT, WToptimum, PT, HP, asOF, asP, asKD, asHSD (rpact typeOfDesign).")
]
Gamma = Annotated[float | None, typer.Option("--gamma", help="Gamma of asKD / asHSD.")]
DeltaWT = Annotated[float | None, typer.Option("--delta-wt", help="Delta of Wang-Tsiatis (WT) designs.")]
Info = Annotated[str | None, typer.Option("--info-rates", help="Information rates, e.g. 0.3,0.7,1.")]
Futility = Annotated[str, typer.Option("--futility", help="Beta spending: none, bsOF, bsP, bsKD, bsHSD.")]
GammaB = Annotated[float | None, typer.Option("--gamma-b", help="Gamma of bsKD / bsHSD.")]
Binding = Annotated[bool, typer.Option("--binding/--non-binding", help="Binding futility bounds.")]

D = {name: _default(DesignSpec, name) for name in DesignSpec.model_fields}
SS = {name: _default(SampleSizeInputs, name) for name in SampleSizeInputs.model_fields if name != "design"}
SIM = {name: _default(SimulationSpec, name) for name in SimulationSpec.model_fields if name != "design"}
BAYES = {name: _default(BayesSpec, name) for name in BayesSpec.model_fields}
DOSE = {name: _default(DoseFindingSpec, name) for name in DoseFindingSpec.model_fields}
ENRICH = {name: _default(EnrichmentSpec, name) for name in EnrichmentSpec.model_fields}


def _design(**values: Any) -> dict[str, Any]:
    """The design options as spec keys (``info_rates`` is ``information_rates``)."""
    values["information_rates"] = values.pop("info_rates", None)
    return values


def _emit(result: Any, as_json: bool) -> None:
    """Print a service result: JSON (``to_dict()``) or its text summary."""
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(result.summary(), markup=False, highlight=False)


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


@design_app.command("gs")
def design_gs(
    kmax: Kmax = D["kmax"],
    alpha: Alpha = D["alpha"],
    beta: Beta = D["beta"],
    sided: Sided = D["sided"],
    spending: Spending = D["spending"],
    gamma: Gamma = None,
    delta_wt: DeltaWT = None,
    info_rates: Info = None,
    futility: Futility = D["futility"],
    gamma_b: GammaB = None,
    binding: Binding = D["binding"],
    save: Annotated[str | None, typer.Option("--save", help="Store as trial_design NAME (new version).")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (audit trail), with --save.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Group-sequential boundaries (rpact getDesignGroupSequential conventions, z-scale)."""
    from pharmakon.trials.design.service import SaveDesignSpec, compute_design, store_design

    design = DesignSpec.parse(
        _design(
            kmax=kmax,
            alpha=alpha,
            beta=beta,
            sided=sided,
            spending=spending,
            gamma=gamma,
            delta_wt=delta_wt,
            info_rates=info_rates,
            futility=futility,
            gamma_b=gamma_b,
            binding=binding,
        )
    )
    if save:
        from pharmakon.store import open_store

        spec = SaveDesignSpec.parse(name=save, design=design, reason=reason)
        result = store_design(open_store(), spec, cli_caller())
    else:
        result = compute_design(design)
    _emit(result, as_json)


def _sample_size(endpoint: str, design: dict[str, Any], as_json: bool, **values: Any) -> None:
    from pharmakon.trials.design.service import SampleSizeSpec, compute_sample_size

    _emit(compute_sample_size(SampleSizeSpec.parse(values, endpoint=endpoint, design=design)), as_json)


@samplesize_app.command("means")
def samplesize_means(
    alternative: Annotated[float, typer.Option(help="Mean difference under H1 (endpoint units).")],
    stdev: Annotated[float, typer.Option(help="Standard deviation (endpoint units).")] = SS["stdev"],
    groups: Annotated[int, typer.Option(help="1 or 2.")] = SS["groups"],
    allocation: Annotated[float, typer.Option(help="n1/n2 allocation ratio.")] = SS["allocation_ratio"],
    t_test: Annotated[bool, typer.Option("--t-test/--z-test", help="Exact t power for the fixed size.")] = not SS[
        "normal_approximation"
    ],
    kmax: FixedKmax = None,
    alpha: Alpha = D["alpha"],
    beta: Beta = D["beta"],
    sided: Sided = D["sided"],
    spending: Spending = D["spending"],
    gamma: Gamma = None,
    info_rates: Info = None,
    futility: Futility = D["futility"],
    binding: Binding = D["binding"],
    as_json: JsonOpt = False,
) -> None:
    """Sample size for a continuous endpoint (fixed or group-sequential)."""
    design = _design(
        kmax=kmax,
        alpha=alpha,
        beta=beta,
        sided=sided,
        spending=spending,
        gamma=gamma,
        info_rates=info_rates,
        futility=futility,
        binding=binding,
    )
    _sample_size(
        "means",
        design,
        as_json,
        alternative=alternative,
        stdev=stdev,
        groups=groups,
        allocation_ratio=allocation,
        normal_approximation=not t_test,
    )


@samplesize_app.command("rates")
def samplesize_rates(
    pi1: Annotated[float, typer.Option(help="Rate under H1 (treatment / single group).")],
    pi2: Annotated[float | None, typer.Option(help="Control rate (two groups).")] = SS["pi2"],
    groups: Annotated[int, typer.Option(help="1 or 2.")] = SS["groups"],
    theta_h0: Annotated[
        float | None, typer.Option(help="H0 rate (one group), difference or ratio (two groups); default 0 or 1.")
    ] = SS["theta_h0"],
    risk_ratio: Annotated[bool, typer.Option("--risk-ratio", help="Test the ratio pi1/pi2 against theta-h0.")] = SS[
        "risk_ratio"
    ],
    allocation: Annotated[float, typer.Option(help="n1/n2 allocation ratio.")] = SS["allocation_ratio"],
    kmax: FixedKmax = None,
    alpha: Alpha = D["alpha"],
    beta: Beta = D["beta"],
    sided: Sided = D["sided"],
    spending: Spending = D["spending"],
    gamma: Gamma = None,
    info_rates: Info = None,
    futility: Futility = D["futility"],
    binding: Binding = D["binding"],
    as_json: JsonOpt = False,
) -> None:
    """Sample size for a binary endpoint (normal approximation)."""
    design = _design(
        kmax=kmax,
        alpha=alpha,
        beta=beta,
        sided=sided,
        spending=spending,
        gamma=gamma,
        info_rates=info_rates,
        futility=futility,
        binding=binding,
    )
    _sample_size(
        "rates",
        design,
        as_json,
        pi1=pi1,
        pi2=pi2,
        groups=groups,
        theta_h0=theta_h0,
        allocation_ratio=allocation,
        risk_ratio=risk_ratio,
    )


@samplesize_app.command("survival")
def samplesize_survival(
    hazard_ratio: Annotated[float, typer.Option("--hazard-ratio", help="Hazard ratio under H1.")],
    median2: Annotated[float, typer.Option(help="Control median survival (time units).")],
    accrual: Annotated[float, typer.Option(help="Accrual duration (time units).")] = SS["accrual_time"],
    follow_up: Annotated[float, typer.Option(help="Follow-up after accrual (time units).")] = SS["follow_up_time"],
    dropout: Annotated[float, typer.Option(help="Probability of dropping out by --dropout-time (both arms).")] = SS[
        "dropout"
    ],
    dropout_time: Annotated[float, typer.Option(help="Time (units) at which --dropout applies.")] = SS["dropout_time"],
    method: Annotated[str, typer.Option(help="Schoenfeld, Freedman or HsiehFreedman.")] = SS["method"],
    allocation: Annotated[float, typer.Option(help="n1/n2 allocation ratio.")] = SS["allocation_ratio"],
    kmax: FixedKmax = None,
    alpha: Alpha = D["alpha"],
    beta: Beta = D["beta"],
    sided: Sided = D["sided"],
    spending: Spending = D["spending"],
    gamma: Gamma = None,
    info_rates: Info = None,
    futility: Futility = D["futility"],
    binding: Binding = D["binding"],
    as_json: JsonOpt = False,
) -> None:
    """Events (Schoenfeld) and subjects for a log-rank test."""
    design = _design(
        kmax=kmax,
        alpha=alpha,
        beta=beta,
        sided=sided,
        spending=spending,
        gamma=gamma,
        info_rates=info_rates,
        futility=futility,
        binding=binding,
    )
    _sample_size(
        "survival",
        design,
        as_json,
        hazard_ratio=hazard_ratio,
        median2=median2,
        accrual_time=accrual,
        follow_up_time=follow_up,
        dropout=dropout,
        dropout_time=dropout_time,
        method=method,
        allocation_ratio=allocation,
    )


def _simulate(spec: SimulationSpec, backend: str | None, as_json: bool) -> None:
    from pharmakon.store import open_store
    from pharmakon.trials.design.service import simulate_design

    with _bar(as_json) as progress:
        result = simulate_design(open_store(), spec, cli_caller(), backend=backend, progress=progress)
    _emit(result, as_json)


Sims = Annotated[int, typer.Option("--sims", help="Simulated trials.")]
Seed = Annotated[int, typer.Option("--seed", help="Root seed (same seed, same answer on any backend).")]
Planned = Annotated[str, typer.Option("--planned", help="Cumulative total sample sizes per look, e.g. 100,200,300.")]
Backend = Annotated[str | None, typer.Option("--backend", help="serial, local or ray.")]
SimName = Annotated[
    str | None, typer.Option("--name", help="Store the result as trial_simulation NAME (default ENDPOINT-simulation).")
]
Curve = Annotated[int, typer.Option("--curve", help="Also simulate a power curve at this many effects.")]
Reason = Annotated[str | None, typer.Option("--reason", help="Why (audit trail).")]
PLANNED = ",".join(str(n) for n in SIM["planned"])


@simulate_app.command("rates")
def simulate_rates_cmd(
    pi1: Annotated[float, typer.Option(help="Treatment response rate.")],
    pi2: Annotated[float, typer.Option(help="Control response rate.")] = SIM["pi2"],
    planned: Planned = PLANNED,
    sims: Sims = SIM["sims"],
    seed: Seed = SIM["seed"],
    backend: Backend = None,
    kmax: Kmax = D["kmax"],
    alpha: Alpha = D["alpha"],
    beta: Beta = D["beta"],
    sided: Sided = D["sided"],
    spending: Spending = D["spending"],
    gamma: Gamma = None,
    info_rates: Info = None,
    futility: Futility = D["futility"],
    binding: Binding = D["binding"],
    name: SimName = None,
    curve: Curve = SIM["curve"],
    reason: Reason = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate a two-arm binary trial (rpact getSimulationRates conventions)."""
    design = _design(
        kmax=kmax,
        alpha=alpha,
        beta=beta,
        sided=sided,
        spending=spending,
        gamma=gamma,
        info_rates=info_rates,
        futility=futility,
        binding=binding,
    )
    spec = SimulationSpec.parse(
        design=design,
        endpoint="rates",
        pi1=pi1,
        pi2=pi2,
        planned=planned,
        sims=sims,
        seed=seed,
        curve=curve,
        name=name,
        reason=reason,
    )
    _simulate(spec, backend, as_json)


@simulate_app.command("means")
def simulate_means_cmd(
    alternative: Annotated[float, typer.Option(help="True mean difference.")],
    stdev: Annotated[float, typer.Option(help="Standard deviation.")] = SIM["stdev"],
    planned: Planned = PLANNED,
    sims: Sims = SIM["sims"],
    seed: Seed = SIM["seed"],
    backend: Backend = None,
    kmax: Kmax = D["kmax"],
    alpha: Alpha = D["alpha"],
    beta: Beta = D["beta"],
    sided: Sided = D["sided"],
    spending: Spending = D["spending"],
    gamma: Gamma = None,
    info_rates: Info = None,
    futility: Futility = D["futility"],
    binding: Binding = D["binding"],
    name: SimName = None,
    curve: Curve = SIM["curve"],
    reason: Reason = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate a two-arm continuous trial (rpact getSimulationMeans conventions, known SD)."""
    design = _design(
        kmax=kmax,
        alpha=alpha,
        beta=beta,
        sided=sided,
        spending=spending,
        gamma=gamma,
        info_rates=info_rates,
        futility=futility,
        binding=binding,
    )
    spec = SimulationSpec.parse(
        design=design,
        endpoint="means",
        alternative=alternative,
        stdev=stdev,
        planned=planned,
        sims=sims,
        seed=seed,
        curve=curve,
        name=name,
        reason=reason,
    )
    _simulate(spec, backend, as_json)


@simulate_app.command("spec")
def simulate_spec(
    spec_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="YAML spec (design + simulate).")],
    sims: Annotated[int | None, typer.Option("--sims", help="Override simulate.sims.")] = None,
    backend: Backend = None,
    name: SimName = None,
    curve: Curve = SIM["curve"],
    reason: Reason = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate the design and scenario of a YAML spec file (also: `trial simulate SPEC.yaml`)."""
    from pharmakon.trials.design.service import load_simulation_spec

    spec = load_simulation_spec(spec_file, sims=sims, name=name, curve=curve, reason=reason)
    _simulate(spec, backend, as_json)


@app.command("bayes")
def bayes(
    p: Annotated[str | None, typer.Option("--p", help="Binary endpoint: true response rates, control first.")] = None,
    mu: Annotated[str | None, typer.Option("--mu", help="Normal endpoint: true means, control first.")] = None,
    sigma: Annotated[float, typer.Option(help="Normal endpoint: known SD.")] = BAYES["sigma"],
    n_max: Annotated[int, typer.Option("--n-max", help="Maximum total patients.")] = BAYES["n_max"],
    block: Annotated[int, typer.Option(help="Patients per interim block.")] = BAYES["block"],
    efficacy: Annotated[float, typer.Option(help="Posterior P(arm > control) to stop for efficacy.")] = BAYES[
        "efficacy"
    ],
    futility: Annotated[float, typer.Option(help="Drop an arm below this posterior probability.")] = BAYES["futility"],
    rar: Annotated[bool, typer.Option("--rar/--equal", help="Thompson-type adaptive randomisation.")] = BAYES["rar"],
    calibrate: Annotated[float | None, typer.Option(help="Calibrate efficacy to this type I error first.")] = None,
    sims: Sims = BAYES["sims"],
    seed: Seed = BAYES["seed"],
    backend: Backend = None,
    as_json: JsonOpt = False,
) -> None:
    """Bayesian adaptive multi-arm trial (binary --p or normal --mu): RAR, arm dropping, posterior stopping."""
    from pharmakon.trials.design.service import simulate_bayes

    spec = BayesSpec.parse(
        p=p,
        mu=mu,
        sigma=sigma,
        n_max=n_max,
        block=block,
        efficacy=efficacy,
        futility=futility,
        rar=rar,
        calibrate=calibrate,
        sims=sims,
        seed=seed,
    )
    with _bar(as_json) as progress:
        result = simulate_bayes(spec, backend=backend, progress=progress)
    _emit(result, as_json)


@app.command("dosefind")
def dosefind(
    tox: Annotated[str, typer.Option("--tox", help="True DLT probabilities per dose, e.g. 0.05,0.12,0.3,0.45.")],
    method: Annotated[str, typer.Option(help="boin or crm.")] = DOSE["method"],
    skeleton: Annotated[str | None, typer.Option(help="CRM prior guesses per dose (increasing).")] = None,
    target: Annotated[float, typer.Option(help="Target DLT rate.")] = DOSE["target"],
    cohort_size: Annotated[int, typer.Option("--cohort-size", help="Patients per cohort.")] = DOSE["cohort_size"],
    cohorts: Annotated[int, typer.Option(help="Number of cohorts.")] = DOSE["cohorts"],
    sims: Sims = DOSE["sims"],
    seed: Seed = DOSE["seed"],
    backend: Backend = None,
    as_json: JsonOpt = False,
) -> None:
    """Dose finding (BOIN or CRM): simulated selection probabilities and allocation."""
    from pharmakon.trials.design.service import simulate_dose_finding

    spec = DoseFindingSpec.parse(
        tox=tox,
        method=method,
        skeleton=skeleton,
        target=target,
        cohort_size=cohort_size,
        cohorts=cohorts,
        sims=sims,
        seed=seed,
    )
    with _bar(as_json) as progress:
        result = simulate_dose_finding(spec, backend=backend, progress=progress)
    _emit(result, as_json)


@app.command("enrich")
def enrich(
    effect_s: Annotated[float, typer.Option("--effect-s", help="Mean difference in the subgroup.")],
    effect_c: Annotated[float, typer.Option("--effect-c", help="Mean difference in the complement.")],
    prevalence: Annotated[float, typer.Option(help="Subgroup share of the population.")] = ENRICH["prevalence"],
    n1: Annotated[int, typer.Option(help="Stage-1 patients per arm.")] = ENRICH["n1"],
    n2: Annotated[int, typer.Option(help="Stage-2 patients per arm.")] = ENRICH["n2"],
    futility_c: Annotated[float, typer.Option("--futility-c", help="Enrich if complement z is below.")] = ENRICH[
        "futility_c"
    ],
    alpha: Alpha = ENRICH["alpha"],
    sims: Sims = ENRICH["sims"],
    seed: Seed = ENRICH["seed"],
    backend: Backend = None,
    as_json: JsonOpt = False,
) -> None:
    """Two-stage adaptive enrichment (Bonferroni + inverse-normal combination)."""
    from pharmakon.trials.design.service import simulate_enrichment_design

    spec = EnrichmentSpec.parse(
        effect_s=effect_s,
        effect_c=effect_c,
        prevalence=prevalence,
        n1=n1,
        n2=n2,
        futility_c=futility_c,
        alpha=alpha,
        sims=sims,
        seed=seed,
    )
    with _bar(as_json) as progress:
        result = simulate_enrichment_design(spec, backend=backend, progress=progress)
    _emit(result, as_json)


@app.command("list")
def list_designs(
    simulations: Annotated[bool, typer.Option("--simulations", help="List stored simulations instead.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List stored trial designs (or simulations), latest version of each."""
    from pharmakon.store import open_store
    from pharmakon.trials.design import service

    if simulations:
        sims = service.list_simulations(open_store())
        if as_json:
            print_json([s.to_dict() for s in sims.simulations])
            return
        for s in sims.simulations:
            console.print(
                f"{s.name}@{s.version}  {s.endpoint} power {s.power:.4f} ({s.sims} trials)  "
                f"by {s.created_by} {s.created_at}",
                markup=False,
                highlight=False,
            )
        return
    designs = service.list_designs(open_store())
    if as_json:
        print_json([d.to_dict() for d in designs.designs])
        return
    console.print(designs.summary(), markup=False, highlight=False)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Stored design (or simulation) NAME or NAME@VERSION.")],
    simulation: Annotated[bool, typer.Option("--simulation", help="Show a stored simulation.")] = False,
) -> None:
    """Print a stored design (or simulation) version as JSON."""
    from pharmakon.store import open_store
    from pharmakon.trials.design import service

    show_fn = service.show_simulation if simulation else service.show_design
    print_json(show_fn(open_store(), name).to_dict())


@app.command("report")
def report(
    name: Annotated[str, typer.Argument(help="Stored design name (NAME or NAME@VERSION).")],
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("trial_design.html"),
) -> None:
    """Write the HTML report (boundaries, characteristics, plots) of a stored design."""
    from pharmakon.store import open_store
    from pharmakon.trials.design.service import report_design

    result = report_design(open_store(), name)
    with atomic_open(out) as fh:
        fh.write(result.html)
    console.print(f"wrote {out} for trial_design {result.stored}")
