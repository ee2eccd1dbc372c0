"""The public disclosure of a city's collaboration projects (協働の見える化).

Projects past the detailed design (agreed onwards), their partners, amounts,
plan, indicators, report and the three evaluations; form answers only from
fields not marked ``internal``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ..formschema.definition import public_schema
from ..formschema.forms import display_answers
from ..models.agreement import Agreement
from ..models.project import Project, ProjectPlan
from ..models.report import CompletionReport
from ..sessions import Session
from .evaluations import YearResult, project_results

DISCLOSED_STATES = ("agreed", "running", "completed", "reported", "evaluated", "closed")


@dataclass
class DisclosedProject:
    project: Project
    agreement: Agreement | None
    plan: ProjectPlan | None
    plan_answers: list[tuple[str, str, Any]] = field(default_factory=list)
    results: list[YearResult] = field(default_factory=list)
    report_answers: dict[int, list[tuple[str, str, Any]]] = field(default_factory=dict)


def public_answers(record: Any) -> list[tuple[str, str, Any]]:
    definition = getattr(record, "form_definition", None)
    if definition is None:
        return []
    return display_answers(public_schema(definition.schema), record.answers or {})


def disclosed_projects(session: Session, fiscal_year: int | None = None) -> list[DisclosedProject]:
    """The city's disclosed projects (the session is scoped to the city), newest first."""
    stmt = select(Project).where(Project.status.in_(DISCLOSED_STATES))
    if fiscal_year is not None:
        stmt = stmt.where(Project.fiscal_year == fiscal_year)
    shown = []
    for project in session.execute(stmt.order_by(Project.fiscal_year.desc(), Project.id.desc())).scalars():
        agreement = session.execute(select(Agreement).where(
            Agreement.project_id == project.id, Agreement.status == "signed")
            .order_by(Agreement.id.desc()).limit(1)).scalar_one_or_none()
        plan = session.execute(select(ProjectPlan).where(ProjectPlan.project_id == project.id)
                               .order_by(ProjectPlan.fiscal_year.desc()).limit(1)).scalar_one_or_none()
        item = DisclosedProject(project, agreement, plan, public_answers(plan) if plan else [],
                                project_results(session, project))
        for result in item.results:
            if isinstance(result.report, CompletionReport):
                item.report_answers[result.report.id] = public_answers(result.report)
        shown.append(item)
    return shown
