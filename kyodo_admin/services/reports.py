"""Completion reports: only for completed projects, due on the city's deadline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from ..errors import ValidationFailed
from ..models.base import fiscal_year_of
from ..models.project import Indicator, ProjectPlan
from ..models.report import CompletionReport
from ..sessions import Session
from ..workflow.deadlines import report_due, settings_for
from .programme import year_problem

#: Project states in which a completion report may exist.
REPORTABLE_STATES = ("completed", "reported", "evaluated", "closed")


def prepare_report(report: Any) -> None:
    """Refuse a report of a project that is not completed, or of a year the project does not
    run in; fill the fiscal year (the year the project is in) and due date."""
    project = report.project
    if project is None:
        return
    if project.status not in REPORTABLE_STATES:
        raise ValidationFailed(gettext("事業が完了していないため、事業報告書はまだ登録できません。"
                               "協働事業の画面で「事業完了とする」を行うと、提出期限つきで作成されます。"),
                               field="project")
    if project.completed_on is not None:
        current = project.current_year
        report.fiscal_year = report.fiscal_year or (
            current.fiscal_year if current else fiscal_year_of(project.completed_on))
        report.due_on = report.due_on or report_due(project.completed_on, settings_for(project.city))
    problem = year_problem(project, report.fiscal_year, "事業報告書")
    if problem:  # a year the project does not run in (one not yet opened has not ended)
        raise ValidationFailed(problem, field="fiscal_year")


def plan_for_report(session: Session, report: Any) -> ProjectPlan | None:
    """The plan whose indicators a report answers: the plan of the report's fiscal year, else
    the latest earlier one (a project over several years), else the project's first plan."""
    plans = session.execute(select(ProjectPlan).where(
        ProjectPlan.project_id == report.project_id).order_by(ProjectPlan.fiscal_year)
    ).scalars().all()
    return choose_plan(plans, report.fiscal_year)


def choose_plan(plans: Sequence[ProjectPlan], year: int | None) -> ProjectPlan | None:
    """``plan_for_report`` over a project's plans already loaded (by fiscal year)."""
    if not plans:
        return None
    earlier = [p for p in plans if year is not None and p.fiscal_year is not None
               and p.fiscal_year <= year]
    return earlier[-1] if earlier else plans[0]


def report_indicators(session: Session, report: Any) -> list[Indicator]:
    plan = plan_for_report(session, report) if report is not None else None
    return list(plan.indicators) if plan is not None else []


def record_actuals(session: Session, report: Any, actuals: dict[int, float | None]) -> None:
    """Set the actual values (実績値) the report gives for its plan's indicators; an indicator
    of another plan or project is refused before anything changes."""
    indicators = {i.id: i for i in report_indicators(session, report)}
    foreign = sorted(set(actuals) - set(indicators))
    if foreign:
        raise ValidationFailed(gettext("この事業報告書の事業計画にない評価項目の実績値は登録できません（評価項目 ID %(v1)s）。画面を開き直してください。", v1=', '.join(map(str, foreign))))
    for indicator_id, value in actuals.items():
        indicators[indicator_id].actual_value = value


def follow_completion_date(session: Session, project: Any) -> CompletionReport | None:
    """After a corrected 事業完了日, the open report's due date follows it (the city's rule)."""
    if project.completed_on is None:
        return None
    report = session.execute(select(CompletionReport).where(
        CompletionReport.project_id == project.id, CompletionReport.submitted_on.is_(None))
        .order_by(CompletionReport.fiscal_year.desc()).limit(1)).scalar_one_or_none()
    if report is not None:
        report.due_on = report_due(project.completed_on, settings_for(project.city))
    return report
