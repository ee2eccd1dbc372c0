"""The migration to project years on a copy of the demo data: the database as an install
before years had it (downgraded past the migration), upgraded again: every project has its
years, each agreement its fiscal year, and no record is lost or changed."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from kyodo_admin import create_app
from kyodo_admin.extensions import db

from ..conftest import app_config, database_url

BEFORE_YEARS = "7e1f0c2a9b44"
COUNTED = ("project", "project_plan", "indicator", "agreement", "cost_share", "role_share",
           "completion_report", "evaluation", "generated_document", "audit_event")


def snapshot(connection) -> dict:
    return {
        "counts": {t: connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                   for t in COUNTED},
        "projects": connection.execute(sa.text(
            "SELECT id, title, status, fiscal_year, start_date, end_date, completed_on "
            "FROM project ORDER BY id")).all(),
        "agreements": connection.execute(sa.text(
            "SELECT id, project_id, title, status, start_date, signed_on FROM agreement "
            "ORDER BY id")).all(),
        # The proposals' reviews and their scores (SQLite recreates the review table on the
        # way: its scores, which cascade from it, stay).
        "reviews": connection.execute(sa.text(
            "SELECT id, proposal_id, result, reasons FROM review WHERE proposal_id IS NOT NULL "
            "ORDER BY id")).all(),
        "scores": connection.execute(sa.text(
            "SELECT s.id, s.review_id, s.score FROM review_score s JOIN review r "
            "ON r.id = s.review_id WHERE r.proposal_id IS NOT NULL ORDER BY s.id")).all(),
    }


def test_every_project_gets_its_years_with_nothing_lost(backend, tmp_path_factory):
    url = database_url(backend, tmp_path_factory, "years_migration")
    app = create_app(app_config(url))
    result = app.test_cli_runner().invoke(args=["kyodo", "demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        with db.engine.connect() as connection:
            made = snapshot(connection)
            demo_years = connection.execute(sa.text(
                "SELECT project_id, fiscal_year, year_number FROM project_year "
                "ORDER BY project_id, year_number")).all()
        assert made["counts"]["project"] > 10 and demo_years and made["scores"]

        downgrade(revision=BEFORE_YEARS)  # the database as an install before years had it
        db.engine.dispose()
        assert not sa.inspect(db.engine).has_table("project_year")
        upgrade()
        with db.engine.connect() as connection:
            assert snapshot(connection) == made  # nothing lost, nothing changed
            years = connection.execute(sa.text(
                "SELECT y.project_id, y.fiscal_year, y.year_number, y.completed_on, "
                "p.fiscal_year, p.completed_on FROM project_year y "
                "JOIN project p ON p.id = y.project_id ORDER BY y.project_id, y.year_number"
            )).all()
            without_year = connection.execute(sa.text(
                "SELECT count(*) FROM agreement WHERE fiscal_year IS NULL")).scalar_one()
        # The years the demo made are the years the migration finds.
        assert [(p, f, n) for p, f, n, *_ in years] == [tuple(row) for row in demo_years]
        by_project: dict[int, list] = {}
        for row in years:
            by_project.setdefault(row[0], []).append(row)
        assert set(by_project) == {p[0] for p in made["projects"]}
        for rows in by_project.values():
            first, last = rows[0], rows[-1]
            assert first[2] == 1 and [r[2] for r in rows] == list(range(1, len(rows) + 1))
            assert first[1] == first[4]  # year one is the project's fiscal year
            assert last[3] == last[5]  # the year it is in keeps its 事業完了日
        assert without_year == 0
        db.session.remove()
        db.engine.dispose()
