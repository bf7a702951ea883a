"""observations: the indicator code is no longer a foreign key

PostgreSQL checks a foreign key row by row, one look-up per observation: for the
indicator code that was 0.3 s of every 60,000 observations copied (half of the COPY).
The loader checks a batch's codes against the catalogue once instead, indicators are
never deleted (only retired), and the accepted values keep their foreign key.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_observations_indicator_code_indicators"),
                                 type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f("fk_observations_indicator_code_indicators"),
                                    "indicators", ["indicator_code"], ["code"])
