"""What a rung is worth: dated, cited benefit data (``criteria/benefits/*.yaml``) and the worth
calculator over an evaluated frame.

The tax items are computed together, from the firm's own figures (decision-reference §1.2):
the 15 % HNTE rate saves 10 % of taxable income, unless the firm already pays the small
low-profit enterprise's effective 5 % (the two are a choice, not a sum). The R&D
super-deduction belongs to every eligible firm since 2023 and is a note, not a title's worth.
Local awards are keyed by region code: the most specific region's award is the figure; a
city's award beside a district's is listed, never added (stacking is not stated anywhere).
An input that is empty leaves its figure unknown, and the result names the input.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from criteria import DIR as CRITERIA_DIR
from scoring.rulesets import Document, Effective, RuleFileError, Source, read_data_file
from scoring.vocabulary import HELD_FIELD, LADDERS

# small low-profit enterprise (财税〔2023〕12号): taxable income, staff and assets at most these
SLP_LIMITS = {"taxable_income_y0": 3_000_000, "employees": 300, "total_assets_y0": 50_000_000}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class BenefitSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    ladder: Literal[LADDERS]  # type: ignore[valid-type]
    kind: Literal["yearly", "one_off", "fund", "note"]
    zh: str
    en: str
    source: Source
    sureness: Literal["high", "medium", "low"]
    effective: Effective
    region: str | None = Field(default=None, pattern=r"^\d{2,6}$")
    region_name: str | None = None
    event: Literal["new", "renewal"] | None = None  # awards: a first recognition or a renewal
    amount: float | None = None
    up_to: bool = False  # the source says 最高: an upper bound, not a promise
    formula: Literal["cit_rate_saving"] | None = None
    params: dict[str, float] = {}
    formula_zh: str | None = None
    status: Literal["open", "closed"] = "open"

    def in_force(self, day: dt.date) -> bool:
        eff = self.effective
        return eff.start <= day and (eff.end is None or day <= eff.end)


class BenefitFile(_Strict):
    kind: Literal["benefits"]
    checked: str = Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")
    documents: list[Document]
    items: list[BenefitSpec]


@dataclass(frozen=True)
class Benefit:
    spec: BenefitSpec
    document: Document
    checked: str

    def cite(self) -> str:
        return f"{self.document.number} {self.spec.source.article}"


@cache
def load_benefits(directory: Path = CRITERIA_DIR / "benefits") -> tuple[Benefit, ...]:
    out: list[Benefit] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.yaml")):
        spec = read_data_file(path, BenefitFile)
        docs = {d.key: d for d in spec.documents}
        for item in spec.items:
            if item.id in seen:
                raise RuleFileError(f"{path}: duplicate benefit id {item.id!r}")
            if item.source.doc not in docs:
                raise RuleFileError(f"{path}: {item.id}: unknown document {item.source.doc!r}")
            if item.kind in ("one_off", "fund") and item.amount is None:
                raise RuleFileError(f"{path}: {item.id}: an award needs an amount")
            if item.kind == "yearly" and item.formula is None:
                raise RuleFileError(f"{path}: {item.id}: a yearly item needs a formula")
            seen.add(item.id)
            out.append(Benefit(item, docs[item.source.doc], spec.checked))
    return tuple(out)


# ---- the calculator -----------------------------------------------------------------------


@dataclass
class LadderWorthColumns:
    """One ladder's worth for every row: yuan a year, one-off yuan, and why a figure is open."""

    yearly: np.ndarray  # NaN: unknown (an input is missing)
    once: np.ndarray  # NaN: no award recorded for the region on the date
    once_up_to: np.ndarray  # bool: the one-off figure is an upper bound (最高)
    slp: np.ndarray  # 1/0/NaN: a small low-profit enterprise (the 5 % rate)


def small_low_profit(cols: dict[str, np.ndarray]) -> np.ndarray:
    """1 where every limit is met, 0 where one is exceeded, NaN where it cannot be told."""
    parts = [cols[name] <= limit for name, limit in SLP_LIMITS.items()]
    known = [~np.isnan(cols[name]) for name in SLP_LIMITS]
    over = np.zeros(len(parts[0]), dtype=bool)
    for ok, k in zip(parts, known, strict=True):
        over |= k & ~ok
    all_known = np.logical_and.reduce(known)
    return np.where(over, 0.0, np.where(all_known, 1.0, np.nan))


