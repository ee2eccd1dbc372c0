"""Opt-in: Word documents issued from a record's page, and in bulk from its list (a ZIP
at once, or in the background with progress for a long selection)."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import abort, current_app, flash, jsonify, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from sqlalchemy import select

from ... import permissions
from ...errors import KyodoError
from ...models.document import DOCUMENT_KINDS, DocumentBatch, GeneratedDocument
from ...services.batches import (
    batch_state,
    batch_zip,
    issue_zip,
    retry_batch,
    single_pdf,
    start_batch,
)
from ...services.documents import generate_document
from ..responses import FAILED, commit_or_flash, file_response

#: Said when an issued document could not be archived (the database failed).
ARCHIVE_FAILED = "文書を保管できなかったため、作成を取り消しました。時間をおいてもう一度お試しください。"


def zip_name(kind: str, count: int, as_pdf: bool) -> str:
    return f"{DOCUMENT_KINDS.get(kind, kind)}_{count}件{'_PDF' if as_pdf else ''}.zip"


class BatchPagesMixin:
    """The page of a batch made by a worker (progress, download, run again), for the view
    that started it: ``_batch_or_404`` finds the view's own batch in the city (403/404
    otherwise), ``_batch_label`` names what it makes, ``_batch_back_url`` leads back."""

    session: Any

    def _batch_or_404(self, id: int) -> Any:
        raise NotImplementedError

    def _batch_label(self, batch: Any) -> str:
        raise NotImplementedError

    def _batch_back_url(self) -> str:
        raise NotImplementedError

    def _own_batch(self, id: int, record_type: str) -> Any:
        batch = self.session.execute(select(DocumentBatch).where(
            DocumentBatch.id == id, DocumentBatch.record_type == record_type)
        ).scalar_one_or_none()  # city-scoped by the session
        if batch is None:
            abort(404)
        return batch

    @expose("/batch/<int:id>")
    def document_batch(self, id: int) -> Any:
        batch = self._batch_or_404(id)
        return self.render("kyodo/admin/document_batch.html", batch=batch,  # type: ignore[attr-defined]
                           state=batch_state(batch), kind_label=self._batch_label(batch),
                           back_url=self._batch_back_url())

    @expose("/batch/<int:id>/retry", methods=("POST",))
    def document_batch_retry(self, id: int) -> Any:
        """Run a failed batch (interrupted, or refused by the queue) again."""
        batch = self._batch_or_404(id)
        try:
            retry_batch(self.session, batch)
        except KyodoError as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".document_batch", id=id))  # type: ignore[attr-defined]

    @expose("/batch/<int:id>/status")
    def document_batch_status(self, id: int) -> Any:
        return jsonify(batch_state(self._batch_or_404(id)))

    @expose("/batch/<int:id>/zip")
    def document_batch_zip(self, id: int) -> Any:
        """The batch's documents: a ZIP, or the PDF itself when it made one."""
        batch = self._batch_or_404(id)
        if batch_state(batch)["status"] != "done":
            flash(gettext("作成はまだ終わっていません。"), "error")
            return redirect(self.get_url(".document_batch", id=id))  # type: ignore[attr-defined]
        single = single_pdf(batch)
        if single is not None:
            return file_response(single[1], single[0], "application/pdf")
        return file_response(batch_zip(self.session, batch),
                             zip_name(batch.kind, batch.total, batch.format == "pdf"),
                             "application/zip")


