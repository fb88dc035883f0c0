"""The seeded worked example: PLGA-PEG models, an LHS design and a proposed batch, deterministic."""

from __future__ import annotations

import pytest

from pharmakon.config import get_settings
from pharmakon.store import Store, get_object
from tests.conftest import MIRROR


@pytest.mark.slow
def test_seed_example_is_deterministic(store: Store, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if database_url.startswith("postgresql"):
        pytest.skip("the example is store-agnostic; run once (the service tests cover PostgreSQL)")
    if not (MIRROR / "plga_peg_microfluidics").exists():
        pytest.skip("data mirror not available")
    from pharmakon.nano.formulation.examples import seed_example

    monkeypatch.setenv("PHARMAKON_DATA_MIRROR", str(MIRROR))
    get_settings.cache_clear()

    text = seed_example(store, get_settings())
    assert "plga-peg" in text and "proposed 8 experiments" in text
    with store.read_session() as session:
        first = get_object(session, "nano_proposal", "plga-peg-next").content["rows"]
        fit = get_object(session, "nano_model_set", "plga-peg").content
    assert set(fit["targets"]) == {"Z_ave", "PDI"} and len(first) == 8
    seed_example(store, get_settings())
    with store.read_session() as session:
        again = get_object(session, "nano_proposal", "plga-peg-next", 2).content["rows"]
        fit2 = get_object(session, "nano_model_set", "plga-peg", 2).content
    assert again == first and fit2["oof_r2"] == fit["oof_r2"]
