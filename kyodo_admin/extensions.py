"""Unbound Flask extensions, bound to an app in ``create_app`` (init_app pattern)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event

from . import ratelimit  # noqa: F401 - registers the kyodo-database:// rate-limit storage
from .models.base import Base, fold_or_none
from .sessions import KyodoSession


def serves_request() -> bool:
    """Whether this request is kyodo's: every request of the standalone app; in a host app,
    the requests of kyodo's own blueprints (its pages, its admin views), never the host's."""
    from flask import current_app, request

    kyodo = current_app.extensions.get("kyodo")
    return kyodo is not None and (kyodo.whole_app or request.blueprint in kyodo.blueprints)


def is_static_request() -> bool:
    """A static file's request (the app's, kyodo's or Flask-Admin's): not logged, cacheable."""
    from flask import request

    return (request.endpoint or "").rpartition(".")[2] == "static"


class KyodoCSRF(CSRFProtect):
    """Flask-WTF's CSRF protection for kyodo's requests: every request of the standalone app;
    in a host app without CSRF protection of its own, kyodo's requests only (the host's
    forms stay as the host made them). A host's own ``CSRFProtect`` protects kyodo's too."""

    def protect(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("apply_exemptions") and not serves_request():
            return None
        return super().protect(*args, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": KyodoSession})
migrate = Migrate()
babel = Babel()
login_manager = LoginManager()
csrf = KyodoCSRF()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


#: Set by code outside a request that is going to write (CLI commands).
_write_intent: ContextVar[bool] = ContextVar("kyodo_sqlite_write_intent", default=False)


@contextlib.contextmanager
def write_intent() -> Iterator[None]:
    """Mark the transactions begun inside as writers (``BEGIN IMMEDIATE`` on SQLite)."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def _sqlite_begin_statement() -> str:
    """A request that may write (POST…) takes SQLite's write lock at BEGIN, so
    concurrent saves wait for each other (busy timeout) instead of failing with
    "database is locked" when a read transaction turns into a write. Reads stay
    deferred so they never wait for a writer (WAL)."""
    from flask import has_request_context, request

    if has_request_context():
        return "BEGIN" if request.method in ("GET", "HEAD", "OPTIONS") else "BEGIN IMMEDIATE"
    return "BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN"


def configure_engine(engine: Any, schema: str = "") -> None:
    """SQLite: WAL, a busy timeout, foreign keys on, explicit BEGIN (IMMEDIATE for writes),
    and search's ``kyodo_fold`` (PostgreSQL has ``normalize``). PostgreSQL with ``schema``
    (``KYODO_DB_SCHEMA``): kyodo's tables are that schema's (its connections' search path;
    the migrations create it)."""
    if engine.dialect.name == "postgresql" and schema:
        @event.listens_for(engine, "connect")
        def _search_path(dbapi_connection: Any, _record: Any) -> None:
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f'SET search_path TO "{schema}", public')
            dbapi_connection.autocommit = autocommit
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling is broken).
        dbapi_connection.isolation_level = None
        dbapi_connection.create_function("kyodo_fold", 1, fold_or_none, deterministic=True)
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(_sqlite_begin_statement())
