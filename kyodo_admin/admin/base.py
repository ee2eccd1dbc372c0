"""The base of every admin view: tenancy, permissions, CSRF, optimistic locking,
clear Japanese errors, safe CSV export, and generic input checks."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import zipfile
from typing import Any, ClassVar

from flask import (
    Response,
    abort,
    current_app,
    flash,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.helpers import get_form_data
from flask_admin.model import typefmt
from flask_admin.model.form import converts
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import Integer, String, Text, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import DateField, FloatField, HiddenField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import DateInput

from .. import clock, permissions, tenancy
from ..clock import datetime_formatter
from ..documents.pdf import to_pdf
from ..documents.wareki import nendo, wareki
from ..errors import KyodoError, StaleRecord, ValidationFailed
from ..extensions import db
from ..formschema.definition import filled_columns, filled_values
from ..formschema.forms import (
    add_blank_rows,
    collect_answers,
    display_answers,
    extend_form_class,
    prefill,
    remove_configured_fields,
)
from ..inputs import CleanForm
from ..models.base import Base, HasFormAnswers, TenantScoped
from ..models.document import DOCUMENT_KINDS, DocumentBatch, GeneratedDocument
from ..services.audit import current_actor
from ..services.batches import batch_state, batch_zip, run_in_background, start_batch
from ..services.documents import generate_document
from ..services.form_definitions import current_definition, link_attachments, store_attachment
from ..services.workflow import (
    apply_transition,
    available_transitions,
    date_bounds,
    state_label,
)
from ..workflow.transitions import read_only_reason
from .labels import COLUMN_LABELS

log = logging.getLogger(__name__)

#: The fiscal years a record may name (a mistyped 1000 would be refused, not stored).
FIRST_YEAR, LAST_YEAR = 1989, 2100
#: What a date that is not a date gets (a form's date picker, a transition's date).
BAD_DATE = "日付は 2026-04-01 のように、カレンダーから選んで入力してください。"
#: The largest id an Integer column holds, and the last page a list is asked for.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
#: Longest text accepted in a free-text (Text) column.
MAX_TEXT_LENGTH = 4000
#: Integer columns that can never be negative (money in yen, counts, scores).
NON_NEGATIVE_SUFFIXES = ("_amount", "_cost", "_count", "_value", "score")
#: First characters a spreadsheet reads as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

BLANK_CHOICE = "（未選択）"

ALWAYS_EXCLUDED = ("version", "created_at", "updated_at", "answers", "form_definition")


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


def list_url(endpoint: str, *conditions: tuple[str, str, Any]) -> str:
    """The URL of a list view with filters applied, e.g.
    ``list_url("proposal", ("status", "FilterEqual", "submitted"))``; a dotted path
    (``collaboration_type.name``) names a filter on a related model."""
    admin = current_app.extensions["admin"][0]
    view = next(v for v in admin._views if getattr(v, "endpoint", None) == endpoint)
    args: dict[str, Any] = {}
    for position, (path, operation, value) in enumerate(conditions):
        relation, _, column = path.rpartition(".")
        for index, flt in enumerate(view._filters or ()):
            key = getattr(getattr(flt, "column", None), "key", None)
            if key == column and type(flt).__name__ == operation and (
                    not relation or str(flt.name).startswith(relation)):
                args[f"flt{position}_{index}"] = value
                break
        else:
            raise LookupError(f"no {operation} filter on {endpoint}.{path}")
    return url_for(f"{endpoint}.index_view", **args)


def record_link(table: str | None, record_id: int | None) -> Any:
    """A link to a record's page named by the record (「2026-007 海辺の自然教室」), for lists
    that point at records of several kinds (attachments); empty when there is none."""
    mapper = next((m for m in Base.registry.mappers
                   if getattr(m.class_, "__tablename__", None) == table), None)
    if mapper is None or record_id is None:
        return ""
    record = db.session.get(mapper.class_, record_id)  # scoped to the city by the session
    if record is None:
        return f"#{record_id}（削除済み）"
    return Markup('<a href="{}">{}：{}</a>').format(
        url_for(f"{table}.details_view", id=record_id), mapper.class_.label, record)


def _issue_failure(exc: Exception) -> str:
    if isinstance(exc, KyodoError):
        return str(exc)
    log.exception("Could not archive an issued document")
    return "文書を保管できなかったため、作成を取り消しました。時間をおいてもう一度お試しください。"


DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def file_response(data: bytes, filename: str, mimetype: str = DOCX_MIMETYPE) -> Response:
    """A download (never cached by a shared proxy) with a Japanese file name."""
    from urllib.parse import quote

    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}",
        "Cache-Control": "private, no-store"})


def pdf_name(filename: str) -> str:
    return filename.rsplit(".", 1)[0] + ".pdf"


def posted_date(value: str | None) -> dt.date | None:
    """A date posted by a date input (YYYY-MM-DD); None when empty; a clear error otherwise."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(BAD_DATE) from None


