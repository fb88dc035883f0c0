"""The layers of DESIGN.md, read from the source: arrows point down only.

Every module under ``src/pharmakon`` is parsed (never imported); its imports are the
``import`` statements, relative imports resolved, and every string constant naming a
``pharmakon.*`` module (the ``import_module`` registries of the app and the CLI).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "pharmakon"

FRONT_ENDS = {"cli", "api", "web"}
#: Modules above the front ends: they compose them (app, example seeding).
COMPOSERS = {"server", "seed"}
DOMAINS = {"chem", "nano", "process", "patients", "trials", "imaging"}
#: Shared machinery every layer may use; it uses nothing above it.
FOUNDATION = {"core", "store", "datasets", "executor"}
_MODULE_STRING = re.compile(r"^pharmakon(\.[A-Za-z_]\w*)+(:\w+)?$")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[tuple[str, tuple[str, ...], int]]:
    """(module, imported names, line) for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, (), node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, tuple(a.name for a in node.names), node.lineno
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _MODULE_STRING.match(node.value):
            yield node.value.partition(":")[0], (), node.lineno


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def _layer(module: str) -> str:
    """The top-level part of a ``pharmakon.*`` module (``pharmakon.trials.design.x`` -> ``trials``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _owner(module: str) -> str:
    """The package that owns a module's private names: ``trials.design``, ``patients.pgx``, ``core``."""
    parts = module.split(".")[1:]
    depth = 2 if parts and parts[0] in {"trials", "patients"} else 1
    return ".".join(parts[:depth])


def _violations() -> list[str]:
    found = []
    for path in _modules():
        here = _module_name(path)
        layer = _layer(here)
        for target, names, line in _imports(path):
            if not target.startswith("pharmakon.") and target != "pharmakon":
                continue
            dest = _layer(target)
            where = f"{path.relative_to(SRC)}:{line}: {here} imports {target}"
            if layer in DOMAINS and dest in FRONT_ENDS | COMPOSERS:
                found.append(f"{where} (a domain never imports front ends or the seeder)")
            if layer not in DOMAINS | FRONT_ENDS | COMPOSERS and dest in DOMAINS:
                found.append(f"{where} (shared machinery never imports a domain)")
            if layer not in FRONT_ENDS | COMPOSERS and dest in FRONT_ENDS | COMPOSERS:
                found.append(f"{where} (only the composers import front ends)")
            if layer in FRONT_ENDS and dest in FRONT_ENDS and dest != layer:
                found.append(f"{where} (front ends do not import each other)")
            if layer == "store" and dest in {"core", "datasets", "executor"}:
                found.append(f"{where} (the store is the bottom layer)")
            if _owner(target) != _owner(here):
                # The root package's own private modules (pharmakon._version) belong to every layer.
                private_module = any(p.startswith("_") and not p.startswith("__") for p in target.split(".")[2:])
                private_names = [n for n in names if n.startswith("_") and not n.startswith("__")]
                if private_module or private_names:
                    found.append(f"{where} (private name of another package: {private_names or target})")
    return found


def test_layers_point_down_only() -> None:
    problems = _violations()
    assert not problems, "layer rules broken:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from pharmakon.web import routes\n", "only the composers"),
        ("import importlib\nimportlib.import_module('pharmakon.cli.main')\n", "only the composers"),
        ("from pharmakon.trials.design._fm import x\n", "private name"),
        ("from pharmakon.store.audit import _canonical\n", "private name"),
        ("from pharmakon.chem import featurizers\n", "never imports a domain"),
    ],
)
def test_the_checker_sees_each_kind_of_violation(tmp_path, monkeypatch, source: str, expected: str) -> None:
    """A planted bad import in a core module is reported (the check can fail)."""
    fake = tmp_path / "pharmakon" / "core" / "planted.py"
    fake.parent.mkdir(parents=True)
    fake.write_text(source)
    monkeypatch.setattr(__import__(__name__, fromlist=["_modules"]), "_modules", lambda: [fake])
    monkeypatch.setattr(__import__(__name__, fromlist=["SRC"]), "SRC", tmp_path)
    assert any(expected in problem for problem in _violations())
