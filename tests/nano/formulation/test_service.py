"""The formulation service on the store (SQLite and PostgreSQL): fit, predict, design, propose; bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.nano.formulation.candidates import SMALL_TABLE_FAMILIES
from pharmakon.nano.formulation.recipe import Formulation
from pharmakon.nano.formulation.service import (
    fit_formulation,
    list_model_sets,
    predict_formulation_file,
    propose_experiments,
)
from pharmakon.nano.formulation.specs import FitSpec, PredictFileSpec, ProposeSpec
from pharmakon.store import Store, list_events

from .conftest import SPACE6

CALLER = Caller("tester", "python")
SMALL = list(SMALL_TABLE_FAMILIES)


def _table(n: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 1, n)
    frr = rng.uniform(1, 5, n)
    size = 80 + 60 * a + 8 * frr + rng.normal(0, 2, n)
    pdi = 0.1 + 0.1 * a * frr / 5 + rng.normal(0, 0.005, n)
    return pd.DataFrame(
        {"id": [f"F{i}" for i in range(n)], "A": a, "B": 1 - a, "FRR": frr, "size": size, "size_sd": 1.0, "PDI": pdi}
    )


def _events(store: Store, action: str) -> list:
    with store.read_session() as session:
        events, _ = list_events(session, action=action, newest_first=False, limit=100)
    return events


def test_fit_registers_models_and_writes_oof_in_input_order(store: Store, tmp_path) -> None:
    data, oof = tmp_path / "f.csv", tmp_path / "oof.csv"
    frame = _table()
    frame.to_csv(data, index=False)
    # an explicit candidate set (the default union is tested in test_candidates and the seed example): quick
    spec = FitSpec(
        data=data, targets=["size", "PDI"], name="lnp", form="miso", repeats=2, cv=4, oof_out=oof, models=SMALL
    )
    res = fit_formulation(store, spec, CALLER)
    assert res.features == ["A", "B", "FRR"]  # the id, the SD column and nothing else left out
    assert res.excluded == {"id": "an identifier (distinct text on every row)", "size_sd": "measurement SD"}
    out = pd.read_csv(oof)
    assert list(out.columns) == list(frame.columns) + ["pred_size", "pred_PDI"]
    assert out["id"].tolist() == frame["id"].tolist()
    assert res.oof_r2["size"] > 0.8  # a nearly linear surface with small noise
    # the requested candidates are recorded; each of the 2 x 4 outer folds chose one model for each target
    assert res.candidates == SMALL
    assert {t: sum(c.values()) for t, c in res.oof_choices.items()} == {"size": 8, "PDI": 8}
    assert [s.name for s in list_model_sets(store)] == ["lnp"]
    (event,) = _events(store, "nano.fit")
    assert event.params["channel"] == "python" and event.object_id == "lnp@1" and "oof" in event.outputs


def test_predict_adds_intervals_and_domain_per_target(store: Store, tmp_path) -> None:
    frame = _table()
    fit_formulation(
        store, FitSpec(targets=["size", "PDI"], name="m", form="mimo", repeats=1, cv=3), CALLER, frame=frame
    )
    data, out = tmp_path / "new.csv", tmp_path / "pred.csv"
    new = frame[["A", "B", "FRR"]].head(5)
    new.to_csv(data, index=False)
    res = predict_formulation_file(store, PredictFileSpec(name="m", data=data, out=out), CALLER)
    table = pd.read_csv(out)
    for t in ("size", "PDI"):
        assert {f"pred_{t}", f"lower_{t}", f"upper_{t}", f"in_domain_{t}"} <= set(table.columns)
        assert (table[f"lower_{t}"] <= table[f"pred_{t}"]).all() and (table[f"pred_{t}"] <= table[f"upper_{t}"]).all()
    assert table["in_domain"].tolist() == (table["in_domain_size"] & table["in_domain_PDI"]).tolist()
    assert table["in_domain"].all()  # training recipes lie in the domain
    assert res.rows == 5 and _events(store, "nano.predict")[0].params["channel"] == "python"


def test_negative_size_is_refused_and_nothing_registered(store: Store, tmp_path) -> None:
    frame = _table()
    frame.loc[6, "size"] = -5.0
    data, oof = tmp_path / "bad.csv", tmp_path / "oof.csv"
    frame.to_csv(data, index=False)
    with pytest.raises(InputError, match=r"bad.csv, row 7, field 'size'.*-5 nm"):
        fit_formulation(store, FitSpec(data=data, targets=["size"], name="x", oof_out=oof), CALLER)
    assert list_model_sets(store) == [] and not oof.exists()


def test_unparsable_lipid_smiles_names_the_row(store: Store) -> None:
    frame = _table(12)
    frame["smiles"] = "CCCCCCCCN(CC)CC"
    frame.loc[3, "smiles"] = "C1CC(("
    with pytest.raises(InputError, match=r"row 4, field 'smiles'.*cannot be parsed"):
        fit_formulation(store, FitSpec(targets=["size"], name="x", smiles_col="smiles"), CALLER, frame=frame)
    assert list_model_sets(store) == []


def test_propose_stores_the_observations_it_used(store: Store, observed6: pd.DataFrame, tmp_path) -> None:
    from pharmakon.nano.formulation.space import Space

    out = tmp_path / "next.csv"
    spec = ProposeSpec(
        space=Space.parse(SPACE6),
        observed_rows=observed6.head(30).to_dict("records"),
        objectives=["maximize:potency"],
        constraints=["PDI<0.2"],
        batch=4,
        out=out,
        name="round1",
    )
    res = propose_experiments(store, spec, CALLER)
    assert len(pd.read_csv(out)) == 4 == res.batch and res.observations == 30
    (event,) = _events(store, "nano.propose")
    assert event.inputs["observations"] == res.observations_sha256 and event.object_id == "round1@1"


def test_formulation_model_validation() -> None:
    comps = [
        {"name": "SM-102", "role": "ionizable_lipid", "fraction": 0.5, "smiles": "CCCCCCCCN(CC)CC"},
        {"name": "DSPC", "role": "helper_lipid", "fraction": 0.1},
        {"name": "chol", "role": "sterol", "fraction": 0.385},
        {"name": "PEG2k", "role": "peg_lipid", "fraction": 0.015},
    ]
    f = Formulation.parse({"components": comps, "cqas": {"size_nm": {"value": 85, "sd": 2}}})
    assert f.to_row()["SM-102"] == 0.5
    with pytest.raises(InputError, match="add up to 0.9"):
        Formulation.parse({"components": [{**comps[0], "fraction": 0.4}, *comps[1:]]})
    with pytest.raises(InputError, match="role"):
        Formulation.parse({"components": [{**comps[0], "role": "solvent"}, *comps[1:]]})
    with pytest.raises(InputError, match="outside the plausible range"):
        Formulation.parse({"components": comps, "cqas": {"size_nm": {"value": -3}}})
    with pytest.raises(InputError, match="cannot be parsed"):
        Formulation.parse({"components": [{**comps[0], "smiles": "C1CC(("}, *comps[1:]]})


def test_fit_with_lipid_smiles_reads_structure_features(store: Store, tmp_path) -> None:
    lipids = ["CCCCCCCCCCCCN(C)C", "CCCCCCCCCCN(C)CCCCCCCCCC", "CCCCCCCCCCCCCCN(CC)CC", "CCCCCCCCC(=O)OCCN(C)C"]
    frame = _table(32)
    frame["lipid"] = [lipids[i % 4] for i in range(32)]
    frame["size"] += [10.0 * (i % 4) for i in range(32)]
    res = fit_formulation(
        store,
        FitSpec(targets=["size"], name="s", smiles_col="lipid", repeats=1, cv=4, models=["ridge", "rf"]),
        CALLER,
        frame=frame,
    )
    with store.read_session() as session:
        from pharmakon.store import get_object

        assert "lipid_tails" in get_object(session, "nano_model_set", "s").content["lipid_features"]
    assert res.features == ["A", "B", "FRR"]
    data, out = tmp_path / "new.csv", tmp_path / "p.csv"
    frame.drop(columns=["size"]).head(4).to_csv(data, index=False)
    predict_formulation_file(store, PredictFileSpec(name="s", data=data, out=out), CALLER)
    table = pd.read_csv(out)
    assert "lipid_tails" not in table.columns and table["pred_size"].notna().all()
