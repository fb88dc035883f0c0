"""RECIST 1.1 from SDTM TU/TR (and RS): per-visit response, best overall response, confirmation.

SDTM conventions (Eisenhauer et al., Eur J Cancer 45:228, 2009; SDTMIG TU/TR/RS):

* a lesion is a TU row (``TULNKID``); its role is ``TUSTRESC`` (``TARGET``,
  ``NON-TARGET``, ``NEW``); a lesion whose ``TULOC`` is ``LYMPH NODE`` is a node;
* a target node is measured by its short axis (TR ``TRTESTCD`` = ``LPERP``), any other
  target lesion by its longest diameter (``LDIAM``); the sum of diameters (SOD) adds them;
* a non-target lesion's state is ``TRTESTCD`` = ``TUMSTATE`` with ``PRESENT``,
  ``ABSENT`` or ``UNEQUIVOCAL PROGRESSION``;
* a new lesion is a TU row with ``TUSTRESC`` = ``NEW`` at a follow-up visit (or any TR
  row of a lesion whose TU role is ``NEW``).

Per follow-up visit (the first visit of a subject is the baseline):

* target response: CR when every target is gone (non-nodes 0 mm, nodes < 10 mm); PD when
  the SOD is >= 20 % above the nadir (the smallest SOD of the complete earlier visits,
  baseline included) and >= 5 mm above it, even when some target is missing; PR when
  complete and SOD <= 70 % of baseline; SD when complete; NE otherwise;
* non-target response: PD on unequivocal progression; CR when all are ABSENT;
  NE when one is not assessed; NON-CR/NON-PD otherwise;
* overall response: RECIST 1.1 Tables 1 (targets) and 2 (non-targets only); any new lesion is PD.

Best overall response (BOR), as admiralonco's ``derive_param_bor`` counts it: responses
up to the first PD; SD and NON-CR/NON-PD count only at or after ``sd_min_days`` from the
baseline date (else NE); the best of CR > PR > SD > NON-CR/NON-PD > PD > NE.
Confirmed BOR (admiralonco's ``derive_param_confirmed_bor`` with ``accept_sd = FALSE``):
a CR needs a later CR at least ``confirm_days`` later with only CR or NE between, a PR a
later PR or CR with only CR, PR or NE between and no PR after a CR; at most ``max_ne``
NE in between; an unconfirmed CR or PR counts as SD (when late enough).

Dates are ISO 8601 (``TRDTC``); a partial date ``YYYY-MM`` is taken as the first of
that month (documented imputation; a visit without any date is an error).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from pharmakon.errors import InputError

__all__ = [
    "RESPONSES",
    "VisitResponse",
    "SubjectRecist",
    "RecistRules",
    "read_sdtm",
    "assess",
    "best_response",
    "confirmed_best_response",
    "overall_response",
    "reader_agreement",
    "rs_responses",
    "default_evaluator",
    "ReaderAgreement",
    "SdtmReads",
]

RESPONSES = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
_RANK = {r: i for i, r in enumerate(RESPONSES)}  # lower is better
NT_STATES = ("PRESENT", "ABSENT", "UNEQUIVOCAL PROGRESSION")


@dataclass(frozen=True)
class RecistRules:
    """Thresholds (RECIST 1.1 defaults) and windows of the best-response derivation."""

    pd_fraction: float = 0.20
    pd_absolute_mm: float = 5.0
    pr_fraction: float = 0.30
    node_cr_mm: float = 10.0
    confirm_days: int = 21
    sd_min_days: int = 28
    max_ne: int = 1


@dataclass
class VisitResponse:
    """One follow-up assessment (sums in mm; ``day`` since the baseline assessment)."""

    visit: str
    visitnum: float
    date: str
    day: int
    sod: float | None
    nadir: float | None
    target: str | None
    non_target: str | None
    new_lesion: bool
    response: str


@dataclass
class SubjectRecist:
    """A subject's baseline, visits, BOR, confirmed BOR and time to progression (days)."""

    usubjid: str
    baseline_sod: float | None
    baseline_date: str
    visits: list[VisitResponse] = field(default_factory=list)
    bor: str = "NE"
    cbor: str = "NE"
    ttp_days: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------------------- reading


