"""Input hygiene shared by every form (back office and public entrance).

Control characters (U+0000–U+001F except tab and line breaks, and U+007F) are taken out of
every submitted text before validation: NUL is refused by PostgreSQL, and the others make a
.docx that Word cannot open (the renderer drops them too: ``documents.render.xml_safe``).
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import LazyString, lazy_gettext
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms.fields.core import UnboundField

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(text: str) -> str:
    return CONTROL.sub("", text)


def _plain_errors(field: Any) -> None:
    """A field's errors as text: a message given as ``lazy_gettext`` stays lazy in WTForms'
    error list, and templates (Flask-Admin's too) show only errors that are strings."""
    if hasattr(field, "entries"):  # FieldList
        for entry in field.entries:
            _plain_errors(entry)
    elif hasattr(field, "form") and hasattr(field.form, "_fields"):  # FormField
        for sub in field.form:
            _plain_errors(sub)
    elif isinstance(getattr(field, "errors", None), list):
        field.errors = [str(e) if isinstance(e, LazyString) else e for e in field.errors]


def _in_chosen_language(field: UnboundField) -> None:
    """A field's label and help written in Japanese in kyodo's code, through the catalog."""
    if field.args and isinstance(field.args[0], str):
        field.args = (lazy_gettext(field.args[0]), *field.args[1:])
    for key in ("label", "description"):
        if isinstance(field.kwargs.get(key), str) and field.kwargs[key]:
            field.kwargs[key] = lazy_gettext(field.kwargs[key])
    choices = field.kwargs.get("choices")
    if isinstance(choices, list) and all(isinstance(c, tuple) and len(c) == 2 for c in choices):
        field.kwargs["choices"] = [(value, lazy_gettext(label) if isinstance(label, str) and label
                                    else label) for value, label in choices]


class CleanForm(FlaskForm):
    """Flask-WTF's form (CSRF) whose submitted texts arrive without control characters,
    whose labels and errors are in the user's language (a city's own form items, added as
    ``answers__…``, keep their words)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in vars(cls).items():
            if isinstance(value, UnboundField) and not name.startswith("answers__"):
                _in_chosen_language(value)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        for field in self:
            _plain_errors(field)
        return bool(valid)

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            data = super().wrap_formdata(form, formdata)
            if data is None:
                return None
            cleaned: MultiDict[str, Any] = MultiDict()
            for key, value in data.items(multi=True):
                cleaned.add(key, strip_controls(value) if isinstance(value, str) else value)
            return cleaned
