"""Completion reports: only for completed projects, due on the city's deadline."""

from __future__ import annotations

from typing import Any

from ..errors import ValidationFailed
from ..models.base import fiscal_year_of
from ..workflow.deadlines import report_due, settings_for

#: Project states in which a completion report may exist.
REPORTABLE_STATES = ("completed", "reported", "evaluated", "closed")


def prepare_report(report: Any) -> None:
    """Refuse a report of a project that is not completed; fill the fiscal year and due date."""
    project = report.project
    if project is None:
        return
    if project.status not in REPORTABLE_STATES:
        raise ValidationFailed("事業が完了していないため、事業報告書はまだ登録できません。"
                               "協働事業の画面で「事業完了とする」を行うと、提出期限つきで作成されます。",
                               field="project")
    if project.completed_on is not None:
        report.fiscal_year = report.fiscal_year or fiscal_year_of(project.completed_on)
        report.due_on = report.due_on or report_due(project.completed_on, settings_for(project.city))
