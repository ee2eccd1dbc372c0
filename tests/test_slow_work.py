"""No one waits for another person's slow work: three clerks ask for PDFs at the same moment
on a production server (gunicorn with two workers, one `kyodo worker`), and a fourth
person's home page answers as it does alone — the conversions run in the worker, never in
the web workers. Measured as a ratio against the same page alone, in the same run."""

from __future__ import annotations

import json
import statistics
import threading
import time

import pytest

from .documents.test_pdf_pool import needs_uno
from .processes import (
    Client,
    Process,
    agreements_of,
    csrf_of,
    demo_database,
    gunicorn,
    production_env,
    redis_queue,
    worker,
)

pytestmark = [pytest.mark.timeout(400), pytest.mark.postgresql, pytest.mark.pdf]

PASSWORD = "slow-work-test-2026"


def timed_page(client: Client, path: str) -> float:
    started = time.perf_counter()
    status, _page = client.get(path)
    assert status == 200
    return time.perf_counter() - started


def test_three_pdfs_at_once_leave_another_users_page_as_fast(tmp_path):
    needs_uno()
    url = demo_database("kyodo_slow_work", PASSWORD)
    env = production_env(url, redis_queue(14), tmp_path / "instance", KYODO_PDF_POOL="1")
    agreements = {slug: agreements_of(url, slug)[0] for slug in ("kamakura", "hachioji", "koganei")}
    started: list[Process] = []
    try:
        web, base = gunicorn(env, tmp_path / "gunicorn.log", workers=2)
        started.append(web)
        started.append(worker(env, tmp_path / "worker.log", "kyodo worker --threads 1"))
        other = Client(base)
        other.log_in("saitama-staff", PASSWORD)
        for _ in range(3):
            timed_page(other, "/admin/")  # warm: the figures cached, the connections open
        alone = [timed_page(other, "/admin/") for _ in range(7)]

        clerks = {}
        for slug, agreement in agreements.items():
            clerk = Client(base)
            clerk.log_in(f"{slug}-staff", PASSWORD)
            _status, page = clerk.get(f"/admin/agreement/details/?id={agreement}")
            clerks[slug] = (clerk, csrf_of(page))
        pages: dict[str, str] = {}

        def ask(slug: str) -> None:
            clerk, token = clerks[slug]
            status, headers, _body = clerk.request(
                "POST", f"/admin/agreement/document/agreement/{agreements[slug]}",
                {"csrf_token": token, "format": "pdf"})
            assert status == 302
            pages[slug] = headers["location"]

        threads = [threading.Thread(target=ask, args=(slug,)) for slug in agreements]
        for thread in threads:
            thread.start()
        during = [timed_page(other, "/admin/") for _ in range(7)]
        for thread in threads:
            thread.join(60)
        assert len(pages) == 3
        states = {slug: json.loads(clerks[slug][0].get(pages[slug] + "/status")[1])["status"]
                  for slug in pages}
        assert any(s != "done" for s in states.values()), states  # measured while converting

        for slug, page in pages.items():  # and each PDF is made, for its own clerk
            deadline = time.monotonic() + 120
            while json.loads(clerks[slug][0].get(page + "/status")[1])["status"] != "done":
                assert time.monotonic() < deadline
                time.sleep(0.5)
            status, headers, _body = clerks[slug][0].request("GET", page + "/zip")
            assert status == 200 and headers["content-type"] == "application/pdf"

        ratio = statistics.median(during) / statistics.median(alone)
        print(f"\nhome page while three PDFs convert / alone = {ratio:.2f} "
              f"({statistics.median(during) * 1000:.0f} ms / {statistics.median(alone) * 1000:.0f} ms)")
        # Held web workers would make the page wait for a conversion (seconds against tens of
        # milliseconds): a ratio in the tens. The worker's LibreOffice shares the CPU only.
        assert ratio < 5
    finally:
        for process in started:
            process.stop()
