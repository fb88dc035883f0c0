"""The PBPK model spec: a YAML file (or a built-in name) validated into typed compartments.

Units: amounts in the dose's unit (mg for the built-in model), volumes in L, flows and
clearances in L/h, rate constants in 1/h, times in h.

The core keys mean exactly the perfusion-limited star model of the contract::

    dose: {amount: 1.0, into: plasma}          # bolus at t = 0 into the central compartment
    compartments:
      - {name: plasma, volume: 0.001, clearance: 0.0}
      - {name: liver, volume: 0.0013, blood_flow: 0.0048, partition: 0.08, clearance: 0.0}
    population: {n: 1000, seed: 1, cv: {liver.partition: 0.3, plasma.clearance: 0.2}}

dA_i/dt = Q_i (C_b - C_i/P_i) - CL_i C_i for every organ, the central compartment gets the
return flows, and clearances move amount to the cumulative ``excreted`` state.

Extensions for nanoparticles (absent, they change nothing):

- ``vascular_fraction`` (0-1) + ``permeability`` (PA coefficient, fraction of the organ's
  blood flow: PA = permeability * Q, L/h): a permeability-limited organ with a capillary
  blood sub-compartment of volume f*V and a tissue sub-compartment (1-f)*V. Blood flow
  reaches the capillary blood; dA_v/dt = Q (C_b - C_v) - PA (C_v - C_t/P),
  dA_t/dt = PA (C_v - C_t/P) - CL C_t.
- ``phagocytic``: uptake by phagocytic cells from the tissue (``site: tissue``) or capillary
  blood (``site: vascular``) with a time-dependent rate
  K(t) = max_rate * t^hill / (half_time^hill + t^hill) (1/h), limited by a ``capacity``
  (amount per L of organ volume: K is multiplied by max(0, 1 - A_pc / (capacity*V))) and
  released back at ``release`` (1/h).
- ``urine`` (L/h, on the capillary-blood concentration, or the compartment's own) and
  ``bile`` (L/h, on the tissue concentration): separate excretion routes; both count in
  ``excreted``.
- ``returns_to``: the organ's venous outflow goes to another organ's capillary blood
  instead of the central compartment (the spleen's portal outflow into the liver); that
  organ's outflow then carries both flows.
- ``solver``: ``rtol``/``atol`` (atol relative to the dose) and ``max_evaluations``.
"""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pharmakon.errors import InputError

__all__ = [
    "BUILTIN_SPECS",
    "Phagocytic",
    "Compartment",
    "Dose",
    "Population",
    "Solver",
    "PBPKSpec",
    "builtin_spec_names",
    "load_spec",
    "parse_spec",
    "VARIABLE_PARAMETERS",
]

#: Built-in specs shipped in ``nano/delivery/specs/`` (name -> file name).
BUILTIN_SPECS = {"nanoparticle-mouse": "nanoparticle-mouse.yaml"}
#: Largest spec file read (bytes), compartments per spec and subjects per population.
MAX_SPEC_BYTES = 1_000_000
MAX_COMPARTMENTS = 64
MAX_SUBJECTS = 1_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Phagocytic(_Strict):
    """Uptake by phagocytic cells: time-dependent Hill rate, capacity, release."""

    max_rate: float = Field(ge=0, le=1e6, description="Maximum uptake rate constant (1/h).")
    half_time: float = Field(gt=0, le=1e6, description="Time of half-maximum uptake rate (h).")
    hill: float = Field(1.0, gt=0, le=100, description="Hill coefficient (unitless).")
    release: float = Field(0.0, ge=0, le=1e6, description="Release rate constant back to the site (1/h).")
    capacity: float | None = Field(None, gt=0, description="Uptake capacity, amount per L of organ (None: none).")
    site: Literal["tissue", "vascular"] = Field("tissue", description="Where the cells take particles up from.")


