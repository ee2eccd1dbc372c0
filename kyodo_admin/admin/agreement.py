"""Agreements with inline role sharing and cost sharing rows."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from ..models.agreement import AGREEMENT_STATES, CostShare, RoleShare
from .base import KyodoModelView
from .mixins import ConfiguredFormMixin, DocumentsMixin, WorkflowMixin


class AgreementView(ConfiguredFormMixin, WorkflowMixin, DocumentsMixin, KyodoModelView):
    document_kinds = ("agreement",)
    column_list = ("city", "title", "project", "status", "start_date", "end_date", "signed_on")
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
            "admin/agreement_shares.html", agreement=m, kind="role")),
        "cost_shares": lambda v, c, m, n: Markup(render_template(
            "admin/agreement_shares.html", agreement=m, kind="cost")),
    }
    form_columns = ("city", "project", "title", "previous", "start_date", "end_date", "signed_on",
                    "city_signatory", "organization_signatory", "responsibility",
                    "role_shares", "cost_shares")
    choices = {"status": AGREEMENT_STATES}
    date_ranges = (("start_date", "end_date"),)
    prefill_from_args = ("project",)
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
