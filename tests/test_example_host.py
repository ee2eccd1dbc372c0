"""The example host (examples/host_app: its own model, Flask-Admin view, Flask-SQLAlchemy,
Flask-Migrate and Flask-Login) with kyodo installed into it: the host's records save through
its own admin with no kyodo listener and no kyodo header; kyodo's screens are in the host's
admin and its pages under /kyodo; the host's login serves kyodo through the adapter; a host
template overrides a kyodo template; each history of migrations keeps its own version table;
a conflict at start-up is named with nothing registered."""

from __future__ import annotations

import sys
from pathlib import Path

import flask_admin
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_admin.theme import Bootstrap4Theme
from flask_login import LoginManager
from flask_migrate import check, upgrade
from flask_sqlalchemy import SQLAlchemy
from jinja2 import ChoiceLoader, FileSystemLoader
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import generate_password_hash

from kyodo_admin import VERSION_TABLE, Kyodo, tenancy
from kyodo_admin.cli import kyodo_migrations
from kyodo_admin.config import ConfigError
from kyodo_admin.extensions import db as kyodo_db
from kyodo_admin.models import City, Organization, User
from kyodo_admin.services.cities import add_city
from kyodo_admin.shipped import shipped

from .conftest import database_url
from .test_host_app import counted  # noqa: F401 - the fixture

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "host_app"
sys.path.insert(0, str(EXAMPLE))

import host_app  # noqa: E402


@pytest.fixture
def example(backend, tmp_path_factory, monkeypatch):
    """The example host on a database of its own, both histories of migrations upgraded,
    Kamakura added from its seed, a member of staff mapped to kyodo and one not."""
    tmp = tmp_path_factory.mktemp("example")
    monkeypatch.setenv("KYODO_INSTANCE_PATH", str(tmp))
    url = database_url(backend, tmp_path_factory, "example")
    app = host_app.create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                               "KYODO_QUEUE_URL": "immediate", "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade(directory=str(EXAMPLE / "migrations"))  # the host's own history
        with kyodo_migrations(app):
            upgrade()  # kyodo's, beside it
        with tenancy.all_cities():
            add_city(kyodo_db.session, "kamakura", "鎌倉市", seed="kamakura")
            kyodo_db.session.commit()
        for username, role in (("alice", "staff"), ("bob", "")):
            host_app.db.session.add(host_app.Staff(
                username=username, name=username.title(), kyodo_role=role, city="kamakura",
                password_hash=generate_password_hash("host-password")))
        host_app.db.session.commit()
    yield app
    with app.app_context():
        host_app.db.session.remove()
        kyodo_db.session.remove()
        host_app.db.engine.dispose()
        kyodo_db.engine.dispose()


