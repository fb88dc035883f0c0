"""``pharmakon model``: train, register and use models on any table (with or without SMILES).

Thin layer: parse options, read the CSV, call :mod:`pharmakon.core` (and
:mod:`pharmakon.chem` for structures), write results atomically, print.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from pharmakon.cli._common import cli_actor, console, err_console, print_json
from pharmakon.errors import InputError
from pharmakon.files import atomic_path

__all__ = ["app"]

app = typer.Typer(
    help="Governed models: train with QC, CV selection, conformal uncertainty; register; predict.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
NameArg = Annotated[str, typer.Argument(help="Registered model name (see `pharmakon model list`).")]
VersionOpt = Annotated[str | None, typer.Option("--version", "-v", help="Version number or alias (default: newest).")]


def read_table(path: Path):
    """Read a CSV/TSV into a DataFrame; clear errors for missing, empty or malformed files."""
    import pandas as pd

    if not path.exists():
        raise InputError("file not found", file=str(path))
    if path.stat().st_size == 0:
        raise InputError("the file is empty", file=str(path))
    sep = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    try:
        frame = pd.read_csv(path, sep=sep, encoding="utf-8-sig")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable CSV: {exc}", file=str(path)) from None
    if len(frame.columns) == 0 or len(frame) == 0:
        raise InputError("the file has a header but no data rows", file=str(path))
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _write_atomic(frame, out: Path) -> None:
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False)


@app.command("train")
def train_command(
    data: Annotated[Path, typer.Option("--data", help="Training CSV; one row per example.")],
    target: Annotated[str, typer.Option("--target", help="Column to predict.")],
    smiles_col: Annotated[str | None, typer.Option("--smiles-col", help="Column with SMILES (featurized).")] = None,
    id_col: Annotated[
        list[str] | None, typer.Option("--id-col", help="Identifier column (not a feature); repeat.")
    ] = None,
    sensitive_col: Annotated[
        list[str] | None,
        typer.Option(
            "--sensitive-col", help="Attribute for the per-subgroup fairness report (sex, age band, site); repeat."
        ),
    ] = None,
    task: Annotated[str, typer.Option("--task", help="auto | regression | classification.")] = "auto",
    name: Annotated[str | None, typer.Option("--name", help="Registry name (default: the file's stem).")] = None,
    budget: Annotated[float, typer.Option("--budget", min=5, max=86400, help="Seconds for the whole run.")] = 60.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (folds, models, Optuna).")] = 0,
    alpha: Annotated[
        float, typer.Option("--alpha", min=0.01, max=0.5, help="Conformal miscoverage (0.1 = 90%).")
    ] = 0.1,
    featurizer: Annotated[
        str, typer.Option("--featurizer", help="SMILES features, '+'-joined: morgan, rdkit2d, maccs.")
    ] = "morgan+rdkit2d",
    cv: Annotated[
        int | None, typer.Option("--cv", min=2, max=20, help="CV folds (default 3, or 5 if budget >= 300 s).")
    ] = None,
    cv_split: Annotated[
        str,
        typer.Option(
            "--cv-split",
            help="How CV folds are drawn: random (stratified for classes) | scaffold (Bemis-Murcko groups of --smiles-col: CV and conformal calibration measure new chemical series).",
        ),
    ] = "random",
    group_col: Annotated[
        str | None,
        typer.Option(
            "--group-col",
            help="Rows sharing this column's value stay in one CV fold (patient, site, series); not a feature.",
        ),
    ] = None,
    models: Annotated[
        str | None,
        typer.Option(
            "--models",
            help="Comma-separated model families to select from (default: the whole zoo except opt-in chemprop, which needs --smiles-col and the deep extra).",
        ),
    ] = None,
    alias: Annotated[
        str | None, typer.Option("--alias", help="Also point this alias (staging, production) at it.")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the audit trail).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train on a CSV (QC, CV model selection within --budget, conformal calibration) and register the model."""
    from pharmakon.core.lifecycle import train_model
    from pharmakon.core.registry import register_model
    from pharmakon.store import open_store

    frame = read_table(data)
    feat = None
    if smiles_col:
        from pharmakon.chem import make_featurizer

        feat = make_featurizer(featurizer)
    groups, groups_kind = _cv_groups(frame, cv_split, group_col, smiles_col, str(data))
    name = name or "".join(ch if ch.isalnum() or ch in "_.-" else "_" for ch in data.stem).lstrip("_.-") or "model"
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,255}$", name):
        raise InputError(f"model name {name!r} may use letters, digits and _.:@+- (max 256)", field="--name")
    with console.status("training...") as status:
        model = train_model(
            frame,
            target,
            task=task,
            smiles_col=smiles_col,
            featurizer=feat,
            id_cols=[*(id_col or []), *([group_col] if group_col else [])],
            groups=groups,
            groups_kind=groups_kind,
            budget_s=budget,
            seed=seed,
            alpha=alpha,
            n_splits=cv,
            file=str(data),
            sensitive_cols=sensitive_col or [],
            models=[m.strip() for m in models.split(",") if m.strip()] if models else None,
            progress=lambda msg: status.update(f"training: {msg}"),
        )
    with open_store().session() as session:
        saved = register_model(session, model, name=name, actor=cli_actor(), alias=alias, reason=reason)
    summary = {
        "name": name,
        "version": saved.version,
        "task": model.task,
        "best": model.selection["best"],
        "cv_metrics": model.selection["cv_metrics"],
        "seconds": model.selection["seconds"],
        "rows_used": model.qc["n_rows_out"],
        "dropped": model.qc["dropped"],
        "warnings": model.qc["warnings"],
        "alias": alias,
    }
    if as_json:
        print_json(summary)
        return
    metrics = ", ".join(f"{k} {v:.3f}" for k, v in model.selection["cv_metrics"].items() if v is not None and k != "n")
    console.print(
        f"registered model [bold]{name}[/bold] version {saved.version}: {model.task}, "
        f"best {model.selection['best']['model']} (CV {metrics}) in {model.selection['seconds']} s"
    )
    for w in model.qc["warnings"]:
        err_console.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
    for bad in model.qc.get("invalid_structures", [])[:20]:
        err_console.print(f"skipped row {bad['row']}: {bad['reason']} ({bad['input']})", highlight=False, markup=False)


