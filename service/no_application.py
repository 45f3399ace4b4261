"""The bureau's 免申即享 lists from its pool (``scoring.no_application``): the firms it sees,
their latest and previous shared snapshots, and the exports a finance office pays from."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from sqlmodel import Session, select

from batch.writers import neutralize
from scoring.fields import FIELDS
from scoring.no_application import AwardList, PoolFirm, award_lists, evidence_hash, list_json
from scoring.vocabulary import LADDER_ZH, OUTCOME_ZH, SURENESS_ZH
from service import store
from service.models import Assessment, User


def pool_firms(session: Session, user: User) -> list[PoolFirm]:
    """Each visible firm with a shared assessment: its latest snapshot and the one before."""
    firms = [f for f in session.exec(store.visible_firms(user)).all() if f.latest_assessment_id]
    if not firms:
        return []
    rows = session.exec(
        select(Assessment)
        .where(Assessment.firm_id.in_([f.id for f in firms]), Assessment.private == False)  # noqa: E712
        .order_by(Assessment.firm_id, Assessment.period.desc(), Assessment.id.desc())
    ).all()
    by_firm: dict[int, list[Assessment]] = {}
    for row in rows:
        by_firm.setdefault(row.firm_id, []).append(row)
    out = []
    for firm in firms:
        mine = by_firm.get(firm.id, [])
        if not mine:
            continue
        latest = mine[0]
        previous = mine[1].input_snapshot if len(mine) > 1 else None
        out.append(PoolFirm(firm.id, latest.input_snapshot, previous, latest.id))
    return out


def lists_for(session: Session, user: User, day: dt.date) -> list[AwardList]:
    regions = [] if user.role == "admin" else user.regions()
    return award_lists(pool_firms(session, user), regions, day)


def as_json(session: Session, user: User, day: dt.date) -> dict:
    return list_json(lists_for(session, user, day), day)


def export_xlsx(lists: list[AwardList], day: dt.date) -> bytes:
    """汇总 (per award), 名单 (per firm and award, with hashes and versions), 依据 (every rule of
    the ladder per listed firm: value, threshold, outcome, source), 输入快照 (every input).
    Text is neutralized: no cell runs as a formula."""
    from rustpy_xlsxwriter import FastExcel, Format

    summary, names, evidence, inputs = [], [], [], []
    seen_inputs = set()
    for al in lists:
        s, t = al.award.spec, al.totals()
        summary.append(
            {
                "奖励项目": s.zh,
                "地区": s.region_name or s.region,
                "梯度": LADDER_ZH[s.ladder],
                "金额(元)": s.amount,
                "最高额": "是" if s.up_to else "否",
                "可兑现企业数": t["payable"]["firms"],
                "可兑现金额(元)": t["payable"]["amount"],
                "认定后兑现企业数": t["on_recognition"]["firms"],
                "认定后兑现金额(元)": t["on_recognition"]["amount"],
                "待核对企业数": t["check"]["firms"],
                "较上次导入新增": t["new"],
                "依据": al.award.cite(),
                "可靠程度": SURENESS_ZH[s.sureness],
                "奖励数据版本": al.version(),
            }
        )
        for i in al.items:
            digest = evidence_hash(i, al)
            names.append(
                {
                    "奖励项目": s.zh,
                    "企业名称": i.name,
                    "统一社会信用代码": i.credit_code,
                    "行政区划代码": i.region_code,
                    "判定": i.basis_zh,
                    "金额(元)": i.amount,
                    "最高额": "是" if i.up_to else "否",
                    "较上次导入新增": "是" if i.new else "否",
                    "证书日期": i.certified_on or "",
                    "评价编号": i.assessment_id,
                    "输入摘要": i.input_hash,
                    "规则版本": i.criteria_version,
                    "奖励数据版本": al.version(),
                    "证据摘要": digest,
                }
            )
            for t in i.trace:
                evidence.append(
                    {
                        "证据摘要": digest,
                        "企业名称": i.name,
                        "奖励项目": s.zh,
                        "规则": t.zh,
                        "企业数值": t.value_zh or "",
                        "标准": t.threshold_zh or "",
                        "结果": OUTCOME_ZH.get(t.outcome, t.outcome),
                        "依据": t.source or "",
                    }
                )
            if i.input_hash not in seen_inputs:
                seen_inputs.add(i.input_hash)
                for name, value in i.snapshot.items():
                    label = FIELDS[name].label_zh if name in FIELDS else name
                    inputs.append(
                        {
                            "输入摘要": i.input_hash,
                            "企业名称": i.name,
                            "字段": name,
                            "名称": label,
                            "填报值": str(value),
                        }
                    )
    header = Format().set_bold().set_background_color("#DDEBF7")
    buf = io.BytesIO()
    book = FastExcel(buf, sanitize_formulas=True).freeze(row=1, col=1)
    for title, rows, empty in (
        ("汇总", summary, "本地区没有收录的奖励项目"),
        ("名单", names, f"截至{day}没有符合条件的企业"),
        ("依据", evidence, "无"),
        ("输入快照", inputs, "无"),
    ):
        frame = neutralize(pd.DataFrame(rows)) if rows else None
        book.sheet(
            title,
            frame.astype(object).where(frame.notna(), None)
            if frame is not None
            else [{"说明": empty}],
            autofilter=frame is not None,
            header_format=header,
            column_width=18,
        )
    book.save()
    return buf.getvalue()
