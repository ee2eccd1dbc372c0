"""Completion reports and evaluations."""

from __future__ import annotations

from typing import Any

from ..models.report import EVALUATION_RATINGS, EVALUATION_SIDES
from ..services.reports import prepare_report
from .base import KyodoModelView


class CompletionReportView(KyodoModelView):
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

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if is_created:
            prepare_report(model)


class EvaluationView(KyodoModelView):
    document_kinds = ("evaluation",)
    column_list = ("city", "project", "completion_report", "side", "evaluator", "evaluated_on",
                   "rating")
    column_searchable_list = ("evaluator", "comment")
    column_filters = ("side", "rating", "evaluated_on", "project.title")
    form_columns = ("project", "completion_report", "side", "evaluator", "evaluated_on", "rating",
                    "comment")
    choices = {"side": EVALUATION_SIDES, "rating": EVALUATION_RATINGS}
    prefill_from_args = ("project", "completion_report", "side")
