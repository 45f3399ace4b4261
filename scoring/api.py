"""Public entry points: ``assess`` (one firm), ``assess_frame`` (many), ``what_if``.

All three run the same vectorized ``engine.evaluate``; a single firm is a one-row frame.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from scoring.engine import STATUS_OF_CODE, Coded, Evaluation, evaluate, next_rungs
from scoring.explain import RowView, ladder_assessment, upgrade_path
from scoring.fields import FIELDS, CellError, canonicalize
from scoring.models import Assessment, InputIssue, Number
from scoring.readiness.predict import (
    READINESS_COLUMNS,
    readiness_columns,
    readiness_of_row,
    resolve,
)
from scoring.rulesets import LADDERS, RuleSet, with_overrides

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
]


class InputError(ValueError):
    """Input that cannot be assessed at all (not a mapping, no name, unknown fields)."""

    def __init__(self, zh: str, en: str, fields: list[str] | None = None):
        super().__init__(en)
        self.zh, self.en, self.fields = zh, en, fields or []


def _firm_dict(firm: Any) -> dict:
    if isinstance(firm, BaseModel):
        firm = firm.model_dump(exclude_none=True)
    if not isinstance(firm, dict):
        raise InputError("企业数据应为键值对象", "a firm must be a mapping of field to value")
    unknown = sorted(set(firm) - set(FIELDS))
    if unknown:
        raise InputError(
            f"未知字段：{'、'.join(unknown)}", f"unknown fields: {', '.join(unknown)}", unknown
        )
    name = firm.get("name")
    if name is None or not str(name).strip():
        raise InputError("缺少企业名称（name）", "name is required", ["name"])
    return firm


def input_hash(firm: dict) -> str:
    canonical = json.dumps(firm, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _rulesets(overrides: dict | None) -> tuple[RuleSet, ...] | None:
    return with_overrides(overrides) if overrides else None


def assess(
    firm: Any,
    *,
    as_of: dt.date | None = None,
    mode: str = "new",
    overrides: dict[str, Any] | None = None,
    today: dt.date | None = None,
    readiness: Any = "current",
    actions: bool = True,
) -> Assessment:
    """Assess one firm on every ladder: status, score, trace, gaps and upgrade path, and the
    readiness model's probabilities (``readiness``: a bundle, ``"current"`` or None) with
    the actions that raise them most (``actions``: a second scoring pass of the firm with
    each gap closed)."""
    data = _firm_dict(firm)
    frame = canonicalize(pd.DataFrame([data], columns=list(data)))
    ev = evaluate(frame, as_of=as_of, mode=mode, rulesets=_rulesets(overrides), today=today)
    chances = _readiness(ev, resolve(readiness))
    result = _assessment(ev, 0, data, next_rungs(ev), _criteria_versions(ev), chances)
    if chances is not None and actions:
        options = {"as_of": as_of, "mode": mode, "today": today, "overrides": overrides}
        _with_actions([result], ev, [0], chances[0], **options)
    return result


def assess_many(
    firms: list[Any],
    *,
    as_of: dt.date | None = None,
    mode: str = "new",
    today: dt.date | None = None,
    readiness: Any = "current",
    actions: bool = True,
) -> list[Assessment | InputError]:
    """Full assessments of many firms in one vectorized pass (the service batches concurrent
    requests this way). Each result is what ``assess`` gives for that firm alone; a firm that
    cannot be assessed gets its ``InputError`` in its place."""
    out: list[Assessment | InputError] = []
    good: list[tuple[int, dict]] = []
    for i, firm in enumerate(firms):
        try:
            good.append((i, _firm_dict(firm)))
        except InputError as exc:
            out.append(exc)
            continue
        out.append(None)  # filled below
    if good:
        datas = [d for _, d in good]
        columns = list(dict.fromkeys(k for d in datas for k in d))
        frame = canonicalize(pd.DataFrame(datas, columns=columns))
        ev = evaluate(frame, as_of=as_of, mode=mode, today=today)
        rungs, versions = next_rungs(ev), _criteria_versions(ev)
        chances = _readiness(ev, resolve(readiness))
        for row, (i, data) in enumerate(good):
            out[i] = _assessment(ev, row, data, rungs, versions, chances)
        if chances is not None and actions:
            rows = list(range(len(good)))
            options = {"as_of": as_of, "mode": mode, "today": today}
            _with_actions([out[i] for i, _ in good], ev, rows, chances[0], **options)
    return out


def _readiness(ev: Evaluation, bundle) -> tuple[Any, dict] | None:
    return None if bundle is None else (bundle, readiness_columns(ev, bundle))


def _with_actions(
    results: list[Assessment], ev: Evaluation, rows: list[int], bundle, **options
) -> None:
    """Each firm's actions for the first rung of its path that an amount can bring closer,
    sorted by the gain in probability; every firm of the batch is re-scored in one pass
    (``scoring.readiness.explain``) with the same ``options`` (as_of, mode, today, overrides)."""
    from scoring.readiness.explain import firm_actions

    items = []
    for result, row in zip(results, rows, strict=True):
        typed = {f: _plain(col[row]) for f, col in ev.frame.columns.items()}
        path = [step.ladder for step in result.path]
        gaps = {k: result.ladders[k].gaps for k in path}
        items.append(({f: v for f, v in typed.items() if v is not None}, path, gaps))
    chosen = firm_actions(bundle, items, **options)
    for result, (ladder, actions) in zip(results, chosen, strict=True):
        result.readiness.actions_ladder = ladder
        result.readiness.actions = actions


def _plain(value):
    """A canonical cell as a plain Python value (None when unknown)."""
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else value
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return value


def _assessment(
    ev: Evaluation,
    row: int,
    data: dict,
    rungs: Coded,
    versions: Coded,
    chances: tuple[Any, dict] | None = None,
) -> Assessment:
    view = RowView(ev, row)
    ladders = {ladder: ladder_assessment(ev, ladder, row, view) for ladder in LADDERS}
    rung = rungs[row] or None
    fy = ev.frame.num("fiscal_year")[row]
    versions = versions[row]
    return Assessment(
        name=ev.frame.text("name")[row],
        credit_code=ev.frame.text("credit_code")[row],
        fiscal_year=None if math.isnan(fy) else int(fy),
        reference_date=str(ev.ref_date[row]),
        mode=ev.mode,
        ladders=ladders,
        next_rung=rung,
        path=upgrade_path(ladders, rung) if rung else [],
        criteria_version=versions,
        input_issues=[
            InputIssue(field=e.field, value=e.value, zh=e.zh, en=e.en, severity=e.severity)
            for e in ev.frame.errors
            if e.row == row
        ],
        input_hash=input_hash(data),
        readiness=None if chances is None else readiness_of_row(*chances, row),
    )


def _criteria_versions(ev: Evaluation) -> Coded:
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


def _row_errors(errors: list[CellError], n: int) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    by_row: dict[int, list[str]] = {}
    for e in errors:
        by_row.setdefault(e.row, []).append(
            ("【提示】" if e.severity == "warning" else "") + e.text_zh()
        )
    for row, texts in by_row.items():
        out[row] = "；".join(texts)
    return out


CHUNK_ROWS = 200_000  # rows scored at a time: bounds memory and keeps temporaries reusable


def assess_frame(
    df: pd.DataFrame,
    *,
    as_of: dt.date | None = None,
    mode: str = "new",
    overrides: dict[str, Any] | None = None,
    today: dt.date | None = None,
    chunk_rows: int = CHUNK_ROWS,
    scale: dict[str, float] | None = None,
    readiness: Any = "current",
) -> pd.DataFrame:
    """Score many firms: the input columns followed by the batch output contract columns
    (with the readiness columns when a readiness model is given or current).

    Rows keep their input order. A row without a name is ``rejected`` with the reason; every
    other row is ``scored``, with the cells that were ignored listed in ``row_errors``.
    Large frames are scored in chunks of ``chunk_rows``; the result does not depend on it.
    ``scale`` converts fields given in other units (see ``fields.canonicalize``).
    """
    evaluations = iter_evaluations(
        df,
        as_of=as_of,
        mode=mode,
        overrides=overrides,
        today=today,
        chunk_rows=chunk_rows,
        scale=scale,
    )
    result = collect_results(len(df), evaluations, readiness=resolve(readiness))
    result.index = df.index
    passthrough = df.drop(columns=[c for c in result.columns if c in df.columns])
    return pd.concat([passthrough, result], axis=1)


def collect_results(n: int, evaluations, on_chunk=None, readiness=None) -> pd.DataFrame:
    """The output contract columns for ``n`` rows from (rows, Evaluation) chunks, and the
    readiness columns when ``readiness`` is a model bundle.

    ``on_chunk(rows, ev)`` sees every chunk too (the batch collects gaps that way).
    """
    merged: dict[str, Any] = {}
    for rows, ev in evaluations:
        if on_chunk is not None:
            on_chunk(rows, ev)
        columns = result_columns(ev)
        if readiness is not None:
            columns.update(readiness_columns(ev, readiness))
        for name, col in columns.items():
            if isinstance(col, Coded):
                merged.setdefault(name, Coded(n)).assign(rows, col.codes, col.categories)
            else:
                merged.setdefault(name, np.empty(n, dtype=col.dtype))[rows] = col
    names = OUTPUT_COLUMNS + (READINESS_COLUMNS if readiness is not None else [])
    return pd.DataFrame(
        {name: col.categorical() if isinstance(col, Coded) else col for name, col in merged.items()}
    )[names]


def iter_evaluations(
    df: pd.DataFrame,
    *,
    as_of: dt.date | None = None,
    mode: str = "new",
    overrides: dict[str, Any] | None = None,
    today: dt.date | None = None,
    chunk_rows: int = CHUNK_ROWS,
    scale: dict[str, float] | None = None,
):
    """Evaluate ``df`` chunk by chunk: yields (row positions, Evaluation) pairs."""
    rulesets = _rulesets(overrides)
    for start in range(0, max(len(df), 1), chunk_rows):
        part = df.iloc[start : start + chunk_rows]
        frame = canonicalize(part, scale)
        ev = evaluate(frame, as_of=as_of, mode=mode, rulesets=rulesets, today=today)
        yield np.arange(start, start + len(part)), ev


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
    errors = _row_errors(ev.frame.errors, n)
    errors[rejected] = "缺少企业名称（name），无法评价"
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
    versions = _criteria_versions(ev)
    out["criteria_version"] = _coded(versions.codes, versions.categories, rejected)
    return out


class LadderChange(BaseModel):
    ladder: str
    status_before: str
    status_after: str
    score_before: Number
    score_after: Number
    route_before: str | None
    route_after: str | None
    failed_added: list[str]
    failed_removed: list[str]


class WhatIf(BaseModel):
    before: Assessment
    after: Assessment
    changes: list[LadderChange]  # ladders whose status, score, route or failures changed
    next_rung_before: str | None
    next_rung_after: str | None


def what_if(
    firm: Any,
    changes: dict[str, Any] | None = None,
    overrides: dict[str, Any] | None = None,
    *,
    as_of: dt.date | None = None,
    mode: str = "new",
    today: dt.date | None = None,
    readiness: Any = "current",
) -> WhatIf:
    """Re-score a firm with changed inputs and/or changed thresholds; report what moved."""
    base = _firm_dict(firm)
    changed = _firm_dict({**base, **(changes or {})})
    bundle = resolve(readiness)
    before = assess(base, as_of=as_of, mode=mode, today=today, readiness=bundle)
    after = assess(
        changed, as_of=as_of, mode=mode, overrides=overrides, today=today, readiness=bundle
    )
    diffs = []
    for ladder in LADDERS:
        b, a = before.ladders[ladder], after.ladders[ladder]
        if (b.status, b.score, b.route, b.failed) != (a.status, a.score, a.route, a.failed):
            diffs.append(
                LadderChange(
                    ladder=ladder,
                    status_before=b.status,
                    status_after=a.status,
                    score_before=b.score,
                    score_after=a.score,
                    route_before=b.route,
                    route_after=a.route,
                    failed_added=[f for f in a.failed if f not in b.failed],
                    failed_removed=[f for f in b.failed if f not in a.failed],
                )
            )
    return WhatIf(
        before=before,
        after=after,
        changes=diffs,
        next_rung_before=before.next_rung,
        next_rung_after=after.next_rung,
    )


def assess_pool(
    df: pd.DataFrame,
    *,
    as_of: dt.date | None = None,
    mode: str = "new",
    today: dt.date | None = None,
    readiness: Any = "current",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A pool of firms: the output contract per row (with readiness when a model is current)
    and the near-threshold list (columns ``row, ladder, rule_id, shortfall, zh``; see
    ``scoring.gaps.near_threshold``)."""
    from scoring.gaps import near_threshold

    parts: list[pd.DataFrame] = []

    def keep_near(rows, ev):
        near = near_threshold(ev)
        parts.append(near.assign(row=rows[near["row"].to_numpy(dtype=np.int64)]))

    contract = collect_results(
        len(df),
        iter_evaluations(df, as_of=as_of, mode=mode, today=today),
        keep_near,
        readiness=resolve(readiness),
    )
    contract.index = df.index
    return contract, pd.concat(parts, ignore_index=True)
