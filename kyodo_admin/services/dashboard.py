"""Figures for the home screen of one city and fiscal year (the session scopes to the city)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, func, not_, or_, select
from sqlalchemy.orm import joinedload

from .. import cache, clock
from ..models.agreement import Agreement
from ..models.base import fiscal_year_of
from ..models.city import City
from ..models.council import Meeting
from ..models.project import YEAR_CONTINUED, YEAR_STATES, CollaborationType, Project
from ..models.proposal import AWAITING_STEP2, PROPOSAL_STATES, Proposal
from ..models.report import CompletionReport
from ..sessions import Session
from ..workflow.deadlines import setting_day, settings_for, step2_deadline
from .projects import goes_on_after, runs_in, state_in

#: How far ahead "due soon" looks.
DUE_SOON_DAYS = 30
#: How many rows a list on the home screen shows; the rest is a count and a link.
SHORTLIST = 10

T = TypeVar("T")


@dataclass
class Shortlist(Generic[T]):
    """The first rows of a list, and how many there are in all."""

    items: list[T] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.items)

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self) -> Any:
        return iter(self.items)


def shortlist_ids(session: Session, stmt: Select[Any]) -> tuple[list[int], int]:
    """The ids of a list's first rows, and how many rows there are in all."""
    total = session.execute(select(func.count()).select_from(
        stmt.order_by(None).subquery())).scalar_one()
    return list(session.execute(stmt.limit(SHORTLIST)).scalars()), int(total)


def shortlist(session: Session, model: Any, ids_total: tuple[list[int], int],
              *options: Any) -> Shortlist[Any]:
    """The rows of ``shortlist_ids``' ids, in their order."""
    ids, total = ids_total
    rows = {row.id: row for row in session.execute(
        select(model).where(model.id.in_(ids)).options(*options)).scalars()} if ids else {}
    return Shortlist([rows[i] for i in ids if i in rows], total)


@dataclass
class TypeFigures:
    collaboration_type: CollaborationType | None
    projects: int
    budget: int


@dataclass
class DashboardSummary:
    fiscal_year: int
    today: dt.date
    proposals_by_state: list[tuple[str, str, int]] = field(default_factory=list)
    projects_by_state: list[tuple[str, str, int]] = field(default_factory=list)
    next_meetings: list[Meeting] = field(default_factory=list)
    meetings_held: int = 0
    meetings_planned: int = 0
    due_soon: Shortlist[CompletionReport] = field(default_factory=Shortlist)
    overdue_reports: Shortlist[CompletionReport] = field(default_factory=Shortlist)
    without_agreement: Shortlist[Project] = field(default_factory=Shortlist)
    by_type: list[TypeFigures] = field(default_factory=list)
    late_budget_proposals: Shortlist[Proposal] = field(default_factory=Shortlist)
    budget_deadline: dt.date | None = None
    step2_deadline: dt.date | None = None
    step2_waiting: int = 0

    @property
    def step2_states(self) -> str:
        """The states step2_waiting counts, as the list filter takes them."""
        return ",".join(AWAITING_STEP2)


@dataclass(frozen=True)
class YearFigures:
    """What the home screen counts over a city's year: plain values, kept in the cache until
    the city's records change (``cache.cached``)."""

    proposals_by_state: dict[str, int]
    projects_by_state: dict[str, int]
    meetings_held: int
    overdue_reports: tuple[list[int], int]
    due_soon: tuple[list[int], int]
    without_agreement: tuple[list[int], int]
    by_type: list[tuple[int | None, int, int]]
    late_budget_proposals: tuple[list[int], int]
    step2_waiting: int


