from __future__ import annotations

import io
import sys
from dataclasses import dataclass

import pytest

from pharmakon.cli.main import main


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch):
    """Run ``pharmakon ARGS`` in-process through the real entry point (error handling included)."""

    def run(*args: str, stdin: str = "") -> CliResult:
        monkeypatch.setattr(sys, "argv", ["pharmakon", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run
