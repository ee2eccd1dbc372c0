"""The fields of a record's configured form (様式) in a model view, through the service
the public entrance uses too (``services/configured_forms.py``)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user
from markupsafe import Markup

from ... import tenancy
from ...formschema.forms import add_blank_rows, display_answers, prefill, remove_configured_fields
from ...services import configured_forms
from ...templating import render_template
from ...workflow.rights import may_edit_field


class ConfiguredFormMixin:
    """Opt-in after ``FormMixin`` for models with answers (``HasFormAnswers``)."""

    model: Any
    session: Any

    def _definition_for(self, obj: Any) -> Any:
        return configured_forms.definition_for(self.session, self.model, obj,
                                               tenancy.current_city_id())

    def _configured(self, form_class: Any, obj: Any, answers: dict[str, Any] | None) -> Any:
        definition = self._definition_for(obj)
        if obj is not None and not may_edit_field(current_user.role, obj, "answers"):
            definition = None  # answers locked in this state (a proposal under review)
        if definition is None:
            return self._form(form_class, obj)  # type: ignore[attr-defined]
        form = self._form(configured_forms.form_class(form_class, definition), obj)  # type: ignore[attr-defined]
        form._kyodo_definition = definition
        form._kyodo_kept_files = {k: v for k, v in (answers or {}).items() if isinstance(v, dict)}
        configured_forms.ask_once(form, definition)
        if request.method == "GET":
            if answers is not None:
                prefill(form, definition.schema, answers)
            add_blank_rows(form, definition.schema)
        return form

    def create_form(self, obj: Any = None) -> Any:
        form_class = self.form_class_for(self._create_form_class, None)  # type: ignore[attr-defined]
        return self._prefill(self._configured(form_class, obj, None))  # type: ignore[attr-defined]

    def edit_form(self, obj: Any = None) -> Any:
        form_class = self.form_class_for(self._edit_form_class, obj)  # type: ignore[attr-defined]
        return self._configured(form_class, obj, (obj.answers or {}) if obj is not None else {})

    def collect_extras(self, form: Any, model: Any) -> None:
        """Collect the configured answers and take their fields out of the form."""
        super().collect_extras(form, model)  # type: ignore[misc]
        definition = getattr(form, "_kyodo_definition", None)
        if definition is None:
            return
        previous = (model.answers or {}) if model is not None else {}
        form._kyodo_answers = configured_forms.take_answers(
            self.session, form, definition, previous, getattr(current_user, "id", None))
        form._kyodo_all_fields = dict(form._fields)  # shown again if the save is refused
        remove_configured_fields(form, definition.schema)

    def create_model(self, form: Any) -> Any:
        return self._keeping_answers(form, super().create_model(form))  # type: ignore[misc]

    def update_model(self, form: Any, model: Any) -> Any:
        return self._keeping_answers(form, super().update_model(form, model))  # type: ignore[misc]

    @staticmethod
    def _keeping_answers(form: Any, saved: Any) -> Any:
        """A save refused after the answers were taken (a rule checked as it is stored)
        shows the form again with every answer as typed."""
        every = getattr(form, "_kyodo_all_fields", None)
        if not saved and every is not None:
            form._fields = every
            for name, field in every.items():
                setattr(form, name, field)
        return saved

    def apply_extras(self, form: Any, model: Any) -> None:
        super().apply_extras(form, model)  # type: ignore[misc]
        definition = getattr(form, "_kyodo_definition", None)
        if definition is not None:
            configured_forms.apply_answers(self.session, model, definition, form._kyodo_answers)

    def _format_answers(self, _context: Any, model: Any, _name: str) -> Any:
        definition = model.form_definition
        if definition is None:
            return ""
        return Markup(render_template("kyodo/admin/answers.html", definition=definition,
                                      attachment_links=True,
                                      shown=display_answers(definition.schema,
                                                            model.answers or {})))
