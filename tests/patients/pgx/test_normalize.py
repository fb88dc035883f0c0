"""Allele normalisation: other spellings of a defined variant give the same call; wrong REF is reported.

Each test starts from one of PharmCAT's test VCFs, rewrites the records of one defined
position into another (equivalent or wrong) spelling, and compares the call with the
call of the untouched file.
"""

from __future__ import annotations

import pytest

from pharmakon.errors import InputError
from pharmakon.patients.pgx import call_vcf
from pharmakon.patients.pgx.matcher import match_gene
from pharmakon.patients.pgx.normalize import Resolver
from pharmakon.patients.pgx.vcf import read_genotypes
from tests.conftest import MIRROR

ROOT = MIRROR / "pharmcat" / "test_vcfs"
UGT = 233760233  # UGT1A1 TA repeat: CAT > C (*36), CATAT (*28), CATATAT (*37)


def respell(src: str, tmp_path, drop: set[int], add: list[str], name: str = "t.vcf"):
    """Copy ``src`` without the records at ``drop`` positions, with ``add`` lines, sorted by position."""
    header, body = [], []
    for line in (ROOT / src).read_text().splitlines():
        if line.startswith("#"):
            header.append(line)
        elif int(line.split("\t")[1]) not in drop:
            body.append(line)
    body += add
    body.sort(key=lambda x: (x.split("\t")[0], int(x.split("\t")[1])))
    out = tmp_path / name
    out.write_text("\n".join(header + body) + "\n")
    return out


def rec(chrom: str, pos: int, ref: str, alt: str, gt: str) -> str:
    return f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\tGT\t{gt}"


def call(path, gene: str):
    block = read_genotypes(path, (gene,))
    gts, phased = block.genotypes(gene, 0)
    return match_gene(gene, gts, phased), block


UGT_CASES = {
    "more context": [rec("chr2", UGT, "CATAT", "CATATAT", "0/1")],
    "right-aligned": [rec("chr2", UGT + 2, "T", "TAT", "0/1")],
    "padding base": [rec("chr2", UGT - 1, "GCAT", "GCATAT", "0/1")],
    "multi-allelic, other order": [rec("chr2", UGT, "CAT", "CATATAT,CATAT", "0/2")],
    "split multi-allelic": [rec("chr2", UGT, "CAT", "C", "0/0"), rec("chr2", UGT, "CAT", "CATAT", "0/1")],
}


@pytest.mark.parametrize("case", sorted(UGT_CASES))
def test_ugt1a1_repeat_spellings(case, tmp_path):
    expected, _ = call(ROOT / "UGT1A1/s28het.vcf", "UGT1A1")
    assert expected.diplotypes == ["*1/*28"]
    got, block = call(respell("UGT1A1/s28het.vcf", tmp_path, {UGT}, UGT_CASES[case]), "UGT1A1")
    assert got.diplotypes == expected.diplotypes and got.missing_positions == []
    assert not block.ref_mismatches["UGT1A1"]


def test_split_records_merge_per_haplotype(tmp_path):
    lines = [rec("chr2", UGT, "CAT", "C", "1/0"), rec("chr2", UGT, "CAT", "CATAT", "0/1")]
    got, block = call(respell("UGT1A1/s28het.vcf", tmp_path, {UGT}, lines), "UGT1A1")
    assert got.diplotypes == ["*28/*36"]
    assert any("merged" in n for n in block.notes)


def test_unknown_allele_in_other_spelling_is_undocumented(tmp_path):
    lines = [rec("chr2", UGT, "CATAT", "CATATATATAT", "0/1")]  # TA(10): not defined
    got, _ = call(respell("UGT1A1/s28het.vcf", tmp_path, {UGT}, lines), "UGT1A1")
    assert not got.called and "undocumented" in got.not_called_reason


def test_padded_snv_as_one_mnv_record(tmp_path):
    """rs6413438 (94781858 C) and rs4244285 (94781859 G>A, *2) written as one record CG>CA."""
    lines = [rec("chr10", 94781858, "CG", "CA", "0/1")]
    got, _ = call(respell("cyp2c19/s1s2.vcf", tmp_path, {94781858, 94781859}, lines), "CYP2C19")
    expected, _ = call(ROOT / "cyp2c19/s1s2.vcf", "CYP2C19")
    assert got.diplotypes == expected.diplotypes == ["*1/*2"]
    assert got.missing_positions == expected.missing_positions


def test_right_aligned_deletion(tmp_path):
    """DPYD c.1898delC (*3), defined as 97450065 TG>T; right-aligned one base on as GG>G."""
    left = respell("DPYD/novariant.vcf", tmp_path, set(), [rec("chr1", 97450065, "TG", "T", "0/1")], "l.vcf")
    right = respell("DPYD/novariant.vcf", tmp_path, set(), [rec("chr1", 97450066, "GG", "G", "0/1")], "r.vcf")
    a, _ = call(left, "DPYD")
    b, _ = call(right, "DPYD")
    assert a.diplotypes == b.diplotypes == ["Reference/c.1898delC (*3)"]


