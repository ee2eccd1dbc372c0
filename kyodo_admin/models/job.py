"""Background work: how a city's part of a periodic job went last (the notice scan's
failures are shown in the outbox and in ``/healthz`` until a later run of the same city
succeeds), and the slow work a person asked for, waiting for a worker."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from .base import Base, CityOwned, TimestampMixin

#: The jobs that keep a status per city.
JOB_LABELS = {"notices": "通知メールの作成と送信"}


class JobStatus(CityOwned, Base):
    """One city's last run of one job: when it last succeeded, and its failure when the last
    run failed (what it was doing, and the error in a clerk's words)."""

    __tablename__ = "job_status"
    __table_args__ = (UniqueConstraint("city_id", "job", name="uq_job_status_city_job"),)
    label = "定期処理の状態"
    audited = False

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(30))
    succeeded_at: Mapped[dt.datetime | None]
    failed_at: Mapped[dt.datetime | None]
    #: What the job was doing when it failed (a notice kind), and the error; empty once a
    #: later run succeeds.
    failed_step: Mapped[str] = mapped_column(String(30), default="")
    error: Mapped[str] = mapped_column(Text, default="")


class QueuedWork(CityOwned, TimestampMixin, Base):
    """Slow work a person asked for — a Word template's checks and test render, reading or
    importing a spreadsheet — done by a ``kyodo worker`` while the person's page shows its
    progress, so that no web worker is held for it. ``content`` carries an uploaded file to
    the worker; ``result`` is what the page shows or leads to once it is done."""

    __tablename__ = "queued_work"
    label = "処理待ちの作業"
    audited = False  # what the work makes has its own events

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    job: Mapped[str] = mapped_column(String(30))
    #: queued → running → done | failed
    status: Mapped[str] = mapped_column(String(20), default="queued")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
