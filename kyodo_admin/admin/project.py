"""Collaboration types, projects, plans and indicators."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, session
from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import inspect

from .. import clock, permissions
from ..errors import ValidationFailed
from ..models.project import PROJECT_STATES, YEAR_DECISIONS, Indicator, Project
from ..models.report import EVALUATION_SIDES, Evaluation
from ..services.evaluations import SIDES
from ..services.programme import (
    MAX_YEARS_LIMIT,
    city_share_text,
    parse_ratios,
    project_rule,
    record_decision,
    year_agreement,
    year_problem,
    year_states,
)
from ..services.projects import project_hub, runs_in
from ..services.reports import follow_completion_date
from ..templating import render_template
from .base import KyodoModelView, ReadOnlyView
from .fields import posted_date
from .mixins import ConfiguredFormMixin, DocumentsMixin, WorkflowMixin
from .responses import FAILED, commit_or_flash


class CollaborationTypeView(KyodoModelView):
    column_list = ("city", "name", "requires_agreement", "max_years", "yearly_cap",
                   "share_ratios", "sort_order", "active")
    column_searchable_list = ("name",)
    column_default_sort = "sort_order"
    form_columns = ("city", "name", "description", "requires_agreement", "max_years",
                    "yearly_cap", "share_ratios", "sort_order", "active")
    # Help under the fields (not column_descriptions: the list would show each as an icon
    # link without a name once its tooltip takes the title).
    form_args = {
        "max_years": {"description": "この形態の事業を実施できる年度数。空欄は自治体の設定に従います。"},
        "yearly_cap": {"description": "1年度あたりの市の負担額の上限（円）。空欄は自治体の設定に"
                                      "従います。"},
        "share_ratios": {"description": "事業費に対する市の負担割合の上限（年度ごとの％、例: "
                                        "80,70,60。100 は上限なし）。空欄は自治体の設定に従います。"},
    }
    unique_in_city = ("name",)

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        parse_ratios(model.share_ratios)  # refused with the rule when it cannot be read
        if model.max_years is not None and not 1 <= model.max_years <= MAX_YEARS_LIMIT:
            raise ValidationFailed(gettext("実施できる年度数は1から%(MAX_YEARS_LIMIT)sまでにしてください。", MAX_YEARS_LIMIT=MAX_YEARS_LIMIT),
                                   field="max_years")
        if model.yearly_cap is not None and model.yearly_cap < 0:
            raise ValidationFailed(gettext("負担額の上限は0円以上にしてください。"), field="yearly_cap")


DECISION_FIELDS = ("decision", "decided_on", "decision_reasons", "decision_conditions")


class RunsInYearFilter(BaseSQLAFilter):
    """「実施年度」: the projects with a year in that fiscal year (a project over three years is
    in each of them), as the home screen and the ledger count them."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query.filter(runs_in(int(value)))

    def operation(self) -> Any:
        return lazy_gettext("等しい")

    def validate(self, value: Any) -> bool:
        return str(value).isdigit() and 1989 <= int(value) <= 2100

    def clean(self, value: Any) -> Any:
        return int(value)


