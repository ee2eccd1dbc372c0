"""A model view's forms: input checks beyond the column types, the fields a create link
fills, and saving with the version the user loaded (no lost updates)."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import flash, request
from flask_admin.helpers import get_form_data
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import FieldList, HiddenField
from wtforms.fields.core import UnboundField

from ... import clock, permissions, tenancy
from ...errors import KyodoError, StaleRecord, ValidationFailed
from ...formschema.forms import PREFIX
from ...models.base import TenantScoped
from ...templating import KyodoTemplateWidget
from ...workflow.rights import EVERY, editable_fields, locked_reason, read_only_reason
from ..fields import BLANK_CHOICE, UNKNOWN_CHOICE, unknown_choice


class FormMixin:
    model: Any
    session: Any
    column_labels: Any

    #: (start, end) column pairs where end may not come before start.
    date_ranges: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: Columns whose value must be unique within one city.
    unique_in_city: ClassVar[tuple[str, ...]] = ()
    #: Fields a create link may fill from its query (``/new/?project=3&side=city``): the
    #: parent record of a button on the parent's page. Relations are looked up in the city.
    prefill_from_args: ClassVar[tuple[str, ...]] = ()

    # -- checks ------------------------------------------------------------------

    def validate_form(self, form: Any) -> bool:
        valid = super().validate_form(form)  # type: ignore[misc]
        if not valid or request.method != "POST":
            return bool(valid)
        for field in form:
            if unknown_choice(field):
                field.errors = [*field.errors, gettext(UNKNOWN_CHOICE)]
                valid = False
        for start, end in self.date_ranges:
            # A date the record's state keeps out of the form still bounds the other.
            first = form[start].data if start in form else getattr(form._obj, start, None)
            if end in form and first and form[end].data and form[end].data < first:
                form[end].errors = [*form[end].errors,
                                    f"{self.column_labels.get(end, end)}は"
                                    f"{self.column_labels.get(start, start)}以降の日付にしてください。"]
                valid = False
        for name in self.unique_in_city:
            if name in form and form[name].data and self._taken_in_city(form, name):
                form[name].errors = [*form[name].errors,
                                     f"同じ{self.column_labels.get(name, name)}の記録が既にあります。"]
                valid = False
        return bool(valid)

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

    # -- building the form ---------------------------------------------------------

    def scaffold_form(self) -> Any:
        form_class = super().scaffold_form()  # type: ignore[misc]
        if hasattr(self.model, "version"):
            form_class.loaded_version = HiddenField()
        return form_class

    def scaffold_inline_form_models(self, form_class: Any) -> Any:
        """Flask-Admin's inline lists (indicators, role and cost rows) drawn in kyodo's
        environment: their rows in kyodo's ``inline_list_base.html``."""
        form_class = super().scaffold_inline_form_models(form_class)  # type: ignore[misc]
        for unbound in list(vars(form_class).values()):
            if isinstance(unbound, UnboundField) and issubclass(unbound.field_class, FieldList):
                unbound.kwargs["widget"] = KyodoTemplateWidget(
                    unbound.field_class.widget.template)
        return form_class

    def form_class_for(self, form_class: Any, obj: Any) -> Any:
        """The form class for this record: a view adds per-record fields here (a report's
        indicators); configured fields are added after."""
        return form_class

    def _adapt_form(self, form: Any, obj: Any = None) -> Any:
        if "city" in form and not permissions.is_system_admin(current_user):
            del form["city"]
        for field in form:
            if getattr(field, "blank_text", None) == "":
                field.blank_text = BLANK_CHOICE
        if "loaded_version" in form and request.method == "GET":
            form.loaded_version.data = getattr(obj, "version", None) or ""
        if obj is not None:
            self._offer_editable_fields(form, obj)
        return form

    def _offer_editable_fields(self, form: Any, obj: Any) -> None:
        """Only the fields the record's state lets this user edit (``workflow/rights.py``):
        the others are not in the form, so a posted value for them changes nothing."""
        fields = editable_fields(current_user.role, obj)
        if fields is EVERY:
            return
        kept = {*fields, "csrf_token", "loaded_version"}
        for field in list(form):
            configured = field.name.startswith(PREFIX) and "answers" in fields
            if field.name not in kept and not configured:
                del form[field.name]
        reason = locked_reason(current_user.role, obj)
        if reason and request.method == "GET":
            flash(reason, "info")

    def _form(self, form_class: Any, obj: Any) -> Any:
        return self._adapt_form(form_class(get_form_data(), obj=obj), obj)

    def create_form(self, obj: Any = None) -> Any:
        return self._prefill(self._form(self.form_class_for(self._create_form_class, None), obj))  # type: ignore[attr-defined]

    def edit_form(self, obj: Any = None) -> Any:
        return self._form(self.form_class_for(self._edit_form_class, obj), obj)  # type: ignore[attr-defined]

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

    # -- saving --------------------------------------------------------------------

    def collect_extras(self, form: Any, model: Any) -> None:
        """Take what the form holds besides the model's columns (configured answers) before
        Flask-Admin populates the model; a ``KyodoError`` refuses the save with its message."""

    def apply_extras(self, form: Any, model: Any) -> None:
        """Put what ``collect_extras`` took on the populated model."""

    def create_model(self, form: Any) -> Any:
        if "loaded_version" in form:
            del form["loaded_version"]
        if not self._collect_or_flash(form, None):
            return False
        return super().create_model(form)  # type: ignore[misc]

    def update_model(self, form: Any, model: Any) -> bool:
        if "loaded_version" in form:
            loaded = (form.loaded_version.data or "").strip()
            if loaded != str(model.version):
                flash(str(StaleRecord()), "error")
                return False
            del form["loaded_version"]
        if not self._collect_or_flash(form, model):
            return False
        # Touch the row so its version moves even when only inline rows changed.
        if hasattr(model, "updated_at"):
            model.updated_at = clock.now()
        return bool(super().update_model(form, model))  # type: ignore[misc]

    def _collect_or_flash(self, form: Any, model: Any) -> bool:
        try:
            self.collect_extras(form, model)
        except KyodoError as exc:
            self.session.rollback()
            flash(str(exc), "error")
            return False
        return True

    def _on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        reason = read_only_reason(model, current_user.role)  # e.g. a row added to a signed agreement
        if reason:
            raise ValidationFailed(reason)
        self.apply_extras(form, model)
        super()._on_model_change(form, model, is_created)  # type: ignore[misc]
