"""The audit log: every write to the database by a person or a job, who, when and what.

Callers add the event in the same transaction as the write it describes, so a write that is
rolled back leaves no event and an event never goes missing for a write that landed.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, func, select

from service.models import AuditEvent, User

# what each action is called on the admin page
ACTION_ZH = {
    "user.signup": "企业自助注册",
    "user.create": "创建账号",
    "user.disable": "停用账号",
    "user.enable": "启用账号",
    "user.reset_password": "重置密码",
    "token.create": "创建API令牌",
    "token.revoke": "吊销API令牌",
    "firm.create": "新建企业",
    "firm.update": "更新企业资料",
    "assessment.create": "保存评价",
    "batch.upload": "上传批量文件",
    "pool.import": "导入企业库",
    "target.create": "新建培育目标",
    "target.delete": "删除培育目标",
}


def record(
    session: Session,
    user: User | None,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    **details: Any,
) -> None:
    session.add(
        AuditEvent(
            user_id=user.id if user else None,
            username=user.username if user else "",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            details=details,
        )
    )


def recent(session: Session, limit: int = 100, offset: int = 0) -> tuple[int, list[AuditEvent]]:
    total = session.exec(select(func.count()).select_from(AuditEvent)).one()
    rows = session.exec(
        select(AuditEvent).order_by(AuditEvent.id.desc()).offset(offset).limit(limit)
    ).all()
    return total, list(rows)
