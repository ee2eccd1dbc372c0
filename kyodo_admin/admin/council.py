"""Councils, members, meetings (agenda, attendance), criteria, reviews and scoring."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup

from .. import clock, display, permissions
from ..errors import KyodoError, ValidationFailed
from ..models.base import fiscal_year_of
from ..models.council import (
    CONTINUATION_RESULTS,
    CRITERION_KINDS,
    CRITERION_USES,
    MEMBER_SIDES,
    RESULT_LABELS,
    REVIEW_RESULTS,
    REVIEW_STEPS,
    Meeting,
    ReviewScore,
)
from ..services.reviews import (
    agenda,
    check_review,
    check_score,
    meeting_plan,
    plan_meetings,
    save_scores,
    score_sheet,
    score_table,
)
from ..templating import render_template
from .base import KyodoModelView
from .mixins import ConfiguredFormMixin, DocumentsMixin
from .responses import FAILED, commit_or_flash, list_url


class CouncilView(KyodoModelView):
    column_list = ("city", "name", "description")
    column_searchable_list = ("name",)
    form_columns = ("city", "name", "description")
    unique_in_city = ("name",)

    def details_extra(self, record: Any) -> Any:
        """The meetings by fiscal year, and the yearly plan for a year that has none yet."""
        this_year = fiscal_year_of(clock.today())
        years = [(year, [m for m in record.meetings if m.fiscal_year == year],
                  meeting_plan(record, year))
                 for year in (this_year, this_year + 1)]
        return Markup(render_template("kyodo/admin/council_plan.html", council=record, years=years,
                                      may_plan=permissions.can_create(current_user, Meeting)))

    @expose("/plan/<int:id>", methods=("POST",))
    def plan_view(self, id: int) -> Any:
        council = self.get_one(str(id))
        if not permissions.can_create(current_user, Meeting):
            abort(403)
        year = request.form.get("fiscal_year", type=int)
        try:
            if year is None or not 2000 <= year <= 2100:
                raise ValidationFailed(gettext("計画する年度が正しくありません。画面を開き直してください。"))
            meetings = plan_meetings(self.session, council, year)
            self.session.commit()
        except KyodoError as exc:
            self.session.rollback()
            flash(str(exc), "error")
            return redirect(self.get_url(".details_view", id=id))
        flash(gettext("%(year)sの会議の予定を%(meetings)s件作成しました。日程は各会議で変更できます。", year=display.fiscal_year(year), meetings=len(meetings)),
              "success")
        return redirect(list_url("meeting", ("fiscal_year", "IntEqualFilter", year)))


class CouncilMemberView(KyodoModelView):
    column_list = ("city", "council", "name", "title", "side", "organization", "active")
    column_searchable_list = ("name", "title")
    column_filters = ("side", "active", "council.name")
    form_columns = ("council", "name", "title", "side", "user", "organization", "active")
    column_labels = {"title": "役職", "organization": "所属団体（除斥の判定）"}
    choices = {"side": MEMBER_SIDES}
    link_column = "name"


class MeetingView(KyodoModelView):
    column_list = ("city", "council", "title", "step", "held_on", "fiscal_year", "location")
    column_searchable_list = ("title", "location")
    column_filters = ("step", "held_on", "fiscal_year")
    column_sortable_list = ("title", "step", "held_on", "fiscal_year")
    column_default_sort = ("held_on", True)
    form_columns = ("council", "title", "step", "held_on", "starts_at", "ends_at", "location",
                    "attendees", "minutes")
    choices = {"step": REVIEW_STEPS}
    form_args = {"step": {"coerce": int}}

    def details_extra(self, record: Any) -> Any:
        return Markup(render_template("kyodo/admin/meeting_agenda.html", meeting=record,
                                      items=agenda(self.session, record)))


class CriterionView(KyodoModelView):
    column_list = ("city", "name", "kind", "max_score", "used_for", "sort_order", "active")
    column_searchable_list = ("name",)
    column_default_sort = "sort_order"
    form_columns = ("city", "name", "description", "kind", "max_score", "used_for", "sort_order",
                    "active")
    choices = {"kind": CRITERION_KINDS, "used_for": CRITERION_USES}
    unique_in_city = ("name",)


class ReviewView(ConfiguredFormMixin, DocumentsMixin, KyodoModelView):
    document_kinds = ("review_result_notice",)
    # What is reviewed: the proposal, or the project's year of a continuation review.
    column_list = ("city", "subject", "step", "meeting", "result", "decided_on")
    column_searchable_list = ("reasons", "advice")
    column_filters = ("step", "result", "decided_on", "proposal.title")
    column_default_sort = ("id", True)
    form_columns = ("proposal", "project_year", "meeting", "step", "result", "reasons", "advice",
                    "decided_on")
    choices = {"step": REVIEW_STEPS, "result": RESULT_LABELS}
    form_args = {"step": {"coerce": int}}
    inline_models = [(ReviewScore, {"form_columns": ("id", "criterion", "member", "score",
                                                     "comment")})]

    #: Prefilled from a meeting's agenda (``?proposal=&meeting=&step=``, or ``?project_year=``
    #: for a continuation review).
    prefill_from_args = ("proposal", "project_year", "meeting", "step")
    form_args = {**form_args, "decided_on": {
        "description": "会議で決めた日です（会議から作成すると会議の日、それ以外は今日が入ります）。"},
        "project_year": {"description": "継続審査では、審査する協働事業の年度を選びます（提案は空欄）。"
                                        "結果（継続・条件付きで継続・終了）は、その年度の継続審査の結果"
                                        "として記録されます。"},
        "advice": {"description": "継続審査で「条件付きで継続」とするときは、ここに条件を書きます。"}}

    def _prefill(self, form: Any) -> Any:
        """A new review's decision date: its meeting's day, else today (Japan's), to check."""
        form = super()._prefill(form)
        if request.method == "GET" and "decided_on" in form and form.decided_on.data is None:
            meeting = form.meeting.data if "meeting" in form else None
            form.decided_on.data = meeting.held_on if meeting is not None else clock.today()
        if "project_year" in form:
            self._offer_results(form, form.project_year.data is not None)
        return form

    def edit_form(self, obj: Any = None) -> Any:
        form = super().edit_form(obj)
        if obj is not None:
            self._offer_results(form, obj.is_continuation)
        return form

    @staticmethod
    def _offer_results(form: Any, continuation: bool) -> None:
        """The results of the review's kind on the page (a posted one of the other kind is
        refused by ``check_review`` with the reason)."""
        if request.method == "GET" and "result" in form:
            results = CONTINUATION_RESULTS if continuation else REVIEW_RESULTS
            form.result.choices = [(value, label) for value, label in form.result.choices
                                   if value in results]

    def _on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        with self.session.no_autoflush:  # refused before the row is written
            check_review(model)
        super()._on_model_change(form, model, is_created)

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        for score in model.scores:
            check_score(score, current_user)

    def document_kinds_for(self, record: Any) -> tuple[str, ...]:
        """A continuation review's notice is the year's (事業年度の画面), not this one."""
        return () if record.is_continuation else self.document_kinds

    def details_extra(self, record: Any) -> Any:
        return Markup(render_template(
            "kyodo/admin/review_scores.html", review=record, table=score_table(self.session, record),
            may_score=permissions.can_create(current_user, ReviewScore)))

    @expose("/score/<int:id>", methods=("GET", "POST"))
    def score_view(self, id: int) -> Any:
        """One member scores every criterion of a review on one screen."""
        review = self.get_one(str(id))
        if not permissions.can_create(current_user, ReviewScore):
            abort(403)
        sheet = score_sheet(self.session, current_user, review,
                            request.values.get("member", type=int))
        if request.method == "POST":
            try:
                entries = {c.id: (_score(request.form.get(f"score_{c.id}")),
                                  request.form.get(f"comment_{c.id}", "")[:2000])
                           for c in sheet.criteria}
            except ValueError:
                flash(gettext("評点は半角の整数で入力してください。"), "error")
            else:
                saved = commit_or_flash(self.session, lambda: save_scores(
                    self.session, review, sheet.member, entries, current_user))
                if saved is not FAILED:
                    flash(gettext("%(member)sさんの評点を%(saved)s件保存しました。", member=sheet.member, saved=saved), "success")
                    return redirect(self.get_url(".details_view", id=id))
        return self.render("kyodo/admin/review_score_form.html", review=review, sheet=sheet)


class ReviewScoreView(KyodoModelView):
    column_list = ("city", "review", "criterion", "member", "score")
    column_filters = ("score",)
    form_columns = ("review", "criterion", "member", "score", "comment")

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        check_score(model, current_user)


def _score(value: str | None) -> int | None:
    """A score from the form: blank is no score; anything else must be an integer."""
    value = (value or "").strip()
    return int(value) if value else None
