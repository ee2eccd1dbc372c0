"""Cities, departments and users."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from wtforms import PasswordField
from wtforms.validators import Length, Optional, Regexp

from .. import permissions
from ..errors import PermissionDenied, ValidationFailed
from ..models.user import ROLE_LABELS, Role
from ..services.users import set_password
from .base import KyodoModelView


class CityView(KyodoModelView):
    column_list = ("slug", "name", "head_title", "coordinating_section")
    column_searchable_list = ("slug", "name")
    column_sortable_list = ("slug", "name")
    form_columns = ("slug", "name", "head_title", "coordinating_section")
    form_args = {
        "slug": {"validators": [Regexp(r"^[a-z][a-z0-9-]{1,39}$",
                                       message="半角英小文字・数字・ハイフンで入力してください。")]},
    }


class DepartmentView(KyodoModelView):
    column_list = ("city", "name", "phone", "email")
    column_searchable_list = ("name",)
    column_sortable_list = ("name",)
    form_columns = ("city", "name", "phone", "email", "note")
    unique_in_city = ("name",)


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
                    "password")
    form_extra_fields = {
        "password": PasswordField("パスワード", validators=[Optional(), Length(min=8, max=200,
                                  message="パスワードは8文字以上200文字以内にしてください。")],
                                  description="変更する場合のみ入力してください（新規作成時は必須）。"),
    }
    choices = {"role": {r.value: label for r, label in ROLE_LABELS.items()}}
    form_args = {
        "username": {"validators": [Regexp(r"^[A-Za-z0-9_.@-]{3,80}$",
                                           message="半角英数字と _ . @ - の3〜80文字で入力してください。")]},
    }

    def _adapt_form(self, form: Any, obj: Any = None) -> Any:
        form = super()._adapt_form(form, obj)
        if not permissions.is_system_admin(current_user):
            form.role.choices = [c for c in form.role.choices if c[0] != Role.SYSTEM_ADMIN.value]
        return form

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if not permissions.can_manage_user(current_user, model):
            raise PermissionDenied()
        password = form.password.data if "password" in form else None
        if password:
            set_password(model, password)
        elif is_created:
            raise ValidationFailed("新しい利用者にはパスワードを設定してください。", field="password")
        if model.role != Role.SYSTEM_ADMIN.value and model.city_id is None and model.city is None \
                and permissions.is_system_admin(current_user):
            raise ValidationFailed("システム管理者以外の利用者には自治体を指定してください。", field="city")
