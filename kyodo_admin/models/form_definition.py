"""Form definitions (様式): per-city, per-kind, versioned field lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CityOwned, TimestampMixin, VersionedMixin

#: The record kinds a city configures a form for.
FORM_KINDS = {
    "basic_sheet": "基本シート（提案書）",
    "review_sheet": "審査票",
    "project_plan": "事業計画書",
    "agreement": "協定書",
    "completion_report": "事業報告書",
    "evaluation": "事業評価",
}
FORM_STATES = {"draft": "編集中", "published": "公開中", "retired": "旧版"}


class FormDefinition(CityOwned, VersionedMixin, TimestampMixin, Base):
    """One revision of a city's form for one kind of record.

    A revision that records were filled against never changes; an edit
    publishes a new revision. Records point at the revision they used.
    """

    __tablename__ = "form_definition"
    __table_args__ = (UniqueConstraint("city_id", "kind", "revision"),)
    label = "様式定義"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    revision: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(200), default="")
    #: Form number printed on documents, e.g. "様式第1号".
    form_number: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    #: The definition: {"sections": [{"title": ..., "fields": [...]}]}.
    schema: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    def __str__(self) -> str:
        return gettext("%(kind)s 第%(n)s版", kind=gettext(FORM_KINDS.get(self.kind, self.kind)),
                       n=self.revision)
