"""Form definitions, Word templates, the archive of issued documents, the audit trail."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from flask_wtf.file import FileField
from markupsafe import Markup

from .. import permissions, tenancy
from ..documents.context import placeholders
from ..documents.examples import formatted, printed
from ..documents.pdf import available as pdf_available
from ..errors import KyodoError
from ..formschema.definition import fields_of
from ..models.audit import AUDIT_ACTIONS
from ..models.base import Base
from ..models.city import City
from ..models.document import DOCUMENT_KINDS, DocumentTemplate
from ..models.form_definition import FORM_KINDS, FORM_STATES
from ..models.job import QueuedWork
from ..services.batches import archived_pdf
from ..services.documents import (
    active_template,
    add_template,
    city_coverage,
    city_example_context,
    form_of,
    modernize_template,
    starter_template,
)
from ..services.queued import start
from .base import KyodoModelView, ReadOnlyView, WrittenElsewhereView
from .mixins.documents import BatchPagesMixin
from .responses import DOCX_MIMETYPE, file_response, record_link
from .work import finisher

MAX_TEMPLATE_BYTES = 10 * 1024 * 1024


class FormDefinitionView(WrittenElsewhereView):
    column_list = ("city", "kind", "revision", "title", "form_number", "status", "published_at")
    column_filters = ("kind", "status")
    column_sortable_list = ("kind", "revision", "published_at")
    choices = {"kind": FORM_KINDS, "status": FORM_STATES}
    column_details_exclude_list = ("version",)

    # Definitions change only through the form builder and the import, which keep
    # the revisions that records were filled against.


class DocumentTemplateView(KyodoModelView):
    """Word templates: uploads are checked and test-rendered, then activated per kind."""

    column_list = ("city", "kind", "revision", "filename", "size", "is_active", "created_at")
    column_filters = ("kind", "is_active")
    column_sortable_list = ("kind", "revision", "created_at")
    column_details_exclude_list = ("version", "content")
    column_export_exclude_list = ("content",)
    column_formatters = {
        "filename": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            v.get_url(".download", id=m.id), m.filename),
    }
    form_columns = ("kind", "upload", "note")
    form_extra_fields = {"upload": FileField("Word様式ファイル（.docx）")}
    choices = {"kind": DOCUMENT_KINDS}
    list_template = "kyodo/admin/document_template_list.html"

    @property
    def can_edit(self) -> bool:
        return False  # a registered revision never changes; upload a new one

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        """The upload form; a sent file is checked and test-rendered by a worker, on a page
        that follows it (``create_model`` queues it)."""
        response = super().create_view()
        token = g.pop("kyodo_queued_work", None)
        return redirect(url_for("work.page", token=token)) if token else response

    def create_model(self, form: Any) -> Any:
        upload = form.upload.data
        if not upload or not getattr(upload, "filename", ""):
            flash(gettext("Word様式ファイル（.docx）を指定してください。"), "error")
            return False
        city_id = tenancy.current_city_id()
        if city_id is None:
            flash(gettext("自治体の管理者としてログインして登録してください。"), "error")
            return False
        g.kyodo_queued_work = start(
            self.session, "template_upload", city_id, getattr(current_user, "id", None),
            {"kind": form.kind.data, "filename": upload.filename, "note": form.note.data or "",
             "back_url": self.get_url(".create_view"), "back_label": "別のファイルを登録する"},
            upload.read(MAX_TEMPLATE_BYTES + 1))
        return False  # nothing made yet: the work's page follows it

    @action("activate", lazy_gettext("使用する版にする"),
            lazy_gettext("選択した版を、この種類の文書の作成に使いますか？"))
    def action_activate(self, ids: Any) -> Any:
        try:
            pks = [int(i) for i in ids]
        except (TypeError, ValueError):
            abort(400)
        if len(pks) != 1:
            flash(gettext("使用する版を1つだけ選んでください。"), "error")
            return
        template = self.get_query().filter(DocumentTemplate.id == pks[0]).one_or_none()
        if template is None:
            abort(404)
        # tried on the city's records first, by a worker (each render takes a moment)
        return self._by_worker("template_activate", template)

    def _by_worker(self, job: str, template: DocumentTemplate) -> Any:
        """Hand work on a template to a worker; its page follows it."""
        token = start(self.session, job, template.city_id, getattr(current_user, "id", None),
                      {"template_id": template.id, "back_url": self.get_url(".index_view"),
                       "back_label": "Word様式の一覧に戻る"})
        return redirect(url_for("work.page", token=token))

    def is_action_allowed(self, name: str) -> bool:
        if name == "activate":
            return permissions.can_create(current_user, DocumentTemplate)
        return super().is_action_allowed(name)

    @expose("/")
    def index_view(self) -> Any:
        """The list, under the table of each kind: its template in use and the items of the
        city's form it does not print, with the starter (ひな形) to download."""
        city_id = tenancy.current_city_id()
        self._template_args["coverage"] = city_coverage(self.session, city_id) \
            if city_id is not None else []
        return super().index_view()

    @expose("/modernize/<int:id>", methods=("POST",))
    def modernize(self, id: int) -> Any:
        """The template in use, rewritten to print the same under the current printing rules
        (``|checkbox`` on each bare yes/no), as a new revision put in use."""
        if not permissions.can_create(current_user, DocumentTemplate):
            abort(403)
        template = self.get_one(str(id))  # scoped to the city; 404 otherwise
        if template is None:
            abort(404)
        try:
            created = modernize_template(self.session, template, getattr(current_user, "id", None))
            self.session.commit()
        except KyodoError as exc:
            self.session.rollback()
            flash(str(exc), "error")
        else:
            flash(gettext("第%(revision)s版として登録し、使用する版にしました（☑／☐ の印字はそのままです）。", revision=created.revision),
                  "success")
        return redirect(self.get_url(".index_view"))

    @expose("/use_starter/<kind>", methods=("POST",))
    def use_starter(self, kind: str) -> Any:
        """A kind the city has no template of (a document added by an upgrade): its starter,
        made from the city's current form, registered and put in use, to be replaced by the
        city's own format whenever it likes."""
        city_id = tenancy.current_city_id()
        if kind not in DOCUMENT_KINDS or city_id is None:
            abort(404)
        if not permissions.can_create(current_user, DocumentTemplate):
            abort(403)
        if active_template(self.session, city_id, kind) is not None:
            flash(gettext("「%(v1)s」には使用中の版があります。", v1=DOCUMENT_KINDS[kind]), "error")
            return redirect(self.get_url(".index_view"))
        try:
            data, filename = starter_template(self.session, city_id, kind)
            created = add_template(self.session, self.session.get(City, city_id), kind, filename,
                                   data, getattr(current_user, "id", None), activate=True)
            self.session.commit()
        except KyodoError as exc:
            self.session.rollback()
            flash(str(exc), "error")
        else:
            flash(gettext("「%(v1)s」のひな形を第%(revision)s版として登録し、使用する版にしました。自治体の様式に合わせるときは、ひな形をWordで直して登録してください。", v1=DOCUMENT_KINDS[kind], revision=created.revision),
                  "success")
        return redirect(self.get_url(".index_view"))

    @expose("/starter/<kind>")
    def starter(self, kind: str) -> Response:
        """The starter template of a kind made from the city's current form."""
        city_id = tenancy.current_city_id()
        if kind not in DOCUMENT_KINDS or city_id is None:
            abort(404)
        data, filename = starter_template(self.session, city_id, kind)
        return file_response(data, filename)

    @expose("/download/<int:id>")
    def download(self, id: int) -> Response:
        template = self.get_one(str(id))
        return file_response(template.content, template.filename)

    @expose("/preview/<int:id>")
    def preview(self, id: int) -> Any:
        """A test render with the city's newest record of the kind (not archived), made by a
        worker; its page downloads it."""
        template = self.get_one(str(id))  # scoped to the city; 404 otherwise
        if template is None:
            abort(404)
        return self._by_worker("template_preview", template)

    @expose("/placeholders/")
    def placeholders_view(self) -> str:
        """Every placeholder of a kind with its example as printed, the item label of each
        answer and the filter that prints it in Japanese form (令和8年4月1日, 1,200,000円, ☑)."""
        kind = request.args.get("kind") or "agreement"
        if kind not in DOCUMENT_KINDS:
            abort(404)
        city_id = tenancy.current_city_id()
        definition = form_of(self.session, city_id, kind) if city_id is not None else None
        labels = {f"answers.{f['name']}": f["label"]
                  for f in (fields_of(definition.schema) if definition is not None else [])}
        rows = [(name, labels.get(name, ""), printed(value), formatted(name, value))
                for name, value in placeholders(city_example_context(self.session, city_id, kind))]
        return self.render("kyodo/admin/placeholders.html", kind=kind, kinds=DOCUMENT_KINDS, rows=rows)


