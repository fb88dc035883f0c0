"""REST endpoints of patient-trial matching (under /api/v1).

Matching needs the scientist role; reading stored results the viewer role. The bodies
are the service's specs with the data inline (``patients`` notes, ``trials`` objects,
FHIR ``resources``); file paths are refused here (they name the server's disk).
Turning de-identification off needs a user with PHI access.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import APIRouter

from pharmakon.api.deps import ScientistUser, StoreDep, ViewerUser
from pharmakon.caller import Caller
from pharmakon.errors import InputError, PermissionDeniedError
from pharmakon.store import UserInfo
from pharmakon.trials.matching import service
from pharmakon.trials.matching.specs import EvalSpec, MatchPatientsSpec, MatchTrialsSpec, SaveTrialsSpec

router = APIRouter(prefix="/matching", tags=["matching"])


class MatchTrialsBody(MatchTrialsSpec):
    """:class:`MatchTrialsSpec` with the patients and trials inline (no file fields)."""

    what: ClassVar[str] = "match trials body"


class MatchPatientsBody(MatchPatientsSpec):
    """:class:`MatchPatientsSpec` with the trial and FHIR resources inline (no file fields)."""

    what: ClassVar[str] = "match patients body"


def _no_files(body: Any, *fields: str) -> None:
    for f in fields:
        if getattr(body, f, None) is not None:
            raise InputError(f"{f} names a file on the server; send the data inline", field=f)


def _phi(body: Any, user: UserInfo) -> None:
    if not body.deidentify and not user.phi_access:
        raise PermissionDeniedError(f"user {user.username!r} has no PHI access: de-identification cannot be turned off")


@router.post("/trials", response_model=service.MatchTrialsResult)
def match_trials(body: MatchTrialsBody, store: StoreDep, user: ScientistUser) -> service.MatchTrialsResult:
    """Trials for each patient note, ranked, with every criterion's verdict and evidence (audited)."""
    _no_files(body, "patients_file", "trials_file")
    _phi(body, user)
    spec = MatchTrialsSpec.model_validate(body.model_dump(exclude_none=True, by_alias=True))
    return service.match_trials(store, spec, Caller(user.username, "api"))


@router.post("/patients", response_model=service.MatchPatientsResult)
def match_patients(body: MatchPatientsBody, store: StoreDep, user: ScientistUser) -> service.MatchPatientsResult:
    """Patients (FHIR resources) for one trial: eligible, undetermined, funnel, verdicts, equity (audited)."""
    _no_files(body, "trial_file", "patients_path")
    _phi(body, user)
    spec = MatchPatientsSpec.model_validate(body.model_dump(exclude_none=True))
    return service.match_patients(store, spec, Caller(user.username, "api"))


@router.post("/eval", response_model=service.EvalResult)
def evaluate(body: EvalSpec, store: StoreDep, user: ScientistUser) -> service.EvalResult:
    """Ranking metrics of the matcher beside BM25 on a public collection of the data mirror (audited)."""
    _no_files(body, "data")
    return service.evaluate(store, body, Caller(user.username, "api"))


@router.post("/collections", status_code=201, response_model=service.TrialCollectionInfo)
def save_trials(body: SaveTrialsSpec, store: StoreDep, user: ScientistUser) -> service.TrialCollectionInfo:
    """Store a trial collection (a new version of ``name``; audited)."""
    _no_files(body, "trials_file")
    return service.save_trials(store, body, Caller(user.username, "api"))


@router.get("/results", response_model=list[service.StoredResult])
def list_results(store: StoreDep, _user: ViewerUser) -> list[service.StoredResult]:
    """Stored matching objects (latest version of each)."""
    return service.list_results(store)


@router.get("/results/trial_match/{name}", response_model=service.MatchTrialsResult)
def get_trial_match(
    name: str, store: StoreDep, _user: ViewerUser, version: int | None = None
) -> service.MatchTrialsResult:
    """A stored trials-for-patients result."""
    result = service.get_result(store, "trial_match", name, version)
    assert isinstance(result, service.MatchTrialsResult)
    return result


@router.get("/results/patient_match/{name}", response_model=service.MatchPatientsResult)
def get_patient_match(
    name: str, store: StoreDep, _user: ViewerUser, version: int | None = None
) -> service.MatchPatientsResult:
    """A stored patients-for-trial result."""
    result = service.get_result(store, "patient_match", name, version)
    assert isinstance(result, service.MatchPatientsResult)
    return result
