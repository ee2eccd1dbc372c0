"""Mail notices: the outbox every mail is written to first, and each city's mail texts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CityOwned, TimestampMixin, VersionedMixin

#: What a notice is about (and which mail text it uses).
NOTICE_KINDS = {
    "report_due": "事業報告書の提出期限のお知らせ",
    "report_overdue": "事業報告書の提出期限の超過",
    "step2_waiting": "ステップ2（決定）の期限が近い提案",
    "late_budget": "予算の締切後に届いた提案",
    "meeting": "会議のお知らせ",
    "meeting_changed": "会議の変更のお知らせ",
    "proposal_received": "提案の受付のお知らせ（提案者へ）",
    "status_link": "提案の状況のページのご案内（提案者へ）",
}
NOTICE_STATES = {"pending": "送信待ち", "sending": "送信中", "sent": "送信済",
                 "failed": "送信失敗"}


class Notice(CityOwned, TimestampMixin, Base):
    """One mail in the outbox: written in the transaction of what caused it, sent by
    ``kyodo notices send`` (or the queue's periodic job), never twice (``key``)."""

    __tablename__ = "notice"
    __table_args__ = (UniqueConstraint("city_id", "key", name="uq_notice_city_key"),)
    label = "送信メール"
    #: The outbox is its own record of what went to whom and when (and each send attempt);
    #: a copy of every row and status change in the audit trail would only double it.
    audited = False

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    #: What makes this mail the one it is (report 12, 3 days before; meeting 5 at its date…):
    #: a second scan finds it and writes nothing.
    key: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str] = mapped_column(String(200))
    recipient_name: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    #: A calendar file (meeting notices), attached as invite.ics.
    ics: Mapped[str | None] = mapped_column(Text)
    record_type: Mapped[str] = mapped_column(String(50), default="")
    record_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")

    def __str__(self) -> str:
        return f"{self.subject}（{self.recipient}）"


class NoticeTemplate(CityOwned, VersionedMixin, TimestampMixin, Base):
    """A city's own text of one kind of mail (plain-text Jinja in the documents' sandbox);
    without one, the shipped text is used."""

    __tablename__ = "notice_template"
    __table_args__ = (UniqueConstraint("city_id", "kind", name="uq_notice_template_city_kind"),)
    label = "メール文面"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)

    def __str__(self) -> str:
        return NOTICE_KINDS.get(self.kind, self.kind)
