"""REST endpoints for trial design: compute, store, list, report, sample size, simulate.

Computing is open to viewers (it changes nothing); storing a design and running a
simulation are scientist actions and are audited. Request bodies are the specs of
:mod:`pharmakon.trials.design.service` (unknown keys refused, so a typo is a 422 naming
the key, never a silent default); responses are its typed results.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from pharmakon.api.deps import ScientistUser, StoreDep, ViewerUser
from pharmakon.caller import Caller
from pharmakon.errors import InputError
from pharmakon.specs import Spec
from pharmakon.trials.design import service
from pharmakon.trials.design.service import (
    DesignResult,
    DesignSpec,
    SampleSizeInputs,
    SampleSizeReport,
    SampleSizeSpec,
    SaveDesignSpec,
    SimulationReport,
    SimulationSpec,
    StoredDesign,
    StoredDesignRow,
    StoredSimulation,
    StoredSimulationRow,
)

router = APIRouter(prefix="/trial", tags=["trial"])

#: Largest version number (the store keeps 32-bit version numbers).
MAX_VERSION = 2**31 - 1

#: Most simulated trials one request may run (in the server process, serial backend).
MAX_API_SIMS = 2_000_000


class DesignSave(Spec):
    """Body of ``POST /trial/designs/{name}``: the design spec and why it is stored."""

    spec: DesignSpec
    reason: str | None = None


@router.post("/designs/compute", response_model=DesignResult)
def compute_design(spec: DesignSpec, _user: ViewerUser) -> DesignResult:
    """Boundaries and characteristics of a design (nothing stored)."""
    return service.compute_design(spec)


@router.get("/designs", response_model=list[StoredDesignRow])
def list_designs(store: StoreDep, _user: ViewerUser) -> list[StoredDesignRow]:
    """Stored designs (latest version of each)."""
    return service.list_designs(store).designs


@router.post("/designs/{name}", status_code=201, response_model=DesignResult)
def save_design(name: str, body: DesignSave, store: StoreDep, user: ScientistUser) -> DesignResult:
    """Compute and store a new version of design ``name`` (audited ``trial.design`` and ``object.save``)."""
    spec = SaveDesignSpec.parse(name=name, design=body.spec, reason=body.reason)
    return service.store_design(store, spec, Caller(user.username, "api"))


@router.get("/designs/{name}", response_model=StoredDesign)
def get_design(
    name: str, store: StoreDep, _user: ViewerUser, version: int | None = Query(None, ge=1, le=MAX_VERSION)
) -> StoredDesign:
    """One stored design version (latest by default)."""
    return service.show_design(store, name, version)


@router.get("/designs/{name}/report", response_class=HTMLResponse)
def design_report(
    name: str, store: StoreDep, _user: ViewerUser, version: int | None = Query(None, ge=1, le=MAX_VERSION)
) -> str:
    """The HTML report (boundaries, characteristics, plots) of a stored design."""
    return service.report_design(store, name, version).html


@router.post("/samplesize/{endpoint}", response_model=SampleSizeReport)
def sample_size(
    endpoint: Literal["means", "rates", "survival"], body: SampleSizeInputs, _user: ViewerUser
) -> SampleSizeReport:
    """Sample size for means, rates or survival (fixed design unless ``design`` gives looks)."""
    spec = SampleSizeSpec.parse(body.model_dump(exclude_unset=True), endpoint=endpoint)
    return service.compute_sample_size(spec)


@router.post("/simulate", response_model=SimulationReport)
def simulate(body: SimulationSpec, store: StoreDep, user: ScientistUser) -> SimulationReport:
    """Simulate operating characteristics in this process (serial backend); stored and audited."""
    if body.sims > MAX_API_SIMS:
        raise InputError(f"sims must be <= {MAX_API_SIMS} per request (use the CLI for more)", field="sims")
    return service.simulate_design(store, body, Caller(user.username, "api"), backend="serial")


@router.get("/simulations", response_model=list[StoredSimulationRow])
def list_simulations(store: StoreDep, _user: ViewerUser) -> list[StoredSimulationRow]:
    """Stored simulations (latest version of each)."""
    return service.list_simulations(store).simulations


@router.get("/simulations/{name}", response_model=StoredSimulation)
def get_simulation(
    name: str, store: StoreDep, _user: ViewerUser, version: int | None = Query(None, ge=1, le=MAX_VERSION)
) -> StoredSimulation:
    """One stored simulation version (latest by default)."""
    return service.show_simulation(store, name, version)
