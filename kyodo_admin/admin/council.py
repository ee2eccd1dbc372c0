"""Councils, members, meetings, criteria and reviews."""

from __future__ import annotations

from ..models.council import (
    CRITERION_KINDS,
    MEMBER_SIDES,
    REVIEW_RESULTS,
    REVIEW_STEPS,
    ReviewScore,
)
from .base import KyodoModelView


class CouncilView(KyodoModelView):
    column_list = ("city", "name", "description")
    column_searchable_list = ("name",)
    form_columns = ("city", "name", "description")
    unique_in_city = ("name",)


class CouncilMemberView(KyodoModelView):
    column_list = ("city", "council", "name", "title", "side", "organization", "active")
    column_searchable_list = ("name", "title")
    column_filters = ("side", "active", "council.name")
    form_columns = ("council", "name", "title", "side", "user", "organization", "active")
    choices = {"side": MEMBER_SIDES}


class MeetingView(KyodoModelView):
    column_list = ("city", "council", "title", "step", "held_on", "fiscal_year", "location")
    column_searchable_list = ("title", "location")
    column_filters = ("step", "held_on", "fiscal_year")
    column_sortable_list = ("title", "step", "held_on", "fiscal_year")
    column_default_sort = ("held_on", True)
    form_columns = ("council", "title", "step", "held_on", "location", "minutes")
    choices = {"step": REVIEW_STEPS}
    form_args = {"step": {"coerce": int}}


class CriterionView(KyodoModelView):
    column_list = ("city", "name", "kind", "max_score", "sort_order", "active")
    column_searchable_list = ("name",)
    column_default_sort = "sort_order"
    form_columns = ("city", "name", "description", "kind", "max_score", "sort_order", "active")
    choices = {"kind": CRITERION_KINDS}
    unique_in_city = ("name",)


class ReviewView(KyodoModelView):
    document_kinds = ("review_result_notice",)
    column_list = ("city", "proposal", "step", "meeting", "result", "decided_on")
    column_searchable_list = ("reasons", "advice")
    column_filters = ("step", "result", "decided_on", "proposal.title")
    column_default_sort = ("id", True)
    form_columns = ("proposal", "meeting", "step", "result", "reasons", "advice", "decided_on")
    choices = {"step": REVIEW_STEPS, "result": REVIEW_RESULTS}
    form_args = {"step": {"coerce": int}}
    inline_models = [(ReviewScore, {"form_columns": ("id", "criterion", "member", "score",
                                                     "comment")})]


class ReviewScoreView(KyodoModelView):
    column_list = ("city", "review", "criterion", "member", "score")
    column_filters = ("score",)
    form_columns = ("review", "criterion", "member", "score", "comment")
