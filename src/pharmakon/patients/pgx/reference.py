"""Optional GRCh38 reference sequence around the defined positions (plain FASTA).

With a reference, :class:`~pharmakon.patients.pgx.normalize.Resolver` knows the bases
around every defined position, so an indel shifted anywhere within ``flank`` bases (for
example right-aligned at the end of a long repeat) is still recognised, as PharmCAT's
``bcftools norm``-based preprocessing does. Two layouts are read, neither needing pysam:

- a whole-genome FASTA with its samtools ``.fai`` index next to it (``ref.fa`` +
  ``ref.fa.fai``): only the windows around defined positions are read;
- a small FASTA of regions as ``samtools faidx ref.fa chr2:233760000-233761000`` writes
  them (header ``>CHROM:START-END``, 1-based inclusive), or of whole small contigs.

Compressed FASTA is refused (decompress it, or extract the regions with samtools).
"""

from __future__ import annotations

import re
from pathlib import Path

from pharmakon.errors import InputError

__all__ = ["load_reference_windows"]

_REGION = re.compile(r"^(\S+?):(\d+)-(\d+)$")


def _chrom(name: str) -> str:
    return name[3:] if name.lower().startswith("chr") else name


def _from_fai(path: Path, fai: Path, windows: dict[str, list[tuple[int, int]]]) -> dict[str, dict[int, str]]:
    index = {}
    for line in fai.read_text().splitlines():
        name, length, offset, line_bases, line_width = line.split("\t")[:5]
        index[_chrom(name)] = (int(length), int(offset), int(line_bases), int(line_width))
    out: dict[str, dict[int, str]] = {}
    with path.open("rb") as fh:
        for chrom, spans in windows.items():
            if chrom not in index:
                continue
            length, offset, lb, lw = index[chrom]
            bases = out.setdefault(chrom, {})
            for start, end in spans:  # 1-based, end exclusive
                start, end = max(1, start), min(end, length + 1)
                if end <= start:
                    continue
                first = offset + (start - 1) // lb * lw + (start - 1) % lb
                last = offset + (end - 2) // lb * lw + (end - 2) % lb
                fh.seek(first)
                seq = fh.read(last - first + 1).replace(b"\n", b"").replace(b"\r", b"").decode().upper()
                bases.update(zip(range(start, start + len(seq)), seq, strict=False))
    return out


def _from_plain(path: Path) -> dict[str, dict[int, str]]:
    out: dict[str, dict[int, str]] = {}
    name, start, chunks = None, 1, []

    def flush() -> None:
        if name is not None:
            seq = "".join(chunks).upper()
            out.setdefault(name, {}).update(zip(range(start, start + len(seq)), seq, strict=True))

    with path.open() as fh:
        for line in fh:
            line = line.strip()
            if line.startswith(">"):
                flush()
                head = line[1:].split()[0] if line[1:].strip() else ""
                m = _REGION.match(head)
                name, start, chunks = (_chrom(m.group(1)), int(m.group(2)), []) if m else (_chrom(head), 1, [])
            elif line:
                if name is None:
                    raise InputError("sequence before the first '>' header: not a FASTA", file=str(path))
                chunks.append(line)
    flush()
    return out


def load_reference_windows(
    path: Path | str, windows: dict[str, list[tuple[int, int]]], max_plain_bytes: int = 64 * 2**20
) -> dict[str, dict[int, str]]:
    """Reference bases ``{chrom: {position: base}}`` inside ``windows`` (chrom -> [(start, end)]).

    Parameters
    ----------
    path : FASTA (with ``.fai`` for large files)
    windows : 1-based half-open spans wanted per chromosome (without ``chr``)
    max_plain_bytes : largest FASTA read whole when there is no ``.fai`` index

    Raises
    ------
    InputError
        Missing or compressed file, large FASTA without an index, malformed FASTA.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"reference FASTA {path} not found", file=str(path))
    with path.open("rb") as fh:
        if fh.read(2) == b"\x1f\x8b":
            raise InputError(
                "compressed FASTA is not supported; decompress it or extract regions with 'samtools faidx'",
                file=str(path),
            )
    fai = path.with_name(path.name + ".fai")
    if fai.is_file():
        return _from_fai(path, fai, windows)
    if path.stat().st_size > max_plain_bytes:
        raise InputError(
            f"FASTA larger than {max_plain_bytes // 2**20} MiB needs a samtools .fai index next to it", file=str(path)
        )
    return _from_plain(path)
