"""The firm guidance report (企业梯度培育诊断报告): what the result says, arranged for reading."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from reports.charts import radar
from scoring.explain import review_summary
from scoring.formatting import fmt_change
from scoring.models import Assessment, Gap, LadderAssessment
from scoring.plan import readiness_lines
from scoring.rulesets import load_all
from scoring.vocabulary import (
    PATH,
    TEMPLATE_LABELS,
)

# When a gap can be closed, by its lead time (months): the action plan's timeline
TIMELINE = (
    (6, "半年内可完成"),
    (12, "本年度内"),
    (24, "一到两年"),
    (10**6, "两年以上"),
)


def report_id(result: Assessment, created: dt.date) -> str:
    """A short id for the report: the input, the rule and model versions, and the date."""
    model = result.readiness.model_version if result.readiness else ""
    key = f"{result.input_hash}|{result.criteria_version}|{model}|{created.isoformat()}"
    return "R" + hashlib.sha256(key.encode()).hexdigest()[:10].upper()


def firm_context(result: Assessment, created: dt.date) -> dict[str, Any]:
    ladders = [result.ladders[k] for k in PATH]
    plan = _plan(result)
    documents, cite = _citations(ladders)
    undetermined = [result.ladders[s.ladder] for s in result.path]
    undetermined = [la for la in undetermined if la.status == "undetermined" and la.missing]
    return {
        "r": result,
        "created": created.isoformat(),
        "report_id": report_id(result, created),
        "ladders": ladders,
        "key_point": _key_point(result),
        "plan": plan,
        "timeline": [
            {"label": label, "gaps": [g for g in plan if _bucket(g) == label]}
            for _, label in TIMELINE
        ],
        "radars": {la.ladder: radar([t.model_dump() for t in la.trace]) for la in ladders},
        # the inputs the undetermined ladders on the path still need, each named once
        "missing": list(dict.fromkeys(f for la in undetermined for f in la.missing)),
        "missing_ladders": [la.name_zh for la in undetermined],
        "documents": documents,
        "refs": {la.ladder: [documents.index(d) + 1 for d in la.documents] for la in ladders},
        "cite": cite,
        "change": fmt_change,
        "review_summary": review_summary,
        "plan_readiness": readiness_lines,
        **TEMPLATE_LABELS,
    }


def _citations(ladders: list[LadderAssessment]):
    """The cited documents, numbered, and ``cite(source, ladder) -> "[n] article"``: a rule's
    source is "<document number> <article>"; the table shows the number in brackets (a whole
    document number would take two lines in every row) and the list gives it in full. One
    number can name several documents (a measure and its annexes), so a rule is matched
    among its own ladder's documents."""
    documents = sorted({d for la in ladders for d in la.documents})
    numbers = {d.number for rs in load_all() for d in rs.spec.documents}

    def number_of(text: str) -> str | None:
        return max((n for n in numbers if text.startswith(n + " ")), key=len, default=None)

    def cite(source: str | None, ladder: LadderAssessment) -> str:
        number = number_of(source or "")
        for document in ladder.documents if number else ():
            if number_of(document) == number:
                return f"[{documents.index(document) + 1}] {source[len(number) + 1 :]}"
        return source or ""

    return documents, cite


def _key_point(result: Assessment) -> str:
    """The one thing that matters most for the next rung."""
    r = result.readiness
    if r is not None and r.actions and r.actions[0].gain > 0:
        a = r.actions[0]
        name = result.ladders[r.actions_ladder].name_zh
        before, after = a.probability - a.gain, a.probability
        return f"{a.zh}（{name}的12个月晋级概率约由 {before:.0%} 提高到 {after:.0%}）"
    for step in result.path:
        if step.needs_zh:
            return step.needs_zh[0]
        if step.status == "eligible":
            return f"已满足{step.name_zh}的各项条件，可准备申报"
    return "暂无需要补齐的条件"


def _plan(result: Assessment) -> list[Gap]:
    """Every gap of the ladders on the upgrade path (first options; direct routes left out),
    the quickest first."""
    gaps = []
    for step in result.path:
        for gap in result.ladders[step.ladder].gaps:
            if gap.kind != "direct" and gap.option in (None, 0):
                gaps.append(gap)
    return sorted(gaps, key=lambda g: (g.lead_months, PATH.index(g.ladder)))


def _bucket(gap: Gap) -> str:
    return next(label for months, label in TIMELINE if gap.lead_months <= months)
