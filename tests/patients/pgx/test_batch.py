"""Batch calling through the executor, synthetic VCFs, and coverage per group."""

from __future__ import annotations

import pandas as pd
import pytest

from pharmakon.errors import InputError
from pharmakon.patients.pgx import call_batch, call_vcf, coverage_by_group, write_synthetic_vcf
from pharmakon.patients.pgx.synth import allele_frequencies


@pytest.fixture(scope="module")
def cohort_vcf(tmp_path_factory):
    return write_synthetic_vcf(tmp_path_factory.mktemp("syn") / "c.vcf.gz", 60, seed=3, p_missing=0.01)


def test_frequencies_sum_to_one():
    f = allele_frequencies("CYP2C19")
    assert sum(f.values()) == pytest.approx(1.0) and f["*38"] == pytest.approx(0.7)


@pytest.mark.parametrize("backend", ["serial", "local"])
def test_batch_matches_single_sample_calls(cohort_vcf, tmp_path, backend):
    seen = []
    out = tmp_path / "calls.tsv"
    summary = call_batch(
        cohort_vcf, out, backend=backend, n_jobs=2, chunk_size=25, progress=lambda d, t: seen.append((d, t))
    )
    assert summary["n_samples"] == 60 and summary["n_rows"] == 60 * 11
    assert seen[-1] == (60, 60)
    table = pd.read_csv(out, sep="\t", dtype=str, keep_default_na=False)
    direct = {r.sample: r for r in call_vcf(cohort_vcf, samples=["S000007", "S000042"])}
    for sample, rep in direct.items():
        for gene, res in rep.genes.items():
            row = table[(table["sample"] == sample) & (table["gene"] == gene)].iloc[0]
            assert row["diplotypes"] == " OR ".join(res.diplotypes)
            assert row["status"] == res.status


def _tsv(path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def test_batch_reads_the_vcf_once_and_equals_per_sample_calls(cohort_vcf, tmp_path, monkeypatch):
    import pharmakon.patients.pgx.spool as spool

    reads = []
    real = spool.stream_columns
    monkeypatch.setattr(spool, "stream_columns", lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    out = tmp_path / "calls.tsv"
    call_batch(cohort_vcf, out, backend="serial", chunk_size=7)  # 9 chunks
    assert len(reads) == 1
    table = _tsv(out).set_index(["sample", "gene"])
    for rep in call_vcf(cohort_vcf):
        for gene, res in rep.genes.items():
            row = table.loc[(rep.sample, gene)]
            assert tuple(row) == tuple(str(v) for v in res.batch_row(rep.sample, gene)[2:])  # one model, both outputs
            assert row["diplotypes"] == " OR ".join(res.diplotypes)
            assert int(row["n_missing"]) == len(res.missing_positions)
    assert len(table) == 60 * 11


@pytest.mark.ray
def test_ray_and_local_give_identical_output(cohort_vcf, tmp_path, ray_session):
    local, ray_out = tmp_path / "local.tsv", tmp_path / "ray.tsv"
    a = call_batch(cohort_vcf, local, backend="local", n_jobs=2, chunk_size=16)
    b = call_batch(cohort_vcf, ray_out, backend="ray", n_jobs=2, chunk_size=16)
    assert a == b
    assert local.read_bytes() == ray_out.read_bytes()


def test_coverage_by_group(cohort_vcf, tmp_path):
    out = tmp_path / "calls.tsv"
    call_batch(cohort_vcf, out, backend="serial")
    table = _tsv(out)
    groups = {f"S{i:06d}": ("A" if i < 30 else "B") for i in range(60)}
    cov = coverage_by_group(table, groups)
    assert set(cov["group"]) == {"A", "B"} and (cov["n"] == 30).all()
    shares = cov[["share_called", "share_uncertain", "share_incomplete", "share_not_called"]].sum(axis=1)
    assert shares.round(9).eq(1.0).all()
    assert cov["share_incomplete"].max() > 0  # 1% of genotypes were written as ./.


def test_batch_bad_chunk(cohort_vcf, tmp_path):
    with pytest.raises(InputError, match="chunk_size"):
        call_batch(cohort_vcf, tmp_path / "x.tsv", chunk_size=0)
