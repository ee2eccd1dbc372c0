"""kyodo installed into a host application: ``Kyodo().init_app(app)`` refuses a second call or
a host without a secret key before registering anything; the host's own sessions beside kyodo
see none of kyodo's listeners (tenancy, audit, notices, derived fields), which are bound to
kyodo's session class — counted — while kyodo's own session keeps every one of them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from kyodo_admin import Kyodo, tenancy
from kyodo_admin.config import ConfigError
from kyodo_admin.extensions import db
from kyodo_admin.models import Organization
from kyodo_admin.services import audit
from kyodo_admin.sessions import KyodoSession
from kyodo_admin.tenancy import TenancyNotSet


class HostBase(DeclarativeBase):
    pass


class Booking(HostBase):
    """A host's own record (a facility booking), in the host's own metadata."""

    __tablename__ = "host_booking"
    id: Mapped[int] = mapped_column(primary_key=True)
    room: Mapped[str] = mapped_column(sa.String(50))


class Counter:
    """Stands in for a value every kyodo listener reads first, counting the reads."""

    def __init__(self, wrapped):
        self.wrapped, self.reads = wrapped, 0

    def get(self, *args):
        self.reads += 1
        return self.wrapped.get(*args)


@pytest.fixture
def counted(monkeypatch):
    """The reads of the current city (tenancy's listeners) and of the actor (audit's)."""
    city = Counter(tenancy._current_city)
    actor = Counter(audit._actor)
    monkeypatch.setattr(tenancy, "_current_city", city)
    monkeypatch.setattr(audit, "_actor", actor)
    return lambda: city.reads + actor.reads


def test_a_host_session_saves_and_reads_with_no_kyodo_listener(app, counted, tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'host.sqlite3'}")
    HostBase.metadata.create_all(engine)
    with Session(engine) as session:  # no city is current: kyodo's tenancy would refuse
        session.add(Booking(room="第1会議室"))
        session.commit()
        booking = session.execute(sa.select(Booking)).scalar_one()
        booking.room = "第2会議室"
        session.commit()
        assert session.execute(sa.select(Booking.room)).scalar_one() == "第2会議室"
    assert counted() == 0
    engine.dispose()


def test_kyodos_own_session_keeps_every_listener(app, counted):
    with pytest.raises(TenancyNotSet):
        db.session.execute(sa.select(Organization)).all()
    db.session.rollback()
    assert counted() > 0
    assert isinstance(db.session(), KyodoSession)
    for name in ("do_orm_execute", "before_flush", "after_flush"):
        assert sa.event.contains(KyodoSession, name, _listener(name))
        assert not sa.event.contains(Session, name, _listener(name))


def _listener(name: str):
    from kyodo_admin.services.audit import _write_audit

    return {"do_orm_execute": tenancy._scope_select, "before_flush": tenancy._enforce_city,
            "after_flush": _write_audit}[name]


def test_init_app_twice_is_refused_naming_the_conflict(app):
    with pytest.raises(ConfigError, match="すでに組み込まれています（Kyodo.init_app が2回呼ばれました）"):
        Kyodo().init_app(app)


def test_a_host_without_a_secret_key_is_refused_with_nothing_registered(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("KYODO_INSTANCE_PATH", str(tmp_path))
    host = Flask("host")
    host.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'host.sqlite3'}"
    with pytest.raises(ConfigError, match="SECRET_KEY を設定してください"):
        Kyodo(host)
    assert "kyodo" not in host.extensions and "sqlalchemy" not in host.extensions
    assert list(host.blueprints) == [] and not (tmp_path / "secret_key").exists()


def test_a_host_keeps_its_own_pages_headers_and_error_pages(monkeypatch, tmp_path):
    """kyodo's hooks, headers and error pages are for kyodo's requests: the host's page gets
    no kyodo header, the host's 404 stays the host's, while kyodo's pages keep theirs."""
    from kyodo_admin.models import Base

    monkeypatch.setenv("KYODO_INSTANCE_PATH", str(tmp_path))
    host = Flask("host")
    host.config.update(SECRET_KEY="the-host-s-own-secret-key", TESTING=True,
                       SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'kyodo.sqlite3'}",
                       KYODO_QUEUE_URL="immediate", RATELIMIT_ENABLED=False)

    @host.route("/bookings")
    def bookings() -> str:
        return "会議室の予約"

    @host.errorhandler(404)
    def not_here(_exc):
        return "the host's own 404", 404

    Kyodo(host)
    with host.app_context():
        Base.metadata.create_all(db.engine)
    client = host.test_client()
    own = client.get("/bookings")
    assert own.get_data(as_text=True) == "会議室の予約"
    assert not {"Content-Security-Policy", "X-Request-ID", "X-Frame-Options"} & set(own.headers)
    assert client.get("/nowhere").get_data(as_text=True) == "the host's own 404"

    login = client.get("/login")
    assert login.status_code == 200 and "Content-Security-Policy" in login.headers
    unknown_city = client.get("/disclosure/no-such-city/")
    assert unknown_city.status_code == 404 and "ページが見つかりません" in unknown_city.get_data(
        as_text=True)
    with host.app_context():
        db.session.remove()
        db.engine.dispose()


def host_app(tmp_path, home: bool = True, **config) -> Flask:
    host = Flask("host")
    host.config.update(SECRET_KEY="the-host-s-own-secret-key", TESTING=True,
                       SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'kyodo.sqlite3'}",
                       KYODO_QUEUE_URL="immediate", RATELIMIT_ENABLED=False, **config)

    if home:
        host.add_url_rule("/", "home", lambda: "the host's own home")
    return host


def test_kyodo_lives_under_its_url_prefix_beside_the_host_pages(monkeypatch, tmp_path):
    from kyodo_admin.models import Base

    monkeypatch.setenv("KYODO_INSTANCE_PATH", str(tmp_path))
    host = host_app(tmp_path)
    Kyodo(host, url_prefix="/kyodo")
    with host.app_context():
        Base.metadata.create_all(db.engine)
    client = host.test_client()
    assert client.get("/").get_data(as_text=True) == "the host's own home"
    assert client.get("/kyodo/login").status_code == 200
    assert "/kyodo/static/kyodo.css" in client.get("/kyodo/login").get_data(as_text=True)
    assert client.get("/kyodo/static/kyodo.css").status_code == 200
    admin = client.get("/kyodo/admin/")
    assert admin.status_code == 302 and "/kyodo/login" in admin.headers["Location"]
    with host.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("route,prefix,taken", [
    ("/login", "", "/login"), ("/admin/reports", "", "/admin"),
    ("/kyodo/admin", "/kyodo", "/kyodo/admin"), ("/kyodo/static/x.css", "", "/kyodo/static"),
])
def test_a_prefix_whose_pages_a_host_route_holds_is_refused_with_nothing_registered(
        monkeypatch, tmp_path, route, prefix, taken):
    monkeypatch.setenv("KYODO_INSTANCE_PATH", str(tmp_path))
    host = host_app(tmp_path, home=False)
    host.add_url_rule(route, "hosts_own", lambda: "host")
    with pytest.raises(ConfigError, match=f"kyodo_admin のページ（{taken}）が、このアプリのルート "
                                          f"{route}（hosts_own）と重なります"):
        Kyodo(host, url_prefix=prefix)
    assert "kyodo" not in host.extensions and "sqlalchemy" not in host.extensions
    assert list(host.blueprints) == []
