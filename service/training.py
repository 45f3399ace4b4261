"""A bureau retrains the readiness model on its own pool, from the dashboard.

The pool's dated snapshots are the history panel `tiering train` reads: one row per firm and
fiscal year (the newest shared record of that year), the firm's record id as its key, the
yearly held-status fields (是否科技型中小企业 …) as the labels' source. Training runs as a job
(kind ``train``) under the worker's lease, step by step (evaluating, then fitting each ladder
and horizon). The new version is saved beside the earlier ones in the bureau's own models
folder (``<data_dir>/models/<bureau>``) and is used only once the bureau enables it after
reading its model card: the model in use is never replaced behind its back, and any earlier
version can be enabled again.

Which model a bureau's pool shows: the bureau's enabled version if it has one (the pool's
readiness figures are then predicted again from each firm's latest snapshot), else the figures
stored with each assessment (the service's model).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd
from sqlmodel import Session, select

from scoring.formatting import fmt_estimator
from scoring.frames import iter_evaluations
from scoring.options import Options
from scoring.readiness import bundle as bundles
from scoring.readiness.panel import STATUS, derive_labels
from scoring.readiness.predict import readiness_columns
from scoring.vocabulary import LADDER_NAMES, LADDERS
from service import audit
from service.config import Settings
from service.errors import ApiError
from service.models import Assessment, BatchJob, Firm, User
from service.store import pool_frame, require_bureau, visible_firms
from service.uploads import LeaseLost

MIN_GAINS = 10  # as bundle.train: fewer firms gaining a ladder gives it no model
VERSION = re.compile(r"^[0-9a-f]{12}$")
# the demo's fictitious firms (service.demo): a model trained on them is synthetic
DEMO_PREFIX = "示例·"


def bureau_key(user: User) -> str:
    """The folder of a bureau's models: its regions (users of one bureau share them)."""
    if user.role == "admin":
        return "all"
    codes = sorted(re.sub(r"[^0-9]", "", r) for r in user.regions())
    return "region-" + ("_".join(c for c in codes if c) or "none")


def models_dir(settings: Settings, user: User) -> Path:
    return Path(settings.data_dir) / "models" / bureau_key(user)


def pool_panel(session: Session, user: User) -> pd.DataFrame:
    """The user's pool as a history panel: per firm and fiscal year its newest shared
    snapshot (the input as stored), keyed ``firm_id`` (the firm record) and ``fiscal_year``."""
    firms = {f.id: f for f in session.exec(visible_firms(user)).all()}
    if not firms:
        return pd.DataFrame(columns=["firm_id", "fiscal_year"])
    rows = session.exec(
        select(Assessment.firm_id, Assessment.period, Assessment.id, Assessment.input_snapshot)
        .where(Assessment.firm_id.in_(list(firms)))
        .where(Assessment.private == False)  # noqa: E712
        .where(Assessment.period.is_not(None))
        .order_by(Assessment.firm_id, Assessment.period, Assessment.id)
    ).all()
    newest: dict[tuple[int, int], dict] = {}
    for firm_id, period, _, snapshot in rows:  # ordered by id: the newest of a year wins
        newest[(firm_id, period)] = dict(snapshot or {})
    records = [
        {**data, "firm_id": str(firm_id), "fiscal_year": int(period)}
        for (firm_id, period), data in newest.items()
    ]
    panel = pd.DataFrame.from_records(records)
    panel.attrs["synthetic"] = any(
        str(firms[int(f)].name).startswith(DEMO_PREFIX) for f in panel["firm_id"].unique()
    )
    return panel


def panel_facts(panel: pd.DataFrame) -> dict:
    """What the panel offers to learn from: rows, firms, years, gains per ladder (12 months)."""
    facts = {
        "rows": len(panel),
        "firms": int(panel["firm_id"].nunique()) if len(panel) else 0,
        "years": sorted(int(y) for y in panel["fiscal_year"].unique()) if len(panel) else [],
        "gains": {},
    }
    if len(panel) and any(c in panel for c in STATUS.values()):
        labels = derive_labels(panel, (1,))
        facts["gains"] = {k: int(np.nansum(labels[f"{k}_in_1y"])) for k in LADDERS}
    return facts


