"""Benchmark: every screen of a city at a small and a large size, on PostgreSQL.

Two databases are loaded with the demo, then Kamakura grows to ``--small`` and ``--large``
proposals shaped as the app writes them: the answers of the city's forms, a third of them
adopted with a project, a signed agreement with 5 role and 5 cost rows, and a report (bulk
inserts for the load; audit rows are not written). A logged-in staff client of each app
then requests every screen below, ``--rounds`` times, the two sizes interleaved so machine
noise hits both alike. The table gives the median and p95 per size and the ratio of the
p95s; the last line is ``worst p95 large/small = R`` (the goal is R ≤ 1.5). The home screen's
year figures are kept until the city's records change; the line before the last gives its
time right after a change, when they are counted again.

Run with ``make bench-scale`` (1,000 against 100,000). PostgreSQL is taken from
``KYODO_TEST_PG`` like the tests; the bench creates and drops its own databases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("KYODO_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BATCH = 5000

#: (name, URL); ``{p}``, ``{proj}``, ``{a}`` are a proposal, project and agreement of the city,
#: ``{filtered}`` the proposals in one state as the home screen links to them.
SCREENS = [
    ("home", "/admin/"),
    ("proposal list", "/admin/proposal/"),
    ("list page 50", "/admin/proposal/?page=49"),
    ("list filter", "{filtered}"),
    ("list search 見守り", "/admin/proposal/?search=見守り"),
    ("list search 受付番号", "/admin/proposal/?search=S000777"),
    ("list by title", "/admin/proposal/?sort=2"),
    ("proposal details", "/admin/proposal/details/?id={p}"),
    ("proposal edit", "/admin/proposal/edit/?id={p}"),
    ("proposal new", "/admin/proposal/new/"),
    ("project edit", "/admin/project/edit/?id={proj}"),
    ("agreement new", "/admin/agreement/new/"),
    ("agreement details", "/admin/agreement/details/?id={a}"),
    ("report new", "/admin/completion_report/new/"),
    ("review new", "/admin/review/new/"),
    ("disclosure", "/disclosure/kamakura/"),
]


def database(name: str) -> str:
    import sqlalchemy as sa

    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    admin.dispose()
    return sa.engine.make_url(PG).set(database=name).render_as_string(hide_password=False)


def drop(name: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def grow(app: Any, proposals: int) -> dict[str, int]:
    """Bulk-insert Kamakura's proposals and what a third of them lead to; returns sample ids."""
    from sqlalchemy import func, insert, select, text

    from kyodo_admin import clock
    from kyodo_admin.demo import completed_answers
    from kyodo_admin.extensions import db
    from kyodo_admin.models import (
        Agreement,
        City,
        CompletionReport,
        CostShare,
        Department,
        Organization,
        Project,
        Proposal,
        RoleShare,
    )
    from kyodo_admin.models.base import fiscal_year_of
    from kyodo_admin.services.form_definitions import current_definition
    from kyodo_admin.tenancy import all_cities

    with app.app_context(), all_cities():
        session = db.session
        city = session.execute(select(City).where(City.slug == "kamakura")).scalar_one()
        forms = {}  # kind: (definition id, its form answered as the demo answers it)
        for kind in ("basic_sheet", "agreement", "completion_report"):
            found = current_definition(session, city.id, kind)
            forms[kind] = (found.id, completed_answers(found.schema, {})) if found else (None, {})
        department = session.execute(select(Department.id).where(
            Department.city_id == city.id)).scalars().first()
        organizations = list(session.execute(select(Organization.id).where(
            Organization.city_id == city.id)).scalars())
        start = {m: session.execute(select(func.coalesce(func.max(m.id), 0))).scalar_one()
                 for m in (Proposal, Project, Agreement, RoleShare, CostShare, CompletionReport)}
        session.remove()
    now = clock.now()
    year = fiscal_year_of(clock.today())
    states = ["submitted", "step1_review", "passed", "step2_review", "returned", "rejected"]
    words = ["見守り", "子育て", "環境", "防災", "観光", "福祉"]
    rows: dict[Any, list[dict[str, Any]]] = {m: [] for m in start}
    ids = dict(start)

    def add(model: Any, **values: Any) -> int:
        ids[model] += 1
        rows[model].append({"id": ids[model], "city_id": city.id, "version": 1,
                            "created_at": now, "updated_at": now, **values})
        return ids[model]

    for i in range(proposals):
        received = dt.date(year, 4, 1) + dt.timedelta(days=i % 300)
        adopted = i % 3 == 0
        proposal = add(Proposal, title=f"{words[i % 6]}の協働事業の提案 {i}",
                       receipt_number=f"{year}-S{i:06d}",
                       status="adopted" if adopted else states[i % len(states)],
                       proposer_type="npo", organization_id=organizations[i % len(organizations)],
                       received_on=received, fiscal_year=year, needs_budget=i % 2 == 0,
                       budget_amount=100_000 + i, summary=f"{words[i % 6]}の取組を市と協働で行う。" * 5,
                       answers=forms["basic_sheet"][1], form_definition_id=forms["basic_sheet"][0])
        if not adopted:
            continue
        project = add(Project, title=f"{words[i % 6]}の協働事業 {i}", proposal_id=proposal,
                      organization_id=organizations[i % len(organizations)],
                      department_id=department, status="running",
                      start_date=dt.date(year, 4, 1), end_date=dt.date(year + 1, 3, 31),
                      fiscal_year=year, budget_amount=500_000, summary="事業の概要。" * 10,
                      answers={})
        agreement = add(Agreement, project_id=project, title=f"協定書 {i}", status="signed",
                        start_date=dt.date(year, 4, 1), end_date=dt.date(year + 1, 3, 31),
                        signed_on=dt.date(year, 4, 1), answers=forms["agreement"][1],
                        form_definition_id=forms["agreement"][0])
        for n in range(5):
            add(RoleShare, agreement_id=agreement, item=f"役割{n}", city_role="市の役割",
                organization_role="団体の役割", sort_order=n)
            add(CostShare, agreement_id=agreement, item=f"費目{n}", city_amount=100_000,
                organization_amount=20_000, sort_order=n)
        add(CompletionReport, project_id=project, fiscal_year=year,
            due_on=dt.date(year + 1, 4, 30), summary="", answers=forms["completion_report"][1],
            form_definition_id=forms["completion_report"][0])
    with app.app_context(), db.engine.begin() as conn:
        for model, batch in rows.items():
            for first in range(0, len(batch), BATCH):
                conn.execute(insert(model.__table__), batch[first:first + BATCH])
            table = model.__tablename__
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))
    with app.app_context(), db.engine.connect() as conn:
        # What autovacuum does to a live database soon after a load: statistics, and the
        # visibility map that lets counts read indexes alone.
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    # The second proposal is under review (its edit page opens); the first led to a project.
    return {"p": start[Proposal] + 2, "proj": start[Project] + 1, "a": start[Agreement] + 1}


