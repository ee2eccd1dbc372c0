"""The data a Word template sees: one function per document kind, built from the record.

Contexts hold plain values only (str, int, float, date, lists and dicts), so they
can be sent to a render worker and listed as a placeholder reference. Dates
stay dates and amounts stay integers: templates format them with the filters
``wareki``, ``nendo`` and ``yen``. Answers of the record's configured form are
under ``answers`` (formatted for Word by their field type); every field of the
definition is present, unanswered ones as "" (tables as []).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import object_session

from .. import clock
from ..errors import ValidationFailed
from ..formschema.definition import fields_of
from ..formschema.types import REGISTRY
from ..models import (
    Agreement,
    City,
    CompletionReport,
    Department,
    Evaluation,
    Organization,
    ProjectPlan,
    Proposal,
    Review,
)
from ..models.council import REVIEW_RESULTS, REVIEW_STEPS
from ..models.organization import ORGANIZATION_TYPES
from ..models.project import YEAR_DECISIONS, Project, ProjectYear
from ..models.proposal import PROPOSAL_STATES, PROPOSER_TYPES
from ..models.report import EVALUATION_RATINGS, EVALUATION_SIDES
from ..workflow.deadlines import settings_for
from .wareki import number

Context = dict[str, Any]


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def city_context(city: City | None) -> Context:
    settings = settings_for(city)
    return {"name": _s(getattr(city, "name", "")), "head_title": _s(getattr(city, "head_title", "")),
            "head_name": settings["head_name"], "document_number": settings["document_number"],
            "coordinating_section": _s(getattr(city, "coordinating_section", ""))}


def organization_context(org: Organization | None) -> Context:
    return {
        "name": _s(getattr(org, "name", "")), "representative": _s(getattr(org, "representative", "")),
        "postal_code": _s(getattr(org, "postal_code", "")), "address": _s(getattr(org, "address", "")),
        "phone": _s(getattr(org, "phone", "")), "email": _s(getattr(org, "email", "")),
        "corporate_number": _s(getattr(org, "corporate_number", "")),
        "type": ORGANIZATION_TYPES.get(getattr(org, "org_type", "") or "", ""),
    }


def proposer_context(proposal: Proposal) -> Context:
    """The proposing organization: the registered one, or (before staff have matched it)
    what the proposer entered at the entrance."""
    if proposal.organization is not None or not proposal.submitted_by:
        return organization_context(proposal.organization)
    entered = proposal.submitted_by
    return {
        "name": _s(entered.get("organization_name")), "representative": _s(entered.get("representative")),
        "postal_code": _s(entered.get("postal_code")), "address": _s(entered.get("address")),
        "phone": _s(entered.get("phone")), "email": _s(entered.get("email")),
        "corporate_number": "", "type": ORGANIZATION_TYPES.get(entered.get("org_type") or "", ""),
    }


def department_context(department: Department | None) -> Context:
    return {"name": _s(getattr(department, "name", "")), "phone": _s(getattr(department, "phone", ""))}


def answers_context(record: Any) -> Context:
    """The record's answers, and every item of its kind's current form that the record's
    (older) form version did not have, blank: a template that prints a new item still
    issues the records filled before it was added."""
    definition = getattr(record, "form_definition", None)
    answers = answers_for(definition, getattr(record, "answers", None) or {})
    session = object_session(record) if definition is not None else None
    if session is not None and definition is not None:
        from ..services.form_definitions import current_definition

        newest = current_definition(session, definition.city_id, definition.kind)
        if newest is not None and newest.id != definition.id:
            for field in fields_of(newest.schema):
                answers.setdefault(field["name"], REGISTRY[field["type"]].word_value(None, field))
    return answers


def answers_for(definition: Any, answers: dict[str, Any]) -> Context:
    """Answers formatted for Word: every field of the definition, unanswered ones "" or []."""
    if definition is None:
        return dict(answers)
    result: Context = {}
    for field in fields_of(definition.schema):
        result[field["name"]] = REGISTRY[field["type"]].word_value(answers.get(field["name"]), field)
    return result


def form_context(record: Any) -> Context:
    return form_info(getattr(record, "form_definition", None))


def form_info(definition: Any) -> Context:
    return {"title": _s(getattr(definition, "title", "")),
            "number": _s(getattr(definition, "form_number", "")),
            "revision": getattr(definition, "revision", None)}


def project_context(project: Project | None) -> Context:
    return {
        "title": _s(getattr(project, "title", "")),
        "start_date": getattr(project, "start_date", None),
        "end_date": getattr(project, "end_date", None),
        "completed_on": getattr(project, "completed_on", None),
        "fiscal_year": getattr(project, "fiscal_year", None),
        "budget_amount": getattr(project, "budget_amount", None),
        "summary": _s(getattr(project, "summary", "")),
        "collaboration_type": _s(getattr(getattr(project, "collaboration_type", None), "name", "")),
    }


def year_context(project: Project | None, fiscal_year: int | None) -> Context:
    """Which of the project's years a record is of: {{ year.label }} prints 第2年度,
    {{ year.fiscal_year|nendo }} 令和8年度, {{ year.count }} the years it has run so far,
    {{ year.several }} whether the project runs over several years."""
    years = list(getattr(project, "years", None) or [])
    number = project.year_number_of(fiscal_year) if project is not None else None
    end = getattr(project, "end_date", None)
    return {"number": number, "label": f"第{number}年度" if number else "",
            "fiscal_year": fiscal_year, "count": len(years),
            "first_fiscal_year": years[0].fiscal_year if years else None,
            # a project over several years: more than one so far, or planned past this one
            "several": number is not None and (len(years) > 1 or (
                end is not None and fiscal_year is not None
                and end > dt.date(fiscal_year + 1, 3, 31)))}


def indicators_context(plan: ProjectPlan | None) -> list[Context]:
    rows = []
    for indicator in getattr(plan, "indicators", None) or []:
        rows.append({"name": indicator.name, "unit": indicator.unit,
                     "target": number(indicator.target_value),
                     "actual": number(indicator.actual_value),
                     "achievement": "" if indicator.achievement is None else f"{indicator.achievement:g}%"})
    return rows


def _common(record: Any, project: Project | None = None) -> Context:
    city = getattr(record, "city", None)
    return {"city": city_context(city), "today": clock.today(), "form": form_context(record),
            "answers": answers_context(record), "project": project_context(project)}


def _partner(project: Project) -> Context:
    """The organization of a project's documents; left out when the project has none, so a
    template naming it stops with a clear message instead of printing a blank partner."""
    if project.organization is None:
        return {}
    return {"organization": organization_context(project.organization)}


def basic_sheet(proposal: Proposal) -> Context:
    return {
        **_common(proposal),
        "organization": proposer_context(proposal),
        "department": department_context(proposal.department),
        "proposal": {
            "receipt_number": _s(proposal.receipt_number), "title": _s(proposal.title),
            "proposer_type": PROPOSER_TYPES.get(proposal.proposer_type, ""),
            "status": PROPOSAL_STATES.get(proposal.status, ""),
            "received_on": proposal.received_on, "fiscal_year": proposal.fiscal_year,
            "needs_budget": bool(proposal.needs_budget), "budget_amount": proposal.budget_amount,
            "summary": _s(proposal.summary),
            "collaboration_type": _s(getattr(proposal.collaboration_type, "name", "")),
        },
    }


def review_result_notice(review: Review) -> Context:
    proposal = review.proposal
    if proposal is None:  # a continuation review: its notice is the year's
        raise ValidationFailed("継続審査の結果は、事業年度の画面の「継続審査結果通知書」で通知します。")
    return {
        **_common(review),
        "organization": proposer_context(proposal),
        "department": department_context(proposal.department),
        "proposal": {"receipt_number": _s(proposal.receipt_number), "title": _s(proposal.title),
                     "received_on": proposal.received_on},
        "review": {"step": REVIEW_STEPS.get(review.step, ""),
                   "result": REVIEW_RESULTS.get(review.result, ""),
                   "passed": review.result in ("passed", "adopted"),
                   "reasons": _s(review.reasons), "advice": _s(review.advice),
                   "decided_on": review.decided_on,
                   "meeting": _s(getattr(review.meeting, "title", ""))},
    }


def project_plan(plan: ProjectPlan) -> Context:
    project = plan.project
    return {
        **_common(plan, project),
        **_partner(project),
        "department": department_context(project.department),
        "year": year_context(project, plan.fiscal_year),
        "plan": {"fiscal_year": plan.fiscal_year, "purpose": _s(plan.purpose),
                 "target": _s(plan.target), "content": _s(plan.content),
                 "schedule": _s(plan.schedule)},
        "indicators": indicators_context(plan),
    }


def agreement(agreement: Agreement) -> Context:
    project = agreement.project
    roles = [{"item": r.item, "city_role": _s(r.city_role),
              "organization_role": _s(r.organization_role)} for r in agreement.role_shares]
    costs: list[Context] = [{"item": c.item, "city_amount": c.city_amount or 0,
                             "organization_amount": c.organization_amount or 0,
                             "note": _s(c.note),
                             "total": (c.city_amount or 0) + (c.organization_amount or 0)}
                            for c in agreement.cost_shares]
    city_total = agreement.city_cost_total
    org_total = agreement.organization_cost_total
    return {
        **_common(agreement, project),
        **_partner(project),
        "department": department_context(project.department),
        "year": year_context(project, agreement.fiscal_year),
        "agreement": {"title": _s(agreement.title), "start_date": agreement.start_date,
                      "end_date": agreement.end_date, "signed_on": agreement.signed_on,
                      "city_signatory": _s(agreement.city_signatory),
                      "organization_signatory": _s(agreement.organization_signatory),
                      "responsibility": _s(agreement.responsibility),
                      "amendment": agreement.previous_id is not None},
        "role_shares": roles,
        "cost_shares": costs,
        "totals": {"city": city_total, "organization": org_total, "all": city_total + org_total},
    }


def _plan_of(project: Project, fiscal_year: int | None) -> ProjectPlan | None:
    from sqlalchemy import inspect, select

    session = inspect(project).session
    if session is None:
        return None
    stmt = select(ProjectPlan).where(ProjectPlan.project_id == project.id)
    if fiscal_year is not None:
        stmt = stmt.where(ProjectPlan.fiscal_year == fiscal_year)
    return session.execute(stmt.limit(1)).scalar_one_or_none()


def _agreement_total(project: Project, fiscal_year: int | None) -> int | None:
    """The cost of the year's signed agreement (else of the latest signed one, as before
    years)."""
    from sqlalchemy import inspect, select

    session = inspect(project).session
    if session is None:
        return None
    signed = session.execute(select(Agreement).where(
        Agreement.project_id == project.id, Agreement.status == "signed")
        .order_by((Agreement.fiscal_year == fiscal_year).desc().nulls_last(), Agreement.id.desc())
        .limit(1)).scalar_one_or_none()
    if signed is None:
        return None
    return signed.city_cost_total + signed.organization_cost_total


def completion_report(report: CompletionReport) -> Context:
    project = report.project
    planned = _agreement_total(project, report.fiscal_year)
    return {
        **_common(report, project),
        **_partner(project),
        "department": department_context(project.department),
        "year": year_context(project, report.fiscal_year),
        "report": {"fiscal_year": report.fiscal_year, "due_on": report.due_on,
                   "submitted_on": report.submitted_on, "summary": _s(report.summary),
                   "actual_cost": report.actual_cost},
        "costs": {"planned": planned, "actual": report.actual_cost,
                  "difference": None if planned is None or report.actual_cost is None
                  else report.actual_cost - planned},
        "indicators": indicators_context(_plan_of(project, report.fiscal_year)),
    }


def evaluation(evaluation: Evaluation) -> Context:
    project = evaluation.project
    fiscal_year = getattr(evaluation.completion_report, "fiscal_year", None)
    return {
        **_common(evaluation, project),
        **_partner(project),
        "department": department_context(project.department),
        "year": year_context(project, fiscal_year),
        "evaluation": {"side": EVALUATION_SIDES.get(evaluation.side, ""),
                       "evaluator": _s(evaluation.evaluator),
                       "evaluated_on": evaluation.evaluated_on,
                       "rating": EVALUATION_RATINGS.get(evaluation.rating, _s(evaluation.rating)),
                       "comment": _s(evaluation.comment)},
        "indicators": indicators_context(_plan_of(project, fiscal_year)),
    }


def continuation_notice(year: ProjectYear) -> Context:
    """The continuation review's decision on a project's year, to the organization: what was
    decided, why, on which conditions, and the year it opens (or that the project ends)."""
    project = year.project
    if not year.decision:
        raise ValidationFailed(f"{year}の継続審査の結果が記録されていません。協働事業の画面の"
                               "「継続審査の結果」で記録してから作成してください。")
    review = _continuation_review(year)
    continued = year.decision != "end"
    return {
        **_common(year, project),
        **_partner(project),
        "department": department_context(project.department),
        "year": year_context(project, year.fiscal_year),
        "decision": {"result": YEAR_DECISIONS.get(year.decision, ""), "continued": continued,
                     "decided_on": year.decided_on, "reasons": _s(year.decision_reasons),
                     "conditions": _s(year.decision_conditions),
                     "meeting": _s(getattr(getattr(review, "meeting", None), "title", "")),
                     "next_number": year.year_number + 1 if continued else None,
                     "next_fiscal_year": year.fiscal_year + 1 if continued else None},
    }


def _continuation_review(year: ProjectYear) -> Review | None:
    """The council's continuation review of the year (the latest), if it was reviewed at a
    meeting."""
    from sqlalchemy import inspect, select

    session = inspect(year).session
    if session is None or year.id is None:
        return None
    return session.execute(select(Review).where(Review.project_year_id == year.id)
                           .order_by(Review.id.desc()).limit(1)).scalar_one_or_none()


#: Document kind -> (record model, context builder).
BUILDERS: dict[str, tuple[type, Callable[[Any], Context]]] = {
    "basic_sheet": (Proposal, basic_sheet),
    "review_result_notice": (Review, review_result_notice),
    "project_plan": (ProjectPlan, project_plan),
    "agreement": (Agreement, agreement),
    "completion_report": (CompletionReport, completion_report),
    "evaluation": (Evaluation, evaluation),
    "continuation_notice": (ProjectYear, continuation_notice),
}


def printable(kind: str) -> list[Any]:
    """What a record of the kind must be to be printed, as conditions of a query (a year's
    notice needs the year's decision; a proposal's notice is of a proposal's review): the
    previews, trial renders and ``kyodo docs generate --all`` take those records only."""
    if kind == "continuation_notice":
        return [ProjectYear.decision != ""]
    if kind == "review_result_notice":
        return [Review.proposal_id.is_not(None)]
    return []


def build_context(kind: str, record: Any) -> Context:
    return BUILDERS[kind][1](record)


def placeholders(context: Context, prefix: str = "") -> list[tuple[str, Any]]:
    """Every placeholder of a context with its example value, for the reference page (a
    table's rows as one 「…行の繰り返し」 entry, then its columns as ``row.``)."""
    rows: list[tuple[str, Any]] = []
    for key, value in context.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(placeholders(value, path + "."))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            rows.append((f"{{%tr for row in {path} %}}", f"{len(value)}行の繰り返し"))
            rows.extend(placeholders(value[0], "row."))
        else:
            rows.append((path, value))
    return rows
