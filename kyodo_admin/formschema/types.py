"""Field types of configurable forms: one class per type, in one registry.

A type knows how to
- check its own part of a definition (``check``: a select needs choices…),
- build the WTForms field staff fill in (``build``),
- turn the submitted data into the JSON answer and back (``to_answer`` / ``to_form``),
- show an answer in lists and details (``display``) and in Word (``word``: a typed value
  of ``documents/values.py`` that prints like ``display`` and still compares, adds and
  tests as what it is).

Adding a type means adding one class here and registering it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar, TypedDict

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FieldList,
    FileField,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.core import UnboundField
from wtforms.validators import (
    URL,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..display import english, yes_no
from ..documents import values
from ..documents.wareki import nendo, wareki, wareki_month, yen
from . import cells


class FieldDef(TypedDict, total=False):
    """One field of a checked form definition (a table's column is one too): the common
    keys, then those of some types (``FieldType.keys``)."""

    name: str
    label: str
    type: str
    required: bool
    internal: bool
    help: str
    example: Any
    default: Any
    visible_if: dict[str, Any]
    fills: str | dict[str, Any]
    choices: list[str]
    columns: list[FieldDef]
    min_length: int
    max_length: int
    pattern: str
    min: int
    max: int
    min_rows: int
    max_rows: int
    max_size: int


REQUIRED_MESSAGE = _l("この項目は必須です。")
#: Longest text a text field accepts when the definition sets no max_length.
DEFAULT_TEXT_MAX = 200
DEFAULT_TEXTAREA_MAX = 4000


def _length(field: FieldDef, default_max: int) -> Length:
    low = field.get("min_length") or -1
    high = field.get("max_length") or default_max
    if low > 0:
        message = _l("%(low)s文字以上%(high)s文字以内で入力してください。", low=low, high=high)
    else:
        message = _l("%(high)s文字以内で入力してください。", high=high)
    return Length(min=low, max=high, message=message)


def _range(field: FieldDef, default_min: int | None = None) -> NumberRange | None:
    low = field.get("min", default_min)
    high = field.get("max")
    if low is None and high is None:
        return None
    if low is not None and high is not None:
        message = _l("%(low)s以上%(high)s以下の数値を入力してください。", low=low, high=high)
    elif low is not None:
        message = _l("%(low)s以上の数値を入力してください。", low=low)
    else:
        message = _l("%(high)s以下の数値を入力してください。", high=high)
    return NumberRange(min=low, max=high, message=message)


class RequiredChecked:
    """A required checkbox must be ticked (e.g. 「政治活動を目的としない」)."""

    field_flags = {"required": True}

    def __call__(self, _form: Any, field: Any) -> None:
        if not field.data:
            raise ValidationError(_l("確認のうえ、チェックを入れてください。"))


NOT_A_CHOICE = _l("選択肢にない値です。一覧から選んでください。")


class _RowMeta:
    """The Meta of a table's row form: WTForms' own messages in Japanese, or in English
    when the user chose English."""

    def get_translations(self, form: Any) -> Any:
        from wtforms.i18n import get_translations

        return get_translations(["en"] if english() else ["ja_JP", "ja"])


class _ChoiceCheck:
    """Choice fields refuse an unknown value with a Japanese message."""

    def pre_validate(self, form: Any) -> None:
        values = self.data if isinstance(self.data, list) else [self.data]  # type: ignore[attr-defined]
        allowed = {str(value) for value, *_ in self.iter_choices()}  # type: ignore[attr-defined]
        if any(v not in (None, "") and str(v) not in allowed for v in values):
            raise ValidationError(NOT_A_CHOICE)


class ChoiceSelectField(_ChoiceCheck, SelectField):
    pass


class ChoiceRadioField(_ChoiceCheck, RadioField):
    pass


class ChoiceMultipleField(_ChoiceCheck, SelectMultipleField):
    pass


class FieldType:
    """Base of every field type."""

    name: ClassVar[str]
    label: ClassVar[str]
    #: Keys this type accepts besides the common ones.
    keys: ClassVar[frozenset[str]] = frozenset()
    #: Whether the type may be a column of a table.
    in_table: ClassVar[bool] = True
    #: Whether another field's ``visible_if`` may depend on it (its answer is one value).
    conditionable: ClassVar[bool] = True
    #: Whether its answer points at an uploaded file (nothing to invent for a demo record).
    stores_upload: ClassVar[bool] = False
    #: How a Word template made from a form prints it (``documents/starter.py``): rows of
    #: their own (a table), right-aligned in a column (numbers), with a total (amounts),
    #: and whether its unanswered value still says something (いいえ) and is printed.
    prints_rows: ClassVar[bool] = False
    #: Whether an answer of it fits in a spreadsheet cell (the Excel import; ``from_cell``).
    importable: ClassVar[bool] = True
    aligned_right: ClassVar[bool] = False
    totalled: ClassVar[bool] = False
    printed_unanswered: ClassVar[bool] = False
    #: Whether its answer is yes/no (printed はい/いいえ, ☑/☐ with ``|checkbox``).
    yes_no: ClassVar[bool] = False
    #: Whether its answer is one of its choices (a new record may take it from another).
    one_choice: ClassVar[bool] = False

    def check(self, field: FieldDef) -> list[str]:
        """Problems with the type-specific part of a definition (messages in Japanese)."""
        return []

    def validators(self, field: FieldDef) -> list[Any]:
        if field.get("required"):
            return [InputRequired(message=REQUIRED_MESSAGE)]
        return [Optional()]

    def field_class(self, field: FieldDef) -> type[Field]:
        raise NotImplementedError

    def field_kwargs(self, field: FieldDef) -> dict[str, Any]:
        return {}

    def build(self, field: FieldDef) -> UnboundField:
        kwargs: dict[str, Any] = {
            "label": field["label"],
            # Flask-Admin prints a field's description with |safe: a city admin's help text
            # must reach it escaped, or 「"><img onerror=…>」 would run in every user's browser.
            "description": escape(field.get("help", "")),
            "validators": self.validators(field),
            **self.field_kwargs(field),
        }
        default = field.get("default")
        if default is not None:
            kwargs["default"] = self.to_form(default, field)
        return self.field_class(field)(**kwargs)

    def to_answer(self, data: Any, field: FieldDef) -> Any:
        """The JSON value stored for the submitted data (None when empty)."""
        if data is None or data == "":
            return None
        return data

    def to_form(self, value: Any, field: FieldDef) -> Any:
        """The WTForms data for a stored answer."""
        return value

    def display(self, value: Any, field: FieldDef) -> str:
        return "" if value is None else str(value)

    def word(self, value: Any, field: FieldDef) -> Any:
        """The answer in a Word template (never None): printed, it reads like ``display``."""
        return self.display(value, field)

    #: What an unanswered field is in a Word template: "" for text, None (printed as
    #: nothing, false in ``if``, 令和　　年　　月　　日 with ``|wareki``) for typed values.
    unanswered: ClassVar[Any] = ""

    #: Whether a ``fills`` of it names the choice that means true (``equals``).
    fills_by_choice: ClassVar[bool] = False

    def column_value(self, value: Any, field: FieldDef) -> Any:
        """The value a record column takes from this answer (``fills``): a number as it is."""
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def fills_value(self, value: Any, field: FieldDef, equals: Any) -> Any:
        """The filled column's value; ``equals`` is the choice meaning true (choice types)."""
        return self.column_value(value, field)

    def example(self, field: FieldDef) -> Any:
        """A stored answer for the placeholder reference and test renders."""
        return f"（{field['label']}）"

    def from_cell(self, value: Any, field: FieldDef) -> Any:
        """The stored answer for a spreadsheet cell (the Excel import); ValueError with a
        Japanese message when the cell cannot be one."""
        return cells.text(value)

    def written_example(self, field: FieldDef) -> Any:
        """The answer of the field's 記入例 (``example:``), as a stored answer; None without
        one. ValueError (Japanese) when it is no answer of the field."""
        if field.get("example") in (None, ""):
            return None
        if not self.importable:
            raise ValueError(gettext("この種類の項目（表・ファイル）には記入例を書けません。記入例は説明（help）"
                             "に書いてください"))
        answer = self.from_cell(field["example"], field)
        longest = field.get("max_length")
        if isinstance(answer, str) and isinstance(longest, int) and len(answer) > longest:
            raise ValueError(gettext("%(longest)s文字を超えています", longest=longest))
        return answer

    # -- in a bound form (``formschema/forms.py``) ------------------------------------

    def sub_fields(self, field: FieldDef) -> list[FieldDef]:
        """Fields nested in this one (a table's columns), checked like fields."""
        return []

    def prefill(self, wt_field: Any, value: Any, field: FieldDef) -> None:
        """Put a stored answer into the bound field (the edit screen)."""
        wt_field.data = self.to_form(value, field)

    def add_blank_rows(self, wt_field: Any, field: FieldDef, count: int) -> None:
        """Empty rows to type into (tables only)."""

    def collect(self, wt_field: Any, field: FieldDef, previous: Any, store_file: Any) -> Any:
        """The answer to store from a validated bound field (``previous``: the stored one)."""
        return self.to_answer(wt_field.data, field)

    def missing(self, wt_field: Any, field: FieldDef, kept: Any) -> str | None:
        """Why a required, shown field is still empty beyond its validators (None: it is not)."""
        return None

    def shown(self, value: Any, field: FieldDef) -> Any:
        """The answer on the record's page: text, or a structure the template draws."""
        return self.display(value, field)

    def word_value(self, value: Any, field: FieldDef) -> Any:
        """The answer in a Word document; an unanswered field is empty, never missing."""
        return self.unanswered if value is None else self.word(value, field)


REGISTRY: dict[str, FieldType] = {}


def register(cls: type[FieldType]) -> type[FieldType]:
    REGISTRY[cls.name] = cls()
    return cls


@register
class TextType(FieldType):
    name, label = "text", "1行テキスト"
    keys = frozenset({"min_length", "max_length", "pattern"})

    def check(self, field: FieldDef) -> list[str]:
        pattern = field.get("pattern")
        if pattern is None:
            return []
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            return [gettext("pattern が正規表現として正しくありません（%(exc)s）。", exc=exc)]
        return []

    def field_class(self, field: FieldDef) -> type[Field]:
        return StringField

    def validators(self, field: FieldDef) -> list[Any]:
        result = [*super().validators(field), _length(field, DEFAULT_TEXT_MAX)]
        if field.get("pattern"):
            result.append(Regexp(field["pattern"], message=_l("入力の形式が正しくありません。")))
        return result

    def to_answer(self, data: Any, field: FieldDef) -> Any:
        text = (data or "").strip()
        return text or None

    def column_value(self, value: Any, field: FieldDef) -> Any:
        return value or ""  # text columns are never NULL


@register
class TextareaType(TextType):
    name, label = "textarea", "複数行テキスト"

    def field_class(self, field: FieldDef) -> type[Field]:
        return TextAreaField

    def validators(self, field: FieldDef) -> list[Any]:
        result = [*FieldType.validators(self, field), _length(field, DEFAULT_TEXTAREA_MAX)]
        if field.get("pattern"):
            result.append(Regexp(field["pattern"], message=_l("入力の形式が正しくありません。")))
        return result

    def to_answer(self, data: Any, field: FieldDef) -> Any:
        text = (data or "").replace("\r\n", "\n").strip()
        return text or None


class _PatternText(TextType):
    """A text type with a fixed format (email, phone, postal code, URL)."""

    keys = frozenset()
    message: ClassVar[str]
    regex: ClassVar[str]
    #: HTML attributes that give the right keyboard and autofill (type="tel", inputmode).
    html: ClassVar[dict[str, str]] = {}

    def field_kwargs(self, field: FieldDef) -> dict[str, Any]:
        return {"render_kw": {**self.html, "placeholder": _l("例: %(example)s", example=self.example(field))}}

    def validators(self, field: FieldDef) -> list[Any]:
        return [*FieldType.validators(self, field), _length(field, DEFAULT_TEXT_MAX),
                Regexp(self.regex, message=self.message)]


@register
class EmailType(_PatternText):
    name, label = "email", "メールアドレス"

    def example(self, field: FieldDef) -> Any:
        return "info@example.jp"
    message = _l("メールアドレスの形式が正しくありません。")
    html = {"type": "email", "autocomplete": "email"}

    def validators(self, field: FieldDef) -> list[Any]:
        return [*FieldType.validators(self, field), _length(field, DEFAULT_TEXT_MAX),
                Email(message=self.message, check_deliverability=False)]


@register
class PhoneType(_PatternText):
    name, label = "phone", "電話番号"

    def example(self, field: FieldDef) -> Any:
        return "0467-00-0000"
    message = _l("電話番号は 0467-23-3000 のように数字とハイフンで入力してください。")
    regex = r"^0\d{1,4}-?\d{1,4}-?\d{3,4}$"
    html = {"type": "tel", "autocomplete": "tel"}


@register
class PostalCodeType(_PatternText):
    name, label = "postal_code", "郵便番号"

    def example(self, field: FieldDef) -> Any:
        return "248-0012"
    message = _l("郵便番号は 248-8686 のように7桁で入力してください。")
    regex = r"^\d{3}-?\d{4}$"
    html = {"inputmode": "numeric", "autocomplete": "postal-code"}

    def to_answer(self, data: Any, field: FieldDef) -> Any:
        digits = re.sub(r"\D", "", data or "")
        return f"{digits[:3]}-{digits[3:]}" if digits else None

    def display(self, value: Any, field: FieldDef) -> str:
        return f"〒{value}" if value else ""


@register
class UrlType(_PatternText):
    name, label = "url", "URL"

    def example(self, field: FieldDef) -> Any:
        return "https://example.jp/"
    message = _l("http:// または https:// で始まるURLを入力してください。")
    regex = r"^https?://"
    html = {"type": "url"}

    def validators(self, field: FieldDef) -> list[Any]:
        return [*super().validators(field), URL(require_tld=True, message=self.message)]


@register
class IntegerType(FieldType):
    name, label = "integer", "整数"
    aligned_right = True

    def example(self, field: FieldDef) -> Any:
        return field.get("min") if isinstance(field.get("min"), int) else 10
    keys = frozenset({"min", "max"})

    def check(self, field: FieldDef) -> list[str]:
        problems = [f"{key} は整数で指定してください。" for key in ("min", "max")
                    if key in field and not isinstance(field[key], int)]
        if not problems and field.get("min") is not None and field.get("max") is not None \
                and field["min"] > field["max"]:
            problems.append(gettext("min が max より大きくなっています。"))
        return problems

    def field_class(self, field: FieldDef) -> type[Field]:
        return IntegerField

    def validators(self, field: FieldDef) -> list[Any]:
        number_range = _range(field)
        return [*super().validators(field), *([number_range] if number_range else [])]

    unanswered = None

    def display(self, value: Any, field: FieldDef) -> str:
        return "" if value is None else f"{value:,}"

    def word(self, value: Any, field: FieldDef) -> Any:
        return values.Number(value) if isinstance(value, int) else self.display(value, field)

    def from_cell(self, value: Any, field: FieldDef) -> Any:
        return cells.parse_integer(value)


@register
class MoneyType(IntegerType):
    """Yen, an integer that is never negative unless the definition says so."""

    name, label = "money", "金額（円）"
    totalled = True

    def example(self, field: FieldDef) -> Any:
        return 100_000

    def validators(self, field: FieldDef) -> list[Any]:
        number_range = _range(field, default_min=0)
        return [*FieldType.validators(self, field), *([number_range] if number_range else [])]

    def display(self, value: Any, field: FieldDef) -> str:
        return yen(value)

    def word(self, value: Any, field: FieldDef) -> Any:
        return values.Yen(value) if isinstance(value, int) else self.display(value, field)

    def from_cell(self, value: Any, field: FieldDef) -> Any:
        return cells.parse_amount(value)


@register
class FiscalYearType(IntegerType):
    """A fiscal year (年度) named by the calendar year of its April: 2026 = 令和8年度."""

    name, label = "fiscal_year", "年度"
    aligned_right = False

    def example(self, field: FieldDef) -> Any:
        return 2026

    def validators(self, field: FieldDef) -> list[Any]:
        low, high = field.get("min", 1989), field.get("max", 2100)
        return [*FieldType.validators(self, field),
                NumberRange(min=low, max=high,
                            message=_l("年度は%(low)sから%(high)sまでの西暦で入力してください（例: 2026）。",
                                       low=low, high=high))]

    def display(self, value: Any, field: FieldDef) -> str:
        return nendo(value) if value else ""

    def word(self, value: Any, field: FieldDef) -> Any:
        return values.FiscalYear(value) if isinstance(value, int) else self.display(value, field)

    def from_cell(self, value: Any, field: FieldDef) -> Any:
        return cells.parse_fiscal_year(value)


@register
class YearMonthType(FieldType):
    """A month (開始予定時期 令和8年7月) asked with the browser's month picker, kept as "2026-07"."""

    name, label = "year_month", "年月"
    pattern = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

    def example(self, field: FieldDef) -> Any:
        return "2026-07"

    def field_class(self, field: FieldDef) -> type[Field]:
        return StringField

    def field_kwargs(self, field: FieldDef) -> dict[str, Any]:
        return {"render_kw": {"type": "month", "placeholder": "2026-07"}}

    def validators(self, field: FieldDef) -> list[Any]:
        return [*super().validators(field),
                Regexp(self.pattern.pattern, message=_l("年月は 2026-07 のように選んでください。"))]

    def to_answer(self, data: Any, field: FieldDef) -> Any:
        text = (data or "").strip()
        return text if self.pattern.match(text) else None

    unanswered = None

    def display(self, value: Any, field: FieldDef) -> str:
        match = self.pattern.match(value) if isinstance(value, str) else None
        if match is None:  # an answer kept from a date field ("2026-07-01")
            return REGISTRY["date"].display(value, field)
        return wareki_month(int(match.group(1)), int(match.group(2)))

    def word(self, value: Any, field: FieldDef) -> Any:
        match = self.pattern.match(value) if isinstance(value, str) else None
        if match is None:
            return REGISTRY["date"].word(value, field)
        return values.JapaneseMonth(int(match.group(1)), int(match.group(2)), 1)

    def from_cell(self, value: Any, field: FieldDef) -> Any:
        written = cells.normalized(value)
        if self.pattern.match(written):
            return written
        month = re.fullmatch(r"(\d{4})[/年.](\d{1,2})月?", written)
        if month and 1 <= int(month.group(2)) <= 12:
            return f"{month.group(1)}-{int(month.group(2)):02d}"
        return f"{cells.parse_date(value):%Y-%m}"


@register
class DateType(FieldType):
    name, label = "date", "日付"

    def example(self, field: FieldDef) -> Any:
        return "2026-04-01"

    def field_class(self, field: FieldDef) -> type[Field]:
        return DateField

    def field_kwargs(self, field: FieldDef) -> dict[str, Any]:
        return {"format": "%Y-%m-%d"}

    def build(self, field: FieldDef) -> UnboundField:
        unbound = super().build(field)
        unbound.kwargs["render_kw"] = {"type": "date"}
        return unbound

    def to_answer(self, data: Any, field: FieldDef) -> Any:
        return data.isoformat() if isinstance(data, dt.date) else None

    def to_form(self, value: Any, field: FieldDef) -> Any:
        if isinstance(value, str) and value:
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return None
        return value

    unanswered = None

    def display(self, value: Any, field: FieldDef) -> str:
        day = self.to_form(value, field)
        return wareki(day) if isinstance(day, dt.date) else ""

    def word(self, value: Any, field: FieldDef) -> Any:
        day = self.to_form(value, field)
        return values.JapaneseDate.of(day) if isinstance(day, dt.date) else None

    def from_cell(self, value: Any, field: FieldDef) -> Any:
        return cells.parse_date(value).isoformat()


class _ChoiceType(FieldType):
    keys = frozenset({"choices"})

    def check(self, field: FieldDef) -> list[str]:
        choices = field.get("choices")
        if not choices or not isinstance(choices, list):
            return [gettext("選択肢（choices）を1つ以上指定してください。")]
        if not all(isinstance(c, str) and c.strip() for c in choices):
            return [gettext("選択肢（choices）は空でない文字列で指定してください。")]
        if len(set(choices)) != len(choices):
            return [gettext("選択肢（choices）に重複があります。")]
        return []

    def field_kwargs(self, field: FieldDef) -> dict[str, Any]:
        return {"choices": [(c, c) for c in field.get("choices", [])],
                "validate_choice": True}

    def from_cell(self, value: Any, field: FieldDef) -> Any:
        """The choice as the form defines it, whatever width it was typed in."""
        by_key = {cells.match_key(c): c for c in field.get("choices", [])}
        written = by_key.get(cells.match_key(cells.text(value)))
        if written is None:
            raise ValueError("選択肢にない値です（" + "、".join(field.get("choices", [])) + "）")
        return written


class _SingleChoice(_ChoiceType):
    fills_by_choice = True
    one_choice = True

    def fills_value(self, value: Any, field: FieldDef, equals: Any) -> Any:
        return value == equals

    def example(self, field: FieldDef) -> Any:
        return (field.get("choices") or [""])[0]

    def validators(self, field: FieldDef) -> list[Any]:
        return [InputRequired(message=REQUIRED_MESSAGE)] if field.get("required") else [Optional()]

    def build(self, field: FieldDef) -> UnboundField:
        unbound = super().build(field)
        if not field.get("required"):
            unbound.kwargs["choices"] = [("", _l("（未選択）")), *unbound.kwargs["choices"]]
        return unbound


@register
class SelectType(_SingleChoice):
    name, label = "select", "選択（プルダウン）"

    def field_class(self, field: FieldDef) -> type[Field]:
        return ChoiceSelectField


@register
class RadioType(_SingleChoice):
    name, label = "radio", "選択（ラジオボタン）"

    def field_class(self, field: FieldDef) -> type[Field]:
        return ChoiceRadioField

    def build(self, field: FieldDef) -> UnboundField:
        from .widgets import InlineRadioWidget

        unbound = FieldType.build(self, field)  # radios need no blank choice
        unbound.kwargs["widget"] = InlineRadioWidget()
        return unbound


@register
class MultiSelectType(_ChoiceType):
    name, label = "multi_select", "複数選択"

    def example(self, field: FieldDef) -> Any:
        return list(field.get("choices", [])[:2])

    def field_class(self, field: FieldDef) -> type[Field]:
        return ChoiceMultipleField

    def validators(self, field: FieldDef) -> list[Any]:
        if field.get("required"):
            return [_NonEmpty()]
        return [Optional()]

    def to_answer(self, data: Any, field: FieldDef) -> Any:
        return list(data) if data else None

    def display(self, value: Any, field: FieldDef) -> str:
        return "、".join(value) if value else ""

    def word(self, value: Any, field: FieldDef) -> Any:
        return values.Items(value if isinstance(value, list) else [value])

    def word_value(self, value: Any, field: FieldDef) -> Any:
        return values.Items() if value is None else self.word(value, field)

    def from_cell(self, value: Any, field: FieldDef) -> Any:
        by_key = {cells.match_key(c): c for c in field.get("choices", [])}
        picked = [by_key.get(cells.match_key(p)) for p in re.split(r"[、,;，]", cells.text(value))
                  if p.strip()]
        if any(p is None for p in picked):
            raise ValueError("選択肢にない値があります（" + "、".join(field.get("choices", [])) + "）")
        return picked


class _NonEmpty:
    field_flags = {"required": True}

    def __call__(self, _form: Any, field: Any) -> None:
        if not field.data:
            raise ValidationError(REQUIRED_MESSAGE)


@register
class CheckboxType(FieldType):
    name, label = "checkbox", "チェックボックス"
    printed_unanswered = True
    yes_no = True

    def example(self, field: FieldDef) -> Any:
        return True

    def field_class(self, field: FieldDef) -> type[Field]:
        return BooleanField

    def validators(self, field: FieldDef) -> list[Any]:
        return [RequiredChecked()] if field.get("required") else []

    def to_answer(self, data: Any, field: FieldDef) -> Any:
        return bool(data)

    def display(self, value: Any, field: FieldDef) -> str:
        return yes_no(value)

    unanswered = values.YesNo(False)  # hidden or never asked: "no"

    def word(self, value: Any, field: FieldDef) -> Any:
        return values.YesNo(value)

    def from_cell(self, value: Any, field: FieldDef) -> Any:
        return cells.parse_yes_no(value)

    def fills_value(self, value: Any, field: FieldDef, equals: Any) -> Any:
        return bool(value)  # unanswered (hidden) is "no"


@register
class FileType(FieldType):
    """An attachment; the answer is {"attachment_id", "filename", "size"}."""

    name, label = "file", "ファイル添付"

    def example(self, field: FieldDef) -> Any:
        return {"attachment_id": 0, "filename": "添付資料.pdf", "size": 0}
    keys = frozenset({"max_size"})
    in_table = False
    conditionable = False
    stores_upload = True
    importable = False

    def field_class(self, field: FieldDef) -> type[Field]:
        return FileField

    def validators(self, field: FieldDef) -> list[Any]:
        return []  # "required" is checked against the kept attachment, see ``missing``

    @staticmethod
    def has_upload(wt_field: Any) -> bool:
        return bool(getattr(wt_field.data, "filename", ""))

    def collect(self, wt_field: Any, field: FieldDef, previous: Any, store_file: Any) -> Any:
        """A new upload is stored (``store_file(field, upload)``); none keeps the previous file."""
        if self.has_upload(wt_field) and store_file is not None:
            return store_file(field, wt_field.data)
        return previous

    def missing(self, wt_field: Any, field: FieldDef, kept: Any) -> str | None:
        if field.get("required") and not self.has_upload(wt_field) and not kept:
            return gettext("ファイルを添付してください。")
        return None

    def shown(self, value: Any, field: FieldDef) -> Any:
        return {"file": value} if isinstance(value, dict) else self.display(value, field)

    def to_answer(self, data: Any, field: FieldDef) -> Any:
        return data if isinstance(data, dict) else None

    def to_form(self, value: Any, field: FieldDef) -> Any:
        return None

    def display(self, value: Any, field: FieldDef) -> str:
        return value.get("filename", "") if isinstance(value, dict) else ""


@register
class TableType(FieldType):
    """Repeating rows (budget lines, schedule, role sharing) with typed columns."""

    name, label = "table", "表（繰り返し行）"
    prints_rows = True
    importable = False

    def example(self, field: FieldDef) -> Any:
        return [{c["name"]: REGISTRY[c["type"]].example(c) for c in field.get("columns", [])}]
    keys = frozenset({"columns", "min_rows", "max_rows"})
    in_table = False
    conditionable = False

    def sub_fields(self, field: FieldDef) -> list[FieldDef]:
        columns = field.get("columns")
        return list(columns) if isinstance(columns, list) else []

    def prefill(self, wt_field: Any, value: Any, field: FieldDef) -> None:
        while len(wt_field.entries):
            wt_field.pop_entry()
        for row in self.to_form(value, field):
            wt_field.append_entry(row)

    def add_blank_rows(self, wt_field: Any, field: FieldDef, count: int) -> None:
        for _ in range(count):
            if len(wt_field.entries) < max_rows_of(field):
                wt_field.append_entry()

    def shown(self, value: Any, field: FieldDef) -> Any:
        columns = field["columns"]
        return {"columns": [c["label"] for c in columns],
                "rows": [[REGISTRY[c["type"]].display(row.get(c["name"]), c) for c in columns]
                         for row in value or []]}

    def word_value(self, value: Any, field: FieldDef) -> Any:
        return [] if value is None else self.word(value, field)

    def check(self, field: FieldDef) -> list[str]:
        columns = field.get("columns")
        if not columns or not isinstance(columns, list):
            return [gettext("表（table）には列（columns）を1つ以上指定してください。")]
        return []  # each column is checked like a field, see definition.py

    def field_class(self, field: FieldDef) -> type[Field]:
        return FieldList

    def row_form(self, field: FieldDef) -> type[Form]:
        attrs: dict[str, Any] = {}
        for column in field.get("columns", []):
            column_type = REGISTRY[column["type"]]
            attrs[column["name"]] = column_type.build({**column, "required": False})
        # A row is a plain Form: give it WTForms' messages in the user's language
        # ("無効な整数です。" / "Not a valid integer value.").
        attrs["Meta"] = _RowMeta
        return type(f"Row_{field['name']}", (Form,), attrs)

    def build(self, field: FieldDef) -> UnboundField:
        from .widgets import TableWidget

        return FieldList(
            FormField(self.row_form(field)),
            label=field["label"],
            description=escape(field.get("help", "")),
            min_entries=max(1, int(field.get("min_rows") or 0)),
            # One past the limit is read, so that too many rows are refused, not cut off.
            max_entries=max_rows_of(field) + 1,
            widget=TableWidget(field),
            validators=[_TableRows(field)],
        )

    def to_answer(self, data: Any, field: FieldDef) -> Any:
        rows = []
        for row in data or []:
            values = {c["name"]: REGISTRY[c["type"]].to_answer(row.get(c["name"]), c)
                      for c in field.get("columns", [])}
            if any(v not in (None, False, "") for v in values.values()):
                rows.append(values)
        return rows or None

    def to_form(self, value: Any, field: FieldDef) -> Any:
        return [{c["name"]: REGISTRY[c["type"]].to_form(row.get(c["name"]), c)
                 for c in field.get("columns", [])} for row in (value or [])]

    def display(self, value: Any, field: FieldDef) -> str:
        return gettext("%(value)s行", value=len(value)) if value else ""

    def word(self, value: Any, field: FieldDef) -> Any:
        return [{c["name"]: REGISTRY[c["type"]].word_value(row.get(c["name"]), c)
                 for c in field.get("columns", [])} for row in (value or [])]

    def column_value(self, value: Any, field: FieldDef) -> Any:
        """A text column filled from the rows: one line a row, its cells separated by 「　」."""
        return "\n".join("　".join(text for c in field.get("columns", [])
                                   if (text := REGISTRY[c["type"]].display(row.get(c["name"]), c)))
                         for row in (value or []))


#: Rows a table takes when its definition sets no ``max_rows`` (a public form could otherwise
#: store tens of thousands of rows that every later page and document must carry).
DEFAULT_MAX_ROWS = 100


def max_rows_of(field: FieldDef) -> int:
    return int(field.get("max_rows") or DEFAULT_MAX_ROWS)


class _TableRows:
    """Row count limits and required columns of the rows that were filled in."""

    def __init__(self, field: FieldDef) -> None:
        self.field = field

    def __call__(self, _form: Any, list_field: Any) -> None:
        limit = max_rows_of(self.field)
        if len(list_field.entries) > limit:
            raise ValidationError(gettext("行は%(n)s行までです。行を減らしてください。", n=limit))
        rows = REGISTRY["table"].to_answer(list_field.data, self.field) or []
        if self.field.get("required") and not rows:
            raise ValidationError(gettext("1行以上入力してください。"))
        min_rows = self.field.get("min_rows") or 0
        if rows and len(rows) < min_rows:
            raise ValidationError(gettext("%(n)s行以上入力してください。", n=min_rows))
        required = [c for c in self.field.get("columns", []) if c.get("required")]
        for number, row in enumerate(rows, start=1):
            for column in required:
                if row.get(column["name"]) in (None, ""):
                    raise ValidationError(gettext("%(n)s行目の「%(column)s」を入力してください。",
                                                  n=number, column=column["label"]))


#: Builder drop-down: (type name, Japanese label).
TYPE_CHOICES: list[tuple[str, str]] = [(name, t.label) for name, t in REGISTRY.items()]
