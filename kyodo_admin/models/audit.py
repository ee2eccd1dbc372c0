"""The audit trail: who changed which record, when, and how."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from .base import Base, TenantScoped, trigram_indexes

AUDIT_ACTIONS = {
    "create": "作成",
    "update": "更新",
    "delete": "削除",
    "transition": "状態変更",
    "login": "ログイン",
    "login_failed": "ログイン失敗",
    "import": "取込",
}


class AuditEvent(TenantScoped, Base):
    """One create, update, delete or other event, with before/after values."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_record", "model", "record_id"),
                      *trigram_indexes("audit_event", "record_label"))
    label = "操作履歴"
    audited = False

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: The username at the time (kept when the user is deleted); "system" for the CLI.
    actor: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[str] = mapped_column(String(20))
    #: Table name of the record, e.g. "proposal".
    model: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[str] = mapped_column(String(40), default="")
    record_label: Mapped[str] = mapped_column(String(300), default="")
    #: {field: [before, after]}.
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")

    def __str__(self) -> str:
        return f"{self.action} {self.model}#{self.record_id}"


class CityRevision(Base):
    """A city's records as of their last change: a new random number written in the
    transaction of every change, with its audit events. Readers see it only once that
    transaction has committed, so a figure cached under a city's revision is never older than
    the records it counts (an audit event's id would not do: ids are handed out before
    commit, not in its order). Random rather than counted, so a city created again under a
    reused id (SQLite) cannot meet an old number."""

    __tablename__ = "city_revision"
    label = "更新番号"
    audited = False

    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"),
                                         primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)
