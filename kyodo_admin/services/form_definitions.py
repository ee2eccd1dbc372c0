"""Form definitions: publishing revisions, drafts for the builder, YAML import/export.

The rule that keeps old records intact: a revision that records were filled
against never changes. Publishing a changed definition updates the current
revision in place only while no record uses it; otherwise it becomes a new
revision and the old one is retired (kept, so old records show and print as
they were filled).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext
from sqlalchemy import exists, func, select, update

from .. import clock
from ..errors import DefinitionInvalid
from ..formschema.definition import (
    DefinitionProblems,
    Problem,
    canonical,
    dump_yaml,
    load_yaml,
    schema_of,
    validate,
)
from ..models.base import HasFormAnswers
from ..models.city import City
from ..models.document import Attachment
from ..models.form_definition import FORM_KINDS, FormDefinition
from ..sessions import Session


def record_models() -> dict[str, type[HasFormAnswers]]:
    """Kind -> the model whose records are filled against that kind of form."""
    from .. import models  # noqa: F401 - every model is registered

    found: dict[str, type[HasFormAnswers]] = {}
    stack = list(HasFormAnswers.__subclasses__())
    while stack:
        cls = stack.pop()
        if getattr(cls, "__tablename__", None) and getattr(cls, "form_kind", None):
            found[cls.form_kind] = cls
        stack.extend(cls.__subclasses__())
    return found


def current_definition(session: Session, city_id: int | None, kind: str) -> FormDefinition | None:
    """The revision new records of this kind are filled against."""
    stmt = (select(FormDefinition)
            .where(FormDefinition.kind == kind, FormDefinition.status == "published")
            .order_by(FormDefinition.revision.desc()).limit(1))
    if city_id is not None:
        stmt = stmt.where(FormDefinition.city_id == city_id)
    return session.execute(stmt).scalar_one_or_none()


def is_used(session: Session, definition: FormDefinition) -> bool:
    model = record_models().get(definition.kind)
    if model is None or definition.id is None:
        return False
    return bool(session.execute(select(exists().where(
        model.form_definition_id == definition.id))).scalar())


def records_using(session: Session, definition: FormDefinition) -> int:
    model = record_models().get(definition.kind)
    if model is None:
        return 0
    return session.execute(select(func.count()).select_from(model).where(
        model.form_definition_id == definition.id)).scalar_one()


def _next_revision(session: Session, city_id: int, kind: str) -> int:
    top = session.execute(select(func.max(FormDefinition.revision)).where(
        FormDefinition.city_id == city_id, FormDefinition.kind == kind)).scalar()
    return (top or 0) + 1


@dataclass(frozen=True)
class PublishResult:
    definition: FormDefinition
    outcome: str  # "unchanged", "updated" (in place, unused), "created" (new revision)


def publish_definition(session: Session, city: City, definition: dict[str, Any],
                       user_id: int | None = None) -> PublishResult:
    """Publish a (validated) definition for its kind in ``city``."""
    definition = validate({**definition, "city": city.slug})
    kind = definition["kind"]
    schema = schema_of(definition)
    title, form_number = definition.get("title", ""), definition.get("form_number", "")
    current = current_definition(session, city.id, kind)
    now = clock.now()
    if current is not None and current.schema == schema and current.title == title \
            and current.form_number == form_number:
        return PublishResult(current, "unchanged")
    if current is not None and not is_used(session, current):
        current.schema, current.title, current.form_number = schema, title, form_number
        current.published_at = now
        session.flush()
        return PublishResult(current, "updated")
    created = FormDefinition(
        city=city, kind=kind, revision=_next_revision(session, city.id, kind), title=title,
        form_number=form_number, status="published", schema=schema, published_at=now,
        created_by_id=user_id,
    )
    session.add(created)
    if current is not None:
        current.status = "retired"
    session.flush()
    return PublishResult(created, "created")


def as_definition(row: FormDefinition, city_slug: str) -> dict[str, Any]:
    return canonical({"city": city_slug, "kind": row.kind, "title": row.title,
                      "form_number": row.form_number, "sections": row.schema.get("sections", [])})


# -- files ------------------------------------------------------------------------------


def read_definition_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionProblems([Problem(f"ファイルを読めません（{exc}）。")], str(path)) from exc
    return load_yaml(text, str(path))


def import_files(session: Session, paths: list[Path], user_id: int | None = None
                 ) -> list[tuple[Path, PublishResult]]:
    """Import definition files, all or nothing: any problem in any file changes nothing."""
    parsed: list[tuple[Path, dict[str, Any]]] = []
    messages: list[str] = []
    for path in paths:
        try:
            parsed.append((path, read_definition_file(path)))
        except DefinitionInvalid as exc:
            messages.append(str(exc))
    cities: dict[str, City] = {}
    for path, definition in parsed:
        slug = definition.get("city")
        city = session.execute(select(City).where(City.slug == slug)).scalar_one_or_none()
        if city is None:
            messages.append(f"{path}: 自治体「{slug}」が見つかりません（city に slug を指定してください）。")
        else:
            cities[str(path)] = city
    if messages:
        raise DefinitionInvalid("\n".join(messages))
    return [(path, publish_definition(session, cities[str(path)], definition, user_id))
            for path, definition in parsed]


def export_city(session: Session, city: City, out_dir: Path) -> list[Path]:
    """Write ``<kind>.yaml`` for every kind the city has a published definition of."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in FORM_KINDS:
        current = current_definition(session, city.id, kind)
        if current is None:
            continue
        path = out_dir / f"{kind}.yaml"
        path.write_text(dump_yaml(as_definition(current, city.slug)), encoding="utf-8")
        written.append(path)
    return written


# -- attachments ---------------------------------------------------------------------------

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def link_attachments(session: Session, record: Any) -> None:
    """Name the record on the attachments its answers hold (the list shows whose each is)."""
    ids = [v["attachment_id"] for v in (record.answers or {}).values()
           if isinstance(v, dict) and isinstance(v.get("attachment_id"), int)]
    if not ids:
        return
    if record.id is None:
        session.flush()
    session.execute(update(Attachment).where(Attachment.id.in_(ids), Attachment.record_id.is_(None))
                    .values(record_type=type(record).__tablename__, record_id=record.id))


def clean_filename(name: str | None, default: str = "file") -> str:
    """An uploaded file's name without its folders, control and invisible format characters
    (U+202E would show 「evil\u202Efdp.exe」 as 「evilexe.pdf」), at most 200 characters."""
    base = Path(name or "").name
    kept = "".join(c for c in base if unicodedata.category(c) not in ("Cc", "Cf"))
    return (kept.strip() or default)[-200:]


def store_attachment(session: Session, upload: Any, max_size: int | None = None,
                     user_id: int | None = None) -> dict[str, Any]:
    """Save an uploaded file; returns the answer value that points at it."""
    from ..errors import ValidationFailed

    limit = max_size or MAX_ATTACHMENT_BYTES
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed(gettext("添付ファイルが大きすぎます（%(v1)sMBまで）。", v1=limit // 1024 // 1024))
    filename = clean_filename(upload.filename)
    attachment = Attachment(filename=filename, content=data, size=len(data),
                            content_type=(upload.mimetype or "application/octet-stream")[:100],
                            sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=user_id)
    session.add(attachment)
    session.flush()
    return {"attachment_id": attachment.id, "filename": filename, "size": len(data)}
