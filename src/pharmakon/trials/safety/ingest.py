"""Readers that turn adverse-event report files into the long table ``report, drug, event, ...``.

* :func:`read_faers` - FDA FAERS quarterly ASCII extracts (``DEMOyyQq.txt``,
  ``DRUGyyQq.txt``, ``REACyyQq.txt``; ``$``-delimited, header line). Case
  de-duplication keeps the latest version of each case (largest ``caseversion``, then
  latest ``fda_dt``, then largest ``primaryid``); drugs are filtered by role code
  (``PS`` primary suspect, ``SS`` secondary suspect, ``C`` concomitant, ``I``
  interacting; default PS+SS). Strata columns ``sex``, ``age_band``, ``year``,
  ``quarter`` come from DEMO; ``outcomes``/``serious`` from OUTC and ``onset_days`` (time
  to onset) from THER + DEMO ``event_dt`` when those files are present
  (:mod:`pharmakon.trials.safety.faers_extra`).
* :func:`read_caers` - openEBGM's CAERS layout ``id, var1, var2, strat1...``.
* :func:`read_long` - a generic CSV/Parquet with ``report, drug, event`` and any strata.

Every reader returns ``(table, issues)``: a Polars DataFrame and a :class:`IngestReport`
listing each bad row with file, line and reason, never silently dropping one. Drug names
are normalised by :func:`normalise_drug_names` (upper case, collapsed whitespace,
salt/ester suffixes removed, then a user synonym map); event terms are kept at MedDRA
preferred-term level (upper-cased, trimmed).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from pharmakon.errors import InputError
from pharmakon.tables import check_file
from pharmakon.trials.safety.faers_extra import parse_faers_date, read_outcomes, read_therapy, time_to_onset

__all__ = [
    "IngestReport",
    "BadRow",
    "read_faers",
    "read_caers",
    "read_long",
    "normalise_drug_names",
    "load_synonyms",
    "SALT_SUFFIXES",
    "FAERS_ROLES",
    "FORMATS",
    "read_reports",
    "read_rows",
    "read_counts",
    "reports_sha256",
    "COUNT_COLUMNS",
]

FAERS_ROLES = ("PS", "SS", "C", "I")
#: Trailing salt/ester/hydrate words removed from drug names (applied repeatedly).
SALT_SUFFIXES = (
    "HYDROCHLORIDE",
    "HCL",
    "HYDROBROMIDE",
    "SODIUM",
    "POTASSIUM",
    "CALCIUM",
    "MAGNESIUM",
    "MESYLATE",
    "MESILATE",
    "MALEATE",
    "SULFATE",
    "SULPHATE",
    "ACETATE",
    "TARTRATE",
    "CITRATE",
    "SUCCINATE",
    "FUMARATE",
    "BESYLATE",
    "BESILATE",
    "PHOSPHATE",
    "BROMIDE",
    "CHLORIDE",
    "DIHYDRATE",
    "MONOHYDRATE",
    "TRIHYDRATE",
    "HYCLATE",
    "PROPIONATE",
    "VALERATE",
    "DIPROPIONATE",
    "NITRATE",
    "LACTATE",
    "TROMETHAMINE",
    "ESTOLATE",
    "STEARATE",
    "PAMOATE",
    "DISODIUM",
)
_SALT_RE = r"(\s+(" + "|".join(SALT_SUFFIXES) + r"))+$"


@dataclass(frozen=True)
class BadRow:
    """One rejected input row: file, 1-based line number and the reason."""

    file: str
    line: int
    reason: str


@dataclass
class IngestReport:
    """What a reader read, kept and rejected (``bad_rows`` capped at ``max_listed`` entries)."""

    rows_read: int = 0
    rows_kept: int = 0
    bad_count: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    max_listed: int = 1000

    def add_bad(self, file: str, lines: list[int], reason: str) -> None:
        self.bad_count += len(lines)
        room = self.max_listed - len(self.bad_rows)
        self.bad_rows.extend(BadRow(file, int(line), reason) for line in lines[: max(room, 0)])

    def to_dict(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "bad_count": self.bad_count,
            "bad_rows": [vars(b) for b in self.bad_rows],
            "notes": self.notes,
        }


def load_synonyms(path: str | Path) -> dict[str, str]:
    """Read a synonym map CSV with columns ``name, canonical`` (names normalised on both sides)."""
    df = pl.read_csv(path, infer_schema_length=0)
    if not {"name", "canonical"} <= set(df.columns):
        raise InputError(f"synonym map needs columns 'name' and 'canonical'; has {df.columns}", file=str(path))
    norm = normalise_drug_names(df, "name", {}).with_columns(
        normalise_drug_names(df.select(pl.col("canonical").alias("name")), "name", {})["name"].alias("canonical")
    )
    return dict(zip(norm["name"].to_list(), norm["canonical"].to_list(), strict=True))


def normalise_drug_names(
    df: pl.DataFrame,
    column: str = "drug",
    synonyms: dict[str, str] | None = None,
) -> pl.DataFrame:
    """Upper-case, collapse whitespace, drop trailing punctuation and salt/ester suffixes, map synonyms.

    The rules run on the column's distinct values (a few thousand names in millions of
    rows) and the rows take their value's result.
    """
    expr = (
        pl.col(column)
        .str.to_uppercase()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.strip_chars_end(".,;:")
        .str.replace(_SALT_RE, "")
        .str.strip_chars()
    )
    if synonyms:
        expr = expr.replace(synonyms)
    return df.with_columns(_per_distinct(df[column], expr, column))


def _per_distinct(values: pl.Series, expr: pl.Expr, name: str) -> pl.Series:
    """``expr`` (written over column ``name``) applied to each distinct value of ``values``, spread to the rows."""
    values = values.cast(pl.Utf8)
    distinct = pl.DataFrame({name: values.unique()})
    mapped = distinct.with_columns(expr.alias("_to")).filter(pl.col(name).ne_missing(pl.col("_to")))
    if mapped.height == 0:
        return values.alias(name)
    return values.replace(mapped[name], mapped["_to"]).alias(name)


def _clean_events(df: pl.DataFrame, column: str = "event") -> pl.DataFrame:
    expr = pl.col(column).str.replace_all(r"\s+", " ").str.strip_chars().str.to_uppercase()
    return df.with_columns(_per_distinct(df[column], expr, column))


def _blank(values: pl.Series) -> pl.Series:
    """Rows (boolean mask) whose value is null or only whitespace, decided on the distinct values."""
    values = values.cast(pl.Utf8)
    distinct = values.unique()
    blank = distinct.filter(distinct.is_null() | (distinct.str.strip_chars() == ""))
    if blank.len() == 0:
        return values.is_null()  # all False: a null would be among the blanks
    return values.is_in(blank.implode(), nulls_equal=True)


def _read_dollar(path: Path, report: IngestReport) -> pl.DataFrame:
    """Read one ``$``-delimited FAERS file; rows with the wrong field count are reported."""
    raw = pl.read_csv(
        path,
        separator="\x1f",
        has_header=False,
        new_columns=["line"],
        quote_char=None,
        infer_schema_length=0,
        encoding="utf8-lossy",
    )
    if raw.height == 0:
        raise InputError("file is empty (no header line)", file=str(path))
    header = [h.strip().lower() for h in raw["line"][0].rstrip("\r").split("$")]
    body = raw.slice(1).with_row_index("lineno", offset=2).with_columns(pl.col("line").str.strip_chars_end("\r"))
    body = body.with_columns(pl.col("line").str.count_matches(r"\$", literal=False).alias("nsep"))
    good = body["nsep"] == len(header) - 1
    report.rows_read += body.height
    bad = body.filter(~good)
    if bad.height:
        report.add_bad(path.name, bad["lineno"].to_list(), f"expected {len(header)} '$'-separated fields")
    body = body.filter(good)
    fields = body["line"].str.split_exact("$", len(header) - 1).struct.rename_fields(header).alias("f")
    return body.select(pl.col("lineno"), fields).unnest("f")


def _faers_files(source: str | Path | list, kind: str) -> list[Path]:
    paths = [Path(p) for p in ([source] if isinstance(source, (str, Path)) else source)]
    found: list[Path] = []
    for p in paths:
        cands = sorted(p.iterdir()) if p.is_dir() else [p]
        found += [c for c in cands if re.match(rf"^{kind}\d{{2}}Q\d\.txt$", c.name, re.IGNORECASE)]
    return found


def _require(df: pl.DataFrame, cols: list[str], path: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; header has {df.columns[1:]}", file=path, field=missing[0])


def read_faers(
    source: str | Path | list,
    *,
    roles: tuple[str, ...] = ("PS", "SS"),
    drug_field: str = "drugname",
    synonyms: dict[str, str] | None = None,
) -> tuple[pl.DataFrame, IngestReport]:
    """Read FAERS quarterly ASCII extracts (one or several quarters) into the long table.

    Parameters
    ----------
    source : path, folder or list of them
        FAERS ``ascii`` folder(s) or the DEMO/DRUG/REAC files themselves.
    roles : tuple of {"PS", "SS", "C", "I"}
        Drug role codes kept.
    drug_field : {"drugname", "prod_ai"}
        Which DRUG column names the drug.
    synonyms : dict, optional
        Normalised name -> canonical name.

    Returns
    -------
    table : polars.DataFrame
        ``report`` (caseid), ``primaryid``, ``drug``, ``event``, ``sex``, ``age_band``, ``year``, ``quarter``,
        ``serious`` (Y/N from the optional OUTC files, else ``unknown``), ``outcomes`` (comma-joined OUTC
        codes), ``drug_seq``, ``therapy_start`` and ``onset_days`` (event date minus therapy start in days,
        from the optional THER files and DEMO ``event_dt``; null when either is missing or partial).
    report : IngestReport
    """
    bad_roles = [r for r in roles if r not in FAERS_ROLES]
    if bad_roles:
        raise InputError(f"unknown FAERS role code(s) {bad_roles}; allowed {list(FAERS_ROLES)}", field="roles")
    if drug_field not in ("drugname", "prod_ai"):
        raise InputError(f"drug_field must be 'drugname' or 'prod_ai', got {drug_field!r}", field="drug_field")
    rep = IngestReport()
    parts = {}
    for kind, cols in (
        ("DEMO", ["primaryid", "caseid", "caseversion"]),
        ("DRUG", ["primaryid", "role_cod", drug_field]),
        ("REAC", ["primaryid", "pt"]),
    ):
        files = _faers_files(source, kind)
        if not files:
            raise InputError(f"no {kind}yyQq.txt file found in {source}", file=str(source))
        frames = []
        for f in files:
            df = _read_dollar(f, rep)
            _require(df, cols, str(f))
            frames.append(
                df.with_columns(pl.lit(f.name).alias("file")).select(
                    [
                        "file",
                        "lineno",
                        *cols,
                        *(
                            [c for c in ("fda_dt", "event_dt", "sex", "age", "age_cod") if c in df.columns]
                            if kind == "DEMO"
                            else [c for c in ("drug_seq",) if c in df.columns and kind == "DRUG"]
                        ),
                    ]
                )
            )
        parts[kind] = pl.concat(frames, how="diagonal_relaxed")
    demo = parts["DEMO"].with_columns(pl.col("caseversion").cast(pl.Int64, strict=False).alias("cv"))
    bad = demo.filter(pl.col("cv").is_null() | (pl.col("primaryid") == "") | (pl.col("caseid") == ""))
    for (fname,), g in bad.group_by(["file"]):
        rep.add_bad(fname, g["lineno"].to_list(), "DEMO row without primaryid/caseid or a numeric caseversion")
    demo = demo.filter(pl.col("cv").is_not_null() & (pl.col("primaryid") != "") & (pl.col("caseid") != ""))
    if "fda_dt" not in demo.columns:
        demo = demo.with_columns(pl.lit(None, pl.Utf8).alias("fda_dt"))
    latest = (
        demo.sort(["caseid", "cv", "fda_dt", "primaryid"], nulls_last=False)
        .group_by("caseid", maintain_order=True)
        .last()
    )
    rep.notes.append(f"{demo.height - latest.height} superseded case version(s) removed ({latest.height} cases kept)")
    age = pl.col("age").cast(pl.Float64, strict=False) if "age" in latest.columns else pl.lit(None, pl.Float64)
    unit = {"YR": 1.0, "DEC": 10.0, "MON": 1 / 12, "WK": 1 / 52.18, "DY": 1 / 365.25, "HR": 1 / 8766}
    cod = pl.col("age_cod") if "age_cod" in latest.columns else pl.lit("YR")
    years = age * cod.replace_strict(unit, default=None, return_dtype=pl.Float64)
    latest = latest.with_columns(
        pl.col("sex").fill_null("UNK").replace("", "UNK").alias("sex")
        if "sex" in latest.columns
        else pl.lit("UNK").alias("sex"),
        pl.when(years.is_null())
        .then(pl.lit("unknown"))
        .when(years < 18)
        .then(pl.lit("0-17"))
        .when(years < 65)
        .then(pl.lit("18-64"))
        .otherwise(pl.lit("65+"))
        .alias("age_band"),
        pl.col("fda_dt").str.slice(0, 4).fill_null("unknown").alias("year"),
        (
            pl.col("fda_dt").str.slice(0, 4)
            + "Q"
            + ((pl.col("fda_dt").str.slice(4, 2).cast(pl.Int32, strict=False) - 1) // 3 + 1).cast(pl.Utf8)
        )
        .fill_null("unknown")
        .alias("quarter"),
    ).select(
        pl.col("primaryid"),
        pl.col("caseid").alias("report"),
        "sex",
        "age_band",
        "year",
        "quarter",
        (parse_faers_date("event_dt")[0] if "event_dt" in latest.columns else pl.lit(None, pl.Date)).alias("event_dt"),
    )
    drug = parts["DRUG"].with_columns(pl.col("role_cod").str.strip_chars().str.to_uppercase())
    bad = drug.filter(~pl.col("role_cod").is_in(list(FAERS_ROLES)) | (pl.col(drug_field).str.strip_chars() == ""))
    for (fname,), g in bad.group_by(["file"]):
        rep.add_bad(fname, g["lineno"].to_list(), f"DRUG row with an unknown role_cod or empty {drug_field}")
    drug = drug.filter(pl.col("role_cod").is_in(list(roles)) & (pl.col(drug_field).str.strip_chars() != ""))
    seq = pl.col("drug_seq").str.strip_chars() if "drug_seq" in drug.columns else pl.lit(None, pl.Utf8)
    drug = normalise_drug_names(
        drug.select("primaryid", pl.col(drug_field).alias("drug"), seq.alias("drug_seq")), "drug", synonyms
    )
    reac = parts["REAC"]
    bad = reac.filter(pl.col("pt").str.strip_chars() == "")
    for (fname,), g in bad.group_by(["file"]):
        rep.add_bad(fname, g["lineno"].to_list(), "REAC row with an empty preferred term (pt)")
    reac = _clean_events(
        reac.filter(pl.col("pt").str.strip_chars() != "").select("primaryid", pl.col("pt").alias("event"))
    )
    table = latest.join(drug, on="primaryid").join(reac, on="primaryid")
    outc_files, ther_files = _faers_files(source, "OUTC"), _faers_files(source, "THER")
    if outc_files:  # a report is serious when it has any outcome code (DE, LT, HO, DS, CA, RI, OT)
        outc = read_outcomes(outc_files, rep, _read_dollar, _require)
        table = table.join(outc, on="primaryid", how="left").with_columns(
            pl.col("outcomes").fill_null(""), pl.col("serious").fill_null("N")
        )
    else:
        table = table.with_columns(pl.lit("unknown").alias("serious"), pl.lit(None, pl.Utf8).alias("outcomes"))
    if ther_files:
        table = time_to_onset(table, read_therapy(ther_files, rep, _read_dollar, _require), rep)
    else:
        table = table.with_columns(
            pl.lit(None, pl.Date).alias("therapy_start"), pl.lit(None, pl.Int64).alias("onset_days")
        )
    table = table.select(
        "report",
        "primaryid",
        "drug",
        "event",
        "sex",
        "age_band",
        "year",
        "quarter",
        "serious",
        "outcomes",
        "drug_seq",
        "therapy_start",
        "onset_days",
    )
    rep.rows_kept = table.height
    return table, rep


def _read_table(path: Path) -> pl.DataFrame:
    """The whole file as strings with its 1-based ``lineno`` (Polars: report tables run to tens of millions of rows).

    The file checks (missing, not a file, empty) are :func:`pharmakon.tables.check_file`'s.
    """
    path = check_file(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            return pl.read_parquet(path).with_row_index("lineno", offset=1)
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise InputError(f"cannot read as Parquet: {exc}".splitlines()[0], file=str(path)) from exc
    try:
        return pl.read_csv(path, infer_schema_length=0).with_row_index("lineno", offset=2)
    except pl.exceptions.NoDataError:
        raise InputError("the file has no header line (only blank lines)", file=str(path)) from None
    except pl.exceptions.ComputeError as exc:
        ragged = _ragged_row(path)
        if ragged is not None:
            line, n_fields, header = ragged
            raise InputError(
                f"this line has {n_fields} fields but the header has {len(header)} ({', '.join(header)})",
                file=str(path),
                row=line,
            ) from None
        raise InputError(f"cannot parse as CSV: {exc}".splitlines()[0], file=str(path)) from exc


def _ragged_row(path: Path) -> tuple[int, int, list[str]] | None:
    """``(line, fields, header)`` of the first CSV record whose field count differs from the header's, if any."""
    import csv

    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return None
        for record in reader:
            if record and len(record) != len(header):
                return reader.line_num, len(record), header
    return None