def refusal(facts: dict) -> tuple[str, str] | None:
    """Why the pool cannot train a model yet (Chinese, English), or None."""
    if len(facts["years"]) < 2:
        return (
            "培育库中的企业数据不足两个年度，无法学习企业之后是否获得认定：请先导入往年的数据"
            f"（现有年度：{'、'.join(map(str, facts['years'])) or '无'}）",
            "the pool holds fewer than two fiscal years",
        )
    if not facts["gains"]:
        return (
            "培育库的数据中没有企业各年度的认定状态（如“是否科技型中小企业”），无法学习",
            "the pool's snapshots carry no held-status fields",
        )
    if max(facts["gains"].values()) < MIN_GAINS:
        return (
            f"培育库中次年新获认定的企业太少（每个层级都少于{MIN_GAINS}家），无法训练可靠的模型",
            f"fewer than {MIN_GAINS} firms gained any ladder the next year",
        )
    return None


def start_training(session: Session, settings: Settings, user: User) -> BatchJob:
    """Queue a training job on the user's pool (409 ``not_ready`` when the pool cannot train
    one; a training job already queued or running is returned instead of a second one)."""
    require_bureau(user)
    running = session.exec(
        select(BatchJob).where(
            BatchJob.kind == "train",
            BatchJob.owner_id == user.id,
            BatchJob.status.in_(["queued", "running"]),
        )
    ).first()
    if running is not None:
        return running
    facts = panel_facts(pool_panel(session, user))
    why = refusal(facts)
    if why is not None:
        raise ApiError(409, "not_ready", why[0], why[1], details=facts)
    job = BatchJob(
        owner_id=user.id,
        kind="train",
        original_name="本辖区培育库",
        file_format="pool",
        total_rows=facts["rows"],
        summary={"kind": "train", **facts},
    )
    session.add(job)
    session.flush()
    audit.record(session, user, "readiness.train", "batch_job", job.id, rows=facts["rows"])
    session.commit()
    session.refresh(job)
    return job


class Trainer:
    """One training job under the worker's lease (a job taken over restarts from the
    beginning: a fit is minutes at most and leaves nothing half written)."""

    def __init__(self, worker, session: Session, job: BatchJob):
        self.worker, self.session, self.job = worker, session, job
        self.user = session.get(User, job.owner_id)

    def run(self) -> None:
        session, job = self.session, self.job
        panel = pool_panel(session, self.user)
        facts = panel_facts(panel)
        why = refusal(facts)
        if why is not None:  # the pool changed since the job was queued
            self.worker._finish(session, job.id, "failed", error=why)
            return

        def progress(done: int, total: int) -> None:
            if not self.worker._renew(session, job.id, chunks_done=done, chunks_total=total):
                raise LeaseLost
            session.commit()

        region = "全部辖区" if self.user.role == "admin" else "、".join(self.user.regions())
        trained = bundles.train(
            panel,
            trained_on=f"{region}培育库（{facts['firms']}家企业，"
            f"{facts['years'][0]}–{facts['years'][-1]}年度）",
            synthetic=bool(panel.attrs.get("synthetic")),
            progress=progress,
        )
        if not trained.models:
            self.worker._finish(
                session,
                job.id,
                "failed",
                error=(
                    "没有一个层级的模型在留出企业上达到可用的排序效果（AUC不低于"
                    f"{bundles.MIN_AUC}），未生成新模型；原模型照常使用",
                    "no ladder's model reached the minimum held-out AUC",
                ),
            )
            return
        folder = trained.save(models_dir(self.worker.settings, self.user))
        audit.record(
            session, self.user, "readiness.trained", "batch_job", job.id, version=trained.version
        )
        summary = {
            **facts,
            "kind": "train",
            "version": trained.version,
            "folder": folder.name,
            "text": f"新模型 {trained.version}：{len(trained.models)} 个层级×期限可用"
            "；启用前请阅读模型说明",
        }
        self.worker._finish(session, job.id, "done", summary=summary)


def versions(settings: Settings, user: User) -> list[dict]:
    """The bureau's model versions, newest first, the enabled one marked ``current``."""
    directory = models_dir(settings, user)
    found = bundles.versions(directory) if directory.exists() else []
    return sorted(found, key=lambda m: m.get("created", ""), reverse=True)


