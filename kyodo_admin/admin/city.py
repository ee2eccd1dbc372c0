"""Cities (and their settings screen), departments and users."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from .. import clock, permissions, tenancy
from ..errors import KyodoError, PermissionDenied, ValidationFailed
from ..extensions import db
from ..inputs import CleanForm
from ..models.city import City
from ..models.user import ROLE_LABELS, Role
from ..services.cities import SLUG_PATTERN, settings_examples, update_city_settings
from ..services.programme import MAX_YEARS_LIMIT, parse_ratios
from ..services.users import (
    USERNAME_PATTERN,
    USERNAME_RULE,
    city_words,
    password_problem,
    refuse_taken_username,
    set_password,
)
from ..workflow.deadlines import DEFAULT_SETTINGS, LATE_BUDGET_CHOICES, SETTING_LABELS, settings_for
from .base import KyodoModelView
from .mixins import LoginRequiredMixin


class CityView(KyodoModelView):
    column_list = ("slug", "name", "head_title", "coordinating_section")
    column_searchable_list = ("slug", "name")
    column_sortable_list = ("slug", "name")
    form_columns = ("slug", "name", "head_title", "coordinating_section")
    form_args = {
        "slug": {"validators": [Regexp(SLUG_PATTERN,
                                       message=lazy_gettext("半角英小文字・数字・ハイフンで入力してください。"))]},
    }


class DepartmentView(KyodoModelView):
    column_list = ("city", "name", "phone", "email")
    column_searchable_list = ("name",)
    column_sortable_list = ("name",)
    form_columns = ("city", "name", "phone", "email", "note")
    unique_in_city = ("name",)


def strong_password(form: Any, field: Any) -> None:
    """The password policy next to the field (the same rule as ``set_password``)."""
    username = form.username.data if "username" in form else ""
    # the city chosen on the form, else the one the city admin works for
    city = (form.city.data if "city" in form else None) or getattr(current_user, "city", None)
    problem = password_problem(field.data or "", username or "", city_words(city)) \
        if field.data else None
    if problem:
        raise ValidationError(problem)


class UserView(KyodoModelView):
    column_list = ("city", "username", "display_name", "role", "department", "active",
                   "last_login_at")
    column_searchable_list = ("username", "display_name", "email")
    column_filters = ("role", "active")
    column_sortable_list = ("username", "display_name", "role", "last_login_at")
    column_details_exclude_list = ("version", "password_hash", "failed_login_count")
    column_export_exclude_list = ("password_hash",)
    column_exclude_list = ("version", "password_hash", "failed_login_count", "locked_until")
    form_columns = ("city", "username", "display_name", "email", "role", "department", "active",
                    "receives_reminders", "password")
    form_extra_fields = {
        "password": PasswordField("パスワード", validators=[Optional(), Length(
            max=200, message=lazy_gettext("パスワードは200文字以内にしてください。")), strong_password],
            description="変更する場合のみ入力してください（新規作成時は必須）。"
                        "10文字以上で、推測されやすいものやユーザー名を含むものは使えません。"),
    }
    choices = {"role": {r.value: label for r, label in ROLE_LABELS.items()}}
    form_args = {
        "username": {"validators": [Regexp(USERNAME_PATTERN,
                                           message=lazy_gettext(USERNAME_RULE))]},
    }

    def _adapt_form(self, form: Any, obj: Any = None) -> Any:
        form = super()._adapt_form(form, obj)
        if not permissions.is_system_admin(current_user):
            form.role.choices = [c for c in form.role.choices if c[0] != Role.SYSTEM_ADMIN.value]
        return form

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if not permissions.can_manage_user(current_user, model):
            raise PermissionDenied()
        refuse_taken_username(self.session, model.username or "", model.id)
        password = form.password.data if "password" in form else None
        if password:
            set_password(model, password)
        elif is_created:
            raise ValidationFailed(gettext("新しい利用者にはパスワードを設定してください。"), field="password")
        if model.role != Role.SYSTEM_ADMIN.value and model.city_id is None and model.city is None \
                and permissions.is_system_admin(current_user):
            raise ValidationFailed(gettext("システム管理者以外の利用者には自治体を指定してください。"), field="city")


def month_day_check(_form: Any, field: Any) -> None:
    """"MM-DD" that exists in every year (29 February does not)."""
    try:
        dt.datetime.strptime(f"2025-{field.data}", "%Y-%m-%d")
    except (TypeError, ValueError):
        raise ValidationError("「04-30」のように、月-日を半角で入力してください"
                              "（2月29日は指定できません）。") from None


def ratios_check(_form: Any, field: Any) -> None:
    try:
        parse_ratios(field.data)
    except ValidationFailed as exc:
        raise ValidationError(str(exc)) from exc


class CitySettingsForm(CleanForm):
    loaded_version = HiddenField()
    head_title = StringField("文書の宛先（例: 鎌倉市長）", validators=[
        InputRequired(lazy_gettext("文書の宛先を入力してください。")), Length(max=100)])
    head_name = StringField(SETTING_LABELS["head_name"], validators=[Length(
        max=50, message=lazy_gettext("50文字以内で入力してください。"))])
    document_number = StringField(SETTING_LABELS["document_number"], validators=[Length(
        max=30, message=lazy_gettext("30文字以内で入力してください。"))])
    coordinating_section = StringField("協働事業の担当課（調整課）", validators=[Length(max=200)])
    mail_sender_name = StringField(SETTING_LABELS["mail_sender_name"], validators=[Length(
        max=100, message=lazy_gettext("100文字以内で入力してください。"))])
    mail_signature = TextAreaField(SETTING_LABELS["mail_signature"], validators=[Length(
        max=1000, message=lazy_gettext("1000文字以内で入力してください。"))])
    budget_deadline = StringField(SETTING_LABELS["budget_deadline"], validators=[
        InputRequired(lazy_gettext("締切を入力してください。")), month_day_check])
    late_budget_proposal = SelectField(SETTING_LABELS["late_budget_proposal"],
                                       choices=list(LATE_BUDGET_CHOICES.items()))
    step2_deadline = StringField(SETTING_LABELS["step2_deadline"], validators=[
        InputRequired(lazy_gettext("期限を入力してください。")), month_day_check])
    report_months = IntegerField(SETTING_LABELS["report_months"], validators=[
        InputRequired(lazy_gettext("月数を入力してください。")),
        NumberRange(min=1, max=12, message=lazy_gettext("1から12までの整数を入力してください。"))])
    count_completion_day = BooleanField(SETTING_LABELS["count_completion_day"])
    year_end_closure = BooleanField(SETTING_LABELS["year_end_closure"])
    days_ahead = IntegerField(SETTING_LABELS["days_ahead"], validators=[
        InputRequired(lazy_gettext("日数を入力してください。")),
        NumberRange(min=0, max=365, message=lazy_gettext("0から365までの整数を入力してください。"))])
    meetings_per_year = IntegerField(SETTING_LABELS["meetings_per_year"], validators=[
        InputRequired(lazy_gettext("回数を入力してください。")),
        NumberRange(min=2, max=12, message=lazy_gettext("2から12までの整数を入力してください（ステップ1とステップ2で2回以上）。"))])
    max_years = IntegerField(SETTING_LABELS["max_years"], validators=[
        InputRequired(lazy_gettext("年度数を入力してください。")),
        NumberRange(min=1, max=MAX_YEARS_LIMIT,
                    message=lazy_gettext("1から%(n)sまでの整数を入力してください。", n=MAX_YEARS_LIMIT))])
    yearly_cap = IntegerField(SETTING_LABELS["yearly_cap"], validators=[
        InputRequired(lazy_gettext("金額を入力してください（上限を設けないときは0）。")),
        NumberRange(min=0, max=10**12, message=lazy_gettext("0以上の整数（円）を入力してください。"))])
    share_ratios = StringField(SETTING_LABELS["share_ratios"], validators=[
        Length(max=50, message=lazy_gettext("50文字以内で入力してください。")), ratios_check])


class CitySettingsView(LoginRequiredMixin, BaseView):
    """自治体の設定: the city admin sets the addressee and the deadlines of the city."""

    def may_open(self) -> bool:
        return permissions.can_view(current_user, "city_settings") and \
            tenancy.current_city_id() is not None

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        city = db.session.get(City, tenancy.current_city_id())
        if city is None:
            abort(404)
        can_edit = permissions.can_edit(current_user, "city_settings")
        form = CitySettingsForm()
        if request.method == "GET":
            form.process(data={"loaded_version": city.version, "head_title": city.head_title,
                               "coordinating_section": city.coordinating_section,
                               **settings_for(city)})
        elif not can_edit:
            abort(403)
        elif form.validate():
            saved = self._save(city, form)
            if saved is not None:
                return saved
        else:
            flash(gettext("保存できませんでした。赤字の項目を確認してください（入力した内容は残っています）。"),
                  "error")
        return self.render("kyodo/admin/city_settings.html", city=city, form=form, can_edit=can_edit,
                           defaults=DEFAULT_SETTINGS,
                           examples=settings_examples(city, clock.today()))

    def _save(self, city: City, form: CitySettingsForm) -> Response | None:
        try:
            update_city_settings(
                db.session, city, loaded_version=form.loaded_version.data or "",
                head_title=form.head_title.data.strip(),
                coordinating_section=(form.coordinating_section.data or "").strip(),
                settings={key: (value.strip() if isinstance(value := getattr(form, key).data, str)
                                else value) for key in DEFAULT_SETTINGS})
            db.session.commit()
        except KyodoError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return None
        flash(gettext("設定を保存しました。以後の期限の計算に使われます。"), "success")
        return redirect(url_for(".index"))
