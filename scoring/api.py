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

from scoring.benefits import materials_for
from scoring.engine import Coded, Evaluation, evaluate, next_rungs
from scoring.explain import RowView, ladder_assessment, upgrade_path
from scoring.fields import FIELDS, canonicalize, refusal_zh
from scoring.filing_calendar import firm_calendar, next_line
from scoring.frames import (
    CHUNK_ROWS,
    OUTPUT_COLUMNS,
    criteria_versions,
    iter_evaluations,
    result_columns,
)
from scoring.gaps import near_threshold
from scoring.models import Assessment, InputIssue, Number
from scoring.options import Options
from scoring.readiness.explain import firm_actions
from scoring.readiness.predict import (
    READINESS_COLUMNS,
    readiness_columns,
    readiness_of_row,
    resolve,
)
from scoring.vocabulary import LADDERS

__all__ = ["OUTPUT_COLUMNS", "Evaluated", "InputError", "Options", "assess", "assess_many"]


class InputError(ValueError):
    """Input that cannot be assessed at all (not a mapping, no name, unknown fields)."""

    def __init__(
        self, zh: str, en: str, fields: list[str] | None = None, details: list | None = None
    ):
        super().__init__(en)
        self.zh, self.en, self.fields, self.details = zh, en, fields or [], details or []


def refuse_unusable(result: Assessment, *, lenient: bool = False) -> Assessment:
    """The input rule of every entry point where a person gives one firm (API, form): a value
    that cannot be used (not a number, out of range, a malformed code) refuses the firm with
    every such field named, so nothing is scored on a typo; ``lenient`` scores those values
    as unknown instead, the batch's rule (one bad cell must not stop a county's file).
    Warnings (a founding date in the future) never refuse."""
    bad = [i for i in result.input_issues if i.severity == "error"]
    if not bad or lenient:
        return result
    zh = {i.field: refusal_zh(i.field, i.zh) for i in bad}
    raise InputError(
        "有数值无法使用，请改正后再提交："
        + "；".join(
            f"{FIELDS[i.field].label_zh}({i.field})「{i.value}」{zh[i.field]}" for i in bad
        ),
        "unusable values (send lenient=true to score them as unknown): "
        + "; ".join(f"{i.field}={i.value!r}: {i.en}" for i in bad),
        [i.field for i in bad],
        [
            {"field": i.field, "value": i.value, "message_zh": zh[i.field], "message_en": i.en}
            for i in bad
        ],
    )


def firm_dict(firm: Any) -> dict:
    """A firm as a checked mapping of contract fields (``InputError`` when it is none)."""
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


class Evaluated:
    """Firms scored once: the one evaluation every exit reads (the assessments, the output
    contract row, the near-threshold list, the readiness figures, the PDF report), so they
    can never disagree and nothing is scored twice."""

    def __init__(self, ev: Evaluation, datas: list[dict] | None = None):
        self.ev, self.options = ev, ev.options
        # given firms are checked mappings, each assessed; rows of a sheet without a name
        # (blank, template, no name) were rejected and have no assessment
        self.datas = (
            datas if datas is not None else [known_fields(ev, i) for i in range(ev.frame.n)]
        )
        self.named = (
            np.ones(ev.frame.n, dtype=bool)
            if datas is not None
            else ~np.asarray(pd.isna(ev.frame.text("name")), dtype=bool)
        )
        self.bundle = resolve(self.options.readiness)
        self._assessments: list[Assessment] | None = None

    def chances(self) -> tuple[Any, dict] | None:
        return (
            None if self.bundle is None else (self.bundle, readiness_columns(self.ev, self.bundle))
        )

    def assessments(self) -> list[Assessment]:
        """Every row's full assessment (rows without a name have none: ``None``)."""
        if self._assessments is None:
            ev, chances = self.ev, self.chances()
            rungs, versions = next_rungs(ev), criteria_versions(ev)
            named = self.named
            out = [
                _assessment(ev, row, data, rungs, versions, chances) if named[row] else None
                for row, data in enumerate(self.datas)
            ]
            rows = [r for r in range(len(out)) if out[r] is not None]
            if chances is not None and self.options.actions and rows:
                _with_actions([out[r] for r in rows], ev, rows, chances[0], self.options)
            self._assessments = out
        return self._assessments

    def contract(self) -> pd.DataFrame:
        """The output contract columns (and the readiness columns with a model)."""
        return collect_results(
            self.ev.frame.n, [(np.arange(self.ev.frame.n), self.ev)], None, self.bundle
        )

    def near(self) -> pd.DataFrame:
        return near_threshold(self.ev)


def known_fields(ev: Evaluation, row: int) -> dict:
    """A row's known canonical fields as plain values (what a stored snapshot holds)."""
    typed = {f: _plain(col[row]) for f, col in ev.frame.columns.items() if f in FIELDS}
    return {f: v for f, v in typed.items() if v is not None}


def score_firms(firms: list[dict], options: Options | None = None, **changes) -> Evaluated:
    """Firms already checked by ``firm_dict``, scored in one vectorized pass."""
    options = Options.of(options, **changes)
    columns = list(dict.fromkeys(k for d in firms for k in d))
    frame = canonicalize(pd.DataFrame(firms, columns=columns))
    return Evaluated(evaluate(frame, options), list(firms))