def test_resolver_does_not_claim_unrelated_neighbours():
    r = Resolver(("UGT1A1",))
    hits, bad = r.resolve("chr2", UGT + 3, "A", ["G"])  # SNV right after the repeat window
    assert hits == [] and bad == []
    hits, bad = r.resolve("chr2", UGT + 2, "TA", ["T"])  # a deletion that is not a defined allele
    assert hits == [] and bad == []


def test_ref_disagreeing_with_grch38_is_reported(tmp_path):
    """rs12248560 is C on GRCh38; a VCF saying T there is not read as reference."""
    path = respell("cyp2c19/s1s2.vcf", tmp_path, {94761900}, [rec("chr10", 94761900, "T", "C", "0/0")])
    got, block = call(path, "CYP2C19")
    assert block.ref_mismatches["CYP2C19"] and 94761900 in got.missing_positions
    (rep,) = call_vcf(path, genes=("CYP2C19",))
    gene = rep.to_dict()["genes"]["CYP2C19"]
    assert gene["ref_mismatches"] == [{"position": 94761900, "vcf_ref": "T", "grch38_ref": "C"}]
    assert any("REF disagrees with GRCh38 at 94761900" in c for c in rep.caveats)


def test_mostly_wrong_ref_is_a_wrong_build_error(tmp_path):
    """Four defined positions with a REF that is not GRCh38's, one that agrees: wrong build."""
    wrong = [(94761900, "T"), (94762706, "C"), (94762712, "A"), (94762715, "G")]  # GRCh38: C, A, C, T
    positions = {int(x.split("\t")[1]) for x in (ROOT / "cyp2c19/s1s2.vcf").read_text().splitlines() if x[0] != "#"}
    lines = [rec("chr10", p, ref, "G" if ref != "G" else "A", "0/0") for p, ref in wrong]
    path = respell("cyp2c19/s1s2.vcf", tmp_path, positions - {94781859}, lines)
    with pytest.raises(InputError, match="GRCh37"):
        read_genotypes(path, ("CYP2C19",))


def _ugt_region(tmp_path, repeat: int = 7, name: str = "ref.fa"):
    """A GRCh38-like region FASTA: C at 233760233, then (AT)x``repeat``, then G (samtools faidx layout)."""
    start = UGT - 100
    seq = ("ACGTTGCA" * 13)[:100] + "C" + "AT" * repeat + "G" + ("TTGACCAG" * 13)[:100]
    fa = tmp_path / name
    fa.write_text(
        f">chr2:{start}-{start + len(seq) - 1}\n" + "\n".join(seq[i : i + 60] for i in range(0, len(seq), 60))
    )
    return fa


def test_right_aligned_in_a_long_repeat_needs_the_reference(tmp_path):
    end_of_repeat = UGT + 14  # last T of (AT)x7
    path = respell("UGT1A1/s28het.vcf", tmp_path, {UGT}, [rec("chr2", end_of_repeat, "T", "TAT", "0/1")])
    without, _ = call(path, "UGT1A1")
    assert UGT in without.missing_positions  # not recognised, and said so: never read as reference
    block = read_genotypes(path, ("UGT1A1",), reference=_ugt_region(tmp_path))
    gts, phased = block.genotypes("UGT1A1", 0)
    with_ref = match_gene("UGT1A1", gts, phased)
    assert with_ref.diplotypes == ["*1/*28"] and UGT not in with_ref.missing_positions


def test_reference_that_is_not_grch38_is_refused(tmp_path):
    fa = tmp_path / "bad.fa"
    fa.write_text(f">chr2:{UGT - 2}-{UGT + 3}\nAAGGGG\n")  # GRCh38 has CAT at UGT
    with pytest.raises(InputError, match="not GRCh38"):
        Resolver(("UGT1A1",), reference=fa)


def test_indexed_fasta_reads_the_same_bases_as_a_plain_one(tmp_path):
    from pharmakon.patients.pgx.reference import load_reference_windows

    seq = "".join("ACGT"[(i * 7 + i // 3) % 4] for i in range(95))
    plain = tmp_path / "plain.fa"
    plain.write_text(">chrT\n" + "\n".join(seq[i : i + 10] for i in range(0, 95, 10)) + "\n")
    indexed = tmp_path / "indexed.fa"
    indexed.write_text(">chrT desc\n" + "\n".join(seq[i : i + 10] for i in range(0, 95, 10)) + "\n")
    (tmp_path / "indexed.fa.fai").write_text(f"chrT\t95\t{len('>chrT desc') + 1}\t10\t11\n")
    windows = {"T": [(5, 27), (80, 200)]}
    got = load_reference_windows(indexed, windows)["T"]
    want = {p: b for p, b in load_reference_windows(plain, windows)["T"].items() if 5 <= p < 27 or p >= 80}
    assert got == want and got[5] == seq[4] and got[95] == seq[94] and 96 not in got
