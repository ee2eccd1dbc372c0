"""Fixtures: the app on SQLite and on PostgreSQL, a clean database per test, login helpers.

Every test runs once per backend. PostgreSQL is used when it answers at
``KYODO_TEST_PG`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``);
when ``CI`` is set, a missing PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Iterator
from typing import Any

import flask
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from kyodo_admin import create_app, tenancy
from kyodo_admin.extensions import db, limiter
from kyodo_admin.models import Base
from kyodo_admin.services.users import use_fast_hashing

PG_ADMIN_URL = os.environ.get("KYODO_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TEST_PASSWORD = "correct-horse-battery"

use_fast_hashing()


def pg_url(database: str) -> str:
    return sa.engine.make_url(PG_ADMIN_URL).set(database=database).render_as_string(
        hide_password=False)


def pg_create_database(name: str) -> str:
    """(Re)create an empty PostgreSQL database; fail in CI, skip elsewhere, when unreachable."""
    try:
        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
        engine.dispose()
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but did not answer: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}")
    return pg_url(name)


def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp(name) / 'test.sqlite3'}"
    return pg_create_database(f"kyodo_{name}_{os.getpid()}")


def app_config(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key",
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "localhost",
        "KYODO_QUEUE_URL": "immediate",  # a task runs as it is enqueued (one test runs workers)
        **extra,
    }


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production.

    Without this, a request would reuse the test's pushed app context: the
    same ``g`` (logged-in user), the same SQLAlchemy session and identity map.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        def run() -> Any:
            response = super(IsolatedClient, self).open(*args, **kwargs)
            response.get_data()  # consume a streamed body (CSV) while its contexts live
            return response

        response = contextvars.Context().run(run)
        if flask.has_app_context():
            # End the test's own read transaction so it sees what the request committed.
            db.session.rollback()
        return response


#: Markers given by where a test lives, for ``-m`` (``make test-fast`` leaves these out).
LOCATION_MARKERS = {"browser": "tests/browser/", "pdf": "tests/documents/test_pdf",
                    "bench": "tests/test_bench.py"}


#: The files that run real processes for long (gunicorn, workers, benchmarks, LibreOffice, the
#: whole cycle in a browser). ``make test`` runs two pytest-xdist processes, a file each at a
#: time: these start first, so the end of the run is not one of them alone.
LONG_FILES = ("tests/test_bench.py", "tests/test_production.py", "tests/test_shutdown.py",
              "tests/test_slow_work.py", "tests/test_two_machines.py", "tests/browser/test_cycle.py",
              "tests/documents/test_queue.py", "tests/browser/test_every_form.py")


def pytest_itemcollected(item: pytest.Item) -> None:
    """Markers by where a test lives and which backend it runs on (before ``-m`` selects)."""
    path = item.nodeid.split("::", 1)[0]
    for marker, where in LOCATION_MARKERS.items():
        if path.startswith(where):
            item.add_marker(marker)
    if "[postgresql" in item.nodeid or "-postgresql" in item.nodeid:
        item.add_marker("postgresql")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.nodeid.split("::", 1)[0] not in LONG_FILES)  # stable


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = database_url(backend, tmp_path_factory, "suite")
    app = create_app(app_config(url))
    app.test_client_class = IsolatedClient
    with app.app_context():
        Base.metadata.create_all(db.engine)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _rate_limits_off_again() -> Iterator[None]:
    """Flask-Limiter's ``enabled`` lives on the process-wide extension, so a test that builds
    an app with RATELIMIT_ENABLED would leave limits on (and counting) for the next tests."""
    yield
    if limiter.enabled and limiter.initialized:
        limiter.reset()
        limiter.enabled = False


def enter_city(city: Any) -> int:
    """From this line on the test body reads and writes as the city's own request or job
    does: in that city's scope, nowhere else (the scope is lifted after the test). For a
    test about one city; a test about several says where with ``scoped_to``/``all_cities``."""
    city_id = city if isinstance(city, int) else int(city.id)
    tenancy.set_scope(city_id)
    return city_id


@pytest.fixture(autouse=True)
def _no_city_current() -> Iterator[None]:
    """Each test body starts with no city current, as production code does: a request, a
    command or a job sets its own scope (``enter_city`` sets one for the body)."""
    token = tenancy.set_scope(tenancy.NOT_SET)
    yield
    tenancy.reset_scope(token)


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts from empty tables and leaves none of its rows behind."""
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    ctx = app.app_context()
    ctx.push()
    try:
        yield
    finally:
        db.session.rollback()
        db.session.remove()
        # Per-table DELETE, children first: cheap on both backends (a TRUNCATE of every table
        # after each test cost PostgreSQL about 0.6 s a test).
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "sqlite":
                # Self-references (an amendment's previous agreement) are checked at commit.
                conn.execute(sa.text("PRAGMA defer_foreign_keys = ON"))
            for table in tables:
                conn.execute(sa.text(f'DELETE FROM "{table}"'))
        ctx.pop()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in page"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, username: str, password: str = TEST_PASSWORD) -> Any:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


