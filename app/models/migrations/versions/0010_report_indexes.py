"""the moves of the history, indexed for the reports

Each progress's state changes (events with a to_state) in time order, with their states:
cycle time finds the end of each stay, time in milestone a milestone's first opening and last
completion, in this index alone. Partial, so that the reads of a whole history (the inbox, a
progress's detail) keep the index they had and the order it gives them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('progress_events', schema=None) as batch_op:
        batch_op.create_index('ix_progress_events_moves',
                              ['progress_id', 'at', 'to_state', 'from_state'], unique=False,
                              sqlite_where=sa.text('to_state IS NOT NULL'),
                              postgresql_where=sa.text('to_state IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('progress_events', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_events_moves',
                            sqlite_where=sa.text('to_state IS NOT NULL'),
                            postgresql_where=sa.text('to_state IS NOT NULL'))
