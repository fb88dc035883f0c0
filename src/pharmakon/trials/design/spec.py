"""Design and simulation specifications: plain dicts (YAML, JSON, forms) checked key by key.

A spec is what a user writes down; :func:`design_from_spec` turns it into a
:class:`GroupSequentialDesign`, refusing unknown keys (with the closest valid key as a
hint) so a typo such as ``alhpa`` can never silently fall back to a default.

Example YAML::

    design:
      kmax: 3
      alpha: 0.025
      spending: asOF
      information_rates: [0.33, 0.67, 1]
    simulate:
      endpoint: rates
      pi1: 0.5
      pi2: 0.3
      planned: [100, 200, 300]
      sims: 1000000
      seed: 42
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pharmakon.errors import InputError
from pharmakon.trials.design.groupsequential import GroupSequentialDesign, design_group_sequential

__all__ = ["DESIGN_KEYS", "SIMULATE_KEYS", "design_from_spec", "load_spec", "check_keys", "parse_rates"]

#: spec key -> design_group_sequential keyword
DESIGN_KEYS = {
    "kmax": "kmax",
    "alpha": "alpha",
    "beta": "beta",
    "sided": "sided",
    "spending": "type_of_design",
    "gamma": "gamma_a",
    "delta_wt": "delta_wt",
    "information_rates": "information_rates",
    "futility": "type_beta_spending",
    "gamma_b": "gamma_b",
    "binding": "binding_futility",
    "futility_bounds": "futility_bounds",
    "user_alpha_spending": "user_alpha_spending",
    "user_beta_spending": "user_beta_spending",
    "optimization_criterion": "optimization_criterion",
    "delta_pt1": "delta_pt1",
    "delta_pt0": "delta_pt0",
}
SIMULATE_KEYS = ("endpoint", "pi1", "pi2", "alternative", "stdev", "theta_h0", "planned", "sims", "seed")


def check_keys(spec: Mapping[str, Any], allowed: Any, where: str, file: str | None = None) -> None:
    """Refuse keys not in ``allowed``, naming the closest valid one."""
    allowed = list(allowed)
    for key in spec:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"unknown key {key!r} in {where}{hint} (allowed: {', '.join(allowed)})", file=file, field=str(key)
            )


def parse_rates(text: str | None, field: str = "information_rates") -> list[float] | None:
    """``"0.3,0.7,1"`` -> ``[0.3, 0.7, 1.0]`` (None stays None)."""
    if text is None or text == "":
        return None
    try:
        return [float(x) for x in str(text).replace(" ", "").split(",") if x]
    except ValueError as exc:
        raise InputError(f"expected comma-separated numbers, got {text!r}", field=field) from exc


def design_from_spec(spec: Mapping[str, Any], file: str | None = None) -> GroupSequentialDesign:
    """Build a design from a spec dict with the keys of :data:`DESIGN_KEYS`.

    Raises
    ------
    InputError
        Unknown key (with a suggestion), or a value outside its allowed range.
    """
    check_keys(spec, DESIGN_KEYS, "design spec", file)
    kwargs = {DESIGN_KEYS[k]: v for k, v in spec.items() if v is not None}
    if isinstance(kwargs.get("information_rates"), str):
        kwargs["information_rates"] = parse_rates(kwargs["information_rates"])
    if "type_beta_spending" in kwargs and kwargs["type_beta_spending"] in ("", "none", False):
        kwargs["type_beta_spending"] = "none"
    if "kmax" not in kwargs and kwargs.get("information_rates"):
        kwargs["kmax"] = len(kwargs["information_rates"])
    if kwargs.get("type_of_design") == "WToptimum" or "optimization_criterion" in kwargs:
        from pharmakon.trials.design.optimum import design_wt_optimum

        kwargs.pop("type_of_design", None)
        if kwargs.get("type_beta_spending") == "none":
            kwargs.pop("type_beta_spending")
        if kwargs.get("binding_futility") is False:
            kwargs.pop("binding_futility")
        extra = set(kwargs) - {"kmax", "alpha", "beta", "sided", "information_rates", "optimization_criterion"}
        if extra:
            raise InputError(f"WToptimum takes no {', '.join(sorted(extra))}", file=file, field=sorted(extra)[0])
        return design_wt_optimum(**kwargs)
    if kwargs.get("type_of_design") == "PT":
        from pharmakon.trials.design.pampallona import design_pampallona_tsiatis

        kwargs.pop("type_of_design")
        if kwargs.pop("sided", 1) != 1 or kwargs.pop("type_beta_spending", "none") != "none":
            raise InputError(
                "PT designs here are one-sided, with their own futility bounds", file=file, field="spending"
            )
        return design_pampallona_tsiatis(**kwargs)
    positional = ("kmax", "alpha", "beta", "sided", "type_of_design", "information_rates")
    args = {k: kwargs.pop(k) for k in positional if k in kwargs}
    return design_group_sequential(**args, **kwargs)


def load_spec(path: str | Path) -> dict[str, Any]:
    """Read a YAML (or JSON) spec with top-level ``design`` and optional ``simulate``."""
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read spec: {exc}", file=str(p)) from exc
    if not isinstance(data, dict):
        raise InputError("spec must be a mapping with a 'design' section", file=str(p))
    check_keys(data, ("design", "simulate", "name"), "spec", str(p))
    if not isinstance(data.get("design"), dict):
        raise InputError("spec needs a 'design' mapping", file=str(p), field="design")
    if "simulate" in data:
        if not isinstance(data["simulate"], dict):
            raise InputError("'simulate' must be a mapping", file=str(p), field="simulate")
        check_keys(data["simulate"], SIMULATE_KEYS, "simulate spec", str(p))
    return data
