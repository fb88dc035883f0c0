"""All-or-nothing output files."""

from __future__ import annotations

from pathlib import Path

import pytest

from pharmakon.files import atomic_open, atomic_path


def test_success_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.csv"
    with atomic_open(target, newline="") as handle:
        handle.write("a,b\n")
        assert not target.exists()  # nothing under the final name while writing
    assert target.read_text() == "a,b\n"
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["out.csv"]


def test_failure_leaves_the_old_target_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="disk on fire"):
        with atomic_open(target) as handle:
            handle.write("half")
            raise RuntimeError("disk on fire")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
