"""Bulk issuing in the background, with progress, for selections too long for one request.

A batch is a task on the queue (``kyodo_admin.queue``), run by a ``kyodo worker`` on any
machine. It renders its records one by one, committing only its ``done`` counter (short
write transactions, so other users' saves are not held up by the rendering); at the end
every document is archived in one transaction, so a failed or killed batch archives
nothing. The ZIP is built from the archived rows. A batch whose worker disappeared (killed,
restarted) shows as interrupted, with a button to run it again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import os
import socket
import tempfile
import zipfile
from collections.abc import Iterable
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from ..clock import now
from ..documents.context import BUILDERS
from ..documents.pdf import to_pdf
from ..errors import KyodoError
from ..extensions import db, write_intent
from ..models.document import DocumentBatch, GeneratedDocument
from ..sessions import Session
from ..tenancy import scoped_to
from .audit import Actor, current_actor, reset_actor, set_actor
from .documents import (
    Rendered,
    archive_document,
    generate_document,
    pdf_name,
    render_document,
    template_for,
)

log = logging.getLogger(__name__)

#: A running batch with no progress for this long is shown as interrupted (each record is
#: rendered within the worker's 20 s limit, so a live batch always moves sooner).
STALE_AFTER = dt.timedelta(seconds=90)


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_is_dead(owner: str) -> bool:
    """Whether the batch's process is known to be gone: it ran on this machine and its
    process no longer exists (another machine's is judged by the heartbeat alone)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
FAILED_UNEXPECTEDLY = "予期しないエラーのため一括作成を中止しました（文書は保存していません）。"


def start_batch(session: Session, kind: str, records: list[Any], user_id: int | None,
                as_pdf: bool = False) -> DocumentBatch:
    """Record a batch for the records (already scoped to the user's city), commit it and
    put it on the queue. When the queue does not answer, the batch shows as failed, with
    the reason and a button to try again."""
    model: Any = BUILDERS[kind][0]
    batch = DocumentBatch(kind=kind, record_type=model.__tablename__,
                          record_ids=[r.id for r in records], total=len(records),
                          city_id=records[0].city_id, created_by_id=user_id,
                          status="queued", owner="", format="pdf" if as_pdf else "docx")
    return _queue_new(session, batch)


def _queue_new(session: Session, batch: DocumentBatch) -> DocumentBatch:
    """Save a new batch (committed, so any worker finds it) and put it on the queue."""
    session.add(batch)
    session.flush()
    batch_id, city_id = batch.id, batch.city_id
    session.commit()
    _enqueue(session, batch_id, city_id)
    return batch


#: A batch that makes the year's ledger (協働事業一覧) as PDF: its one "record" is the year.
LEDGER = "ledger"


def start_ledger_pdf(session: Session, city_id: int, fiscal_year: int,
                     user_id: int | None) -> DocumentBatch:
    """The year's ledger as PDF, made by a worker like any PDF (see ``start_batch``)."""
    return _queue_new(session, DocumentBatch(
        kind=LEDGER, record_type=LEDGER, record_ids=[fiscal_year], total=1, city_id=city_id,
        created_by_id=user_id, status="queued", owner="", format="pdf"))


def ledger_pdf_name(fiscal_year: int) -> str:
    from ..documents.wareki import nendo

    return f"協働事業一覧_{nendo(fiscal_year)}"


def _run_ledger(session: Any, batch_id: int, city_id: int, fiscal_year: int) -> None:
    from ..models.city import City
    from .ledger import ledger_document

    city = session.get(City, city_id)
    pdf = to_pdf(ledger_document(session, city.name, fiscal_year))
    _finish_with_pdf(session, batch_id, (0, f"{ledger_pdf_name(fiscal_year)}.pdf", pdf))


def _finish_with_pdf(session: Any, batch_id: int, pdf: tuple[int, str, bytes]) -> None:
    """A one-PDF batch done: its PDF (record id, file name, bytes) kept for the download."""
    session.rollback()
    with write_intent():
        session.execute(update(DocumentBatch).where(DocumentBatch.id == batch_id).values(
            status="done", done=1, updated_at=now(), pdf_zip=zip_files([pdf])))
        session.commit()


#: A batch that converts an archived document (its stored bytes, not re-rendered) to PDF.
ARCHIVED = "archived"


def archived_pdf(session: Session, document: GeneratedDocument,
                 user_id: int | None) -> DocumentBatch:
    """The PDF of an archived document, made by a worker: the document's batch when one was
    made (or is on its way), else a new one. Its bytes never change, so neither does it."""
    recent = session.execute(select(DocumentBatch).where(
        DocumentBatch.kind == ARCHIVED, DocumentBatch.record_type == "generated_document",
        DocumentBatch.status != "failed").order_by(DocumentBatch.id.desc()).limit(200)).scalars()
    found = next((b for b in recent if list(b.record_ids) == [document.id]), None)
    if found is not None:
        return found
    return _queue_new(session, DocumentBatch(
        kind=ARCHIVED, record_type="generated_document", record_ids=[document.id], total=1,
        city_id=document.city_id, created_by_id=user_id, status="queued", owner="",
        format="pdf"))


def _run_archived(session: Any, batch_id: int, document_id: int) -> None:
    document = session.get(GeneratedDocument, document_id)
    if document is None:
        raise KyodoError("保管された文書が見つかりません。削除された可能性があります。")
    name, content = pdf_name(document.filename), document.content
    session.rollback()
    _finish_with_pdf(session, batch_id, (document_id, name, to_pdf(content)))


def retry_batch(session: Session, batch: DocumentBatch) -> None:
    """Run a failed batch again from its first record (it archived nothing)."""
    if batch_state(batch)["status"] != "failed":
        raise KyodoError("この一括作成は失敗していないため、やり直せません。")
    batch_id, city_id = batch.id, batch.city_id
    _set(session, batch_id, status="queued", done=0, error="", owner="")
    _enqueue(session, batch_id, city_id)


def _enqueue(session: Session, batch_id: int, city_id: int) -> None:
    """Hand the batch to the queue; no transaction of the caller's stays open meanwhile (with
    an immediate queue the batch runs right here, in sessions of its own)."""
    from ..queue import QueueUnavailable, enqueue

    actor = current_actor()
    try:
        enqueue("run_batch", batch_id, city_id, actor.user_id, actor.name)
    except QueueUnavailable as exc:
        log.exception("Document batch %s could not be queued", batch_id)
        _set(session, batch_id, status="failed", error=str(exc))


def _set(session: Session, batch_id: int, **values: Any) -> None:
    """A short write of the batch row (its own transaction)."""
    session.rollback()
    with write_intent():
        session.execute(update(DocumentBatch).where(DocumentBatch.id == batch_id)
                        .values(updated_at=now(), **values))
        session.commit()


def _claim(session: Session, batch_id: int) -> bool:
    """Take a queued batch for this process, atomically: of two workers handed the same
    task, one gets it."""
    session.rollback()
    with write_intent():
        taken = session.execute(update(DocumentBatch).where(
            DocumentBatch.id == batch_id, DocumentBatch.status == "queued").values(
            status="running", owner=this_process(), updated_at=now())
            .returning(DocumentBatch.id)).first()
        session.commit()
    return taken is not None


def _progress(batch_id: int, **values: Any) -> None:
    """A short write of the batch row on a connection of its own (the batch's session keeps
    its read transaction; other users' saves wait for no rendering)."""
    with write_intent(), db.engine.begin() as connection:
        connection.execute(update(DocumentBatch).where(DocumentBatch.id == batch_id)
                           .values(updated_at=now(), **values))


def _read(spool: Any, offset: int, length: int) -> bytes:
    spool.seek(offset)
    data: bytes = spool.read(length)
    return data


def run_batch(app: Flask, batch_id: int, city_id: int, actor: Actor) -> None:
    """Render every record of the batch, then archive them all (or nothing). The documents
    wait in a temporary file, not in memory, so a batch of thousands costs the memory of
    one document."""
    with app.app_context(), scoped_to(city_id), tempfile.TemporaryFile() as spool:
        token = set_actor(actor)
        session: Any = db.session  # the task's own scoped session
        try:
            if not _claim(session, batch_id):
                return  # gone, or taken already (a task delivered twice runs once)
            batch = session.get(DocumentBatch, batch_id)
            kind, record_ids, as_pdf = batch.kind, list(batch.record_ids), batch.format == "pdf"
            if kind == LEDGER:
                _run_ledger(session, batch_id, city_id, record_ids[0])
                return
            if kind == ARCHIVED:
                _run_archived(session, batch_id, record_ids[0])
                return
            model = BUILDERS[kind][0]
            template = template_for(session, city_id, kind)
            rendered: list[tuple[Rendered, int, int]] = []  # without their bytes, and where those are
            pdfs: list[tuple[int, str, int, int]] = []  # record id, file name, where its bytes are
            for index, record_id in enumerate(record_ids, start=1):
                record = session.get(model, record_id)
                if record is None:
                    raise KyodoError(f"選択した記録（ID {record_id}）が見つかりません。削除された可能性があります。")
                try:
                    item = render_document(session, kind, record, template)
                except KyodoError as exc:
                    raise KyodoError(f"「{record}」: {exc}") from exc
                rendered.append((dataclasses.replace(item, data=b""), spool.tell(), len(item.data)))
                spool.write(item.data)
                if as_pdf:
                    try:
                        pdf = to_pdf(item.data)
                    except KyodoError as exc:
                        raise KyodoError(f"「{record}」: {exc}") from exc
                    pdfs.append((record.id, pdf_name(item.filename), spool.tell(), len(pdf)))
                    spool.write(pdf)
                session.expunge(record)
                _progress(batch_id, done=index)
            session.rollback()
            with write_intent():
                document_ids = []
                for item, offset, length in rendered:
                    document = archive_document(session, dataclasses.replace(
                        item, data=_read(spool, offset, length)), actor.user_id)
                    document_ids.append(document.id)
                    session.expunge(document)
                pdf_zip = zip_files((record_id, name, _read(spool, offset, length))
                                    for record_id, name, offset, length in pdfs) if as_pdf else None
                session.execute(update(DocumentBatch).where(DocumentBatch.id == batch_id).values(
                    status="done", updated_at=now(), document_ids=document_ids, pdf_zip=pdf_zip))
                session.commit()
        except KyodoError as exc:
            _set(session, batch_id, status="failed", error=f"一括作成を中止しました（文書は保存していません）: {exc}")
        except Exception:  # noqa: BLE001 - the user sees a message, the log the trace
            log.exception("Document batch %s failed", batch_id)
            _set(session, batch_id, status="failed", error=FAILED_UNEXPECTEDLY)
        finally:
            reset_actor(token)
            session.remove()


def batch_state(batch: DocumentBatch) -> dict[str, Any]:
    """What the progress page shows (JSON)."""
    status, error = batch.status, batch.error
    updated = batch.updated_at
    if updated is not None and updated.tzinfo is None:
        updated = updated.replace(tzinfo=dt.UTC)
    if status == "queued":
        return {"status": status, "done": 0, "total": batch.total, "error": ""}
    if status == "running" and (owner_is_dead(batch.owner or "") or (
            updated is not None and now() - updated > STALE_AFTER)):
        status, error = "failed", "一括作成が中断されました（サーバーの再起動など）。もう一度実行してください。"
    return {"status": status, "done": batch.done, "total": batch.total, "error": error}


def zip_files(files: Iterable[tuple[int, str, bytes]]) -> bytes:
    """One ZIP of (record id, file name, content); a name met twice gets its record's id."""
    buffer = io.BytesIO()
    names: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for record_id, filename, content in files:
            name = filename if filename not in names else f"{record_id}_{filename}"
            names.add(name)
            archive.writestr(name, content)
    return buffer.getvalue()


def issue_zip(session: Session, kind: str, records: list[Any], user_id: int | None) -> bytes:
    """Issue and archive a Word document for each record (a short selection, in the
    request; PDFs are always a batch's); the caller commits, or rolls back to archive none."""
    issued = [generate_document(session, kind, record, user_id) for record in records]
    return zip_files((i.document.record_id, i.document.filename, i.data) for i in issued)


def single_pdf(batch: DocumentBatch) -> tuple[str, bytes] | None:
    """The one PDF (file name, bytes) of a batch made for one record (the PDF button of a
    record's page), or None."""
    if batch.format != "pdf" or batch.total != 1 or not batch.pdf_zip:
        return None
    with zipfile.ZipFile(io.BytesIO(batch.pdf_zip)) as archive:
        name = archive.namelist()[0]
        return name, archive.read(name)


def batch_zip(session: Session, batch: DocumentBatch) -> bytes:
    """The batch's archived documents (or their PDFs) as one ZIP."""
    if batch.format == "pdf":
        return batch.pdf_zip or b""
    rows = session.execute(select(GeneratedDocument).where(
        GeneratedDocument.id.in_(batch.document_ids or [])).order_by(GeneratedDocument.id)).scalars()
    return zip_files((row.record_id, row.filename, row.content) for row in rows)
