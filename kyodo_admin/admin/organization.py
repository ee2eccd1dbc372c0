"""Organizations (団体)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from wtforms.validators import Email, Optional, Regexp, ValidationError

from ..models.organization import ORGANIZATION_TYPES, corporate_number_is_valid
from .base import KyodoModelView


def _corporate_number(_form: Any, field: Any) -> None:
    if field.data and not corporate_number_is_valid(field.data.strip()):
        raise ValidationError(gettext("法人番号が正しくありません（13桁の数字で、先頭のチェックデジットが合いません）。"))


class OrganizationView(KyodoModelView):
    column_list = ("city", "name", "org_type", "representative", "address", "phone",
                   "corporate_number")
    # Every field the import takes, under the same headings: an export imports back as it is.
    column_export_list = ("city", "name", "name_kana", "org_type", "representative",
                          "postal_code", "address", "phone", "email", "corporate_number")
    column_searchable_list = ("name", "name_kana", "representative", "address")
    column_filters = ("org_type", "founded_on")
    column_sortable_list = ("name", "name_kana", "org_type", "founded_on")
    column_default_sort = "name_kana"
    form_columns = ("city", "name", "name_kana", "org_type", "representative", "postal_code",
                    "address", "phone", "email", "website", "corporate_number", "founded_on",
                    "member_count", "activity_fields", "activity_record", "note")
    choices = {"org_type": ORGANIZATION_TYPES}
    unique_in_city = ("name",)
    form_args = {
        "corporate_number": {"validators": [Optional(), _corporate_number],
                             "description": "法人の場合のみ。13桁の数字。"},
        "postal_code": {"validators": [Optional(), Regexp(r"^\d{3}-?\d{4}$",
                                                          message="郵便番号は 123-4567 の形で入力してください。")]},
        "email": {"validators": [Optional(), Email(message="メールアドレスの形式が正しくありません。")]},
        "phone": {"validators": [Optional(), Regexp(r"^[0-9０-９()（）\-‐ ]{6,20}$",
                                                    message="電話番号の形式が正しくありません。")]},
    }
