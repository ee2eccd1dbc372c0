"""The base of every model view: Flask-Admin's ``ModelView`` made of the parts every view
needs (``mixins/``: access and city, forms and saving, export) and the display settings
shared by all. A view opts into the rest: ``ConfiguredFormMixin`` (a model with answers),
``WorkflowMixin`` (state buttons), ``DocumentsMixin`` (Word documents)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from flask_babel import lazy_gettext
from markupsafe import Markup

from .. import display
from ..clock import datetime_formatter
from ..models.base import HasFormAnswers, holds_every_word
from .fields import KyodoForm, KyodoModelConverter, generic_form_args
from .labels import COLUMN_LABELS
from .mixins import AccessMixin, ConfiguredFormMixin, ExportMixin, FormMixin
from .responses import KYODO_JS
from .search import RecordSearch, search_refs

ALWAYS_EXCLUDED = ("version", "created_at", "updated_at", "answers", "form_definition")


def _nendo_formatter(_view: Any, _context: Any, model: Any, name: str) -> str:
    value = getattr(model, name, None)
    return display.fiscal_year(value)


def wareki_formatter(_view: Any, value: dt.date, _name: str) -> str:
    return display.date(value)


def yes_no_formatter(_view: Any, value: bool, _name: str) -> str:
    return display.yes_no(value)


class KyodoModelView(AccessMixin, FormMixin, ExportMixin, ModelView):
    """Configuration lives in subclasses; behaviour lives in the mixins."""

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
    can_view_details = True
    export_types = ["csv", "xlsx"]
    details_template = "kyodo/admin/details.html"
    column_display_actions = True
    form_excluded_columns: Any = ()
    column_exclude_list: Any = ("version", "answers", "created_at")
    column_details_exclude_list: Any = ("version",)
    #: Shows and hides configured fields by their visibility conditions.
    extra_js = KYODO_JS

    #: Columns set by the system (workflow, derived values), never typed in a form.
    managed_columns: ClassVar[tuple[str, ...]] = ("status", "fiscal_year")
    #: Column -> {value: Japanese label} shown in lists, details and forms.
    choices: dict[str, dict[Any, Any]] = {}
    # Flask-Admin's own settings, read and rewritten in __init__.
    inline_models: Any
    column_formatters: Any
    column_formatters_detail: Any
    form_ajax_refs: Any
    #: The list column that links to the record (default: title, name, else the first).
    link_column: ClassVar[str | None] = None

    def __init__(self, model: type, session: Any, **kwargs: Any) -> None:
        if issubclass(model, HasFormAnswers) and not isinstance(self, ConfiguredFormMixin):
            raise TypeError(f"{type(self).__name__}: a model with answers needs ConfiguredFormMixin")
        # Choice labels (states, kinds, sides) go through the catalog: English when chosen.
        self.choices = {k: {a: lazy_gettext(b) for a, b in v.items()}
                        for k, v in (self.choices or {}).items()}
        own_labels = {k: lazy_gettext(v) if isinstance(v, str) else v
                      for k, v in (getattr(self, "column_labels", None) or {}).items()}
        self.column_labels = {**COLUMN_LABELS, **own_labels}
        self.form_excluded_columns = tuple(
            dict.fromkeys((*ALWAYS_EXCLUDED, *self.managed_columns, *self.form_excluded_columns))
        )
        self.form_args = generic_form_args(model, dict(getattr(self, "form_args", None) or {}))
        if self.inline_models:
            self.inline_models = [
                (inline, {"column_labels": COLUMN_LABELS, **opts,
                          "form_args": generic_form_args(inline, dict(opts.get("form_args") or {}))})
                for inline, opts in self.inline_models
            ]
        if self.choices:
            self.column_choices = {k: list(v.items()) for k, v in self.choices.items()}
            self.form_choices = {
                k: [(str(a), b) for a, b in v.items()] for k, v in self.choices.items()
            }
        if "fiscal_year" in model.__table__.columns:  # type: ignore[attr-defined]
            self.column_formatters = {"fiscal_year": _nendo_formatter,  # 令和8年度
                                      **(self.column_formatters or {})}
        # A parent from a table that grows is searched for, never listed whole.
        self.form_ajax_refs = {**search_refs(model, self.form_columns or ()),
                               **(self.form_ajax_refs or {})}
        kwargs.setdefault("name", getattr(model, "label", None) or model.__name__)
        # Exports give values as they are (1200000, 2026), not as screens show them.
        self.column_formatters_export = dict(getattr(self, "column_formatters_export", None) or {})
        self._link_first_column()
        super().__init__(model, session, **kwargs)
        if isinstance(self, ConfiguredFormMixin):
            self.column_formatters_detail = {**(self.column_formatters_detail or {}),
                                             "answers": lambda v, c, m, n: v._format_answers(c, m, n)}

    def _link_first_column(self) -> None:
        """The title or name (else the first column: a project…) links to the record's page."""
        names = [c for c in (self.column_list or ()) if c != "city"]
        if not names or not self.can_view_details:
            return
        first = self.link_column or next((c for c in ("title", "name") if c in names), names[0])
        shown = (self.column_formatters or {}).get(first)

        def link(view: Any, context: Any, model: Any, name: str) -> Any:
            text = shown(view, context, model, name) if shown else getattr(model, name, "")
            if not shown and name in view.choices:  # a kind or state: its label, not its code
                text = view.choices[name].get(text, text)
            return Markup('<a href="{}">{}</a>').format(
                view.get_url(".details_view", id=model.id), "" if text is None else text)

        if self.column_formatters_detail is None:  # the record's own page needs no link to itself
            self.column_formatters_detail = dict(self.column_formatters or {})
        self.column_formatters = {**(self.column_formatters or {}), first: link}

    def _apply_search(self, query: Any, count_query: Any, joins: Any, count_joins: Any,
                      search: str) -> Any:
        """Flask-Admin's search (every word in one of the searchable columns) over the folded
        text: 事業（第2期） finds 事業(第2期), ｶﾌｪ finds カフェ, either way round; a ``%`` typed
        is a ``%``."""
        columns, counted = [], []
        for field, path in self._search_fields or ():
            query, joins, alias = self._apply_path_joins(query, joins, path, inner_join=False)
            columns.append(field if alias is None else getattr(alias, field.key))
            if count_query is not None:
                count_query, count_joins, alias = self._apply_path_joins(
                    count_query, count_joins, path, inner_join=False)
                counted.append(field if alias is None else getattr(alias, field.key))
        query = query.filter(*holds_every_word(columns, search))
        if count_query is not None:
            count_query = count_query.filter(*holds_every_word(counted, search))
        return query, count_query, joins, count_joins

    def _create_ajax_loader(self, name: str, options: dict[str, Any]) -> Any:
        remote = getattr(self.model, name).property.mapper.class_
        return RecordSearch(name, self.session, remote, **options)

    def details_extra(self, record: Any) -> Any:
        """HTML shown under a record's details (agenda, scores, lineage…); None for none."""
        return None

    @staticmethod
    def yen(_view: Any, _context: Any, model: Any, name: str) -> Any:
        value = getattr(model, name, None)
        return display.amount(value)


class WrittenElsewhereView(KyodoModelView):
    """Rows not typed into a form (issued documents, attachments, form definitions, the
    audit trail, the outbox): no create or edit screen; deleting follows the role."""

    @property
    def can_create(self) -> bool:
        return False

    @property
    def can_edit(self) -> bool:
        return False


class ReadOnlyView(WrittenElsewhereView):
    """Rows the app writes itself (the audit trail, the outbox): nobody deletes them either."""

    @property
    def can_delete(self) -> bool:
        return False
