"""Every route except the login page and static files requires login; none fails with 500."""

from __future__ import annotations

import pytest

from kyodo_admin.models import Role

from ..factories import CityFactory, UserFactory

PUBLIC_ENDPOINTS = {"auth.login", "static", "admin.static", "kyodo.static", "auth.logout", "auth.index",
                    "entrance.proposal_form", "entrance.received", "entrance.example_document",
                    "entrance.ask_for_link", "entrance.proposal_status",
                    "disclosure.projects", "health.healthz"}  # tested in tests/web
DUMMY_ARGS = {"export_type": "csv", "id": "1", "filename": "x.css"}


def walk(app):
    for rule in app.url_map.iter_rules():
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<{arg}>", DUMMY_ARGS.get(arg, "1"))
            url = url.replace(f"<int:{arg}>", DUMMY_ARGS.get(arg, "1"))
            url = url.replace(f"<path:{arg}>", DUMMY_ARGS.get(arg, "x"))
        methods = sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS"))
        yield rule.endpoint, url, methods


def test_anonymous_is_sent_to_login_everywhere(app, client):
    seen = 0
    for endpoint, url, methods in walk(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        for method in methods:
            response = client.open(url, method=method)
            seen += 1
            if method == "GET":
                assert response.status_code == 302, (endpoint, url, response.status_code)
                assert "/login" in response.headers["Location"], (endpoint, url)
            else:
                # A POST without login is refused: CSRF (400) or login (302).
                assert response.status_code in (302, 400), (endpoint, url, response.status_code)
    assert seen > 100


def test_logout_and_root_redirect_anonymous_to_login(client):
    assert "/login" in client.get("/logout").headers["Location"]
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_no_route_fails_for_any_role(app, client, login_as, role):
    city = CityFactory()
    user = UserFactory(city=None if role is Role.SYSTEM_ADMIN else city, role=role.value)
    login_as(user)
    for endpoint, url, methods in walk(app):
        if "GET" not in methods or endpoint == "auth.logout":
            continue
        response = client.get(url)
        assert response.status_code in (200, 302, 400, 403, 404), \
            (endpoint, url, response.status_code)
        assert b"Traceback" not in response.get_data()  # text or a file (the ledger)


def test_during_a_database_outage_a_logged_in_user_gets_the_japanese_error_page(
        app, client, login_as, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from kyodo_admin.extensions import login_manager

    from ..factories import CityFactory, UserFactory

    login_as(UserFactory(city=CityFactory()))

    def database_down(_session_id):
        raise OperationalError("SELECT user_account", {}, Exception("connection refused"))

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production
    monkeypatch.setattr(login_manager, "_user_callback", database_down)
    response = client.get("/admin/proposal/")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "システムエラーが発生しました" in html and "SELECT" not in html
    assert "Internal Server Error" not in html


def test_when_even_the_error_page_cannot_render_a_plain_japanese_page_is_sent(
        app, client, login_as, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from kyodo_admin.extensions import login_manager
    from kyodo_admin.web import errors

    from ..factories import CityFactory, UserFactory

    login_as(UserFactory(city=CityFactory()))

    def database_down(_session_id):
        raise OperationalError("SELECT user_account", {}, Exception("connection refused"))

    def cannot_render(*_args, **_kwargs):
        raise OperationalError("SELECT user_account", {}, Exception("connection refused"))

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(login_manager, "_user_callback", database_down)
    monkeypatch.setattr(errors, "render_template", cannot_render)
    response = client.get("/admin/proposal/")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and '<html lang="ja">' in html
    assert "システムエラーが発生しました（500）" in html and "Internal Server Error" not in html
