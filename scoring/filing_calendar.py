"""When to file: dated filing windows, validity cycles and yearly duties
(``criteria/calendar/calendar.yaml``) turned into a firm's own dates, and an .ics export.

A window is what one year's notice said. Only a window of the current year that has not closed
is upcoming or open; an older one is "last seen" (上次所见) with its year, because provinces
re-announce every year and often move the dates — it is never projected into next year as a
date. Dates that follow from rules (a certificate's expiry, the 31 May report) are computed
from the firm's own inputs; an empty input gives no date, never a guessed one.
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
from scoring.models import CalendarEvent
from scoring.rulesets import Document, RuleFileError, Source, read_data_file
from scoring.vocabulary import CALENDAR_STATUS_ZH, LADDER_ZH, LADDERS, SURENESS_ZH


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WindowSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    ladder: Literal[LADDERS]  # type: ignore[valid-type]
    region: str | None = Field(default=None, pattern=r"^\d{2,6}$")
    region_name: str | None = None
    year: int
    opens: dt.date | None = None
    closes: dt.date | None = None
    deadlines: list[dt.date] = []  # batch deadlines inside the window
    zh: str
    source: Source
    sureness: Literal["high", "medium", "low"]


class CycleSpec(_Strict):
    ladder: Literal[LADDERS]  # type: ignore[valid-type]
    validity_years: int
    renewal: Literal["reapply", "review"]
    certified_field: str
    zh: str
    source: Source
    sureness: Literal["high", "medium", "low"]


class DutySpec(_Strict):
    id: str
    ladder: Literal[LADDERS]  # type: ignore[valid-type]
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)
    zh: str
    source: Source
    sureness: Literal["high", "medium", "low"]


class CalendarFile(_Strict):
    kind: Literal["calendar"]
    checked: str = Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")
    documents: list[Document]
    windows: list[WindowSpec]
    cycles: list[CycleSpec]
    duties: list[DutySpec]


@dataclass(frozen=True)
class Calendar:
    data: CalendarFile
    documents: dict[str, Document]

    def cite(self, source: Source) -> str:
        doc = self.documents[source.doc]
        return f"{doc.number} {source.article}"


@cache
def load_calendar(path: Path = CRITERIA_DIR / "calendar" / "calendar.yaml") -> Calendar:
    data = read_data_file(path, CalendarFile)
    documents = {d.key: d for d in data.documents}
    for item in [*data.windows, *data.cycles, *data.duties]:
        if item.source.doc not in documents:
            raise RuleFileError(f"{path}: {item.ladder} cites unknown document {item.source.doc}")
    return Calendar(data, documents)


def _day(value) -> dt.date | None:
    """A date input as the canonical frame or a firm dict holds it."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else value.astype("datetime64[D]").item()
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _fmt(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _span(start: dt.date | None, end: dt.date | None) -> str:
    """Month and day only: the year is said beside it."""
    if start and end:
        return f"{start.month}月{start.day}日—{end.month}月{end.day}日"
    if end:
        return f"截止{end.month}月{end.day}日"
    return f"{start.month}月{start.day}日发布通知" if start else "日期未见"


def window_for(ladder: str, region: str | None, today: dt.date) -> CalendarEvent | None:
    """The window a firm in ``region`` should look at for ``ladder``, among the national
    windows and those of the region's prefixes: one open on ``today``, else the next to open,
    else the newest seen (the most specific region on a tie), with its status on ``today``."""
    cal = load_calendar()
    region = region or ""
    found = [
        (w, _status(w, today))
        for w in cal.data.windows
        if w.ladder == ladder and (w.region is None or region.startswith(w.region))
    ]
    if not found:
        return None
    rank = {"open": 0, "announced": 1, "upcoming": 2, "last_seen": 3}

    def key(item):
        w, status = item
        # the soonest upcoming; among the rest the newest year; then the most specific region
        when = w.opens.toordinal() if status == "upcoming" and w.opens else -w.year
        return (rank[status], when, -len(w.region or ""))

    w, status = min(found, key=key)
    place = w.region_name or "全国"
    span = _span(w.opens, w.closes)
    if w.deadlines:
        span += "（各批截止" + "、".join(f"{d.month}月{d.day}日" for d in w.deadlines) + "）"
    name = LADDER_ZH[ladder]
    if status == "last_seen":
        text = f"{name}：上次所见申报窗口（{w.year}年，{place}）{span}，下一次以当年通知为准"
    elif status == "announced" and w.opens is None:
        text = f"{name}：{place}{w.year}年申报截止{_fmt(w.closes)}（开始日期未见），请查阅通知"
    elif status == "announced":
        text = f"{name}：{place}{w.year}年申报通知已于{_fmt(w.opens)}发布，截止日期未见，请查阅通知"
    else:
        text = f"{name}：{place}申报窗口{span}（{CALENDAR_STATUS_ZH[status]}）"
    return CalendarEvent(
        ladder=ladder,
        kind="window",
        status=status,
        zh=f"{text}。{w.zh}",
        start=w.opens,
        end=w.closes,
        seen_year=w.year,
        region_name=w.region_name,
        source=cal.cite(w.source),
        sureness=w.sureness,
        checked=cal.data.checked,
    )


def _status(w: WindowSpec, today: dt.date) -> str:
    """A window of a past year, or one closed, is last seen; before it opens, upcoming; open
    between its dates (inclusive); announced when only one of its dates is known."""
    if w.year < today.year or (w.closes is not None and w.closes < today):
        return "last_seen"
    if w.opens is not None and today < w.opens:
        return "upcoming"
    # open only between two known dates; one known date is an announcement to read
    return "open" if w.opens is not None and w.closes is not None else "announced"


def _next_on(month: int, day: int, today: dt.date) -> dt.date:
    this_year = dt.date(today.year, month, day)
    return this_year if this_year >= today else dt.date(today.year + 1, month, day)


def _expiry(cert: dt.date, years: int) -> dt.date:
    try:
        end = cert.replace(year=cert.year + years)
    except ValueError:  # 29 February
        end = cert.replace(year=cert.year + years, day=28)
    return end - dt.timedelta(days=1)


def firm_calendar(
    firm: dict, targets: list[str], today: dt.date, held: dict[str, bool]
) -> list[CalendarEvent]:
    """A firm's calendar: its certificates' expiry and renewal, the yearly duties of the
    titles it holds, and the window of each ladder in ``targets`` (its next rungs). ``firm``
    holds its inputs (a date as text, a date or numpy datetime); ``held``: the titles it holds
    as the assessment read them."""
    cal = load_calendar()
    events: list[CalendarEvent] = []
    renewing = []
    for cycle in cal.data.cycles:
        cert = _day(firm.get(cycle.certified_field))
        if cert is None:
            continue
        end = _expiry(cert, cycle.validity_years)
        act = "重新申请认定" if cycle.renewal == "reapply" else "复核"
        status = "past" if end < today else "due"
        text = (
            f"{LADDER_ZH[cycle.ladder]}：证书{_fmt(cert)}发证，有效期至{_fmt(end)}；"
            f"{end.year}年须{act}"
        )
        if status == "past":
            text += "（已过期，请尽快" + act + "）"
        events.append(
            CalendarEvent(
                ladder=cycle.ladder,
                kind="expiry",
                status=status,
                zh=text,
                end=end,
                source=cal.cite(cycle.source),
                sureness=cycle.sureness,
                checked=cal.data.checked,
            )
        )
        if end.year <= today.year + 1:
            renewing.append(cycle.ladder)
    for duty in cal.data.duties:
        if not held.get(duty.ladder):
            continue
        day = _next_on(duty.month, duty.day, today)
        events.append(
            CalendarEvent(
                ladder=duty.ladder,
                kind="duty",
                status="due",
                zh=f"{LADDER_ZH[duty.ladder]}：{_fmt(day)}前{duty.zh}",
                end=day,
                source=cal.cite(duty.source),
                sureness=duty.sureness,
                checked=cal.data.checked,
            )
        )
    region = str(firm.get("region_code") or "")
    if held.get("tech_sme"):  # a tech-SME is evaluated again in every year's window
        renewing.append("tech_sme")
    for ladder in dict.fromkeys([*targets, *renewing]):
        window = window_for(ladder, region, today)
        events.append(window if window is not None else _not_recorded(ladder, cal))
    return sorted(events, key=_order)


def _not_recorded(ladder: str, cal: Calendar) -> CalendarEvent:
    """A rung the firm aims at whose window no notice of its region has shown us: said so,
    rather than left out (a firm would read silence as "no deadline")."""
    return CalendarEvent(
        ladder=ladder,
        kind="window",
        status="none",
        zh=f"{LADDER_ZH[ladder]}：尚未收录本地区的申报窗口，请查阅所在省市主管部门的当年通知",
        source="criteria/calendar/calendar.yaml（未收录）",
        sureness="low",
        checked=cal.data.checked,
    )


def _order(e: CalendarEvent):
    rank = {"open": 0, "due": 1, "upcoming": 1, "announced": 2, "past": 0, "last_seen": 3}
    rank["none"] = 4
    return (rank[e.status], e.end or e.start or dt.date.max)


def next_line(events: list[CalendarEvent]) -> str | None:
    """The one "下一步" line: the first open or dated item, else the first last-seen window."""
    return events[0].zh if events else None


def to_ics(events: list[CalendarEvent], name: str, today: dt.date) -> bytes:
    """An iCalendar file of the dated items still ahead (an open window, a duty, a renewal);
    a last-seen window is not an event to come, so it is left out."""
    from icalendar import Calendar as ICal
    from icalendar import Event

    ical = ICal()
    ical.add("prodid", "-//tiering//filing calendar//ZH")
    ical.add("version", "2.0")
    ical.add("x-wr-calname", f"{name} 申报日历")
    stamp = dt.datetime.combine(today, dt.time(), dt.UTC)
    for i, e in enumerate(events):
        if e.status in ("last_seen", "past", "announced", "none") or (e.end or e.start) is None:
            continue
        item = Event()
        item.add("uid", f"{e.ladder}-{e.kind}-{i}-{(e.end or e.start).isoformat()}@tiering")
        item.add("dtstamp", stamp)
        item.add("summary", e.zh.split("：", 1)[0] + "：" + _title(e))
        start = e.start if e.kind == "window" and e.start else (e.end or e.start)
        item.add("dtstart", start)
        item.add("dtend", (e.end or start) + dt.timedelta(days=1))  # all-day, end exclusive
        item.add(
            "description",
            f"{e.zh}\n来源：{e.source}（核对{e.checked}，{SURENESS_ZH[e.sureness]}）",
        )
        ical.add_component(item)
    return ical.to_ical()


def _title(e: CalendarEvent) -> str:
    return {"window": "申报窗口", "expiry": "证书到期", "duty": "年度事项"}[e.kind]


def renewal_due(dates: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per row of a pool: the earliest certificate expiry and its ladder (NaT / "" where no
    certificate date is known), from the cycles' certificate-date columns (datetime64)."""
    cal = load_calendar()
    n = len(next(iter(dates.values()))) if dates else 0
    best = np.full(n, np.datetime64("NaT"), "datetime64[D]")
    ladder = np.full(n, "", object)
    for cycle in cal.data.cycles:
        cert = dates.get(cycle.certified_field)
        if cert is None:
            continue
        # N years on, less a day; pandas takes 29 February to 28 February
        on = pd.DatetimeIndex(cert.astype("datetime64[ns]")) + pd.DateOffset(
            years=cycle.validity_years
        )
        end = (on - pd.Timedelta(days=1)).to_numpy().astype("datetime64[D]")
        sooner = ~np.isnat(end) & (np.isnat(best) | (end < best))
        best = np.where(sooner, end, best)
        ladder = np.where(sooner, cycle.ladder, ladder)
    return best, ladder


def refreshed(result: dict, inputs: dict, today: dt.date) -> dict:
    """A stored result (its JSON) with its calendar as of ``today``: a stored window goes
    stale as the year turns, so pages, reports and .ics files recompute it from the inputs."""
    path = result.get("path") or []
    held = {k: bool(la.get("held")) for k, la in (result.get("ladders") or {}).items()}
    events = firm_calendar(inputs, [s["ladder"] for s in path], today, held=held)
    windows = {e.ladder: e.zh for e in events if e.kind == "window"}
    return {
        **result,
        "calendar": [e.model_dump(mode="json") for e in events],
        "next_zh": next_line(events),
        "path": [{**s, "window_zh": windows.get(s["ladder"])} for s in path],
    }


def frame_renewals(ev) -> tuple[np.ndarray, np.ndarray]:
    """``renewal_due`` over an evaluation's frame, computed once per evaluation."""
    found = ev.memo.get("renewals")
    if found is None:
        columns = ev.frame.columns
        dates = {
            c.certified_field: columns[c.certified_field]
            for c in load_calendar().data.cycles
            if c.certified_field in columns
        }
        found = ev.memo["renewals"] = renewal_due(dates)
    return found


def pool_outlook(pool: pd.DataFrame, region: str, today: dt.date, limit: int = 10) -> dict:
    """A bureau's calendar: the filing window of every ladder for its region, and the pool's
    certificates that expire by the end of next year (their firms must re-apply or be
    re-reviewed), soonest first. ``pool`` carries ``renewal_on`` / ``renewal_ladder`` from
    the firms' latest assessments."""
    windows = [w for k in LADDERS if (w := window_for(k, region, today)) is not None]
    horizon = dt.date(today.year + 1, 12, 31)
    due = []
    if "renewal_on" in pool:
        on = pd.to_datetime(pool["renewal_on"], errors="coerce")
        mask = on.notna() & (on <= pd.Timestamp(horizon))
        for firm, day in sorted(
            zip(pool[mask].itertuples(), on[mask], strict=True), key=lambda p: p[1]
        ):
            due.append(
                {
                    "id": firm.id,
                    "name": firm.name,
                    "ladder": firm.renewal_ladder,
                    "ladder_zh": LADDER_ZH.get(firm.renewal_ladder, ""),
                    "on": day.date().isoformat(),
                    "past": day.date() < today,
                }
            )
    return {"windows": windows, "due": due, "shown": due[:limit], "horizon": horizon}


def pool_ics(outlook: dict, name: str, today: dt.date) -> bytes:
    """The bureau's calendar as iCalendar: windows still ahead and each certificate expiry."""
    cal = load_calendar()
    events = list(outlook["windows"])
    for item in outlook["due"]:
        day = dt.date.fromisoformat(item["on"])
        events.append(
            CalendarEvent(
                ladder=item["ladder"],
                kind="expiry",
                status="past" if item["past"] else "due",
                zh=f"{item['name']}：{item['ladder_zh']}证书有效期至{_fmt(day)}，须重新申请或复核",
                end=day,
                source="企业填报的认定日期",
                sureness="medium",
                checked=cal.data.checked,
            )
        )
    return to_ics(events, name, today)