class Compartment(_Strict):
    """One compartment; the central one (``dose.into``) has no ``blood_flow``."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    volume: float = Field(description="Volume (L), > 0.")
    blood_flow: float | None = Field(None, description="Blood flow from the central compartment (L/h), > 0.")
    partition: float = Field(1.0, description="Tissue:blood partition coefficient, > 0.")
    clearance: float = Field(0.0, description="Clearance to 'excreted' (L/h), >= 0.")
    vascular_fraction: float | None = Field(None, gt=0, lt=1, description="Capillary blood fraction of volume.")
    permeability: float | None = Field(None, gt=0, le=1e3, description="PA coefficient (fraction of blood flow).")
    phagocytic: Phagocytic | None = None
    urine: float = Field(0.0, ge=0, description="Urinary clearance (L/h).")
    bile: float = Field(0.0, ge=0, description="Biliary clearance (L/h).")
    returns_to: str | None = Field(None, description="Venous outflow into this organ's capillary blood.")
    note: str | None = Field(None, max_length=2000, description="Free text (the parameter source).")

    @property
    def permeability_limited(self) -> bool:
        return self.vascular_fraction is not None and self.permeability is not None


class Dose(_Strict):
    amount: float = Field(gt=0, le=1e12, description="Bolus amount at t = 0.")
    into: str = Field(min_length=1, description="Central blood compartment receiving the dose.")


class Population(_Strict):
    n: int = Field(1, ge=1, le=MAX_SUBJECTS, description="Subjects.")
    seed: int = Field(0, ge=0, le=2**32 - 1)
    cv: dict[str, float] = Field(default_factory=dict, description="'compartment.parameter' -> CV (fraction).")


class Solver(_Strict):
    rtol: float = Field(1e-10, ge=1e-13, le=1e-2, description="Relative tolerance (BDF local error).")
    atol: float = Field(1e-14, ge=1e-20, le=1e-2, description="Absolute tolerance relative to the dose amount.")
    max_evaluations: int = Field(1_000_000, ge=1, le=100_000_000, description="Right-hand-side evaluations.")


class PBPKSpec(_Strict):
    """A whole model: dose, compartments, optional population variability and solver settings."""

    name: str | None = Field(None, max_length=128)
    description: str | None = Field(None, max_length=5000)
    references: list[str] = Field(default_factory=list, max_length=50)
    dose: Dose
    compartments: list[Compartment] = Field(min_length=1, max_length=MAX_COMPARTMENTS)
    population: Population | None = None
    solver: Solver = Field(default_factory=Solver)

    @property
    def central(self) -> Compartment:
        return next(c for c in self.compartments if c.name == self.dose.into)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.compartments]


#: Parameters a population CV may vary ('phagocytic.x' for the uptake parameters).
VARIABLE_PARAMETERS = (
    "volume",
    "blood_flow",
    "partition",
    "clearance",
    "permeability",
    "urine",
    "bile",
    "phagocytic.max_rate",
    "phagocytic.half_time",
    "phagocytic.hill",
    "phagocytic.release",
    "phagocytic.capacity",
)


def builtin_spec_names() -> list[str]:
    """Names accepted by :func:`load_spec` besides a file path."""
    return sorted(BUILTIN_SPECS)


def _where(data: Any, loc: tuple[Any, ...]) -> str:
    """``compartments[liver].volume`` for a pydantic location (list items named by their ``name``)."""
    out, node = "", data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            label = item.get("name") if isinstance(item, dict) and item.get("name") else part
            out += f"[{label}]"
            node = item
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class owning the last key of ``loc``."""
    owners: dict[str, type[BaseModel]] = {
        "dose": Dose,
        "compartments": Compartment,
        "population": Population,
        "solver": Solver,
        "phagocytic": Phagocytic,
    }
    model: type[BaseModel] | None = PBPKSpec
    for part in loc[:-1]:
        if isinstance(part, str):
            model = owners.get(part)
    return model


def _validation_error(exc: ValidationError, data: Any, file: str | None) -> InputError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    where = _where(data, loc)
    if err["type"] == "extra_forbidden":
        owner = _model_at(loc)
        allowed = list(owner.model_fields) if owner else []
        section = _where(data, loc[:-1]) or "the spec"
        key = str(loc[-1])
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return InputError(
            f"unknown key {key!r} in {section}{hint} (allowed: {', '.join(allowed)})", file=file, field=where
        )
    message = str(err["msg"]).removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
    return InputError(f"{message}{shown}", file=file, field=where)


def _fail(message: str, file: str | None, field: str) -> InputError:
    return InputError(message, file=file, field=field)


def _check_compartment(c: Compartment, names: set[str], central: str, file: str | None) -> None:
    at = f"compartments[{c.name}]"
    if c.volume <= 0:
        raise _fail(f"volume must be > 0 L, got {c.volume}", file, f"{at}.volume")
    if c.partition <= 0:
        raise _fail(f"partition must be > 0, got {c.partition}", file, f"{at}.partition")
    if c.clearance < 0:
        raise _fail(f"clearance must be >= 0 L/h, got {c.clearance}", file, f"{at}.clearance")
    if c.name == central:
        for key in ("blood_flow", "returns_to", "vascular_fraction", "permeability", "phagocytic"):
            if getattr(c, key) is not None:
                raise _fail(f"the central compartment (dose.into) takes no {key}", file, f"{at}.{key}")
        if c.bile:
            raise _fail("the central compartment has no tissue for biliary excretion", file, f"{at}.bile")
        return
    if c.blood_flow is None:
        raise _fail("an organ needs a blood_flow (L/h) from the central compartment", file, f"{at}.blood_flow")
    if c.blood_flow <= 0:
        raise _fail(f"blood_flow must be > 0 L/h, got {c.blood_flow}", file, f"{at}.blood_flow")
    if (c.vascular_fraction is None) != (c.permeability is None):
        key = "permeability" if c.permeability is None else "vascular_fraction"
        raise _fail("a permeability-limited organ needs both vascular_fraction and permeability", file, f"{at}.{key}")
    if c.phagocytic is not None and c.phagocytic.site == "vascular" and not c.permeability_limited:
        raise _fail("site 'vascular' needs a permeability-limited organ", file, f"{at}.phagocytic.site")
    if c.returns_to is not None:
        _check_target(c, names, central, file)


