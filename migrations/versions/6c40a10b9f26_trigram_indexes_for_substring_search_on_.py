"""trigram indexes for substring search on PostgreSQL

Revision ID: 6c40a10b9f26
Revises: 004f2c88d31c
Create Date: 2026-11-29 05:54:32.773978

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6c40a10b9f26'
down_revision = '004f2c88d31c'
branch_labels = None
depends_on = None


#: (table, column) of every trigram index (kyodo_admin.models.base.trigram_indexes).
TRIGRAM_COLUMNS = [
    ("proposal", "title"), ("proposal", "receipt_number"), ("proposal", "summary"),
    ("project", "title"), ("project", "summary"), ("agreement", "title"),
    ("organization", "name"), ("organization", "name_kana"),
    ("completion_report", "summary"), ("audit_event", "record_label"),
]


def upgrade():
    # PostgreSQL only: SQLite has no trigram index (its lists keep scanning).
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in TRIGRAM_COLUMNS:
        op.create_index(f"ix_{table}_{column}_trgm", table, [column], postgresql_using="gin",
                        postgresql_ops={column: "gin_trgm_ops"})


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in TRIGRAM_COLUMNS:
        op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