def neutralize_formula(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


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


def _nendo_formatter(_view: Any, _context: Any, model: Any, name: str) -> str:
    value = getattr(model, name, None)
    return "" if value is None else nendo(value)


def wareki_formatter(_view: Any, value: dt.date, _name: str) -> str:
    return wareki(value)


def yes_no_formatter(_view: Any, value: bool, _name: str) -> str:
    return "はい" if value else "いいえ"


class CalendarDateField(DateField):
    """A date column as the browser's own date picker (``<input type="date">``, sent as
    2026-04-01 whatever the display language), with a Japanese message for a bad value."""

    widget = DateInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(BAD_DATE) from exc
        if self.data is not None and not 1868 <= self.data.year <= LAST_YEAR:
            self.data = None
            raise ValueError(f"日付は1868年から{LAST_YEAR}年までの範囲で入力してください。")


class CityColumnHidden:
    """One of Flask-Admin's cached column lists (``_list_columns``…), read without the city
    column for a city's own users (``KyodoModelView._for_user``)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_all{name}"

    def __get__(self, view: Any, owner: type | None = None) -> Any:
        return self if view is None else view._for_user(getattr(view, self.slot))

    def __set__(self, view: Any, columns: list[Any]) -> None:
        setattr(view, self.slot, columns)


class KyodoModelConverter(AdminModelConverter):
    """Flask-Admin's converter, plus ``Float``/``Double`` columns (SQLAlchemy 2.1 no longer
    derives them from ``Numeric``, so Flask-Admin would leave them out of the form) and date
    columns as the browser's date picker instead of a text box with a JavaScript calendar."""

    @converts("Date")
    def convert_date(self, field_args: dict[str, Any], **extra: Any) -> DateField:
        return CalendarDateField(**field_args)

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
                DataRequired(message=f"{kwargs.get('label') or '項目'}を選んでください。")]
        return super()._model_select_field(prop, multiple, remote_model, **kwargs)


