"""The ``pharmakon`` command: one Typer app with one sub-app per area."""

from __future__ import annotations

import platform
import sys
from importlib import import_module
from typing import Annotated, Any, get_args

import typer
import typer.core as _typer_core
import typer.rich_utils as _typer_rich

from pharmakon._version import __version__
from pharmakon.cli._common import PIPE_WIDTH, console, print_json
from pharmakon.errors import PharmakonError

app = typer.Typer(
    name="pharmakon",
    help="Validated, auditable machine learning and simulation for drug development.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
#: Command group name -> module holding its Typer ``app``. Each domain adds one line.
COMMAND_GROUPS: dict[str, str] = {
    "audit": "pharmakon.cli.audit",
    "users": "pharmakon.cli.users",
    "data": "pharmakon.cli.data",
    "pgx": "pharmakon.cli.pgx",
    "model": "pharmakon.cli.model",
    "admet": "pharmakon.cli.admet",
    "safety": "pharmakon.cli.safety",
    "trial": "pharmakon.cli.trial",
    "nano": "pharmakon.cli.nano",
    "process": "pharmakon.cli.process",
    "match": "pharmakon.cli.match",
    "trialdata": "pharmakon.cli.trialdata",
    "imaging": "pharmakon.cli.imaging",
}
for _name, _module in COMMAND_GROUPS.items():
    app.add_typer(import_module(_module).app, name=_name)


# -- help metavars ----------------------------------------------------------------------------
# Typer prints each option's Python type in help (``<bool>``, ``<list[str]>``, ``<float>``).
# Users read plain metavars instead: TEXT, INTEGER, NUMBER, FILE, a|b choices, and nothing for
# an on/off flag. One hook here covers every command; an explicit ``metavar=`` still wins.
_PLAIN_TYPES: dict[type, str] = {str: "TEXT", int: "INTEGER", float: "NUMBER", bool: "BOOLEAN"}


def _plain_label(param: Any, ctx: Any) -> str:
    desc = param.type_descriptor
    if desc.is_choice:
        return "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
    if desc.is_path or desc.is_file:
        return {"file": "FILE", "dir": "DIR"}.get(desc.path_type, "PATH") if desc.is_path else "FILE"
    if desc.is_datetime:
        return "DATETIME"
    annotation = desc.annotation
    if desc.is_list:
        args = get_args(annotation)
        annotation = args[0] if args else str
    if desc.is_tuple:
        return " ".join(_PLAIN_TYPES.get(a, getattr(a, "__name__", "VALUE").upper()) for a in get_args(annotation))
    return _PLAIN_TYPES.get(annotation, getattr(annotation, "__name__", "VALUE").upper())


def _plain_display_type(self: Any, ctx: Any) -> str | None:
    if self.metavar is not None:
        return self.metavar
    if getattr(self, "is_flag", False) or getattr(self, "count", False):
        return None  # an on/off flag or a counter takes no value
    try:
        label = _plain_label(self, ctx)
    except AttributeError:  # a Typer without type descriptors: keep its own label
        return _TYPER_DISPLAY_TYPE(self, ctx)
    return label + ("..." if self.nargs != 1 or self.type_descriptor.is_list else "")


_TYPER_DISPLAY_TYPE = getattr(_typer_core.TyperOption, "display_type_rich", None)
if _TYPER_DISPLAY_TYPE is not None:
    _typer_core.TyperOption.display_type_rich = _plain_display_type  # type: ignore[method-assign]
    _typer_core.TyperArgument.display_type_rich = _plain_display_type  # type: ignore[method-assign]

# Help and usage going to a pipe get the same fixed width as every other output of the CLI
# (``PIPE_WIDTH``), so what a script or a test reads does not depend on COLUMNS;
# ``TERMINAL_WIDTH`` still sets it explicitly.
if _typer_rich.MAX_WIDTH is None and not sys.stdout.isatty():
    _typer_rich.MAX_WIDTH = PIPE_WIDTH


INTERNAL_ERROR_EXIT = 70


@app.command()
def version(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show the pharmakon version, Python, and the configured store."""
    from pharmakon.config import get_settings
    from pharmakon.store import mask_url

    info = {
        "pharmakon": __version__,
        "python": platform.python_version(),
        "store": mask_url(get_settings().resolved_database_url),
    }
    if as_json:
        print_json(info)
    else:
        console.print(f"pharmakon {info['pharmakon']} (Python {info['python']}; store {info['store']})", markup=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="API worker processes.")] = 1,
    seed: Annotated[bool, typer.Option("--seed/--no-seed", help="Seed worked examples on first start.")] = True,
) -> None:
    """Start the REST API and the workbench on the configured store."""
    import uvicorn

    from pharmakon.seed import seed_examples
    from pharmakon.store import open_store

    _check_port_free(host, port)
    store = open_store()  # migrate once here, before workers start
    if seed:
        report = seed_examples(store)
        for line in report.lines():
            typer.echo(line)
    store.dispose()
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    typer.echo(f"pharmakon workbench: {url}/   API docs: {url}/api/docs")
    uvicorn.run(
        "pharmakon.server:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
    )


def _check_port_free(host: str, port: int) -> None:
    """Refuse a busy port before seeding or printing a URL that would not answer."""
    import socket

    from pharmakon.errors import InputError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise InputError(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose another port with --port "
                "(`make run PORT=8001`)",
                field="port",
            ) from None


def main() -> None:
    """Entry point: run the app, turning pharmakon errors into one clear line and an exit code."""
    try:
        app()
    except PharmakonError as exc:
        _plain_error(f"error: {exc.message}")
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        _plain_error("interrupted")
        raise SystemExit(130) from None
    except Exception as exc:  # noqa: BLE001 - last line of defence: no tracebacks for users
        if _debug():
            raise
        _plain_error(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "Re-run with PHARMAKON_DEBUG=1 to see the traceback, and please report it."
        )
        raise SystemExit(INTERNAL_ERROR_EXIT) from None


def _plain_error(text: str) -> None:
    """One plain line on stderr: no colour, no wrapping at the terminal width, no box."""
    sys.stderr.write(text.rstrip("\n") + "\n")
    sys.stderr.flush()


def _debug() -> bool:
    from pharmakon.config import get_settings

    try:
        return get_settings().debug
    except PharmakonError:  # an invalid setting must not hide the original error
        return False


if __name__ == "__main__":  # pragma: no cover
    main()
