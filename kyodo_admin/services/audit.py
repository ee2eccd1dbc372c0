"""Records every create, update and delete in the audit trail.

An ``after_flush`` listener compares each flushed object's attribute history
and inserts ``AuditEvent`` rows through the same connection, so an audit row
exists exactly when the change it describes is committed.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, inspect

from .. import clock
from ..models.audit import AuditEvent, CityRevision
from ..models.base import Base, upsert_insert
from ..sessions import KyodoSession, OrmSession, Session

#: Column values never written to the audit trail (only that they changed).
SECRET_COLUMNS = {"password_hash"}
#: Columns whose changes alone are not worth an audit event.
NOISE_COLUMNS = {"updated_at", "created_at", "version", "failed_login_count", "locked_until",
                 "last_login_at"}


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    name: str


SYSTEM_ACTOR = Actor(None, "システム")
_actor: ContextVar[Actor] = ContextVar("kyodo_audit_actor", default=SYSTEM_ACTOR)


def set_actor(actor: Actor) -> Any:
    return _actor.set(actor)


def reset_actor(token: Any) -> None:
    _actor.reset(token)


def current_actor() -> Actor:
    return _actor.get()


def to_json_value(value: Any) -> Any:
    """A JSON-safe representation of a column value for the audit trail."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, (dict, list)):
        return value
    return str(value)


def _column_changes(obj: Any, action: str) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for column_attr in state.mapper.column_attrs:
        key = column_attr.key
        if key in NOISE_COLUMNS:
            continue
        if action == "create":
            before, after = None, getattr(obj, key, None) if key in state.dict else None
            if after is None or after == "" or after == {}:
                continue
        elif action == "delete":
            before, after = state.dict.get(key), None
            if before is None or before == "":
                continue
        else:
            hist = state.attrs[key].history
            if not hist.has_changes():
                continue
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if before == after:
                continue
        if key in SECRET_COLUMNS:
            changes[key] = ["***", "***"]
        else:
            changes[key] = [to_json_value(before), to_json_value(after)]
    return changes


def _record_id(obj: Any) -> str:
    identity = inspect(obj).identity
    if identity:
        return ",".join(str(v) for v in identity)
    return str(getattr(obj, "id", "") or "")


def _city_of(obj: Any, action: str) -> int | None:
    """The city an event belongs to: the record's, or the city itself when its own settings
    change (so the city admin sees who changed them)."""
    if type(obj).__tablename__ == "city":
        return None if action == "delete" else getattr(obj, "id", None)
    return getattr(obj, "city_id", None)


def _event_row(obj: Any, action: str, changes: dict[str, Any], actor: Actor) -> dict[str, Any]:
    try:
        label = str(obj)[:300]
    except Exception:  # noqa: BLE001 - a label must never stop a save
        label = ""
    return {
        "city_id": _city_of(obj, action),
        "created_at": clock.now(),
        "user_id": actor.user_id,
        "actor": actor.name[:80],
        "action": action,
        "model": type(obj).__tablename__,
        "record_id": _record_id(obj),
        "record_label": label,
        "changes": changes,
        "comment": "",
    }


@event.listens_for(KyodoSession, "after_flush")
def _write_audit(session: OrmSession, _flush_context: Any) -> None:
    actor = current_actor()
    rows: list[dict[str, Any]] = []
    for action, objects in (("create", session.new), ("update", session.dirty),
                            ("delete", session.deleted)):
        for obj in objects:
            if not isinstance(obj, Base) or not type(obj).audited:
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _column_changes(obj, action)
            if action == "update" and not changes:
                continue
            rows.append(_event_row(obj, action, changes, actor))
    if rows:
        _write(session, rows)


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert audit events and give each city they belong to a new revision (in city order,
    so two transactions touching the same cities cannot deadlock)."""
    connection = session.connection()
    connection.execute(insert(AuditEvent), rows)
    for city_id in sorted({row["city_id"] for row in rows if row["city_id"] is not None}):
        new = random.getrandbits(62)
        bump = upsert_insert(connection, CityRevision).values(city_id=city_id, revision=new)
        connection.execute(bump.on_conflict_do_update(index_elements=["city_id"],
                                                      set_={"revision": new}))


def record_event(session: Session, obj: Any, action: str, comment: str = "",
                 changes: dict[str, Any] | None = None) -> None:
    """Record an event that is not a plain column change (a transition, a login)."""
    record_events(session, [(obj, comment)], action, changes)


def record_events(session: Session, items: list[tuple[Any, str]], action: str,
                  changes: dict[str, Any] | None = None) -> None:
    """One such event for each (record, comment), written together (an import's rows)."""
    actor = current_actor()
    rows = [{**_event_row(obj, action, changes or {}, actor), "comment": comment}
            for obj, comment in items]
    if rows:
        _write(session, rows)
