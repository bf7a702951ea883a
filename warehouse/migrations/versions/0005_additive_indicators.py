"""indicators say whether their years may be added up (additive), instead of how the
report aggregates them: the report's bindings alone say that

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("indicators") as batch:
        batch.add_column(sa.Column("additive", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.drop_column("aggregation")
    # Rewritten from the catalogue by every init (warehouse.sync).


def downgrade() -> None:
    with op.batch_alter_table("indicators") as batch:
        batch.add_column(sa.Column("aggregation", sa.String(length=20), nullable=False,
                                   server_default="sum"))
        batch.drop_column("additive")
