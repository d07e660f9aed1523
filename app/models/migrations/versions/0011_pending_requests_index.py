"""the pending requests, indexed for the inbox

Every column the inbox reads of a pending request (its participant, milestone, id, round and
who it was handed to), in the partial index of submitted progress, which it replaces (same
leading columns): the inbox reads its requests from this index alone, not from a row each
scattered over the whole progress table.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("state = 'submitted'")


def upgrade() -> None:
    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_submitted', sqlite_where=PENDING,
                            postgresql_where=PENDING)
        batch_op.create_index('ix_progress_pending',
                              ['state', 'submitted_at', 'person_id', 'milestone_id', 'id',
                               'round', 'assigned_to'], unique=False,
                              sqlite_where=PENDING, postgresql_where=PENDING)


def downgrade() -> None:
    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_pending', sqlite_where=PENDING,
                            postgresql_where=PENDING)
        batch_op.create_index('ix_progress_submitted', ['state', 'submitted_at'], unique=False,
                              sqlite_where=PENDING, postgresql_where=PENDING)