def _upper(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.columns = [str(c).strip().upper() for c in df.columns]
    return df


def _require(df: pd.DataFrame, cols: tuple[str, ...], file: str) -> None:
    for col in cols:
        if col not in df.columns:
            raise InputError("missing column", file=file, field=col)


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip().str.upper().fillna("")


def _reader_mask(df: pd.DataFrame, prefix: str, evaluator: str | None) -> pd.Series:
    """Rows whose ``<prefix>EVAL`` or ``<prefix>EVALID`` equals ``evaluator`` (all rows when None)."""
    if evaluator is None:
        return pd.Series(True, index=df.index)
    name = evaluator.strip().upper()
    cols = [c for c in (f"{prefix}EVAL", f"{prefix}EVALID") if c in df.columns]
    if not cols:
        return pd.Series(True, index=df.index)
    hit = pd.Series(False, index=df.index)
    for c in cols:
        hit |= _text(df[c]) == name
    # a reader id (RADIOLOGIST 1) is more specific than the evaluator role it belongs to
    if f"{prefix}EVALID" in df.columns and name == "INVESTIGATOR":
        hit &= _text(df[f"{prefix}EVALID"]).isin(["", "INVESTIGATOR"])
    return hit


def _readers_of(df: pd.DataFrame, prefix: str) -> list[str]:
    """The distinct readers of a TU/TR frame: ``<prefix>EVALID`` where given, else ``<prefix>EVAL``."""
    role = _text(df[f"{prefix}EVAL"]) if f"{prefix}EVAL" in df.columns else pd.Series("", index=df.index)
    rid = _text(df[f"{prefix}EVALID"]) if f"{prefix}EVALID" in df.columns else pd.Series("", index=df.index)
    return sorted(set(rid.where(rid != "", role)) - {""})


def default_evaluator(tr: pd.DataFrame) -> str | None:
    """``INVESTIGATOR`` when the TR file has investigator reads; else None (a single reader)."""
    tr = _upper(tr)
    if "TREVAL" in tr.columns and (_text(tr["TREVAL"]) == "INVESTIGATOR").any():
        return "INVESTIGATOR"
    return None


def _parse_date(text: str, *, file: str, row: int) -> date:
    text = text.strip()
    try:
        if len(text) == 7:  # YYYY-MM: first of the month
            return date.fromisoformat(text + "-01")
        if len(text) == 4:
            return date.fromisoformat(text + "-01-01")
        return date.fromisoformat(text[:10])
    except ValueError:
        raise InputError(f"not an ISO 8601 date: {text!r}", file=file, row=row, field="TRDTC") from None


@dataclass(frozen=True)
class SdtmReads:
    """One reader's lesions (TU) and results (TR), cleaned; ``line`` is the 1-based file line."""

    lesions: pd.DataFrame  # USUBJID, LNKID, ROLE, NODE, VISITNUM
    results: pd.DataFrame  # USUBJID, LNKID, TESTCD, VALUE, STATE, VISITNUM, VISIT, DATE, line


def read_sdtm(tu: pd.DataFrame, tr: pd.DataFrame, evaluator: str | None, *, tu_file: str, tr_file: str) -> SdtmReads:
    """Select one reader's TU/TR rows and check them (missing lesion, date, non-numeric diameter).

    Raises
    ------
    InputError
        A TR row for a lesion missing from TU, a visit without a date, a non-numeric
        diameter, an unknown tumour state: the file, 1-based line and column are named.
    """
    tu, tr = _upper(tu), _upper(tr)
    _require(tu, ("USUBJID", "TULNKID", "TULOC"), tu_file)
    _require(tr, ("USUBJID", "TRLNKID", "TRTESTCD", "VISITNUM", "TRDTC"), tr_file)
    if "TUSTRESC" not in tu.columns and "TUORRES" not in tu.columns:
        raise InputError("missing column", file=tu_file, field="TUSTRESC")
    tu["line"] = np.arange(len(tu)) + 2
    tr["line"] = np.arange(len(tr)) + 2
    tu = tu[_reader_mask(tu, "TU", evaluator)]
    tr = tr[_reader_mask(tr, "TR", evaluator)]
    if evaluator is None and len(readers := _readers_of(tr, "TR")) > 1:
        raise InputError(
            f"TR holds the reads of several evaluators ({', '.join(readers)}); choose one (evaluator, --evaluator)",
            file=tr_file,
            field="TREVAL",
        )
    if tr.empty:
        raise InputError(f"no TR row for evaluator {evaluator!r}", file=tr_file, field="TREVAL")
    role = _text(tu["TUSTRESC"] if "TUSTRESC" in tu.columns else tu["TUORRES"])
    lesions = pd.DataFrame(
        {
            "USUBJID": _text(tu["USUBJID"]),
            "LNKID": _text(tu["TULNKID"]),
            "ROLE": role,
            "NODE": _text(tu["TULOC"]) == "LYMPH NODE",
            "VISITNUM": pd.to_numeric(tu.get("VISITNUM"), errors="coerce") if "VISITNUM" in tu else np.nan,
            "VISIT": _text(tu["VISIT"]) if "VISIT" in tu else "",
        }
    ).drop_duplicates(["USUBJID", "LNKID"])
    return SdtmReads(lesions, _results(tr, lesions, tr_file))


def _first_line(tr: pd.DataFrame, bad: pd.Series | np.ndarray) -> int:
    return int(tr["line"].to_numpy()[np.flatnonzero(np.asarray(bad))[0]])


def _results(tr: pd.DataFrame, lesions: pd.DataFrame, file: str) -> pd.DataFrame:
    subj, lnk = _text(tr["USUBJID"]), _text(tr["TRLNKID"])
    known = pd.MultiIndex.from_arrays([lesions["USUBJID"], lesions["LNKID"]])
    missing = ~pd.MultiIndex.from_arrays([subj, lnk]).isin(known)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise InputError(
            f"lesion {lnk.iloc[i]} of subject {subj.iloc[i]} is not in TU",
            file=file,
            row=_first_line(tr, missing),
            field="TRLNKID",
        )
    visitnum = pd.to_numeric(tr["VISITNUM"], errors="coerce")
    if visitnum.isna().any():
        raise InputError("VISITNUM is not a number", file=file, row=_first_line(tr, visitnum.isna()), field="VISITNUM")
    dtc = tr["TRDTC"].astype("string").str.strip().fillna("")
    if (no_date := dtc == "").any():
        i = int(np.flatnonzero(no_date)[0])
        raise InputError(
            f"visit {tr['VISITNUM'].iloc[i]} of subject {subj.iloc[i]} has no date",
            file=file,
            row=_first_line(tr, no_date),
            field="TRDTC",
        )
    lines = dict(zip(dtc, tr["line"], strict=True))  # a line of each distinct date text, for its error
    parsed = {text: _parse_date(text, file=file, row=int(lines[text])) for text in dtc.unique()}
    testcd = _text(tr["TRTESTCD"])
    # the standard result first (TRSTRESN, TRSTRESC), the original one (TRORRES) where it is blank
    text = pd.Series("", index=tr.index, dtype="string")
    for col in ("TRORRES", "TRSTRESC"):
        if col in tr.columns:
            cleaned = _text(tr[col])
            text = cleaned.where(cleaned != "", text)
    raw = text.replace("", pd.NA)
    values = pd.to_numeric(raw, errors="coerce")
    if "TRSTRESN" in tr.columns:
        values = pd.to_numeric(tr["TRSTRESN"], errors="coerce").fillna(values)
        raw = raw.fillna(tr["TRSTRESN"].astype("string"))
    diameter = testcd.isin(["LDIAM", "LPERP"]) & ((text != "") | raw.notna())
    if (bad := diameter & (values.isna() | (values < 0))).any():
        i = int(np.flatnonzero(bad)[0])
        shown = text.iloc[i] or raw.iloc[i]
        raise InputError(
            f"diameter is not a number >= 0: {shown!r}", file=file, row=_first_line(tr, bad), field="TRSTRESN"
        )
    if (bad := (testcd == "TUMSTATE") & ~text.isin(NT_STATES)).any():
        raise InputError(
            f"tumour state must be one of {NT_STATES}", file=file, row=_first_line(tr, bad), field="TRSTRESC"
        )
    return pd.DataFrame(
        {
            "USUBJID": subj.to_numpy(),
            "LNKID": lnk.to_numpy(),
            "TESTCD": testcd.to_numpy(),
            "VALUE": values.to_numpy(dtype=float),
            "STATE": text.to_numpy(),
            "VISITNUM": visitnum.to_numpy(dtype=float),
            "VISIT": (tr["VISIT"].astype("string") if "VISIT" in tr else visitnum.astype(str)).to_numpy(),
            "DATE": dtc.map(parsed).to_numpy(),
            "line": tr["line"].to_numpy(),
        }
    )


# ---------------------------------------------------------------------------- per visit


def target_response(
    values: dict[str, float], nodes: set[str], targets: list[str], nadir: float | None, base: float, rules: RecistRules
) -> tuple[str, float]:
    """(target response, SOD) of one visit; ``values`` maps each measured target to mm."""
    sod = float(sum(values.values()))
    complete = all(t in values for t in targets)
    if nadir is not None and sod - nadir >= rules.pd_absolute_mm and sod >= (1 + rules.pd_fraction) * nadir:
        return "PD", sod
    if not complete:
        return "NE", sod
    gone = all((values[t] < rules.node_cr_mm) if t in nodes else values[t] == 0 for t in targets)
    if gone:
        return "CR", sod
    if base > 0 and sod <= (1 - rules.pr_fraction) * base:
        return "PR", sod
    return "SD", sod


def non_target_response(states: dict[str, str], non_targets: list[str]) -> str | None:
    """Non-target response of one visit (None when the subject has no non-target lesion)."""
    if not non_targets:
        return None
    if any(s == "UNEQUIVOCAL PROGRESSION" for s in states.values()):
        return "PD"
    if not all(n in states for n in non_targets):
        return "NE"
    return "CR" if all(states[n] == "ABSENT" for n in non_targets) else "NON-CR/NON-PD"


def overall_response(target: str | None, non_target: str | None, new: bool) -> str:
    """RECIST 1.1 Table 1 (with targets) and Table 2 (non-targets only)."""
    if new or target == "PD" or non_target == "PD":
        return "PD"
    if target is None:
        return {"CR": "CR", "NON-CR/NON-PD": "NON-CR/NON-PD"}.get(non_target or "", "NE")
    if target == "CR":
        return "CR" if non_target in (None, "CR") else "PR"
    if target == "PR":
        return "PR"
    return target  # SD or NE


@dataclass(frozen=True)
class _Row:
    lnkid: str
    testcd: str
    value: float
    state: str
    visit: str
    date: date


def _assess_subject(
    usubjid: str,
    lesions: list[tuple[str, str, bool, float, str]],
    visits: dict[float, list[_Row]],
    rules: RecistRules,
) -> SubjectRecist:
    """One subject: ``lesions`` (id, role, node, TU visitnum, TU visit); ``visits`` maps VISITNUM to its TR rows."""
    targets = sorted(lk for lk, role, *_ in lesions if role == "TARGET")
    non_targets = sorted(lk for lk, role, *_ in lesions if role == "NON-TARGET")
    nodes = {lk for lk, _, node, *_ in lesions if node}
    new_lesions = [(lk, vn, vname) for lk, role, _, vn, vname in lesions if role == "NEW"]
    order = sorted(visits)
    base_date = min(r.date for r in visits[order[0]])
    base = float(sum(_target_values(visits[order[0]], targets, nodes).values())) if targets else None
    out = SubjectRecist(usubjid, base, base_date.isoformat())
    nadir = base
    for vn in order[1:]:
        rows = visits[vn]
        when = min(r.date for r in rows)
        values = _target_values(rows, targets, nodes)
        states = {r.lnkid: r.state for r in rows if r.testcd == "TUMSTATE" and r.lnkid in non_targets}
        here = {r.lnkid for r in rows}
        name = str(rows[0].visit).strip().upper()
        new = any(v == vn or (vname and vname == name) or lk in here for lk, v, vname in new_lesions)
        t_resp, sod = target_response(values, nodes, targets, nadir, base or 0.0, rules) if targets else (None, None)
        nt_resp = non_target_response(states, non_targets)
        out.visits.append(
            VisitResponse(
                visit=rows[0].visit,
                visitnum=float(vn),
                date=when.isoformat(),
                day=(when - base_date).days,
                sod=sod,
                nadir=nadir,
                target=t_resp,
                non_target=nt_resp,
                new_lesion=new,
                response=overall_response(t_resp, nt_resp, new),
            )
        )
        if targets and sod is not None and all(t in values for t in targets):
            nadir = min(nadir, sod) if nadir is not None else sod
    responses = [(v.day, v.response) for v in out.visits]
    out.bor = best_response(responses, rules)
    out.cbor = confirmed_best_response(responses, rules)
    out.ttp_days = next((v.day for v in out.visits if v.response == "PD"), None)
    return out


def _target_values(rows: list[_Row], targets: list[str], nodes: set[str]) -> dict[str, float]:
    """Each measured target's diameter: LPERP for a node, LDIAM otherwise."""
    wanted = set(targets)
    return {
        r.lnkid: r.value
        for r in rows
        if r.lnkid in wanted and r.testcd == ("LPERP" if r.lnkid in nodes else "LDIAM") and not np.isnan(r.value)
    }


def assess(reads: SdtmReads, rules: RecistRules | None = None) -> list[SubjectRecist]:
    """Per-visit responses, BOR and confirmed BOR of every subject, in USUBJID order."""
    rules = rules or RecistRules()
    lesions: dict[str, list[tuple[str, str, bool, float, str]]] = {}
    les = reads.lesions
    cols = (les["USUBJID"], les["LNKID"], les["ROLE"], les["NODE"], les["VISITNUM"], les["VISIT"])
    for subj, lk, role, node, vn, vname in zip(*cols, strict=True):
        lesions.setdefault(subj, []).append((lk, role, bool(node), float(vn), str(vname)))
    res = reads.results
    by_subject: dict[str, dict[float, list[_Row]]] = {}
    columns = ("USUBJID", "VISITNUM", "LNKID", "TESTCD", "VALUE", "STATE", "VISIT", "DATE")
    for subj, vn, *row in zip(*(res[c].tolist() for c in columns), strict=True):
        by_subject.setdefault(subj, {}).setdefault(vn, []).append(_Row(*row))
    return [_assess_subject(str(s), lesions.get(s, []), by_subject[s], rules) for s in sorted(by_subject)]


# ---------------------------------------------------------------------------- best response


def _until_pd(responses: list[tuple[int, str]]) -> list[tuple[int, str]]:
    cut = next((i for i, (_, r) in enumerate(responses) if r == "PD"), None)
    return responses if cut is None else responses[: cut + 1]


def best_response(responses: list[tuple[int, str]], rules: RecistRules | None = None) -> str:
    """BOR from (day since baseline, response) pairs in time order (see the module text)."""
    rules = rules or RecistRules()
    kept = []
    for day, r in _until_pd(responses):
        if r in ("SD", "NON-CR/NON-PD") and day < rules.sd_min_days:
            r = "NE"
        kept.append(r)
    return min(kept, key=_RANK.__getitem__) if kept else "NE"


def _confirmed(responses: list[tuple[int, str]], i: int, ok: tuple[str, ...], rules: RecistRules) -> bool:
    """Whether response ``i`` is confirmed by a later one in ``ok`` at least ``confirm_days`` later.

    In between (and at the confirmation) only ``ok`` responses and at most ``max_ne`` NE
    are allowed, and no PR may follow a CR (admiralonco's ``derive_param_confirmed_bor``).
    """
    day0 = responses[i][0]
    n_ne, seen_cr = 0, False
    for day, r in responses[i + 1 :]:
        if r == "NE":
            n_ne += 1
            if n_ne > rules.max_ne:
                return False
            continue
        if r not in ok or (r == "PR" and seen_cr):
            return False
        seen_cr |= r == "CR"
        if day - day0 >= rules.confirm_days:
            return True
    return False


def confirmed_best_response(responses: list[tuple[int, str]], rules: RecistRules | None = None) -> str:
    """Confirmed BOR: a CR confirmed by a CR, a PR by a PR or CR; else SD when late enough (see the module text)."""
    rules = rules or RecistRules()
    seq = _until_pd(responses)
    best = "NE"
    for i, (day, r) in enumerate(seq):
        if r == "CR" and _confirmed(seq, i, ("CR",), rules):
            cand = "CR"
        elif r == "PR" and _confirmed(seq, i, ("CR", "PR"), rules):
            cand = "PR"
        elif r in ("CR", "PR", "SD"):
            cand = "SD" if day >= rules.sd_min_days else "NE"
        elif r == "NON-CR/NON-PD":
            cand = r if day >= rules.sd_min_days else "NE"
        else:
            cand = r
        best = min(best, cand, key=_RANK.__getitem__)
    return best


# ---------------------------------------------------------------------------- readers


@dataclass(frozen=True)
class ReaderAgreement:
    """Cohen's kappa on paired per-visit responses and the rate of discordant BORs."""

    readers: tuple[str, str]
    pairs: int
    kappa: float
    subjects: int
    discordant_bor: int
    discordant_bor_rate: float


def rs_responses(rs: pd.DataFrame, file: str) -> pd.DataFrame:
    """Overall responses of an RS file: USUBJID, READER (RSEVALID or RSEVAL), VISITNUM, DATE, RESPONSE."""
    rs = _upper(rs)
    _require(rs, ("USUBJID", "VISITNUM", "RSSTRESC"), file)
    if "RSTESTCD" in rs.columns:
        rs = rs[_text(rs["RSTESTCD"]) == "OVRLRESP"]
    reader = _text(rs["RSEVALID"]) if "RSEVALID" in rs.columns else pd.Series("", index=rs.index)
    role = _text(rs["RSEVAL"]) if "RSEVAL" in rs.columns else pd.Series("", index=rs.index)
    return pd.DataFrame(
        {
            "USUBJID": _text(rs["USUBJID"]),
            "READER": reader.where(reader != "", role),
            "VISITNUM": pd.to_numeric(rs["VISITNUM"], errors="coerce"),
            "DATE": rs["RSDTC"].astype("string") if "RSDTC" in rs.columns else "",
            "RESPONSE": _text(rs["RSSTRESC"]),
        }
    )


def reader_agreement(
    rs: pd.DataFrame, readers: tuple[str, str], baseline_dates: dict[str, date], rules: RecistRules | None = None
) -> ReaderAgreement:
    """Kappa (scikit-learn's ``cohen_kappa_score``) and BOR discordance between two RS readers."""
    from sklearn.metrics import cohen_kappa_score

    a = rs[rs["READER"] == readers[0]].set_index(["USUBJID", "VISITNUM"])["RESPONSE"]
    b = rs[rs["READER"] == readers[1]].set_index(["USUBJID", "VISITNUM"])["RESPONSE"]
    paired = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner").sort_index()
    kappa = float(cohen_kappa_score(paired["a"], paired["b"])) if len(paired) else float("nan")
    discordant, subjects = 0, 0
    for subj, grp in paired.groupby(level=0):
        dates = rs[(rs["USUBJID"] == subj) & (rs["READER"] == readers[0])].set_index("VISITNUM")["DATE"]
        base = baseline_dates.get(str(subj))
        days = [_day(dates.get(vn), base, rank) for rank, vn in enumerate(grp.index.get_level_values(1))]
        bor_a = best_response(list(zip(days, grp["a"], strict=True)), rules)
        bor_b = best_response(list(zip(days, grp["b"], strict=True)), rules)
        subjects += 1
        discordant += bor_a != bor_b
    return ReaderAgreement(
        readers, len(paired), kappa, subjects, discordant, discordant / subjects if subjects else 0.0
    )


def _day(dtc: object, base: date | None, rank: int) -> int:
    if base is None or dtc is None or pd.isna(dtc) or not str(dtc).strip():
        return 10_000 + rank  # no baseline: every follow-up counts as late enough
    return (_parse_date(str(dtc), file="RS", row=0) - base).days
