"""Form definitions as data: validation, canonical form, YAML in and out, and diffs.

A definition is a dict::

    {"city": "kamakura", "kind": "basic_sheet", "title": "...", "form_number": "様式第1号",
     "sections": [{"title": "...", "fields": [{"name": ..., "label": ..., "type": ...}]}]}

``canonical`` gives every definition one spelling (key order, no empty keys),
so that export -> import -> export is byte-identical and "nothing changed" can
be detected by comparing dicts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import yaml
from flask_babel import gettext

from ..errors import DefinitionInvalid
from .types import REGISTRY, FieldDef

TOP_KEYS = ("city", "kind", "title", "form_number", "sections")
SECTION_KEYS = ("title", "fields")
#: Common field keys, in the order they are written.
FIELD_KEYS = ("name", "label", "type", "required", "internal", "help", "example", "default",
              "choices",
              "min_length", "max_length", "min", "max", "pattern", "max_size", "min_rows",
              "max_rows", "visible_if", "fills", "columns")
COMMON_KEYS = frozenset({"name", "label", "type", "required", "internal", "help", "example",
                         "default", "visible_if", "fills"})
#: Record columns a configured field may fill (``fills``), by form kind: the answer is the
#: one place the value is entered, and the record's own input for it is not shown.
#: column -> (label, field types that may fill it; a choice type needs ``equals``).
FILLABLE_COLUMNS: dict[str, dict[str, tuple[str, frozenset[str]]]] = {
    "basic_sheet": {
        "needs_budget": ("予算措置の必要", frozenset({"checkbox", "radio", "select"})),
        "budget_amount": ("予算規模", frozenset({"money", "integer"})),
    },
    "project_plan": {
        "purpose": ("目的", frozenset({"text", "textarea"})),
        "target": ("目標", frozenset({"text", "textarea"})),
        "content": ("事業内容", frozenset({"text", "textarea", "table"})),
        "schedule": ("スケジュール", frozenset({"text", "textarea", "table"})),
        "fiscal_year": ("年度", frozenset({"fiscal_year"})),
    },
}
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: Names a configured field may not take: real columns of records and form internals.
RESERVED_NAMES = frozenset({
    "id", "city", "city_id", "version", "answers", "status", "form_definition",
    "form_definition_id", "csrf_token", "loaded_version", "data", "errors", "meta",
    "populate_obj", "process", "validate", "created_at", "updated_at", "title", "fiscal_year",
})


@dataclass(frozen=True)
class Problem:
    """One problem in a definition: where (field name, YAML line) and what."""

    message: str
    field: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(gettext("%(line)s行目", line=self.line))
        if self.field:
            where.append(gettext("項目「%(field)s」", field=self.field))
        return f"{'・'.join(where)}: {self.message}" if where else self.message


class DefinitionProblems(DefinitionInvalid):
    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = problems
        head = f"{source}: " if source else ""
        super().__init__(head + "様式定義に誤りがあります。\n" + "\n".join(f"- {p}" for p in problems))


# -- YAML with line numbers --------------------------------------------------------

_LINE = "__line__"


class _LineLoader(yaml.SafeLoader):
    """Safe YAML loader that remembers the line of every mapping (1-based)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[_LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != _LINE}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def load_yaml(text: str, source: str = "") -> dict[str, Any]:
    """Parse, validate and canonicalise a YAML definition; raise DefinitionProblems."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise DefinitionProblems([Problem(gettext("YAMLの書式が正しくありません（%(reason)s）。", reason=reason),
                                          line=line)], source) from exc
    if not isinstance(data, dict):
        raise DefinitionProblems([Problem(gettext("YAMLの最上位は city, kind, sections などの"
                                          "キーを持つマッピングにしてください。"), line=1)], source)
    problems = check(data)
    if problems:
        raise DefinitionProblems(problems, source)
    return canonical(_strip_lines(data))


def dump_yaml(definition: dict[str, Any]) -> str:
    """The one YAML spelling of a definition (UTF-8 text, keys in a fixed order)."""
    return yaml.safe_dump(canonical(definition), allow_unicode=True, sort_keys=False,
                          default_flow_style=False, width=1000, indent=2)


# -- canonical form ------------------------------------------------------------------


def _canonical_field(field: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key in FIELD_KEYS:
        if key not in field:
            continue
        value = field[key]
        if value is None or value == "" or value == [] or (key in ("required", "internal")
                                                           and value is False):
            continue
        if key == "columns":
            value = [_canonical_field(c) for c in value]
        elif key == "visible_if":
            value = {k: value[k] for k in ("field", "equals", "in") if k in value}
        elif key == "fills" and isinstance(value, dict):
            value = {k: value[k] for k in ("column", "equals") if k in value}
        result[key] = value
    return result


def canonical(definition: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key in TOP_KEYS:
        if key == "sections":
            result["sections"] = [
                {"title": s.get("title", ""),
                 "fields": [_canonical_field(f) for f in s.get("fields") or []]}
                for s in definition.get("sections") or []
            ]
        elif definition.get(key) not in (None, ""):
            result[key] = definition[key]
    return result


def schema_of(definition: dict[str, Any]) -> dict[str, Any]:
    """What is stored on a FormDefinition row: the sections (city and kind are columns)."""
    return {"sections": canonical(definition)["sections"]}


def fields_of(schema: dict[str, Any]) -> list[FieldDef]:
    return [f for s in schema.get("sections", []) for f in s.get("fields", [])]


def fills_of(field: Mapping[str, Any]) -> tuple[str, Any] | None:
    """(column, value that means true) of a field's ``fills``; None when it fills nothing."""
    fills = field.get("fills")
    if isinstance(fills, str):
        return fills, None
    if isinstance(fills, dict) and isinstance(fills.get("column"), str):
        return fills["column"], fills.get("equals")
    return None


