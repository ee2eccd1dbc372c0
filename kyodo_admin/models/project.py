"""Collaboration projects (協働事業), their form of collaboration and plan."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
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
    from .proposal import Proposal

PROJECT_STATES = {
    "planning": "詳細検討中",
    "agreed": "協定締結済",
    "running": "実施中",
    "completed": "事業完了",
    "reported": "報告済",
    "evaluated": "評価済",
    "closed": "終了",
}
#: The state of a project's earlier year: the project went on to a next year (継続).
YEAR_CONTINUED = "continued"
#: A year's state in words: the project's state for the year it is in, 継続 for an earlier one.
YEAR_STATES = {**PROJECT_STATES, YEAR_CONTINUED: "継続（次の年度へ）"}


class CollaborationType(CityOwned, VersionedMixin, TimestampMixin, Base):
    """A form of collaboration (協働の形態) the city uses, e.g. 協働委託事業."""

    __tablename__ = "collaboration_type"
    __table_args__ = (UniqueConstraint("city_id", "name"),)
    label = "協働の形態"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Whether the form needs an agreement (協定書) before the project runs.
    requires_agreement: Mapped[bool] = mapped_column(default=True)
    # The programme's rule for a project of this form, where it differs from the city's
    # (None: the city's, 自治体の設定): how many fiscal years a project may run, the city's
    # share a year at most (円), and at most which percentage of a year's cost the city
    # bears, year by year ("80,70,60"; the last holds for later years).
    max_years: Mapped[int | None]
    yearly_cap: Mapped[int | None]
    share_ratios: Mapped[str | None] = mapped_column(String(50))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name


class Project(CityOwned, VersionedMixin, TimestampMixin, Base):
    """A collaboration project, usually created from an adopted proposal."""

    __tablename__ = "project"
    __table_args__ = (
        CheckConstraint("budget_amount IS NULL OR budget_amount >= 0", name="budget_nonneg"),
        CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="period_order"
        ),
        # The home screen's counts and the disclosure's year, by state.
        Index("ix_project_city_year_status", "city_id", "fiscal_year", "status"),
        *trigram_indexes("project", "title", "summary"),
    )
    label = "協働事業"
    search_fields = ("title",)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="RESTRICT"), index=True
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="RESTRICT"), index=True
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    collaboration_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("collaboration_type.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(30), default="planning", index=True)
    start_date: Mapped[dt.date | None]
    end_date: Mapped[dt.date | None]
    #: The day the project was actually completed (事業完了日).
    completed_on: Mapped[dt.date | None]
    fiscal_year: Mapped[int | None] = mapped_column(index=True)
    budget_amount: Mapped[int | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)

    proposal: Mapped[Proposal | None] = relationship()
    department: Mapped[Department | None] = relationship()
    organization: Mapped[Organization | None] = relationship()
    collaboration_type: Mapped[CollaborationType | None] = relationship()
    #: Its fiscal years, the first first: the last is the year it is in (its state's).
    years: Mapped[list[ProjectYear]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectYear.year_number")

    def derive(self) -> None:
        """Its fiscal year follows its start; a new project gets its first year, which follows
        the start while it is the only one (a later year is opened by the council's decision
        to continue, ``services/workflow.py``)."""
        self.fiscal_year = fiscal_year_of(self.start_date)
        if not self.years:
            self.years.append(ProjectYear(
                city_id=self.city_id, year_number=1, completed_on=self.completed_on,
                fiscal_year=self.fiscal_year or fiscal_year_of(clock.today())))
        elif len(self.years) == 1 and self.fiscal_year is not None:
            self.years[0].fiscal_year = self.fiscal_year

    @property
    def current_year(self) -> ProjectYear | None:
        """The year the project is in: its state is this year's state."""
        return self.years[-1] if self.years else None

    def year_number_of(self, fiscal_year: int | None) -> int | None:
        """第何年度: the number of its year of that fiscal year; None outside its years."""
        return next((y.year_number for y in self.years if y.fiscal_year == fiscal_year), None)

    def year_state(self, fiscal_year: int | None) -> str:
        """The state of its year of that fiscal year: its own state for the year it is in (and
        for a record without a year), 継続 for an earlier one."""
        current = self.current_year
        if fiscal_year is not None and current is not None and fiscal_year < current.fiscal_year:
            return YEAR_CONTINUED
        return self.status

    @property
    def status_label(self) -> str:
        return PROJECT_STATES.get(self.status, self.status)

    def __str__(self) -> str:
        return self.title