def log_in(client, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": "host-password"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def test_the_hosts_record_saves_through_its_own_admin_with_nothing_of_kyodo(example, counted):  # noqa: F811
    client = example.test_client()
    log_in(client, "bob")
    listed = client.get("/admin/facility/")
    page = listed.get_data(as_text=True)
    assert listed.status_code == 200 and "Content-Security-Policy" not in listed.headers
    assert "kyodo.css" not in page and "kyodo-skip" not in page  # Flask-Admin's own page
    before = counted()
    saved = client.post("/admin/facility/new/", data={"name": "市民会館", "capacity": "300"})
    assert saved.status_code == 302 and "Content-Security-Policy" not in saved.headers
    assert counted() == before  # no tenancy, audit or notice listener read anything
    with example.app_context():
        facility = host_app.db.session.execute(sa.select(host_app.Facility)).scalar_one()
        assert (facility.name, facility.capacity) == ("市民会館", 300)
    # The host's 404 is the host's (Flask's), not kyodo's Japanese page.
    assert "ページが見つかりません" not in client.get("/nowhere").get_data(as_text=True)


def test_the_hosts_user_opens_kyodos_home_for_their_city_through_the_adapter(example):
    client = example.test_client()
    away = client.get("/admin/kyodo/")  # nobody logged in: the host's login page
    away = client.get(away.headers["Location"])
    assert away.status_code == 302 and away.headers["Location"].startswith("/login?next=")
    log_in(client, "alice")
    home = client.get("/admin/kyodo/")
    page = home.get_data(as_text=True)
    assert home.status_code == 200, page[:500]
    assert "鎌倉市" in page and "Alice" in page and "協働事業" in page
    assert "Content-Security-Policy" in home.headers  # kyodo's page, kyodo's headers
    assert "施設" in page  # the host's own menu stays above kyodo's screens
    proposals = client.get("/admin/proposal/")
    assert proposals.status_code == 200 and "提案" in proposals.get_data(as_text=True)
    with example.app_context(), tenancy.all_cities():
            account = kyodo_db.session.execute(
                sa.select(User).where(User.username == "host-alice")).scalar_one()
            assert (account.role, account.city.slug, account.password_hash) == \
                ("staff", "kamakura", "")


def test_a_host_user_the_adapter_gives_no_kyodo_access_is_refused(example):
    client = example.test_client()
    log_in(client, "bob")
    assert client.get("/admin/facility/").status_code == 200
    refused = client.get("/admin/proposal/", follow_redirects=True)
    assert refused.status_code == 403
    assert "権限がありません" in refused.get_data(as_text=True)


def test_kyodos_public_pages_live_under_the_prefix(example):
    client = example.test_client()
    entrance = client.get("/kyodo/entrance/kamakura/")
    assert entrance.status_code == 200 and "鎌倉市" in entrance.get_data(as_text=True)
    assert client.get("/kyodo/healthz").status_code == 200
    assert client.get("/").status_code == 200  # the host's own home


def test_a_host_template_overrides_a_kyodo_template(example, tmp_path):
    (tmp_path / "kyodo" / "web").mkdir(parents=True)
    (tmp_path / "kyodo" / "web" / "entrance.html").write_text(
        "{{ city.name }}の提案受付（市のページ）", encoding="utf-8")
    example.jinja_loader = ChoiceLoader([FileSystemLoader(tmp_path), example.jinja_loader])
    page = example.test_client().get("/kyodo/entrance/kamakura/").get_data(as_text=True)
    assert page == "鎌倉市の提案受付（市のページ）"


def test_each_history_of_migrations_keeps_its_own_version_table(example):
    with example.app_context():
        inspector = sa.inspect(host_app.db.engine)
        with host_app.db.engine.connect() as connection:
            host_head = connection.execute(sa.text("SELECT version_num FROM alembic_version")) \
                .scalars().all()
            kyodo_head = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")) \
                .scalars().all()
        assert host_head == ["3460af639ab5"] and len(kyodo_head) == 1
        assert {"facility", "staff", "proposal", "city"} <= set(inspector.get_table_names())
        # The host's own autogenerate sees its models as they are and leaves kyodo's tables.
        check(directory=str(EXAMPLE / "migrations"))
        upgrade(directory=str(EXAMPLE / "migrations"))  # nothing to do, nothing broken
        with kyodo_migrations(example):
            upgrade()
        with tenancy.all_cities():
            assert kyodo_db.session.execute(sa.select(City.slug)).scalars().all() == ["kamakura"]


def test_an_install_from_before_moves_its_revision_into_kyodos_version_table(
        backend, tmp_path_factory, monkeypatch):
    from kyodo_admin import create_app

    from .conftest import app_config

    url = database_url(backend, tmp_path_factory, "adopt")
    app = create_app(app_config(url))
    with app.app_context():
        upgrade()
        with kyodo_db.engine.begin() as connection:  # as an earlier version left it
            connection.execute(sa.text(
                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
            connection.execute(sa.text(
                f"INSERT INTO alembic_version SELECT version_num FROM {VERSION_TABLE}"))
            connection.execute(sa.text(f"DROP TABLE {VERSION_TABLE}"))
        upgrade()
        inspector = sa.inspect(kyodo_db.engine)
        assert not inspector.has_table("alembic_version")
        with kyodo_db.engine.connect() as connection:
            assert connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")) \
                .scalar_one() == ScriptDirectory(str(shipped("migrations"))).get_current_head()
        kyodo_db.session.remove()
        kyodo_db.engine.dispose()


# --- conflicts at start-up: named, with nothing registered ---------------------------------


def bare_host(tmp_path, **config) -> Flask:
    host = Flask("bare_host")
    host.config.update({"SECRET_KEY": "the-host-s-own-secret-key", "TESTING": True,
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'host.sqlite3'}",
                        "KYODO_QUEUE_URL": "immediate", **config})
    return host


def nothing_registered(host: Flask, *kept: str) -> None:
    assert "kyodo" not in host.extensions and "kyodo_sqlalchemy" not in host.extensions
    assert set(host.blueprints) == set(kept)


def test_a_host_table_where_a_kyodo_table_would_be_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("KYODO_INSTANCE_PATH", str(tmp_path))
    host = bare_host(tmp_path)
    host_db = SQLAlchemy()

    class HostProject(host_db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "project"
        id: Mapped[int] = mapped_column(primary_key=True)

    host_db.init_app(host)
    with pytest.raises(ConfigError, match="このアプリの表「project」が、kyodo_admin の表と重なります"
                                          "。KYODO_DB_SCHEMA"):
        Kyodo(host)
    nothing_registered(host)
    # kyodo in a database of its own: no conflict.
    host.config["KYODO_DATABASE_URL"] = f"sqlite:///{tmp_path / 'kyodo.sqlite3'}"
    Kyodo(host)
    assert host.extensions["sqlalchemy"] is host_db  # the host's stays the host's


def test_an_admin_of_another_flask_admin_major_version_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("KYODO_INSTANCE_PATH", str(tmp_path))
    host = bare_host(tmp_path)
    admin = Admin(host, theme=Bootstrap4Theme())
    monkeypatch.setattr(flask_admin, "__version__", "1.6.1")
    with pytest.raises(ConfigError, match=r"Flask-Admin 2\.x の Admin に組み込めます（このアプリの"
                                          r"Flask-Admin は 1\.6\.1"):
        Kyodo(host, admin=admin)
    nothing_registered(host, "admin")
    assert len(admin._views) == 1  # its own index only


def test_an_admin_view_with_a_kyodo_screens_name_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("KYODO_INSTANCE_PATH", str(tmp_path))
    host = bare_host(tmp_path)
    host_db = SQLAlchemy()

    class Thing(host_db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "host_thing"
        id: Mapped[int] = mapped_column(primary_key=True)

    host_db.init_app(host)
    admin = Admin(host, theme=Bootstrap4Theme())
    admin.add_view(ModelView(Thing, host_db.session, endpoint="proposal"))
    with pytest.raises(ConfigError, match="kyodo_admin の画面の名前（proposal）が"):
        Kyodo(host, admin=admin)
    nothing_registered(host, "admin", "proposal")


def test_a_hosts_flask_login_without_an_adapter_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("KYODO_INSTANCE_PATH", str(tmp_path))
    host = bare_host(tmp_path)
    LoginManager(host)
    with pytest.raises(ConfigError, match="すでに Flask-Login を使っています。kyodo_admin に "
                                          "user_adapter を渡して"):
        Kyodo(host)
    nothing_registered(host)


def test_kyodos_forms_are_protected_and_the_hosts_stay_as_the_host_made_them(example):
    client = example.test_client()
    log_in(client, "alice")  # the host's own login form: no CSRF token, as the host made it
    refused = client.post("/admin/organization/new/", data={"name": "トークンのない団体"})
    assert refused.status_code == 400
    assert "CSRFトークンが不正です" in refused.get_data(as_text=True)
    with example.app_context(), tenancy.all_cities():
        assert kyodo_db.session.execute(sa.select(Organization).where(
            Organization.name == "トークンのない団体")).first() is None


def test_a_hosts_csrf_and_babel_serve_kyodo_too(tmp_path, monkeypatch):
    """A host with its own CSRFProtect and Flask-Babel (English by default) and kyodo's own
    accounts: kyodo's forms carry the host's tokens, its screens speak the host's language."""
    from flask_babel import Babel
    from flask_wtf.csrf import CSRFProtect

    from kyodo_admin.models import Base

    from .conftest import TEST_PASSWORD, login
    from .factories import UserFactory

    monkeypatch.setenv("KYODO_INSTANCE_PATH", str(tmp_path))
    host = bare_host(tmp_path)
    host_csrf, host_babel = CSRFProtect(host), Babel(host)
    Kyodo(host)
    assert host.extensions["csrf"] is host_csrf and host.extensions["babel"].instance is host_babel
    with host.app_context():
        Base.metadata.create_all(kyodo_db.engine)
        UserFactory(username="clerk")
    client = host.test_client()
    assert client.post("/login", data={"username": "clerk", "password": TEST_PASSWORD}) \
        .status_code == 400  # no token: the host's CSRFProtect refuses it
    assert login(client, "clerk").status_code == 302
    home = client.get("/admin/").get_data(as_text=True)
    assert "Skip to main content" in home  # kyodo's catalog, in the host's language
    with host.app_context():
        kyodo_db.session.remove()
        kyodo_db.engine.dispose()


@pytest.mark.postgresql
def test_on_postgresql_kyodos_tables_take_a_schema_beside_a_host_table_of_the_same_name(
        tmp_path, monkeypatch):
    import os

    from .conftest import pg_create_database

    monkeypatch.setenv("KYODO_INSTANCE_PATH", str(tmp_path))
    url = pg_create_database(f"kyodo_schema_{os.getpid()}")
    host = bare_host(tmp_path, SQLALCHEMY_DATABASE_URI=url, KYODO_DB_SCHEMA="kyodo")
    host_db = SQLAlchemy()

    class HostProject(host_db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "project"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(sa.String(100))

    host_db.init_app(host)
    with host.app_context():
        host_db.create_all()
        host_db.session.add(HostProject(title="市の総合計画"))
        host_db.session.commit()
    Kyodo(host)  # its project table in another schema: no conflict
    with host.app_context():
        with kyodo_migrations(host):
            upgrade()
        with tenancy.all_cities():
            add_city(kyodo_db.session, "kamakura", "鎌倉市", seed="kamakura")
            kyodo_db.session.commit()
            assert kyodo_db.session.execute(sa.select(City.slug)).scalars().all() == ["kamakura"]
        inspector = sa.inspect(host_db.engine)
        assert {"project", "city", "proposal", VERSION_TABLE} <= \
            set(inspector.get_table_names(schema="kyodo"))
        assert set(inspector.get_table_names(schema="public")) == {"project"}
        assert host_db.session.execute(sa.select(HostProject.title)).scalars().all() == \
            ["市の総合計画"]
        kyodo_db.session.remove()
        kyodo_db.engine.dispose()
        host_db.engine.dispose()


def test_a_schema_name_kyodo_cannot_use_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("KYODO_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("KYODO_DB_SCHEMA", 'kyodo"; DROP TABLE x; --')
    host = bare_host(tmp_path)
    with pytest.raises(ConfigError, match="KYODO_DB_SCHEMA「kyodo\"; DROP TABLE x; --」は"
                                          "スキーマ名に使えません"):
        Kyodo(host)
    nothing_registered(host)


def test_kyodos_template_names_are_its_own_and_the_hosts_stay_the_hosts(tmp_path, monkeypatch):
    """kyodo's filters and globals (``number``, ``list_url``…) are in its templates only: a
    host's own of the same names keep working on the host's pages."""
    from flask import render_template_string

    from kyodo_admin.models import Base

    monkeypatch.setenv("KYODO_INSTANCE_PATH", str(tmp_path))
    host = bare_host(tmp_path)
    host.jinja_env.filters["number"] = lambda value: f"第{value}号"
    host.jinja_env.globals["list_url"] = "/the-hosts-lists"
    host.add_url_rule("/notice", "notice", lambda: render_template_string(
        "{{ 7|number }} {{ list_url }}"))
    Kyodo(host, url_prefix="/kyodo")
    with host.app_context():
        Base.metadata.create_all(kyodo_db.engine)
    client = host.test_client()
    assert client.get("/kyodo/login").status_code == 200  # kyodo's page, kyodo's names
    assert client.get("/notice").get_data(as_text=True) == "第7号 /the-hosts-lists"
    with host.app_context():
        kyodo_db.engine.dispose()