class DocumentsMixin(BatchPagesMixin):
    model: Any
    session: Any

    #: Word documents that can be issued from a record of this view (the first in bulk).
    document_kinds: ClassVar[tuple[str, ...]] = ()

    def _may_issue(self) -> bool:
        return bool(self.document_kinds) and permissions.can_create(current_user, GeneratedDocument)

    def document_kinds_for(self, record: Any) -> tuple[str, ...]:
        """The documents offered on this record's page (a view narrows them per record)."""
        return self.document_kinds

    def _user_id(self) -> int | None:
        return getattr(current_user, "id", None)

    @expose("/document/<kind>/<int:id>", methods=("POST",))
    def issue_document(self, kind: str, id: int) -> Any:
        """Issue a Word document from a record, archive it, and download it; as PDF, hand it
        to a worker and show its page."""
        if kind not in self.document_kinds or not self._may_issue():
            abort(403)
        record = self.get_one(str(id))  # type: ignore[attr-defined]
        details = self.get_url(".details_view", id=id)  # type: ignore[attr-defined]
        if request.form.get("format") == "pdf":
            # LibreOffice takes seconds: the PDF is made by a worker, never in this request
            # (which would hold a web worker that serves other people's pages).
            return self._start_batch(kind, [record], as_pdf=True)
        issued = commit_or_flash(self.session, lambda: generate_document(
            self.session, kind, record, self._user_id()), database_message=ARCHIVE_FAILED)
        if issued is FAILED:
            return redirect(details)
        return file_response(issued.data, issued.document.filename)

    @action("issue_documents", lazy_gettext("Word文書を一括作成（ZIP）"))
    def action_issue_documents(self, ids: Any) -> Any:
        return self._issue_many(ids, as_pdf=False)

    @action("issue_pdfs", lazy_gettext("PDFを一括作成（ZIP）"))
    def action_issue_pdfs(self, ids: Any) -> Any:
        return self._issue_many(ids, as_pdf=True)

    def _issue_many(self, ids: Any, as_pdf: bool) -> Any:
        """A short selection at once (a ZIP), a long one in the background (its page)."""
        if not self._may_issue():
            abort(403)
        try:
            pks = [int(i) for i in ids]
        except (TypeError, ValueError):
            abort(400)
        kind = self.document_kinds[0]
        index = self.get_url(".index_view")  # type: ignore[attr-defined]
        records = self.get_query().filter(  # type: ignore[attr-defined]
            self.model.id.in_(pks)).order_by(self.model.id).all()
        if not records:
            flash(gettext("作成する記録を選んでください。"), "error")
            return redirect(index)
        if as_pdf or len(records) > current_app.config["KYODO_BATCH_SYNC_LIMIT"]:
            return self._start_batch(kind, records, as_pdf)  # PDFs always by a worker
        data = commit_or_flash(
            self.session, lambda: issue_zip(self.session, kind, records, self._user_id()),
            prefix="一括作成を中止しました（作成した文書は保存していません）: ",
            database_message=ARCHIVE_FAILED)
        if data is FAILED:
            return redirect(index)
        return file_response(data, zip_name(kind, len(records), False), "application/zip")

    def _start_batch(self, kind: str, records: list[Any], as_pdf: bool) -> Any:
        """A long selection, or PDFs: made by a worker, with the progress shown."""
        if len({r.city_id for r in records}) > 1:
            flash(gettext("件数の多い一括作成は、自治体ごとに記録を選んで行ってください。"), "error")
            return redirect(self.get_url(".index_view"))  # type: ignore[attr-defined]
        batch = start_batch(self.session, kind, records, self._user_id(), as_pdf)
        return redirect(self.get_url(".document_batch", id=batch.id))  # type: ignore[attr-defined]

    def _batch_or_404(self, id: int) -> Any:
        if not self._may_issue():
            abort(403)
        return self._own_batch(id, self.model.__tablename__)

    def _batch_label(self, batch: Any) -> str:
        return DOCUMENT_KINDS.get(batch.kind, batch.kind)

    def _batch_back_url(self) -> str:
        return str(self.get_url(".index_view"))  # type: ignore[attr-defined]

    def is_action_allowed(self, name: str) -> bool:
        if name in ("issue_documents", "issue_pdfs"):
            return self._may_issue()
        return bool(super().is_action_allowed(name))  # type: ignore[misc]
