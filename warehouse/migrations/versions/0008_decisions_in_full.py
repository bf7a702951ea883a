"""decisions in full: reject, set, choose, approve, return, lock; an accepted value
may rest on a decision

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 15:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.alter_column("department_code", existing_type=sa.String(length=40),
                              nullable=True)
        batch_op.add_column(sa.Column("before", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("after", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("value", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("observation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("file_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("detail", sa.Text(), nullable=False, server_default=""))
        batch_op.create_foreign_key(batch_op.f("fk_decisions_observation_id_observations"),
                                    "observations", ["observation_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_decisions_file_id_files"),
                                    "files", ["file_id"], ["id"])
    with op.batch_alter_table("accepted_values", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_accepted_values_decision_id_decisions"),
                                    "decisions", ["decision_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("accepted_values", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_accepted_values_decision_id_decisions"),
                                 type_="foreignkey")
        batch_op.drop_column("decision_id")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_decisions_file_id_files"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_decisions_observation_id_observations"),
                                 type_="foreignkey")
        for column in ("detail", "file_id", "observation_id", "value", "after", "before"):
            batch_op.drop_column(column)
        batch_op.alter_column("department_code", existing_type=sa.String(length=40),
                              nullable=False)