def _finish(
    df: pl.DataFrame, source: str, rep: IngestReport, strata: list[str], synonyms: dict | None, normalise: bool
) -> pl.DataFrame:
    rep.rows_read += df.height
    for col in ("report", "drug", "event"):
        blank = _blank(df[col])
        if blank.any():
            rep.add_bad(source, df.filter(blank)["lineno"].to_list(), f"empty {col}")
            df = df.filter(~blank)
    df = _clean_events(df.with_columns(pl.col("report").cast(pl.Utf8)))
    if normalise:
        df = normalise_drug_names(df, "drug", synonyms)
    elif synonyms:
        df = df.with_columns(pl.col("drug").replace(synonyms))
    rep.rows_kept = df.height
    return df.select(
        "report", "drug", "event", *strata, *[c for c in ("quarter",) if c in df.columns and c not in strata]
    )


def read_caers(
    path: str | Path,
    *,
    synonyms: dict[str, str] | None = None,
    normalise: bool = False,
) -> tuple[pl.DataFrame, IngestReport]:
    """Read openEBGM's CAERS layout (``id, var1, var2``, optional ``strat*`` columns).

    CAERS ``var1`` holds product (brand) names, not ingredients, so by default names are
    kept verbatim (as openEBGM does; this reproduces its counts); ``normalise=True``
    applies :func:`normalise_drug_names`. A synonym map applies either way.
    """
    path = Path(path)
    df = _read_table(path)
    _require(df, ["id", "var1", "var2"], str(path))
    strata = [c for c in df.columns if c.startswith("strat")]
    rep = IngestReport()
    renamed = df.rename({"id": "report", "var1": "drug", "var2": "event"})
    out = _finish(renamed, path.name, rep, strata, synonyms, normalise)
    return out, rep


