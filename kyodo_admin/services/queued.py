"""Slow work a person asked for, done by a ``kyodo worker`` instead of the web worker: a
Word template's checks and test render, reading a spreadsheet, importing it.

The request saves a ``QueuedWork`` row (with the uploaded file, if any), puts it on the queue
and shows its page; the page follows the work's status and, once it is done, leads on to
what it made. The worker runs the work's handler in the city of the row, as the user who
asked: what the handler writes and the row's ``done`` are committed together, and on a
failure nothing the handler wrote is kept, only the row's message.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import delete, update

from ..clock import now
from ..errors import KyodoError
from ..extensions import db, write_intent
from ..models.job import QueuedWork
from ..sessions import Session
from ..tenancy import scoped_to
from .audit import Actor, current_actor, reset_actor, set_actor

log = logging.getLogger(__name__)

#: A handler's result may carry a file it made under this key (bytes): kept for the download.
MADE = "made"
#: job name -> handler(session, work) -> result (what the work's page shows or leads to).
HANDLERS: dict[str, Callable[[Session, QueuedWork], dict[str, Any]]] = {}
#: Work still running after this long is shown as interrupted (its worker was stopped).
STALE_AFTER = dt.timedelta(minutes=10)
#: Finished work is deleted after this long (its file with it).
KEEP = dt.timedelta(days=1)
FAILED_UNEXPECTEDLY = "予期しないエラーのため処理を中止しました（何も保存していません）。"


def handler(job: str) -> Callable[[Callable[[Session, QueuedWork], dict[str, Any]]],
                                  Callable[[Session, QueuedWork], dict[str, Any]]]:
    def register(function: Callable[[Session, QueuedWork], dict[str, Any]]) -> Any:
        HANDLERS[job] = function
        return function
    return register


def start(session: Session, job: str, city_id: int, user_id: int | None,
          params: dict[str, Any], content: bytes | None = None) -> str:
    """Save the work (committed, so any worker finds it), queue it; its token. When the queue
    does not answer, the work shows as failed with the reason."""
    from ..queue import QueueUnavailable, enqueue

    if job not in HANDLERS:
        raise ValueError(f"unknown work {job}")
    session.execute(delete(QueuedWork).where(QueuedWork.created_at < now() - KEEP))
    work = QueuedWork(token=secrets.token_urlsafe(16), job=job, city_id=city_id,
                      user_id=user_id, status="queued", params=params, content=content,
                      result={}, error="")
    session.add(work)
    session.flush()
    work_id, token = work.id, work.token
    session.commit()
    actor = current_actor()
    try:
        enqueue("run_work", work_id, city_id, actor.user_id, actor.name)
    except QueueUnavailable as exc:
        log.exception("Work %s (%s) could not be queued", work_id, job)
        _set(session, work_id, status="failed", error=str(exc))
    return token


def state(work: QueuedWork) -> dict[str, Any]:
    """The work's status as its page shows it (running work with no end in sight shows as
    interrupted)."""
    status, error = work.status, work.error
    updated = work.updated_at
    if updated is not None and updated.tzinfo is None:  # SQLite keeps no zone
        updated = updated.replace(tzinfo=dt.UTC)
    if status == "running" and updated is not None and now() - updated > STALE_AFTER:
        status, error = "failed", ("処理が中断されました（処理を担当するワーカーが停止した可能性が"
                                   "あります）。何も保存していません。もう一度お試しください。")
    return {"status": status, "error": error}


def run_work(app: Flask, work_id: int, city_id: int, actor: Actor) -> None:
    """Run a queued work's handler (the queue's task): once, in the work's city, as the
    user who asked."""
    with app.app_context(), scoped_to(city_id):
        token = set_actor(actor)
        session: Any = db.session
        try:
            if not _claim(session, work_id):
                return  # gone, or taken already (a task delivered twice runs once)
            try:
                with write_intent():  # one writing transaction from its first read
                    work = session.get(QueuedWork, work_id)
                    result = dict(HANDLERS[work.job](session, work))
                    # the file it made (a preview) replaces the one it was given
                    work.content = result.pop(MADE, None)
                    work.result, work.status, work.error = result, "done", ""
                    session.commit()
            except KyodoError as exc:
                session.rollback()
                _set(session, work_id, status="failed", error=str(exc), content=None)
            except Exception:  # noqa: BLE001 - the user sees a message, the log the trace
                session.rollback()
                log.exception("Work %s failed", work_id)
                _set(session, work_id, status="failed", error=FAILED_UNEXPECTEDLY, content=None)
        finally:
            reset_actor(token)


def _claim(session: Session, work_id: int) -> bool:
    session.rollback()
    with write_intent():
        taken = session.execute(update(QueuedWork).where(
            QueuedWork.id == work_id, QueuedWork.status == "queued").values(
            status="running", updated_at=now()).returning(QueuedWork.id)).first()
        session.commit()
    return taken is not None


def _set(session: Session, work_id: int, **values: Any) -> None:
    session.rollback()
    with write_intent():
        session.execute(update(QueuedWork).where(QueuedWork.id == work_id)
                        .values(updated_at=now(), **values))
        session.commit()
