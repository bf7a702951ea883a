"""rounds: every submission, issue and decision belongs to a round; indicators remember
their former names and when they were retired

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROUND_TABLES = ("submissions", "issues", "decisions")


def upgrade() -> None:
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("first_year", sa.Integer(), nullable=False),
        sa.Column("last_year", sa.Integer(), nullable=False),
        sa.Column("report_year", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=80), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=80), nullable=False, server_default=""),
        sa.Column("products_folder", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("closing_table", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
        sa.UniqueConstraint("name", name=op.f("uq_rounds_name")),
    )
    for table in ROUND_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("round_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f(f"fk_{table}_round_id_rounds"), "rounds",
                                        ["round_id"], ["id"])
            batch_op.create_index(batch_op.f(f"ix_{table}_round_id"), ["round_id"])
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_constraint("uq_issues_department_key", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_issues_round_id"),
            ["round_id", "department_key", "indicator_code", "year", "rule", "scope"])
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("former_names", sa.Text(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
        batch_op.drop_column("former_names")
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_issues_round_id"), type_="unique")
        batch_op.create_unique_constraint(
            "uq_issues_department_key",
            ["department_key", "indicator_code", "year", "rule", "scope"])
    for table in ROUND_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_round_id"))
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_round_id_rounds"),
                                     type_="foreignkey")
            batch_op.drop_column("round_id")
    op.drop_table("rounds")
