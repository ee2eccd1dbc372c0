"""Figures for the home screen of one city and fiscal year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models.base import fiscal_year_of
from ..models.project import PROJECT_STATES, Project
from ..models.proposal import PROPOSAL_STATES, Proposal
from ..models.report import CompletionReport


@dataclass
class DashboardSummary:
    fiscal_year: int
    proposals_by_state: list[tuple[str, str, int]] = field(default_factory=list)
    projects_by_state: list[tuple[str, str, int]] = field(default_factory=list)
    overdue_reports: list[CompletionReport] = field(default_factory=list)


def dashboard_summary(session: Session, _user: Any, today: dt.date | None = None) -> DashboardSummary:
    """Counts by state and overdue reports; the session's tenancy scopes it to the city."""
    today = today or dt.date.today()
    year = fiscal_year_of(today) or today.year
    summary = DashboardSummary(fiscal_year=year)
    counts = dict(session.execute(
        select(Proposal.status, func.count()).group_by(Proposal.status)).all())
    summary.proposals_by_state = [(k, label, counts.get(k, 0)) for k, label in PROPOSAL_STATES.items()]
    counts = dict(session.execute(
        select(Project.status, func.count()).group_by(Project.status)).all())
    summary.projects_by_state = [(k, label, counts.get(k, 0)) for k, label in PROJECT_STATES.items()]
    summary.overdue_reports = list(session.execute(
        select(CompletionReport)
        .where(CompletionReport.submitted_on.is_(None), CompletionReport.due_on < today)
        .order_by(CompletionReport.due_on)
    ).scalars())
    return summary
