"""送信メール (the outbox) and メール文面 (a city's own texts of its notices)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_admin.actions import action
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import BooleanField

from .. import display, permissions, tenancy
from ..clock import local_datetime
from ..errors import ValidationFailed
from ..extensions import db
from ..inputs import CleanForm
from ..models.city import City
from ..models.notice import NOTICE_KINDS, NOTICE_STATES, Notice
from ..models.user import User
from ..services.notices import (
    DEFAULT_TEXTS,
    check_texts,
    failing_cities,
    is_stuck,
    retry,
    retryable,
    text_saved,
)
from .base import KyodoModelView, ReadOnlyView
from .mixins import LoginRequiredMixin
from .responses import record_link


def _status(_view: Any, _context: Any, model: Notice, _name: str) -> Any:
    label = NOTICE_STATES.get(model.status, model.status)
    if is_stuck(model):
        return Markup('<span class="text-danger">{}（送信されたか確認が必要）</span>').format(label)
    if model.status == "pending" and model.attempts:
        return Markup('{} <span class="text-danger small">{}回失敗: {}</span>').format(
            label, model.attempts, model.last_error[:80])
    if model.status == "failed":
        return Markup('<span class="text-danger">{}</span>').format(label)
    return label


class NoticeView(ReadOnlyView):
    """Every mail the back office writes: who, what, when, and whether it went."""

    column_list = ("created_at", "kind", "recipient_name", "recipient", "subject", "status",
                   "sent_at")
    column_details_list = ("created_at", "kind", "recipient_name", "recipient", "subject",
                           "body", "status", "attempts", "next_attempt_at", "sent_at",
                           "last_error", "record_id")
    column_filters = ("kind", "status", "created_at", "sent_at")
    column_searchable_list = ("recipient", "recipient_name", "subject")
    column_default_sort = ("id", True)
    column_labels = {"kind": "種類", "recipient": "宛先", "recipient_name": "宛名",
                     "subject": "件名", "body": "本文", "status": "状態", "attempts": "送信の試行",
                     "next_attempt_at": "次の試行", "sent_at": "送信日時", "last_error": "最後のエラー",
                     "record_id": "記録"}
    choices = {"kind": NOTICE_KINDS}
    column_formatters = {"status": _status}
    column_formatters_detail = {
        "status": _status,
        "body": lambda v, c, m, n: Markup('<pre class="mb-0" style="white-space: pre-wrap">{}</pre>')
        .format(m.body),
        "next_attempt_at": lambda v, c, m, n: local_datetime(m.next_attempt_at),
        "record_id": lambda v, c, m, n: record_link(m.record_type, m.record_id),
    }
    link_column = "subject"
    list_template = "kyodo/admin/notice_list.html"

    @expose("/")
    def index_view(self) -> Any:
        """The list, under the city's failed notice scan if its last one failed."""
        self._template_args["scan_failures"] = [
            {"at": local_datetime(status.failed_at), "error": status.error,
             "kind": NOTICE_KINDS.get(status.failed_step, "保存"),
             "text": status.job == "notice_texts"}
            for status in failing_cities(self.session)]
        return super().index_view()

    @action("retry", lazy_gettext("再送する"),
            lazy_gettext("選択したメールを送信待ちに戻し、次の送信でもう一度送りますか？"))
    def action_retry(self, ids: Any) -> None:
        try:
            pks = [int(i) for i in ids]
        except (TypeError, ValueError):
            abort(400)
        rows = self.get_query().filter(Notice.id.in_(pks)).all()
        done = 0
        for row in rows:
            if retryable(row):
                retry(self.session, row)
                done += 1
        self.session.commit()
        flash(gettext("%(n)s通を送信待ちに戻しました（送信済み・送信中・未送信のものはそのままです）。",
                      n=done), "success")

    def is_action_allowed(self, name: str) -> bool:
        if name == "retry":  # whoever reads the outbox (staff, admins) may send again
            return permissions.can_view(current_user, Notice)
        return super().is_action_allowed(name)