def _check_target(c: Compartment, names: set[str], central: str, file: str | None) -> None:
    at = f"compartments[{c.name}].returns_to"
    if c.returns_to not in names:
        close = difflib.get_close_matches(c.returns_to or "", sorted(names), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise _fail(f"flow into unknown compartment {c.returns_to!r}{hint}", file, at)
    if c.returns_to in (central, c.name):
        raise _fail(f"returns_to must name another organ, not {c.returns_to!r}", file, at)


def _check_structure(spec: PBPKSpec, file: str | None) -> None:
    names = spec.names
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise _fail(f"compartment names must be unique; repeated: {dupes}", file, f"compartments[{dupes[0]}].name")
    for reserved in ("excreted", "subject", "time", "urine", "bile"):
        if reserved in names:
            raise _fail(f"{reserved!r} is a reserved output name", file, f"compartments[{reserved}].name")
    if spec.dose.into not in names:
        close = difflib.get_close_matches(spec.dose.into, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise _fail(f"dose into unknown compartment {spec.dose.into!r}{hint}", file, "dose.into")
    by_name = {c.name: c for c in spec.compartments}
    for c in spec.compartments:
        _check_compartment(c, set(names), spec.dose.into, file)
    for c in spec.compartments:
        target = by_name.get(c.returns_to or "")
        if target is not None and target.returns_to is not None:
            raise _fail(
                f"{c.returns_to!r} returns to {target.returns_to!r}: one level of returns_to only",
                file,
                f"compartments[{c.name}].returns_to",
            )
    if spec.population is not None:
        _check_cv(spec, by_name, file)


def _check_cv(spec: PBPKSpec, by_name: dict[str, Compartment], file: str | None) -> None:
    assert spec.population is not None
    for key, cv in spec.population.cv.items():
        field = f"population.cv.{key}"
        comp, _, param = key.partition(".")
        if comp not in by_name:
            close = difflib.get_close_matches(comp, list(by_name), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise _fail(f"unknown compartment {comp!r}{hint}", file, field)
        if param not in VARIABLE_PARAMETERS:
            close = difflib.get_close_matches(param, VARIABLE_PARAMETERS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise _fail(f"unknown parameter {param!r}{hint} (allowed: {', '.join(VARIABLE_PARAMETERS)})", file, field)
        if not 0 <= cv <= 5:
            raise _fail(f"a CV is a fraction in [0, 5], got {cv}", file, field)
        if parameter_value(by_name[comp], param) is None:
            raise _fail(f"{comp} has no {param} to vary", file, field)


def parameter_value(c: Compartment, param: str) -> float | None:
    """The value of ``param`` (a :data:`VARIABLE_PARAMETERS` name) in compartment ``c``."""
    if param.startswith("phagocytic."):
        return None if c.phagocytic is None else getattr(c.phagocytic, param.split(".", 1)[1])
    return getattr(c, param)


def parse_spec(data: Any, *, file: str | None = None) -> PBPKSpec:
    """Validate a mapping (read from YAML or JSON) into a :class:`PBPKSpec`.

    Raises
    ------
    InputError
        Naming the file and the field (``compartments[liver].partition``): an unknown key
        with the closest valid one, a negative volume or flow, a partition of zero, a flow or
        dose into an unknown compartment, a CV of an unknown parameter.
    """
    if not isinstance(data, dict):
        raise InputError(f"a PBPK spec is a mapping, got {type(data).__name__}", file=file)
    try:
        spec = PBPKSpec.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, data, file) from None
    _check_structure(spec, file)
    return spec


def _builtin_text(name: str) -> str:
    return resources.files("pharmakon.nano.delivery").joinpath("specs", BUILTIN_SPECS[name]).read_text("utf-8")


def load_spec(source: str | Path) -> tuple[PBPKSpec, str]:
    """A spec from a built-in name or a YAML/JSON file; returns ``(spec, label)``.

    Raises
    ------
    InputError
        Unknown built-in or missing file (with the built-ins listed), unreadable YAML,
        or an invalid spec (see :func:`parse_spec`).
    """
    text = str(source)
    if text in BUILTIN_SPECS:
        return parse_spec(yaml.safe_load(_builtin_text(text)), file=f"builtin:{text}"), text
    path = Path(text)
    if not path.is_file():
        raise InputError(
            f"no spec file {text!r} and no built-in of that name (built-ins: {', '.join(builtin_spec_names())})",
            field="spec",
        )
    if path.stat().st_size > MAX_SPEC_BYTES:
        raise InputError(f"spec file is larger than {MAX_SPEC_BYTES:,} bytes", file=text)
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid YAML: {exc}", file=text) from None
    return parse_spec(data, file=text), text
