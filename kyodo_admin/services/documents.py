"""Issuing Word documents: template versions, test renders, generation and the archive.

Every issued document is archived in one row with its bytes (template revision,
record version, user, time, sha256), written in the caller's transaction: a
failure leaves neither a row without bytes nor bytes without a row.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select

from .. import clock
from ..display import in_japanese
from ..documents.checks import check_template
from ..documents.context import BUILDERS, build_context, printable
from ..documents.coverage import Coverage, coverage
from ..documents.limits import render_limited
from ..documents.printing import CURRENT, changed_by_rules, for_printing, modernized
from ..documents.render import RenderError, render, titled
from ..errors import ValidationFailed
from ..formschema.definition import fields_of
from ..formschema.types import REGISTRY
from ..models.city import City
from ..models.document import DOCUMENT_KINDS, DocumentTemplate, GeneratedDocument
from ..models.job import QueuedWork
from ..sessions import Session
from ..shipped import shipped
from .form_definitions import clean_filename
from .queued import MADE, handler

SHIPPED = shipped("doc_templates")


def rendered(template: DocumentTemplate, context: dict[str, Any]) -> bytes:
    """The template filled with ``context`` under the printing rules it was written for (a
    document, a preview, a trial before it is put in use: each prints as the others)."""
    return render_limited(template.content, for_printing(context, template.printing))


def active_template(session: Session, city_id: int, kind: str) -> DocumentTemplate | None:
    return session.execute(select(DocumentTemplate).where(
        DocumentTemplate.city_id == city_id, DocumentTemplate.kind == kind,
        DocumentTemplate.is_active.is_(True)).order_by(DocumentTemplate.revision.desc())
        .limit(1)).scalar_one_or_none()


def context_names(kind: str) -> set[str]:
    """Top-level placeholders a template of this kind may use."""
    return set(example_context(kind))


def example_record(session: Session, city_id: int | None, kind: str) -> Any:
    """The city's newest record of the kind (for a preview), or None."""
    model: Any = BUILDERS[kind][0]
    return session.execute(select(model).where(model.city_id == city_id, *printable(kind))
                           .order_by(model.id.desc()).limit(1)).scalar_one_or_none()


class AnyAnswers(dict[str, Any]):
    """Answers when no city is known (``kyodo templates check`` without --city): any field
    name is accepted and prints as empty."""

    def __missing__(self, key: str) -> str:
        return ""


def example_context(kind: str, definition: Any = None, any_answers: bool = False,
                    city: City | None = None, department: Any = None) -> dict[str, Any]:
    """The context of an example record (never saved) in ``city``, with answers to every
    field of ``definition`` (the city's current form of the kind)."""
    from ..documents.context import answers_for, form_info
    from ..documents.examples import example_answers, example_for

    context = build_context(kind, example_for(kind, city, department))
    context["answers"] = answers_for(definition, example_answers(definition))
    context["form"] = form_info(definition)
    if any_answers and definition is None:
        context["answers"] = AnyAnswers()
    return context


@in_japanese
def example_sheet(session: Session, city: City, definition: Any) -> bytes:
    """The city's 提案様式（記入例）: its basic sheet in its own Word format (the active
    template, else the starter of its form) filled with the form's 記入例, as cities publish
    beside their forms; items without one are left blank."""
    from ..documents.context import answers_for
    from ..documents.starter import starter
    from ..formschema.definition import filled_values
    from ..formschema.forms import written_examples

    examples = written_examples(definition.schema)
    context = example_context("basic_sheet", definition, city=city)
    context["answers"] = answers_for(definition, examples)
    title = f"{definition.title or '基本シート'}（記入例）"
    context["form"]["title"] = title  # its heading says it is the example
    for column, value in filled_values(definition.schema, examples).items():
        if column in context["proposal"]:  # an item filling the proposal's own (予算規模)
            context["proposal"][column] = value
    template = active_template(session, city.id, "basic_sheet")
    data = rendered(template, context) if template is not None else \
        render(starter("basic_sheet", definition.schema), context)
    return titled(data, title)


def city_example_context(session: Session, city_id: int | None, kind: str) -> dict[str, Any]:
    """The example context of the city: its name, addressee and settings, one of its
    departments, and answers to its current form of the kind."""
    from ..models.city import Department

    if city_id is None:
        return example_context(kind, any_answers=True)
    department = session.execute(select(Department).where(Department.city_id == city_id)
                                 .order_by(Department.id).limit(1)).scalar_one_or_none()
    return example_context(kind, form_of(session, city_id, kind),
                           city=session.get(City, city_id), department=department)