def build(size: int) -> tuple[Any, Any, dict[str, int], str]:
    from kyodo_admin import create_app

    name = f"kyodo_bench_scale_{size}_{os.getpid()}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database(name), "SECRET_KEY": "bench-secret",
                      "RATELIMIT_ENABLED": False, "TESTING": True, "SERVER_NAME": "localhost",
                      "WTF_CSRF_ENABLED": False, "KYODO_LOG_LEVEL": "WARNING"})
    result = app.test_cli_runner().invoke(args=["kyodo", "demo"])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    sample: dict[str, Any] = grow(app, size)
    with app.test_request_context():
        from kyodo_admin.admin.responses import list_url

        # The list a state's figure on the home screen opens.
        sample["filtered"] = list_url("proposal", ("status", "FilterEqual", "step1_review"))
    client = app.test_client()
    client.post("/login", data={"username": "kamakura-staff", "password": "kyodo-demo"})
    assert client.get("/admin/").status_code == 200, "login failed"
    return app, client, sample, name


def home_after_a_change(app: Any, client: Any, rounds: int) -> list[float]:
    """The home screen right after a change of the city's records (a new revision), when its
    year's figures are counted again rather than taken from the cache."""
    import random

    from sqlalchemy import update

    from kyodo_admin.extensions import db
    from kyodo_admin.models import CityRevision

    timings = []
    for _ in range(rounds):
        with app.app_context():
            db.session.execute(update(CityRevision).values(revision=random.getrandbits(62)))
            db.session.commit()
        started = time.perf_counter()
        assert client.get("/admin/").status_code == 200
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    began = time.perf_counter()
    sizes = {"small": build(args.small), "large": build(args.large)}
    print(f"loaded in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    timings: dict[tuple[str, str], list[float]] = {}
    try:
        for _ in range(args.rounds):
            for screen, url in SCREENS:
                for label, (_app, client, sample, _name) in sizes.items():
                    started = time.perf_counter()
                    response = client.get(url.format(**sample))
                    elapsed = (time.perf_counter() - started) * 1000
                    if response.status_code != 200:
                        raise SystemExit(f"{screen} ({label}): HTTP {response.status_code}")
                    timings.setdefault((screen, label), []).append(elapsed)
        recount = {label: home_after_a_change(app, client, args.rounds)
                   for label, (app, client, _sample, _name) in sizes.items()}
    finally:
        for app, _client, _sample, name in sizes.values():
            with app.app_context():
                from kyodo_admin.extensions import db

                db.session.remove()
                db.engine.dispose()
            drop(name)
    print(f"| screen | {args.small:,} median | p95 | {args.large:,} median | p95 | p95 ratio |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for screen, _url in SCREENS:
        small, large = timings[(screen, "small")], timings[(screen, "large")]
        ratio = percentile(large, 0.95) / percentile(small, 0.95)
        worst = max(worst, ratio)
        print(f"| {screen} | {statistics.median(small):.0f} ms | {percentile(small, 0.95):.0f} ms "
              f"| {statistics.median(large):.0f} ms | {percentile(large, 0.95):.0f} ms "
              f"| {ratio:.2f} |")
    print(f"home after each change (its figures counted again): "
          f"{statistics.median(recount['small']):.0f} ms at {args.small:,}, "
          f"{statistics.median(recount['large']):.0f} ms at {args.large:,} (medians)")
    print(f"worst p95 {args.large}/{args.small} = {worst:.2f}")


if __name__ == "__main__":
    main()