def read_long(
    path: str | Path,
    *,
    synonyms: dict[str, str] | None = None,
    normalise: bool = True,
) -> tuple[pl.DataFrame, IngestReport]:
    """Read a generic long table with ``report, drug, event`` and any other (strata) columns."""
    path = Path(path)
    df = _read_table(path)
    _require(df, ["report", "drug", "event"], str(path))
    strata = [c for c in df.columns if c not in ("lineno", "report", "drug", "event", "quarter")]
    rep = IngestReport()
    return _finish(df, path.name, rep, strata, synonyms, normalise), rep


def read_rows(
    rows: Sequence[Mapping[str, Any]],
    *,
    synonyms: dict[str, str] | None = None,
    normalise: bool = True,
    source: str = "request body",
) -> tuple[pl.DataFrame, IngestReport]:
    """Reports given as records (``report, drug, event`` and any strata), cleaned as :func:`read_long` cleans a file.

    Values are kept as text (as a CSV is read); a bad row is reported with ``source`` and
    its 1-based position in ``rows``.
    """
    if not rows:
        raise InputError("no report rows given", file=source)
    text = [{k: None if v is None else str(v) for k, v in row.items()} for row in rows]
    columns = list(dict.fromkeys(k for row in text for k in row))
    df = pl.DataFrame(
        {c: [row.get(c) for row in text] for c in columns}, schema={c: pl.Utf8 for c in columns}
    ).with_row_index("lineno", offset=1)
    _require(df, ["report", "drug", "event"], source)
    strata = [c for c in df.columns if c not in ("lineno", "report", "drug", "event", "quarter")]
    rep = IngestReport()
    return _finish(df, source, rep, strata, synonyms, normalise), rep


