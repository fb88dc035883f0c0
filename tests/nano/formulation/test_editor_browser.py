"""The formulation editor in Chromium: changing a recipe value re-predicts the CQAs with intervals."""

from __future__ import annotations

import pytest

from pharmakon.caller import Caller
from pharmakon.nano.formulation.service import fit_formulation
from pharmakon.nano.formulation.specs import FitSpec
from pharmakon.store import Store
from tests.web.test_workbench import log_in

from .test_service import _table

pytestmark = pytest.mark.browser


def _predicted_size(page) -> float:
    cells = page.locator("[data-testid=nano-prediction] tbody tr td")
    assert cells.nth(0).text_content() == "size" and "–" in cells.nth(2).text_content()
    return float(cells.nth(1).text_content())


def test_editor_repredicts_when_the_recipe_changes(page, store: Store, make_user) -> None:
    spec = FitSpec(targets=["size"], name="ed", form="miso", repeats=1, cv=3, models=["ridge"])
    fit_formulation(store, spec, Caller("t"), frame=_table())
    _, password, _ = make_user("sam", "scientist")
    log_in(page, "sam", password)
    page.goto("/nano/formulation/editor/ed")
    assert page.locator("[data-testid=nano-prediction]").count() == 0
    page.fill("input[name=A]", "0.4")
    page.fill("input[name=B]", "0.6")
    with page.expect_navigation():  # no button click: the change event submits the recipe
        page.fill("input[name=FRR]", "1")
        page.locator("input[name=FRR]").dispatch_event("change")
    low = _predicted_size(page)
    assert page.input_value("input[name=FRR]") == "1"  # the recipe stays in the form
    with page.expect_navigation():
        page.fill("input[name=FRR]", "5")
        page.locator("input[name=FRR]").dispatch_event("change")
    high = _predicted_size(page)
    # the training surface rises 8 nm per unit of FRR: four units apart, about 32 nm
    assert 20 < high - low < 45
