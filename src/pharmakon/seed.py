"""Worked examples that ``pharmakon serve`` seeds on first start (``make run``).

Each capability registers one :class:`Example`; seeding runs every example not yet
recorded in the audit trail (action ``seed.example``), so a restart seeds nothing
twice and a new release seeds only its new examples. This module sits beside
cli/api/web: it may call any domain.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pharmakon.config import Settings, get_settings
from pharmakon.errors import PharmakonError
from pharmakon.store import Store, create_user, list_events, record_event, sign

__all__ = ["Example", "EXAMPLES", "SeedReport", "seed_examples", "demo_credentials"]

SEED_ACTOR = "seed"
DEMO_USERS = (("admin", "admin"), ("sam", "scientist"), ("vic", "viewer"))


@dataclass(frozen=True)
class Example:
    """A worked example: ``run(store, settings)`` returns a one-line description of what it made.

    ``run`` is a callable or a ``"module:function"`` string imported when seeding, so
    registering an example does not import its domain. An example that ``signs`` is
    called as ``run(store, settings, signer=(username, password))`` with the demo
    scientist's credentials, so domains never read the seeder's files.
    """

    name: str
    run: Callable[..., str] | str
    signs: bool = False

    def __call__(self, store: Store, settings: Settings) -> str:
        run = self.run
        if isinstance(run, str):
            from importlib import import_module

            module, _, function = run.partition(":")
            run = getattr(import_module(module), function)
        if self.signs:
            return run(store, settings, signer=demo_signer(settings))
        return run(store, settings)


@dataclass
class SeedReport:
    seeded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"seeded: {line}" for line in self.seeded] + [f"not seeded: {line}" for line in self.skipped]
        if self.credentials:
            out.append("demo logins (local development only; also in PHARMAKON_HOME/demo-credentials.json):")
            out += [f"  {name:6s} {c['role']:9s} password {c['password']}" for name, c in self.credentials.items()]
        return out


def _credentials_path(settings: Settings) -> Path:
    return settings.home / "demo-credentials.json"


def demo_credentials(settings: Settings | None = None) -> dict[str, dict[str, str]]:
    """The demo users' passwords written by the first seeding (empty if none)."""
    path = _credentials_path(settings or get_settings())
    return json.loads(path.read_text()) if path.exists() else {}


def demo_signer(settings: Settings) -> tuple[str, str]:
    """``(username, password)`` of the demo scientist who signs worked examples."""
    from pharmakon.errors import NotFoundError

    creds = demo_credentials(settings)
    user = next((u for u, c in creds.items() if c.get("role") == "scientist"), None)
    if user is None:
        raise NotFoundError("no demo scientist to sign the example (seed demo-users first)")
    return user, creds[user]["password"]


def _demo_users(store: Store, settings: Settings) -> str:
    credentials = {name: {"role": role, "password": secrets.token_urlsafe(12)} for name, role in DEMO_USERS}
    with store.session() as session:
        for name, c in credentials.items():
            create_user(
                session,
                username=name,
                password=c["password"],
                role=c["role"],
                actor=SEED_ACTOR,
                reason="demo user seeded by `pharmakon serve`",
            )
    path = _credentials_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(credentials, indent=2))
    path.chmod(0o600)
    return "demo users admin (admin), sam (scientist), vic (viewer)"


def _demo_dataset(store: Store, settings: Settings) -> str:
    from pharmakon.caller import Caller
    from pharmakon.datasets.service import fetch_dataset

    name = "moleculenet"
    folder = fetch_dataset(store, name, Caller(SEED_ACTOR, "python"), settings=settings).path
    password = demo_credentials(settings)["sam"]["password"]
    with store.session() as session:
        sign(
            session,
            username="sam",
            password=password,
            object_type="dataset",
            object_id=name,
            meaning="reviewed",
            reason="checksums verified on fetch; demo signature",
        )
    return f"data set {name} fetched into {folder} and signed as reviewed by sam"


#: Seeded in order; each domain adds one line (demo users come first: others sign as them).
EXAMPLES: list[Example] = [
    Example("demo-users", _demo_users),
    Example("demo-dataset", _demo_dataset),
    Example("pgx-report", "pharmakon.patients.pgx.persist:seed_example"),
    Example("esol-model", "pharmakon.chem.examples:seed_example"),
    Example("chemprop-model", "pharmakon.chem.examples:seed_chemprop_example"),
    Example("safety-signals", "pharmakon.trials.safety.examples:seed_example"),
    Example("trial-design", "pharmakon.trials.design.persist:seed_example", signs=True),
    Example("admet-panel", "pharmakon.chem.panel_examples:seed_panel_example"),
    Example("trialdata-review", "pharmakon.trials.cdisc.examples:seed_example"),
    Example("imaging-recist", "pharmakon.imaging.examples:seed_example"),
    Example("nano-formulation", "pharmakon.nano.formulation.examples:seed_example"),
    Example("matching", "pharmakon.trials.matching.examples:seed_example"),
    Example("nano-delivery", "pharmakon.nano.delivery.examples:seed_example"),
    Example("process-tep-monitor", "pharmakon.process.examples:seed_example"),
]


def seed_examples(store: Store, settings: Settings | None = None) -> SeedReport:
    """Run every example not seeded yet; one that fails is reported, not fatal."""
    settings = settings or get_settings()
    report = SeedReport()
    with store.read_session() as session:
        done = {e.object_id for e in list_events(session, action="seed.example", limit=10_000)[0]}
    for example in EXAMPLES:
        if example.name in done:
            continue
        try:
            summary = example(store, settings)
        except PharmakonError as exc:
            report.skipped.append(f"{example.name}: {exc.message}")
            continue
        with store.session() as session:
            record_event(
                session,
                actor=SEED_ACTOR,
                action="seed.example",
                object_type="example",
                object_id=example.name,
                params={"summary": summary},
            )
        report.seeded.append(summary)
    report.credentials = demo_credentials(settings)
    return report
