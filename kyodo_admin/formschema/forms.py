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
from .types import REGISTRY, FieldDef

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
        field_type = REGISTRY[field["type"]]
        if field_type.conditionable:
            values[field["name"]] = field_type.to_answer(form[field_key(field["name"])].data, field)
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
    hidden = hidden_fields(form, form._kyodo_schema)
    for field in fields_of(form._kyodo_schema):
        if field["name"] in hidden:
            continue
        wt_field = form[field_key(field["name"])]
        problem = REGISTRY[field["type"]].missing(wt_field, field, kept.get(field["name"]))
        if problem:
            wt_field.errors = [*wt_field.errors, problem]
    return not any(f.errors for f in form)


def prefill(form: Any, schema: dict[str, Any], answers: dict[str, Any]) -> None:
    """Put stored answers into the form's configured fields (a GET of the edit screen)."""
    for field in fields_of(schema):
        if field["name"] in answers:
            REGISTRY[field["type"]].prefill(form[field_key(field["name"])],
                                            answers[field["name"]], field)


def add_blank_rows(form: Any, schema: dict[str, Any], count: int = 2) -> None:
    for field in fields_of(schema):
        REGISTRY[field["type"]].add_blank_rows(form[field_key(field["name"])], field, count)


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
        value = REGISTRY[field["type"]].collect(form[field_key(name)], field,
                                                previous.get(name), store_file)
        if value is not None:
            answers[name] = value
    return answers


def remove_configured_fields(form: Any, schema: dict[str, Any]) -> None:
    """Take the configured fields out before Flask-Admin copies the form onto the record."""
    for field in fields_of(schema):
        key = field_key(field["name"])
        if key in form:
            del form[key]


def written_examples(schema: dict[str, Any]) -> dict[str, Any]:
    """The stored answer of each item's 記入例 (``example:``), by item name (checked when the
    form is published; one that no longer reads is left out)."""
    found = {}
    for field in fields_of(schema):
        try:
            answer = REGISTRY[field["type"]].written_example(field)
        except ValueError:
            continue
        if answer is not None:
            found[field["name"]] = answer
    return found


def shown_examples(schema: dict[str, Any]) -> dict[str, str]:
    """Each item's 記入例 as the entrance shows it beside the item (300,000円, 令和9年4月)."""
    by_name = {f["name"]: f for f in fields_of(schema)}
    return {name: REGISTRY[by_name[name]["type"]].display(answer, by_name[name])
            for name, answer in written_examples(schema).items()}


def display_answers(schema: dict[str, Any], answers: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(section title, label, display text or rows) for every answered visible field."""
    by_name = {f["name"]: f for f in fields_of(schema)}
    shown: list[tuple[str, str, Any]] = []
    for section in schema.get("sections", []):
        for field in section.get("fields", []):
            if not is_visible(field, answers, by_name) or field["name"] not in answers:
                continue
            shown.append((section.get("title", ""), field["label"],
                          REGISTRY[field["type"]].shown(answers[field["name"]], field)))
    return shown