def filled_columns(schema: dict[str, Any]) -> set[str]:
    """The record columns the form's fields fill (their own inputs are not shown)."""
    return {f[0] for f in map(fills_of, fields_of(schema)) if f is not None}


def filled_values(schema: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The record columns' values from the answers: a choice equal to ``equals`` (or a ticked
    checkbox) is true; a number is taken as it is; an unanswered (hidden) field gives None,
    or False for a yes/no column."""
    values: dict[str, Any] = {}
    for field in fields_of(schema):
        fills = fills_of(field)
        if fills is None:
            continue
        column, equals = fills
        values[column] = REGISTRY[field["type"]].fills_value(answers.get(field["name"]), field,
                                                             equals)
    return values


def public_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without the fields marked ``internal`` (for public pages)."""
    sections = [{**s, "fields": [f for f in s.get("fields", []) if not f.get("internal")]}
                for s in schema.get("sections", [])]
    return {"sections": [s for s in sections if s["fields"]]}


# -- validation ----------------------------------------------------------------------


def _check_field(field: Any, names: set[str], problems: list[Problem], *, column: bool,
                 parent: str | None = None) -> None:
    line = field.get(_LINE) if isinstance(field, dict) else None
    if not isinstance(field, dict):
        problems.append(Problem(gettext("項目は name, label, type を持つマッピングにしてください。")))
        return
    name = field.get("name")
    label_name = f"{parent}.{name}" if parent else name
    if not isinstance(name, str) or not NAME_RE.match(name):
        problems.append(Problem(gettext("name は英小文字で始まる英小文字・数字・_ の40文字以内にしてください。"),
                                str(name) if name else None, line))
    elif not column and name in RESERVED_NAMES:
        problems.append(Problem(gettext("name「%(name)s」は予約語のため使えません。", name=name), name, line))
    elif name in names:
        problems.append(Problem(gettext("name「%(name)s」が重複しています。", name=name), label_name, line))
    else:
        names.add(name)
    if not isinstance(field.get("label"), str) or not field["label"].strip():
        problems.append(Problem(gettext("label（表示名）を指定してください。"), label_name, line))
    type_name = field.get("type")
    field_type = REGISTRY.get(type_name) if isinstance(type_name, str) else None
    if field_type is None:
        known = "、".join(REGISTRY)
        problems.append(Problem(gettext("type「%(type_name)s」は使えません（使える型: %(known)s）。", type_name=type_name, known=known),
                                label_name, line))
        return
    if column and not field_type.in_table:
        problems.append(Problem(gettext("表の列に type「%(type_name)s」は使えません。", type_name=type_name), label_name, line))
    if column and "fills" in field:
        problems.append(Problem(gettext("表の列には fills は使えません。"), label_name, line))
    unknown = set(field) - COMMON_KEYS - field_type.keys - {_LINE}
    if unknown:
        problems.append(Problem(gettext("type「%(type_name)s」では使えないキーがあります: %(v3)s", type_name=type_name, v3=', '.join(sorted(unknown))), label_name, line))
    for key in ("required", "internal"):
        if key in field and not isinstance(field[key], bool):
            problems.append(Problem(gettext("%(key)s は true か false で指定してください。", key=key), label_name, line))
    for key in ("min_length", "max_length", "min_rows", "max_rows", "max_size"):
        if key in field and (not isinstance(field[key], int) or field[key] < 0):
            problems.append(Problem(gettext("%(key)s は0以上の整数で指定してください。", key=key), label_name, line))
    checked = cast(FieldDef, field)  # its keys' types are checked above
    problems.extend(Problem(m, label_name, line) for m in field_type.check(checked))
    if field.get("example") not in (None, ""):  # 記入例: an answer the item would take
        try:
            field_type.written_example(checked)
        except ValueError as exc:
            problems.append(Problem(gettext("項目「%(v1)s」の記入例「%(v3)s」は、この項目の答えになりません（%(exc)s）。", v1=field.get('label', name), v3=field['example'], exc=exc), label_name, line))
    column_names: set[str] = set()
    for column_def in field_type.sub_fields(checked):
        _check_field(column_def, column_names, problems, column=True, parent=name)


