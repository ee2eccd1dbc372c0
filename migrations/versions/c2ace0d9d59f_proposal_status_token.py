"""proposal status token: the proposer's status page (提案の状況) is reached by a random token
sent by mail; the proposal keeps only its SHA-256. Existing proposals have none (their
proposers ask for a link by receipt number and address).

Revision ID: c2ace0d9d59f
Revises: 177557800af3
Create Date: 2026-12-06 12:49:57.540534

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c2ace0d9d59f'
down_revision = '177557800af3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_token_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_proposal_status_token_hash'), ['status_token_hash'],
                              unique=False)


def downgrade():
    # Dropped in place (SQLite 3.35+): the proposal table is referred to by many others.
    with op.batch_alter_table('proposal', schema=None, recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_status_token_hash'))
        batch_op.drop_column('status_token_hash')
