"""Reading the audit trail of one record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select

from ..models.audit import AuditEvent
from ..models.base import Base
from ..sessions import Session


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


def answer_changes(record: Any, before: Any, after: Any) -> list[tuple[str, str, str]]:
    """A change of a record's form answers as (field label, before, after) for each answer
    that changed, shown as the form shows it — not as the stored JSON."""
    from ..formschema.definition import fields_of
    from ..formschema.types import REGISTRY

    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    definition = getattr(record, "form_definition", None)
    fields = {f["name"]: f for f in fields_of(definition.schema)} if definition else {}
    changed = []
    for name in dict.fromkeys([*before, *after]):
        if before.get(name) == after.get(name):
            continue
        field = fields.get(name)
        if field is None:
            changed.append((name, str(before.get(name, "")), str(after.get(name, ""))))
            continue
        field_type = REGISTRY[field["type"]]
        shown = [field_type.display(value, field) if value is not None else "（なし）"
                 for value in (before.get(name), after.get(name))]
        changed.append((field["label"], shown[0] or "（なし）", shown[1] or "（なし）"))
    return changed


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
