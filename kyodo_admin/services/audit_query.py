"""Reading the audit trail of one record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from ..models.audit import AuditEvent


def events_for(session: Session, obj: Any, limit: int = 100) -> list[AuditEvent]:
    """The newest events of one record (scoped to the current city like every query)."""
    identity = inspect(obj).identity
    if not identity:
        return []
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.model == type(obj).__tablename__,
               AuditEvent.record_id == ",".join(str(v) for v in identity))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())