@finisher("template_upload", "Word様式の確認と登録")
def _template_registered(work: QueuedWork) -> str:
    flash(gettext("第%(v1)s版として登録しました。プレビューで確認し、一覧の「使用する版にする」で切り替えてください。", v1=work.result['revision']), "success")
    if work.result.get("warning"):
        flash(work.result["warning"], "warning")
    return url_for("document_template.index_view")


@finisher("template_activate", "使用する版への切り替え")
def _activated(work: QueuedWork) -> str:
    flash(gettext("%(v0)sを使用する版にしました（これまでの記録で作成できることを確かめました）。", v0=work.result['label']),
          "success")
    return url_for("document_template.index_view")


@finisher("template_preview", "プレビューの作成", makes_file=True)
def _previewed(work: QueuedWork) -> str:
    return url_for("work.download", token=work.token)


class ArchiveView(WrittenElsewhereView):
    """Rows holding file bytes: never typed in or edited, downloaded through a view
    that checks login and city (never a static URL)."""

    column_details_exclude_list = ("content",)
    column_export_exclude_list = ("content",)
    column_formatters = {
        "filename": lambda v, c, m, n: Markup('<a href="{}">{}</a>').format(
            v.get_url(".download", id=m.id), m.filename),
    }

    def mimetype(self, _row: Any) -> str:
        return "application/octet-stream"

    @expose("/download/<int:id>")
    def download(self, id: int) -> Response:
        row = self.get_one(str(id))  # scoped to the city; 404 otherwise
        return file_response(row.content, row.filename, self.mimetype(row))


