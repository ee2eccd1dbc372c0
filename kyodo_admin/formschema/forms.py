"""Definition -> WTForms: the configured fields of one form revision, built per request.

The field classes of a revision are built once and cached by (definition id,
definition version): a published revision never changes, and a draft's version
moves with each edit. They are added to whatever form the caller has (the
record's Flask-Admin form), under the prefix ``PREFIX`` so they never collide
with the record's real columns.

Visibility conditions (``visible_if``) are evaluated on the server: a hidden
field is neither required nor validated, and its answer is not stored.
"""

from __future__ import annotations

import functools
from typing import Any

from wtforms import Form
from wtforms.fields.core import UnboundField

from .definition import fields_of
from .types import REGISTRY, FieldDef, max_rows_of

PREFIX = "answers__"


def field_key(name: str) -> str:
    return PREFIX + name


@functools.lru_cache(maxsize=256)
def _unbound_fields(cache_key: tuple[Any, ...], schema_json: str) -> tuple[tuple[str, UnboundField], ...]:
    import json

    schema = json.loads(schema_json)
    built = []
    for field in fields_of(schema):
        unbound = REGISTRY[field["type"]].build(field)
        condition = field.get("visible_if")
        if condition:
            values = condition["in"] if "in" in condition else [condition["equals"]]
            unbound.kwargs["render_kw"] = {
                **(unbound.kwargs.get("render_kw") or {}),
                "data-visible-if-field": field_key(condition["field"]),
                "data-visible-if-values": json.dumps(values, ensure_ascii=False),
            }
        built.append((field_key(field["name"]), unbound))
    return tuple(built)


def unbound_fields(cache_key: tuple[Any, ...], schema: dict[str, Any]) -> tuple[tuple[str, UnboundField], ...]:
    """The WTForms fields of a schema, cached by ``cache_key`` (id and version of the row)."""
    import json

    return _unbound_fields(cache_key, json.dumps(schema, sort_keys=True, ensure_ascii=False))


def extend_form_class(base: type[Form], cache_key: tuple[Any, ...], schema: dict[str, Any]) -> type[Form]:
    """A subclass of ``base`` with the configured fields appended."""
    attrs: dict[str, Any] = dict(unbound_fields(cache_key, schema))
    attrs["_kyodo_schema"] = schema
    attrs["validate"] = _validate_with_visibility
    return type(f"{base.__name__}WithAnswers", (base,), attrs)


def is_visible(field: FieldDef, values: dict[str, Any], by_name: dict[str, FieldDef],
               seen: frozenset[str] = frozenset()) -> bool:
    """Whether a field is shown, given the answers of the fields it depends on."""
    condition = field.get("visible_if")
    if not condition:
        return True
    target_name = condition["field"]
    target = by_name.get(target_name)
    if target is None or target_name in seen:
        return False
    if not is_visible(target, values, by_name, seen | {field["name"]}):
        return False
    value = values.get(target_name)
    if "in" in condition:
        return value in condition["in"] or (isinstance(value, list)
                                            and any(v in condition["in"] for v in value))
    expected = condition["equals"]
    if isinstance(value, list):
        return expected in value
    return value == expected


def _current_values(form: Any, schema: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for field in fields_of(schema):
        if field["type"] in ("table", "file"):
            continue
        wt_field = form[field_key(field["name"])]
        values[field["name"]] = REGISTRY[field["type"]].to_answer(wt_field.data, field)
    return values


def hidden_fields(form: Any, schema: dict[str, Any]) -> set[str]:
    values = _current_values(form, schema)
    by_name = {f["name"]: f for f in fields_of(schema)}
    return {name for name, f in by_name.items() if not is_visible(f, values, by_name)}


def _validate_with_visibility(form: Any, extra_validators: Any = None) -> bool:
    """Validate the whole form, then forgive every error of a hidden configured field."""
    super(type(form), form).validate(extra_validators)
    for name in hidden_fields(form, form._kyodo_schema):
        form[field_key(name)].errors = []
    kept = getattr(form, "_kyodo_kept_files", {})
    for field in fields_of(form._kyodo_schema):
        if field["type"] == "file" and field.get("required") \
                and field["name"] not in hidden_fields(form, form._kyodo_schema):
            wt_field = form[field_key(field["name"])]
            if not _has_upload(wt_field) and not kept.get(field["name"]):
                wt_field.errors = [*wt_field.errors, "ファイルを添付してください。"]
    return not any(f.errors for f in form)


def _has_upload(wt_field: Any) -> bool:
    return bool(getattr(wt_field.data, "filename", ""))


def prefill(form: Any, schema: dict[str, Any], answers: dict[str, Any]) -> None:
    """Put stored answers into the form's configured fields (a GET of the edit screen)."""
    for field in fields_of(schema):
        if field["name"] not in answers:
            continue
        wt_field = form[field_key(field["name"])]
        value = REGISTRY[field["type"]].to_form(answers[field["name"]], field)
        if field["type"] == "table":
            while len(wt_field.entries):
                wt_field.pop_entry()
            for row in value:
                wt_field.append_entry(row)
        else:
            wt_field.data = value


def add_blank_rows(form: Any, schema: dict[str, Any], count: int = 2) -> None:
    for field in fields_of(schema):
        if field["type"] == "table":
            wt_field = form[field_key(field["name"])]
            for _ in range(count):
                if len(wt_field.entries) < max_rows_of(field):
                    wt_field.append_entry()


def collect_answers(form: Any, schema: dict[str, Any], previous: dict[str, Any],
                    store_file: Any = None) -> dict[str, Any]:
    """The answers to store: visible fields only, coerced by their type.

    ``store_file(field_def, file_storage) -> dict`` saves an uploaded attachment;
    a file field without a new upload keeps its previous attachment.
    """
    hidden = hidden_fields(form, schema)
    answers: dict[str, Any] = {}
    for field in fields_of(schema):
        name = field["name"]
        if name in hidden:
            continue
        wt_field = form[field_key(name)]
        if field["type"] == "file":
            if _has_upload(wt_field) and store_file is not None:
                value = store_file(field, wt_field.data)
            else:
                value = previous.get(name)
        else:
            value = REGISTRY[field["type"]].to_answer(wt_field.data, field)
        if value is not None:
            answers[name] = value
    return answers


def remove_configured_fields(form: Any, schema: dict[str, Any]) -> None:
    """Take the configured fields out before Flask-Admin copies the form onto the record."""
    for field in fields_of(schema):
        key = field_key(field["name"])
        if key in form:
            del form[key]


def display_answers(schema: dict[str, Any], answers: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(section title, label, display text or rows) for every answered visible field."""
    by_name = {f["name"]: f for f in fields_of(schema)}
    shown: list[tuple[str, str, Any]] = []
    for section in schema.get("sections", []):
        for field in section.get("fields", []):
            if not is_visible(field, answers, by_name) or field["name"] not in answers:
                continue
            value = answers[field["name"]]
            field_type = REGISTRY[field["type"]]
            if field["type"] == "file" and isinstance(value, dict):
                shown.append((section.get("title", ""), field["label"], {"file": value}))
            elif field["type"] == "table":
                rows = [[REGISTRY[c["type"]].display(row.get(c["name"]), c)
                         for c in field["columns"]] for row in value or []]
                shown.append((section.get("title", ""), field["label"],
                              {"columns": [c["label"] for c in field["columns"]], "rows": rows}))
            else:
                shown.append((section.get("title", ""), field["label"],
                              field_type.display(value, field)))
    return shown
