"""Benchmark: one bulk issue of ``--agreements`` agreements through the queue (``--pdf``: PDF).

A PostgreSQL database is loaded with the demo and Kamakura grown (as ``scale.py`` does) to
``--agreements`` signed agreements; one batch of all of them is put on a queue in a file and
run by a ``kyodo worker`` process. Printed: the seconds from enqueueing to the batch being
done, documents per second, and the worker's peak RSS (the largest of its processes, the
document renderer included). Last line ``batch documents/s = X``.

Run with ``make bench-batch`` (1,000 agreements as Word, then 100 as PDF).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import PEAK_RSS  # noqa: E402
from scale import database, drop, grow  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreements", type=int, default=1000)
    parser.add_argument("--pdf", action="store_true", help="their PDFs (the worker's pool)")
    args = parser.parse_args()

    from sqlalchemy import select

    from kyodo_admin import create_app
    from kyodo_admin.extensions import db
    from kyodo_admin.models import Agreement, City
    from kyodo_admin.models.document import DocumentBatch
    from kyodo_admin.services.batches import start_batch
    from kyodo_admin.tenancy import all_cities, scoped_to

    name = f"kyodo_bench_batch_{os.getpid()}"
    url = database(name)
    worker = None
    try:
        with tempfile.TemporaryDirectory() as folder:
            queue = f"sqlite:///{folder}/queue.sqlite3"
            app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret",
                              "KYODO_QUEUE_URL": queue, "KYODO_LOG_LEVEL": "WARNING"})
            result = app.test_cli_runner().invoke(args=["kyodo", "demo"])
            if result.exit_code != 0:
                raise SystemExit(result.output)
            grow(app, args.agreements * 3)
            worker = subprocess.Popen(
                [sys.executable, "-c", PEAK_RSS, str(Path(sys.executable).parent / "kyodo"),
                 "worker", "--threads", "1"], stdout=subprocess.PIPE, text=True,
                env={**os.environ, "DATABASE_URL": url, "KYODO_QUEUE_URL": queue,
                     "SECRET_KEY": "x" * 40, "KYODO_LOG_LEVEL": "WARNING",
                     "KYODO_INSTANCE_PATH": folder})
            assert worker.stdout is not None
            worker.stdout.readline()  # the worker says it is waiting: its start-up is over
            with app.app_context(), all_cities():
                city = db.session.execute(select(City).where(City.slug == "kamakura")).scalar_one()
                with scoped_to(city.id):
                    records = list(db.session.execute(select(Agreement).where(
                        Agreement.status == "signed").order_by(Agreement.id)).scalars())
                    started = time.perf_counter()
                    batch = start_batch(db.session, "agreement", records, None, args.pdf)
                    batch_id = batch.id
                    while True:
                        db.session.rollback()
                        state = db.session.get(DocumentBatch, batch_id)
                        if state is not None and state.status in ("done", "failed"):
                            break
                        time.sleep(0.2)
                    elapsed = time.perf_counter() - started
                    status, error, total = state.status, state.error, state.total
                db.session.remove()
                db.engine.dispose()
            # The worker's child reports its peak once the worker stops.
            subprocess.run(["pkill", "-TERM", "-P", str(worker.pid)], check=False)
            output, _ = worker.communicate(timeout=60)
            worker = None
            peak = int(output.split()[-1])
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        drop(name)
    if status != "done":
        raise SystemExit(f"the batch failed: {error}")
    print(f"{total:,} agreements in one batch{' as PDF' if args.pdf else ''}: {elapsed:.0f} s, "
          f"{total / elapsed:.1f} documents/s, worker peak RSS {peak / 1024:.0f} MiB")
    print(f"batch documents/s = {total / elapsed:.1f}")


if __name__ == "__main__":
    main()