def form_of(session: Session, city_id: int, kind: str) -> Any:
    """The city's current form whose items a document of ``kind`` prints (None: no form)."""
    from ..documents.starter import FORM_OF
    from .form_definitions import current_definition

    form_kind = FORM_OF.get(kind)
    return current_definition(session, city_id, form_kind) if form_kind else None


def starter_template(session: Session, city_id: int, kind: str) -> tuple[bytes, str]:
    """The starter .docx (ひな形) of ``kind`` from the city's current form, and its name."""
    from ..documents.starter import starter

    if kind not in DOCUMENT_KINDS:
        raise ValidationFailed(gettext("文書の種類が正しくありません。"))
    definition = form_of(session, city_id, kind)
    data = starter(kind, definition.schema if definition is not None else None,
                   number=None if definition is not None else "")
    revision = f"_第{definition.revision}版" if definition is not None else ""
    return data, f"ひな形_{DOCUMENT_KINDS[kind]}{revision}.docx"


def check_upload(session: Session, data: bytes, kind: str, city_id: int | None) -> list[str]:
    """All problems of an uploaded template for ``kind``, including a test render with an
    example record filled against the city's current form."""
    if kind not in DOCUMENT_KINDS:
        return ["文書の種類が正しくありません。"]
    problems = check_template(data, context_names(kind))
    if problems:
        return problems
    try:
        render_limited(data, city_example_context(session, city_id, kind))
    except RenderError as exc:
        return [f"テスト作成に失敗しました: {exc}"]
    return []


@dataclass(frozen=True)
class KindCoverage:
    """A document kind of a city: its active template, the form it prints, what it leaves out."""

    kind: str
    template: DocumentTemplate | None
    definition: Any
    coverage: Coverage | None

    @property
    def label(self) -> str:
        return DOCUMENT_KINDS[self.kind]

    @property
    def unused_labels(self) -> list[str]:
        return [f["label"] for f in self.coverage.unused] if self.coverage else []

    @property
    def earlier_printing(self) -> list[Any]:
        """The yes/no items its template (of earlier printing rules) prints bare, as ☑/☐:
        the current rules would print はい/いいえ."""
        if self.template is None or self.definition is None:
            return []
        return changed_by_rules(self.template.content, self.template.printing,
                                [f for f in fields_of(self.definition.schema)
                                 if REGISTRY[f["type"]].yes_no])


def kind_coverage(session: Session, city_id: int, kind: str) -> KindCoverage:
    template = active_template(session, city_id, kind)
    definition = form_of(session, city_id, kind)
    result = coverage(template.content, definition.schema) \
        if template is not None and definition is not None else None
    return KindCoverage(kind, template, definition, result)


def city_coverage(session: Session, city_id: int) -> list[KindCoverage]:
    """Every document kind of the city, in the order of DOCUMENT_KINDS."""
    return [kind_coverage(session, city_id, kind) for kind in DOCUMENT_KINDS]


def unprinted_required(session: Session, city_id: int, kind: str, data: bytes) -> str | None:
    """A warning naming the required fields of the city's current form a template does not
    print, with the placeholder of each; None when it prints them all."""
    definition = form_of(session, city_id, kind)
    missing = [f for f in coverage(data, definition.schema).unused if f.get("required")] \
        if definition is not None else []
    if not missing:
        return None
    return (f"この版は、様式の必須項目「{'」「'.join(f['label'] for f in missing)}」を印字しません。"
            "印字する場合は、Wordに " + "、".join(f"{{{{ answers.{f['name']} }}}}" for f in missing)
            + " を書き加えてください（差込項目の一覧を参照）。")


def add_template(session: Session, city: City, kind: str, filename: str, data: bytes,
                 user_id: int | None = None, activate: bool = False) -> DocumentTemplate:
    """Store a checked template as the next revision of its kind."""
    problems = check_upload(session, data, kind, city.id)
    if problems:
        raise ValidationFailed("Word様式を登録できません。\n" + "\n".join(f"- {p}" for p in problems),
                               field="upload")
    top = session.execute(select(func.max(DocumentTemplate.revision)).where(
        DocumentTemplate.city_id == city.id, DocumentTemplate.kind == kind)).scalar() or 0
    template = DocumentTemplate(city=city, kind=kind, revision=top + 1,
                                filename=clean_filename(filename, f"{kind}.docx"),
                                content=data, sha256=hashlib.sha256(data).hexdigest(),
                                size=len(data), uploaded_by_id=user_id, printing=CURRENT)
    session.add(template)
    session.flush()
    if activate:
        activate_template(session, template)
    return template


