"""Agreements with inline role sharing and cost sharing rows."""

from __future__ import annotations

from typing import Any

from flask import request
from markupsafe import Markup

from ..formschema.definition import fields_of
from ..formschema.forms import field_key
from ..formschema.types import REGISTRY
from ..models.agreement import AGREEMENT_STATES, CostShare, RoleShare
from ..services.programme import check_agreement, city_share_text
from ..templating import render_template
from .base import KyodoModelView
from .mixins import ConfiguredFormMixin, DocumentsMixin, WorkflowMixin


class AgreementView(ConfiguredFormMixin, WorkflowMixin, DocumentsMixin, KyodoModelView):
    document_kinds = ("agreement",)
    column_list = ("city", "title", "project", "fiscal_year", "status", "start_date", "end_date",
                   "signed_on")
    column_searchable_list = ("title", "city_signatory", "organization_signatory")
    column_filters = ("status", "signed_on", "start_date", "project.title")
    column_sortable_list = ("title", "status", "start_date", "end_date", "signed_on")
    column_default_sort = ("id", True)
    # Like the document: the role and cost tables with totals, and the form's 協定の条件.
    column_details_list = ("city", "title", "project", "status", "previous", "start_date",
                           "end_date", "signed_on", "city_signatory", "organization_signatory",
                           "responsibility", "role_shares", "cost_shares", "answers")
    column_formatters_detail = {
        "role_shares": lambda v, c, m, n: Markup(render_template(
            "kyodo/admin/agreement_shares.html", agreement=m, kind="role")),
        "cost_shares": lambda v, c, m, n: Markup(render_template(
            "kyodo/admin/agreement_shares.html", agreement=m, kind="cost",
            share=city_share_text(m))),
    }
    form_columns = ("city", "project", "fiscal_year", "title", "previous", "start_date",
                    "end_date", "signed_on", "city_signatory", "organization_signatory",
                    "responsibility", "role_shares", "cost_shares")
    managed_columns = ("status",)  # the year it is for is chosen: one of the project's years
    choices = {"status": AGREEMENT_STATES}
    date_ranges = (("start_date", "end_date"),)
    prefill_from_args = ("project",)

    def _prefill(self, form: Any) -> Any:
        """A new agreement of a project takes what the project already says: its period, and
        its 協働の形態 for a choice of the form that offers it (not the first choice)."""
        form = super()._prefill(form)
        project = form.project.data if request.method == "GET" and "project" in form else None
        if project is None:
            return form
        year = project.current_year
        for name, value in (("start_date", project.start_date), ("end_date", project.end_date),
                            ("fiscal_year", year.fiscal_year if year else None)):
            if name in form and form[name].data is None and value is not None:
                form[name].data = value
        kind = getattr(project.collaboration_type, "name", "")
        definition = getattr(form, "_kyodo_definition", None)
        for field in fields_of(definition.schema) if definition is not None and kind else []:
            if REGISTRY[field["type"]].one_choice and kind in field.get("choices", []):
                form[field_key(field["name"])].data = kind
        return form

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """The year it is for is one of the project's, its cost table keeps to the
        programme's rule for that year; else nothing is saved, with the rule named."""
        check_agreement(model)

    inline_models = [
        (RoleShare, {"form_columns": ("id", "item", "city_role", "organization_role",
                                      "sort_order")}),
        (CostShare, {"form_columns": ("id", "item", "city_amount", "organization_amount", "note",
                                      "sort_order")}),
    ]


class RoleShareView(KyodoModelView):
    column_list = ("city", "agreement", "item", "city_role", "organization_role")
    column_searchable_list = ("item",)
    form_columns = ("agreement", "item", "city_role", "organization_role", "sort_order")


class CostShareView(KyodoModelView):
    column_list = ("city", "agreement", "item", "city_amount", "organization_amount", "note")
    column_searchable_list = ("item",)
    form_columns = ("agreement", "item", "city_amount", "organization_amount", "note",
                    "sort_order")
    column_formatters = {"city_amount": KyodoModelView.yen,
                         "organization_amount": KyodoModelView.yen}
