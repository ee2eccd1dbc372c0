"""The audit trail: who changed which record, when, and how."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from .base import Base, TenantScoped

AUDIT_ACTIONS = {
    "create": "作成",
    "update": "更新",
    "delete": "削除",
    "transition": "状態変更",
    "login": "ログイン",
    "login_failed": "ログイン失敗",
}


class AuditEvent(TenantScoped, Base):
    """One create, update, delete or other event, with before/after values."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_record", "model", "record_id"),)
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
