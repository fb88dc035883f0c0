"""Replay PharmCAT's extracted test scenarios (test_expectations.json) against our caller.

Each scenario either names VCF resources or lists variations; in the latter case the
input is rebuilt as PharmCAT's tests build it: reference at every defined position of the
genes involved, the listed genotypes, and no call at the listed missing positions.
Assertions that cannot be checked here are reported as ``skip`` with the reason.
"""

from __future__ import annotations

import json
import re

from pharmakon.patients.pgx.definitions import GENES, load_definition
from pharmakon.patients.pgx.matcher import GeneCall, match_gene
from pharmakon.patients.pgx.phenotype import format_score, phenotype_of
from pharmakon.patients.pgx.vcf import read_genotypes
from tests.conftest import MIRROR

VCF_GENES = tuple(g for g in GENES if g != "CYP2D6")
PHARMCAT = MIRROR / "pharmcat"


def scenarios() -> list[dict]:
    return json.loads((PHARMCAT / "test_expectations.json").read_text())


def _literal_args(args: str) -> list[str] | None:
    """``'"CYP2C19", "*1/*4"'`` -> ["CYP2C19", "*1/*4"]; None when an argument is Java code."""
    parts = [p.strip() for p in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", args)]
    if not all(p.startswith('"') and p.endswith('"') for p in parts):
        return None
    return [p[1:-1] for p in parts]


def sub_runs(s: dict) -> list[dict]:
    """Split a scenario whose Java test ran several inputs (the same rsid listed k times) into k runs."""
    keys = [(v[0], v[1]) for v in s["variations"] if len(v) == 4]
    k = max([keys.count(x) for x in keys] or [1])
    if k == 1:
        return [s]
    runs = []
    for r in range(k):
        seen: dict = {}
        chosen = []
        for v in s["variations"]:
            n = seen.get((v[0], v[1]), 0)
            seen[(v[0], v[1])] = n + 1
            if n == r or (n == 0 and keys.count((v[0], v[1])) <= r):
                chosen.append(v)
        runs.append({**s, "variations": chosen})
    return runs


def build_calls(s: dict) -> dict[str, GeneCall]:
    """Our calls for every gene of a scenario that we define."""
    calls: dict[str, GeneCall] = {}
    if s["vcf_resources"]:
        for res in s["vcf_resources"]:
            path = PHARMCAT / "test_vcfs" / "/".join(res.split("/")[-2:])
            gene = next(g for g in VCF_GENES if g.lower() == path.parent.name.lower())
            block = read_genotypes(path, (gene,))
            gts, phased = block.genotypes(gene, 0)
            calls[gene] = match_gene(gene, gts, phased)
        return calls
    genes = set(s["reference_genes"]) | {v[0] for v in s["variations"] if len(v) == 4}
    genes |= {m[0] for m in s["missing"] if len(m) == 2}
    for gene in sorted(genes & set(VCF_GENES)):
        d = load_definition(gene)
        rsid = {v.rsid: i for i, v in enumerate(d.variants)}
        gts: list = [(v.ref, v.ref) for v in d.variants]
        for var in s["variations"]:
            if len(var) == 4 and var[0] == gene and var[1] in rsid:
                v = d.variants[rsid[var[1]]]
                gts[rsid[var[1]]] = (v.to_vcf(var[2]), v.to_vcf(var[3]))
        for m in s["missing"]:
            if len(m) == 2 and m[0] == gene and m[1] in rsid:
                gts[rsid[m[1]]] = None
        calls[gene] = match_gene(gene, gts, s["phased"])
    return calls


def _cpic_style(d: str) -> str:
    """PharmCAT prints a DPYD ``Reference/X`` as ``X (heterozygous)``."""
    m = re.fullmatch(r"(.+) \(heterozygous\)", d)
    return f"Reference/{m.group(1)}" if m else d


def evaluate(s: dict) -> list[tuple[str, str, str]]:
    """(check, status, detail) per assertion; status is ``pass``, ``fail`` or ``skip``.

    A scenario with several runs passes an assertion when one of its runs does (the
    extraction does not say which run each assertion belongs to).
    """
    results = [_evaluate(run) for run in sub_runs(s)]
    if len(results) == 1:
        return results[0]
    merged = []
    for items in zip(*results, strict=True):
        best = next((x for x in items if x[1] == "pass"), items[0])
        merged.append(best)
    return merged


def _evaluate(s: dict) -> list[tuple[str, str, str]]:
    if any(len(v) != 4 for v in s["variations"]) or any(len(m) != 2 for m in s["missing"]):
        return [(a["check"], "skip", "variations built in Java code (not extracted)") for a in s["assertions"]]
    calls = build_calls(s)
    out = []
    n_pairs = sum(bool(a["check"] == "assertDiplotypePairs" and a.get("expected_diplotypes")) for a in s["assertions"])
    for a in s["assertions"]:
        check = a["check"]
        if check == "assertDiplotypePairs":
            exp = a.get("expected_diplotypes")
            call = next(iter(calls.values()))
            if not exp and n_pairs:
                out.append((check, "skip", "empty expectation next to a filled one (extraction ambiguity)"))
            elif not exp:
                out.append((check, "pass" if not call.called else "fail", f"got {call.diplotypes}"))
            else:
                ok = exp in (call.diplotypes, [d for d, _ in call.candidates])
                out.append((check, "pass" if ok else "fail", f"expected {exp}, got {call.candidates}"))
            continue
        args = _literal_args(a.get("args") or "")
        if args is None:
            out.append((check, "skip", f"argument is Java code: {a.get('args')}"))
            continue
        genes = [g for g in args if g in VCF_GENES] if check.endswith("ByMatcher") else args[:1]
        if not genes or genes[0] not in VCF_GENES:
            out.append((check, "skip", f"gene outside our definitions: {args[0]}"))
            continue
        if any(g not in calls for g in genes):
            out.append((check, "skip", f"input of {genes} built in Java code (not extracted)"))
            continue
        if s["test"] == "phaseSetCyp2C9":
            out.append((check, "skip", "phase-set (PS) values are not in the extraction"))
            continue
        if check in {"testCalledByMatcher", "testNotCalledByMatcher"}:
            if check == "testNotCalledByMatcher" and "Outside" in s["test"] + s["test"].title():
                out.append((check, "skip", "outside-call file not in the extraction"))
                continue
            want = check == "testCalledByMatcher"
            bad = [g for g in genes if (g in calls and calls[g].called) != want or (want and g not in calls)]
            if not want and any(g not in calls for g in genes) and "Outside" not in s["test"]:
                bad = [g for g in bad if g in calls]
            out.append((check, "fail" if bad else "pass", f"wrong for {bad}"))
            continue
        gene, rest = args[0], args[1:]
        if "outside" in s["test"].lower() or "Override" in s["test"]:
            out.append((check, "skip", "outside-call / override input not in the extraction"))
            continue
        call = calls.get(gene)
        got = call.diplotypes if call else []
        if check in {"testPrintCpicCalls", "testPrintCalls", "testSourceDiplotypes"}:
            exp = [_cpic_style(d) for d in rest]
            if all("/" in d for d in exp):
                ok = sorted(exp) == sorted(got)
            else:  # a phenotype text
                ok = any(phenotype_of(gene, d).phenotype in exp for d in got)
            out.append((check, "pass" if ok else "fail", f"expected {exp}, got {got}"))
        elif check == "testRecommendedDiplotypes":
            want = "/".join(sorted(rest, key=lambda x: 0 if x == "Reference" else 1)) if "Reference" in rest else None
            names = {tuple(sorted(d.split("/"))) for d in got}
            ok = tuple(sorted(rest)) in names or want in got
            out.append((check, "pass" if ok else "fail", f"expected {rest}, got {got}"))
        elif check == "testLookupByActivity":
            score = {format_score(phenotype_of(gene, d).activity_score) for d in got}
            out.append((check, "pass" if score == {rest[0]} else "fail", f"expected {rest[0]}, got {score} {got}"))
        else:
            out.append((check, "skip", "prescribing-source check (FDA/other drugs) not covered"))
    return out
