"""The project page as the hub of a project: every record of the cycle that belongs to it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, exists, or_, select

from ..models.agreement import Agreement
from ..models.document import GeneratedDocument
from ..models.project import YEAR_CONTINUED, Project, ProjectPlan, ProjectYear
from ..models.report import CompletionReport, Evaluation
from ..sessions import Session
from .evaluations import YearResult, year_results


@dataclass
class ProjectHub:
    project: Project
    plans: list[ProjectPlan] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)
    reports: list[CompletionReport] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    results: list[YearResult] = field(default_factory=list)
    documents: list[GeneratedDocument] = field(default_factory=list)


def runs_in(fiscal_year: int) -> Any:
    """Projects with a year in that fiscal year (a project over three years is in three)."""
    return Project.id.in_(select(ProjectYear.project_id).where(
        ProjectYear.fiscal_year == fiscal_year))


def goes_on_after(fiscal_year: int) -> Any:
    """Projects with a later year than that fiscal year (it was continued)."""
    return exists().where(ProjectYear.project_id == Project.id,
                          ProjectYear.fiscal_year > fiscal_year)


def state_in(fiscal_year: int) -> Any:
    """A project's state in that fiscal year, in SQL: 継続 for a year it went on from."""
    return case((goes_on_after(fiscal_year), YEAR_CONTINUED), else_=Project.status)


def rows_by_project(session: Session, model: Any, ids: list[int], *where: Any, order: Any,
                    options: tuple[Any, ...] = ()) -> dict[int, list[Any]]:
    """The rows of ``model`` belonging to these projects, by project id: one statement for
    any number of projects (the project page, the disclosure, the ledger)."""
    found: dict[int, list[Any]] = defaultdict(list)
    if ids:
        for row in session.execute(select(model).where(model.project_id.in_(ids), *where)
                                   .order_by(order).options(*options)).scalars():
            found[row.project_id].append(row)
    return found


def project_hub(session: Session, project: Project) -> ProjectHub:
    """The project's plans, agreements (newest first), reports, evaluations side by side and
    the documents issued from any of them, newest first."""
    def of_project(model: Any, order: Any) -> list[Any]:
        return rows_by_project(session, model, [project.id], order=order)[project.id]

    hub = ProjectHub(
        project,
        plans=of_project(ProjectPlan, ProjectPlan.fiscal_year),
        agreements=of_project(Agreement, Agreement.id.desc()),
        reports=of_project(CompletionReport, CompletionReport.fiscal_year),
        evaluations=of_project(Evaluation, Evaluation.id),
    )
    hub.results = year_results(session, project, hub.reports[::-1], hub.evaluations)
    records = [("project", [project.id]), ("project_plan", [p.id for p in hub.plans]),
               ("agreement", [a.id for a in hub.agreements]),
               ("completion_report", [r.id for r in hub.reports]),
               ("evaluation", [e.id for e in hub.evaluations])]
    conditions = [(GeneratedDocument.record_type == kind) & GeneratedDocument.record_id.in_(ids)
                  for kind, ids in records if ids]
    hub.documents = list(session.execute(
        select(GeneratedDocument).where(or_(*conditions))
        .order_by(GeneratedDocument.id.desc()).limit(50)).scalars())
    return hub
