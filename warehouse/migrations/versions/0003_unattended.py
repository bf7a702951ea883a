"""unattended operation: runs know their Prefect flow run, the lock knows its run, mail
is a queue with its own schedule of attempts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as runs:
        runs.add_column(sa.Column("flow_run_id", sa.String(length=40), nullable=True))
    with op.batch_alter_table("locks") as locks:
        locks.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("alerts") as alerts:
        alerts.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True),
                                    nullable=True))
    # Mail that was waiting for delivery is queued; the old "pending or failed" both meant
    # "try again".
    op.execute("UPDATE alerts SET status = 'queued' WHERE status IN ('pending', 'failed')")


def downgrade() -> None:
    op.execute("UPDATE alerts SET status = 'pending' WHERE status IN ('queued', 'written')")
    with op.batch_alter_table("alerts") as alerts:
        alerts.drop_column("next_attempt_at")
    with op.batch_alter_table("locks") as locks:
        locks.drop_column("run_id")
    with op.batch_alter_table("runs") as runs:
        runs.drop_column("flow_run_id")
