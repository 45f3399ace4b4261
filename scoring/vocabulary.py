"""The one vocabulary: the ladders, their order on the usual path, their names, and every label
a person reads for a status, a route, a rule outcome or a row (CLI, API, pages, PDF, sheets).

No other module defines these; if a label reads wrong somewhere, it is fixed here for all.
"""

from __future__ import annotations

# The ladders in the order of the usual path up (tech-based SME first, little giant last).
LADDERS = ("tech_sme", "innovative_sme", "high_tech", "srdi_sme", "gazelle", "little_giant")
PATH = LADDERS  # the usual path up is the ladders' own order

LADDER_NAMES = {
    "tech_sme": ("科技型中小企业", "Tech-based SME"),
    "innovative_sme": ("创新型中小企业", "Innovative SME"),
    "high_tech": ("高新技术企业", "High-tech enterprise"),
    "srdi_sme": ("专精特新中小企业", "Specialized, refined, distinctive, innovative SME"),
    "gazelle": ("瞪羚企业", "Gazelle enterprise"),
    "little_giant": ('专精特新"小巨人"企业', '"Little giant" enterprise'),
}
LADDER_ZH = {k: v[0] for k, v in LADDER_NAMES.items()}
LADDER_EN = {k: v[1] for k, v in LADDER_NAMES.items()}

# The input field that says the firm already holds a ladder (the contract has four).
HELD_FIELD = {
    "tech_sme": "is_tech_sme",
    "innovative_sme": "is_innovative_sme",
    "high_tech": "is_high_tech",
    "srdi_sme": "is_srdi_sme",
}

ELIGIBLE, INELIGIBLE, UNDETERMINED = "eligible", "ineligible", "undetermined"
# every condition data can decide is met; what is left only a person or the official platform
# can decide (an expert judgement, a platform score the firm has not entered)
MANUAL_REVIEW = "manual_review"
STATUSES = (ELIGIBLE, INELIGIBLE, UNDETERMINED, MANUAL_REVIEW)
# "" is a rejected row's status cell in the sheets
STATUS_ZH = {
    ELIGIBLE: "符合",
    INELIGIBLE: "不符合",
    UNDETERMINED: "待定（缺数据）",
    MANUAL_REVIEW: "需人工审核",
    "": "",
}
STATUS_EN = {
    ELIGIBLE: "eligible",
    INELIGIBLE: "not eligible",
    UNDETERMINED: "cannot tell yet",
    MANUAL_REVIEW: "needs manual review",
    "": "",
}
# the CSS class of a status on pages and in PDFs
STATUS_CLASS = {ELIGIBLE: "ok", INELIGIBLE: "no", UNDETERMINED: "unknown", MANUAL_REVIEW: "review"}

# Shown on every result and report (decision-reference.md §3, citing 工企业函〔2026〕160号, 117号).
FREE_FILING_ZH = (
    "申报认定不收取任何费用；工业和信息化部未授权任何机构代为申报，科技型中小企业评价信息不得由"
    "第三方代为填报；请警惕“包过”等收费承诺。弄虚作假的，科技型中小企业取消当年资格并三年内不得"
    "申报，“小巨人”企业（2026）撤销全部梯度培育称号并三年内不得申报。"
)
FREE_FILING_EN = (
    "Filing is free; MIIT has authorised no agency to file for firms and tech-SME data may not be "
    "entered by a third party; beware paid 'guaranteed pass' offers. Fraud costs the year and a "
    "3-year bar (tech-SME), or every MIIT title and a 3-year bar (little giant, 2026)."
)

# How sure a rule set is of its sources (the rule files' ``sureness``).
SURENESS_ZH = {
    "high": "高（官方原文）",
    "medium": "中（权威转载或政策文件）",
    "low": "低（单一或旧转载）",
}
SURENESS_ZH[None] = ""

# How a ladder's status was decided.
ROUTE_ZH = {"direct": "直通条件", "score": "评分", "gate": "基本条件", "": ""}
ROUTE_EN = {"direct": "direct route", "score": "score", "gate": "basic conditions", "": ""}

# One rule's outcome in a trace.
OUTCOME_ZH = {
    "pass": "满足",
    "fail": "不满足",
    "unknown": "待补充",
    "review": "待人工审核",
    "scored": "计分",
}
OUTCOME_EN = {
    "pass": "met",
    "fail": "not met",
    "unknown": "missing data",
    "review": "manual review",
    "scored": "scored",
}

# A spreadsheet row.
ROW_STATUS_ZH = {"scored": "已评价", "rejected": "未评价"}


def ladder_name(ladder: str, lang: str = "zh") -> str:
    return LADDER_NAMES[ladder][0 if lang == "zh" else 1]


def status_label(status: str, lang: str = "zh") -> str:
    return (STATUS_ZH if lang == "zh" else STATUS_EN).get(status, status)


def route_label(route: str | None, lang: str = "zh") -> str:
    return (ROUTE_ZH if lang == "zh" else ROUTE_EN).get(route or "", route or "")


# a calendar item's state (scoring.filing_calendar): only a window of this year that has not
# closed is open or upcoming; an older one is last seen, never projected
CALENDAR_STATUS_ZH = {
    "open": "进行中",
    "upcoming": "即将开始",
    "announced": "已发通知",
    "last_seen": "上次所见",
    "due": "待办",
    "past": "已过",
    "none": "未收录",
}

# the words every page and report template reads, under one set of names
TEMPLATE_LABELS = {
    "status_zh": STATUS_ZH,
    "status_class": STATUS_CLASS,
    "route_zh": ROUTE_ZH,
    "outcome_zh": OUTCOME_ZH,
    "sureness_zh": SURENESS_ZH,
    "free_filing_zh": FREE_FILING_ZH,
    "calendar_status_zh": CALENDAR_STATUS_ZH,
}

# the readiness estimator behind a probability (scoring.readiness.model.Readiness.kind)
ESTIMATOR_ZH = {"hgb": "梯度提升", "logistic": "逻辑回归", "rules": "规则距离", "blend": "混合"}
ESTIMATOR_EN = {
    "hgb": "HGB",
    "logistic": "monotone logistic",
    "rules": "rules distance",
    "blend": "blend",
}
