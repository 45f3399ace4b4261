"""A finished batch job becomes part of a bureau's candidate pool.

Each import is a dated snapshot: every row of the file that belongs to the bureau's region
adds one assessment to its firm (found by credit code, or created), so a firm's history over
the years is kept, never overwritten. Rows that cannot be placed are reported with the reason
and not imported: outside the region, no valid region or credit code, no name, a repeated
credit code in the same file, or the very same data already imported.

The file is scored again here on the one scoring path (`scoring.frames.iter_evaluations`,
the same step the batch job ran), so each stored snapshot carries a full result page, not
just the spreadsheet's columns. A firm's own record is never changed by an import: the
bureau's snapshot is added beside the firm's own assessments.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlmodel import Session, select

from batch.readers import Limits, read_tables
from batch.run import prepare
from scoring.api import Evaluated, known_fields
from scoring.frames import iter_evaluations
from scoring.options import Options
from service import audit, store
from service.errors import ApiError
from service.models import Assessment, BatchJob, Firm, User
from service.store import _jsonable, input_hash, latest_summary, period_of
from service.uploads import LeaseLost, get_job, upload_path

SKIPPED_SHOWN = 50  # the job page lists this many rows not imported (the count is complete)


def start_import(session: Session, user: User, source_id: str) -> BatchJob:
    """Queue the import of a finished scoring job of the user's (once: importing the same job
    again returns the first import unless it failed)."""
    store.require_bureau(user)
    source = get_job(session, user, source_id)
    if source.kind != "score" or source.status != "done":
        raise ApiError(
            409,
            "not_ready",
            "只能导入已完成的评价任务",
            "only a finished scoring job can be imported",
        )
    earlier = session.exec(
        select(BatchJob).where(
            BatchJob.kind == "import",
            BatchJob.source_job_id == source.id,
            BatchJob.owner_id == user.id,
            BatchJob.status != "failed",
        )
    ).first()
    if earlier is not None:
        return earlier
    job = BatchJob(
        owner_id=user.id,
        kind="import",
        source_job_id=source.id,
        original_name=source.original_name,
        file_format=source.file_format,
        options=dict(source.options or {}),
    )
    session.add(job)
    session.flush()
    audit.record(session, user, "pool.import", "batch_job", job.id, source_job_id=source.id)
    session.commit()
    session.refresh(job)
    return job


class Importer:
    """One import job, chunk by chunk under the worker's lease (resumes after a crash at the
    first chunk not committed)."""

    def __init__(self, worker, session: Session, job: BatchJob):
        """``worker``: the ``service.jobs.Worker`` holding the job's lease."""
        self.worker, self.session, self.job = worker, session, job
        self.user = session.get(User, job.owner_id)
        self.regions = [] if self.user.role == "admin" else self.user.regions()
        self.summary: dict[str, Any] = dict(job.summary or {}) or {
            "kind": "import",
            "imported": 0,
            "new_firms": 0,
            "existing_firms": 0,
            "skipped": 0,
            "outside_region": 0,
            "skipped_rows": [],
        }

    def run(self) -> None:
        settings, job, session = self.worker.settings, self.job, self.session
        source = session.get(BatchJob, job.source_job_id)
        limits = Limits(max_bytes=settings.upload_max_bytes, max_rows=settings.batch_max_rows)
        path = upload_path(settings, source.id, source.original_name)
        (table,) = list(read_tables(path, limits, chunk_rows=limits.max_rows + 1))
        canonical, scale, reasons, _ = prepare(table)
        self.sheet_rows = table.sheet_rows().to_numpy()
        self.reasons = reasons.to_numpy()
        self.seen: dict[str, int] = {}  # credit code → first file row (within this file)
        n, size = len(canonical), settings.batch_chunk_rows
        chunks = max(1, math.ceil(n / size))
        if not self.worker._renew(session, job.id, total_rows=n, chunks_total=chunks):
            raise LeaseLost
        session.commit()
        options = Options.from_json(job.options)
        frame = canonical.reset_index(drop=True)
        for no in range(chunks):
            rows = np.arange(no * size, min(n, (no + 1) * size))
            if no < job.chunks_done:
                self._remember_codes(frame, rows)  # a resumed job: done before the crash
                continue
            for local, ev in iter_evaluations(frame.iloc[rows], options, scale=scale):
                self._chunk(rows[local], ev)
            if not self.worker._renew(
                session,
                job.id,
                rows_done=BatchJob.rows_done + len(rows),
                chunks_done=BatchJob.chunks_done + 1,
                summary=dict(self.summary),
            ):
                raise LeaseLost
            session.commit()
        self.summary["text"] = self.text()
        audit.record(
            session,
            self.user,
            "pool.import",
            "batch_job",
            job.id,
            done=True,
            imported=self.summary["imported"],
            skipped=self.summary["skipped"],
        )
        self.worker._finish(session, job.id, "done", summary=self.summary)

    def text(self) -> str:
        s = self.summary
        return (
            f"导入 {s['imported']} 家（新建 {s['new_firms']} 家，已在库 {s['existing_firms']} 家"
            f"新增一期快照）；未导入 {s['skipped']} 行"
            + (f"，其中 {s['outside_region']} 行不在本辖区" if s["outside_region"] else "")
        )

    def _remember_codes(self, frame, rows) -> None:
        if "credit_code" in frame:
            for i in rows:
                code = str(frame["credit_code"].iloc[i] or "").strip().upper()
                if code and self.reasons[i] == "":
                    self.seen.setdefault(code, int(self.sheet_rows[i]))

    def _skip(self, row: int, name: Any, reason: str, outside: bool = False) -> None:
        self.summary["skipped"] += 1
        self.summary["outside_region"] += int(outside)
        if len(self.summary["skipped_rows"]) < SKIPPED_SHOWN:
            shown = "" if name is None or name != name else str(name)[:100]
            self.summary["skipped_rows"].append(
                {"row": int(self.sheet_rows[row]), "name": shown, "reason": reason}
            )

    def _chunk(self, rows: np.ndarray, ev) -> None:
        session = self.session
        scored = Evaluated(ev)
        results = scored.assessments()
        names, regions = ev.frame.text("name"), ev.frame.text("region_code")
        codes = ev.frame.text("credit_code")
        wanted: dict[int, str] = {}
        for i, row in enumerate(rows):
            name, region, code = names[i], regions[i], codes[i]
            if self.reasons[row]:
                self._skip(row, name, self.reasons[row])
            elif results[i] is None:
                self._skip(row, name, "缺少企业名称")
            elif not region:
                self._skip(row, name, "缺少有效的行政区划代码，无法确认是否属于本辖区")
            elif self.regions and not any(str(region).startswith(r) for r in self.regions):
                self._skip(
                    row,
                    name,
                    f"行政区划代码{region}不在本部门辖区（{'、'.join(self.regions)}）",
                    outside=True,
                )
            elif not code:
                self._skip(row, name, "缺少有效的统一社会信用代码，无法与企业库中的企业对应")
            elif str(code) in self.seen:
                self._skip(
                    row, name, f"统一社会信用代码与第{self.seen[str(code)]}行重复，未重复导入"
                )
            else:
                self.seen[str(code)] = int(self.sheet_rows[row])
                wanted[i] = str(code)
        firms = self._firms(list(wanted.values()))
        touched: dict[int, Firm] = {}
        for i, code in wanted.items():
            data = known_fields(ev, i)
            digest = input_hash(data)
            firm = firms.get(code)
            if firm is not None and self._same_snapshot(firm, digest) is not None:
                self._skip(
                    rows[i], names[i], "该企业同样的数据已在库中（此前已导入或已自评），未重复导入"
                )
                continue
            if firm is None:
                firm = Firm(owner_id=self.user.id, name=str(names[i]), credit_code=code)
                firms[code] = firm
                self.summary["new_firms"] += 1
                self._identity(firm, data, ev, i)
            else:
                self.summary["existing_firms"] += 1
                if store.owns(self.user, firm):
                    self._identity(firm, data, ev, i)
            session.add(firm)
            session.flush()
            result = results[i]
            session.add(
                Assessment(
                    firm_id=firm.id,
                    owner_id=firm.owner_id,
                    author_id=self.user.id,
                    source="import",
                    import_job_id=self.job.id,
                    period=period_of(data),
                    summary=latest_summary(scored, i),
                    input_snapshot=_jsonable(data),
                    input_hash=digest,
                    criteria_versions=result.criteria_version.split(";")
                    if result.criteria_version
                    else [],
                    model_version=result.readiness.model_version if result.readiness else None,
                    mode=self.job.options.get("mode", "new") if self.job.options else "new",
                    result=result.model_dump(mode="json"),
                )
            )
            touched[firm.id] = firm
            self.summary["imported"] += 1
        session.flush()
        for firm in touched.values():
            store.refresh_pool_row(session, firm)

    def _identity(self, firm: Firm, data: dict, ev, i: int) -> None:
        """The bureau's own record follows its newest snapshot (an older year's file
        imported later adds history without moving the record back)."""
        if firm.id is not None and firm.latest_assessment_id is not None:
            latest = self.session.get(Assessment, firm.latest_assessment_id)
            if latest is not None and (latest.period or 0) > period_of(data):
                return
        firm.name = str(ev.frame.text("name")[i])
        for key in ("region_code", "industry_code"):
            value = ev.frame.text(key)[i]
            setattr(firm, key, None if value is None or value == "" else str(value))
        firm.profile = _jsonable(data)

    def _firms(self, codes: list[str]) -> dict[str, Firm]:
        """Firms already in the region with these credit codes: the firm's own record first
        (the bureau's snapshot lands where the firm sees it), else the bureau's."""
        if not codes:
            return {}
        query = select(Firm).where(Firm.credit_code.in_(codes))
        rows = [
            f
            for f in self.session.exec(query).all()
            if not self.regions
            or any(str(f.region_code or "").startswith(r) for r in self.regions)
            or store.owns(self.user, f)
        ]
        rows.sort(key=lambda f: (store.owns(self.user, f), f.id))
        out: dict[str, Firm] = {}
        for f in rows:
            out.setdefault(f.credit_code, f)
        return out

    def _same_snapshot(self, firm: Firm, digest: str) -> int | None:
        if firm.id is None:
            return None
        return self.session.exec(
            select(Assessment.id).where(
                Assessment.firm_id == firm.id, Assessment.input_hash == digest
            )
        ).first()