def _cit_rate_saving(spec: BenefitSpec, cols: dict, slp: np.ndarray) -> np.ndarray:
    taxable = np.maximum(cols["taxable_income_y0"], 0.0)
    saving = np.round((spec.params["normal"] - spec.params["rate"]) * taxable, 2)  # to the fen
    # a small low-profit firm already pays 5 %: the 15 % rate is the worse choice, worth 0
    return np.where(slp == 1, 0.0, np.where(np.isnan(slp) & (taxable > 0), np.nan, saving))


FORMULAS = {"cit_rate_saving": _cit_rate_saving}


def worth_columns(frame, ref: np.ndarray) -> dict[str, LadderWorthColumns]:
    """Every ladder's worth over a CanonicalFrame, column-wise; ``ref`` the assessment dates."""
    n = frame.n
    cols = frame.columns
    slp = small_low_profit(cols)
    benefits = load_benefits()
    # distinct (region, date) pairs: a county's file has a handful, so awards are found per pair
    region_codes, regions = pd.factorize(pd.Series(frame.text("region_code"), dtype=object))
    day_codes, day_values = pd.factorize(ref.astype("datetime64[D]"))
    pair = (region_codes + 1).astype(np.int64) * (len(day_values) + 1) + day_codes
    keys, distinct = pd.factorize(pair)
    first = np.zeros(len(distinct), dtype=np.int64)
    first[keys[::-1]] = np.arange(len(keys))[::-1]  # a row of each pair
    uniques = [
        (
            regions[region_codes[i]] if region_codes[i] >= 0 else "",
            day_values[day_codes[i]],
        )
        for i in first
    ]
    days = ref.astype("datetime64[D]")
    out: dict[str, LadderWorthColumns] = {}
    for ladder in LADDERS:
        yearly = np.zeros(n)
        for b in benefits:
            if b.spec.ladder == ladder and b.spec.kind == "yearly":
                live = days >= np.datetime64(b.spec.effective.start, "D")
                yearly = yearly + np.where(live, FORMULAS[b.spec.formula](b.spec, cols, slp), 0)
        held = frame.num(HELD_FIELD[ladder]) == 1 if ladder in HELD_FIELD else np.zeros(n, bool)
        amount, bound = {}, {}
        for event in ("new", "renewal"):
            found = [local_award(ladder, r, day.astype(dt.date), event) for r, day in uniques]
            amount[event] = np.array([a.spec.amount if a else np.nan for a in found])[keys]
            bound[event] = np.array([bool(a and a.spec.up_to) for a in found])[keys]
        once = np.where(held, amount["renewal"], amount["new"])
        up_to = np.where(held, bound["renewal"], bound["new"])
        out[ladder] = LadderWorthColumns(yearly, once, up_to, slp)
    return out


def local_awards(ladder: str, region: str, day: dt.date, event: str) -> list[Benefit]:
    """The region's awards for a ladder in force on ``day``, most specific region first."""
    found = [
        b
        for b in load_benefits()
        if b.spec.ladder == ladder
        and b.spec.kind == "one_off"
        and b.spec.event == event
        and b.spec.region
        and region.startswith(b.spec.region)
        and b.spec.in_force(day)
    ]
    return sorted(found, key=lambda b: -len(b.spec.region))


def local_award(ladder: str, region: str, day: dt.date, event: str) -> Benefit | None:
    found = local_awards(ladder, region or "", day, event)
    return found[0] if found else None


# ---- one firm's lines ---------------------------------------------------------------------


def evaluation_worth(ev) -> dict[str, LadderWorthColumns]:
    """The worth columns of an Evaluation, computed once and kept with it."""
    if "worth" not in ev.memo:
        ev.memo["worth"] = worth_columns(ev.frame, ev.ref_date)
    return ev.memo["worth"]


def _money(value: float | None) -> str:
    return "未知" if value is None else f"{value / 1e4:,.2f}万元"