def _cv_groups(frame, cv_split: str, group_col: str | None, smiles_col: str | None, file: str):
    """(fold groups or None, what they are) for ``--cv-split`` / ``--group-col``."""
    if cv_split not in ("random", "scaffold"):
        raise InputError(f"--cv-split must be random or scaffold, got {cv_split!r}", field="--cv-split")
    if group_col and cv_split == "scaffold":
        raise InputError("give either --group-col or --cv-split scaffold, not both", field="--group-col")
    if group_col:
        if group_col not in frame.columns:
            raise InputError(f"column not found; columns: {list(frame.columns)}", file=file, field=group_col)
        return frame[group_col].tolist(), "group"
    if cv_split == "scaffold":
        if not smiles_col:
            raise InputError("--cv-split scaffold needs --smiles-col", field="--cv-split")
        if smiles_col not in frame.columns:
            raise InputError(f"column not found; columns: {list(frame.columns)}", file=file, field=smiles_col)
        from pharmakon.chem import murcko_scaffolds

        return murcko_scaffolds(frame[smiles_col].tolist()), "scaffold"
    return None, "random"


@app.command("predict")
def predict_command(
    name: NameArg,
    data: Annotated[Path, typer.Option("--data", help="Input CSV with the columns the model was trained on.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output CSV: input rows in order plus predictions.")],
    version: VersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Predict every row of a CSV: prediction, interval or set (+ probabilities), in_domain, pred_status."""
    from pharmakon.core.registry import load_model
    from pharmakon.hashing import sha256_file, sha256_frame
    from pharmakon.store import open_store, record_event

    frame = read_table(data)
    store = open_store()
    with store.read_session() as session:
        model = load_model(session, name, version)
    with console.status(f"predicting {len(frame)} rows..."):
        result = model.predict(frame, file=str(data))
    _write_atomic(result.table, out)
    reg = model.registry
    with store.session() as session:
        record_event(
            session,
            actor=cli_actor(),
            action="model.predict",
            object_type="model",
            object_id=f"{reg['name']}@{reg['version']}",
            inputs={str(data.name): sha256_file(data)},
            outputs={str(out.name): sha256_frame(result.table)},
            params={"rows": len(frame), "invalid_rows": len(result.invalid)},
        )
    table = result.table
    summary = {
        "model": reg["name"],
        "version": reg["version"],
        "rows": len(table),
        "output": str(out),
        "invalid_rows": result.invalid.to_dict(orient="records"),
        "warnings": result.warnings,
        "in_domain": int(table["in_domain"].sum()),
    }
    if as_json:
        print_json(summary)
        return
    console.print(
        f"wrote {len(table)} rows to {out} (model {reg['name']} v{reg['version']}; "
        f"{summary['in_domain']} in domain, {len(result.invalid)} invalid)",
        markup=False,
    )
    for w in result.warnings:
        err_console.print(f"warning: {w}", markup=False)
    for r in result.invalid.head(20).itertuples(index=False):
        err_console.print(f"row {r.row}: {r.reason} ({r.input!r}); no prediction", markup=False)
    if len(result.invalid) > 20:
        err_console.print(f"... and {len(result.invalid) - 20} more invalid rows (see pred_status)", markup=False)


@app.command("evaluate")
def evaluate_command(
    name: NameArg,
    data: Annotated[Path, typer.Option("--data", help="Labelled CSV the model has not seen (a test split).")],
    target: Annotated[
        str | None, typer.Option("--target", help="Label column (default: the one it was trained on).")
    ] = None,
    version: VersionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Score a registered model on held-out labelled rows: metrics, conformal coverage test, by domain."""
    from pharmakon.core.evaluation import evaluate_model, record_evaluation
    from pharmakon.core.registry import load_model
    from pharmakon.hashing import sha256_file
    from pharmakon.store import open_store

    frame = read_table(data)
    store = open_store()
    with store.read_session() as session:
        model = load_model(session, name, version)
    with console.status(f"evaluating on {len(frame)} rows..."):
        report = evaluate_model(model, frame, target=target, file=str(data))
    reg = model.registry
    with store.session() as session:
        record_evaluation(
            session,
            report,
            model_ref=f"{reg['name']}@{reg['version']}",
            actor=cli_actor(),
            data={str(data.name): sha256_file(data)},
        )
    report = {"model": reg["name"], "version": reg["version"], **report}
    if as_json:
        print_json(report)
        return
    _print_evaluation(report)


def _print_evaluation(r: dict) -> None:
    from rich.table import Table

    c = r["coverage"]
    console.print(
        f"model {r['model']} v{r['version']} on {r['evaluated']:,} of {r['rows']:,} rows "
        f"({r['skipped']['count']} without a prediction or label)",
        markup=False,
    )
    keys = [k for k in r["metrics"] if k != "n"]
    table = Table("rows", "n", "coverage", *keys)
    for label, part in (
        ("all", {"n": r["evaluated"], "coverage": c["coverage"], "metrics": r["metrics"]}),
        ("in domain", r["by_domain"]["in_domain"]),
        ("out of domain", r["by_domain"]["out_of_domain"]),
    ):
        m = part["metrics"] or {}
        table.add_row(
            label,
            str(part["n"]),
            "-" if part["coverage"] is None else f"{part['coverage']:.3f}",
            *("-" if m.get(k) is None else f"{m[k]:.3f}" for k in keys),
        )
    console.print(table)
    console.print(
        f"conformal coverage {c['coverage']:.3f} (95% CI {c['ci_low']:.3f}-{c['ci_high']:.3f}) vs nominal "
        f"{c['nominal']:.2f}: exact binomial p = {c['p_value']:.3g}; an exactly calibrated method lands in "
        f"{c['band_low']:.3f}-{c['band_high']:.3f} at n = {c['n']:,} (95%)",
        markup=False,
        soft_wrap=True,
    )


@app.command("list")
def list_command(as_json: JsonOpt = False) -> None:
    """List registered models (newest version of each)."""
    from rich.table import Table

    from pharmakon.core.registry import list_models, model_aliases
    from pharmakon.store import open_store

    with open_store().read_session() as session:
        rows = [(o, model_aliases(session, o.name)) for o in list_models(session)]
    if as_json:
        print_json(
            [
                {
                    "name": o.name,
                    "version": o.version,
                    "task": o.content["task"],
                    "target": o.content["target"],
                    "best": o.content["best"]["model"],
                    "cv_metrics": o.content["cv_metrics"],
                    "aliases": a,
                    "created_at": o.created_at,
                }
                for o, a in rows
            ]
        )
        return
    table = Table(title=f"{len(rows)} registered models")
    for col in ("name", "version", "task", "target", "best", "aliases", "created"):
        table.add_column(col)
    for o, a in rows:
        table.add_row(
            o.name,
            str(o.version),
            o.content["task"],
            o.content["target"],
            o.content["best"]["model"],
            ", ".join(f"{k}→{v}" for k, v in sorted(a.items())),
            o.created_at,
        )
    console.print(table)


@app.command("show")
def show_command(name: NameArg, version: VersionOpt = None, as_json: JsonOpt = False) -> None:
    """Show a model's metadata: metrics, parameters, QC, versions."""
    from pharmakon.store import get_object, open_store

    with open_store().read_session() as session:
        obj = get_object(session, "model", name, version)
    if as_json:
        print_json({"name": obj.name, "version": obj.version, **obj.content})
        return
    c = obj.content
    console.print(
        f"[bold]{obj.name}[/bold] v{obj.version} ({c['task']} of {c['target']}), by {obj.created_by} "
        f"at {obj.created_at}",
        highlight=False,
    )
    console.print(
        f"best: {c['best']}\ncv: {c['cv_metrics']}\nqc dropped: {c['qc']['dropped']}\ndata sha256: {c['data_sha256']}",
        markup=False,
    )


@app.command("card")
def card_command(
    name: NameArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")],
    version: VersionOpt = None,
) -> None:
    """Write a model's card (HTML with plots)."""
    from pharmakon.core.registry import model_card_html
    from pharmakon.store import open_store

    with open_store().read_session() as session:
        html = model_card_html(session, name, version)
    out.write_text(html, encoding="utf-8")
    console.print(f"wrote {out}", markup=False)


@app.command("promote")
def promote_command(
    name: NameArg,
    version: Annotated[int, typer.Option("--version", "-v", help="Version number to point the alias at.")],
    alias: Annotated[str, typer.Option("--alias", help="staging, production, ...")] = "production",
    reason: Annotated[str | None, typer.Option("--reason", help="Why (audit trail).")] = None,
) -> None:
    """Point an alias (default production) at a model version (audited)."""
    from pharmakon.core.registry import promote_model
    from pharmakon.store import open_store

    with open_store().session() as session:
        promote_model(session, name=name, version=version, alias=alias, actor=cli_actor(), reason=reason)
    console.print(f"{name}: {alias} -> version {version}", markup=False)
