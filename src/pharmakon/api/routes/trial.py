"""REST endpoints for trial design: compute, store, list, report, sample size, simulate.

Computing is open to viewers (it changes nothing); storing a design and running a
simulation are scientist actions and are audited. Spec bodies forbid unknown keys, so a
typo is a 422 naming the key, never a silent default.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from pharmakon.api.deps import ScientistUser, SessionDep, StoreDep, ViewerUser
from pharmakon.store import record_event
from pharmakon.trials import design as td

router = APIRouter(prefix="/trial", tags=["trial"])


class DesignSpec(BaseModel):
    """A group-sequential design spec (keys as in ``pharmakon.trials.design.DESIGN_KEYS``)."""

    model_config = ConfigDict(extra="forbid")
    kmax: int = Field(3, ge=1, le=20)
    alpha: float = 0.025
    beta: float = 0.2
    sided: int = 1
    spending: str = "OF"
    gamma: float | None = None
    delta_wt: float | None = None
    information_rates: list[float] | None = None
    futility: str = "none"
    gamma_b: float | None = None
    binding: bool = False
    futility_bounds: list[float] | None = None
    user_alpha_spending: list[float] | None = None
    user_beta_spending: list[float] | None = None


class DesignSave(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spec: DesignSpec
    reason: str | None = None


class SampleSizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    design: DesignSpec = Field(default_factory=lambda: DesignSpec(kmax=1))
    alternative: float | None = None
    stdev: float = 1.0
    pi1: float | None = None
    pi2: float | None = None
    hazard_ratio: float | None = None
    median2: float | None = None
    accrual_time: float = 12.0
    follow_up_time: float = 12.0
    groups: int = 2
    allocation_ratio: float = 1.0
    theta_h0: float = 0.0
    normal_approximation: bool = True
    risk_ratio: bool = False


class SimulateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    design: DesignSpec = Field(default_factory=DesignSpec)
    endpoint: Literal["rates", "means"] = "rates"
    pi1: float = 0.5
    pi2: float = 0.3
    alternative: float = 0.5
    stdev: float = 1.0
    planned: list[int]
    sims: int = Field(100_000, ge=1, le=2_000_000)
    seed: int = 0


def _spec(spec: DesignSpec) -> dict[str, Any]:
    return spec.model_dump(exclude_none=True)


@router.post("/designs/compute")
def compute_design(spec: DesignSpec, _user: ViewerUser) -> dict[str, Any]:
    """Boundaries and characteristics of a design (nothing stored)."""
    design = td.design_from_spec(_spec(spec))
    oc = td.operating_characteristics(design, n_points=21)
    return {"design": design.to_dict(), "summary": design.summary(), **oc}


@router.get("/designs")
def list_designs(store: StoreDep, _user: ViewerUser) -> list[dict[str, Any]]:
    """Stored designs (latest version of each)."""
    from pharmakon.store import list_objects

    with store.read_session() as session:
        objs = list_objects(session, td.KIND)
    return [
        {
            "name": o.name,
            "version": o.version,
            "created_by": o.created_by,
            "created_at": o.created_at,
            "critical_values": o.content["design"]["critical_values"],
        }
        for o in objs
    ]


@router.post("/designs/{name}", status_code=201)
def save_design(name: str, body: DesignSave, session: SessionDep, user: ScientistUser) -> dict[str, Any]:
    """Compute and store a new version of design ``name`` (audited ``object.save``)."""
    obj, design = td.save_design(session, name=name, spec=_spec(body.spec), actor=user.username, reason=body.reason)
    return {"name": obj.name, "version": obj.version, "content_hash": obj.content_hash, "design": design.to_dict()}


@router.get("/designs/{name}")
def get_design(
    name: str, store: StoreDep, _user: ViewerUser, version: int | None = Query(None, ge=1)
) -> dict[str, Any]:
    """One stored design version (latest by default)."""
    with store.read_session() as session:
        obj, _ = td.load_design(session, name, version)
    return obj.to_dict()


@router.get("/designs/{name}/report", response_class=HTMLResponse)
def design_report(name: str, store: StoreDep, _user: ViewerUser, version: int | None = Query(None, ge=1)) -> str:
    """The HTML report (boundaries, characteristics, plots) of a stored design."""
    with store.read_session() as session:
        obj, design = td.load_design(session, name, version)
    return td.design_report_html(design, f"{obj.name}@{obj.version}")


@router.post("/samplesize/{endpoint}")
def sample_size(
    endpoint: Literal["means", "rates", "survival"], body: SampleSizeRequest, _user: ViewerUser
) -> dict[str, Any]:
    """Sample size for means, rates or survival (fixed or group-sequential)."""
    import math

    from pharmakon.errors import InputError

    design = td.design_from_spec(_spec(body.design))
    common = {"groups": body.groups, "allocation_ratio": body.allocation_ratio, "theta_h0": body.theta_h0}
    if endpoint == "means":
        if body.alternative is None:
            raise InputError("means need 'alternative'", field="alternative")
        res = td.sample_size_means(
            design, body.alternative, body.stdev, normal_approximation=body.normal_approximation, **common
        )
    elif endpoint == "rates":
        if body.pi1 is None:
            raise InputError("rates need 'pi1'", field="pi1")
        res = td.sample_size_rates(design, body.pi1, body.pi2, risk_ratio=body.risk_ratio, **common)
    else:
        if body.hazard_ratio is None or body.median2 is None or body.median2 <= 0:
            raise InputError("survival needs 'hazard_ratio' and a positive 'median2'", field="median2")
        res = td.sample_size_survival(
            design,
            body.hazard_ratio,
            math.log(2) / body.median2,
            accrual_time=body.accrual_time,
            follow_up_time=body.follow_up_time,
            allocation_ratio=body.allocation_ratio,
        )
    return res.to_dict()


@router.post("/simulate")
def simulate(body: SimulateRequest, session: SessionDep, user: ScientistUser) -> dict[str, Any]:
    """Simulate operating characteristics in this process (serial backend; audited)."""
    design = td.design_from_spec(_spec(body.design))
    if body.endpoint == "rates":
        res = td.simulate_rates(
            design, body.pi1, body.pi2, body.planned, sims=body.sims, seed=body.seed, backend="serial"
        )
    else:
        res = td.simulate_means(
            design, body.alternative, body.stdev, body.planned, sims=body.sims, seed=body.seed, backend="serial"
        )
    record_event(
        session,
        actor=user.username,
        action="trial.simulate",
        object_type="trial_simulation",
        object_id=body.endpoint,
        params=body.model_dump(),
    )
    return res.to_dict()
