"""Bulk issues on a real queue: enqueued by one web app, run by a separate ``kyodo worker``
process, followed and downloaded from another web app; a worker killed mid-batch archives
nothing and the batch runs again from its page."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from kyodo_admin import create_app

from ..conftest import IsolatedClient, app_config, csrf_from, enter_city, login
from ..factories import UserFactory
from .conftest import archived, make_agreement
from .test_batch import start

KYODO = str(Path(sys.executable).parent / "kyodo")


def redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(params=["sqlite", "redis"])
def queue_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    if not redis_answers():
        if os.environ.get("CI"):
            pytest.fail("Redis does not answer at 127.0.0.1:6379 (CI runs this test on it)")
        pytest.skip("no Redis at 127.0.0.1:6379")
    import redis

    # The queue is named "kyodo" in every install: each pytest-xdist process takes a database
    # of its own, or one process's worker would take (and flushdb drop) another's batch.
    number = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    url = f"redis://127.0.0.1:6379/{(15, 10, 9, 8)[number % 4]}"  # processes.py takes 11-14
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def web(app, queue_url, kamakura):
    """Two web apps on the suite's database and the queue: ``web(n)`` is a client of the
    n-th, logged in as the same member of staff."""
    enter_city(kamakura)  # the test reads the city's batches and archive as its staff would
    staff = UserFactory(city=kamakura)
    config = app_config(app.config["SQLALCHEMY_DATABASE_URI"], KYODO_QUEUE_URL=queue_url,
                        KYODO_BATCH_SYNC_LIMIT=2)
    apps = [create_app(config), create_app(config)]
    clients = []
    for other in apps:
        other.test_client_class = IsolatedClient  # the test's own session sees their writes
        client = other.test_client()
        assert login(client, staff.username).status_code == 302
        clients.append(client)
    return lambda n: clients[n]


@pytest.fixture
def worker(app, queue_url, tmp_path):
    """``worker()`` starts a ``kyodo worker`` process on the suite's database and the queue."""
    started: list[subprocess.Popen] = []

    def run() -> subprocess.Popen:
        env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "KYODO_QUEUE_URL": queue_url, "KYODO_INSTANCE_PATH": str(tmp_path),
               "KYODO_LOG_LEVEL": "WARNING"}
        process = subprocess.Popen([KYODO, "worker", "--threads", "1"], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


def state_of(client, page_url: str) -> dict:
    return client.get(page_url + "/status").get_json()


def wait_for(client, page_url: str, done, seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = state_of(client, page_url)
        if done(state):
            return state
        time.sleep(0.05)
    pytest.fail(f"the batch stayed {state}")


def test_a_batch_queued_by_one_app_is_run_by_a_worker_and_downloaded_from_another(
        web, worker, kamakura):
    ids = [make_agreement(kamakura).id for _ in range(3)]
    page_url = start(web(0), ids).headers["Location"]
    page = web(0).get(page_url).get_data(as_text=True)
    assert "順番を待っています" in page  # no worker yet: the batch waits, nothing is lost
    assert state_of(web(1), page_url)["status"] == "queued"

    worker()
    state = wait_for(web(1), page_url, lambda s: s["status"] != "queued"
                     and s["status"] != "running")
    assert state == {"status": "done", "done": 3, "total": 3, "error": ""}
    download = web(1).get(page_url + "/zip")
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        assert len(archive.namelist()) == 3
    assert archived() == 3


def test_a_worker_killed_mid_batch_archives_nothing_and_the_batch_runs_again(
        web, worker, kamakura):
    ids = [make_agreement(kamakura).id for _ in range(30)]
    page_url = start(web(0), ids).headers["Location"]
    first = worker()
    wait_for(web(0), page_url, lambda s: s["done"] >= 2)
    first.send_signal(signal.SIGKILL)
    first.wait()

    state = state_of(web(1), page_url)
    assert state["status"] == "failed" and "中断されました" in state["error"]
    assert archived() == 0  # all or nothing
    page = web(1).get(page_url).get_data(as_text=True)
    assert "もう一度実行する" in page
    again = web(1).post(page_url + "/retry", data={"csrf_token": csrf_from(page)})
    assert again.status_code == 302
    assert state_of(web(0), page_url)["status"] == "queued"

    worker()
    state = wait_for(web(0), page_url, lambda s: s["status"] in ("done", "failed"))
    assert state == {"status": "done", "done": 30, "total": 30, "error": ""}
    assert archived() == 30


def test_a_queue_that_does_not_answer_fails_the_batch_with_a_message(app, kamakura):
    staff = UserFactory(city=kamakura)
    down = create_app(app_config(app.config["SQLALCHEMY_DATABASE_URI"],
                                 KYODO_QUEUE_URL="redis://127.0.0.1:1/0",
                                 KYODO_BATCH_SYNC_LIMIT=2))
    down.test_client_class = IsolatedClient
    client = down.test_client()
    assert login(client, staff.username).status_code == 302
    page_url = start(client, [make_agreement(kamakura).id for _ in range(3)]).headers["Location"]
    state = state_of(client, page_url)
    assert state["status"] == "failed" and "キュー）に接続できません" in state["error"]
    assert "もう一度実行する" in client.get(page_url).get_data(as_text=True)
    assert archived() == 0
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["queue"] == "unreachable"
