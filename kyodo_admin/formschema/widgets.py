"""HTML widgets for configured fields that WTForms has no widget for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .types import FieldDef

from flask_babel import gettext
from markupsafe import Markup, escape


def data_attributes(kwargs: dict[str, Any]) -> str:
    """The ``data-*`` attributes of a widget's keyword arguments (visible_if), escaped."""
    return "".join(f' {escape(k)}="{escape(v)}"' for k, v in kwargs.items()
                   if k.startswith("data-"))


class TableWidget:
    """A table field as an HTML table: one header row, one row of inputs per entry."""

    def __init__(self, field_def: FieldDef) -> None:
        self.columns = field_def.get("columns", [])
        self.label = str(field_def.get("label") or field_def.get("name") or "")
        from .types import max_rows_of

        self.max_rows = max_rows_of(field_def)
        self.required = bool(field_def.get("required"))

    def cell_label(self, column: Any) -> str:
        """A cell's accessible name with ``{n}`` for its row: 「収支予算 {n}行目 費目」."""
        return gettext("%(table)s {n}行目 %(column)s", table=self.label,
                       column=column.get("label", column["name"]))

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        star = '<span class="text-danger"> *</span>'
        head = "".join(f"<th>{escape(c['label'])}{star if c.get('required') else ''}</th>"
                       for c in self.columns)
        rows = []
        labels = {c["name"]: self.cell_label(c) for c in self.columns}
        for number, entry in enumerate(field, start=1):
            cells = []
            for column in self.columns:
                sub = entry.form[column["name"]]
                css = "form-control form-control-sm" + (" is-invalid" if sub.errors else "")
                # kyodo.js renumbers a copied row's names from data-cell-label.
                named = {"aria-label": labels[column["name"]].replace("{n}", str(number)),
                         "data-cell-label": labels[column["name"]]}
                if sub.errors:
                    named["aria-invalid"] = "true"
                widget = (sub(class_=css, **named) if sub.type != "BooleanField"
                          else sub(**named))
                errors = "".join(f'<div class="invalid-feedback">{escape(e)}</div>'
                                 for e in sub.errors)
                cells.append(f"<td>{widget}{errors}</td>")
            rows.append(f"<tr>{''.join(cells)}</tr>")
        limit = self.max_rows
        required = ' data-required="true"' if self.required else ""
        return Markup(
            f'<table class="table table-sm table-bordered kyodo-table" id="{escape(field.id)}" '
            f'data-max-rows="{limit}"{data_attributes(kwargs)}{required}>'
            f'<caption class="sr-only">{escape(self.label)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            # kyodo.js turns this into a working button; without scripts, saving adds rows.
            '<button type="button" class="btn btn-sm btn-outline-secondary kyodo-add-row" '
            f'data-table="{escape(field.id)}" hidden>{escape(gettext("＋ 行を追加"))}</button>'
            f'<small class="form-text text-muted">{escape(gettext("空欄の行は保存されません。"))}</small>'
        )


class InlineRadioWidget:
    """Radio buttons side by side (Bootstrap 4), ignoring the form-control class
    Flask-Admin gives every field."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.pop("class", None)
        kwargs.pop("class_", None)
        attrs = data_attributes(kwargs)
        # Required in the browser too; kyodo.js lifts it while the field is hidden.
        required = " required" if field.flags.required else ""
        options = []
        for index, (value, label, checked, _render_kw) in enumerate(field.iter_choices()):
            option_id = f"{field.id}-{index}"
            options.append(
                '<div class="form-check form-check-inline">'
                f'<input class="form-check-input" type="radio" name="{escape(field.name)}" '
                f'id="{escape(option_id)}" value="{escape(value)}"'
                f'{" checked" if checked else ""}{required}>'
                f'<label class="form-check-label" for="{escape(option_id)}">{escape(label)}</label>'
                "</div>"
            )
        return Markup(f'<div id="{escape(field.id)}"{attrs}>{"".join(options)}</div>')
