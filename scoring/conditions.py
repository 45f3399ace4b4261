"""Tri-state conditions over metric columns.

Outcomes are int8 codes ordered so that Kleene logic is min/max:
FAIL (0) < UNKNOWN (1) < PASS (2). ``all`` is the minimum of its parts, ``any`` the maximum.
A comparison on an unknown value (NaN, None) is UNKNOWN, never a silent pass or fail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

FAIL, UNKNOWN, PASS = np.int8(0), np.int8(1), np.int8(2)
OPS = ("min", "max", "gt", "lt", "eq", "in")
OP_SYMBOL = {"min": "≥", "max": "≤", "gt": ">", "lt": "<", "eq": "=", "in": "∈"}


class MetricSource:
    """Lazily computed metric columns for a set of rows (all rows, or an index array)."""

    def __init__(self, columns: dict[str, np.ndarray], rows: np.ndarray | None = None):
        from scoring.metrics import METRICS  # local import: metrics imports nothing from here

        self._metrics = METRICS
        self._columns = columns
        self._cache: dict[str, np.ndarray] = {}
        self._taken: dict[str, np.ndarray] = {}
        self.rows = rows

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = self._metrics[name].func(self._columns)
        if self.rows is None:
            return self._cache[name]
        if name not in self._taken:  # a group reads each metric several times
            self._taken[name] = self._cache[name][self.rows]
        return self._taken[name]

    def subset(self, rows: np.ndarray | None) -> MetricSource:
        view = MetricSource.__new__(MetricSource)
        view._metrics, view._columns, view._cache, view.rows = (
            self._metrics,
            self._columns,
            self._cache,
            rows,
        )
        view._taken = {}
        return view

    def column(self, field: str) -> np.ndarray:
        values = self._columns[field]
        return values if self.rows is None else values[self.rows]

    def __len__(self) -> int:
        return len(next(iter(self._columns.values()))) if self.rows is None else len(self.rows)


def kleene(op, outcomes: list[np.ndarray]) -> np.ndarray:
    """AND (np.minimum) or OR (np.maximum) of outcome arrays, pairwise without stacking them."""
    out = outcomes[0].copy()
    for other in outcomes[1:]:
        op(out, other, out=out)
    return out


def compare(values: np.ndarray, op: str, target) -> np.ndarray:
    """``values op target`` on floats; NaN compares False (the caller marks it unknown).

    Ratios computed in binary floating point land a hair off exact decimal edges
    (0.35000000000000003); a 1e-12 relative tolerance keeps "含" boundaries exact.
    """
    if op == "in":
        return np.isin(values, [float(t) for t in target])
    eps = 1e-12 * max(1.0, abs(float(target)))
    with np.errstate(invalid="ignore"):
        if op == "min":
            return values >= target - eps
        if op == "max":
            return values <= target + eps
        if op == "gt":
            return values > target + eps
        if op == "lt":
            return values < target - eps
        return np.abs(values - float(target)) <= eps  # eq


def _unknown_mask(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind == "M":
        return np.isnat(values)
    return pd.isna(values)


@dataclass
class Condition:
    id: str | None
    zh: str | None
    en: str | None

    def evaluate(self, m: MetricSource) -> np.ndarray:
        raise NotImplementedError

    def metrics(self) -> set[str]:
        raise NotImplementedError

    def leaves(self) -> list[Leaf]:
        raise NotImplementedError


@dataclass
class Leaf(Condition):
    metric: str
    op: str
    value: Any

    def evaluate(self, m: MetricSource) -> np.ndarray:
        values = m[self.metric]
        op, target = self.op, self.value
        if values.dtype.kind == "f":
            ok = compare(values, op, target)
            unknown = np.isnan(values)
        else:  # text: hash lookups, not a string copy of the column
            targets = [str(t) for t in (target if op == "in" else [target])]
            ok = pd.Series(values, dtype=object, copy=False).isin(targets).to_numpy()
            unknown = _unknown_mask(values)
        out = ok.view(np.int8) * np.int8(2)  # PASS where ok, FAIL elsewhere
        out[unknown] = UNKNOWN
        return out

    def metrics(self) -> set[str]:
        return {self.metric}

    def leaves(self) -> list[Leaf]:
        return [self]


@dataclass
class AllOf(Condition):
    parts: list[Condition]

    def evaluate(self, m: MetricSource) -> np.ndarray:
        return kleene(np.minimum, [p.evaluate(m) for p in self.parts])

    def metrics(self) -> set[str]:
        return set().union(*(p.metrics() for p in self.parts))

    def leaves(self) -> list[Leaf]:
        return [leaf for p in self.parts for leaf in p.leaves()]


@dataclass
class AnyOf(AllOf):
    def evaluate(self, m: MetricSource) -> np.ndarray:
        return kleene(np.maximum, [p.evaluate(m) for p in self.parts])


@dataclass
class Cases(Condition):
    """The first case whose ``when`` passes decides; an unknown ``when`` leaves it unknown."""

    cases: list[tuple[Condition | None, Condition]]

    def evaluate(self, m: MetricSource) -> np.ndarray:
        out = np.full(len(m), UNKNOWN, dtype=np.int8)
        open_ = np.ones(len(m), dtype=bool)  # no earlier case decided, none was unknown
        for when, then in self.cases:
            w = np.full(len(m), PASS, dtype=np.int8) if when is None else when.evaluate(m)
            chosen = open_ & (w == PASS)
            out = np.where(chosen, then.evaluate(m), out)
            open_ &= w == FAIL
        return out

    def selected(self, m: MetricSource) -> np.ndarray:
        """Index of the case that applies per row, -1 when unknown."""
        out = np.full(len(m), -1)
        open_ = np.ones(len(m), dtype=bool)
        for i, (when, _) in enumerate(self.cases):
            w = np.full(len(m), PASS, dtype=np.int8) if when is None else when.evaluate(m)
            out = np.where(open_ & (w == PASS), i, out)
            open_ &= w == FAIL
        return out

    def metrics(self) -> set[str]:
        names: set[str] = set()
        for when, then in self.cases:
            names |= then.metrics() | (when.metrics() if when else set())
        return names

    def leaves(self) -> list[Leaf]:
        return [leaf for _, then in self.cases for leaf in then.leaves()]


def compile_condition(spec: dict, where: str) -> Condition:
    """Build a Condition from its YAML mapping; ``where`` names the place for error messages."""
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: a condition must be a mapping, got {spec!r}")
    ident, zh, en = spec.get("id"), spec.get("zh"), spec.get("en")
    for key, kind in (("all", AllOf), ("any", AnyOf)):
        if key in spec:
            parts = [compile_condition(p, f"{where}.{key}[{i}]") for i, p in enumerate(spec[key])]
            return kind(ident, zh, en, parts)
    if "cases" in spec:
        cases = []
        for i, case in enumerate(spec["cases"]):
            when = case.get("when")
            cases.append(
                (
                    compile_condition(when, f"{where}.cases[{i}].when") if when else None,
                    compile_condition(case["then"], f"{where}.cases[{i}].then"),
                )
            )
        return Cases(ident, zh, en, cases)
    if "by" in spec:
        # threshold chosen by the band of another metric: bands[i].upto is inclusive
        extra = set(spec) - {"by", "metric", "bands", "id", "zh", "en"}
        if extra:
            raise ValueError(f"{where}: unknown keys {sorted(extra)}")
        cases = []
        for i, band in enumerate(spec["bands"]):
            op = _single_op(band, f"{where}.bands[{i}]", extra={"upto", "below", "zh", "en"})
            when = None
            if "upto" in band:
                when = Leaf(None, None, None, spec["by"], "max", band["upto"])
            elif "below" in band:
                when = Leaf(None, None, None, spec["by"], "lt", band["below"])
            then = Leaf(
                band.get("id"), band.get("zh"), band.get("en"), spec["metric"], op, band[op]
            )
            cases.append((when, then))
        return Cases(ident, zh, en, cases)
    if "metric" in spec:
        op = _single_op(spec, where, extra={"metric", "id", "zh", "en"})
        target = spec[op]
        if isinstance(target, dt.date):  # a founding window: date metrics are days since 1970
            target = float((target - dt.date(1970, 1, 1)).days)
        return Leaf(ident, zh, en, spec["metric"], op, target)
    raise ValueError(f"{where}: expected one of metric/all/any/cases/by, got keys {sorted(spec)}")


def _single_op(spec: dict, where: str, extra: set[str]) -> str:
    ops = [k for k in spec if k in OPS]
    unknown = set(spec) - set(OPS) - extra - {"points", "by", "bands"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    if len(ops) != 1:
        raise ValueError(f"{where}: needs exactly one comparison of {OPS}, got {ops}")
    return ops[0]