def check(definition: dict[str, Any]) -> list[Problem]:
    """Every problem in a definition; an empty list means it can be stored."""
    problems: list[Problem] = []
    from ..models.form_definition import FORM_KINDS

    top_line = definition.get(_LINE)
    if definition.get("kind") not in FORM_KINDS:
        problems.append(Problem(gettext("kind は %(v1)s のいずれかにしてください。", v1=', '.join(FORM_KINDS)),
                                line=top_line))
    unknown = set(definition) - set(TOP_KEYS) - {_LINE}
    if unknown:
        problems.append(Problem(gettext("使えないキーがあります: %(v1)s", v1=', '.join(sorted(unknown))),
                                line=top_line))
    sections = definition.get("sections")
    if not isinstance(sections, list) or not sections:
        problems.append(Problem(gettext("sections に1つ以上のセクションを指定してください。"), line=top_line))
        return problems
    names: set[str] = set()
    fields: list[dict[str, Any]] = []  # as written, not checked yet
    for section in sections:
        if not isinstance(section, dict) or not isinstance(section.get("fields"), list):
            problems.append(Problem(gettext("セクションには title と fields（項目の一覧）を指定してください。"),
                                    line=section.get(_LINE) if isinstance(section, dict) else None))
            continue
        for field in section["fields"]:
            _check_field(field, names, problems, column=False)
            if isinstance(field, dict):
                fields.append(field)
    by_name = {f.get("name"): f for f in fields}
    for field in fields:
        condition = field.get("visible_if")
        if condition is None:
            continue
        line = field.get(_LINE)
        if not isinstance(condition, dict) or "field" not in condition or not (
                ("equals" in condition) ^ ("in" in condition)):
            problems.append(Problem(gettext("visible_if は field と equals（または in）で指定してください。"),
                                    field.get("name"), line))
            continue
        target = by_name.get(condition["field"])
        if target is None:
            problems.append(Problem(gettext("visible_if が存在しない項目「%(v1)s」を参照しています。", v1=condition['field']), field.get("name"), line))
        elif target is field:
            problems.append(Problem(gettext("visible_if で自分自身は参照できません。"), field.get("name"), line))
        elif target.get("type") in REGISTRY and not REGISTRY[target["type"]].conditionable:
            problems.append(Problem(gettext("visible_if で表やファイルの項目は参照できません。"),
                                    field.get("name"), line))
    _check_fills(definition.get("kind"), fields, problems)
    return problems


