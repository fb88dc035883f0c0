"""Seeded worked example: a small ADMET panel (three endpoints) and molecules to try it on.

The panel is trained on seeded random subsets of at most :data:`EXAMPLE_MAX_ROWS`
catalogue rows per endpoint within a short budget, so it demonstrates the workflow
(panel table, conformal intervals and sets, applicability domain, SHAP) and is **not for
benchmarking**; ``pharmakon admet train`` trains the full panel.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EXAMPLE_ENDPOINTS", "EXAMPLE_MAX_ROWS", "EXAMPLE_MOLECULES", "example_text", "seed_panel_example"]

#: Absorption (solubility, regression; Biogen), distribution (blood-brain barrier, classification; MoleculeNet)
#: and toxicity (Ames mutagenicity, classification; PharmaBench).
EXAMPLE_ENDPOINTS: tuple[str, ...] = ("biogen_solubility", "bbbp", "pb_ames")
#: Training rows per endpoint (seeded random subset).
EXAMPLE_MAX_ROWS = 300

#: Well-known drugs (name, SMILES) plus one broken SMILES to show how invalid rows are reported.
EXAMPLE_MOLECULES: tuple[tuple[str, str], ...] = (
    ("aspirin", "CC(=O)Oc1ccccc1C(=O)O"),
    ("caffeine", "Cn1cnc2c1c(=O)n(C)c(=O)n2C"),
    ("ibuprofen", "CC(C)Cc1ccc(cc1)C(C)C(=O)O"),
    ("paracetamol", "CC(=O)Nc1ccc(O)cc1"),
    ("diazepam", "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21"),
    ("imatinib", "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1"),
    ("broken_ring", "C1CC(=O"),
)


def example_text() -> str:
    """:data:`EXAMPLE_MOLECULES` as the workbench's paste format: ``SMILES name`` per line."""
    return "\n".join(f"{smiles} {name}" for name, smiles in EXAMPLE_MOLECULES)


def seed_panel_example(store: Any, settings: Any) -> str:
    """Train and register :data:`EXAMPLE_ENDPOINTS` as ``admet.<endpoint>`` (all or none).

    Each endpoint screens the baseline (ridge or logistic regression) against LightGBM
    on at most :data:`EXAMPLE_MAX_ROWS` rows within a 1 s budget (the baseline always
    runs, so in practice the baseline is what fits). Training and
    registration run in one store transaction, so a failure registers nothing.
    Idempotent-safe: when every example endpoint is already registered (by this seed or
    by ``pharmakon admet train``), nothing is trained.

    Parameters
    ----------
    store : pharmakon.store.Store
    settings : pharmakon.config.Settings
        Unused: the catalogue is read through the process settings
        (:func:`pharmakon.config.get_settings`), like ``pharmakon admet train``.

    Returns
    -------
    str
        One line saying what was registered.
    """
    from pharmakon.caller import Caller
    from pharmakon.chem.admet import MODEL_PREFIX
    from pharmakon.chem.service import PanelTrainSpec, registered_endpoints, train_endpoints

    registered = {MODEL_PREFIX + e.name for e in registered_endpoints(store).endpoints}
    todo = [name for name in EXAMPLE_ENDPOINTS if MODEL_PREFIX + name not in registered]
    if not todo:
        return f"ADMET panel example already registered ({', '.join(EXAMPLE_ENDPOINTS)})"
    spec = PanelTrainSpec(
        endpoints=todo,
        trials=0,  # fixed work: the same models on every machine, busy or not
        max_rows=EXAMPLE_MAX_ROWS,
        seed=0,
        models=["lightgbm"],
        alias="production",
        reason="worked example seeded by `pharmakon serve` (small subsets; not for benchmarking)",
    )
    result = train_endpoints(store, spec, Caller("seed", "python"))
    trained = ", ".join(f"{r.endpoint} ({r.best}, {r.rows} rows)" for r in result.endpoints)
    return (
        f"ADMET panel example: {len(result.endpoints)} endpoint(s) registered as admet.*: {trained}; try them at /admet"
    )