class KyodoModelView(ModelView):
    """Configuration lives in subclasses; behaviour shared by all views lives here."""

    form_base_class = KyodoForm
    model_form_converter = KyodoModelConverter
    # Times stored in UTC are shown in JST to the minute, dates in 和暦 (令和8年4月1日) as on
    # the city's documents (CSV keeps 2026-04-01 for spreadsheets); yes/no in Japanese.
    column_type_formatters = {**typefmt.BASE_FORMATTERS, dt.datetime: datetime_formatter,
                              dt.date: wareki_formatter}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, dt.datetime: datetime_formatter,
                                     dt.date: wareki_formatter, bool: yes_no_formatter}
    column_type_formatters_export = {**typefmt.EXPORT_FORMATTERS, dt.datetime: datetime_formatter,
                                     bool: yes_no_formatter}
    page_size = 20
    can_view_details = True
    export_types = ["csv"]
    details_template = "admin/kyodo_details.html"
    column_display_actions = True
    form_excluded_columns: Any = ()
    column_exclude_list: Any = ("version", "answers", "created_at")
    column_details_exclude_list: Any = ("version",)
    #: Shows and hides configured fields by their visibility conditions.
    extra_js = ["/static/kyodo.js"]

    #: Word documents that can be issued from a record of this view.
    document_kinds: ClassVar[tuple[str, ...]] = ()
    #: Columns set by the system (workflow, derived values), never typed in a form.
    managed_columns: ClassVar[tuple[str, ...]] = ("status", "fiscal_year")
    #: (start, end) column pairs where end may not come before start.
    date_ranges: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: Columns whose value must be unique within one city.
    unique_in_city: ClassVar[tuple[str, ...]] = ()
    #: Column -> {value: Japanese label} shown in lists, details and forms.
    choices: ClassVar[dict[str, dict[Any, str]]] = {}
    #: Fields a create link may fill from its query (``/new/?project=3&side=city``): the
    #: parent record of a button on the parent's page. Relations are looked up in the city.
    prefill_from_args: ClassVar[tuple[str, ...]] = ()
    #: The list column that links to the record (default: title, name, else the first).
    link_column: ClassVar[str | None] = None

    def __init__(self, model: type, session: Any, **kwargs: Any) -> None:
        # Choice labels (states, kinds, sides) go through the catalog: English when chosen.
        self.choices = {k: {a: lazy_gettext(b) for a, b in v.items()}
                        for k, v in (self.choices or {}).items()}
        self.column_labels = {**COLUMN_LABELS, **(getattr(self, "column_labels", None) or {})}
        self.form_excluded_columns = tuple(
            dict.fromkeys((*ALWAYS_EXCLUDED, *self.managed_columns, *self.form_excluded_columns))
        )
        self.form_args = self._generic_form_args(model, dict(getattr(self, "form_args", None) or {}))
        if self.inline_models:
            self.inline_models = [
                (inline, {"column_labels": COLUMN_LABELS, **opts,
                          "form_args": self._generic_form_args(
                              inline, dict(opts.get("form_args") or {}))})
                for inline, opts in self.inline_models
            ]
        if self.choices:
            self.column_choices = {k: list(v.items()) for k, v in self.choices.items()}
            self.form_choices = {
                k: [(str(a), b) for a, b in v.items()] for k, v in self.choices.items()
            }
        if "fiscal_year" in model.__table__.columns:  # 令和8年度, as the city writes it
            self.column_formatters = {"fiscal_year": _nendo_formatter,
                                      **(self.column_formatters or {})}
        kwargs.setdefault("name", getattr(model, "label", None) or model.__name__)
        # Exports give values as they are (1200000, 2026), not as screens show them.
        self.column_formatters_export = dict(getattr(self, "column_formatters_export", None) or {})
        self._link_first_column()
        super().__init__(model, session, **kwargs)
        if issubclass(model, HasFormAnswers):
            self.column_formatters_detail = {**(self.column_formatters_detail or {}),
                                             "answers": lambda v, c, m, n: v._format_answers(c, m, n)}

    # -- columns: the city only for the system admin; the first one links to the record --

    def _for_user(self, columns: list[Any]) -> list[Any]:
        """A city's users see only their city: its column is noise to them."""
        if has_request_context() and not permissions.is_system_admin(current_user):
            return [c for c in columns if c[0] != "city"]
        return columns

    _list_columns = CityColumnHidden()
    _details_columns = CityColumnHidden()
    _export_columns = CityColumnHidden()

    def _link_first_column(self) -> None:
        """The title or name (else the first column: a project…) links to the record's page."""
        names = [c for c in (self.column_list or ()) if c != "city"]
        if not names or not self.can_view_details:
            return
        first = self.link_column or next((c for c in ("title", "name") if c in names), names[0])
        shown = (self.column_formatters or {}).get(first)

        def link(view: Any, context: Any, model: Any, name: str) -> Any:
            text = shown(view, context, model, name) if shown else getattr(model, name, "")
            return Markup('<a href="{}">{}</a>').format(
                view.get_url(".details_view", id=model.id), "" if text is None else text)

        if self.column_formatters_detail is None:  # the record's own page needs no link to itself
            self.column_formatters_detail = dict(self.column_formatters or {})
        self.column_formatters = {**(self.column_formatters or {}), first: link}

    # -- generic input checks -------------------------------------------------

    @staticmethod
    def _generic_form_args(model: type, form_args: dict[str, Any]) -> dict[str, Any]:
        for column in model.__table__.columns:
            extra: list[Any] = []
            if isinstance(column.type, Text) or (
                isinstance(column.type, String) and not column.type.length
            ):
                extra.append(Length(max=MAX_TEXT_LENGTH,
                                    message=f"{MAX_TEXT_LENGTH}文字以内で入力してください。"))
            if isinstance(column.type, Integer) and column.name.endswith(NON_NEGATIVE_SUFFIXES):
                extra.append(NumberRange(min=0, message="0以上の数値を入力してください。"))
            if column.name.endswith("_value") and not isinstance(column.type, Integer):
                extra.append(NumberRange(min=0, message="0以上の数値を入力してください。"))
            if column.name == "fiscal_year":
                extra.append(NumberRange(min=FIRST_YEAR, max=LAST_YEAR, message=(
                    f"年度は{FIRST_YEAR}から{LAST_YEAR}までの西暦で入力してください（例: 2026）。")))
            if extra:
                args = form_args.setdefault(column.name, {})
                args["validators"] = [*args.get("validators", []), *extra]
        return form_args

    def validate_form(self, form: Any) -> bool:
        valid = super().validate_form(form)
        if not valid or request.method != "POST":
            return valid
        for field in form:
            if self._unknown_choice(field):
                field.errors = [*field.errors, "選択肢にない値です。一覧から選び直してください。"]
                valid = False
        for start, end in self.date_ranges:
            if start in form and end in form and form[start].data and form[end].data \
                    and form[end].data < form[start].data:
                form[end].errors = [*form[end].errors,
                                    f"{self.column_labels.get(end, end)}は"
                                    f"{self.column_labels.get(start, start)}以降の日付にしてください。"]
                valid = False
        for name in self.unique_in_city:
            if name in form and form[name].data and self._taken_in_city(form, name):
                form[name].errors = [*form[name].errors,
                                     f"同じ{self.column_labels.get(name, name)}の記録が既にあります。"]
                valid = False
        return valid

    @staticmethod
    def _unknown_choice(field: Any) -> bool:
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

    def _taken_in_city(self, form: Any, name: str) -> bool:
        column = getattr(self.model, name)
        stmt = select(self.model.id).where(column == form[name].data)
        city_id = tenancy.current_city_id()
        if city_id is None and "city" in form and form["city"].data is not None:
            city_id = form["city"].data.id
        if city_id is not None and issubclass(self.model, TenantScoped):
            stmt = stmt.where(self.model.city_id == city_id)
        editing = request.args.get("id")
        if editing and editing.isdigit():
            stmt = stmt.where(self.model.id != int(editing))
        return self.session.execute(stmt.limit(1)).first() is not None

    # -- permissions ----------------------------------------------------------

    def is_accessible(self) -> bool:
        return permissions.can_view(current_user, self.model)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return permissions.can_create(current_user, self.model)

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return permissions.can_edit(current_user, self.model)

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return permissions.can_delete(current_user, self.model)

    @property
    def can_export(self) -> bool:  # type: ignore[override]
        return permissions.can_export(current_user, self.model)

    _VIEW_PERMISSIONS: ClassVar[dict[str, str]] = {
        "create_view": "can_create", "edit_view": "can_edit", "delete_view": "can_delete",
        "export": "can_export", "ajax_update": "can_edit",
    }

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        flag = self._VIEW_PERMISSIONS.get(name)
        if flag and not getattr(self, flag):
            abort(403)
        return None

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        """Flask-Admin's edit view for a record this user may edit. The permission functions
        look at the record: its state (a signed agreement goes back to its page, saying why)
        and, e.g., an evaluation's side (403)."""
        record_id = request.args.get("id")
        if record_id is not None:
            record = self.get_one(record_id)
            reason = read_only_reason(record)
            if reason and permissions.can_fire(current_user, record):
                flash(reason, "warning")
                return redirect(self.get_url(".details_view", id=record.id))
            if not permissions.can_edit(current_user, record):
                abort(403)
        return super().edit_view()

    # -- tenancy: the base view scopes too, besides the session ----------------

    def _scope(self, query: Any) -> Any:
        city_id = tenancy.current_city_id()
        if city_id is not None and issubclass(self.model, TenantScoped):
            query = query.filter(self.model.city_id == city_id)
        return query

    def get_query(self) -> Any:
        return self._scope(super().get_query())

    def get_count_query(self) -> Any:
        return self._scope(super().get_count_query())

    def _get_list_extra_args(self) -> Any:
        """The list's query, with a page number that cannot be negative or absurd (-1 or a
        20-digit page would reach the database as a bad OFFSET)."""
        args = super()._get_list_extra_args()
        if not 0 <= args.page <= MAX_PAGE:
            args.page = 0
        if not 0 <= (args.page_size or 0) <= 1000:
            args.page_size = 0
        return args

    def get_one(self, id: Any) -> Any:
        """Flask-Admin's own ``get_one`` uses ``session.get`` and skips ``get_query``."""
        try:
            pk = int(id)
        except (TypeError, ValueError):
            abort(404)
        if not 0 < pk <= MAX_ID:  # a 20-digit id is no record (and overflows the column)
            abort(404)
        obj = self.get_query().filter(self.model.id == pk).one_or_none()
        if obj is None or not permissions.can_view(current_user, obj):
            abort(404)
        return obj

    # -- forms: the city field, and the version the user loaded ---------------

    def scaffold_form(self) -> Any:
        form_class = super().scaffold_form()
        if hasattr(self.model, "version"):
            form_class.loaded_version = HiddenField()
        return form_class

    def _adapt_form(self, form: Any, obj: Any = None) -> Any:
        if "city" in form and not permissions.is_system_admin(current_user):
            del form["city"]
        for field in form:
            if getattr(field, "blank_text", None) == "":
                field.blank_text = BLANK_CHOICE  # WTForms would show "__None"
        if "loaded_version" in form and request.method == "GET":
            form.loaded_version.data = getattr(obj, "version", None) or ""
        return form

    def form_class_for(self, form_class: Any, obj: Any) -> Any:
        """The form class for this record: a view adds per-record fields here (a report's
        indicators); configured fields are added after."""
        return form_class

    def create_form(self, obj: Any = None) -> Any:
        definition = self._definition_for(None)
        form_class = self.form_class_for(self._create_form_class, None)
        if definition is None:
            return self._prefill(self._adapt_form(form_class(get_form_data(), obj=obj), obj))
        form_class = extend_form_class(form_class, (definition.id, definition.version),
                                       definition.schema)
        form = self._adapt_form(form_class(get_form_data(), obj=obj), obj)
        return self._prefill(self._prepare_configured(form, definition, {}, is_new=True))

    def _prefill(self, form: Any) -> Any:
        """Fill ``prefill_from_args`` from the query of a create link (GET only)."""
        if request.method != "GET":
            return form
        for name in self.prefill_from_args:
            wanted = request.args.get(name)
            if not wanted or name not in form:
                continue
            attribute = getattr(self.model, name)
            if hasattr(attribute.property, "mapper"):
                related = attribute.property.mapper.class_
                if wanted.isdigit():  # scoped to the city by the session
                    form[name].data = self.session.execute(
                        select(related).where(related.id == int(wanted))).scalar_one_or_none()
            else:
                try:
                    form[name].data = getattr(form[name], "coerce", str)(wanted)
                except (TypeError, ValueError):
                    continue
        return form

    def edit_form(self, obj: Any = None) -> Any:
        definition = self._definition_for(obj)
        form_class = self.form_class_for(self._edit_form_class, obj)
        if definition is None:
            return self._adapt_form(form_class(get_form_data(), obj=obj), obj)
        form_class = extend_form_class(form_class, (definition.id, definition.version),
                                       definition.schema)
        form = self._adapt_form(form_class(get_form_data(), obj=obj), obj)
        return self._prepare_configured(form, definition, obj.answers or {}, is_new=False)

    # -- configured forms (様式): the fields of the record's form revision --------

    def _definition_for(self, obj: Any) -> Any:
        """The form revision of a record: its own, or the city's current one for a new record."""
        if not issubclass(self.model, HasFormAnswers):
            return None
        if obj is not None and obj.form_definition is not None:
            return obj.form_definition
        city_id = getattr(obj, "city_id", None) or tenancy.current_city_id()
        if city_id is None:
            return None  # a system admin creating a record: no city, no form yet
        return current_definition(self.session, city_id, self.model.form_kind)

    def _prepare_configured(self, form: Any, definition: Any, answers: dict[str, Any],
                            is_new: bool) -> Any:
        form._kyodo_definition = definition
        form._kyodo_kept_files = {k: v for k, v in answers.items() if isinstance(v, dict)}
        for column in filled_columns(definition.schema):
            if column in form:  # entered once, in the configured field that fills it
                del form[column]
        if request.method == "GET":
            if not is_new:
                prefill(form, definition.schema, answers)
            add_blank_rows(form, definition.schema)
        return form

    def _take_answers(self, form: Any, model: Any) -> None:
        """Collect the configured answers and take their fields out of the form."""
        definition = getattr(form, "_kyodo_definition", None)
        if definition is None:
            return
        previous = (model.answers or {}) if model is not None else {}
        user_id = getattr(current_user, "id", None)

        def store(field: dict[str, Any], upload: Any) -> dict[str, Any]:
            return store_attachment(self.session, upload, field.get("max_size"), user_id)

        form._kyodo_answers = collect_answers(form, definition.schema, previous, store)
        remove_configured_fields(form, definition.schema)

    def _on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        reason = read_only_reason(model)  # e.g. a role row added to a signed agreement
        if reason:
            raise ValidationFailed(reason)
        definition = getattr(form, "_kyodo_definition", None)
        if definition is not None:
            model.answers = dict(form._kyodo_answers)  # a new dict, so the change is seen
            for column, value in filled_values(definition.schema, model.answers).items():
                setattr(model, column, value)
            if model.form_definition is None:
                model.form_definition = definition
            link_attachments(self.session, model)
        super()._on_model_change(form, model, is_created)

    def _format_answers(self, _context: Any, model: Any, _name: str) -> Any:
        definition = model.form_definition
        if definition is None:
            return ""
        return Markup(render_template("admin/answers.html", definition=definition,
                                      attachment_links=True,
                                      shown=display_answers(definition.schema,
                                                            model.answers or {})))

    # -- saving ----------------------------------------------------------------

    def create_model(self, form: Any) -> Any:
        if "loaded_version" in form:
            del form["loaded_version"]
        try:
            self._take_answers(form, None)
        except KyodoError as exc:
            self.session.rollback()
            flash(str(exc), "error")
            return False
        return super().create_model(form)

    def update_model(self, form: Any, model: Any) -> bool:
        if "loaded_version" in form:
            loaded = (form.loaded_version.data or "").strip()
            if loaded != str(model.version):
                flash(str(StaleRecord()), "error")
                return False
            del form["loaded_version"]
        try:
            self._take_answers(form, model)
        except KyodoError as exc:
            self.session.rollback()
            flash(str(exc), "error")
            return False
        # Touch the row so its version moves even when only inline rows changed.
        if hasattr(model, "updated_at"):
            model.updated_at = clock.now()
        return super().update_model(form, model)

    def delete_model(self, model: Any) -> bool:
        reason = read_only_reason(model)
        if reason:
            flash(reason, "error")
            return False
        try:
            self.on_model_delete(model)
            self.session.delete(model)
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            flash("他の記録から参照されているため削除できません。先に参照している記録を変更してください。",
                  "error")
            return False
        except Exception as exc:  # noqa: BLE001 - shown as a clear message, never a trace
            self.session.rollback()
            self.handle_view_exception(exc)
            return False
        self.after_model_delete(model)
        return True

    def _posted_record(self, id: int, may: Any) -> tuple[Any, str, Any]:
        """The record a POST from its page acts on — city-scoped (404), allowed (403) — its
        page's URL, and a redirect back (with the message) when it changed since it was
        loaded, else None."""
        record = self.get_one(str(id))
        if not may(current_user, record):
            abort(403)
        details = self.get_url(".details_view", id=id)
        if request.form.get("loaded_version", "") != str(getattr(record, "version", "")):
            flash(str(StaleRecord()), "error")
            return record, details, redirect(details)
        return record, details, None

    def act_on_record(self, id: int, act: Any, may: Any = permissions.can_edit) -> Any:
        """A POST from a record's page that acts on it (``_posted_record``); ``act(record)``
        returns the message to show. A refusal (KyodoError) is shown and undoes everything."""
        record, details, stale = self._posted_record(id, may)
        if stale is not None:
            return stale
        try:
            message = act(record)
            self.session.commit()
        except KyodoError as exc:
            self.session.rollback()
            flash(str(exc), "error")
            return redirect(details)
        flash(message, "success")
        return redirect(details)

    def details_extra(self, record: Any) -> Any:
        """HTML shown under a record's details (agenda, scores, lineage…); None for none."""
        return None

    # -- workflow --------------------------------------------------------------------

    def transition_dates(self, record: Any, transition: Any) -> dict[str, str]:
        """min, max and the default (today) of the date a transition asks for, ISO."""
        earliest, latest = date_bounds(self.session, record, transition)
        return {"min": earliest.isoformat() if earliest else "", "max": latest.isoformat(),
                "value": min(max(clock.today(), earliest or clock.today()), latest).isoformat()}

    def transitions_for(self, record: Any) -> list[Any]:
        """Buttons for the record's details page: (transition, reason it is blocked or None)."""
        if not permissions.can_fire(current_user, record):
            return []
        return available_transitions(self.session, current_user, record)

    @expose("/transition/<int:id>/<transition_name>", methods=("POST",))
    def transition(self, id: int, transition_name: str) -> Any:
        """Fire a workflow transition (the only way a record's state changes)."""
        record, details, stale = self._posted_record(id, permissions.can_fire)
        if stale is not None:
            return stale
        try:
            fired = apply_transition(self.session, record, transition_name, current_user,
                                     request.form.get("comment", "")[:2000],
                                     on=posted_date(request.form.get("on")))
            self.session.commit()
        except (KyodoError, SQLAlchemyError) as exc:
            self.session.rollback()
            flash(str(exc) if isinstance(exc, KyodoError) else
                  "状態を変更できませんでした。時間をおいてもう一度お試しください。", "error")
            return redirect(details)
        change = (f"（{gettext(state_label(record, fired.before))} → {gettext(state_label(record))}）"
                  if record.status != fired.before else "")
        flash(gettext("「%(action)s」を行いました%(change)s。", action=gettext(fired.transition.label),
                      change=change), "success")
        if fired.created is not None:
            endpoint = type(fired.created).__tablename__
            flash(f"「{fired.created}」を作成しました。", "info")
            return redirect(url_for(f"{endpoint}.details_view", id=fired.created.id))
        return redirect(details)

    # -- Word documents --------------------------------------------------------------

    def _may_issue(self) -> bool:
        return bool(self.document_kinds) and permissions.can_create(current_user, GeneratedDocument)

    @expose("/document/<kind>/<int:id>", methods=("POST",))
    def issue_document(self, kind: str, id: int) -> Any:
        """Issue a Word document from a record, archive it, and download it."""
        if kind not in self.document_kinds or not self._may_issue():
            abort(403)
        record = self.get_one(str(id))
        try:
            issued = generate_document(self.session, kind, record, getattr(current_user, "id", None))
            self.session.commit()
        except (KyodoError, SQLAlchemyError) as exc:
            self.session.rollback()
            flash(_issue_failure(exc), "error")
            return redirect(self.get_url(".details_view", id=id))
        if request.form.get("format") == "pdf":
            try:
                return file_response(to_pdf(issued.data), pdf_name(issued.document.filename),
                                     "application/pdf")
            except KyodoError as exc:
                flash(f"Word文書は作成して「発行文書」に保管しました。PDFにはできませんでした: {exc}",
                      "warning")
                return redirect(self.get_url(".details_view", id=id))
        return file_response(issued.data, issued.document.filename)

    @action("issue_documents", "Word文書を一括作成（ZIP）")
    def action_issue_documents(self, ids: Any) -> Any:
        if not self._may_issue():
            abort(403)
        try:
            pks = [int(i) for i in ids]
        except (TypeError, ValueError):
            abort(400)
        kind = self.document_kinds[0]
        records = self.get_query().filter(self.model.id.in_(pks)).order_by(self.model.id).all()
        if not records:
            flash("作成する記録を選んでください。", "error")
            return redirect(self.get_url(".index_view"))
        if len(records) > current_app.config["KYODO_BATCH_SYNC_LIMIT"]:
            return self._start_batch(kind, records)
        buffer = io.BytesIO()
        names: set[str] = set()
        try:
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for record in records:
                    issued = generate_document(self.session, kind, record,
                                               getattr(current_user, "id", None))
                    name = issued.document.filename
                    if name in names:
                        name = f"{record.id}_{name}"
                    names.add(name)
                    archive.writestr(name, issued.data)
            self.session.commit()
        except (KyodoError, SQLAlchemyError) as exc:
            self.session.rollback()
            flash(f"一括作成を中止しました（作成した文書は保存していません）: {_issue_failure(exc)}",
                  "error")
            return redirect(self.get_url(".index_view"))
        return file_response(buffer.getvalue(), f"{DOCUMENT_KINDS[kind]}_{len(records)}件.zip",
                             "application/zip")

    def _start_batch(self, kind: str, records: list[Any]) -> Any:
        """A long selection: render in the background and show the progress."""
        if len({r.city_id for r in records}) > 1:
            flash("件数の多い一括作成は、自治体ごとに記録を選んで行ってください。", "error")
            return redirect(self.get_url(".index_view"))
        batch = start_batch(self.session, kind, records, getattr(current_user, "id", None))
        run_in_background(current_app._get_current_object(),  # type: ignore[attr-defined]
                          batch.id, batch.city_id, current_actor())
        return redirect(self.get_url(".document_batch", id=batch.id))

    def _batch_or_404(self, id: int) -> Any:
        if not self._may_issue():
            abort(403)
        batch = self.session.execute(select(DocumentBatch).where(
            DocumentBatch.id == id, DocumentBatch.record_type == self.model.__tablename__)
        ).scalar_one_or_none()  # city-scoped by the session
        if batch is None:
            abort(404)
        return batch

    @expose("/batch/<int:id>")
    def document_batch(self, id: int) -> Any:
        batch = self._batch_or_404(id)
        return self.render("admin/document_batch.html", batch=batch, state=batch_state(batch),
                           kind_label=DOCUMENT_KINDS.get(batch.kind, batch.kind))

    @expose("/batch/<int:id>/status")
    def document_batch_status(self, id: int) -> Any:
        return jsonify(batch_state(self._batch_or_404(id)))

    @expose("/batch/<int:id>/zip")
    def document_batch_zip(self, id: int) -> Any:
        batch = self._batch_or_404(id)
        if batch_state(batch)["status"] != "done":
            flash("一括作成はまだ終わっていません。", "error")
            return redirect(self.get_url(".document_batch", id=id))
        return file_response(batch_zip(self.session, batch),
                             f"{DOCUMENT_KINDS.get(batch.kind, batch.kind)}_{batch.total}件.zip",
                             "application/zip")

    def is_action_allowed(self, name: str) -> bool:
        if name == "issue_documents":
            return self._may_issue()
        return super().is_action_allowed(name)

    @action("delete", "削除", "選択した記録を削除しますか？")
    def action_delete(self, ids: Any) -> None:
        """Bulk delete through ``get_query`` (city-scoped), one row at a time, with
        integer ids (Flask-Admin's own compares strings, which PostgreSQL refuses)."""
        try:
            pks = [int(i) for i in ids]
        except (TypeError, ValueError):
            flash("削除する記録の指定が正しくありません。", "error")
            return
        count = sum(1 for obj in self.get_query().filter(self.model.id.in_(pks)).all()
                    if self.delete_model(obj))
        if count:
            flash(f"{count}件の記録を削除しました。", "success")

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, KyodoError):
            flash(str(exc), "error")
        elif isinstance(exc, StaleDataError):
            flash(str(StaleRecord()), "error")
        elif isinstance(exc, IntegrityError):
            log.info("Integrity error in %s: %s", self.endpoint, exc)
            flash("入力内容が他の記録と重複しているか、関連する記録との整合性が取れないため保存できませんでした。"
                  "入力内容を確認してください。", "error")
        elif isinstance(exc, SQLAlchemyError):
            log.exception("Database error in %s", self.endpoint)
            flash("データベースの処理に失敗したため保存できませんでした。時間をおいて再度お試しください。", "error")
        else:
            log.exception("Error in %s", self.endpoint)
            flash("処理中にエラーが発生したため保存できませんでした。", "error")
        return True

    # -- export ----------------------------------------------------------------

    def get_export_value(self, model: Any, name: Any) -> Any:
        return neutralize_formula(super().get_export_value(model, name))

    def _export_csv(self, return_url: Any) -> Any:
        """CSV built while the request's session is open (Flask-Admin streams it after
        the session is gone, so lazy relationships fail), with a BOM so that Excel on
        Japanese Windows reads UTF-8, and formulas neutralised."""
        _count, rows = self._export_data()
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow([str(label) for _name, label in self._export_columns])
        for row in rows:
            writer.writerow(["" if (v := self.get_export_value(row, name)) is None else str(v)
                             for name, _label in self._export_columns])
        filename = f"{self.model.__tablename__}_{clock.local_now():%Y%m%d%H%M%S}.csv"
        return Response(out.getvalue(), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={filename}"})

    # -- display ---------------------------------------------------------------

    @staticmethod
    def yen(_view: Any, _context: Any, model: Any, name: str) -> Any:
        value = getattr(model, name, None)
        return "" if value is None else Markup("{:,}円").format(value)