FORMATS = ("caers", "faers", "long", "counts")


def read_reports(
    path: str | Path,
    fmt: str,
    *,
    synonyms: dict[str, str] | None = None,
    normalise: bool | None = None,
    roles: tuple[str, ...] = ("PS", "SS"),
    drug_field: str = "drugname",
) -> tuple[pl.DataFrame, IngestReport]:
    """Dispatch to the reader of ``fmt`` (caers, faers, long, counts); ``normalise=None`` keeps its default."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose from {list(FORMATS)}", field="format")
    if fmt == "faers":
        return read_faers(path, roles=roles, drug_field=drug_field, synonyms=synonyms)
    if fmt == "counts":
        return read_counts(path)
    reader = read_caers if fmt == "caers" else read_long
    return (
        reader(path, synonyms=synonyms) if normalise is None else reader(path, synonyms=synonyms, normalise=normalise)
    )


COUNT_COLUMNS = ("drug", "event", "n", "n_drug", "n_event", "n_total")


def read_counts(path: str | Path) -> tuple[pl.DataFrame, IngestReport]:
    """Read pre-aggregated pair counts ``drug, event, n, n_drug, n_event, n_total[, expected]``.

    Rows with a missing, non-integer or negative count, or counts that cannot form a
    2x2 table (``n > n_drug``, ``n > n_event``, ``n_drug + n_event - n > n_total``, ``n < 1``)
    are reported with their line and dropped; ``expected`` (if given) must be > 0.
    """
    path = Path(path)
    df = _read_table(path)
    _require(df, list(COUNT_COLUMNS), str(path))
    rep = IngestReport(rows_read=df.height)
    ints = ["n", "n_drug", "n_event", "n_total"]
    df = df.with_columns([pl.col(c).cast(pl.Float64, strict=False).alias(f"_{c}") for c in ints])
    has_e = "expected" in df.columns
    if has_e:
        df = df.with_columns(pl.col("expected").cast(pl.Float64, strict=False))
    checks = [
        (pl.any_horizontal([pl.col(f"_{c}").is_null() for c in ints]), "missing or non-numeric count"),
        (pl.any_horizontal([(pl.col(f"_{c}") < 0) for c in ints]), "negative count"),
        (pl.any_horizontal([(pl.col(f"_{c}") != pl.col(f"_{c}").floor()) for c in ints]), "non-integer count"),
        (
            (pl.col("_n") < 1)
            | (pl.col("_n") > pl.col("_n_drug"))
            | (pl.col("_n") > pl.col("_n_event"))
            | (pl.col("_n_drug") + pl.col("_n_event") - pl.col("_n") > pl.col("_n_total")),
            "counts do not form a 2x2 table (need 1 <= n <= n_drug, n_event and n_drug + n_event - n <= n_total)",
        ),
        ((pl.col("drug").is_null() | pl.col("event").is_null()), "empty drug or event"),
    ]
    if has_e:
        checks.append(((pl.col("expected").is_null() | (pl.col("expected") <= 0)), "expected must be > 0"))
    bad_any = pl.lit(False)
    for cond, reason in checks:
        cond = cond.fill_null(False) & ~bad_any
        hit = df.filter(cond)
        if hit.height:
            rep.add_bad(path.name, hit["lineno"].to_list(), reason)
        bad_any = bad_any | cond
    df = df.filter(~bad_any.fill_null(True))
    out = df.select(
        "drug", "event", *[pl.col(f"_{c}").cast(pl.Int64).alias(c) for c in ints], *(["expected"] if has_e else [])
    )
    if not has_e:
        out = out.with_columns((pl.col("n_drug") * pl.col("n_event") / pl.col("n_total")).alias("expected"))
    rep.rows_kept = out.height
    return out, rep


def reports_sha256(table: pl.DataFrame, *, slice_rows: int = 500_000) -> str:
    """SHA-256 of a report table's CSV form (header, then the rows in order), hashed slice by slice.

    The audit trail's identity of the data a signal table was computed from: the same
    reports read from a file or posted as rows give the same digest.
    """
    digest = hashlib.sha256()
    for i, part in enumerate(table.iter_slices(slice_rows)):
        digest.update(part.write_csv(include_header=i == 0).encode("utf-8"))
    return digest.hexdigest()
