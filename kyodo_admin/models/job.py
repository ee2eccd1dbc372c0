"""How a city's part of a background job went last: the notice scan's failures are shown in
the outbox and in ``/healthz`` until a later run of the same city succeeds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CityOwned

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
