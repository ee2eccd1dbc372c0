"""Form fields and input checks of the back office: the form base, the date picker,
numbers with decimals, parent pickers that start blank, and the generic limits every
model form gets from its columns."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.model.form import converts
from flask_babel import gettext, lazy_gettext
from sqlalchemy import Integer, String, Text
from wtforms import DateField, FloatField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import DateInput, TextInput

from ..errors import ValidationFailed
from ..inputs import CleanForm

#: The fiscal years a record may name (a mistyped 1000 would be refused, not stored).
FIRST_YEAR, LAST_YEAR = 1989, 2100
#: What a date that is not a date gets (a form's date picker, a transition's date).
BAD_DATE = "日付は 2026-04-01 のように、カレンダーから選んで入力してください。"
#: Longest text accepted in a free-text (Text) column.
MAX_TEXT_LENGTH = 4000
#: Integer columns that can never be negative (money in yen, counts, scores).
NON_NEGATIVE_SUFFIXES = ("_amount", "_cost", "_count", "_value", "score")
#: What an empty drop-down shows (WTForms would show "__None").
BLANK_CHOICE = lazy_gettext("（未選択）")
#: Said when a posted choice is not one the (city-scoped) drop-down offers.
UNKNOWN_CHOICE = "選択肢にない値です。一覧から選び直してください。"


class KyodoForm(CleanForm):
    """Form base of the back office: Flask-WTF's CSRF, the same token as every other form,
    and no control characters in what is submitted.

    Keeps the edited record as ``_obj``, as Flask-Admin's own form base does: its Unique
    validator compares against it, or saving an existing user or city would always say
    「既に存在します」."""

    def __init__(self, formdata: Any = None, obj: Any = None, prefix: str = "",
                 **kwargs: Any) -> None:
        self._obj = obj
        super().__init__(formdata=formdata, obj=obj, prefix=prefix, **kwargs)


def posted_date(value: str | None) -> dt.date | None:
    """A date posted by a date input (YYYY-MM-DD); None when empty; a clear error otherwise."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(gettext(BAD_DATE)) from None


