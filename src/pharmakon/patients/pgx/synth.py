"""Synthetic multi-sample VCFs built from the allele definitions (benchmarks, tests).

Each sample draws two haplotypes per gene from the gene's named alleles: the reference
allele with probability ``p_reference`` and the others with Zipf weights (simpler
alleles, those with fewer defined positions, first). These frequencies are synthetic,
shaped like real ones (a dominant reference, a long tail of rare alleles), not estimates
for any population. A share ``p_missing`` of genotypes is written as ``./.``.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from pharmakon.errors import InputError
from pharmakon.patients.pgx.definitions import GENES, load_definition

__all__ = ["allele_frequencies", "write_synthetic_vcf"]


def allele_frequencies(gene: str, p_reference: float = 0.7, zipf: float = 1.3) -> dict[str, float]:
    """Synthetic named-allele frequencies of a gene (sum to 1)."""
    d = load_definition(gene)
    ref = d.reference_allele.name
    others = sorted((a for a in d.alleles if not a.reference), key=lambda a: (sum(a.defined), a.name))
    w = np.array([1.0 / (k + 1) ** zipf for k in range(len(others))])
    w = (1 - p_reference) * w / w.sum() if len(w) else w
    freqs = {ref: p_reference if len(others) else 1.0}
    freqs.update({a.name: float(x) for a, x in zip(others, w, strict=True)})
    return freqs


def _allele_index_matrix(gene: str) -> tuple[list[str], np.ndarray, list]:
    """Allele names, (n_alleles, n_positions) VCF allele indices, variants."""
    d = load_definition(gene)
    names, rows = [], []
    for a in d.alleles:
        row = []
        for v, acc in zip(d.variants, a.accepts, strict=True):
            choices = [0] if v.ref in acc else [1 + k for k, alt in enumerate(v.alts) if alt in acc]
            row.append(choices[0] if choices else 0)
        names.append(a.name)
        rows.append(row)
    return names, np.array(rows, dtype=np.int16), list(d.variants)


def write_synthetic_vcf(
    path: Path | str,
    n_samples: int,
    *,
    genes: tuple[str, ...] | None = None,
    seed: int = 0,
    p_missing: float = 0.002,
    p_reference: float = 0.7,
) -> Path:
    """Write an unphased multi-sample GRCh38 VCF (``.vcf`` or ``.vcf.gz``) and return its path."""
    if n_samples < 1:
        raise InputError(f"n_samples must be >= 1, got {n_samples}", field="n_samples")
    if not 0 <= p_missing < 1:
        raise InputError(f"p_missing must be in [0, 1), got {p_missing}", field="p_missing")
    genes = tuple(genes or (g for g in GENES if g != "CYP2D6"))
    rng = np.random.default_rng(seed)
    records = []
    for gene in genes:
        names, matrix, variants = _allele_index_matrix(gene)
        freqs = allele_frequencies(gene, p_reference)
        p = np.array([freqs[n] for n in names])
        hap = rng.choice(len(names), size=(n_samples, 2), p=p / p.sum())
        a1, a2 = matrix[hap[:, 0]], matrix[hap[:, 1]]  # (n, positions)
        for j, v in enumerate(variants):
            gt = np.char.add(np.char.add(a1[:, j].astype(str), "/"), a2[:, j].astype(str))
            gt[rng.random(n_samples) < p_missing] = "./."
            records.append((v.chromosome, v.position, v.ref, ",".join(v.alts) or ".", gt))
    records.sort(key=lambda r: (r[0], r[1]))
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    chroms = sorted({r[0] for r in records})
    with opener(path, "wt") as fh:
        fh.write("##fileformat=VCFv4.2\n##reference=GRCh38\n")
        fh.writelines(f"##contig=<ID={c}>\n" for c in chroms)
        fh.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        fh.write(
            "\t".join(
                ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"]
                + [f"S{i:06d}" for i in range(n_samples)]
            )
            + "\n"
        )
        seen = set()
        for chrom, pos, ref, alt, gt in records:
            if (chrom, pos) in seen:  # a position shared by two genes is written once
                continue
            seen.add((chrom, pos))
            fh.write(f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\tGT\t" + "\t".join(gt.tolist()) + "\n")
    return path
