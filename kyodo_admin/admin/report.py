"""Completion reports and evaluations."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup
from wtforms.validators import NumberRange, Optional

from .. import permissions
from ..documents.wareki import number
from ..errors import PermissionDenied
from ..models.report import EVALUATION_RATINGS, EVALUATION_SIDES
from ..models.user import Role
from ..services.reports import prepare_report, record_actuals, report_indicators
from ..templating import render_template
from .base import KyodoModelView
from .fields import DecimalNumberField
from .mixins import ConfiguredFormMixin, DocumentsMixin

#: Form field names of the 実績値 inputs: indicator_actual_<indicator id>.
ACTUAL_PREFIX = "indicator_actual_"


class CompletionReportView(ConfiguredFormMixin, DocumentsMixin, KyodoModelView):
    document_kinds = ("completion_report",)
    column_list = ("city", "project", "fiscal_year", "due_on", "submitted_on", "actual_cost")
    column_searchable_list = ("summary",)
    column_filters = ("fiscal_year", "due_on", "submitted_on", "project.title")
    column_sortable_list = ("fiscal_year", "due_on", "submitted_on", "actual_cost")
    column_default_sort = ("due_on", True)
    form_columns = ("project", "fiscal_year", "due_on", "submitted_on", "summary", "actual_cost")
    column_formatters = {"actual_cost": KyodoModelView.yen}
    managed_columns = ("status",)  # the report's fiscal year is entered
    prefill_from_args = ("project",)

    def form_class_for(self, form_class: Any, obj: Any) -> Any:
        """An 実績値 input for each indicator of the plan the report answers, its target
        beside it, on the report's own screen."""
        indicators = report_indicators(self.session, obj) if obj is not None else []
        if not indicators:
            return form_class
        fields = {f"{ACTUAL_PREFIX}{i.id}": DecimalNumberField(
            f"実績値: {i.name}", default=i.actual_value,
            description=f"目標値 {number(i.target_value)}{i.unit}" if i.target_value is not None
            else "目標値は未設定です",
            validators=[Optional(), NumberRange(min=0, message="0以上の数値を入力してください。")],
            render_kw={"inputmode": "decimal"}) for i in indicators}
        return type("CompletionReportFormWithActuals", (form_class,), fields)

    def collect_extras(self, form: Any, model: Any) -> None:
        """The 実績値 inputs are the indicators', not the report's columns."""
        super().collect_extras(form, model)
        names = [name for name in form._fields if name.startswith(ACTUAL_PREFIX)]
        actuals: dict[int, float | None] = {int(n[len(ACTUAL_PREFIX):]): form[n].data
                                            for n in names}
        for key in request.form:  # an indicator this screen did not offer (another project's)
            if key.startswith(ACTUAL_PREFIX) and key[len(ACTUAL_PREFIX):].isdigit():
                actuals.setdefault(int(key[len(ACTUAL_PREFIX):]), None)
        for name in names:
            del form[name]
        form._kyodo_actuals = actuals

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if is_created:
            prepare_report(model)
        actuals = getattr(form, "_kyodo_actuals", None)
        if actuals:
            record_actuals(self.session, model, actuals)

    def details_extra(self, record: Any) -> Any:
        indicators = report_indicators(self.session, record)
        if not indicators:
            return None
        return Markup(render_template("kyodo/admin/report_indicators.html", r={"indicators": indicators}))


class EvaluationView(ConfiguredFormMixin, DocumentsMixin, KyodoModelView):
    document_kinds = ("evaluation",)
    column_list = ("city", "project", "completion_report", "side", "evaluator", "evaluated_on",
                   "rating")
    column_searchable_list = ("evaluator", "comment")
    column_filters = ("side", "rating", "evaluated_on", "project.title")
    form_columns = ("project", "completion_report", "side", "evaluator", "evaluated_on", "rating",
                    "comment")
    choices = {"side": EVALUATION_SIDES, "rating": EVALUATION_RATINGS}
    prefill_from_args = ("project", "completion_report", "side")

    def _adapt_form(self, form: Any, obj: Any = None) -> Any:
        form = super()._adapt_form(form, obj)
        if current_user.role == Role.COUNCIL_MEMBER.value and "side" in form:
            form.side.choices = [("council", gettext(EVALUATION_SIDES["council"]))]
            if request.method == "GET":
                form.side.data = "council"
        return form

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if not permissions.can_edit(current_user, model):
            raise PermissionDenied(gettext("会議の構成員は、会議による評価検証だけを登録できます。"))
