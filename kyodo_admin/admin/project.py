"""Collaboration types, projects, plans and indicators."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import inspect

from .. import permissions
from ..models.project import PROJECT_STATES, Indicator
from ..models.report import EVALUATION_SIDES, Evaluation
from ..services.evaluations import SIDES
from ..services.projects import project_hub
from ..services.reports import follow_completion_date
from ..templating import render_template
from .base import KyodoModelView
from .mixins import ConfiguredFormMixin, DocumentsMixin, WorkflowMixin


class CollaborationTypeView(KyodoModelView):
    column_list = ("city", "name", "requires_agreement", "sort_order", "active")
    column_searchable_list = ("name",)
    column_default_sort = "sort_order"
    form_columns = ("city", "name", "description", "requires_agreement", "sort_order", "active")
    unique_in_city = ("name",)


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
    column_filters = ("status", "fiscal_year", "start_date", "end_date",
                      "organization.name", "department.name", "collaboration_type.name")
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

    def details_extra(self, record: Any) -> Any:
        hub = project_hub(self.session, record)
        may = {name: permissions.can_create(current_user, name)
               for name in ("project_plan", "agreement")}
        registered = hub.results[0].evaluations if hub.results else {}
        new_sides = {side: label for side, label in EVALUATION_SIDES.items()
                     if side not in registered and permissions.can_create(
                         current_user, Evaluation(side=side, city_id=record.city_id))}
        return Markup(render_template("kyodo/admin/project_hub.html", hub=hub, may=may,
                                      sides=SIDES, results=hub.results, new_sides=new_sides,
                                      heading="評価（担当課・団体・会議の評価検証）"))


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


class IndicatorView(KyodoModelView):
    column_list = ("city", "project_plan", "name", "unit", "target_value", "actual_value",
                   "achievement")
    column_searchable_list = ("name",)
    form_columns = ("project_plan", "name", "unit", "target_value", "actual_value", "sort_order")
