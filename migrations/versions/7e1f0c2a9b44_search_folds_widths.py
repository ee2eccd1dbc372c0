"""search folds widths: the trigram indexes are over normalize(column, NFKC)

The lists search the folded text (ｶﾌｪ finds カフェ, （ finds (), so the PostgreSQL trigram
indexes are rebuilt over the same expression. SQLite has none.

Revision ID: 7e1f0c2a9b44
Revises: deda6394f845
Create Date: 2026-12-06 06:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7e1f0c2a9b44'
down_revision = 'deda6394f845'
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
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in TRIGRAM_COLUMNS:
        op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
        op.execute(f"CREATE INDEX ix_{table}_{column}_fold_trgm ON {table} "
                   f"USING gin (normalize({column}, NFKC) gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in TRIGRAM_COLUMNS:
        op.drop_index(f"ix_{table}_{column}_fold_trgm", table_name=table)
        op.create_index(f"ix_{table}_{column}_trgm", table, [column], postgresql_using="gin",
                        postgresql_ops={column: "gin_trgm_ops"})
