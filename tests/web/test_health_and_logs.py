"""A load balancer's health check, and logs that identify requests without personal data."""

from __future__ import annotations

import io
import json

import pytest

from kyodo_admin import create_app, logs
from kyodo_admin.models import Role

from ..conftest import app_config, form_page
from ..factories import CityFactory, ProposalFactory, UserFactory


def test_healthz_answers_while_the_database_does(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "queue": "ok",
                                   "notices": "ok"}
    assert "Set-Cookie" not in response.headers  # a load balancer gets no session


def test_healthz_says_503_without_details_when_the_database_is_down():
    down = create_app(app_config("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable", "queue": "ok",
                                   "notices": "unknown"}
    assert "127.0.0.1" not in response.get_data(as_text=True)


@pytest.fixture
def json_log(app):
    """The lines the app logs during the test, as JSON objects."""
    app.config["KYODO_LOG_FORMAT"] = "json"
    stream = io.StringIO()
    logs.install_handler(app).setStream(stream)  # type: ignore[attr-defined]
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    app.config["KYODO_LOG_FORMAT"] = "text"
    logs.install_handler(app)


def test_each_request_is_logged_once_with_its_id_user_and_city_but_no_data(
        app, client, login_as, json_log):
    city = CityFactory()
    staff = UserFactory(city=city, role=Role.STAFF.value, display_name="秘密 花子",
                        email="hanako@example.jp")
    proposal = ProposalFactory(city=city, title="個人名を含む提案 山田太郎",
                               status="submitted")
    city_id, staff_id, username = city.id, staff.id, staff.username
    edit_url = f"/admin/proposal/edit/?id={proposal.id}"
    login_as(staff)
    client.get("/admin/proposal/?search=山田太郎")
    _html, values = form_page(client, edit_url)
    values["summary"] = "電話 090-1234-5678 の方から相談"
    saved = client.post(edit_url, data=values,
                        headers={"X-Request-ID": "lb-7f3a9c"})
    assert saved.status_code == 302 and saved.headers["X-Request-ID"] == "lb-7f3a9c"

    lines = json_log()
    save = [line for line in lines if line.get("request_id") == "lb-7f3a9c"]
    assert len(save) == 1
    assert save[0]["method"] == "POST" and save[0]["path"] == "/admin/proposal/edit/"
    assert save[0]["status"] == 302 and save[0]["user_id"] == staff_id
    assert save[0]["city_id"] == city_id and isinstance(save[0]["ms"], int)
    text = json.dumps(lines, ensure_ascii=False)
    for private in ("山田太郎", "090-1234-5678", "秘密 花子", "hanako@example.jp",
                    username, "search="):
        assert private not in text
    listed = [line for line in lines if line.get("path") == "/admin/proposal/"]
    assert listed and listed[0]["request_id"] != "lb-7f3a9c"  # a new id when none is sent


def test_a_request_id_that_is_not_sane_is_replaced(app, client, json_log):
    response = client.get("/login", headers={"X-Request-ID": "x" * 200 + "<script>"})
    assert response.headers["X-Request-ID"] != "x" * 200
    assert len(response.headers["X-Request-ID"]) == 16


def test_a_queue_url_that_cannot_be_is_refused_at_start_with_a_message():
    from kyodo_admin.config import ConfigError

    with pytest.raises(ConfigError, match="KYODO_QUEUE_URL「amqp://broker」は使えません"):
        create_app(app_config("sqlite://", KYODO_QUEUE_URL="amqp://broker"))
