"""The diagnosis lexicon widened from public vocabularies in the data mirror (generated, not hand-typed).

:func:`build` reads three sources and writes ``data/diagnoses.json`` (shipped with the
package, so matching needs no mirror at run time); :mod:`.lexicon` merges it into its
concepts on import.

Sources (paths relative to the data mirror):

* ``drug_repurposing/pharmacotherapydb/diseases.tsv``: the Disease Ontology names of
  PharmacotherapyDB's 97 diseases (DOID ids);
* ``synthea_fhir_r4/``: the SNOMED CT conditions of the Synthea sample (bulk NDJSON and
  the HIV-module Bundles) whose display carries the semantic tag ``(disorder)``; the
  SNOMED code becomes a record code of the concept;
* ``cdisc_pilot01/sdtm/mh.csv.gz``: MedDRA preferred terms (``MHDECOD``) with their
  lowest-level terms (``MHLLT``, when of more than one word) as synonyms, leaving out the system organ classes that
  are not diagnoses (:data:`SKIP_SOC`: procedures, investigations, injuries, social
  circumstances, general disorders, pregnancy).

Each name gets generic spelling variants (:func:`variants`): British to American
(``ae``/``oe`` to ``e``, tumour, -isation), possessives ("Meniere's disease" / "Meniere
disease"), MedDRA's and MeSH's inverted order ("colitis ulcerative" / "ulcerative
colitis"; "X, Y" / "Y X"). Names sharing a variant are one concept; a concept whose
variants include a phrase of the hand-curated core lexicon extends that concept (its
names and codes) instead of making a new one, and a core concept whose phrases name a
generated one gets it as broader ("hepatitis c" is a hepatitis). A new concept's broader concepts are the
ones named inside its names (longest match first, so "non-insulin-dependent diabetes
mellitus" is type 2 diabetes, not "insulin dependent diabetes"): a patient with
"diabetic retinopathy" has diabetes, one with "chronic kidney disease stage 3" has
chronic kidney disease.

Trial texts of the TREC/SIGIR collections are left out on purpose: the ranking is
evaluated on them, and their condition fields would tune the lexicon to the test set.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["build", "variants", "load", "write", "DATA_FILE", "SKIP_SOC", "SOURCES"]

DATA_FILE = Path(__file__).with_name("data") / "diagnoses.json"
SOURCES = {
    "doid": "drug_repurposing/pharmacotherapydb/diseases.tsv",
    "snomed": "synthea_fhir_r4",
    "meddra": "cdisc_pilot01/sdtm/mh.csv.gz",
}
#: MedDRA system organ classes whose terms are not diagnoses.
SKIP_SOC = frozenset(
    {
        "SURGICAL AND MEDICAL PROCEDURES",
        "INVESTIGATIONS",
        "INJURY, POISONING AND PROCEDURAL COMPLICATIONS",
        "SOCIAL CIRCUMSTANCES",
        "GENERAL DISORDERS AND ADMINISTRATION SITE CONDITIONS",
        "PREGNANCY, PUERPERIUM AND PERINATAL CONDITIONS",
    }
)
_ADJECTIVE = re.compile(r"(?:ive|ic|al|ous|ary|ed|ent|ant|ile|oid)$")
_TAG = re.compile(r"\s*\((?:disorder)\)\s*$", re.I)
_MIN_CHARS = 4  # shorter single names ("tic") collide with ordinary words


def _norm(name: str) -> str:
    """The form names are compared in: lower case, runs of non-alphanumerics as one space."""
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


def variants(name: str) -> list[str]:
    """Spelling variants of one name, lower case, the name itself first (see the module docstring)."""
    base = re.sub(r"\s+", " ", _TAG.sub("", name)).strip().lower()
    out = [base]
    if "," in base:  # MeSH / SNOMED inverted order: "hepatitis c, chronic" -> "chronic hepatitis c"
        head, _, tail = base.partition(",")
        out += [f"{tail.strip()} {head.strip()}", f"{head.strip()} {tail.strip()}"]
    words = base.split()
    if len(words) >= 2 and "," not in base and _ADJECTIVE.search(words[-1]) and not _ADJECTIVE.search(words[0]):
        out.append(" ".join([words[-1], *words[:-1]]))  # MedDRA: "colitis ulcerative" -> "ulcerative colitis"
    more = []
    for v in out:
        us = re.sub(r"(?<=[a-z])ae|^ae|(?<=[a-z])oe|^oe", "e", v)
        us = us.replace("tumour", "tumor").replace("isation", "ization").replace("ised", "ized")
        more.append(us)
        for w in (v, us):
            if "'s" in w:
                more += [w.replace("'s", ""), w.replace("'s", "s")]
    seen: dict[str, None] = {}
    for v in [*out, *more]:
        if len(_norm(v)) >= _MIN_CHARS:
            seen.setdefault(v, None)
    return list(seen)


# ------------------------------------------------------------------------------ sources


def _doid(mirror: Path) -> Iterable[tuple[str, list[str], list[str]]]:
    with (mirror / SOURCES["doid"]).open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            yield "doid", [row["disease"]], [row["doid_id"]]


def _snomed(mirror: Path) -> Iterable[tuple[str, list[str], list[str]]]:
    folder = mirror / SOURCES["snomed"]
    resources: list[dict[str, Any]] = []
    for path in sorted(folder.glob("**/Condition.*.ndjson")):
        resources += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for path in sorted(folder.glob("**/*.json")):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        resources += [e["resource"] for e in bundle.get("entry", []) if e["resource"]["resourceType"] == "Condition"]
    for res in resources:
        for coding in res.get("code", {}).get("coding", []):
            if coding.get("system", "").endswith("snomed.info/sct") and _TAG.search(coding.get("display", "")):
                yield "snomed", [coding["display"]], [coding["code"]]


def _meddra(mirror: Path) -> Iterable[tuple[str, list[str], list[str]]]:
    with gzip.open(mirror / SOURCES["meddra"], "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if not row["MHDECOD"] or row["MHBODSYS"] in SKIP_SOC:
                continue
            # a one-word lowest-level term is often an everyday word ("cold" for nasopharyngitis)
            llt = [row["MHLLT"]] if row["MHLLT"] and len(row["MHLLT"].split()) > 1 else []
            yield "meddra", [row["MHDECOD"], *llt], []


# ------------------------------------------------------------------------------ build


def build(
    mirror: Path,
    core: Mapping[str, Iterable[str]] | None = None,
    core_broader: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, Any]:
    """The widened lexicon from the mirror's sources, relative to the ``core`` concepts.

    ``core_broader``: the core's narrower -> broader map (for :func:`_core_hit`).
    Returns ``{"sources": {...}, "extend": {core_id: {"names", "codes"}}, "concepts":
    {new_id: {"names", "codes", "broader", "sources"}}}``, deterministic (sorted).
    """
    if core is None or core_broader is None:
        from pharmakon.trials.matching.lexicon import CORE_BROADER, CORE_CONCEPTS

        core, core_broader = core or CORE_CONCEPTS, core_broader or CORE_BROADER
    core_of = {_norm(p): cid for cid, phrases in core.items() for p in phrases}
    groups: list[dict[str, Any]] = []
    owner: dict[str, int] = {}  # normalised variant -> group
    for source, names, codes in [*_doid(mirror), *_snomed(mirror), *_meddra(mirror)]:
        vs = [v for n in names for v in variants(n)]
        if not vs:
            continue
        hits = sorted({owner[_norm(v)] for v in vs if _norm(v) in owner})
        if hits:
            gid = hits[0]
            for other in hits[1:]:  # names that bridge two groups join them
                _merge(groups, owner, gid, other)
        else:
            gid = len(groups)
            groups.append({"names": [], "codes": set(), "sources": set()})
        g = groups[gid]
        for v in vs:
            if v not in g["names"]:
                g["names"].append(v)
            owner.setdefault(_norm(v), gid)
        g["codes"].update(codes)
        g["sources"].add(source)
    return _resolve([g for g in groups if g["names"]], core, core_of, core_broader)


def _merge(groups: list[dict[str, Any]], owner: dict[str, int], into: int, other: int) -> None:
    src, dst = groups[other], groups[into]
    dst["names"] += [n for n in src["names"] if n not in dst["names"]]
    dst["codes"] |= src["codes"]
    dst["sources"] |= src["sources"]
    for key, gid in owner.items():
        if gid == other:
            owner[key] = into
    src["names"] = []


def _core_hit(
    names: list[str], core: Mapping[str, Iterable[str]], core_of: dict[str, str], broader: Mapping[str, Iterable[str]]
) -> str | None:
    """The core concept ``names`` are another wording of, if any.

    A name is one when it equals a core phrase, or contains one and adds only words the
    core concept's own phrases (or its broader concepts' phrases) use: "type 2 diabetes
    mellitus" is type 2 diabetes ("mellitus" is in "diabetes mellitus type 2"), but
    "chronic kidney disease stage 3" is narrower than chronic kidney disease ("3" is new).
    """
    for n in names:
        if _norm(n) in core_of:
            return core_of[_norm(n)]
    for n in names:
        words = _norm(n).split()
        for phrase in _spans(words, whole=True):  # longest first
            cid = core_of.get(phrase)
            if cid is None:
                continue
            vocab = {w for c in (cid, *broader.get(cid, ())) for p in core.get(c, ()) for w in _norm(p).split()}
            if set(words) - set(phrase.split()) <= vocab:
                return cid
    return None


def _spans(words: list[str], whole: bool = False) -> list[str]:
    """Every run of consecutive ``words`` (the whole only if ``whole``), longest first, then leftmost."""
    k = len(words)
    spans = [(j - i, i, j) for i in range(k) for j in range(i + 1, k + 1) if whole or (j - i) < k]
    return [" ".join(words[i:j]) for _, i, j in sorted(spans, key=lambda s: (-s[0], s[1]))]


def _resolve(
    groups: list[dict[str, Any]],
    core: Mapping[str, Iterable[str]],
    core_of: dict[str, str],
    core_broader: Mapping[str, Iterable[str]],
) -> dict[str, Any]:
    extend: dict[str, dict[str, set[str]]] = {}
    new: dict[str, dict[str, Any]] = {}
    for g in groups:
        hit = _core_hit(g["names"], core, core_of, core_broader)
        if hit is not None:
            e = extend.setdefault(hit, {"names": set(), "codes": set()})
            known = {_norm(p) for p in core[hit]}
            e["names"].update(n for n in g["names"] if _norm(n) not in known)
            e["codes"].update(c for c in g["codes"] if not c.startswith("DOID:"))
            continue
        cid = _slug(min(g["names"], key=lambda n: (len(n), n)), set(core) | set(new))
        new[cid] = {"names": g["names"], "codes": sorted(g["codes"]), "sources": sorted(g["sources"])}
    phrases = {**{cid: list(ps) for cid, ps in core.items()}, **{cid: c["names"] for cid, c in new.items()}}
    for cid, c in new.items():
        c["broader"] = sorted(_named_inside(c["names"], cid, phrases))
    # a core concept naming a generated one is narrower than it: "hepatitis c" is a hepatitis
    generated = {cid: c["names"] for cid, c in new.items()}
    for cid, ps in core.items():
        up = _named_inside(list(ps), cid, generated)
        if up:
            extend.setdefault(cid, {"names": set(), "codes": set()})["broader"] = up
    return {
        "sources": dict(SOURCES),
        "extend": {
            k: {"names": sorted(v["names"]), "codes": sorted(v["codes"]), "broader": sorted(v.get("broader", ()))}
            for k, v in sorted(extend.items())
            if v["names"] or v["codes"] or v.get("broader")
        },
        "concepts": dict(sorted(new.items())),
    }


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    slug, i = base, 2
    while slug in taken:
        slug, i = f"{base}_{i}", i + 1
    return slug


def _named_inside(names: list[str], me: str, phrases: Mapping[str, list[str]]) -> set[str]:
    """Concepts named inside ``names`` (longest match first, non-overlapping), not ``me``."""
    owner: dict[str, str] = {}
    for cid, ps in phrases.items():
        for p in ps:
            owner.setdefault(_norm(p), cid)
    found = set()
    for n in names:
        words = _norm(n).split()
        taken = [False] * len(words)
        spans = [(j - i, i, j) for i in range(len(words)) for j in range(i + 1, len(words) + 1)]
        for _, i, j in sorted(spans, key=lambda s: (-s[0], s[1])):
            cid = owner.get(" ".join(words[i:j]))
            if cid is None or cid == me or any(taken[i:j]):
                continue
            found.add(cid)
            taken[i:j] = [True] * (j - i)
    return found


def write(mirror: Path, path: Path = DATA_FILE) -> Path:
    """Build from ``mirror`` and write the JSON data file atomically."""
    from pharmakon.files import atomic_open

    data = build(mirror)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True, ensure_ascii=False)
        fh.write("\n")
    return path


@lru_cache(maxsize=1)
def load(path: Path = DATA_FILE) -> dict[str, Any]:
    """The shipped widened lexicon (empty extension when the data file is absent)."""
    if not path.is_file():
        return {"sources": {}, "extend": {}, "concepts": {}}
    return json.loads(path.read_text(encoding="utf-8"))


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    import sys

    print(write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data")))