def ladder_worth(ev, ladder: str, row: int):
    """One ladder's worth for one firm: the totals and every line with its formula and source."""
    from scoring.models import LadderWorth, WorthLine

    col = evaluation_worth(ev)[ladder]
    day = ev.ref_date[row].astype(dt.date)
    region = ev.frame.text("region_code")[row] or ""
    held = ladder in HELD_FIELD and ev.frame.num(HELD_FIELD[ladder])[row] == 1
    lines: list[WorthLine] = []
    missing: list[str] = []
    for b in load_benefits():
        s = b.spec
        if s.ladder != ladder or s.region or not (s.in_force(day) or s.kind == "fund"):
            continue
        amount, need = None, []
        if s.kind == "yearly":
            value = float(col.yearly[row])
            amount = None if np.isnan(value) else value
            if amount is None:
                need = [f for f in SLP_LIMITS if np.isnan(ev.frame.num(f)[row])]
            elif col.slp[row] == 1:
                amount = 0.0
        elif s.kind == "fund":
            amount = s.amount
        missing += [f for f in need if f not in missing]
        lines.append(
            WorthLine(
                ladder=ladder,
                id=s.id,
                kind=s.kind,
                zh=s.zh,
                en=s.en,
                amount=amount,
                up_to=s.up_to,
                formula_zh=s.formula_zh,
                missing=need,
                status=s.status if s.in_force(day) else "closed",
                source=b.cite(),
                sureness=s.sureness,
                checked=b.checked,
            )
        )
    awards = local_awards(ladder, region, day, "renewal" if held else "new")
    for i, b in enumerate(awards):
        s = b.spec
        note = "" if i == 0 else "（与上项能否叠加未核实，未计入合计）"
        lines.append(
            WorthLine(
                ladder=ladder,
                id=s.id,
                kind="one_off",
                zh=f"{s.region_name}：{s.zh}{note}",
                en=s.en,
                amount=s.amount,
                up_to=s.up_to,
                status="open",
                source=b.cite(),
                sureness=s.sureness,
                checked=b.checked,
            )
        )
    yearly = float(col.yearly[row])
    once = float(col.once[row])
    return LadderWorth(
        yearly=None if np.isnan(yearly) else yearly,
        once=None if np.isnan(once) else once,
        once_up_to=bool(col.once_up_to[row]),
        small_low_profit=None if np.isnan(col.slp[row]) else bool(col.slp[row]),
        lines=lines,
        missing=missing,
        summary_zh=_summary(
            yearly,
            once,
            bool(col.once_up_to[row]),
            missing,
            region,
            taxed=any(line.kind == "yearly" for line in lines) and col.slp[row] == 1,
        ),
    )


def _summary(yearly, once, up_to: bool, missing: list[str], region: str, taxed: bool) -> str:
    from scoring.fields import FIELDS

    parts = []
    if np.isnan(yearly):
        labels = "、".join(FIELDS[f].label_zh for f in missing)
        parts.append(f"每年税收优惠待定（填写{labels}后可算出）")
    elif yearly > 0:
        parts.append(f"每年约{_money(yearly)}")
    elif taxed:
        parts.append("已按小型微利企业5%实际税负，高企15%税率不另减税（两者择一）")
    if not np.isnan(once):
        parts.append(f"一次性奖励{'最高' if up_to else ''}{_money(once)}")
    elif region:
        parts.append("本地区未收录一次性奖励")
    return "；".join(parts) if parts else "无直接现金收益（价值在于后续梯度资格与地方政策）"


# ---- what to prepare ----------------------------------------------------------------------


class MaterialList(_Strict):
    source: str
    sureness: Literal["high", "medium", "low"]
    items: list[str]


class MaterialsFile(_Strict):
    kind: Literal["materials"]
    checked: str = Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")
    ladders: dict[Literal[LADDERS], MaterialList]  # type: ignore[valid-type]


def materials_for(ladder: str):
    """The checklist of a ladder, as the result carries it."""
    from scoring.models import Materials
    from scoring.vocabulary import LADDER_ZH

    data = load_materials()
    found = data.ladders.get(ladder)
    if found is None:
        return None
    return Materials(
        ladder=ladder,
        name_zh=LADDER_ZH[ladder],
        items=found.items,
        source=found.source,
        sureness=found.sureness,
        checked=data.checked,
    )


@cache
def load_materials(
    path: Path = CRITERIA_DIR / "materials" / "checklists.yaml",
) -> MaterialsFile:
    return read_data_file(path, MaterialsFile)
