"""Rule sets: load ``criteria/<ladder>/<version>.yaml``, validate, compile, and choose one.

A rule set has four kinds of rule: ``gate`` (a hard condition), ``indicator`` (bands → points),
``direct`` (a direct-qualification route) and the ``pass_mark`` (total and sub-minimums).
Regional sets may ``extends`` another set and override rules by id or ``remove`` them.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from criteria import DIR as CRITERIA_DIR
from scoring.conditions import FAIL, PASS, UNKNOWN, Condition, Leaf, MetricSource, compile_condition
from scoring.metrics import METRICS
from scoring.vocabulary import LADDERS


class RuleFileError(ValueError):
    """A rule file that does not match the schema; the message names the file and the key."""


def read_data_file(path: Path, model):
    """A YAML data file of ``criteria/`` (benefits, materials, calendar, plan costs) checked
    by its pydantic ``model``; any YAML or schema error is a ``RuleFileError`` naming it."""
    try:
        return model.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except Exception as exc:
        raise RuleFileError(f"{path}: {exc}") from exc


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Text(_Strict):
    zh: str
    en: str


class Source(_Strict):
    doc: str
    article: str
    evidence: Literal["verified", "verified-2", "from-memory", "conflict", "assumption"]
    note: str | None = None


class Document(_Strict):
    key: str
    number: str
    title: str
    issued: dt.date | None = None


class Effective(_Strict):
    start: dt.date = Field(alias="from")
    end: dt.date | None = Field(default=None, alias="to")


class NotEvaluated(_Strict):
    """A condition the rules do not evaluate. ``review``: it decides the ladder and no input
    can (an expert's judgement, a self-statement the office checks), so a firm that meets
    every other condition is ``manual_review``; else a note (a self-confirmed declaration, an
    alternative route or an approximation), shown but not changing the status."""

    id: str
    zh: str
    en: str
    review: bool = False
    source: Source | None = None


class RuleSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["gate", "indicator", "direct"]
    zh: str
    en: str
    short_zh: str | None = Field(default=None, max_length=8)  # an indicator's chart label
    source: Source
    ceiling: bool = False  # a size cap: growth will not fix it, so the path skips the ladder
    # a value only an official platform or a person can give (the MIIT development score):
    # unknown means manual review, and the text says where the value comes from
    review_if_unknown: Text | None = None
    condition: dict[str, Any] | None = None
    group: str | None = None
    max_points: float | None = None
    metric: str | None = None
    bands: list[dict[str, Any]] | None = None
    options: list[dict[str, Any]] | None = None
    points_from: str | None = None
    count_of: list[dict[str, Any]] | None = None
    per_item: float | None = None

    @model_validator(mode="after")
    def _shape(self):
        if self.kind in ("gate", "direct") and self.condition is None:
            raise ValueError(f"a {self.kind} needs a condition")
        if self.kind == "indicator":
            if self.max_points is None:
                raise ValueError("an indicator needs max_points")
            scorers = [self.bands, self.options, self.points_from, self.count_of]
            if sum(s is not None for s in scorers) != 1:
                raise ValueError(
                    "an indicator needs exactly one of bands/options/points_from/count_of"
                )
        return self


class WarningSpec(_Strict):
    """A flag that never changes a status: it fires where its condition passes (always when it
    has none), from ``since`` on (the date of the document that introduced it)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    zh: str
    en: str
    source: Source
    condition: dict[str, Any] | None = None
    since: dt.date | None = None


class Pack(_Strict):
    """A regional round (gazelle packs): what a reviewer checks before trusting it."""

    round: int | None = None  # the year of the notice; None: a standing document
    base_years: str  # which fiscal years the figures come from, e.g. "y3→y0 (2021→2024)"
    founding_window: str | None = None
    source: str  # URL or document number


class PassMark(_Strict):
    total: dict[str, float]
    minimums: dict[str, float] = {}
    caps: dict[str, float] = {}
    source: Source


class RuleSetSpec(_Strict):
    ladder: Literal[LADDERS]  # type: ignore[valid-type]
    version: str
    title: Text
    documents: list[Document]
    effective: Effective
    modes: list[Literal["new", "review"]] = ["new", "review"]
    regions: list[str] = []
    region_name: str | None = None
    extends: str | None = None
    remove: list[str] = []
    notes: list[Text] = []
    not_evaluated: list[NotEvaluated] = []
    warnings: list[WarningSpec] = []
    rules: list[RuleSpec]
    pass_mark: PassMark | None = None
    # when these rules were last compared with their sources: YYYY-MM-DD, or YYYY-MM where only
    # the month of the research is recorded
    checked: str = Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")
    sureness: Literal["high", "medium", "low"]
    pack: Pack | None = None

    @model_validator(mode="after")
    def _regional(self):
        if self.regions and self.pack is None:
            raise ValueError("a regional rule set needs its pack (round, base_years, source)")
        if self.regions and not self.region_name:
            raise ValueError("a regional rule set needs its region_name")
        return self


# ---- compiled rules ---------------------------------------------------------------------


@dataclass
class Band:
    condition: Condition | None  # None: the catch-all last band
    lo: float
    hi: float

    @property
    def est(self) -> float:
        return float(np.floor((self.lo + self.hi) / 2))


@dataclass
class Score:
    """Points of one indicator: an estimate (NaN when inputs are missing) and its range."""

    est: np.ndarray
    lo: np.ndarray  # least estimate possible given the unknown inputs
    hi: np.ndarray
    band: np.ndarray  # index of the band (or option) that applied, -1 when unknown


@dataclass
class Rule:
    spec: RuleSpec
    condition: Condition | None = None
    bands: list[Band] | None = None
    options: list[Rule] | None = None
    items: list[Condition] | None = None

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def kind(self) -> str:
        return self.spec.kind

    def metrics(self) -> set[str]:
        names: set[str] = set()
        if self.condition is not None:
            names |= self.condition.metrics()
        for band in self.bands or []:
            if band.condition is not None:
                names |= band.condition.metrics()
        for option in self.options or []:
            names |= option.metrics()
        for item in self.items or []:
            names |= item.metrics()
        if self.spec.points_from:
            names.add(self.spec.points_from)
        return names

    def inputs(self) -> list[str]:
        fields: list[str] = []
        for name in sorted(self.metrics()):
            fields += [f for f in METRICS[name].inputs if f not in fields]
        return fields

    def outcome(self, m: MetricSource) -> np.ndarray:
        return self.condition.evaluate(m)

    def score(self, m: MetricSource) -> Score:
        n = len(m)
        if self.spec.points_from:
            values = np.clip(m[self.spec.points_from], 0, self.spec.max_points)
            unknown = np.isnan(values)
            return Score(
                values,
                np.where(unknown, 0, values),
                np.where(unknown, self.spec.max_points, values),
                np.where(unknown, -1, 0),
            )
        if self.items is not None:
            outcomes = np.vstack([c.evaluate(m) for c in self.items])
            passed = (outcomes == PASS).sum(axis=0)
            maybe = (outcomes == UNKNOWN).sum(axis=0)
            cap, per = self.spec.max_points, self.spec.per_item
            lo = np.minimum(cap, per * passed)
            hi = np.minimum(cap, per * (passed + maybe))
            return Score(np.where(lo == hi, lo, np.nan), lo, hi, np.where(lo == hi, passed, -1))
        if self.options is not None:
            scores = [o.score(m) for o in self.options]
            lo = np.max([s.lo for s in scores], axis=0)
            hi = np.max([s.hi for s in scores], axis=0)
            ests = np.vstack([s.est for s in scores])
            best = np.nanmax(np.where(np.isnan(ests), -np.inf, ests), axis=0)
            est = np.where(lo == hi, lo, np.where(best >= hi, best, np.nan))
            chosen = np.where(np.isnan(est), -1, np.argmax(np.nan_to_num(ests, nan=-1), axis=0))
            return Score(est, lo, hi, chosen)
        leaves = [b.condition for b in self.bands[:-1]]
        if all(isinstance(c, Leaf) for c in leaves) and len({c.metric for c in leaves}) == 1:
            return self._score_one_metric(m, leaves)
        # bands: the first band whose condition passes; unknown conditions widen the range
        lo = np.full(n, np.inf)
        hi = np.full(n, -np.inf)
        est = np.full(n, np.nan)
        chosen = np.full(n, -1)
        reachable = np.ones(n, dtype=bool)  # no earlier band passed
        certain = np.ones(n, dtype=bool)  # every earlier band failed for sure
        for i, band in enumerate(self.bands):
            outcome = (
                np.full(n, PASS, dtype=np.int8)
                if band.condition is None
                else (band.condition.evaluate(m))
            )
            possible = reachable & (outcome != FAIL)
            lo = np.where(possible, np.minimum(lo, band.est), lo)
            hi = np.where(possible, np.maximum(hi, band.est), hi)
            hit = reachable & (outcome == PASS)
            decided = hit & certain
            est = np.where(decided, band.est, est)
            chosen = np.where(decided, i, chosen)
            certain &= outcome == FAIL
            reachable &= ~hit
        return Score(est, lo, hi, chosen)

    def _score_one_metric(self, m: MetricSource, leaves: list[Leaf]) -> Score:
        """Fast path: every band compares the same metric, so it is unknown for all or none."""
        n = len(m)
        chosen = np.full(n, len(self.bands) - 1)
        unknown = np.zeros(n, dtype=bool)
        for i in range(len(leaves) - 1, -1, -1):  # the first passing band wins
            outcome = leaves[i].evaluate(m)
            chosen[outcome == PASS] = i
            unknown |= outcome == UNKNOWN
        ests = np.array([b.est for b in self.bands])
        est = ests[chosen]
        est[unknown] = np.nan
        chosen[unknown] = -1
        lo = np.where(unknown, ests.min(), est)
        hi = np.where(unknown, ests.max(), est)
        return Score(est, lo, hi, chosen)


@dataclass
class RuleSet:
    spec: RuleSetSpec
    path: Path
    rules: list[Rule]
    warnings: list[tuple[WarningSpec, Condition | None]] = field(default_factory=list)
    gates: list[Rule] = field(default_factory=list)
    indicators: list[Rule] = field(default_factory=list)
    directs: list[Rule] = field(default_factory=list)
    # per-rule trace fields that are the same for every firm (scoring.explain fills it)
    trace_bases: dict[int, dict] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        self.gates = [r for r in self.rules if r.kind == "gate"]
        self.indicators = [r for r in self.rules if r.kind == "indicator"]
        self.directs = [r for r in self.rules if r.kind == "direct"]

    @property
    def ladder(self) -> str:
        return self.spec.ladder

    @property
    def key(self) -> str:
        """``ladder@version`` for a version file, ``ladder/<file>@version`` for the others."""
        stem = self.path.stem
        prefix = self.ladder if stem == self.spec.version.split("+")[0] else self.name
        return f"{prefix}@{self.spec.version}"

    @property
    def name(self) -> str:
        """Unique name of the file: ``ladder/<file stem>``, used by ``extends`` and overrides."""
        return f"{self.ladder}/{self.path.stem}"

    @property
    def scored(self) -> bool:
        return bool(self.indicators)

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    def document(self, key: str) -> Document:
        return next(d for d in self.spec.documents if d.key == key)

    def cite(self, source: Source) -> str:
        return f"{self.document(source.doc).number} {source.article}"

    def applies(self, ref: dt.date, mode: str) -> bool:
        eff = self.spec.effective
        return eff.start <= ref and (eff.end is None or ref <= eff.end) and mode in self.spec.modes


# ---- loading ----------------------------------------------------------------------------


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RuleFileError(f"{path}: the top level must be a mapping")
    return data


def _merge(base: dict, child: dict) -> dict:
    """A regional set: the base set with the child's keys, rules overridden by id or removed."""
    merged = copy.deepcopy(base)
    for key, value in child.items():
        if key not in ("rules", "extends", "remove"):
            merged[key] = value
    rules = [r for r in merged["rules"] if r["id"] not in set(child.get("remove", []))]
    by_id = {r["id"]: i for i, r in enumerate(rules)}
    for rule in child.get("rules", []):
        if rule["id"] in by_id:
            rules[by_id[rule["id"]]] = rule
        else:
            rules.append(rule)
    merged["rules"] = rules
    merged["remove"] = []
    merged["extends"] = child.get("extends")
    return merged


_PATH_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?")


def apply_override(raw: dict, path: str, value: Any, where: str) -> None:
    """Set ``rule_id.key[idx].key`` (or ``pass_mark.key``) in a raw rule-set mapping."""
    head, _, rest = path.partition(".")
    if head == "pass_mark":
        target = raw.get("pass_mark")
    else:
        target = next((r for r in raw["rules"] if r["id"] == head), None)
    if target is None or not rest:
        raise RuleFileError(f"{where}: override {path!r}: no rule {head!r}")
    parts = rest.split(".")
    first = _PATH_PART.fullmatch(parts[0])
    if first and first.group(1) not in target and "condition" in target:
        target = target["condition"]  # `rd_ratio.bands[0].min` reaches into the condition
    node: Any = target
    for i, part in enumerate(parts):
        match = _PATH_PART.fullmatch(part)
        if not match:
            raise RuleFileError(f"{where}: override {path!r}: bad segment {part!r}")
        key, index = match.group(1), match.group(2)
        last = i == len(parts) - 1
        if not isinstance(node, dict) or key not in node:
            raise RuleFileError(f"{where}: override {path!r}: no key {key!r}")
        if index is None:
            if last:
                node[key] = value
                return
            node = node[key]
        else:
            seq = node[key]
            if not isinstance(seq, list) or int(index) >= len(seq):
                raise RuleFileError(f"{where}: override {path!r}: no item {index} in {key!r}")
            if last:
                seq[int(index)] = value
                return
            node = seq[int(index)]


def _compile_rule(spec: RuleSpec, where: str) -> Rule:
    rule = Rule(spec)
    if spec.condition is not None:
        rule.condition = compile_condition(spec.condition, f"{where}.condition")
    if spec.bands is not None:
        rule.bands = _compile_bands(spec.bands, spec.metric, f"{where}.bands")
    if spec.options is not None:
        rule.options = []
        for i, opt in enumerate(spec.options):
            sub = RuleSpec(
                id=opt.get("id", f"{spec.id}_{i}"),
                kind="indicator",
                zh=opt.get("zh", spec.zh),
                en=opt.get("en", spec.en),
                source=spec.source,
                max_points=spec.max_points,
                metric=opt.get("metric"),
                bands=opt.get("bands"),
            )
            rule.options.append(_compile_rule(sub, f"{where}.options[{i}]"))
    if spec.count_of is not None:
        if spec.per_item is None:
            raise RuleFileError(f"{where}: count_of needs per_item")
        rule.items = [
            compile_condition(c, f"{where}.count_of[{i}]") for i, c in enumerate(spec.count_of)
        ]
    for name in rule.metrics():
        if name not in METRICS:
            raise RuleFileError(f"{where}: unknown metric {name!r}")
    return rule


def _compile_bands(bands: list[dict], metric: str | None, where: str) -> list[Band]:
    out: list[Band] = []
    for i, band in enumerate(bands):
        here = f"{where}[{i}]"
        if "points" not in band:
            raise RuleFileError(f"{here}: a band needs points")
        points = band["points"]
        lo, hi = (points, points) if not isinstance(points, list) else points
        rest = {k: v for k, v in band.items() if k not in ("points", "zh", "en")}
        if not rest:
            cond = None
        elif "when" in rest:
            cond = compile_condition(rest["when"], f"{here}.when")
        else:
            if metric is None:
                raise RuleFileError(f"{here}: a band comparison needs the indicator's metric")
            cond = compile_condition({"metric": metric, **rest}, here)
        out.append(Band(cond, float(lo), float(hi)))
    if out and out[-1].condition is not None:
        raise RuleFileError(f"{where}: the last band must be a catch-all (points only)")
    return out


def compile_ruleset(raw: dict, path: Path) -> RuleSet:
    try:
        spec = RuleSetSpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise RuleFileError(f"{path}: {problems}") from exc
    doc_keys = {d.key for d in spec.documents}
    rules = []
    seen: set[str] = set()
    for i, rule_spec in enumerate(spec.rules):
        where = f"{path}: rules[{i}] ({rule_spec.id})"
        if rule_spec.id in seen:
            raise RuleFileError(f"{where}: duplicate rule id")
        seen.add(rule_spec.id)
        if rule_spec.source.doc not in doc_keys:
            raise RuleFileError(f"{where}.source.doc: unknown document {rule_spec.source.doc!r}")
        try:
            rules.append(_compile_rule(rule_spec, where))
        except ValueError as exc:
            message = str(exc) if str(exc).startswith(str(path)) else f"{where}: {exc}"
            raise RuleFileError(message) from exc
    warnings = []
    for i, warning in enumerate(spec.warnings):
        where = f"{path}: warnings[{i}] ({warning.id})"
        if warning.source.doc not in doc_keys:
            raise RuleFileError(f"{where}.source.doc: unknown document {warning.source.doc!r}")
        try:
            cond = (
                None
                if warning.condition is None
                else compile_condition(warning.condition, f"{where}.condition")
            )
        except ValueError as exc:
            raise RuleFileError(str(exc)) from exc
        for name in cond.metrics() if cond else ():
            if name not in METRICS:
                raise RuleFileError(f"{where}: unknown metric {name!r}")
        warnings.append((warning, cond))
    ruleset = RuleSet(spec, path, rules, warnings)
    if ruleset.indicators and spec.pass_mark is None:
        raise RuleFileError(f"{path}: scored rule sets need a pass_mark")
    if spec.pass_mark is not None:
        groups = {r.spec.group for r in ruleset.indicators} | {r.id for r in ruleset.indicators}
        for key in list(spec.pass_mark.minimums) + list(spec.pass_mark.caps):
            if key not in groups:
                raise RuleFileError(f"{path}: pass_mark: unknown group or indicator {key!r}")
        if len(spec.pass_mark.total) != 1 or next(iter(spec.pass_mark.total)) not in ("min", "gt"):
            raise RuleFileError(f"{path}: pass_mark.total must be {{min: N}} or {{gt: N}}")
    return ruleset


def load_raw(directory: Path = CRITERIA_DIR) -> dict[str, tuple[dict, Path]]:
    """Every rule file as a raw mapping (``extends`` resolved), keyed by its set name."""
    raws: dict[str, tuple[dict, Path]] = {}
    for path in sorted(directory.glob("*/*.yaml")):
        if path.parent.name not in LADDERS:  # benefits/, materials/: read by their own modules
            continue
        raw = _read_yaml(path)
        ladder = raw.get("ladder")
        if ladder != path.parent.name:
            raise RuleFileError(f"{path}: ladder {ladder!r} does not match its folder")
        raws[f"{ladder}/{path.stem}"] = (raw, path)
    resolved: dict[str, tuple[dict, Path]] = {}

    def resolve(name: str, chain: tuple[str, ...] = ()) -> dict:
        if name in resolved:
            return resolved[name][0]
        raw, path = raws[name]
        parent = raw.get("extends")
        if parent:
            if parent not in raws or parent in chain:
                raise RuleFileError(f"{path}: extends: unknown or circular set {parent!r}")
            raw = _merge(resolve(parent, (*chain, name)), raw)
        resolved[name] = (raw, path)
        return raw

    for name in raws:
        resolve(name)
    return resolved


def _change_dates(node: Any, where: str) -> set[dt.date]:
    """Every date under a ``values:`` key anywhere in a rule-set mapping."""
    found: set[dt.date] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "values":
                if not isinstance(value, dict) or not value:
                    raise RuleFileError(f"{where}: values: a mapping of date → changed keys")
                for day, change in value.items():
                    if not isinstance(day, dt.date) or not isinstance(change, dict):
                        raise RuleFileError(
                            f"{where}: values: {day!r}: a date (YYYY-MM-DD) → changed keys"
                        )
                    found.add(day)
                    found |= _change_dates(change, f"{where}.values.{day}")
            else:
                found |= _change_dates(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found |= _change_dates(item, f"{where}[{i}]")
    return found


def _as_of(node: Any, day: dt.date) -> Any:
    """The mapping as in force on ``day``: each ``values:`` entry up to that date, oldest
    first, replaces the keys it names; the ``values:`` keys themselves are gone."""
    if isinstance(node, list):
        return [_as_of(item, day) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _as_of(v, day) for k, v in node.items() if k != "values"}
    for start in sorted(node.get("values", {})):
        if start <= day:
            out.update({k: _as_of(v, day) for k, v in node["values"][start].items()})
    return out


def dated_versions(raw: dict, path: Path) -> list[dict]:
    """A rule file whose numbers change on given dates (``values: {2026-04-01: {min: 0.12}}``
    on a rule, a condition or a band) as one raw set per period, each effective from its
    date to the day before the next, its version marked with the date (``2016+2026-04-01``).
    A file without ``values:`` is itself."""
    dates = _change_dates(raw.get("rules", []), f"{path}: rules")
    if raw.get("pass_mark") is not None:
        dates |= _change_dates(raw["pass_mark"], f"{path}: pass_mark")
    if not dates:
        return [raw]
    effective = raw.get("effective") or {}
    start, end = effective.get("from"), effective.get("to")
    for day in sorted(dates):
        if not isinstance(start, dt.date) or day <= start or (end is not None and day > end):
            raise RuleFileError(f"{path}: values: {day} is not inside the set's effective period")
    out = []
    bounds = [start, *sorted(dates)]
    for i, begin in enumerate(bounds):
        version = copy.deepcopy(raw)
        version["rules"] = _as_of(raw["rules"], begin)
        if raw.get("pass_mark") is not None:
            version["pass_mark"] = _as_of(raw["pass_mark"], begin)
        until = bounds[i + 1] - dt.timedelta(days=1) if i + 1 < len(bounds) else end
        version["effective"] = {"from": begin, **({"to": until} if until else {})}
        if i:
            version["version"] = f"{raw['version']}+{begin.isoformat()}"
        out.append(version)
    return out


def _compile_all(raws) -> tuple[RuleSet, ...]:
    return tuple(
        compile_ruleset(version, path)
        for raw, path in raws
        for version in dated_versions(raw, path)
    )


@cache
def load_all(directory: Path = CRITERIA_DIR) -> tuple[RuleSet, ...]:
    return _compile_all(load_raw(directory).values())


def with_overrides(
    overrides: dict[str, Any], directory: Path = CRITERIA_DIR
) -> tuple[RuleSet, ...]:
    """All rule sets with parameter overrides such as ``{"high_tech.rd_ratio.bands[0].min": 0.06}``.

    The first segment names the ladder (it applies to every version of it) or a set name such
    as ``gazelle/shandong``.
    """
    if not overrides:
        return load_all(directory)
    raws = {name: (copy.deepcopy(raw), path) for name, (raw, path) in load_raw(directory).items()}
    for key, value in overrides.items():
        target, _, rest = key.partition(".")
        names = [n for n in raws if n == target or n.split("/")[0] == target]
        if not names:
            raise RuleFileError(f"override {key!r}: no rule set {target!r}")
        for name in names:
            apply_override(raws[name][0], rest, value, f"override {key!r}")
    return _compile_all(raws.values())


def select(
    rulesets: tuple[RuleSet, ...], ladder: str, ref: dt.date, mode: str, region: str | None
) -> RuleSet | None:
    """The rule set of ``ladder`` in force on ``ref`` for ``mode``; by region for gazelles.

    A regional set matches when the region code starts with one of its codes; the longest
    match wins, and a set with no regions is the fallback.
    """
    best: tuple[int, RuleSet] | None = None
    for rs in rulesets:
        if rs.ladder != ladder or not rs.applies(ref, mode):
            continue
        if rs.spec.regions:
            match = max(
                (len(code) for code in rs.spec.regions if region and region.startswith(code)),
                default=-1,
            )
            if match < 0:
                continue
        else:
            match = 0
        if (
            best is None
            or match > best[0]
            or (match == best[0] and rs.spec.effective.start > best[1].spec.effective.start)
        ):
            best = (match, rs)
    return best[1] if best else None


def _region_match(rs: RuleSet, region: str | None) -> int:
    """How specific a set is for a region: the longest code of it that prefixes the region
    (-1: not this region's), 0 for a set without regions."""
    if not rs.spec.regions:
        return 0
    return max((len(c) for c in rs.spec.regions if region and region.startswith(c)), default=-1)


def expired_round(
    rulesets: tuple[RuleSet, ...], ladder: str, ref: dt.date, mode: str, region: str | None
) -> RuleSet | None:
    """The region's own round when it has ended before ``ref`` and no later one is encoded:
    it is refused, not applied, and nothing less specific stands in for it (a county's
    notice is not replaced by the national method)."""
    chosen = select(rulesets, ladder, ref, mode, region)
    floor = _region_match(chosen, region) if chosen else -1
    best: tuple[int, dt.date, RuleSet] | None = None
    for rs in rulesets:
        end = rs.spec.effective.end
        if rs.ladder != ladder or mode not in rs.spec.modes or end is None or end >= ref:
            continue
        match = _region_match(rs, region)
        if match > max(floor, 0) and (best is None or (match, end) > best[:2]):
            best = (match, end, rs)
    return best[2] if best else None


def refusal_text(rs: RuleSet, lang: str = "zh") -> str:
    """Why an expired round is not applied, in the words a person reads everywhere."""
    end = rs.spec.effective.end
    year = rs.spec.pack.round if rs.spec.pack and rs.spec.pack.round else rs.spec.version
    if lang == "zh":
        return (
            f"{rs.spec.region_name}{year}年度标准已过期（适用至{end}），请核对当年通知；"
            "未以其他标准代替评价"
        )
    return (
        f"The {year} round of {rs.spec.title.en} ended on {end}; check this year's notice "
        "(no other rule set is applied instead)"
    )


def leaf_label(leaf: Leaf, lang: str = "zh") -> str:
    meta = METRICS[leaf.metric]
    return (leaf.zh or meta.zh) if lang == "zh" else (leaf.en or meta.en)
