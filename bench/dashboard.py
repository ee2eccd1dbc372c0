"""Benchmark: the home screen (dashboard) of a city with many records.

The Kamakura demo is loaded, then ``--proposals`` proposals (with a project, a plan and a
completion report for every third one; every second of those in its second year, the
first continued) are added to Kamakura's current fiscal year. A
logged-in staff client then requests, interleaved so machine noise hits both alike:

    (a) home      GET /admin/         the dashboard: every figure of the fiscal year
    (b) list      GET /admin/proposal/ one list page (20 rows and the count) — the baseline

Each figure is the median of the rounds; the last line is ``home/list = R``: how many
list pages the dashboard costs. Run with ``make bench-dashboard`` (``--proposals 200``
against ``--proposals 5000`` shows how it grows).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_app(folder: Path, proposals: int):
    from sqlalchemy import select

    from kyodo_admin import clock, create_app
    from kyodo_admin.extensions import db
    from kyodo_admin.models import City, CompletionReport, Project, ProjectYear, Proposal
    from kyodo_admin.models.base import fiscal_year_of
    from kyodo_admin.tenancy import scoped_to

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
                      "SECRET_KEY": "bench-secret-key", "RATELIMIT_ENABLED": False,
                      "KYODO_LOG_LEVEL": "WARNING",
                      "TESTING": True, "SERVER_NAME": "localhost"})
    result = app.test_cli_runner().invoke(args=["kyodo", "demo"])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    today = clock.today()
    year = fiscal_year_of(today)
    states = ["submitted", "step1_review", "passed", "step2_review", "adopted", "returned"]
    with app.app_context():
        city = db.session.execute(select(City).where(City.slug == "kamakura")).scalar_one()
        with scoped_to(city.id):
            for i in range(proposals):
                received = dt.date(year, 4, 1) + dt.timedelta(days=i % 300)
                proposal = Proposal(title=f"ベンチ提案{i}", status=states[i % len(states)],
                                    received_on=received, needs_budget=i % 2 == 0,
                                    budget_amount=100_000 + i, receipt_number=f"{year}-B{i:05d}")
                db.session.add(proposal)
                if i % 3 == 0:
                    completed = today - dt.timedelta(days=i % 90)
                    over_years = i % 6 == 0  # in its second year, the first continued
                    project = Project(title=f"ベンチ事業{i}", proposal=proposal,
                                      status="completed" if i % 2 else "running",
                                      start_date=dt.date(year - 1 if over_years else year, 5, 1),
                                      completed_on=completed, budget_amount=200_000 + i)
                    if over_years:
                        project.years = [
                            ProjectYear(fiscal_year=year - 1, year_number=1, decision="continue",
                                        completed_on=dt.date(year, 3, 31)),
                            ProjectYear(fiscal_year=year, year_number=2)]
                    db.session.add(project)
                    db.session.add(CompletionReport(project=project, fiscal_year=year,
                                                    due_on=completed + dt.timedelta(days=31)))
                if i % 500 == 499:
                    db.session.commit()
            db.session.commit()
    return app


def login(client, username: str, password: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, "login failed"


def timed(client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    from kyodo_admin.services.users import DEMO_PASSWORD

    with tempfile.TemporaryDirectory() as folder:
        app = build_app(Path(folder), args.proposals)
        client = app.test_client()
        login(client, "kamakura-staff", DEMO_PASSWORD)
        timed(client, "/admin/")  # warm up templates and caches
        timed(client, "/admin/proposal/")
        home, listing = [], []
        for _ in range(args.rounds):
            home.append(timed(client, "/admin/"))
            listing.append(timed(client, "/admin/proposal/"))
        home_ms = statistics.median(home) * 1000
        list_ms = statistics.median(listing) * 1000
        print(f"records: {args.proposals} proposals added to Kamakura's fiscal year, "
              f"{args.rounds} rounds (medians)")
        print(f"home (dashboard)      {home_ms:8.1f} ms")
        print(f"proposal list page    {list_ms:8.1f} ms")
        print(f"home/list = {home_ms / list_ms:.2f}")


if __name__ == "__main__":
    main()