class GeneratedDocumentView(BatchPagesMixin, ArchiveView):
    """The archive of issued documents."""

    column_list = ("city", "kind", "filename", "record_type", "record_id", "record_version",
                   "created_at", "sha256")
    column_filters = ("kind", "record_type", "created_at")
    choices = {"kind": DOCUMENT_KINDS}

    column_formatters = {
        "filename": lambda v, c, m, n: Markup('<a href="{}">{}</a>{}').format(
            v.get_url(".download", id=m.id), m.filename,
            Markup(' <a class="badge badge-secondary" href="{}">PDF</a>').format(
                v.get_url(".pdf", id=m.id)) if pdf_available() else ""),
    }

    def mimetype(self, _row: Any) -> str:
        return DOCX_MIMETYPE

    @expose("/pdf/<int:id>")
    def pdf(self, id: int) -> Any:
        """The archived document as PDF (converted from the archived bytes, not re-rendered)
        by a worker, like every PDF; its page downloads it."""
        row = self.get_one(str(id))  # scoped to the city; 404 otherwise
        batch = archived_pdf(self.session, row, getattr(current_user, "id", None))
        return redirect(self.get_url(".document_batch", id=batch.id))

    def _batch_or_404(self, id: int) -> Any:
        return self._own_batch(id, "generated_document")

    def _batch_label(self, batch: Any) -> str:
        return "発行文書"

    def _batch_back_url(self) -> str:
        return str(self.get_url(".index_view"))


class AttachmentView(ArchiveView):
    """Files attached through configured forms."""

    column_list = ("city", "filename", "record_id", "content_type", "size", "created_at")
    column_labels = {"record_id": "添付された記録"}
    column_searchable_list = ("filename",)
    column_formatters = {"record_id": lambda v, c, m, n: record_link(m.record_type, m.record_id)}
    column_formatters_detail = column_formatters

    def mimetype(self, row: Any) -> str:
        return row.content_type or "application/octet-stream"


class AuditEventView(ReadOnlyView):
    column_list = ("created_at", "city", "actor", "action", "model", "record_id",
                   "record_label")
    column_searchable_list = ("actor", "record_label", "model")
    column_filters = ("action", "model", "actor", "created_at")
    column_sortable_list = ("created_at", "actor", "action", "model")
    column_default_sort = ("id", True)
    column_details_list = ("created_at", "city", "actor", "action", "model", "record_id",
                           "record_label", "changes", "comment")
    column_exclude_list = ()
    choices = {"action": AUDIT_ACTIONS}
    can_delete_rows = False

    def __init__(self, model: type, session: Any, **kwargs: Any) -> None:
        # Record kinds by their Japanese names (提案, 協定書…), not table names.
        self.choices = {**self.choices, "model": {
            m.class_.__tablename__: m.class_.label for m in Base.registry.mappers
            if getattr(m.class_, "label", "")}}
        super().__init__(model, session, **kwargs)