def year_figures(session: Session, year: int, today: dt.date,
                 settings: dict[str, Any]) -> YearFigures:
    proposals = dict(session.execute(select(Proposal.status, func.count()).where(
        Proposal.fiscal_year == year).group_by(Proposal.status)).all())
    state = state_in(year)  # a project over several years counts in each, in that year's state
    projects: dict[str, int] = dict(session.execute(select(state, func.count()).where(
        runs_in(year)).group_by(state)).all())
    meetings_held = session.execute(select(func.count()).select_from(Meeting).where(
        Meeting.fiscal_year == year, Meeting.held_on < today)).scalar_one()

    open_reports = select(CompletionReport.id).where(CompletionReport.submitted_on.is_(None)) \
        .order_by(CompletionReport.due_on, CompletionReport.id)
    overdue = shortlist_ids(session, open_reports.where(CompletionReport.due_on < today))
    due_soon = shortlist_ids(session, open_reports.where(
        CompletionReport.due_on >= today,
        CompletionReport.due_on <= today + dt.timedelta(days=DUE_SOON_DAYS)))

    signed = select(Agreement.project_id).where(Agreement.status == "signed",
                                                Agreement.fiscal_year == year)
    without_agreement = shortlist_ids(session, select(Project.id).outerjoin(
        CollaborationType, Project.collaboration_type_id == CollaborationType.id).where(
        runs_in(year), ~goes_on_after(year),
        Project.status.in_(("planning", "agreed", "running")), Project.id.not_in(signed),
        or_(Project.collaboration_type_id.is_(None), CollaborationType.requires_agreement.is_(True)))
        .order_by(Project.id))

    by_type = [(type_id, int(n), int(total or 0)) for type_id, n, total in session.execute(
        select(Project.collaboration_type_id, func.count(),
               func.coalesce(func.sum(Project.budget_amount), 0))
        .where(runs_in(year)).group_by(Project.collaboration_type_id))]

    budget_deadline = setting_day(settings, "budget_deadline", year)
    late_budget = shortlist_ids(session, select(Proposal.id).where(
        Proposal.fiscal_year == year, Proposal.needs_budget.is_(True),
        Proposal.received_on > budget_deadline).order_by(Proposal.received_on, Proposal.id))

    # Decided in this year's step 2: this year's proposals, less late budget proposals taken
    # for the next year, plus last year's taken for this one.
    def late(fiscal_year: int) -> Any:
        return and_(Proposal.fiscal_year == fiscal_year, Proposal.needs_budget.is_(True),
                    Proposal.received_on > setting_day(settings, "budget_deadline", fiscal_year))

    decided_this_year: Any = Proposal.fiscal_year == year
    if settings["late_budget_proposal"] == "next_year":
        decided_this_year = or_(and_(decided_this_year, not_(late(year))), late(year - 1))
    step2_waiting = session.execute(select(func.count()).select_from(Proposal).where(
        decided_this_year, Proposal.status.in_(AWAITING_STEP2))).scalar_one()
    return YearFigures(proposals, projects, int(meetings_held), overdue, due_soon,
                       without_agreement, by_type, late_budget, int(step2_waiting))


def dashboard_summary(session: Session, user: Any, today: dt.date | None = None,
                      fiscal_year: int | None = None) -> DashboardSummary:
    """The home screen: the year's figures (counted once per change of the city's records)
    and the few rows it shows, read by id — a fixed number of statements whatever the size."""
    today = today or clock.today()
    year = fiscal_year or fiscal_year_of(today)
    summary = DashboardSummary(fiscal_year=year, today=today)
    city_id = getattr(user, "city_id", None)
    city = session.get(City, city_id) if city_id else None
    settings = settings_for(city)
    figures = cache.cached(session, city_id, ("home", year, today),
                           lambda: year_figures(session, year, today, settings))

    summary.proposals_by_state = [(k, label, figures.proposals_by_state.get(k, 0))
                                  for k, label in PROPOSAL_STATES.items()]
    summary.projects_by_state = [(k, label, figures.projects_by_state.get(k, 0))
                                 for k, label in YEAR_STATES.items()
                                 if k != YEAR_CONTINUED or figures.projects_by_state.get(k)]
    summary.next_meetings = list(session.execute(select(Meeting).where(
        Meeting.held_on >= today).order_by(Meeting.held_on).limit(5)).scalars())
    summary.meetings_held = figures.meetings_held
    summary.meetings_planned = int(settings["meetings_per_year"])
    with_project = joinedload(CompletionReport.project)
    summary.overdue_reports = shortlist(session, CompletionReport, figures.overdue_reports,
                                        with_project)
    summary.due_soon = shortlist(session, CompletionReport, figures.due_soon, with_project)
    summary.without_agreement = shortlist(session, Project, figures.without_agreement)
    types = {t.id: t for t in session.execute(select(CollaborationType)).scalars()}
    summary.by_type = sorted((TypeFigures(types.get(type_id) if type_id else None, n, total)
                              for type_id, n, total in figures.by_type),
                             key=lambda f: (f.collaboration_type is None,
                                            getattr(f.collaboration_type, "sort_order", 0)))
    summary.budget_deadline = setting_day(settings, "budget_deadline", year)
    summary.late_budget_proposals = shortlist(session, Proposal, figures.late_budget_proposals)
    summary.step2_deadline = step2_deadline(year, settings)
    summary.step2_waiting = figures.step2_waiting
    return summary
