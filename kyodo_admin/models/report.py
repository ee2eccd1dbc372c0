"""Completion reports (事業報告書) and the evaluations (事業評価・評価検証) on them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from flask_babel import gettext
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, CityOwned, HasFormAnswers, TimestampMixin, VersionedMixin, trigram_indexes

if TYPE_CHECKING:
    from .project import Project

EVALUATION_SIDES = {
    "city": "担当課（市）による評価",
    "organization": "団体による評価",
    "council": "会議による評価検証",
}
EVALUATION_RATINGS = {"A": "A（目標を上回った）", "B": "B（目標どおり）", "C": "C（一部未達成）", "D": "D（未達成）"}


class CompletionReport(HasFormAnswers, CityOwned, VersionedMixin, TimestampMixin, Base):
    """The report due within one month after the project ends, every fiscal year."""

    __tablename__ = "completion_report"
    __table_args__ = (
        UniqueConstraint("project_id", "fiscal_year"),
        CheckConstraint("actual_cost IS NULL OR actual_cost >= 0", name="actual_cost_nonneg"),
        # Reports not submitted yet, by due date (the home screen's overdue list).
        Index("ix_completion_report_city_open_due", "city_id", "submitted_on", "due_on"),
        *trigram_indexes("completion_report", "summary"),
    )
    city_parent = "project"
    label = "事業報告書"
    search_via = "project"
    form_kind = "completion_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="RESTRICT"), index=True)
    fiscal_year: Mapped[int | None]
    #: Due date (提出期限), one month after completion by default.
    due_on: Mapped[dt.date | None] = mapped_column(index=True)
    submitted_on: Mapped[dt.date | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    #: Actual total cost in yen (決算額).
    actual_cost: Mapped[int | None]

    project: Mapped[Project] = relationship()
    evaluations: Mapped[list[Evaluation]] = relationship(back_populates="completion_report")

    def __str__(self) -> str:
        return gettext("%(project)s 事業報告書（%(n)s年度）", project=str(self.project),
                       n=self.fiscal_year)


class Evaluation(HasFormAnswers, CityOwned, VersionedMixin, TimestampMixin, Base):
    """An evaluation by one side: the department, the organization or the council."""

    __tablename__ = "evaluation"
    __table_args__ = (UniqueConstraint("completion_report_id", "side"),)
    city_parent = "project"
    label = "事業評価"
    form_kind = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="RESTRICT"), index=True)
    completion_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("completion_report.id", ondelete="RESTRICT"), index=True
    )
    side: Mapped[str] = mapped_column(String(20), default="city")
    evaluator: Mapped[str] = mapped_column(String(200), default="")
    evaluated_on: Mapped[dt.date | None]
    rating: Mapped[str] = mapped_column(String(2), default="")
    comment: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[Project] = relationship()
    completion_report: Mapped[CompletionReport | None] = relationship(back_populates="evaluations")

    @property
    def rating_label(self) -> str:
        return EVALUATION_RATINGS.get(self.rating, self.rating)

    @property
    def side_label(self) -> str:
        return EVALUATION_SIDES.get(self.side, self.side)

    def __str__(self) -> str:
        return f"{self.project} / {self.side_label}"
