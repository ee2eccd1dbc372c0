"""Proposals (協働事業の提案) made on the basic sheet (基本シート)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import (
    Base,
    CityOwned,
    HasFormAnswers,
    TimestampMixin,
    VersionedMixin,
    fiscal_year_of,
    trigram_indexes,
)

if TYPE_CHECKING:
    from .city import Department
    from .organization import Organization
    from .project import CollaborationType

PROPOSER_TYPES = {"npo": "団体（NPO等）", "staff": "市職員", "joint": "共同提案"}

PROPOSAL_STATES = {
    "draft": "下書き",
    "submitted": "受付済",
    "step1_review": "ステップ1検討中",
    "returned": "助言付き差戻し",
    "rejected": "不採択（ステップ1）",
    "passed": "ステップ1通過",
    "step2_review": "ステップ2決定待ち",
    "adopted": "採択",
    "not_adopted": "不採用",
}

#: States in which the step-2 decision is still to come.
AWAITING_STEP2 = ("passed", "step2_review")


class Proposal(HasFormAnswers, CityOwned, VersionedMixin, TimestampMixin, Base):
    """A proposal for a collaboration project, received at the entrance."""

    __tablename__ = "proposal"
    __table_args__ = (
        UniqueConstraint("city_id", "receipt_number"),
        CheckConstraint("budget_amount IS NULL OR budget_amount >= 0", name="budget_nonneg"),
        # The home screen's counts of a year by state, and the list's usual filter.
        Index("ix_proposal_city_year_status", "city_id", "fiscal_year", "status"),
        # The home screen's late budget proposals, oldest first.
        Index("ix_proposal_city_year_budget_received", "city_id", "fiscal_year", "needs_budget",
              "received_on"),
        *trigram_indexes("proposal", "title", "receipt_number", "summary"),
    )
    label = "提案"
    search_fields = ("receipt_number", "title")
    form_kind = "basic_sheet"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Receipt number shown to the proposer (受付番号), unique in the city.
    receipt_number: Mapped[str | None] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    proposer_type: Mapped[str] = mapped_column(String(20), default="npo")
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="RESTRICT"), index=True
    )
    collaboration_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("collaboration_type.id", ondelete="RESTRICT")
    )
    #: The earlier proposal this one proposes again (再提案).
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(30), default="draft", index=True)
    received_on: Mapped[dt.date | None]
    fiscal_year: Mapped[int | None] = mapped_column(index=True)
    needs_budget: Mapped[bool] = mapped_column(default=False)
    #: Budget size (予算規模) in yen.
    budget_amount: Mapped[int | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    #: What the proposer entered about themselves at the public entrance (団体名, 代表者, 連絡先…),
    #: kept as entered whatever organization record staff match it to.
    submitted_by: Mapped[dict[str, Any] | None]
    #: The receipt number of an earlier proposal the proposer says this one proposes again;
    #: staff confirm it before the two are linked (``parent``).
    claimed_parent_receipt: Mapped[str | None] = mapped_column(String(30))
    #: The proposer's status page (提案の状況): the SHA-256 of the random token in its link,
    #: sent by mail (the token itself is kept nowhere; a new link replaces it).
    status_token_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    #: Answers to the configurable basic sheet, keyed by field name.

    organization: Mapped[Organization | None] = relationship()
    department: Mapped[Department | None] = relationship()
    collaboration_type: Mapped[CollaborationType | None] = relationship()
    parent: Mapped[Proposal | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Proposal]] = relationship(back_populates="parent")

    def derive(self) -> None:
        self.fiscal_year = fiscal_year_of(self.received_on)

    @property
    def status_label(self) -> str:
        return PROPOSAL_STATES.get(self.status, self.status)

    def __str__(self) -> str:
        return f"{self.receipt_number} {self.title}" if self.receipt_number else self.title
