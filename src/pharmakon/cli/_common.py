"""What every CLI command shares: consoles, JSON output, the acting user."""

from __future__ import annotations

import getpass
import json
import sys
from typing import Any

from rich.console import Console

from pharmakon.caller import Caller
from pharmakon.errors import InputError

__all__ = ["console", "err_console", "print_json", "cli_actor", "cli_caller", "read_password"]

#: Width of output that goes to a pipe or a file rather than a terminal: scripts and logs
#: get the same lines and tables whatever COLUMNS says.
PIPE_WIDTH = 200


console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else PIPE_WIDTH)
#: Messages on stderr are never wrapped or boxed (soft wrap), whatever the terminal width,
#: so a user or a script can grep them.
err_console = Console(stderr=True, soft_wrap=True, highlight=False, width=None if sys.stderr.isatty() else PIPE_WIDTH)


def print_json(obj: Any) -> None:
    """Print ``obj`` as indented JSON on stdout (no Rich markup, safe for scripts)."""
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def cli_actor() -> str:
    """Who is acting from this shell: ``PHARMAKON_ACTOR`` or ``local:<os user>``."""
    return cli_caller().actor


def cli_caller() -> Caller:
    """The :class:`~pharmakon.caller.Caller` a CLI command hands to a service."""
    return Caller.local("cli")


def read_password(from_stdin: bool, *, confirm: bool = False) -> str:
    """A password from the first line of stdin (scripts) or an interactive prompt."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise InputError("--password-stdin was given but standard input is empty", field="password")
        return password
    if not sys.stdin.isatty():
        raise InputError("no terminal to ask for a password; pass it on standard input with --password-stdin")
    password = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Repeat password: ") != password:
        raise InputError("the two passwords differ", field="password")
    return password
