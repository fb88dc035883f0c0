"""The pharmakon command end to end: users, audit, signatures, and its error handling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pharmakon.hashing import sha256_file
from pharmakon.store import Store


def test_version_json(cli, pharmakon_home: Path) -> None:
    result = cli("version", "--json")
    assert result.exit_code == 0
    info = json.loads(result.stdout)
    assert info["pharmakon"] == "0.1.0" and info["store"].startswith("sqlite:///")


def test_help_everywhere(cli) -> None:
    for args in ([], ["audit"], ["users"], ["audit", "verify", "--help"], ["users", "add", "--help"]):
        result = cli(*args, "--help") if args[-1:] != ["--help"] else cli(*args)
        assert result.exit_code == 0 and "Usage" in result.stdout


def test_user_lifecycle_is_scriptable_and_audited(cli, store: Store, monkeypatch) -> None:
    monkeypatch.setenv("PHARMAKON_ACTOR", "local:ops")
    assert (
        cli("users", "add", "alice", "--role", "scientist", "--password-stdin", stdin="alice-password\n").exit_code == 0
    )
    listed = json.loads(cli("users", "list", "--json").stdout)
    assert [(u["username"], u["role"], u["active"]) for u in listed] == [("alice", "scientist", True)]
    token = json.loads(cli("users", "token", "alice", "--json").stdout)["token"]
    assert token.startswith("pk_")
    assert cli("users", "disable", "alice", "--reason", "left").exit_code == 0
    log = json.loads(cli("audit", "log", "--json").stdout)
    assert [e["action"] for e in reversed(log["items"])] == ["user.create", "token.issue", "user.disable"]
    assert {e["actor"] for e in log["items"]} == {"local:ops"}


def test_bad_input_gives_one_clear_line_and_nonzero_exit(cli, store: Store) -> None:
    result = cli("users", "add", "alice", "--role", "emperor", "--password-stdin", stdin="alice-password\n")
    assert result.exit_code == 2
    assert "unknown role 'emperor'" in result.stderr and "Traceback" not in result.stderr
    missing = cli("users", "disable", "ghost")
    assert missing.exit_code == 4 and "no user named 'ghost'" in missing.stderr
    empty = cli("users", "add", "bob", "--password-stdin", stdin="")
    assert empty.exit_code == 2 and "standard input is empty" in empty.stderr
    assert json.loads(cli("audit", "log", "--json").stdout)["total"] == 0  # nothing half-written


def test_verify_export_and_tamper_detection(cli, store: Store, tmp_path: Path) -> None:
    cli("users", "add", "alice", "--role", "scientist", "--password-stdin", stdin="alice-password\n")
    cli("users", "token", "alice")
    ok = cli("audit", "verify", "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True
    export = tmp_path / "out" / "audit.jsonl"
    assert cli("audit", "export", "-o", str(export)).exit_code == 0
    assert len(export.read_text().splitlines()) == 3  # user.create, token.issue, audit.verify
    assert cli("audit", "verify", "--file", str(export)).exit_code == 0
    [exported] = json.loads(cli("audit", "log", "--action", "audit.export", "--json").stdout)["items"]
    assert exported["params"]["n_events"] == 3 and exported["params"]["head_seq"] == 3
    assert exported["outputs"] == {"audit.jsonl": sha256_file(export)}

    with store.engine.connect() as conn:  # an attacker with DDL rights edits event 2
        if store.dialect == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_update")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
        conn.exec_driver_sql("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 2")
        conn.commit()
    broken = cli("audit", "verify")
    assert broken.exit_code == 8
    assert "BROKEN at event seq 2" in broken.stderr


@pytest.mark.parametrize("move", ["- 1", "+ 1"])
def test_verify_reports_a_moved_head_without_writing(cli, store: Store, move: str) -> None:
    cli("users", "add", "alice", "--role", "scientist", "--password-stdin", stdin="alice-password\n")
    cli("users", "token", "alice")
    with store.engine.begin() as conn:  # the probe's edit: the head row moved, the events untouched
        conn.exec_driver_sql(f"UPDATE audit_head SET last_seq = last_seq {move}")
    for _ in range(2):  # verify twice: the first must not have appended (or crashed on) anything
        broken = cli("audit", "verify")
        assert broken.exit_code == 8, broken.stderr
        assert "recorded head is event" in broken.stderr and "not recorded" in broken.stderr
        assert "UNIQUE" not in broken.stderr and "internal error" not in broken.stderr
    later = cli("users", "add", "bob", "--role", "viewer", "--password-stdin", stdin="bob-password\n")
    assert later.exit_code == 3 and "audit trail is inconsistent" in later.stderr, later.stderr
    log = json.loads(cli("audit", "log", "--json").stdout)
    assert [e["seq"] for e in log["items"]] == [2, 1] and log["total"] == 2


def test_sign_with_password_on_stdin(cli, store: Store, tmp_path: Path) -> None:
    cli("users", "add", "sam", "--role", "scientist", "--password-stdin", stdin="sam-password\n")
    report = tmp_path / "report.html"
    report.write_text("<h1>design</h1>")
    signed = cli(
        "audit",
        "sign",
        "report",
        "r-1",
        "--meaning",
        "approved",
        "--user",
        "sam",
        "--password-stdin",
        "--file",
        str(report),
        "--json",
        stdin="sam-password\n",
    )
    assert signed.exit_code == 0
    event = json.loads(signed.stdout)
    assert (
        event["action"] == "esign" and event["params"]["meaning"] == "approved" and len(event["inputs"]["object"]) == 64
    )
    refused = cli(
        "audit",
        "sign",
        "report",
        "r-1",
        "--meaning",
        "approved",
        "--user",
        "sam",
        "--password-stdin",
        stdin="wrong-password\n",
    )
    assert refused.exit_code == 6 and "wrong user name or password" in refused.stderr


def test_corrupt_store_is_a_clear_error(cli, pharmakon_home: Path) -> None:
    pharmakon_home.mkdir(parents=True)
    (pharmakon_home / "pharmakon.db").write_bytes(b"garbage" * 1000)
    result = cli("users", "list")
    assert result.exit_code == 3
    assert "corrupt or not a pharmakon database" in result.stderr and "Traceback" not in result.stderr


def test_malformed_setting_is_a_clear_error(cli, pharmakon_home: Path, monkeypatch) -> None:
    from pharmakon.config import get_settings

    monkeypatch.setenv("PHARMAKON_BACKEND", "quantum")
    get_settings.cache_clear()
    result = cli("version")
    assert result.exit_code == 2 and "invalid PHARMAKON_* environment setting" in result.stderr


@pytest.mark.parametrize("columns", ["40", "200"])
def test_errors_are_one_plain_line_whatever_the_terminal_width(cli, monkeypatch, columns: str) -> None:
    """A user greps an error: it is never wrapped, boxed or coloured."""
    monkeypatch.setenv("COLUMNS", columns)
    result = cli("data", "info", "a-data-set-name-long-enough-to-wrap-a-forty-column-terminal")
    assert result.exit_code == 4
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and "a-data-set-name-long-enough-to-wrap-a-forty-column-terminal" in line
    assert "\x1b[" not in line


def test_serve_refuses_a_busy_port_before_printing_a_url(cli, pharmakon_home) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("serve", "--host", "127.0.0.1", "--port", str(port), "--no-seed")
    assert result.exit_code == 2 and "--port" in result.stderr and str(port) in result.stderr
    assert "http://" not in result.stdout


@pytest.mark.parametrize("columns", ["40", "200"])
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("no-such-group",), ["No such command 'no-such-group'", "pharmakon --help"]),
        (("trial", "no-such-command"), ["No such command 'no-such-command'", "pharmakon trial --help"]),
        (("users", "add"), ["Missing argument", "pharmakon users add --help"]),
        (("trial", "simulate", "rates", "--pi1", "abc"), ["--pi1", "pharmakon trial simulate rates --help"]),
    ],
)
def test_usage_errors_are_one_plain_line(cli, monkeypatch, columns: str, args: tuple[str, ...], words) -> None:
    """Unknown commands, missing arguments and bad values: one ``error:`` line, exit 2, no Rich box."""
    monkeypatch.setenv("COLUMNS", columns)
    result = cli(*args)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and all(w in line for w in words), line
    assert "\x1b[" not in line and "╭" not in result.stderr and "Usage:" not in result.stderr


def test_top_level_help_and_version_import_no_command_group() -> None:
    """``pharmakon --help`` and ``version`` load no group module, no domain, no Rich for ``version``."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pharmakon.cli.main import COMMAND_GROUPS, app\n"
        "import typer.main\n"
        "cmd = typer.main.get_command(app)\n"
        "try:\n"
        "    cmd.main(sys.argv[1:], prog_name='pharmakon')\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = sorted(m for m in sys.modules if m in COMMAND_GROUPS.values() or m.startswith(('pharmakon.trials', "
        "'pharmakon.chem', 'pharmakon.core', 'polars', 'pandas', 'sklearn', 'sqlalchemy')))\n"
        "print(','.join(loaded) + '|' + str('rich' in sys.modules), file=sys.stderr)\n"
    )
    for args, rich_expected in ((["--help"], True), (["version", "--json"], False)):
        res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
        loaded, has_rich = res.stderr.strip().splitlines()[-1].split("|")
        assert not [m for m in loaded.split(",") if m], (args, loaded)
        assert rich_expected or has_rich == "False", (args, has_rich)
    res = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True, check=True)
    for name in ("trial", "admet", "safety", "audit"):
        assert name in res.stdout  # every group listed, with its help line, without importing it
    assert "Clinical-trial design" in res.stdout


def test_a_group_is_loaded_when_invoked(cli) -> None:
    res = cli("trial", "--help")
    assert res.exit_code == 0 and "samplesize" in res.stdout and "simulate" in res.stdout


def test_version_masks_the_store_password_as_the_store_does(cli, pharmakon_home: Path, monkeypatch) -> None:
    from pharmakon.store import mask_url

    url = "postgresql+psycopg://alice:s3cret@db.example:5432/pharmakon"
    monkeypatch.setenv("PHARMAKON_DATABASE_URL", url)
    info = json.loads(cli("version", "--json").stdout)
    assert info["store"] == mask_url(url) and "s3cret" not in info["store"]
