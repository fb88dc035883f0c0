"""One Jinja environment for every HTML page and report pharmakon renders.

The workbench pages and the domains' standalone reports (model cards, trial design
reports, DSMB reports) share it: the same loader and autoescaping. Report
templates live in ``pharmakon/templates``; the workbench adds its own folder with
:func:`add_template_folder`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

__all__ = ["environment", "add_template_folder", "render"]

_REPORTS = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared environment (autoescaped HTML)."""
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(_REPORTS))]),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    )


def add_template_folder(folder: str | Path) -> None:
    """Let templates in ``folder`` be found too (searched before the report templates)."""
    loader = environment().loader
    assert isinstance(loader, jinja2.ChoiceLoader)
    folder = str(folder)
    if not any(isinstance(one, jinja2.FileSystemLoader) and folder in one.searchpath for one in loader.loaders):
        loader.loaders = [jinja2.FileSystemLoader(folder), *loader.loaders]


def render(template: str, **context: Any) -> str:
    """Render ``template`` (a file name in a template folder) with ``context`` to HTML text."""
    return environment().get_template(template).render(**context)
