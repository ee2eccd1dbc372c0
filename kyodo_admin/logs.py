"""Logs a machine can read: one JSON object a line, each with the request it belongs to.

Every request gets an id (the load balancer's ``X-Request-ID`` when it sends a sane one,
else a new one), returned in the response's ``X-Request-ID`` and written on every line
logged while it runs, with the user's and the city's id. A line per request says method,
path, status and time. No form answers, query strings, names or addresses are written:
ids only, so a log can be shared with a vendor. The formatter is a few lines of the
standard library (a JSON-logging package would add a dependency for ``json.dumps``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
import time
from typing import Any

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

from .extensions import is_static_request, serves_request

#: What a request id sent by a proxy may look like (anything else is replaced).
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: Attributes of a LogRecord that are not extra fields.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

log = logging.getLogger("kyodo_admin.request")


class RequestFields(logging.Filter):
    """Adds the current request's id, user and city to every record logged inside it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id", "")
            record.user_id = g.get("log_user_id")
            record.city_id = g.get("log_city_id")
        return True


#: What a database's own error message may quote of a row: PostgreSQL's DETAIL line (the
#: key or the failing row) and the value a type refused.
_ROW_VALUES = (
    (re.compile(r"^(\s*)DETAIL:.*$", re.MULTILINE), r"\1DETAIL: (values not logged)"),
    (re.compile(r'(invalid input (?:syntax|value) for [^:]*): ".*?"'), r"\1: (value not logged)"),
)


class WithoutRowValues(logging.Filter):
    """A logged exception's text without the values a database error quotes (a name, an
    address, a telephone number): statement parameters are already hidden by the engine
    (``hide_parameters``); this takes the rest out of the database's own message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            for pattern, replacement in _ROW_VALUES:
                text = pattern.sub(replacement, text)
            record.exc_text = text
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items()
                     if k not in _STANDARD and not k.startswith("_")})
        if record.exc_text:  # WithoutRowValues formats it
            line["exception"] = record.exc_text
        elif record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(app: Flask) -> None:
    """The app's log lines go to standard error, as JSON (``KYODO_LOG_FORMAT=json``, the
    default in production) or as text; each request is identified and logged once."""
    install_handler(app)

    @app.before_request
    def _identify() -> None:
        if not serves_request():
            return
        sent = request.headers.get("X-Request-ID", "")
        g.request_id = sent if REQUEST_ID.fullmatch(sent) else secrets.token_hex(8)
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response: Any) -> Any:
        if not serves_request():
            return response
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if is_static_request():
            return response
        started = g.get("request_started")
        log.info("%s %s %s", request.method, request.path, response.status_code, extra={
            "method": request.method, "path": request.path, "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000) if started else None})
        return response


def install_handler(app: Flask) -> logging.Handler:
    """The handler of the package's logger, as the app's settings say."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestFields())
    handler.addFilter(WithoutRowValues())
    if app.config["KYODO_LOG_FORMAT"] == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s", defaults={
                "request_id": "-"}))
    # The package's logger is also Flask's app.logger: one handler for both, in place of
    # Flask's default one (kept once however many apps a process creates, as tests do).
    package = logging.getLogger("kyodo_admin")
    package.removeHandler(default_handler)
    for old in [h for h in package.handlers if getattr(h, "_kyodo", False)]:
        package.removeHandler(old)
    handler._kyodo = True  # type: ignore[attr-defined]
    package.addHandler(handler)
    package.setLevel(app.config["KYODO_LOG_LEVEL"])
    return handler


def share_with(name: str, level: str = "INFO") -> None:
    """Another library's log lines (the queue's consumer: which task it runs, and why one
    failed) through the package's handler, in the same format."""
    other = logging.getLogger(name)
    for handler in logging.getLogger("kyodo_admin").handlers:
        if getattr(handler, "_kyodo", False) and handler not in other.handlers:
            other.addHandler(handler)
    other.setLevel(level)
    other.propagate = False