@pytest.fixture
def login_as(client: FlaskClient) -> Any:
    """``login_as(user)`` logs the test client in as that user (password TEST_PASSWORD)."""

    def _login(user: Any) -> FlaskClient:
        with tenancy.all_cities():  # the login lookup: the name decides the city
            username = user.username
        client.post("/logout", data={"csrf_token": _token(client)})
        response = login(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return _login


def _token(client: FlaskClient) -> str:
    with client.session_transaction() as sess:
        if "csrf_token" not in sess:
            return ""
    # Any page with a form gives the current token.
    html = client.get("/logout").get_data(as_text=True)
    return csrf_from(html) if "csrf_token" in html else ""


def form_page(client: FlaskClient, url: str) -> tuple[str, dict[str, str]]:
    """GET a form page; returns its HTML and the values of its inputs (incl. csrf, version)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    html = response.get_data(as_text=True)
    return html, form_values(html)


def form_values(html: str) -> dict[str, str]:
    """What a browser would post of a page's form as it stands (checked boxes, selected
    options, text areas without their first line break)."""
    values: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if ('type="checkbox"' in tag or 'type="radio"' in tag) and "checked" not in tag:
            continue
        if 'type="file"' in tag:
            continue
        if 'type="submit"' in tag:
            continue
        values[name.group(1)] = _unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        # A browser drops the one line break that follows <textarea>.
        values[name] = _unescape(re.sub(r"^\r?\n", "", body))
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', body)
        if selected:
            values[name] = _unescape(selected.group(1) or selected.group(2) or "")
    return values


def _unescape(text: str) -> str:
    import html as html_lib

    return html_lib.unescape(text)


def flashes(html: str) -> list[str]:
    """The flashed messages on a page."""
    return [re.sub(r"<[^>]+>|×|&times;", "", m).strip()
            for m in re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S)]


def statements_of(client: FlaskClient, url: str) -> list[str]:
    """The SQL statements one GET of ``url`` sends (it must answer 200)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200, (url, response.status_code)
    return seen


def demo_app_of(backend: str, tmp_path_factory: pytest.TempPathFactory, name: str,
                **extra: Any) -> Iterator[Flask]:
    """An app with ``kyodo demo`` loaded (the five seed cities) and the given settings."""
    app = create_app(app_config(database_url(backend, tmp_path_factory, name), **extra))
    app.test_client_class = IsolatedClient
    runner = app.test_cli_runner()
    first = runner.invoke(args=["kyodo", "demo"])
    assert first.exit_code == 0, first.output
    app.first_output = first.output
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def demo_app(backend, tmp_path_factory):
    """An app with ``kyodo demo`` loaded (the five seed cities), shared by a module's tests."""
    yield from demo_app_of(backend, tmp_path_factory, "demo")
