"""Benchmark: Kamakura agreements to PDF, warm converter pool against a cold LibreOffice.

A PostgreSQL database is loaded with the demo and Kamakura grown (as ``scale.py`` does) to
``--documents`` signed agreements, each rendered to Word. Each document is then converted
twice, in turn: by the pool's warm converter (started and used once before the timing)
and by a LibreOffice started for it (``soffice --convert-to pdf``, as without the pool).
Printed: total and per-document seconds of each; last line ``pdf warm/cold = R`` (the goal
is R ≤ 0.25).

Run with ``make bench-pdf`` (20 agreements).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import database, drop, grow  # noqa: E402


def documents(count: int) -> list[bytes]:
    from sqlalchemy import select

    from kyodo_admin import create_app
    from kyodo_admin.extensions import db
    from kyodo_admin.models import Agreement, City
    from kyodo_admin.services.documents import render_document
    from kyodo_admin.tenancy import all_cities, scoped_to

    name = f"kyodo_bench_pdf_{os.getpid()}"
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": database(name), "SECRET_KEY": "bench",
                          "KYODO_LOG_LEVEL": "WARNING"})
        result = app.test_cli_runner().invoke(args=["kyodo", "demo"])
        if result.exit_code != 0:
            raise SystemExit(result.output)
        grow(app, count * 3)
        with app.app_context(), all_cities():
            city = db.session.execute(select(City).where(City.slug == "kamakura")).scalar_one()
            with scoped_to(city.id):
                agreements = db.session.execute(select(Agreement).where(
                    Agreement.status == "signed").order_by(Agreement.id.desc()).limit(count)
                ).scalars()
                rendered = [render_document(db.session, "agreement", a).data for a in agreements]
            db.session.remove()
            db.engine.dispose()
        return rendered
    finally:
        drop(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20)
    args = parser.parse_args()

    from kyodo_admin.documents import pdf, pdf_pool

    program = pdf.soffice()
    if program is None:
        raise SystemExit("LibreOffice is not installed")
    docs = documents(args.documents)
    pool = pdf_pool.Pool(1)
    if pool.convert(docs[0]) is None:  # started and warm
        raise SystemExit("the converter pool could not start (is python3-uno installed?)")
    warm: list[float] = []
    cold: list[float] = []
    try:
        for data in docs:
            started = time.perf_counter()
            assert (pool.convert(data) or b"").startswith(b"%PDF")
            warm.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert pdf.convert_cold(data, program).startswith(b"%PDF")
            cold.append(time.perf_counter() - started)
    finally:
        pool.stop()
    print(f"{len(docs)} agreements: warm pool {sum(warm):.1f} s "
          f"({statistics.median(warm):.2f} s a document), cold LibreOffice {sum(cold):.1f} s "
          f"({statistics.median(cold):.2f} s a document)")
    print(f"pdf warm/cold = {sum(warm) / sum(cold):.2f}")


if __name__ == "__main__":
    main()
