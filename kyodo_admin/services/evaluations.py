"""Evaluations side by side (department, organization, council) and carried forward."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select

from ..models.project import Indicator, Project, ProjectPlan
from ..models.proposal import Proposal
from ..models.report import CompletionReport, Evaluation
from ..sessions import Session
from .reports import choose_plan, report_indicators

SIDES = ("city", "organization", "council")


@dataclass
class YearResult:
    """One fiscal year of a project: its report, the three evaluations, the indicators."""

    project: Project
    fiscal_year: int | None
    report: CompletionReport | None
    evaluations: dict[str, Evaluation] = field(default_factory=dict)
    indicators: list[Indicator] = field(default_factory=list)


def project_results(session: Session, project: Project) -> list[YearResult]:
    """Every reported year of a project, newest first."""
    reports = session.execute(select(CompletionReport).where(
        CompletionReport.project_id == project.id).order_by(CompletionReport.fiscal_year.desc())
    ).scalars().all()
    evaluations = session.execute(select(Evaluation).where(
        Evaluation.project_id == project.id).order_by(Evaluation.id)).scalars().all()
    return year_results(session, project, reports, evaluations)


def year_results(session: Session, project: Project, reports: Sequence[CompletionReport],
                 evaluations: Sequence[Evaluation],
                 plans: Sequence[ProjectPlan] | None = None) -> list[YearResult]:
    """The project's years from its reports (in the order given) and evaluations, already
    loaded: each report with the evaluations of each side and its plan's indicators (from
    ``plans``, by fiscal year, when they are loaded too; else read per report)."""
    results = []
    for report in reports:
        result = YearResult(project, report.fiscal_year, report)
        for evaluation in evaluations:
            if evaluation.completion_report_id in (report.id, None):
                result.evaluations.setdefault(evaluation.side, evaluation)
        if plans is None:
            result.indicators = report_indicators(session, report)
        else:
            chosen = choose_plan(plans, report.fiscal_year)
            result.indicators = list(chosen.indicators) if chosen is not None else []
        results.append(result)
    return results


def earlier_results(session: Session, proposal: Proposal, lineage_ids: list[int]) -> list[YearResult]:
    """Results to read with a proposal: projects from its lineage and earlier projects of the
    same organization (the evaluation feeds the next proposals)."""
    conditions: list[Any] = [Project.proposal_id.in_(lineage_ids)]
    if proposal.organization_id is not None:
        conditions.append(Project.organization_id == proposal.organization_id)
    projects = session.execute(select(Project).where(or_(*conditions))
                               .order_by(Project.id.desc()).limit(5)).scalars().all()
    return [r for p in projects for r in project_results(session, p) if r.evaluations]
