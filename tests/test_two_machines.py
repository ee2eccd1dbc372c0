"""Two machines as one: two gunicorn servers (two ports stand for two machines) and two
`kyodo worker` processes, in production mode on one PostgreSQL and one Redis, with one
SECRET_KEY. A login on one is valid on the other; a change through one shows at once on the
other's home screen and disclosure page; login limits and the entrance's interval are
shared; a batch that both workers race for runs once; two scans started at the same moment
write and send each mail once."""

from __future__ import annotations

import contextlib
import re
import subprocess
import time

import pytest
from sqlalchemy import func, select

from kyodo_admin import create_app, tenancy
from kyodo_admin.extensions import db
from kyodo_admin.models import City, DocumentBatch, GeneratedDocument, Notice

from .conftest import app_config, form_values
from .mail import smtp_server
from .processes import (
    ROOT,
    Client,
    Process,
    agreements_of,
    csrf_of,
    demo_database,
    gunicorn,
    ids_of,
    production_env,
    redis_queue,
    worker,
)

pytestmark = [pytest.mark.timeout(600), pytest.mark.postgresql]

PASSWORD = "two-machines-2026"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Machine A and machine B (gunicorn each) and two workers, sharing PostgreSQL, Redis
    and the secret key; mail goes to a local SMTP server."""
    tmp = tmp_path_factory.mktemp("machines")
    mail = contextlib.ExitStack()
    inbox = mail.enter_context(smtp_server())
    url = demo_database("kyodo_two_machines", PASSWORD)
    queue = redis_queue(13)
    env = production_env(url, queue, tmp / "instance", KYODO_BATCH_SYNC_LIMIT="0",
                         KYODO_SMTP_HOST="127.0.0.1", KYODO_SMTP_PORT=str(inbox.port),
                         KYODO_MAIL_FROM="kyodo@example.jp", KYODO_ENTRANCE_MIN_INTERVAL="30",
                         KYODO_LOGIN_MAX_FAILURES="3")
    started: list[Process] = []
    try:
        a, a_url = gunicorn(env, tmp / "a.log", workers=2)
        started.append(a)
        b, b_url = gunicorn(env, tmp / "b.log", workers=2)
        started.append(b)
        for name in ("worker-1", "worker-2"):
            # The scans under test are the two commands below: the workers' own 10-minute
            # scan, were its minute to come, would write mails neither of them counts.
            started.append(worker(env, tmp / f"{name}.log",
                                  "kyodo worker --threads 2 --no-notices"))
        yield {"a": a_url, "b": b_url, "env": env, "url": url, "queue": queue, "inbox": inbox,
               "workers": started[2:], "tmp": tmp}
    finally:
        for process in started:
            process.stop()
        mail.close()


def logged_in(base: str, username: str = "kamakura-staff") -> Client:
    client = Client(base)
    client.log_in(username, PASSWORD)
    return client


def save_form(client: Client, path: str, **changes: str) -> None:
    _status, page = client.get(path)
    values = form_values(page)
    values.update(changes)
    status, headers, body = client.request("POST", path, values)
    assert status == 302, body[:1000]


def test_a_login_on_one_machine_is_valid_on_the_other(cluster):
    on_a = logged_in(cluster["a"])
    on_b = Client(cluster["b"])
    on_b.cookies = dict(on_a.cookies)  # the balancer sent the next request to machine B
    status, home = on_b.get("/admin/")
    assert status == 200 and "鎌倉市" in home and "ログアウト" in home


def test_a_change_on_one_machine_shows_at_once_on_the_other(cluster):
    on_a, on_b = logged_in(cluster["a"]), logged_in(cluster["b"])
    meeting = ids_of(cluster["url"], "SELECT m.id FROM meeting m JOIN city c ON c.id = m.city_id "
                                     "WHERE c.slug = 'kamakura' AND m.title = '令和8年度 第3回会議'")[0]
    status, before = on_b.get("/admin/")  # B has the home figures in its cache now
    assert status == 200 and "令和8年度 第3回会議" in before
    save_form(on_a, f"/admin/meeting/edit/?id={meeting}", title="令和8年度 第3回会議（会場変更）")
    _status, after = on_b.get("/admin/")
    assert "令和8年度 第3回会議（会場変更）" in after

    _status, public = Client(cluster["b"]).get("/disclosure/kamakura/")
    partner = re.search(r"協働の相手方</th><td>([^<]+)</td>", public).group(1)
    organization = ids_of(cluster["url"], "SELECT o.id FROM organization o JOIN city c ON "
                                          "c.id = o.city_id WHERE c.slug = 'kamakura' AND "
                                          "o.name = :name", name=partner)[0]
    save_form(on_a, f"/admin/organization/edit/?id={organization}", name="NPO法人 改称した会")
    _status, public_after = Client(cluster["b"]).get("/disclosure/kamakura/")
    assert "NPO法人 改称した会" not in public
    assert "NPO法人 改称した会" in public_after, public_after


def test_login_failures_count_across_machines(cluster):
    for base in (cluster["a"], cluster["b"], cluster["a"]):  # KYODO_LOGIN_MAX_FAILURES=3
        client = Client(base)
        _status, page = client.get("/login")
        status, _headers, _body = client.request("POST", "/login", {
            "csrf_token": csrf_of(page), "username": "saitama-staff", "password": "wrong-password"})
        assert status == 200, (base, status, _headers, _body[:300])
    client = Client(cluster["b"])
    _status, page = client.get("/login")
    status, headers, body = client.request("POST", "/login", {
        "csrf_token": csrf_of(page), "username": "saitama-staff", "password": PASSWORD})
    assert status == 200 and "/admin" not in headers.get("location", "")  # locked on B too


def test_the_entrance_interval_holds_across_machines(cluster):
    added = subprocess.run("kyodo cities add minato みなと市", shell=True, env=cluster["env"],
                           cwd=ROOT, capture_output=True, text=True)
    assert added.returncode == 0, added.stderr

    def submit(base: str, title: str) -> tuple[int, str]:
        client = Client(base)
        _status, page = client.get("/entrance/minato/")
        status, _headers, body = client.request("POST", "/entrance/minato/", {
            "csrf_token": csrf_of(page), "title": title, "proposer_type": "npo",
            "organization_name": "NPO法人 川を守る会", "org_type": "npo",
            "representative": "川田 花子", "email": "info@kawa.example.jp",
            "phone": "03-1234-5678", "summary": "川辺の清掃と観察会を市と協働で行う。"})
        return status, body

    first, _body = submit(cluster["a"], "川辺の清掃")
    assert first == 302
    second, body = submit(cluster["b"], "川辺の清掃（もう一度）")
    assert second == 400 and "続けて送信されました" in body
    assert len(ids_of(cluster["url"], "SELECT p.id FROM proposal p JOIN city c ON "
                                      "c.id = p.city_id WHERE c.slug = 'minato'")) == 1


def test_a_batch_both_workers_race_for_runs_once(cluster):
    """The same batch handed to the queue twice at once (a double click, a retry crossing
    a slow worker): both workers take a copy at the same moment; one makes the documents."""
    app = create_app(app_config(cluster["url"], KYODO_QUEUE_URL=cluster["queue"]))
    agreements = agreements_of(cluster["url"], "hachioji")
    with app.app_context():
        city_id = db.session.execute(select(City.id).where(City.slug == "hachioji")).scalar_one()
        with tenancy.scoped_to(city_id):
            before = db.session.execute(select(func.count()).select_from(GeneratedDocument)).scalar_one()
            batch = DocumentBatch(kind="agreement", record_type="agreement", record_ids=agreements,
                                  total=len(agreements), status="queued", owner="", format="docx")
            db.session.add(batch)
            db.session.commit()
            batch_id = batch.id
        task = app.extensions["kyodo_tasks"]["run_batch"]
        task(batch_id, city_id, None, "二重の依頼")
        task(batch_id, city_id, None, "二重の依頼")
        deadline = time.monotonic() + 120
        while True:
            with tenancy.scoped_to(city_id):
                status = db.session.execute(select(DocumentBatch.status).where(
                    DocumentBatch.id == batch_id)).scalar_one()
                db.session.rollback()
            if status in ("done", "failed"):
                break
            assert time.monotonic() < deadline
            time.sleep(0.3)
        assert status == "done"
        time.sleep(1)  # the other copy has been taken and dropped by now
        with tenancy.scoped_to(city_id):
            after = db.session.execute(select(func.count()).select_from(GeneratedDocument)).scalar_one()
        assert after - before == len(agreements)
        db.session.remove()
        db.engine.dispose()
    taken = [w.output().count("kyodo.run_batch") for w in cluster["workers"]]
    assert all(taken), taken  # each worker had a copy: a real race, lost by one


def test_two_scans_at_the_same_moment_write_and_send_each_mail_once(cluster):
    inbox = cluster["inbox"]
    inbox.messages.clear()
    scans = [subprocess.Popen("kyodo notices send", shell=True, env=cluster["env"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(scan.wait(120), *scan.communicate()) for scan in scans]
    assert [r[0] for r in results] == [0, 0], results
    app = create_app(app_config(cluster["url"]))
    with app.app_context(), tenancy.all_cities():  # the test inspects every city's outbox
        rows = db.session.execute(select(Notice)).scalars().all()
        keys = [(r.city_id, r.key) for r in rows]
        sent = [r for r in rows if r.status == "sent"]
        db.session.remove()
        db.engine.dispose()
    assert rows and len(keys) == len(set(keys))
    assert len(sent) == len(rows)
    ids = [re.search(r"\.notice(\d+)@", m["Message-ID"]).group(1) for m in inbox.messages]
    assert len(ids) == len(set(ids)) == len(rows)  # each mail went once
    written = sum(int(re.search(r"(\d+)通を送信待ちにしました", r[1]).group(1)) for r in results)
    # A proposer's mail is written by the entrance's request (a test here sends a proposal),
    # and sent by the scans like every other.
    assert written == len([r for r in rows if r.kind not in ("proposal_received", "status_link")])
