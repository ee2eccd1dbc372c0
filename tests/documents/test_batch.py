"""Long bulk issues run in the background with a progress page, then give a ZIP."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from sqlalchemy import select

from kyodo_admin.extensions import db
from kyodo_admin.models import GeneratedDocument
from kyodo_admin.models.document import DocumentBatch
from kyodo_admin.tenancy import all_cities, scoped_to

from ..conftest import csrf_from
from ..factories import CityFactory, UserFactory
from .conftest import ORG_NAME, archived, make_agreement, texts


@pytest.fixture
def small_sync_limit(app):
    before = app.config["KYODO_BATCH_SYNC_LIMIT"]
    app.config["KYODO_BATCH_SYNC_LIMIT"] = 2
    yield
    app.config["KYODO_BATCH_SYNC_LIMIT"] = before


def start(client, ids):
    token = csrf_from(client.get("/admin/agreement/").get_data(as_text=True))
    return client.post("/admin/agreement/action/", data={
        "csrf_token": token, "action": "issue_documents", "rowid": [str(i) for i in ids]})


def wait(client, url: str) -> dict:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        state = client.get(url).get_json()
        if state["status"] != "running":
            return state
        time.sleep(0.2)
    pytest.fail("the batch did not finish")


def test_a_long_selection_shows_progress_and_gives_a_zip(client, kamakura, staff,
                                                         small_sync_limit):
    ids = [make_agreement(kamakura).id for _ in range(4)]
    city_id, staff_id = kamakura.id, staff.id
    response = start(client, ids)
    assert response.status_code == 302
    page_url = response.headers["Location"]
    assert "/admin/agreement/batch/" in page_url
    page = client.get(page_url).get_data(as_text=True)
    assert "Word文書の一括作成（協定書、4件）" in page and "kyodo_batch.js" in page

    state = wait(client, page_url + "/status")
    assert state == {"status": "done", "done": 4, "total": 4, "error": ""}
    assert "ZIPをダウンロード" in client.get(page_url).get_data(as_text=True)
    download = client.get(page_url + "/zip")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        names = archive.namelist()
        assert len(names) == 4 and len(set(names)) == 4
        assert all(ORG_NAME in texts(archive.read(n)) for n in names)
    with scoped_to(city_id):
        rows = db.session.execute(select(GeneratedDocument.record_id,
                                         GeneratedDocument.created_by_id)).all()
    assert sorted(r.record_id for r in rows) == ids and {r.created_by_id for r in rows} == {staff_id}


def test_a_failing_record_stops_the_batch_and_archives_nothing(client, kamakura, staff,
                                                               small_sync_limit):
    ids = [make_agreement(kamakura).id, make_agreement(kamakura).id,
           make_agreement(kamakura, organization=False).id]
    page_url = start(client, ids).headers["Location"]
    state = wait(client, page_url + "/status")
    assert state["status"] == "failed"
    assert "一括作成を中止しました（文書は保存していません）" in state["error"]
    assert "差込項目「organization」" in state["error"]
    assert archived() == 0
    assert client.get(page_url + "/zip", follow_redirects=True).mimetype == "text/html"


def test_another_citys_batch_is_not_found(client, kamakura, staff, login_as,
                                          small_sync_limit):
    ids = [make_agreement(kamakura).id for _ in range(3)]
    page_url = start(client, ids).headers["Location"]
    wait(client, page_url + "/status")
    other = CityFactory()
    login_as(UserFactory(city=other))
    for suffix in ("", "/status", "/zip"):
        assert client.get(page_url + suffix).status_code == 404
    with all_cities():  # wherever it is, it is Kamakura's
        batch = db.session.execute(select(DocumentBatch)).scalar_one()
    assert batch.city_id == kamakura.id and batch.status == "done"


def test_an_interrupted_batch_is_reported(client, kamakura, staff):
    import datetime as dt

    with scoped_to(kamakura.id):  # a batch whose worker last wrote an hour ago
        batch = DocumentBatch(city_id=kamakura.id, kind="agreement", record_type="agreement",
                              record_ids=[1], total=1, status="running")
        db.session.add(batch)
        db.session.commit()
        batch_id = batch.id
        db.session.execute(DocumentBatch.__table__.update().values(
            updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))
        db.session.commit()
    state = client.get(f"/admin/agreement/batch/{batch_id}/status").get_json()
    assert state["status"] == "failed" and "中断されました" in state["error"]


def test_a_batch_whose_process_was_killed_shows_as_interrupted_at_once(client, kamakura, staff):
    """A batch is run by a process of the web server; when that process is killed, the
    progress page says so on its next poll, not after a timeout."""
    import socket
    import subprocess
    import sys

    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with scoped_to(kamakura.id):  # a batch a live process of this machine runs
        batch = DocumentBatch(city_id=kamakura.id, kind="agreement", record_type="agreement",
                              record_ids=[1, 2], total=2, done=1, status="running",
                              owner=f"{socket.gethostname()}:{worker.pid}")
        db.session.add(batch)
        db.session.commit()
        url = f"/admin/agreement/batch/{batch.id}/status"
    assert client.get(url).get_json()["status"] == "running"  # alive, and just updated
    worker.kill()
    worker.wait()
    state = client.get(url).get_json()
    assert state["status"] == "failed" and "中断されました" in state["error"]


def test_a_batch_handed_to_two_workers_runs_once(app, client, kamakura, staff):
    from kyodo_admin.services.audit import SYSTEM_ACTOR
    from kyodo_admin.services.batches import run_batch

    ids = [make_agreement(kamakura).id for _ in range(2)]
    city_id = kamakura.id
    with scoped_to(city_id):  # the request that started it
        batch = DocumentBatch(city_id=city_id, kind="agreement", record_type="agreement",
                              record_ids=ids, total=2, status="queued")
        db.session.add(batch)
        db.session.commit()
        batch_id = batch.id
    db.session.rollback()  # the test's own read ends: it sees what the runs commit
    run_batch(app, batch_id, city_id, SYSTEM_ACTOR)
    run_batch(app, batch_id, city_id, SYSTEM_ACTOR)  # the same task delivered again
    db.session.rollback()
    with scoped_to(city_id):
        assert db.session.get(DocumentBatch, batch_id).status == "done"
    assert archived() == 2
