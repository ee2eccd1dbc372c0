"""The review council (協働エントランス会議), its sittings, criteria and reviews."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flask_babel import gettext
from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, CityOwned, HasFormAnswers, TimestampMixin, VersionedMixin, fiscal_year_of
from .project import YEAR_DECISIONS

if TYPE_CHECKING:
    from .organization import Organization
    from .project import ProjectYear
    from .proposal import Proposal
    from .user import User

MEMBER_SIDES = {"city": "市側", "npo": "市民・NPO側", "department_head": "部長（ステップ2）"}
REVIEW_STEPS = {1: "ステップ1（検討）", 2: "ステップ2（決定）"}
REVIEW_RESULTS = {
    "pending": "審議中",
    "passed": "通過",
    "returned": "助言付き差戻し",
    "rejected": "不採択",
    "adopted": "採択",
    "not_adopted": "不採用",
}
#: The results of a continuation review (継続審査) of a project's year: the year's decision.
CONTINUATION_RESULTS = {"pending": "審議中", **YEAR_DECISIONS}
#: Every result a review may have, in words.
RESULT_LABELS = {**REVIEW_RESULTS, **CONTINUATION_RESULTS}
CRITERION_KINDS = {"score": "点数", "check": "適否"}
#: What a criterion is used for: the proposals' review, the continuation review, or both.
CRITERION_USES = {"all": "提案の審査・継続審査", "proposal": "提案の審査", "continuation": "継続審査"}


class Council(CityOwned, VersionedMixin, TimestampMixin, Base):
    __tablename__ = "council"
    __table_args__ = (UniqueConstraint("city_id", "name"),)
    label = "会議体"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    members: Mapped[list[CouncilMember]] = relationship(back_populates="council")
    meetings: Mapped[list[Meeting]] = relationship(back_populates="council")

    def __str__(self) -> str:
        return self.name


class CouncilMember(CityOwned, VersionedMixin, TimestampMixin, Base):
    """A member of a council, from the city or the NPO side, or a department head."""

    __tablename__ = "council_member"
    city_parent = "council"
    label = "構成員"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200), default="")
    side: Mapped[str] = mapped_column(String(30), default="city")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    #: The organization the member belongs to; recused from its proposals.
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL")
    )
    active: Mapped[bool] = mapped_column(default=True)

    council: Mapped[Council] = relationship(back_populates="members")
    user: Mapped[User | None] = relationship()
    organization: Mapped[Organization | None] = relationship()

    def __str__(self) -> str:
        return self.name


#: Who attended a meeting (出席者). Members not listed were absent once any are listed.
meeting_attendee = Table(
    "meeting_attendee",
    Base.metadata,
    Column("meeting_id", ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ForeignKey("council_member.id", ondelete="CASCADE"), primary_key=True),
)


class Meeting(CityOwned, VersionedMixin, TimestampMixin, Base):
    """One sitting of a council (about five a fiscal year)."""

    __tablename__ = "meeting"
    __table_args__ = (CheckConstraint("step IN (1, 2)", name="step_valid"),)
    city_parent = "council"
    label = "会議"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    step: Mapped[int] = mapped_column(default=1)
    #: The previous date, time and place are loaded on change (``active_history``): the change
    #: notice says what the meeting moved from even when the row was expired when changed.
    held_on: Mapped[dt.date] = mapped_column(active_history=True)
    #: The local time it starts and ends (the calendar file of the meeting notice).
    starts_at: Mapped[dt.time | None] = mapped_column(active_history=True)
    ends_at: Mapped[dt.time | None]
    fiscal_year: Mapped[int | None] = mapped_column(index=True)
    location: Mapped[str] = mapped_column(String(200), default="", active_history=True)
    minutes: Mapped[str] = mapped_column(Text, default="")

    council: Mapped[Council] = relationship(back_populates="meetings")
    attendees: Mapped[list[CouncilMember]] = relationship(secondary=meeting_attendee,
                                                          order_by="CouncilMember.id")

    def derive(self) -> None:
        self.fiscal_year = fiscal_year_of(self.held_on)

    def __str__(self) -> str:
        return self.title


class Criterion(CityOwned, VersionedMixin, TimestampMixin, Base):
    """A review criterion (検討の指針・選定基準) of the city."""

    __tablename__ = "criterion"
    __table_args__ = (
        UniqueConstraint("city_id", "name"),
        CheckConstraint("max_score >= 1", name="max_score_positive"),
    )
    label = "審査基準"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="score")
    max_score: Mapped[int] = mapped_column(default=5)
    #: ``CRITERION_USES``: scored in the proposals' review, the continuation review, or both.
    used_for: Mapped[str] = mapped_column(String(20), default="all", server_default="all")
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name


class Review(HasFormAnswers, CityOwned, VersionedMixin, TimestampMixin, Base):
    """One council's judgement of one proposal at one step, or of one year of a project
    before the next (継続審査: its result is the year's decision)."""

    __tablename__ = "review"
    __table_args__ = (
        CheckConstraint("step IN (1, 2)", name="step_valid"),
        CheckConstraint("(proposal_id IS NULL) <> (project_year_id IS NULL)",
                        name="one_subject"),
    )
    city_parent = "proposal"
    label = "審査"
    search_via = "proposal"
    form_kind = "review_sheet"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="RESTRICT"),
                                                    index=True)
    #: The project's year a continuation review judges (then no proposal).
    project_year_id: Mapped[int | None] = mapped_column(
        ForeignKey("project_year.id", ondelete="RESTRICT"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="RESTRICT"))
    step: Mapped[int] = mapped_column(default=1)
    #: ``REVIEW_RESULTS`` of a proposal's review, ``CONTINUATION_RESULTS`` of a continuation one.
    result: Mapped[str] = mapped_column(String(30), default="pending")
    #: Reasons in writing (理由), required when a proposal is not passed.
    reasons: Mapped[str] = mapped_column(Text, default="")
    #: Advice (助言) to the proposer.
    advice: Mapped[str] = mapped_column(Text, default="")
    decided_on: Mapped[dt.date | None]

    proposal: Mapped[Proposal | None] = relationship()
    project_year: Mapped[ProjectYear | None] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    scores: Mapped[list[ReviewScore]] = relationship(
        back_populates="review", cascade="all, delete-orphan"
    )

    @property
    def is_continuation(self) -> bool:
        return self.project_year_id is not None or self.project_year is not None

    @property
    def subject(self) -> Any:
        """What is reviewed: the proposal, or the project's year."""
        return self.project_year if self.is_continuation else self.proposal

    @property
    def organization_id(self) -> int | None:
        """The organization whose proposal or project is reviewed (its members are recused)."""
        if self.project_year is not None:
            return self.project_year.project.organization_id
        return self.proposal.organization_id if self.proposal is not None else None

    @property
    def result_label(self) -> str:
        return RESULT_LABELS.get(self.result, self.result)

    def __str__(self) -> str:
        if self.is_continuation:
            return gettext("%(year)s / 継続審査", year=str(self.project_year))
        return f"{self.proposal} / {REVIEW_STEPS.get(self.step, self.step)}"


class ReviewScore(CityOwned, VersionedMixin, TimestampMixin, Base):
    """One member's score of one criterion in a review."""

    __tablename__ = "review_score"
    __table_args__ = (
        UniqueConstraint("review_id", "criterion_id", "member_id"),
        CheckConstraint("score IS NULL OR score >= 0", name="score_nonneg"),
    )
    city_parent = "review"
    label = "評点"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="RESTRICT"))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("council_member.id", ondelete="RESTRICT")
    )
    score: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[Review] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()
    member: Mapped[CouncilMember | None] = relationship()

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score}"
