"""The ``pharmakon`` command: one Typer app with one sub-app per area, each loaded on demand.

Start-up time is what a user feels on every command, so nothing heavy is imported here: a
command group's module (and the domain it drives) is imported only when that group is
invoked or its own help is shown. ``pharmakon --help`` lists the groups from the help text
written in each module, read without importing it.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from importlib import import_module
from importlib.util import find_spec
from typing import Annotated, Any, get_args

import typer
import typer.core as _typer_core

# Typer 0.29 carries its own copy of click: its exceptions and contexts are these, not ``click``'s.
from typer import _click as click

from pharmakon.errors import PharmakonError

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

#: Exit code of a usage error (unknown command, missing argument, bad option value), as click's.
USAGE_EXIT = 2


@cache
def group_help(module: str) -> str:
    """The ``help=`` text of ``app = typer.Typer(help=...)`` in ``module``, read without importing it.

    Falls back to the first line of the module docstring; empty if neither is a literal.
    """
    spec = find_spec(module)
    if spec is None or not spec.origin:
        return ""
    with open(spec.origin, encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), spec.origin)
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        if not any(isinstance(t, ast.Name) and t.id == "app" for t in node.targets):
            continue
        for kw in node.value.keywords:
            if kw.arg == "help" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                return kw.value.value
    return (ast.get_docstring(tree) or "").strip().split("\n", 1)[0]


class LazyGroup(_typer_core.TyperGroup):
    """The top-level group: sub-groups from :data:`COMMAND_GROUPS`, imported when first used.

    Usage errors anywhere below it come out as one plain ``error: ...`` line on stderr (never a
    Rich box, whatever ``COLUMNS`` is) with click's exit code 2.
    """

    _listing = False  # True while the top-level help is being formatted

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in COMMAND_GROUPS if n not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMAND_GROUPS:
            return super().get_command(ctx, cmd_name)
        if self._listing:  # the listing needs a name and a line of help, not the module
            return _typer_core.TyperGroup(name=cmd_name, help=group_help(COMMAND_GROUPS[cmd_name]))
        _configure_help()
        group = typer.main.get_group(import_module(COMMAND_GROUPS[cmd_name]).app)
        group.name = cmd_name
        self.commands[cmd_name] = group
        return group

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _configure_help()
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Run the command; a usage error is one plain line on stderr and exit code 2."""
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.ClickException as exc:
            if not standalone_mode:
                raise
            if type(exc).__name__ != "NoArgsIsHelpError":  # its help is already printed
                _plain_error(f"error: {_usage_message(exc)}")
            sys.exit(exc.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            _plain_error("error: aborted")
            sys.exit(1)
        if not standalone_mode:
            return rv
        # Non-standalone click returns an explicit ``Exit``'s code; commands themselves return None.
        sys.exit(rv if isinstance(rv, int) else 0)


def _usage_message(exc: click.exceptions.ClickException) -> str:
    """click's message on one line, with where to find help for a usage error."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.exceptions.UsageError) and ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return message


app = typer.Typer(
    name="pharmakon",
    cls=LazyGroup,
    help="Validated, auditable machine learning and simulation for drug development.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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


@cache
def _configure_help() -> None:
    """Help and usage going to a pipe get the fixed ``PIPE_WIDTH`` of every other output.

    So what a script or a test reads does not depend on COLUMNS; ``TERMINAL_WIDTH`` still sets
    it explicitly. Done only when help may be shown: Rich costs start-up time.
    """
    import typer.rich_utils as typer_rich

    from pharmakon.cli._common import PIPE_WIDTH

    if typer_rich.MAX_WIDTH is None and not sys.stdout.isatty():
        typer_rich.MAX_WIDTH = PIPE_WIDTH


INTERNAL_ERROR_EXIT = 70


@app.command()
def version(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show the pharmakon version, Python, and the configured store."""
    import json
    import platform

    from pharmakon._version import __version__
    from pharmakon.config import get_settings, mask_url

    info = {
        "pharmakon": __version__,
        "python": platform.python_version(),
        "store": mask_url(get_settings().resolved_database_url),
    }
    # Plain writes: this is the command people time, and Rich or the store would triple its start-up.
    if as_json:
        sys.stdout.write(json.dumps(info, indent=2) + "\n")
    else:
        sys.stdout.write(f"pharmakon {info['pharmakon']} (Python {info['python']}; store {info['store']})\n")


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
        app(prog_name="pharmakon")
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