def _check_fills(kind: Any, fields: list[dict[str, Any]], problems: list[Problem]) -> None:
    fillable = FILLABLE_COLUMNS.get(kind, {}) if isinstance(kind, str) else {}
    filled: set[str] = set()
    for field in fields:
        if "fills" not in field:
            continue
        name, line, fills = field.get("name"), field.get(_LINE), fills_of(field)
        if fills is None or (isinstance(field["fills"], dict)
                             and set(field["fills"]) - {"column", "equals", _LINE}):
            problems.append(Problem(gettext("fills は記録の項目名、または column と equals で指定してください。"),
                                    name, line))
            continue
        column, equals = fills
        if column not in fillable:
            known = "、".join(f"{c}（{label}）" for c, (label, _t) in fillable.items()) or "なし"
            problems.append(Problem(gettext("fills の「%(column)s」はこの様式では使えません（使える項目: %(known)s）。", column=column, known=known),
                                    name, line))
            continue
        label, types = fillable[column]
        if field.get("type") not in types:
            problems.append(Problem(gettext("「%(label)s」（%(column)s）には type %(v5)s の項目だけが反映できます。", label=label, column=column, v5='・'.join(sorted(types))), name, line))
        elif REGISTRY[field["type"]].fills_by_choice and equals not in (field.get("choices") or []):
            problems.append(Problem(gettext("「%(label)s」に反映する選択肢を fills の equals に、選択肢のいずれかで指定してください。", label=label), name, line))
        elif not REGISTRY[field["type"]].fills_by_choice and equals is not None:
            problems.append(Problem(gettext("fills の equals は選択肢の項目でだけ使えます。"), name, line))
        if column in filled:
            problems.append(Problem(gettext("「%(label)s」（%(column)s）に反映する項目が複数あります。", label=label, column=column), name, line))
        filled.add(column)


def validate(definition: dict[str, Any], source: str = "") -> dict[str, Any]:
    """Check a definition (from the builder or a file) and return its canonical form."""
    problems = check(definition)
    if problems:
        raise DefinitionProblems(problems, source)
    return canonical(_strip_lines(definition))


# -- differences between two revisions ---------------------------------------------------


@dataclass(frozen=True)
class Change:
    kind: str  # "added", "removed", "changed"
    field: str
    label: str
    detail: str = ""


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Fields added, removed and changed (with which properties) from ``old`` to ``new``."""
    old_fields = {f["name"]: f for f in fields_of(old)}
    new_fields = {f["name"]: f for f in fields_of(new)}
    changes: list[Change] = []
    for name, field in new_fields.items():
        if name not in old_fields:
            changes.append(Change("added", name, field["label"]))
        elif field != old_fields[name]:
            keys = sorted(k for k in set(field) | set(old_fields[name])
                          if field.get(k) != old_fields[name].get(k))
            detail = "、".join(f"{k}: {old_fields[name].get(k)!r} → {field.get(k)!r}" for k in keys)
            changes.append(Change("changed", name, field["label"], detail))
    for name, field in old_fields.items():
        if name not in new_fields:
            changes.append(Change("removed", name, field["label"]))
    old_order = [n for n in old_fields if n in new_fields]
    new_order = [n for n in new_fields if n in old_fields]
    if old_order != new_order:
        changes.append(Change("changed", "", "項目の順序", "並び順が変わりました。"))
    return changes
