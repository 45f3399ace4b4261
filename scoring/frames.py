"""Many firms as frames: chunked evaluation and the batch output contract's columns.

The layer the readiness model and the batch build on; it knows nothing of the model, so
``scoring.readiness`` imports it without reaching ``scoring.api``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from scoring.benefits import evaluation_worth
from scoring.engine import STATUS_OF_CODE, Coded, Evaluation, evaluate, next_rungs
from scoring.fields import CellError, canonicalize
from scoring.options import Options
from scoring.vocabulary import LADDER_ZH, LADDERS

OUTPUT_COLUMNS = [
    "row_status",
    "row_errors",
    *[
        f"{ladder}_{part}"
        for ladder in LADDERS
        for part in ("status", "score", "route", "failed", "missing")
    ],
    "gazelle_ruleset",
    "next_rung",
    "criteria_version",
    "warnings",  # added after the contract's columns (contract README: more may follow)
    *[f"{ladder}_worth_{part}" for ladder in LADDERS for part in ("yearly", "once")],
]
CHUNK_ROWS = 200_000  # rows scored at a time: bounds memory and keeps temporaries reusable
NO_NAME_ZH = "缺少企业名称（name），无法评价"


def iter_evaluations(
    df: pd.DataFrame,
    options: Options | None = None,
    *,
    chunk_rows: int = CHUNK_ROWS,
    scale: dict[str, float] | None = None,
    **changes,
):
    """Evaluate ``df`` chunk by chunk: yields (row positions, Evaluation) pairs."""
    options = Options.of(options, **changes)
    for start in range(0, max(len(df), 1), chunk_rows):
        part = df.iloc[start : start + chunk_rows]
        ev = evaluate(canonicalize(part, scale), options)
        yield np.arange(start, start + len(part)), ev


def criteria_versions(ev: Evaluation) -> Coded:
    """``tech_sme@2022;high_tech@2016;...`` per row, built once per distinct combination."""
    combo = np.zeros(ev.frame.n, dtype=np.int64)
    for ladder in LADDERS:
        rs = ev.ladders[ladder].ruleset
        combo = combo * (len(rs.categories) + 1) + rs.codes
    codes, uniques = pd.factorize(combo)
    first = np.zeros(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]  # a row of each combination
    texts = [
        ";".join(k for k in (ev.ladders[lad].ruleset[int(i)] for lad in LADDERS) if k)
        for i in first
    ]
    out = Coded(ev.frame.n)
    out.assign(np.arange(ev.frame.n), codes, texts)
    return out


def warning_texts(ev: Evaluation) -> Coded:
    """The ``warnings`` column: every ladder's notes on the rule-set choice and its warnings,
    "梯度：…" joined with "；", each distinct combination built once."""
    parts = [
        (LADDER_ZH[ladder], coded)
        for ladder in LADDERS
        for coded in (ev.ladders[ladder].notes, ev.ladders[ladder].warnings)
    ]
    combo = np.zeros(ev.frame.n, dtype=np.int64)
    for _, coded in parts:
        combo = combo * (len(coded.categories) + 1) + coded.codes
    codes, uniques = pd.factorize(combo)
    first = np.zeros(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    texts = [
        "；".join(f"{name}：{coded[int(i)]}" for name, coded in parts if coded[int(i)])
        for i in first
    ]
    out = Coded(ev.frame.n)
    out.assign(np.arange(ev.frame.n), codes, texts)
    return out


def row_errors(errors: list[CellError], n: int) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    by_row: dict[int, list[str]] = {}
    for e in errors:
        by_row.setdefault(e.row, []).append(
            ("【提示】" if e.severity == "warning" else "") + e.text_zh()
        )
    for row, texts in by_row.items():
        out[row] = "；".join(texts)
    return out


def _coded(codes: np.ndarray, categories: list[str], blank: np.ndarray) -> Coded:
    out = Coded(len(codes))
    out.assign(np.arange(len(codes)), np.asarray(codes), categories)
    out.codes[blank] = 0  # category 0 is always ""
    return out


def result_columns(ev: Evaluation) -> dict[str, Any]:
    """The output contract for one evaluated frame: text columns as Coded, scores as floats."""
    n = ev.frame.n
    names = ev.frame.text("name")
    rejected = pd.isna(names)
    errors = row_errors(ev.frame.errors, n)
    errors[rejected] = NO_NAME_ZH
    out: dict[str, Any] = {
        "row_status": _coded(rejected.astype(np.int8), ["scored", "rejected"], np.zeros(n, bool)),
        "row_errors": errors,
    }
    for ladder in LADDERS:
        res = ev.ladders[ladder]
        out[f"{ladder}_status"] = _coded(res.status, list(STATUS_OF_CODE), rejected)
        out[f"{ladder}_score"] = np.where(rejected, np.nan, res.score)
        for part in ("route", "failed", "missing"):
            coded = getattr(res, part)
            out[f"{ladder}_{part}"] = _coded(coded.codes, coded.categories, rejected)
    gz = ev.ladders["gazelle"].ruleset
    out["gazelle_ruleset"] = _coded(gz.codes, gz.categories, rejected)
    rung = next_rungs(ev)
    out["next_rung"] = _coded(rung.codes, rung.categories, rejected)
    versions = criteria_versions(ev)
    out["criteria_version"] = _coded(versions.codes, versions.categories, rejected)
    warnings = warning_texts(ev)
    out["warnings"] = _coded(warnings.codes, warnings.categories, rejected)
    for ladder, worth in evaluation_worth(ev).items():
        out[f"{ladder}_worth_yearly"] = np.where(rejected, np.nan, worth.yearly)
        out[f"{ladder}_worth_once"] = np.where(rejected, np.nan, worth.once)
    return out


def contract_frame(ev: Evaluation) -> pd.DataFrame:
    """The output contract of one evaluation as a DataFrame (categoricals for text)."""
    columns = result_columns(ev)
    return pd.DataFrame(
        {k: v.categorical() if isinstance(v, Coded) else v for k, v in columns.items()}
    )[OUTPUT_COLUMNS]