@handler("template_upload")
def checked_upload(session: Session, work: QueuedWork) -> dict[str, Any]:
    """An uploaded template checked, test-rendered and stored by a worker (``add_template``);
    what the clerk is told: its revision, and what of the form it does not print."""
    city, data, params = work.city, work.content or b"", work.params
    template = add_template(session, city, params["kind"], params["filename"], data,
                            work.user_id)
    template.note = params.get("note", "")
    session.flush()
    return {"template_id": template.id, "revision": template.revision,
            "warning": unprinted_required(session, city.id, template.kind, data) or ""}


@handler("template_preview")
def preview_render(session: Session, work: QueuedWork) -> dict[str, Any]:
    """A test render of a registered template (not archived) by a worker: with the city's
    newest record of its kind, else an example record filled against the city's form."""
    template = session.get(DocumentTemplate, work.params["template_id"])
    if template is None:
        raise ValidationFailed(gettext("Word様式が見つかりません。削除された可能性があります。"))
    record = example_record(session, template.city_id, template.kind)
    context = (build_context(template.kind, record) if record is not None else
               city_example_context(session, template.city_id, template.kind))
    try:
        data = rendered(template, context)
    except RenderError as exc:
        raise ValidationFailed(gettext("プレビューを作成できません: %(exc)s", exc=exc)) from exc
    return {MADE: data, "download_name": f"プレビュー_{template.filename}"}


#: Records of each form version a template is tried on before it is put in use.
TRIED_PER_VERSION = 2


def trial_renders(session: Session, template: DocumentTemplate) -> list[str]:
    """What fails when the template renders the city's existing records of its kind: the
    newest of each form version in use (those filled before a form changed print with it
    too). Each failure names the record and the reason; none when all render."""
    model: Any = BUILDERS[template.kind][0]
    base = select(model).where(model.city_id == template.city_id, *printable(template.kind))
    stmts = [base]
    if hasattr(model, "form_definition_id"):  # the newest of each form version in use
        stmts = [base.where(model.form_definition_id.is_(None) if version is None
                            else model.form_definition_id == version)
                 for version in session.execute(select(model.form_definition_id).where(
                     model.city_id == template.city_id).distinct()).scalars()]
    failures = []
    for stmt in stmts:
        for record in session.execute(stmt.order_by(model.id.desc())
                                      .limit(TRIED_PER_VERSION)).scalars():
            try:
                rendered(template, build_context(template.kind, record))
            except RenderError as exc:
                failures.append(f"{record}（ID {record.id}）: {exc}")
    return failures


@handler("template_activate")
def checked_activation(session: Session, work: QueuedWork) -> dict[str, Any]:
    """Put a template in use once it renders the city's existing records (by a worker)."""
    template = session.get(DocumentTemplate, work.params["template_id"])
    if template is None:
        raise ValidationFailed(gettext("Word様式が見つかりません。削除された可能性があります。"))
    failures = trial_renders(session, template)
    if failures:
        raise ValidationFailed(
            f"{template}は、次の記録の文書を作成できないため、使用する版にしていません。"
            "Wordで直して新しい版を登録してください（今の版を使い続けます）。\n"
            + "\n".join(f"- {f}" for f in failures))
    activate_template(session, template)
    return {"label": str(template)}


def modernize_template(session: Session, template: DocumentTemplate,
                       user_id: int | None = None) -> DocumentTemplate:
    """A new revision of a template of earlier printing rules that prints the same under the
    current ones (``|checkbox`` on each bare yes/no), put in use in its place."""
    kind = kind_coverage(session, template.city_id, template.kind)
    names = [f["name"] for f in kind.earlier_printing] if kind.template is template else []
    data = modernized(template.content, names) if names else None
    if data is None:
        raise ValidationFailed(
            "自動では書き換えられませんでした。Wordで" + "、".join(
                f"{{{{ answers.{n} }}}} を {{{{ answers.{n}|checkbox }}}}" for n in names)
            + " に書き換えて、新しい版として登録してください。" if names else
            "書き換える差込項目はありません。")
    filename = template.filename.removesuffix(".docx") + "_印字規則更新.docx"
    created = add_template(session, template.city, template.kind, filename, data, user_id)
    created.note = f"第{template.revision}版の☑/☐の印字を |checkbox で引き継いだ版"
    activate_template(session, created)
    return created


def activate_template(session: Session, template: DocumentTemplate) -> None:
    for other in session.execute(select(DocumentTemplate).where(
            DocumentTemplate.city_id == template.city_id, DocumentTemplate.kind == template.kind,
            DocumentTemplate.is_active.is_(True))).scalars():
        other.is_active = False
    template.is_active = True
    session.flush()