class DecimalNumberField(FloatField):
    """A number with decimals (目標値 12.5); a clear message instead of WTForms' 「無効なfloat値です」,
    and a whole number shown without ".0" (200, not 200.0)."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if isinstance(self.data, float) and self.data.is_integer():
            return str(int(self.data))
        return super()._value()

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError("数値を入力してください（例: 12.5）。") from exc


class CalendarDateField(DateField):
    """A date column as the browser's own date picker (``<input type="date">``, sent as
    2026-04-01 whatever the display language), with a Japanese message for a bad value."""

    widget = DateInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(gettext(BAD_DATE)) from exc
        chosen: dt.date | None = getattr(self, "data", None)
        if chosen is not None and not 1868 <= chosen.year <= LAST_YEAR:
            self.data = None
            raise ValueError(f"日付は1868年から{LAST_YEAR}年までの範囲で入力してください。")


#: What a time that is not read gets.
BAD_TIME = "時刻は 14:00 のように「時:分」で入力してください（14時、14時30分、1400 も使えます）。"
TIME_WRITTEN = re.compile(r"(\d{1,2})(?:[:：時]\s*(\d{1,2})?\s*分?)?|(\d{2})(\d{2})")


def posted_time(written: str) -> dt.time | None:
    """A time as a clerk types it: 14:00, 14:00:00, 14時, 14時30分, 1400, full-width digits."""
    text = unicodedata.normalize("NFKC", written or "").strip()
    if not text:
        return None
    text = re.sub(r":00$", "", text) if text.count(":") == 2 else text
    match = TIME_WRITTEN.fullmatch(text)
    if match is None:
        raise ValueError(gettext(BAD_TIME))
    hour, minute = (match.group(1), match.group(2)) if match.group(1) else \
        (match.group(3), match.group(4))
    try:
        return dt.time(int(hour), int(minute or 0))
    except ValueError:
        raise ValueError(gettext(BAD_TIME)) from None


class ClockTimeField(TimeField):
    """A time column as a text box that reads 14:00, 14時 or 14時30分, with a clear message
    (WTForms' TimeField refuses all but its one format with 「Not a valid time value」)."""

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {}).setdefault("placeholder", lazy_gettext("例: %(example)s", example="14:00"))
        super().__init__(*args, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.strftime("%H:%M") if self.data else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            self.data = posted_time(str(valuelist[0]))


class KyodoModelConverter(AdminModelConverter):
    """Flask-Admin's converter, plus ``Float``/``Double`` columns (SQLAlchemy 2.1 no longer
    derives them from ``Numeric``, so Flask-Admin would leave them out of the form) and date
    columns as the browser's date picker instead of a text box with a JavaScript calendar."""

    @converts("Date")
    def convert_date(self, field_args: dict[str, Any], **extra: Any) -> DateField:
        return CalendarDateField(**field_args)

    @converts("Time")
    def convert_time(self, field_args: dict[str, Any], **extra: Any) -> TimeField:
        return ClockTimeField(**field_args)

    @converts("Float", "Double")
    def handle_float(self, column: Any, field_args: dict[str, Any], **extra: Any) -> FloatField:
        return DecimalNumberField(**field_args)

    def _model_select_field(self, prop: Any, multiple: Any, remote_model: Any,
                            **kwargs: Any) -> Any:
        """A required parent (the project of a plan) starts empty, 「（未選択）」, instead of
        silently defaulting to the first row — another project — and asks to be chosen."""
        if not multiple and not kwargs.get("allow_blank"):
            kwargs["allow_blank"] = True
            kwargs["validators"] = [
                *(v for v in kwargs.get("validators", []) if not isinstance(v, InputRequired)),
                DataRequired(message=lazy_gettext("%(what)sを選んでください。",
                                                  what=kwargs.get("label") or lazy_gettext("項目")))]
        return super()._model_select_field(prop, multiple, remote_model, **kwargs)


NOT_NEGATIVE = lazy_gettext("%(low)s以上の数値を入力してください。", low=0)


def generic_form_args(model: type, form_args: dict[str, Any]) -> dict[str, Any]:
    """``form_args`` plus the limits a column's type implies: text length, no negative money
    or counts, a fiscal year in range."""
    for column in model.__table__.columns:  # type: ignore[attr-defined]
        extra: list[Any] = []
        if isinstance(column.type, Text) or (
            isinstance(column.type, String) and not column.type.length
        ):
            extra.append(Length(max=MAX_TEXT_LENGTH, message=lazy_gettext(
                "%(high)s文字以内で入力してください。", high=MAX_TEXT_LENGTH)))
        if isinstance(column.type, Integer) and column.name.endswith(NON_NEGATIVE_SUFFIXES):
            extra.append(NumberRange(min=0, message=NOT_NEGATIVE))
        if column.name.endswith("_value") and not isinstance(column.type, Integer):
            extra.append(NumberRange(min=0, message=NOT_NEGATIVE))
        if column.name == "fiscal_year":
            extra.append(NumberRange(min=FIRST_YEAR, max=LAST_YEAR, message=lazy_gettext(
                "年度は%(low)sから%(high)sまでの西暦で入力してください（例: 2026）。",
                low=FIRST_YEAR, high=LAST_YEAR)))
        if extra:
            args = form_args.setdefault(column.name, {})
            args["validators"] = [*args.get("validators", []), *extra]
    for args in form_args.values():  # help under a field, in the chosen language
        if isinstance(args.get("description"), str):
            args["description"] = lazy_gettext(args["description"])
    return form_args


def unknown_choice(field: Any) -> bool:
    """A posted id the (city-scoped) drop-down does not offer: another city's row or junk.

    Flask-Admin's QuerySelectField would silently turn it into "none"."""
    if not hasattr(field, "query_factory") and not hasattr(field, "loader"):
        return False
    raw = [v for v in (field.raw_data or []) if v not in ("", "__None")]
    if not raw:
        return False
    data = field.data
    if isinstance(data, (list, tuple)):
        return len(data) < len(raw)
    return data is None
