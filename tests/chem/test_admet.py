"""The ADMET panel on tiny endpoints: a few hundred mirror molecules, fixed work (``trials``), not seconds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pharmakon.chem.admet import ENDPOINTS, endpoint_frame, resolve_endpoints
from pharmakon.chem.panel_io import predict_chunk, predict_file, read_molecules
from pharmakon.errors import InputError
from tests.conftest import MIRROR

pytestmark = pytest.mark.skipif(not MIRROR.exists(), reason="needs the data mirror")


def test_endpoint_registry_and_splits(mirror):
    assert len(ENDPOINTS) == 36
    assert {e.name for e in resolve_endpoints(["biogen"])} == {
        f"biogen_{k}" for k in ("hlm", "rlm", "mdr1_er", "solubility", "hppb", "rppb")
    }
    with pytest.raises(InputError, match="unknown endpoint 'nope'"):
        resolve_endpoints(["nope"])
    pb = endpoint_frame(ENDPOINTS["pb_ppb"])
    raw = pd.read_csv(MIRROR / "pharmabench" / "ppb_reg_final_data.csv")
    assert len(pb) == int((raw["scaffold_train_test_label"] == "train").sum())  # scaffold test rows left out
    tox = endpoint_frame(ENDPOINTS["tox21_nr_ar"])
    assert tox["y"].isin([0, 1]).all() and len(tox) < 7831  # missing labels dropped


def test_train_predict_file_cli(mirror, cli, pharmakon_home, tmp_path):
    res = cli(
        "admet",
        "train",
        "-e",
        "biogen_hlm,bbbp",
        "--trials",
        "0",
        "--max-rows",
        "250",
        "--models",
        "ridge,logistic,lightgbm",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    # input: 40 ESOL molecules (not training data), one broken SMILES, one empty
    smiles = endpoint_frame(ENDPOINTS["esol"])["smiles"].head(40).tolist()
    inp = tmp_path / "in.csv"
    pd.DataFrame({"name": [f"m{i}" for i in range(42)], "SMILES": smiles + ["C1CC(", ""]}).to_csv(inp, index=False)
    out = tmp_path / "out.csv"
    res = cli(
        "admet",
        "predict",
        str(inp),
        "-o",
        str(out),
        "--chunk-size",
        "16",
        "--backend",
        "serial",
        "--id-col",
        "name",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    table = pd.read_csv(out)
    assert len(table) == 42 and table["row"].tolist() == list(range(1, 43)) and table["id"].iloc[-1] == "m41"
    assert table["status"].iloc[:40].eq("ok").all() and table["status"].iloc[40].startswith("invalid")
    lo, mid, hi = (table[c].iloc[:40] for c in ("biogen_hlm_lower", "biogen_hlm", "biogen_hlm_upper"))
    assert (lo < mid).all() and (mid < hi).all() and table["biogen_hlm"].iloc[40:].isna().all()
    assert table["bbbp_p1"].iloc[:40].between(0, 1).all() and set(table["bbbp_in_domain"].iloc[40:]) == {False}
    assert {"pains_count", "qed", "lipinski_violations"} <= set(table.columns)
    # the panel's shared featurization gives the same numbers as each model predicting on its own
    from pharmakon.chem.admet import load_panel
    from pharmakon.store import open_store

    with open_store().read_session() as session:
        models = load_panel(session)
    alone = models["biogen_hlm"].predict(pd.DataFrame({"smiles": smiles})).table
    np.testing.assert_allclose(table["biogen_hlm"].iloc[:40], alone["prediction"], rtol=1e-9)
    assert (
        table["bbbp_in_domain"].iloc[:40].to_numpy()
        == models["bbbp"].predict(pd.DataFrame({"smiles": smiles})).table["in_domain"].to_numpy()
    ).all()
    # chunk size and backend do not change the result
    out2 = tmp_path / "out2.csv"
    summary = predict_file(models, inp, out2, backend="local", n_jobs=2, chunk_size=7, id_col="name")
    assert summary["rows"] == 42 and summary["invalid"] == 2
    pd.testing.assert_frame_equal(pd.read_csv(out2), table)
    # workers loading the registered artifacts themselves (the CLI's way) give the same file
    from pharmakon.chem.admet import registered_panel

    with open_store().read_session() as session:
        panel = registered_panel(session)
    assert panel.refs == {"biogen_hlm": "admet.biogen_hlm@1", "bbbp": "admet.bbbp@1"}
    summary = predict_file(panel, inp, out2, backend="local", n_jobs=2, chunk_size=7, id_col="name")
    assert (
        summary["endpoints"] == ["biogen_hlm", "bbbp"] and summary["in_domain"]["bbbp"] == table["bbbp_in_domain"].sum()
    )
    pd.testing.assert_frame_equal(pd.read_csv(out2), table)
    # an artifact damaged after registration: a clear error, the earlier output left as it was
    from pharmakon.store.objects import artifact_path

    before = out2.read_bytes()
    artifact_path(panel.entries[1][4]).write_bytes(b"not a model")
    res = cli("admet", "predict", str(inp), "-o", str(out2), "--backend", "local", "--jobs", "2")
    assert res.exit_code != 0 and "admet.bbbp" in res.stderr and "corrupt" in res.stderr and out2.read_bytes() == before


def test_bad_inputs_write_nothing(mirror, cli, pharmakon_home, tmp_path):
    res = cli("admet", "predict", str(tmp_path / "none.csv"), "-o", str(tmp_path / "o.csv"))
    assert res.exit_code != 0 and "not registered" in res.stderr  # no models yet
    empty = tmp_path / "empty.smi"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        next(read_molecules(empty))
    nocol = tmp_path / "x.csv"
    nocol.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="no SMILES column"):
        next(read_molecules(nocol))
    with pytest.raises(InputError, match="'zzz' not found"):
        next(read_molecules(nocol, smiles_col="zzz"))


def test_smi_and_sdf_readers(tmp_path):
    from rdkit import Chem

    smi = tmp_path / "a.smi"
    smi.write_text("SMILES Name\nCCO ethanol\nc1ccccc1 benzene\nC1CC( broken\n")
    chunks = list(read_molecules(smi, chunk_size=2))
    assert [len(c) for c in chunks] == [2, 1] and chunks[0]["id"].tolist() == ["ethanol", "benzene"]
    sdf = tmp_path / "a.sdf"
    writer = Chem.SDWriter(str(sdf))
    for s, n in (("CCO", "eth"), ("CC(=O)O", "acetic")):
        m = Chem.MolFromSmiles(s)
        m.SetProp("_Name", n)
        writer.write(m)
    writer.close()
    sdf.write_text(sdf.read_text() + "garbage\nM  END\n$$$$\n")
    (chunk,) = read_molecules(sdf)
    assert chunk["id"].tolist()[:2] == ["eth", "acetic"] and chunk["parse_error"].iloc[2] != ""
    table = predict_chunk({}, chunk)
    assert table["status"].tolist()[:2] == ["ok", "ok"] and table["status"].iloc[2].startswith("invalid")


def test_ray_backend_gives_the_serial_panel(mirror, tmp_path, ray_session, pharmakon_home):
    from pharmakon.chem.admet import registered_panel, train_endpoint
    from pharmakon.core.registry import register_model
    from pharmakon.store import open_store

    models = {
        name: train_endpoint(ENDPOINTS[name], trials=0, max_rows=150, models=["ridge", "logistic"])
        for name in ("biogen_solubility", "bbbp")
    }
    smiles = endpoint_frame(ENDPOINTS["esol"])["smiles"].head(30).tolist() + ["C1CC("]
    inp = tmp_path / "in.smi"
    inp.write_text("".join(f"{s} m{i}\n" for i, s in enumerate(smiles)))
    serial = predict_file(models, inp, tmp_path / "serial.csv", backend="serial", chunk_size=8)
    on_ray = predict_file(models, inp, tmp_path / "ray.csv", backend="ray", chunk_size=8)
    assert serial["rows"] == on_ray["rows"] == 31 and on_ray["invalid"] == 1
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "ray.csv"), pd.read_csv(tmp_path / "serial.csv"))
    store = open_store()  # Ray workers reading the registered artifacts themselves
    with store.session() as session:
        for name, model in models.items():
            register_model(session, model, name=f"admet.{name}", actor="test", card=b"<html></html>")
    with store.read_session() as session:
        panel = registered_panel(session)
    predict_file(panel, inp, tmp_path / "ray_registered.csv", backend="ray", chunk_size=8)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "ray_registered.csv"), pd.read_csv(tmp_path / "serial.csv"))


def test_scaffold_folds_for_an_endpoint(mirror, cli, pharmakon_home):
    res = cli(
        "admet",
        "train",
        "-e",
        "bbbp",
        "--trials",
        "0",
        "--max-rows",
        "150",
        "--models",
        "logistic",
        "--cv-split",
        "scaffold",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    shown = json.loads(cli("model", "show", "admet.bbbp", "--json").stdout)
    assert shown["cv_split"] == "scaffold"
    res = cli("admet", "train", "-e", "bbbp", "--budget", "5", "--cv-split", "series")
    assert res.exit_code == 2 and "'random' or 'scaffold'" in " ".join(res.stderr.split())