class ProjectView(WorkflowMixin, KyodoModelView):
    column_list = ("city", "title", "organization", "department", "collaboration_type", "status",
                   "fiscal_year", "start_date", "end_date", "budget_amount")
    column_details_list = ("city", "title", "status", "proposal", "organization", "department",
                           "collaboration_type", "start_date", "end_date", "completed_on",
                           "fiscal_year", "budget_amount", "summary", "created_at", "updated_at")
    # Every field the import takes, under the same headings: an export imports back as it is.
    column_export_list = ("city", "title", "organization", "department", "collaboration_type",
                          "status", "fiscal_year", "start_date", "end_date", "budget_amount",
                          "summary")
    column_searchable_list = ("title", "summary")
    column_filters = ("status", "fiscal_year", RunsInYearFilter(Project.fiscal_year, "実施年度"),
                      "start_date", "end_date", "organization.name", "department.name",
                      "collaboration_type.name")
    column_sortable_list = ("title", "status", "fiscal_year", "start_date", "end_date",
                            "budget_amount")
    column_default_sort = ("id", True)
    form_columns = ("city", "title", "proposal", "organization", "department",
                    "collaboration_type", "start_date", "end_date", "completed_on",
                    "budget_amount", "summary")
    choices = {"status": PROJECT_STATES}
    column_formatters = {"budget_amount": KyodoModelView.yen}
    date_ranges = (("start_date", "end_date"), ("start_date", "completed_on"))

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if not is_created and inspect(model).attrs.completed_on.history.has_changes():
            follow_completion_date(self.session, model)

    @expose("/year_decision/<int:id>", methods=("POST",))
    def year_decision(self, id: int) -> Any:
        """The continuation review's decision on the year the project is in (継続審査の
        結果); refused with the rule named, the typed reasons kept on the page."""
        posted = {name: request.form.get(name, "")[:4000] for name in DECISION_FIELDS}
        record, details, stale = self._posted_record(id, permissions.can_fire)
        message = stale or commit_or_flash(self.session, lambda: record_decision(
            record, posted["decision"], posted_date(posted["decided_on"]),
            posted["decision_reasons"], posted["decision_conditions"]))
        if stale is not None or message is FAILED:
            session["kyodo_year_decision"] = {"id": id, **posted}  # shown again as typed
        else:
            flash(message, "success")
        return redirect(details)

    def details_extra(self, record: Any) -> Any:
        hub = project_hub(self.session, record)
        may = {name: permissions.can_create(current_user, name)
               for name in ("project_plan", "agreement")}
        registered = hub.results[0].evaluations if hub.results else {}
        new_sides = {side: label for side, label in EVALUATION_SIDES.items()
                     if side not in registered and permissions.can_create(
                         current_user, Evaluation(side=side, city_id=record.city_id))}
        typed = session.pop("kyodo_year_decision", None)
        decision = None
        if record.status == "evaluated" and permissions.can_fire(current_user, record):
            year = record.current_year  # its decision so far, to be changed if need be
            decision = {"decided_on": (year.decided_on or clock.today()).isoformat(),
                        "decision": year.decision, "decision_reasons": year.decision_reasons,
                        "decision_conditions": year.decision_conditions,
                        **(typed if typed and typed.get("id") == record.id else {})}
        return Markup(render_template("kyodo/admin/project_hub.html", hub=hub, may=may,
                                      sides=SIDES, results=hub.results, new_sides=new_sides,
                                      heading=gettext("評価（担当課・団体・会議の評価検証）"),
                                      year_states=year_states(record), decision=decision,
                                      decisions=YEAR_DECISIONS, rule=project_rule(record)))


class ProjectPlanView(ConfiguredFormMixin, DocumentsMixin, KyodoModelView):
    document_kinds = ("project_plan",)
    column_list = ("city", "project", "fiscal_year", "purpose", "target")
    column_searchable_list = ("purpose", "target", "content")
    column_filters = ("fiscal_year", "project.title")
    # The city's form asks 目的・目標・年度・事業内容 and fills these columns (``fills``),
    # so each is asked once; without a form they are typed here.
    form_columns = ("project", "fiscal_year", "purpose", "target", "content", "indicators")
    managed_columns = ("status",)  # a plan's fiscal year is entered, not derived
    prefill_from_args = ("project",)
    inline_models = [(Indicator, {"form_columns": ("id", "name", "unit", "target_value",
                                                   "actual_value", "sort_order")})]

    def details_extra(self, record: Any) -> Any:
        """The city's share of the year's cost as its agreement has it, beside the
        programme's rule for the year."""
        agreement = year_agreement(self.session, record.project, record.fiscal_year)
        share = city_share_text(agreement) if agreement is not None else ""
        return Markup(render_template("kyodo/admin/plan_share.html", agreement=agreement,
                                      share=share, rule=project_rule(record.project)))

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """A plan is for one of its project's years (a next year opens by the council's
        decision to continue)."""
        year = model.project.current_year if model.project is not None else None
        if model.fiscal_year is None and year is not None:  # the year the project is in
            model.fiscal_year = year.fiscal_year
        problem = year_problem(model.project, model.fiscal_year, "事業計画書")
        if problem:
            raise ValidationFailed(problem, field="fiscal_year")


class ProjectYearView(DocumentsMixin, ReadOnlyView):
    """A project's years (事業年度): each year's state and continuation review's decision, and
    its notice to the organization (継続審査結果通知書). A year opens by the decision to
    continue and is decided on the project's page or by the council's review, not here."""

    document_kinds = ("continuation_notice",)
    column_list = ("city", "project", "year_number", "fiscal_year", "completed_on", "decision",
                   "decided_on")
    column_details_list = ("city", "project", "year_number", "fiscal_year", "completed_on",
                           "decision", "decided_on", "decision_reasons", "decision_conditions")
    column_filters = ("fiscal_year", "decision", "project.title")
    column_sortable_list = ("year_number", "fiscal_year", "decided_on")
    column_default_sort = ("id", True)
    choices = {"decision": YEAR_DECISIONS}
    column_formatters = {"year_number": lambda v, c, m, n: gettext("第%(n)s年度", n=m.year_number)}
    column_formatters_detail = column_formatters


class IndicatorView(KyodoModelView):
    column_list = ("city", "project_plan", "name", "unit", "target_value", "actual_value",
                   "achievement")
    column_searchable_list = ("name",)
    form_columns = ("project_plan", "name", "unit", "target_value", "actual_value", "sort_order")
