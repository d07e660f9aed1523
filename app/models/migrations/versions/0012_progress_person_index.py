"""the participant's progress found through the unique (participant, milestone) index

The index on progress.person_id alone repeated the leading column of the unique constraint
on (person_id, milestone_id), which serves every lookup by participant as well; kept, it cost
every enrolment an index entry per progress row for nothing (about 8% of enrolling 5,000 on
the large store).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 14:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_person_id')


def downgrade() -> None:
    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.create_index('ix_progress_person_id', ['person_id'], unique=False)