def _placeholders() -> Markup:
    """The help under a mail's body: its placeholders, and each kind's shipped subject (the
    mail's own words, Japanese: marked so on an English page)."""
    own = display.own_words()
    rows = "".join(f"<li>{escape(gettext(label))}: <span{own}>「{escape(DEFAULT_TEXTS[kind][0])}」"
                   "</span></li>" for kind, label in NOTICE_KINDS.items())
    return Markup("{}<br>{}:<ul class='mb-0'>{}</ul>").format(gettext(
        "Jinja の差込（{{ recipient }} 宛名、{{ city.name }}、{{ signature }} 署名、"
        "{{ project.title }}、{{ report.due_on|wareki }}、{{ days }} 日数、"
        "{{ meeting.title }}、{{ meeting.held_on|wareki }}、{{ meeting.time }}、"
        "{{ meeting.location }}、{% for item in agenda %}…{% endfor %}、{{ scoring_url }} など）"
        "で書きます。保存の前に例の値で作成を試し、誤りがあれば保存しません。"), gettext("既定の件名"),
        Markup(rows))


class NoticeTemplateView(KyodoModelView):
    """A city's own text of a kind of mail; without one the shipped text is used."""

    column_list = ("city", "kind", "subject", "updated_at")
    form_columns = ("kind", "subject", "body")
    choices = {"kind": NOTICE_KINDS}
    column_labels = {"kind": "種類", "subject": "件名", "body": "本文"}
    # the mail's own words, Japanese whatever language the screen is in (WCAG 2.1 3.1.2)
    form_widget_args = {"body": {"rows": 14, "lang": "ja"}, "subject": {"lang": "ja"}}
    list_template = "kyodo/admin/notice_template_list.html"

    @expose("/")
    def index_view(self) -> Any:
        """The list, under a table of every kind of mail: the city's own text or the shipped
        one, with a link that starts a text from the shipped one."""
        own = {t.kind for t in self.get_query()}
        self._template_args["kinds"] = [(kind, label, kind in own)
                                        for kind, label in NOTICE_KINDS.items()]
        return super().index_view()

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        kind = request.args.get("kind", "")
        if request.method == "GET" and kind in DEFAULT_TEXTS:  # start from the shipped text
            form.kind.data = kind
            form.subject.data, form.body.data = DEFAULT_TEXTS[kind]
        return form

    def _adapt_form(self, form: Any, obj: Any = None) -> Any:
        form = super()._adapt_form(form, obj)
        form.body.description = _placeholders()
        return form

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        city = self.session.get(City, tenancy.current_city_id() or model.city_id or -1)
        if city is None:
            raise ValidationFailed(gettext("自治体の管理者としてログインして登録してください。"))
        check_texts(model.kind, model.subject or "", model.body or "", city)
        text_saved(self.session, city.id, model.kind)
        super().on_model_change(form, model, is_created)


class ReminderSettingsForm(CleanForm):
    receives_reminders = BooleanField("リマインダーのメールを受け取る")


class AccountView(LoginRequiredMixin, BaseView):
    """通知メールの設定: a user switches their own reminder mails off (or on again)."""

    def is_visible(self) -> bool:
        return False  # reached from the user's name in the navigation bar

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        form = ReminderSettingsForm(data={"receives_reminders": current_user.receives_reminders})
        if request.method == "POST" and form.validate_on_submit():
            # The user's own row: in their city's scope (a system admin's is every city).
            user = db.session.get(User, current_user.id)
            assert user is not None
            user.receives_reminders = bool(form.receives_reminders.data)
            db.session.commit()
            flash(gettext("リマインダーのメールを受け取ります。") if form.receives_reminders.data
                  else gettext("リマインダーのメールを止めました（会議のお知らせは届きます）。"),
                  "success")
            return redirect(url_for(".index"))
        return self.render("kyodo/admin/account.html", form=form)
