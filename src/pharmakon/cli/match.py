"""``pharmakon match``: patient-trial matching: trials for a patient, patients for a trial, evaluation.

Thin layer over :mod:`pharmakon.trials.matching.service`: options become a spec (the
defaults are the spec's), the service matches, stores and audits; this module prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pharmakon.cli._common import cli_caller, console, print_json
from pharmakon.specs import build_spec
from pharmakon.trials.matching.specs import EvalSpec, MatchPatientsSpec, MatchTrialsSpec, SaveTrialsSpec

__all__ = ["app"]

app = typer.Typer(
    help="Patient-trial matching: trials for a patient, patients for a trial, evaluation.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
DeidOpt = Annotated[
    bool | None,
    typer.Option("--deidentify/--no-deidentify", help="Safe Harbor de-identification at the door (default on)."),
]
LlmOpt = Annotated[
    str | None, typer.Option("--llm-url", help="OpenAI-compatible endpoint for text criteria (off by default).")
]
RetrieverOpt = Annotated[
    str | None,
    typer.Option(
        "--retriever", help="First stage: bm25 (default), dense or hybrid (RRF k=60); dense needs the deep extra."
    ),
]
LlmModelOpt = Annotated[str | None, typer.Option("--llm-model", help="Model name for --llm-url.")]


def _default(spec: type, field: str) -> Any:
    return spec.model_fields[field].default


def _print(result: Any, as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
    else:
        console.print(result.summary(), markup=False)


@app.command("trials")
def trials_command(
    patients: Annotated[Path, typer.Option("--patients", help='JSON lines, one {"_id", "text"} per patient.')],
    trials: Annotated[
        Path | None, typer.Option("--trials", help="JSON lines of trials (TREC flattened or API v2).")
    ] = None,
    collection: Annotated[
        str | None, typer.Option("--collection", help="A stored trial collection instead of --trials.")
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="rerank (every trial) or retrieve (retriever candidates).")] = (
        _default(MatchTrialsSpec, "mode")
    ),
    top: Annotated[int | None, typer.Option("--top", help="Trials kept per patient (default all).")] = None,
    candidates: Annotated[int | None, typer.Option("--candidates", help="Candidates in retrieve mode.")] = None,
    retriever: RetrieverOpt = None,
    deidentify: DeidOpt = None,
    name: Annotated[str | None, typer.Option("--name", help="Name the result is stored under.")] = None,
    llm_url: LlmOpt = None,
    llm_model: LlmModelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Trials for each patient, ranked, with every criterion's verdict and evidence."""
    from pharmakon.store import open_store
    from pharmakon.trials.matching.service import match_trials

    spec = build_spec(
        MatchTrialsSpec,
        patients_file=patients,
        trials_file=trials,
        collection=collection,
        mode=mode,
        top=top,
        candidates=candidates,
        retriever=retriever,
        deidentify=deidentify,
        name=name,
        llm_url=llm_url,
        llm_model=llm_model,
    )
    _print(match_trials(open_store(), spec, cli_caller()), as_json)


@app.command("patients")
def patients_command(
    trial: Annotated[Path, typer.Option("--trial", help="One trial, ClinicalTrials.gov API v2 JSON.")],
    patients: Annotated[Path, typer.Option("--patients", help="FHIR bulk-export folder, NDJSON file or Bundle.")],
    deidentify: DeidOpt = None,
    pseudonymize: Annotated[
        bool | None, typer.Option("--pseudonymize", help="Keyed pseudonyms instead of patient ids.")
    ] = None,
    max_notes: Annotated[int | None, typer.Option("--max-notes", help="Latest notes kept per patient.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Name the result is stored under.")] = None,
    llm_url: LlmOpt = None,
    llm_model: LlmModelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Patients for a trial: eligible ids, funnel, every patient x criterion verdict, equity."""
    from pharmakon.store import open_store
    from pharmakon.trials.matching.service import match_patients

    spec = build_spec(
        MatchPatientsSpec,
        trial_file=trial,
        patients_path=patients,
        deidentify=deidentify,
        pseudonymize=pseudonymize,
        max_notes=max_notes,
        name=name,
        llm_url=llm_url,
        llm_model=llm_model,
    )
    _print(match_patients(open_store(), spec, cli_caller()), as_json)


@app.command("eval")
def eval_command(
    collection: Annotated[str, typer.Option("--collection", help="trec2021 or sigir2016.")] = _default(
        EvalSpec, "collection"
    ),
    mode: Annotated[
        str,
        typer.Option("--mode", help="rerank: each patient's judged trials; retrieve: candidates from the collection."),
    ] = _default(EvalSpec, "mode"),
    retriever: RetrieverOpt = None,
    candidates: Annotated[int | None, typer.Option("--candidates", help="Candidates in retrieve mode.")] = None,
    data: Annotated[Path | None, typer.Option("--data", help="Data mirror folder.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """NDCG@10, P@10, MRR, AUROC (eligible vs excluded) of the matcher, with BM25 in the same run."""
    from pharmakon.store import open_store
    from pharmakon.trials.matching.service import evaluate

    spec = build_spec(EvalSpec, collection=collection, mode=mode, retriever=retriever, candidates=candidates, data=data)
    _print(evaluate(open_store(), spec, cli_caller()), as_json)


@app.command("save-trials")
def save_trials_command(
    trials: Annotated[Path, typer.Argument(help="JSON lines of trials (TREC flattened or API v2).")],
    name: Annotated[str, typer.Option("--name", help="Collection name (a new version each time).")],
    as_json: JsonOpt = False,
) -> None:
    """Store a trial collection for later matching (--collection NAME)."""
    from pharmakon.store import open_store
    from pharmakon.trials.matching.service import save_trials

    spec = build_spec(SaveTrialsSpec, trials_file=trials, name=name)
    _print(save_trials(open_store(), spec, cli_caller()), as_json)
