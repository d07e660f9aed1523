"""program versions

Every change to the definitions keeps the whole program file as it then stood, numbered, with
who, when and how: the history to browse, diff and restore.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 08:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('program_versions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('at', app.models.base.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('op_id', sa.Uuid(), nullable=True),
    sa.Column('text', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_versions')),
    sa.UniqueConstraint('number', name=op.f('uq_program_versions_number'))
    )


def downgrade() -> None:
    op.drop_table('program_versions')