def assess(firm: Any, options: Options | None = None, **changes) -> Assessment:
    """Assess one firm on every ladder: status, score, trace, gaps and upgrade path, and the
    readiness model's probabilities (``readiness``: a bundle, ``"current"`` or None) with
    the actions that raise them most (``actions``: a second scoring pass of the firm with
    each gap closed). ``options``/keywords: see ``scoring.options.Options``."""
    return score_firms([firm_dict(firm)], options, **changes).assessments()[0]


def assess_many(
    firms: list[Any], options: Options | None = None, **changes
) -> list[Assessment | InputError]:
    """Full assessments of many firms in one vectorized pass (the service batches concurrent
    requests this way). Each result is what ``assess`` gives for that firm alone; a firm that
    cannot be assessed gets its ``InputError`` in its place."""
    out: list[Assessment | InputError | None] = []
    good: list[tuple[int, dict]] = []
    for i, firm in enumerate(firms):
        try:
            good.append((i, firm_dict(firm)))
        except InputError as exc:
            out.append(exc)
            continue
        out.append(None)  # filled below
    if good:
        done = score_firms([d for _, d in good], options, **changes).assessments()
        for (i, _), result in zip(good, done, strict=True):
            out[i] = result
    return out


def _with_actions(
    results: list[Assessment], ev: Evaluation, rows: list[int], bundle, options: Options
) -> None:
    """Each firm's actions for the first rung of its path that an amount can bring closer,
    sorted by the gain in probability; every firm of the batch is re-scored in one pass
    (``scoring.readiness.explain``) with the same ``options``."""
    items = []
    for result, row in zip(results, rows, strict=True):
        path = [step.ladder for step in result.path]
        gaps = {k: result.ladders[k].gaps for k in path}
        items.append((known_fields(ev, row), path, gaps))
    chosen = firm_actions(bundle, items, options=options)
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
    path = upgrade_path(ladders, rung) if rung else []
    calendar = firm_calendar(
        data,
        [step.ladder for step in path],
        ev.options.today or dt.date.today(),
        held={k: bool(la.held) for k, la in ladders.items()},
    )
    windows = {e.ladder: e.zh for e in calendar if e.kind == "window"}
    for step in path:
        step.window_zh = windows.get(step.ladder)
    return Assessment(
        name=ev.frame.text("name")[row],
        credit_code=ev.frame.text("credit_code")[row],
        fiscal_year=None if math.isnan(fy) else int(fy),
        reference_date=str(ev.ref_date[row]),
        mode=ev.mode,
        ladders=ladders,
        next_rung=rung,
        path=path,
        criteria_version=versions,
        input_issues=[
            InputIssue(field=e.field, value=e.value, zh=e.zh, en=e.en, severity=e.severity)
            for e in ev.frame.errors
            if e.row == row
        ],
        warnings=[w for la in ladders.values() for w in la.warnings],
        materials=materials_for(rung) if rung else None,
        calendar=calendar,
        next_zh=next_line(calendar),
        input_hash=input_hash(data),
        readiness=None if chances is None else readiness_of_row(*chances, row),
    )


def assess_frame(
    df: pd.DataFrame,
    options: Options | None = None,
    *,
    chunk_rows: int = CHUNK_ROWS,
    scale: dict[str, float] | None = None,
    **changes,
) -> pd.DataFrame:
    """Score many firms: the input columns followed by the batch output contract columns
    (with the readiness columns when a readiness model is given or current).

    Rows keep their input order. A row without a name is ``rejected`` with the reason; every
    other row is ``scored``, with the cells that were ignored listed in ``row_errors``.
    Large frames are scored in chunks of ``chunk_rows``; the result does not depend on it.
    ``scale`` converts fields given in other units (see ``fields.canonicalize``).
    """
    options = Options.of(options, **changes)
    evaluations = iter_evaluations(df, options, chunk_rows=chunk_rows, scale=scale)
    result = collect_results(len(df), evaluations, readiness=resolve(options.readiness))
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
    options: Options | None = None,
    **option_changes,
) -> WhatIf:
    """Re-score a firm with changed inputs and/or changed thresholds; report what moved.
    Both sides are scored with the same options and readiness model; ``overrides`` apply to
    the "after" side only (on top of any the options carry)."""
    options = Options.of(options, **option_changes)
    options = options.replace(readiness=resolve(options.readiness))
    base = firm_dict(firm)
    changed = firm_dict({**base, **(changes or {})})
    before = assess(base, options)
    if overrides:
        options = options.replace(overrides={**(options.overrides or {}), **overrides})
    after = assess(changed, options)
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
    df: pd.DataFrame, options: Options | None = None, **changes
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A pool of firms: the output contract per row (with readiness when a model is current)
    and the near-threshold list (columns ``row, ladder, rule_id, shortfall, zh``; see
    ``scoring.gaps.near_threshold``)."""
    options = Options.of(options, **changes)
    parts: list[pd.DataFrame] = []

    def keep_near(rows, ev):
        near = near_threshold(ev)
        parts.append(near.assign(row=rows[near["row"].to_numpy(dtype=np.int64)]))

    contract = collect_results(
        len(df), iter_evaluations(df, options), keep_near, readiness=resolve(options.readiness)
    )
    contract.index = df.index
    return contract, pd.concat(parts, ignore_index=True)
