"""The public disclosure of a city's collaboration projects (協働の見える化).

Projects past the detailed design (agreed onwards), their partners, amounts, plan,
indicators, and, once final, the signed agreement, the accepted report and the three
evaluations (``workflow/publicity.py`` decides, per kind and state); form answers only from
fields not marked ``internal``. One fiscal year at a time (the latest with projects by default), a page of
projects at a time, read with a fixed number of statements whatever the city's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext
from sqlalchemy import exists, false, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from ..formschema.definition import public_schema
from ..formschema.forms import display_answers
from ..models.agreement import Agreement
from ..models.project import YEAR_STATES, Project, ProjectPlan, ProjectYear
from ..models.report import CompletionReport, Evaluation
from ..sessions import Session
from ..workflow.publicity import is_public, public_states
from .evaluations import YearResult, year_results
from .projects import rows_by_project, runs_in, state_in

DISCLOSED_STATES = tuple(sorted(public_states("project")))
#: Projects on one page of the disclosure.
PAGE_SIZE = 20


@dataclass
class DisclosedProject:
    project: Project
    agreement: Agreement | None
    plan: ProjectPlan | None
    plan_answers: list[tuple[str, str, Any]] = field(default_factory=list)
    results: list[YearResult] = field(default_factory=list)
    report_answers: dict[int, list[tuple[str, str, Any]]] = field(default_factory=dict)
    #: The shown year's state in words, and which of the project's years it is (a project
    #: over several years: 「第2年度（全2年度）」).
    state_label: str = ""
    year_label: str = ""
    #: A project over several years: the city's and the organization's share over its
    #: years' agreements so far, and how many years they are.
    whole: tuple[int, int, int] | None = None


@dataclass
class Disclosure:
    """One page of one fiscal year, and the years and pages to go to."""

    fiscal_year: int | None
    years: list[int]
    items: list[DisclosedProject]
    page: int
    pages: int
    total: int


def public_answers(record: Any) -> list[tuple[str, str, Any]]:
    definition = getattr(record, "form_definition", None)
    if definition is None:
        return []
    return display_answers(public_schema(definition.schema), record.answers or {})


def disclosed_years(session: Session) -> list[int]:
    """The fiscal years with disclosed projects (each year a project runs in, disclosed in
    that year's state), newest first."""
    later = aliased(ProjectYear)
    went_on = exists().where(later.project_id == ProjectYear.project_id,
                             later.fiscal_year > ProjectYear.fiscal_year)
    return list(session.scalars(
        select(ProjectYear.fiscal_year).join(Project, Project.id == ProjectYear.project_id)
        .where(or_(Project.status.in_(DISCLOSED_STATES), went_on))
        .distinct().order_by(ProjectYear.fiscal_year.desc())))


def disclosure(session: Session, fiscal_year: int | None = None, page: int = 1) -> Disclosure:
    """A page of the city's disclosed projects of a fiscal year (default: the latest), newest
    first. The session is scoped to the city."""
    years = disclosed_years(session)
    year = fiscal_year if fiscal_year is not None else (years[0] if years else None)
    where = [runs_in(year), state_in(year).in_(DISCLOSED_STATES)] if year is not None \
        else [false()]
    total = session.execute(select(func.count()).select_from(Project).where(*where)).scalar_one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    projects = list(session.execute(
        select(Project).where(*where).order_by(Project.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
        .options(selectinload(Project.organization), selectinload(Project.collaboration_type),
                 selectinload(Project.department), selectinload(Project.years))).scalars())
    return Disclosure(year, years, _disclosed(session, projects, year), page, pages, total)


def _disclosed(session: Session, projects: list[Project],
               year: int | None = None) -> list[DisclosedProject]:
    """Everything shown of these projects, a statement per kind of record (not per project)."""
    ids = [p.id for p in projects]
    agreements = rows_by_project(session, Agreement, ids,
                             Agreement.status.in_(public_states("agreement")),
                             order=Agreement.id.desc(),
                             options=(selectinload(Agreement.cost_shares),))
    plans = rows_by_project(session, ProjectPlan, ids, order=ProjectPlan.fiscal_year,
                        options=(selectinload(ProjectPlan.indicators),
                                 selectinload(ProjectPlan.form_definition)))
    reports = rows_by_project(session, CompletionReport, ids,
                          order=CompletionReport.fiscal_year.desc(),
                          options=(selectinload(CompletionReport.form_definition),))
    evaluations = rows_by_project(session, Evaluation, ids, order=Evaluation.id)
    shown = []
    for project in projects:
        own_plans = plans[project.id]
        # The shown year's plan and agreement (the newest of its year: an amendment's).
        plan = next((p for p in own_plans if p.fiscal_year == year),
                    own_plans[-1] if own_plans else None)
        by_year: dict[int | None, Agreement] = {}
        for agreement in agreements[project.id]:  # newest first
            by_year.setdefault(agreement.fiscal_year, agreement)
        item = DisclosedProject(project, by_year.get(year, next(iter(agreements[project.id]),
                                                                 None)),
                                plan, public_answers(plan) if plan else [])
        if len(project.years) > 1 and by_year:  # the whole project's cost, year by year
            item.whole = (sum(a.city_cost_total for a in by_year.values()),
                          sum(a.organization_cost_total for a in by_year.values()), len(by_year))
        # Each year's report and evaluations by the state of their year: a year the project
        # went on from is shown whole while the next is planned.
        shown_reports = [r for r in reports[project.id] if is_public(
            "completion_report", project.year_state(r.fiscal_year))]
        report_years = {r.id: r.fiscal_year for r in reports[project.id]}
        shown_evaluations = [e for e in evaluations[project.id] if is_public(
            "evaluation", project.year_state(report_years.get(e.completion_report_id)))]
        item.results = year_results(session, project, shown_reports, shown_evaluations,
                                    plans=own_plans)
        for report in shown_reports:
            item.report_answers[report.id] = public_answers(report)
        item.state_label = YEAR_STATES.get(project.year_state(year), project.status_label)
        number = project.year_number_of(year)
        if number is not None and len(project.years) > 1:
            item.year_label = gettext("第%(n)s年度（全%(total)s年度）", n=number,
                                      total=len(project.years))
        shown.append(item)
    return shown
