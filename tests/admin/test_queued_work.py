"""Slow work's page (a template's checks, an import): what a clerk sees when the work
fails, when the queue does not answer and when its worker was stopped — the reason, the way
back, and nothing stored."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select, update

from kyodo_admin import clock
from kyodo_admin.extensions import db
from kyodo_admin.models import DocumentTemplate, QueuedWork, Role

from ..conftest import csrf_from, enter_city, flashes
from ..documents.bad_templates import BAD_TEMPLATES, clean_template
from ..factories import UserFactory


@pytest.fixture
def city_admin(kamakura, login_as):
    enter_city(kamakura)
    user = UserFactory(city=kamakura, role=Role.CITY_ADMIN.value)
    login_as(user)
    return user


def send_template(client, data: bytes):
    token = csrf_from(client.get("/admin/document_template/new/").get_data(as_text=True))
    response = client.post("/admin/document_template/new/", data={
        "csrf_token": token, "kind": "agreement", "note": "",
        "upload": (io.BytesIO(data), "協定書.docx")}, content_type="multipart/form-data")
    assert response.status_code == 302 and "/admin/work/" in response.headers["Location"]
    return response.headers["Location"]


def templates() -> int:
    return db.session.execute(select(func.count()).select_from(DocumentTemplate)).scalar_one()


def works() -> list[QueuedWork]:
    db.session.expire_all()
    return list(db.session.execute(select(QueuedWork)).scalars())


def test_a_refused_template_shows_its_reasons_and_the_way_back(client, city_admin):
    before = templates()
    build, message = BAD_TEMPLATES["unknown_placeholder"]
    page = client.get(send_template(client, build()), follow_redirects=True)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "/admin/work/" in page.request.path
    assert any(message in m for m in flashes(html)), flashes(html)
    assert 'href="/admin/document_template/new/">別のファイルを登録する</a>' in html
    assert templates() == before
    [work] = works()
    assert work.status == "failed" and work.content is None  # the file is not kept


def test_a_queue_that_does_not_answer_is_said_and_nothing_is_stored(client, city_admin,
                                                                     monkeypatch):
    from kyodo_admin import queue

    def refuse(*_args):
        raise queue.QueueUnavailable("作業の受付（キュー）に接続できません。")

    monkeypatch.setattr(queue, "enqueue", refuse)
    before = templates()
    html = client.get(send_template(client, clean_template("{{ organization.name }}")),
                      follow_redirects=True).get_data(as_text=True)
    assert any("作業の受付（キュー）に接続できません" in m for m in flashes(html))
    assert templates() == before


def test_an_unexpected_failure_keeps_nothing_and_says_so_without_a_trace(client, city_admin,
                                                                         monkeypatch):
    from kyodo_admin.services import queued

    def broken(session, work):
        session.add(DocumentTemplate(city_id=work.city_id, kind="agreement", revision=99,
                                     filename="x.docx", content=b"x", sha256="0" * 64))
        session.flush()
        raise RuntimeError("disk full")

    monkeypatch.setitem(queued.HANDLERS, "template_upload", broken)
    before = templates()
    html = client.get(send_template(client, clean_template("{{ organization.name }}")),
                      follow_redirects=True).get_data(as_text=True)
    assert any("予期しないエラーのため処理を中止しました（何も保存していません）" in m
               for m in flashes(html))
    assert "disk full" not in html and "Traceback" not in html
    assert templates() == before


def test_work_whose_worker_was_stopped_shows_as_interrupted(client, city_admin, monkeypatch):
    from kyodo_admin import queue

    monkeypatch.setattr(queue, "enqueue", lambda *_args: None)  # queued; no worker takes it
    page = send_template(client, clean_template("{{ organization.name }}"))
    html = client.get(page).get_data(as_text=True)
    assert "処理しています" in html and 'id="work-failed" hidden' in html
    db.session.execute(update(QueuedWork).values(  # a worker took it, then was stopped
        status="running", updated_at=clock.now() - dt.timedelta(minutes=11)))
    db.session.commit()
    html = client.get(page).get_data(as_text=True)
    assert any("処理が中断されました" in m for m in flashes(html))
    assert client.get(page + "/status").get_json()["status"] == "failed"
    assert client.get(page + "/done").status_code == 302  # not done: back to its page


def test_a_work_page_is_its_users_only(client, city_admin, kamakura, login_as):
    page = send_template(client, clean_template("{{ organization.name }}"))
    login_as(UserFactory(city=kamakura, role=Role.CITY_ADMIN.value))
    assert client.get(page).status_code == 404
    assert client.get(page + "/status").status_code == 404
    assert client.get("/admin/work/unknown").status_code == 404
