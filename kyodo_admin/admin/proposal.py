"""Proposals (提案)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from .. import clock, permissions
from ..errors import ValidationFailed
from ..models.council import Review
from ..models.organization import Organization
from ..models.proposal import PROPOSAL_STATES, PROPOSER_TYPES
from ..services.entrance import match_organization, suggested_organizations
from ..services.evaluations import SIDES, earlier_results
from ..services.proposals import (
    advice_answered,
    confirm_reproposal,
    lineage,
    proposal_deadlines,
)
from ..services.workflow import apply_transition
from ..templating import render_template
from .base import KyodoModelView
from .mixins import ConfiguredFormMixin, DocumentsMixin, WorkflowMixin


class ProposalView(ConfiguredFormMixin, WorkflowMixin, DocumentsMixin, KyodoModelView):
    document_kinds = ("basic_sheet",)
    column_list = ("city", "receipt_number", "title", "organization", "proposer_type", "status",
                   "received_on", "fiscal_year", "budget_amount")
    # Every field the import takes, under the same headings: an export imports back as it is.
    column_export_list = ("city", "receipt_number", "title", "proposer_type", "organization",
                          "department", "status", "received_on", "fiscal_year", "needs_budget",
                          "budget_amount", "summary")
    column_searchable_list = ("title", "receipt_number", "summary")
    column_filters = ("status", "fiscal_year", "proposer_type", "needs_budget", "received_on",
                      "organization.name", "department.name")
    column_sortable_list = ("receipt_number", "title", "status", "received_on", "fiscal_year",
                            "budget_amount")
    column_default_sort = ("id", True)
    form_columns = ("city", "title", "proposer_type", "organization", "department",
                    "collaboration_type", "parent", "received_on", "needs_budget",
                    "budget_amount", "summary")
    column_details_list = ("city", "receipt_number", "title", "status", "proposer_type",
                           "organization", "department", "collaboration_type", "parent",
                           "received_on", "fiscal_year", "needs_budget", "budget_amount", "summary",
                           "answers", "created_at", "updated_at")
    choices = {"status": PROPOSAL_STATES, "proposer_type": PROPOSER_TYPES}
    column_formatters = {"budget_amount": KyodoModelView.yen}

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if is_created:  # entered in the back office = received: the 「受付する」 transition
            model.status = "draft"
            self.session.flush()  # the tenancy gives it the user's city
            apply_transition(self.session, model, "submit", current_user,
                             "事務局で入力して受付")

    @expose("/confirm_reproposal/<int:id>", methods=("POST",))
    def confirm_reproposal(self, id: int) -> Any:
        """Staff confirm the receipt number a proposer named: the proposals are linked."""
        return self.act_on_record(id, lambda record: (
            f"「{confirm_reproposal(self.session, record)}」の再提案として結び付けました。"))

    @expose("/match_organization/<int:id>", methods=("POST",))
    def match_organization(self, id: int) -> Any:
        """Staff tie a proposal from the entrance to a registered organization, or register
        the one its proposer entered."""
        def act(record: Any) -> str:
            chosen = None
            wanted = request.form.get("organization_id", "")
            if wanted:
                chosen = self.session.execute(select(Organization).where(
                    Organization.id == (int(wanted) if wanted.isdigit() else 0))
                ).scalar_one_or_none()  # scoped to the city
                if chosen is None:
                    raise ValidationFailed(gettext("選んだ団体が見つかりません。"))
            organization = match_organization(self.session, record, chosen)
            return f"この提案の団体を「{organization}」として確認しました。"
        return self.act_on_record(id, act)

    def details_extra(self, record: Any) -> Any:
        """Budget deadline and step-2 deadline (city settings), advice answered, lineage,
        and the earlier years' evaluations."""
        chain = lineage(record)
        deadlines = proposal_deadlines(record)
        reviews = self.session.execute(select(Review).where(Review.proposal_id == record.id)
                                       .order_by(Review.step, Review.id)).scalars().all()
        waiting_step = {"step1_review": 1, "step2_review": 2}.get(record.status)
        return Markup(render_template(
            "kyodo/admin/proposal_details_extra.html", proposal=record, chain=chain, reviews=reviews,
            may_edit=permissions.can_edit(current_user, record),
            suggested=suggested_organizations(self.session, record)
            if record.organization_id is None and record.submitted_by else [],
            new_review_step=waiting_step if permissions.can_create(current_user, Review) else None,
            timing=deadlines.budget, step2_due=deadlines.step2_due, today=clock.today(),
            answered=advice_answered(self.session, record), sides=SIDES,
            results=earlier_results(self.session, record, [p.id for p in chain])))
