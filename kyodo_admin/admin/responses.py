"""What a back-office endpoint answers besides a page: a download, a link to a list or a
record, and the commit that either holds or is undone with a clear message."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Response, current_app, flash, has_request_context, url_for
from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from ..errors import KyodoError
from ..extensions import db
from ..models.base import Base

log = logging.getLogger(__name__)

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: Said when the database failed (the log has the trace, the user a next step).
DATABASE_FAILED = "処理できませんでした。時間をおいてもう一度お試しください。"


class _Failed:
    """``commit_or_flash``'s answer when the work was refused or failed and was undone."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "FAILED"


FAILED = _Failed()


def failure_message(exc: Exception, database_message: str = DATABASE_FAILED) -> str:
    """A refusal says why; a database error is logged and told as ``database_message``."""
    if isinstance(exc, KyodoError):
        return str(exc)
    log.exception("Database error: %s", exc)
    return gettext(database_message)


def commit_or_flash(session: Any, work: Callable[[], Any], *, prefix: str = "",
                    database_message: str = DATABASE_FAILED) -> Any:
    """Run ``work()`` and commit; on a refusal (``KyodoError``) or a database error roll
    everything back, flash why (after ``prefix``) and return ``FAILED``; else ``work``'s
    result."""
    try:
        result = work()
        session.commit()
    except (KyodoError, SQLAlchemyError) as exc:
        session.rollback()
        flash(prefix + failure_message(exc, database_message), "error")
        return FAILED
    return result


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_response(data: bytes, filename: str, mimetype: str = DOCX_MIMETYPE) -> Response:
    """A download (never cached by a shared proxy) with a Japanese file name."""
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}",
        "Cache-Control": "private, no-store"})


def list_url(endpoint: str, *conditions: tuple[str, str, Any]) -> str:
    """The URL of a list view with filters applied, e.g.
    ``list_url("proposal", ("status", "FilterEqual", "submitted"))``; a dotted path
    (``collaboration_type.name``) names a filter on a related model."""
    admin = current_app.extensions["kyodo"].admin
    view = next(v for v in admin._views if getattr(v, "endpoint", None) == endpoint)
    args: dict[str, Any] = {}
    for position, (path, operation, value) in enumerate(conditions):
        relation, _, column = path.rpartition(".")
        table = getattr(view.model, relation).property.target if relation else view.model.__table__
        for index, flt in enumerate(view._filters or ()):
            on = getattr(flt, "column", None)
            if getattr(on, "key", None) == column and type(flt).__name__ == operation and (
                    getattr(on, "table", None) is table or not hasattr(on, "table")):
                args[f"flt{position}_{index}"] = value
                break
        else:
            raise LookupError(f"no {operation} filter on {endpoint}.{path}")
    return url_for(f"{endpoint}.index_view", **args)


def record_link(table: str | None, record_id: int | None) -> Any:
    """A link to a record's page named by the record (「2026-007 海辺の自然教室」), for lists
    that point at records of several kinds (attachments); empty when there is none."""
    mapper = next((m for m in Base.registry.mappers
                   if getattr(m.class_, "__tablename__", None) == table), None)
    if mapper is None or record_id is None:
        return ""
    record = db.session.get(mapper.class_, record_id)  # scoped to the city by the session
    if record is None:
        return f"#{record_id}（削除済み）"
    return Markup('<a href="{}">{}：{}</a>').format(
        url_for(f"{table}.details_view", id=record_id), mapper.class_.label, record)


class StaticUrls:
    """A view's ``extra_js``: kyodo's own scripts, their URLs made per request (kyodo's
    static files are its blueprint's, ``/kyodo/static/``, in a host app as standalone)."""

    def __init__(self, *filenames: str) -> None:
        self.filenames = filenames

    def __get__(self, _view: Any, _owner: type | None = None) -> list[str]:
        if not has_request_context():  # Flask-Admin reads a view class's attributes at import
            return []
        return [url_for("kyodo.static", filename=name) for name in self.filenames]


KYODO_JS = StaticUrls("kyodo.js")