YEAR_DECISIONS = {
    "continue": "継続",
    "continue_with_conditions": "条件付きで継続",
    "end": "終了",
}


class ProjectYear(CityOwned, VersionedMixin, TimestampMixin, Base):
    """One fiscal year of a project (第1年度, 第2年度…): budgets are voted year by year, so
    each year has its own plan, agreement, completion report and evaluations (all keyed by
    the project and this fiscal year) and ends in the council's continuation decision. The
    project's state is its last year's; an earlier year was continued."""

    __tablename__ = "project_year"
    __table_args__ = (
        UniqueConstraint("project_id", "fiscal_year"),
        UniqueConstraint("project_id", "year_number"),
        CheckConstraint("year_number >= 1", name="year_number_positive"),
    )
    city_parent = "project"
    label = "事業年度"
    search_via = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            index=True)
    fiscal_year: Mapped[int]
    #: 1 for the project's first year (第1年度).
    year_number: Mapped[int] = mapped_column(default=1)
    #: The year's 事業完了日 (the project's ``completed_on`` is its current year's).
    completed_on: Mapped[dt.date | None]
    #: The continuation review's decision (継続審査): continue, continue_with_conditions, end.
    decision: Mapped[str] = mapped_column(String(30), default="")
    decided_on: Mapped[dt.date | None]
    decision_reasons: Mapped[str] = mapped_column(Text, default="")
    decision_conditions: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[Project] = relationship(back_populates="years")

    @property
    def decision_label(self) -> str:
        return YEAR_DECISIONS.get(self.decision, "")

    def __str__(self) -> str:
        from flask_babel import gettext

        from ..display import fiscal_year

        return gettext("%(project)s 第%(n)s年度（%(year)s）", project=str(self.project),
                       n=self.year_number, year=fiscal_year(self.fiscal_year))


class ProjectPlan(HasFormAnswers, CityOwned, VersionedMixin, TimestampMixin, Base):
    """The project plan (事業計画書) with its evaluation items and targets."""

    __tablename__ = "project_plan"
    __table_args__ = (UniqueConstraint("project_id", "fiscal_year"),)
    city_parent = "project"
    label = "事業計画書"
    search_via = "project"
    form_kind = "project_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    fiscal_year: Mapped[int | None]
    #: "What for" (目的).
    purpose: Mapped[str] = mapped_column(Text, default="")
    #: "How much by when" (目標).
    target: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    schedule: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[Project] = relationship()
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="project_plan", cascade="all, delete-orphan", order_by="Indicator.sort_order"
    )

    def __str__(self) -> str:
        from flask_babel import gettext

        return gettext("%(project)s 事業計画書", project=str(self.project))


class Indicator(CityOwned, VersionedMixin, TimestampMixin, Base):
    """An evaluation item with its target value (評価項目及び目標値) and actual."""

    __tablename__ = "indicator"
    __table_args__ = (
        CheckConstraint("target_value IS NULL OR target_value >= 0", name="target_nonneg"),
        CheckConstraint("actual_value IS NULL OR actual_value >= 0", name="actual_nonneg"),
    )
    city_parent = "project_plan"
    label = "評価項目"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_plan_id: Mapped[int] = mapped_column(
        ForeignKey("project_plan.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(30), default="")
    target_value: Mapped[float | None]
    actual_value: Mapped[float | None]
    sort_order: Mapped[int] = mapped_column(default=0)

    project_plan: Mapped[ProjectPlan] = relationship(back_populates="indicators")

    @property
    def achievement(self) -> float | None:
        """Achievement in percent (達成率), or None when it cannot be computed."""
        if self.actual_value is None or not self.target_value:
            return None
        return round(self.actual_value / self.target_value * 100, 1)

    def __str__(self) -> str:
        return self.name
