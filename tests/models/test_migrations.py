"""Upgrading an empty database gives exactly the models' schema; downgrade to base works."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from kyodo_admin import VERSION_TABLE, create_app
from kyodo_admin.extensions import db
from kyodo_admin.models import Base
from kyodo_admin.models.base import TRIGRAM_SUFFIX, compared_by_alembic

from ..conftest import app_config, database_url


@pytest.fixture
def empty_app(backend, tmp_path_factory):
    url = database_url(backend, tmp_path_factory, "migrations")
    app = create_app(app_config(url))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_upgrade_matches_models_and_downgrade_empties(empty_app):
    with empty_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "render_as_batch": True, "version_table": VERSION_TABLE,
                "include_object": compared_by_alembic})
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        # The trigram indexes, left out above, are the models' on PostgreSQL and none on SQLite.
        inspector = sa.inspect(db.engine)
        made = {index["name"] for table in Base.metadata.tables
                for index in inspector.get_indexes(table)
                if index["name"].endswith(TRIGRAM_SUFFIX)}
        declared = {index.name for table in Base.metadata.tables.values()
                    for index in table.indexes if str(index.name).endswith(TRIGRAM_SUFFIX)}
        assert len(declared) == 10
        assert made == (declared if db.engine.dialect.name == "postgresql" else set())
        if db.engine.dialect.name == "postgresql":  # over the folded text the search compares
            with db.engine.connect() as conn:
                definitions = conn.execute(sa.text(
                    "SELECT indexdef FROM pg_indexes WHERE indexname LIKE '%\\_trgm'")).scalars()
                assert ["NORMALIZE(" in d.upper() and "NFKC" in d for d in definitions] == [True] * 10
        tables = set(sa.inspect(db.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables

        downgrade(revision="base")
        db.engine.dispose()
        remaining = set(sa.inspect(db.engine).get_table_names()) - {VERSION_TABLE}
        assert remaining == set()
