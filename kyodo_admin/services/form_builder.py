"""The form builder's operations on a draft definition.

Each edit is a pure function from a schema to a new schema; ``save_draft``
validates the result as a whole and stores it only when it is valid, so a bad
edit changes nothing. Publishing goes through ``publish_definition``, which
keeps revisions that records were filled against.
"""

from __future__ import annotations

import copy
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from ..errors import StaleRecord, ValidationFailed
from ..formschema.definition import fields_of, validate
from ..models.city import City
from ..models.form_definition import FORM_KINDS, FormDefinition
from ..sessions import Session
from .form_definitions import (
    PublishResult,
    _next_revision,
    as_definition,
    current_definition,
    publish_definition,
)

Schema = dict[str, Any]
EMPTY_SCHEMA: Schema = {"sections": [{"title": "基本事項", "fields": []}]}


def draft_of(session: Session, city_id: int, kind: str) -> FormDefinition | None:
    return session.execute(select(FormDefinition).where(
        FormDefinition.city_id == city_id, FormDefinition.kind == kind,
        FormDefinition.status == "draft")).scalar_one_or_none()


def start_draft(session: Session, city: City, kind: str, user_id: int | None) -> FormDefinition:
    """The draft of a kind, started from the current revision (or empty) when there is none."""
    if kind not in FORM_KINDS:
        raise ValidationFailed(gettext("様式の種類が正しくありません。"))
    draft = draft_of(session, city.id, kind)
    if draft is not None:
        return draft
    current = current_definition(session, city.id, kind)
    draft = FormDefinition(
        city=city, kind=kind, revision=_next_revision(session, city.id, kind), status="draft",
        title=current.title if current else FORM_KINDS[kind],
        form_number=current.form_number if current else "",
        schema=copy.deepcopy(current.schema) if current else copy.deepcopy(EMPTY_SCHEMA),
        created_by_id=user_id,
    )
    session.add(draft)
    session.flush()
    return draft


def check_version(draft: FormDefinition, loaded_version: Any) -> None:
    if str(loaded_version) != str(draft.version):
        raise StaleRecord(gettext("この下書きは、開いた後に他の利用者によって変更されました。"
                          "あなたの変更は保存されていません。画面を開き直してください。"))


def save_draft(session: Session, draft: FormDefinition, schema: Schema,
               title: str | None = None, form_number: str | None = None) -> None:
    """Validate the whole definition and store it; raise without changing anything."""
    city_slug = draft.city.slug if draft.city is not None else ""
    definition = validate({"city": city_slug, "kind": draft.kind,
                           "title": draft.title if title is None else title,
                           "form_number": draft.form_number if form_number is None else form_number,
                           "sections": schema.get("sections", [])})
    draft.schema = {"sections": definition["sections"]}
    draft.title = definition.get("title", "")
    draft.form_number = definition.get("form_number", "")
    session.flush()


def publish_draft(session: Session, draft: FormDefinition, user_id: int | None) -> PublishResult:
    city = draft.city
    definition = as_definition(draft, city.slug)
    session.delete(draft)
    session.flush()
    return publish_definition(session, city, definition, user_id)


def discard_draft(session: Session, draft: FormDefinition) -> None:
    session.delete(draft)
    session.flush()


# -- pure edits ------------------------------------------------------------------------


def _copy(schema: Schema) -> Schema:
    return copy.deepcopy(schema)


def _section(schema: Schema, index: int) -> dict[str, Any]:
    sections = schema.get("sections", [])
    if not 0 <= index < len(sections):
        raise ValidationFailed(gettext("セクションが見つかりません。画面を開き直してください。"))
    return sections[index]


def locate(schema: Schema, name: str) -> tuple[int, int]:
    for s_index, section in enumerate(schema.get("sections", [])):
        for f_index, field in enumerate(section.get("fields", [])):
            if field.get("name") == name:
                return s_index, f_index
    raise ValidationFailed(gettext("項目「%(name)s」が見つかりません。画面を開き直してください。", name=name))


def add_section(schema: Schema, title: str) -> Schema:
    result = _copy(schema)
    result.setdefault("sections", []).append({"title": title.strip() or "新しいセクション",
                                              "fields": []})
    return result


def rename_section(schema: Schema, index: int, title: str) -> Schema:
    result = _copy(schema)
    _section(result, index)["title"] = title.strip()
    return result


def remove_section(schema: Schema, index: int) -> Schema:
    result = _copy(schema)
    if _section(result, index)["fields"]:
        raise ValidationFailed(gettext("項目のあるセクションは削除できません。先に項目を移すか削除してください。"))
    del result["sections"][index]
    return result


def move_section(schema: Schema, index: int, step: int) -> Schema:
    result = _copy(schema)
    sections = result["sections"]
    _section(result, index)
    target = index + step
    if 0 <= target < len(sections):
        sections[index], sections[target] = sections[target], sections[index]
    return result


def add_field(schema: Schema, section_index: int, field: dict[str, Any]) -> Schema:
    result = _copy(schema)
    _section(result, section_index)["fields"].append(field)
    return result


def update_field(schema: Schema, name: str, field: dict[str, Any]) -> Schema:
    result = _copy(schema)
    s_index, f_index = locate(result, name)
    result["sections"][s_index]["fields"][f_index] = field
    if field.get("name") != name:  # keep conditions pointing at a renamed field
        for other in fields_of(result):
            condition = other.get("visible_if")
            if condition and condition.get("field") == name:
                condition["field"] = field["name"]
    return result


def remove_field(schema: Schema, name: str) -> Schema:
    result = _copy(schema)
    s_index, f_index = locate(result, name)
    del result["sections"][s_index]["fields"][f_index]
    return result


def move_field(schema: Schema, name: str, step: int) -> Schema:
    """Move a field up or down; past a section's edge it moves into the next section."""
    result = _copy(schema)
    s_index, f_index = locate(result, name)
    sections = result["sections"]
    fields = sections[s_index]["fields"]
    target = f_index + step
    if 0 <= target < len(fields):
        fields[f_index], fields[target] = fields[target], fields[f_index]
    elif target < 0 and s_index > 0:
        sections[s_index - 1]["fields"].append(fields.pop(f_index))
    elif target >= len(fields) and s_index < len(sections) - 1:
        sections[s_index + 1]["fields"].insert(0, fields.pop(f_index))
    return result