def install_shipped_templates(session: Session, city: City, from_slug: str | None = None) -> int:
    """Load doc_templates/<slug>/<kind>.docx (the city's own, or those of the seed city
    ``from_slug``) for each kind the city has no template of yet."""
    added = 0
    for kind in DOCUMENT_KINDS:
        path = SHIPPED / (from_slug or city.slug) / f"{kind}.docx"
        if not path.exists():
            continue
        data = path.read_bytes()
        exists = session.execute(select(DocumentTemplate.id).where(
            DocumentTemplate.city_id == city.id, DocumentTemplate.kind == kind).limit(1)).first()
        if exists:
            continue
        template = DocumentTemplate(city=city, kind=kind, revision=1, filename=path.name,
                                    content=data, sha256=hashlib.sha256(data).hexdigest(),
                                    size=len(data), is_active=True)
        session.add(template)
        added += 1
    session.flush()
    return added


@dataclass(frozen=True)
class Issued:
    document: GeneratedDocument
    data: bytes


@dataclass(frozen=True)
class Rendered:
    """A rendered document not archived yet, with what the archive row records."""

    city_id: int
    kind: str
    template_id: int
    record_type: str
    record_id: int
    record_version: int | None
    filename: str
    data: bytes


def document_filename(kind: str, record: Any) -> str:
    label = re.sub(r'[\\/:*?"<>|\s]+', "_", str(record))[:60]
    return f"{DOCUMENT_KINDS[kind]}_{label}_{clock.today():%Y%m%d}.docx"


def pdf_name(filename: str) -> str:
    """The PDF's name for a Word file's (協定書_….docx → 協定書_….pdf)."""
    return filename.rsplit(".", 1)[0] + ".pdf"


def template_for(session: Session, city_id: int, kind: str) -> DocumentTemplate:
    template = active_template(session, city_id, kind)
    if template is None:
        raise ValidationFailed(gettext("「%(v1)s」のWord様式が登録されていません。設定 > Word様式 から登録してください。", v1=DOCUMENT_KINDS[kind]))
    return template


@in_japanese
def render_document(session: Session, kind: str, record: Any,
                    template: DocumentTemplate | None = None) -> Rendered:
    """Render the city's active template (or ``template``) for a record; nothing is written.
    A document prints in Japanese whichever language the user who issues it reads."""
    model: Any = BUILDERS[kind][0] if kind in BUILDERS else None
    if model is None or not isinstance(record, model):
        raise ValidationFailed(gettext("この記録からは、その種類の文書は作成できません。"))
    template = template or template_for(session, record.city_id, kind)
    try:
        data = rendered(template, build_context(kind, record))
    except RenderError as exc:
        missing = missing_parts(record)
        if missing:  # the record lacks what the template prints: say which to complete
            raise RenderError(f"{missing}（{exc}）") from exc
        raise
    return Rendered(city_id=record.city_id, kind=kind, template_id=template.id,
                    record_type=type(record).__tablename__, record_id=record.id,
                    record_version=getattr(record, "version", None),
                    filename=document_filename(kind, record),
                    data=titled(data, f"{DOCUMENT_KINDS[kind]}　{record}"[:200]))


def missing_parts(record: Any) -> str:
    """What the project a document is about still lacks (its partner, department or
    period), as a clerk completes it: which record, and where; "" when nothing is missing."""
    from ..models.project import Project

    project = record if isinstance(record, Project) else getattr(record, "project", None)
    if project is None:
        return ""
    lacking = [label for label, value in (
        ("協働の相手方（団体）", project.organization_id),
        ("担当課", project.department_id),
        ("事業期間", project.start_date and project.end_date)) if not value]
    if not lacking:
        return ""
    return (f"協働事業「{project.title}」に{'・'.join(lacking)}が登録されていません。"
            "協働事業の画面の「編集」で入力してから、もう一度作成してください")


def archive_document(session: Session, rendered: Rendered, user_id: int | None) -> GeneratedDocument:
    """The archive row with the bytes, in the caller's transaction (one unit of work)."""
    document = GeneratedDocument(
        city_id=rendered.city_id, kind=rendered.kind, template_id=rendered.template_id,
        record_type=rendered.record_type, record_id=rendered.record_id,
        record_version=rendered.record_version, filename=rendered.filename,
        content=rendered.data, sha256=hashlib.sha256(rendered.data).hexdigest(),
        size=len(rendered.data), created_by_id=user_id,
    )
    session.add(document)
    session.flush()
    return document


def generate_document(session: Session, kind: str, record: Any,
                      user_id: int | None) -> Issued:
    """Render the city's active template for a record and archive the result."""
    rendered = render_document(session, kind, record)
    return Issued(archive_document(session, rendered, user_id), rendered.data)
