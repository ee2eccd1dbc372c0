"""Error pages in the user's language (Japanese by default): never a stack trace, never SQL."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, default_exceptions

from ..extensions import db
from ..templating import render_template

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("不正なリクエストです"), _l("送信された内容を処理できませんでした。画面を開き直してやり直してください。")),
    403: (_l("権限がありません"), _l("このページを表示する、またはこの操作を行う権限がありません。")),
    404: (_l("ページが見つかりません"), _l("お探しのページまたは記録は存在しないか、表示する権限がありません。")),
    405: (_l("許可されていない操作です"), _l("この方法ではページを利用できません。")),
    413: (_l("送信内容が大きすぎます"), _l("ファイルまたは入力内容が大きすぎます。小さくしてから送信してください。")),
    429: (_l("操作が多すぎます"), _l("短時間に操作が集中しました。しばらく待ってから再度お試しください。")),
    500: (_l("システムエラーが発生しました"), _l("処理中に問題が発生しました。入力内容は保存されていません。時間をおいて再度お試しください。")),
}


def _page(code: int, detail: str | None = None) -> tuple[str, int]:
    title, message = (str(text) for text in MESSAGES.get(code, MESSAGES[500]))
    try:
        return render_template("kyodo/web/error.html", code=code, title=title,
                               message=detail or message), code
    except Exception:  # noqa: BLE001 - e.g. the database is down: rendering asks for the user
        log.exception("The error page could not be rendered; a plain one is sent")
        return PLAIN_PAGE.format(title=escape(title), code=code,
                                 message=escape(detail or message)), code


#: The error page without a template, for when even rendering fails (a database outage).
PLAIN_PAGE = ('<!DOCTYPE html><html lang="ja"><head><meta charset="UTF-8"><title>{title}</title>'
              '</head><body style="font-family: sans-serif; margin: 2rem"><h1 style="font-size: 1.2rem">'
              '{title}（{code}）</h1><p>{message}</p><p><a href="/">トップへ戻る</a></p></body></html>')


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone with the database
        log.warning("Rollback after an error failed", exc_info=True)


def _csrf(_exc: CSRFError) -> tuple[str, int]:
    return _page(400, str(_l("セッションの有効期限が切れたか、フォームが正しく送信されませんでした"
                             "（CSRFトークンが不正です）。画面を開き直してやり直してください。")))


def _http(exc: HTTPException) -> tuple[str, int]:
    return _page(exc.code or 500)


def _db(exc: SQLAlchemyError) -> tuple[str, int]:
    log.exception("Database error on %s", request.path)
    _rollback()
    return _page(500)


def _other(exc: Exception) -> tuple[str, int]:
    if isinstance(exc, HTTPException):
        return _http(exc)
    log.exception("Unhandled error on %s", request.path)
    _rollback()
    return _page(500)


HANDLERS: dict[type[Exception], Any] = {CSRFError: _csrf, HTTPException: _http,
                                         SQLAlchemyError: _db, Exception: _other}


def register(app: Flask, blueprints: Iterable[str] | None = None) -> None:
    """kyodo's error pages for the whole app (``blueprints=None``: the standalone app), or
    only for the requests of ``blueprints`` (kyodo's, in a host app: the host's own pages and
    its 404s keep the host's handlers)."""
    for scope in ([None] if blueprints is None else list(blueprints)):
        for exception, handler in HANDLERS.items():
            exc_class, code = app._get_exc_class_and_code(exception)
            app.error_handler_spec[scope][code][exc_class] = handler
        if scope is not None:  # by code too: Flask asks the app's 404 before a blueprint's class
            for code, exc_class in default_exceptions.items():
                app.error_handler_spec[scope][code][exc_class] = _http
