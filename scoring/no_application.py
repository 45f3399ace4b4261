"""免申即享 ("the policy finds the firm"): for every local award keyed to a region, the firms of
a pool that meet it on a date, without applying, with the evidence a finance office can pay
from and an auditor can re-check.

The firms' stored input snapshots are scored again as of the date (one vectorized pass, and one
for their previous snapshots), so the list follows the rules in force that day, not those of
the day each snapshot was taken. What "meets" means per award event (decisions, in
docs/benefits.md):

- ``new`` (首次认定): the firm holds the title and its certificate is dated within the year
  before the date → **payable** (可兑现); it holds the title but no certificate date was given
  → **check** (待核对, never counted in the total); it does not hold it but meets every rule →
  **on recognition** (符合条件，认定后兑现).
- ``renewal`` (重新认定/复核): it holds the title, its certificate expires within the year after
  the date and it meets the rules again → on recognition; its certificate is dated within the
  year before the date and its previous snapshot held an older one → payable.

"New since the previous import": the firm's previous snapshot, scored the same way on the same
date, did not qualify (or there was none).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from scoring.api import firm_dict, input_hash, score_firms
from scoring.benefits import Benefit, load_benefits
from scoring.engine import STATUS_OF_CODE
from scoring.explain import RowView, ladder_assessment
from scoring.filing_calendar import load_calendar
from scoring.frames import criteria_versions
from scoring.models import TraceEntry
from scoring.options import Options
from scoring.vocabulary import ELIGIBLE, HELD_FIELD, LADDER_ZH

Basis = Literal["payable", "on_recognition", "check"]
BASIS_ZH = {
    "payable": "已认定，可兑现",
    "on_recognition": "符合条件，认定后兑现",
    "check": "已持有，认定日期未填，请核对",
}
YEAR = dt.timedelta(days=365)


@dataclass
class PoolFirm:
    """One firm of the pool: its latest snapshot and the one before (None if none)."""

    key: Any  # the caller's id (a firm id)
    snapshot: dict
    previous: dict | None = None
    assessment_id: Any = None


@dataclass
class AwardItem:
    key: Any
    name: str
    credit_code: str
    region_code: str
    basis: Basis
    basis_zh: str
    amount: float
    up_to: bool
    new: bool
    certified_on: str | None
    input_hash: str
    criteria_version: str
    assessment_id: Any
    trace: list[TraceEntry] = field(default_factory=list)
    snapshot: dict = field(default_factory=dict)


@dataclass
class AwardList:
    award: Benefit
    items: list[AwardItem]

    def totals(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for basis in BASIS_ZH:
            mine = [i for i in self.items if i.basis == basis]
            out[basis] = {"firms": len(mine), "amount": float(sum(i.amount for i in mine))}
        out["new"] = sum(i.new for i in self.items if i.basis != "check")
        return out

    def version(self) -> str:
        """The award's data as of this list: id, document and the file's checked date."""
        return f"{self.award.spec.id}@{self.award.checked}"


def awards_for(regions: list[str], day: dt.date) -> list[Benefit]:
    """Local awards in force on ``day`` whose region lies in or contains one of ``regions``
    (no region: every local award)."""
    out = []
    for b in load_benefits():
        s = b.spec
        if s.region is None or s.kind not in ("one_off", "fund") or not s.in_force(day):
            continue
        if s.status == "closed":
            continue
        if not regions or any(s.region.startswith(r) or r.startswith(s.region) for r in regions):
            out.append(b)
    return out


def _cert_field(ladder: str) -> str | None:
    return next(
        (c.certified_field for c in load_calendar().data.cycles if c.ladder == ladder), None
    )


def _qualify(ev, ladder: str, event: str, day: dt.date, prev_cert=None):
    """Per row: the basis code (0 none, 1 payable, 2 on recognition, 3 check) and the
    certificate dates."""
    n = ev.frame.n
    cols = ev.frame.columns
    eligible = np.array([STATUS_OF_CODE[c] == ELIGIBLE for c in ev.ladders[ladder].status])
    cert_name = _cert_field(ladder)
    cert = (
        cols[cert_name].astype("datetime64[D]")
        if cert_name in cols
        else np.full(n, np.datetime64("NaT"), "datetime64[D]")
    )
    held_name = HELD_FIELD.get(ladder)
    held = (cols[held_name] == 1) if held_name in cols else np.zeros(n, bool)
    held = held | ~np.isnat(cert) if held_name is None else held
    today = np.datetime64(day, "D")
    recent = ~np.isnat(cert) & (cert <= today) & (cert > today - np.timedelta64(365, "D"))
    basis = np.zeros(n, np.int8)
    if event == "renewal":
        expiry = _expiries(cert)
        due = ~np.isnat(expiry) & (expiry >= today) & (expiry <= today + np.timedelta64(365, "D"))
        basis[held & due & eligible] = 2
        if prev_cert is not None:
            renewed = recent & ~np.isnat(prev_cert) & (prev_cert < cert)
            basis[held & renewed] = 1
    else:
        basis[~held & eligible] = 2
        basis[held & np.isnat(cert)] = 3
        basis[held & recent] = 1
    return basis, cert


def _expiries(cert: np.ndarray) -> np.ndarray:
    on = pd.DatetimeIndex(cert.astype("datetime64[ns]")) + pd.DateOffset(years=3)
    return (on - pd.Timedelta(days=1)).to_numpy().astype("datetime64[D]")


def award_lists(
    firms: list[PoolFirm], regions: list[str], day: dt.date, options: Options | None = None
) -> list[AwardList]:
    """Every award of ``regions`` in force on ``day`` with the firms that meet it."""
    awards = awards_for(regions, day)
    if not firms or not awards:
        return [AwardList(a, []) for a in awards]
    options = Options.of(options).replace(as_of=day, readiness=None, actions=False)
    snapshots = [firm_dict(f.snapshot) for f in firms]
    ev = score_firms(snapshots, options).ev
    versions = criteria_versions(ev)
    with_previous = [i for i, f in enumerate(firms) if f.previous]
    prev_ev = (
        score_firms([firm_dict(firms[i].previous) for i in with_previous], options).ev
        if with_previous
        else None
    )
    regions_of = np.array([str(s.get("region_code") or "") for s in snapshots], dtype=object)
    out = []
    for award in awards:
        spec = award.spec
        event = spec.event or "new"
        prev_cert = None
        prev_basis = np.zeros(len(firms), np.int8)
        if prev_ev is not None:
            b, c = _qualify(prev_ev, spec.ladder, event, day)
            prev_basis[with_previous] = b
            prev_cert = np.full(len(firms), np.datetime64("NaT"), "datetime64[D]")
            prev_cert[with_previous] = c
        basis, cert = _qualify(ev, spec.ladder, event, day, prev_cert)
        inside = np.array([r.startswith(spec.region) for r in regions_of], dtype=bool)
        items = []
        for row in np.flatnonzero(inside & (basis > 0)):
            code = ("", "payable", "on_recognition", "check")[basis[row]]
            data = snapshots[row]
            la = ladder_assessment(ev, spec.ladder, int(row), RowView(ev, int(row)))
            items.append(
                AwardItem(
                    key=firms[row].key,
                    name=str(data.get("name") or ""),
                    credit_code=str(data.get("credit_code") or ""),
                    region_code=regions_of[row],
                    basis=code,
                    basis_zh=BASIS_ZH[code]
                    if code != "payable"
                    else f"{'重新认定' if event == 'renewal' else '认定'}于{cert[row]}，可兑现",
                    amount=float(spec.amount) if code != "check" else 0.0,
                    up_to=spec.up_to,
                    new=bool(prev_basis[row] == 0) if code != "check" else False,
                    certified_on=None if np.isnat(cert[row]) else str(cert[row]),
                    input_hash=input_hash(data),
                    criteria_version=versions[row],
                    assessment_id=firms[row].assessment_id,
                    trace=la.trace,
                    snapshot=data,
                )
            )
        items.sort(key=lambda i: (("payable", "on_recognition", "check").index(i.basis), i.name))
        out.append(AwardList(award, items))
    return out


def list_json(lists: list[AwardList], day: dt.date) -> dict:
    """The lists as the API gives them (evidence per firm: basis, hashes, versions, the failed
    or passed rules of the ladder)."""
    return {
        "date": day.isoformat(),
        "awards": [
            {
                "id": al.award.spec.id,
                "zh": al.award.spec.zh,
                "ladder": al.award.spec.ladder,
                "ladder_zh": LADDER_ZH[al.award.spec.ladder],
                "region": al.award.spec.region,
                "region_name": al.award.spec.region_name,
                "event": al.award.spec.event or "new",
                "amount": al.award.spec.amount,
                "up_to": al.award.spec.up_to,
                "source": al.award.cite(),
                "sureness": al.award.spec.sureness,
                "benefit_version": al.version(),
                "totals": al.totals(),
                "firms": [
                    {
                        "firm_id": i.key,
                        "name": i.name,
                        "credit_code": i.credit_code,
                        "region_code": i.region_code,
                        "basis": i.basis,
                        "basis_zh": i.basis_zh,
                        "amount": i.amount,
                        "new": i.new,
                        "certified_on": i.certified_on,
                        "assessment_id": i.assessment_id,
                        "input_hash": i.input_hash,
                        "criteria_version": i.criteria_version,
                        "evidence_hash": evidence_hash(i, al),
                    }
                    for i in al.items
                ],
            }
            for al in lists
        ],
    }


def evidence_hash(item: AwardItem, al: AwardList) -> str:
    """A digest of what the decision rests on (inputs, rule and award versions, basis, the
    ladder's rule outcomes): an auditor who re-scores the snapshot gets the same."""
    payload = {
        "input": item.input_hash,
        "criteria": item.criteria_version,
        "award": al.version(),
        "basis": item.basis,
        "trace": [(t.rule_id, t.outcome) for t in item.trace],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
