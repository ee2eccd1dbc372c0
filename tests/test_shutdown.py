"""SIGTERM to gunicorn, `kyodo worker` or `kyodo run` stops what each started: the render
worker of each, and the worker's warm LibreOffice converters (converter_process and soffice.bin, in
sessions of their own; the web processes convert nothing, every PDF is the worker's). Each
process is made to start them (a Word document issued through the web, PDFs through the
worker), then signalled; none of its descendants may survive."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time

import pytest

from .documents.test_pdf_pool import needs_uno
from .processes import (
    Client,
    Process,
    agreements_of,
    csrf_of,
    demo_database,
    descendants,
    free_port,
    gunicorn,
    production_env,
    redis_queue,
    running,
    wait_http,
    worker,
)

pytestmark = [pytest.mark.timeout(400), pytest.mark.postgresql, pytest.mark.pdf]

PASSWORD = "shutdown-test-2026"


def issue_word(base: str, agreement_id: int) -> None:
    """An agreement issued as Word: the web process renders it in its render worker."""
    client = Client(base)
    client.log_in("kamakura-staff", PASSWORD)
    _status, page = client.get(f"/admin/agreement/details/?id={agreement_id}")
    status, headers, body = client.request(
        "POST", f"/admin/agreement/document/agreement/{agreement_id}",
        {"csrf_token": csrf_of(page)})
    assert status == 200 and "wordprocessingml" in headers["content-type"], body[:300]


def issue_batch(base: str, agreement_ids: list[int]) -> None:
    """A bulk PDF issue, which a `kyodo worker` makes."""
    client = Client(base)
    client.log_in("kamakura-staff", PASSWORD)
    _status, page = client.get("/admin/agreement/")
    form = [("csrf_token", csrf_of(page)), ("action", "issue_pdfs"), ("url", "/admin/agreement/")]
    form += [("rowid", str(i)) for i in agreement_ids]
    import http.client
    import urllib.parse

    connection = http.client.HTTPConnection(client.host, client.port, timeout=60)
    connection.request("POST", "/admin/agreement/action/", body=urllib.parse.urlencode(form),
                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                "Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())})
    response = connection.getresponse()
    location = response.getheader("Location", "")
    response.read()
    assert response.status == 302 and "/batch/" in location, (response.status, location)
    batch = location.rstrip("/").rsplit("/", 1)[1]
    deadline = time.monotonic() + 180
    while True:
        _status, state = client.get(f"/admin/agreement/batch/{batch}/status")
        if json.loads(state)["status"] == "done":
            return
        assert json.loads(state)["status"] != "failed", state
        assert time.monotonic() < deadline, state
        time.sleep(0.5)


def test_sigterm_leaves_no_converter_or_render_worker_behind(tmp_path):
    needs_uno()
    url = demo_database("kyodo_shutdown", PASSWORD)
    env = production_env(url, redis_queue(12), tmp_path / "instance", KYODO_PDF_POOL="1",
                         KYODO_BATCH_SYNC_LIMIT="0")
    agreements = agreements_of(url, "kamakura")
    assert agreements
    started: list[Process] = []
    try:
        web, web_url = gunicorn(env, tmp_path / "gunicorn.log", workers=1)
        started.append(web)
        queue_worker = worker(env, tmp_path / "worker.log")
        started.append(queue_worker)
        dev_port = free_port()
        dev = Process(f"exec kyodo run --host 127.0.0.1 --port {dev_port}", env,
                      tmp_path / "run.log")
        started.append(dev)
        dev_url = f"http://127.0.0.1:{dev_port}"
        wait_http(dev_url + "/healthz", dev)

        issue_word(web_url, agreements[0])
        issue_word(dev_url, agreements[0])
        issue_batch(web_url, agreements[:2])

        # the web processes render (their render worker); only the worker converts to PDF
        started_by = {"gunicorn": ("spawn_main",), "kyodo run": ("spawn_main",),
                      "kyodo worker": ("soffice", "converter_process", "spawn_main")}
        for name, process in (("gunicorn", web), ("kyodo worker", queue_worker),
                              ("kyodo run", dev)):
            family = descendants(process.popen.pid)
            commands = " ".join(family.values())
            assert all(part in commands for part in started_by[name]), (name, family)
            if name != "kyodo worker":
                assert "soffice" not in commands, (name, family)
            assert process.stop(signal.SIGTERM) is not None
            deadline = time.monotonic() + 10
            while any(running(pid) for pid in family) and time.monotonic() < deadline:
                time.sleep(0.2)
            survivors = {pid: cmd for pid, cmd in family.items() if running(pid)}
            assert survivors == {}, (name, survivors, process.output()[-2000:])
    finally:
        for process in started:
            for pid in descendants(process.popen.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            process.kill_group()


KILLED_PARENT = """
import io, time
import docx
from kyodo_admin.documents import limits, pdf_pool
if __name__ == "__main__":
    document = docx.Document()
    document.add_paragraph("{{ title }}")
    buffer = io.BytesIO()
    document.save(buffer)
    rendered = limits.render_limited(buffer.getvalue(), {"title": "協定書"})
    assert pdf_pool.convert(rendered).startswith(b"%PDF")
    print("ready", flush=True)
    time.sleep(600)
"""


def test_a_killed_process_leaves_no_converter_or_render_worker_behind(tmp_path):
    """SIGKILL runs no exit handler: the converter and the render worker notice by
    themselves that the process that started them is gone."""
    import sys

    needs_uno()
    script = tmp_path / "parent.py"
    script.write_text(KILLED_PARENT)
    parent = Process(f"exec {sys.executable} {script}", {**os.environ,
                                                         "KYODO_PDF_POOL": "1"},
                     tmp_path / "parent.log")
    try:
        parent.wait_for_output("ready", timeout=120)
        family = descendants(parent.popen.pid)
        commands = " ".join(family.values())
        assert "soffice" in commands and "spawn_main" in commands, family
        parent.stop(signal.SIGKILL)
        deadline = time.monotonic() + 15
        while any(running(pid) for pid in family) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert {pid: cmd for pid, cmd in family.items() if running(pid)} == {}
    finally:
        for pid in descendants(parent.popen.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        parent.kill_group()
