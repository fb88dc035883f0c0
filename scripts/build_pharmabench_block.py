#!/usr/bin/env python
"""Fit the ``pharmabench`` feature block's six models from the data mirror and write the shipped file.

Usage::

    PHARMAKON_DATA_MIRROR=../shared/data python scripts/build_pharmabench_block.py [--check]

Reads the ADMET panel's PharmaBench endpoints (scaffold-train rows only), fits the LightGBM
models with ``pharmakon.chem.transfer.AUXILIARY_PARAMS`` (fixed seed, deterministic mode; about
a minute on two cores) and writes ``src/pharmakon/chem/data/pharmabench_block.json.gz``.
``--check`` writes nothing and exits with status 1 when the shipped file was fitted on other
rows or settings than the mirror's and the code's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

try:  # an installed pharmakon, else the checkout's src/
    from pharmakon.chem import transfer
except ImportError:  # pragma: no cover - running from a bare checkout
    sys.path.insert(0, str(REPO / "src"))
    from pharmakon.chem import transfer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare the shipped file with the mirror; write nothing")
    args = parser.parse_args()
    path = transfer.BUNDLE_PATH
    frames = transfer.training_frames()
    key = transfer.data_key(frames)
    if args.check:
        shipped = transfer.read_bundle(path).key if path.exists() else None
        print(f"mirror and settings {key[:16]}, shipped {shipped and shipped[:16]}")
        return 0 if shipped == key else 1
    start = time.monotonic()
    bundle = transfer.fit_bundle(frames)
    path.parent.mkdir(parents=True, exist_ok=True)
    transfer.write_bundle(bundle, path)
    rows = ", ".join(f"{name} {len(frame):,}" for name, frame in frames.items())
    print(
        f"wrote {path.relative_to(REPO)} ({path.stat().st_size / 1e6:.1f} MB, key {key[:16]}) "
        f"in {time.monotonic() - start:.0f} s; training rows: {rows}; "
        f"{len(bundle.training_inchikeys):,} distinct molecules"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