def card(settings: Settings, user: User, version: str) -> dict:
    """One version's meta (its model card's facts), 404 when the bureau has no such one."""
    require_bureau(user)
    for meta in versions(settings, user):
        if VERSION.match(version) and meta.get("version") == version:
            return meta
    raise ApiError(404, "not_found", "没有这个模型版本", "no such model version")


def card_rows(meta: dict) -> dict:
    """The model card's evaluation in the page's words: per ladder and horizon, the model's
    and the rules' ranking of held-out firms, and whether the version gives a figure."""
    shipped = set(meta.get("models", []))
    rows = []
    for r in meta.get("evaluation", []):
        key = f"{r['ladder']}/{r['horizon']}"
        rows.append(
            {
                "ladder_zh": LADDER_NAMES[r["ladder"]][0],
                "horizon_zh": f"{12 * int(r['horizon'])}个月内",
                # versions trained before the estimator was chosen have only the boosted model
                "estimator_zh": fmt_estimator(r.get("selected") or "hgb"),
                "model_auc": r.get("selected_auc", r.get("model_auc")),
                "rules_auc": r.get("rules_auc"),
                "model_brier": r.get("selected_brier", r.get("model_brier")),
                "rules_brier": r.get("rules_brier"),
                "logistic_brier": r.get("logistic_brier"),
                "model_ece": r.get("selected_ece", r.get("model_ece")),
                "positives": r.get("positives_test"),
                "used": key in shipped,
                "why_not": ""
                if key in shipped
                else "新获认定的企业太少，无法评估"
                if r.get("selected_auc", r.get("model_auc")) is None
                else f"排序效果不足（AUC低于{bundles.MIN_AUC}）",
            }
        )
    return {"evaluation": rows, "min_auc": bundles.MIN_AUC}


def enable(session: Session, settings: Settings, user: User, version: str) -> dict:
    """Make ``version`` the bureau's model (its pool's readiness figures come from it)."""
    card(settings, user, version)  # 404 unless it is this bureau's version
    bundles.use(version, models_dir(settings, user))
    audit.record(session, user, "readiness.enable", "model", version)
    session.commit()
    return card(settings, user, version)


def disable(session: Session, settings: Settings, user: User) -> None:
    """Back to the service's model (the bureau's versions are kept)."""
    require_bureau(user)
    current = models_dir(settings, user) / "CURRENT"
    if current.exists():
        current.unlink()
    audit.record(session, user, "readiness.disable", "model", bureau_key(user))
    session.commit()


def current_model(settings: Settings, user: User):
    """The bureau's enabled model, or None (then the stored figures stand)."""
    if user.role not in ("bureau", "admin"):
        return None
    directory = models_dir(settings, user)
    current = directory / "CURRENT"
    if not current.exists():
        return None
    return _load(str(directory), current.read_text().strip())


@functools.lru_cache(maxsize=16)
def _load(directory: str, version: str):
    return bundles.load(version, Path(directory))


def repredict(session: Session, pool: pd.DataFrame, model) -> pd.DataFrame:
    """The pool's readiness columns predicted again by ``model`` from each firm's latest
    shared snapshot (one vectorized pass), so the dashboard, exports and the pool PDF agree."""
    if model is None or pool.empty:
        return pool
    ids = dict(
        session.exec(
            select(Firm.id, Firm.latest_assessment_id).where(Firm.id.in_(pool["id"].tolist()))
        ).all()
    )
    snapshots = dict(
        session.exec(
            select(Assessment.id, Assessment.input_snapshot).where(
                Assessment.id.in_([i for i in ids.values() if i])
            )
        ).all()
    )
    inputs = pd.DataFrame.from_records(
        [dict(snapshots.get(ids.get(i)) or {"name": None}) for i in pool["id"]]
    )
    out = pool.copy()
    options = Options(readiness=model, actions=False)
    for positions, ev in iter_evaluations(inputs, options):
        columns = readiness_columns(ev, model)
        for name, values in columns.items():
            if name not in out:
                out[name] = np.nan if name != "readiness_model" else ""
            out.iloc[positions, out.columns.get_loc(name)] = values
    return out


def pool_of(session: Session, settings: Settings, user: User) -> pd.DataFrame:
    """The pool a bureau screens, with its own enabled model's readiness figures if any."""
    return repredict(session, pool_frame(session, user), current_model(settings, user))
