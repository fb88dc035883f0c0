"""The seeded ADMET panel example: registers its endpoints all-or-nothing, once."""

from __future__ import annotations

import pytest

from pharmakon.chem import admet
from pharmakon.chem.panel_examples import EXAMPLE_ENDPOINTS, EXAMPLE_MOLECULES, example_text, seed_panel_example
from pharmakon.config import get_settings
from pharmakon.core.registry import list_models
from pharmakon.errors import InputError
from pharmakon.store import Store
from tests.api.test_admet_api import register_tiny, tiny_models
from tests.conftest import MIRROR

pytestmark = pytest.mark.skipif(not MIRROR.exists(), reason="needs the data mirror")


def _versions(store: Store) -> dict[str, int]:
    with store.read_session() as session:
        return {o.name: o.version for o in list_models(session) if o.name.startswith("admet.")}


# Real training takes seconds: run it on SQLite only; the all-or-nothing test below covers both databases.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_seed_trains_the_missing_endpoints_then_nothing(store: Store, mirror) -> None:
    register_tiny(store, ("bbbp",))  # as if `pharmakon admet train -e bbbp` ran before
    summary = seed_panel_example(store, get_settings())
    assert summary.startswith("ADMET panel example: 2 endpoint(s) registered")
    assert _versions(store) == {f"admet.{n}": 1 for n in EXAMPLE_ENDPOINTS}  # bbbp kept, not retrained
    with store.read_session() as session:
        panel = admet.load_panel(session)
    assert list(panel) == list(EXAMPLE_ENDPOINTS)
    assert [panel[n].task for n in EXAMPLE_ENDPOINTS] == ["regression", "classification", "classification"]
    assert all(panel[n].qc["n_rows_out"] <= 300 for n in ("biogen_solubility", "pb_ames"))
    again = seed_panel_example(store, get_settings())
    assert "already registered" in again and _versions(store) == {f"admet.{n}": 1 for n in EXAMPLE_ENDPOINTS}


def test_seed_failure_registers_nothing(store: Store, monkeypatch) -> None:
    tiny = tiny_models()

    def fake_train(endpoint, **kwargs):  # two endpoints train, the third fails
        if endpoint.name == "pb_ames":
            raise InputError("simulated failure", field="endpoints")
        return tiny["lipophilicity"]

    monkeypatch.setattr(admet, "train_endpoint", fake_train)
    with pytest.raises(InputError, match="simulated failure"):
        seed_panel_example(store, get_settings())
    assert _versions(store) == {}


def test_example_molecules_and_registration() -> None:
    from pharmakon.seed import EXAMPLES

    [entry] = [e for e in EXAMPLES if e.name == "admet-panel"]
    assert entry.run == "pharmakon.chem.panel_examples:seed_panel_example"
    lines = example_text().splitlines()
    assert len(lines) == len(EXAMPLE_MOLECULES) and lines[-1].endswith(" broken_ring")
    from rdkit import Chem

    from pharmakon.chem import rdkit_quiet

    with rdkit_quiet():
        parsed = [Chem.MolFromSmiles(s) is not None for _, s in EXAMPLE_MOLECULES]
    assert parsed == [True] * (len(EXAMPLE_MOLECULES) - 1) + [False]
