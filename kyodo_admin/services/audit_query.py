"""Reading the audit trail of one record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from ..models.audit import AuditEvent
from ..models.base import Base


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


def referenced_label(session: Session, model: type, field: str, value: Any) -> str | None:
    """For a foreign-key column of ``model`` (``organization_id``), the label of the row that
    ``value`` refers to (``NPO法人…``), or「#4（削除済み）」; None for other columns."""
    column = model.__table__.columns.get(field) if hasattr(model, "__table__") else None
    if column is None or not column.foreign_keys or value is None:
        return None
    target = next(iter(column.foreign_keys)).column.table
    mapper = next((m for m in Base.registry.mappers if m.local_table is target), None)
    if mapper is None:
        return None
    row = session.get(mapper.class_, value)
    return str(row) if row is not None else f"#{value}（削除済み）"
