"""Benchmark: an Excel import of proposals at a small and a large size, per row.

A PostgreSQL database with the seed cities' demo data; Kamakura's clerk imports a ledger of
``--small`` and then ``--large`` proposals (each received through the workflow: receipt
number, audit events), as the import's worker does (one transaction). Printed per size: rows,
the seconds of reading the file, of checking every row (what the mapping page and its preview
do), of the import, the import's milliseconds per row and the process's peak memory so far;
last line ``import ms/row large/small = R`` (an import linear in its rows: R near 1; one that
re-reads what it wrote for each row grows with the rows).

Run with ``make bench-import`` (1,000 against 10,000).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import database, drop  # noqa: E402


def ledger(rows: int, start: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["提案事業名", "団体名", "受付日", "予算規模"])
    for n in range(start, start + rows):
        sheet.append([f"取込の提案{n}", "NPO法人かまくら子育てネット", "2026/4/1", 100000 + n])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    args = parser.parse_args()
    from sqlalchemy import select

    from kyodo_admin import create_app, tenancy
    from kyodo_admin.extensions import db, write_intent
    from kyodo_admin.models import City, User
    from kyodo_admin.services.audit import Actor, reset_actor, set_actor
    from kyodo_admin.admin.imports import preview_rows
    from kyodo_admin.services.imports import auto_mapping, check, import_table, read_sheet, targets

    name = f"kyodo_bench_import_{os.getpid()}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database(name), "SECRET_KEY": "bench-secret",
                      "TESTING": True, "KYODO_LOG_LEVEL": "WARNING"})
    per_row = {}
    try:
        result = app.test_cli_runner().invoke(args=["kyodo", "demo"])
        if result.exit_code != 0:
            raise SystemExit(result.output)
        print("| rows | read | check and preview | import | import per row | peak RSS |")
        print("|---|---|---|---|---|---|")
        for rows, start in ((args.small, 0), (args.large, args.small)):
            data = ledger(rows, start)
            started = time.perf_counter()
            table = read_sheet("台帳.xlsx", data).table()
            read = time.perf_counter() - started
            with app.app_context(), tenancy.all_cities():
                city_id = db.session.execute(select(City.id).where(City.slug == "kamakura")).scalar_one()
            with app.app_context(), tenancy.scoped_to(city_id), write_intent():
                token = set_actor(Actor(None, "kamakura-staff"))
                city = db.session.get(City, city_id)
                clerk = db.session.execute(select(User).where(
                    User.username == "kamakura-staff")).scalar_one()
                found = targets(db.session, city_id, "proposal")
                mapping = auto_mapping(found, table.headers, {})
                started = time.perf_counter()
                preview_rows(table, found, mapping, check(db.session, city, "proposal", table,
                                                          mapping))
                checked = time.perf_counter() - started
                started = time.perf_counter()
                import_table(db.session, city, "proposal", table, mapping, "台帳.xlsx", clerk)
                db.session.commit()
                elapsed = time.perf_counter() - started
                reset_actor(token)
            per_row[rows] = elapsed / rows
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"| {rows:,} | {read:.1f} s | {checked:.1f} s | {elapsed:.1f} s "
                  f"| {elapsed / rows * 1000:.2f} ms | {peak:.0f} MB |")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop(name)
    print(f"import ms/row {args.large}/{args.small} = {per_row[args.large] / per_row[args.small]:.2f}")


if __name__ == "__main__":
    main()
