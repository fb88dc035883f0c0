#!/usr/bin/env python
"""Recompute file sizes and SHA-256 checksums of the data-set catalogue from a mirror.

Usage::

    python scripts/build_dataset_catalog.py [--mirror ../shared/data] [--check]

For every data set folder in the mirror the script lists all files (sorted, ``/``
separators), hashes them, derives each file's download URL from the entry's
hand-written ``url_rules`` and writes ``files`` and ``size_bytes`` back into
``src/pharmakon/datasets/catalog.json``. Everything else in an entry (title, licence,
citation, source URL, rules) is written by people and kept as it is. A mirror folder
without an entry gets a skeleton entry to fill in by hand; an entry without a mirror
folder is reported and left untouched.

``--check`` writes nothing and exits with status 1 when the catalogue is out of date.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO / "src" / "pharmakon" / "datasets" / "catalog.json"

try:  # an installed pharmakon, else the checkout's src/
    from pharmakon.datasets.catalog import UrlRule, resolve_file_url
    from pharmakon.datasets.fetching import sha256_file
except ImportError:  # pragma: no cover - running from a bare checkout
    sys.path.insert(0, str(REPO / "src"))
    from pharmakon.datasets.catalog import UrlRule, resolve_file_url
    from pharmakon.datasets.fetching import sha256_file


def resolve_url(rules: list[dict], rel: str) -> str | None:
    """Download URL of ``rel`` from the entry's hand-written rules (None if no rule matches)."""
    return resolve_file_url([UrlRule.model_validate(r) for r in rules], rel)


def scan(folder: Path, rules: list[dict]) -> list[dict]:
    """File records of one mirror folder, sorted by relative path."""
    records = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        records.append(
            {
                "path": rel,
                "size_bytes": path.stat().st_size,
                "sha256": sha256_file(path),
                "url": resolve_url(rules, rel),
            }
        )
    return records


def skeleton(name: str) -> dict:
    """Entry for a new mirror folder; the metadata must be written by hand."""
    return {
        "name": name,
        "domain": "TODO",
        "title": "TODO",
        "description": "TODO",
        "licence": "TODO",
        "citation": "TODO",
        "source_url": "TODO",
        "commit": None,
        "url_rules": [],
    }


def build(mirror: Path, catalog_path: Path) -> tuple[dict, list[str]]:
    """Return the rebuilt catalogue and a list of human-readable notes."""
    raw = (
        json.loads(catalog_path.read_text("utf-8")) if catalog_path.exists() else {"format_version": 1, "datasets": []}
    )
    entries = {d["name"]: d for d in raw["datasets"]}
    notes = []
    folders = sorted(p.name for p in mirror.iterdir() if p.is_dir() and not p.name.startswith("."))
    for name in folders:
        if name not in entries:
            entries[name] = skeleton(name)
            notes.append(f"new data set {name!r}: fill in its metadata in {catalog_path.name}")
        entry = entries[name]
        entry["files"] = scan(mirror / name, entry.get("url_rules", []))
        entry["size_bytes"] = sum(f["size_bytes"] for f in entry["files"])
    for name in sorted(set(entries) - set(folders)):
        notes.append(f"data set {name!r} has no folder in {mirror}; its files were left as they were")
    raw["datasets"] = [entries[n] for n in sorted(entries)]
    return raw, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mirror",
        type=Path,
        default=Path(os.environ.get("PHARMAKON_DATA_MIRROR", REPO.parent / "shared" / "data")),
        help="mirror folder laid out like the data cache (default: $PHARMAKON_DATA_MIRROR or ../shared/data)",
    )
    parser.add_argument("--catalog", type=Path, default=CATALOG, help="catalogue file to update")
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if the catalogue is out of date")
    args = parser.parse_args(argv)
    if not args.mirror.is_dir():
        print(f"error: mirror folder {args.mirror} does not exist", file=sys.stderr)
        return 2
    new, notes = build(args.mirror, args.catalog)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    text = json.dumps(new, indent=1, ensure_ascii=False) + "\n"
    n_files = sum(len(d.get("files", [])) for d in new["datasets"])
    if args.check:
        current = args.catalog.read_text("utf-8") if args.catalog.exists() else ""
        if current != text:
            print(f"{args.catalog} is out of date; run {Path(__file__).name} without --check", file=sys.stderr)
            return 1
        print(f"{args.catalog} is up to date ({len(new['datasets'])} data sets, {n_files} files)")
        return 0
    args.catalog.write_text(text, "utf-8")
    print(f"wrote {args.catalog} ({len(new['datasets'])} data sets, {n_files} files)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
