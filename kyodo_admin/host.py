"""Living in a host app: what kyodo checks before it installs itself beside a host's own
extensions, admin, tables and users, and how a host's user becomes a kyodo user."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask

from .config import ConfigError

#: The Flask-Admin major version kyodo's screens are written for (its Bootstrap 4 theme).
FLASK_ADMIN_MAJOR = 2


@dataclass(frozen=True)
class HostUser:
    """Who a host's logged-in user is in kyodo, as the host's ``user_adapter`` says:
    kyodo keeps an account of that name (no password of its own: the host's login is the
    only way in) with this role and city, updated on each request when they change."""

    #: kyodo's name for the user, unique over all cities (e.g. ``host-42`` or a mail address).
    username: str
    #: A kyodo role: ``system_admin``, ``city_admin``, ``staff``, ``viewer``, ``council_member``.
    role: str
    #: The city's code (its slug, e.g. ``kamakura``); ``None`` for a system administrator.
    city: str | None
    display_name: str = ""


#: ``user_adapter(host_user) -> HostUser | None``: None gives the host's user no kyodo access.
UserAdapter = Callable[[Any], HostUser | None]


def check_admin(admin: Any) -> None:
    """A host's ``flask_admin.Admin`` kyodo can add its screens to: Flask-Admin 2's, with
    its Bootstrap 4 theme (kyodo's screens are drawn in Bootstrap 4)."""
    import flask_admin
    from flask_admin.theme import BootstrapTheme

    version = getattr(flask_admin, "__version__", "0")
    if int(version.split(".")[0]) != FLASK_ADMIN_MAJOR or not isinstance(admin, flask_admin.Admin):
        raise ConfigError(
            f"kyodo_admin は Flask-Admin {FLASK_ADMIN_MAJOR}.x の Admin に組み込めます（このアプリの"
            f"Flask-Admin は {version}、渡された admin は {type(admin).__module__}."
            f"{type(admin).__name__} です）。Flask-Admin を {FLASK_ADMIN_MAJOR}.x にしてください。")
    theme = getattr(admin, "theme", None)
    if not isinstance(theme, BootstrapTheme) or theme.folder != "bootstrap4":
        raise ConfigError(
            "kyodo_admin の画面は Bootstrap 4 で描かれます。渡された Admin のテーマ"
            f"（{getattr(theme, 'folder', type(theme).__name__)}）を "
            "flask_admin.theme.Bootstrap4Theme にしてください。")


def check_endpoints(app: Flask, admin: Any, endpoints: list[str]) -> None:
    """kyodo's screens' endpoints (proposal, project, user…) are free in the app and in the
    host's admin."""
    taken = set(app.blueprints)
    if admin is not None:
        taken |= {view.endpoint for view in getattr(admin, "_views", ())}
    clash = [name for name in endpoints if name in taken]
    if clash:
        raise ConfigError(
            f"kyodo_admin の画面の名前（{'、'.join(clash)}）が、このアプリの Blueprint または "
            "Flask-Admin の画面の endpoint と重なります。アプリ側の名前を変えてください。")


def check_tables(app: Flask, url: str, schema: str) -> None:
    """kyodo's tables do not land on a host's table: a host using Flask-SQLAlchemy on the same
    database, with a table of a kyodo table's name in the same schema, is a conflict."""
    from .models.base import Base

    host_db = app.extensions.get("sqlalchemy")
    if host_db is None:
        return
    host_url = str(app.config.get("SQLALCHEMY_DATABASE_URI") or "")
    if not _same_database(host_url, url):
        return
    ours = {table.name for table in Base.metadata.tables.values()}
    for metadata in getattr(host_db, "metadatas", {}).values():
        for table in metadata.tables.values():
            if table.name in ours and (table.schema or "") == schema:
                where = f"スキーマ {schema} の" if schema else ""
                raise ConfigError(
                    f"このアプリの表「{table.name}」が、kyodo_admin の{where}表と重なります。"
                    "KYODO_DB_SCHEMA（PostgreSQL のスキーマ、例: kyodo）を設定するか、"
                    "KYODO_DATABASE_URL で別のデータベースを指定してください。")


def _same_database(one: str, other: str) -> bool:
    from sqlalchemy.engine import make_url

    try:
        a, b = make_url(one), make_url(other)
    except Exception:  # noqa: BLE001 - an unreadable URL: assume the worst
        return True
    return (a.get_backend_name(), a.host, a.port, a.database) == \
        (b.get_backend_name(), b.host, b.port, b.database)


@contextlib.contextmanager
def beside_host(app: Flask, key: str, config: dict[str, Any] | None = None) -> Iterator[None]:
    """Register kyodo's own instance of an extension that allows one per app (Flask-SQLAlchemy,
    Flask-Migrate) beside the host's: the host's stays ``app.extensions[key]``, kyodo's is
    ``app.extensions["kyodo_" + key]``; ``config`` is the app config the extension reads while
    it registers (kyodo's database), the host's values restored after."""
    host = app.extensions.pop(key, None)
    saved = {name: app.config[name] for name in (config or {}) if name in app.config}
    app.config.update(config or {})
    try:
        yield
    finally:
        for name in config or {}:
            if name in saved:
                app.config[name] = saved[name]
            else:
                app.config.pop(name, None)
        ours = app.extensions.pop(key, None)
        if ours is not None:
            app.extensions[f"kyodo_{key}"] = ours
        if host is not None:
            app.extensions[key] = host
        elif ours is not None:  # no host's: kyodo's is the app's (the standalone app)
            app.extensions[key] = ours


def leaves_kyodo_tables(obj: Any, name: str | None, type_: str, _reflected: bool,
                        _compare_to: Any) -> bool:
    """A host's Alembic ``include_object``: kyodo's tables, their indexes and its version
    table are left to kyodo's migrations (``kyodo db upgrade``), so the host's
    ``flask db migrate`` neither drops nor alters them."""
    from . import VERSION_TABLE
    from .models.base import Base

    ours = set(Base.metadata.tables) | {VERSION_TABLE}
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table not in ours
