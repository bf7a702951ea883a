"""mail intake: messages taken from the office mailbox, the files they brought, and the
Message-ID of our own mail so a reply finds its thread

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("folder", sa.String(length=200), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_key", sa.String(length=300), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("references", sa.Text(), nullable=False),
        sa.Column("sender", sa.String(length=300), nullable=False),
        sa.Column("sender_name", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("department_code", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("note_zh", sa.Text(), nullable=False),
        sa.Column("archived_path", sa.String(length=500), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_alert_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["answered_by_alert_id"], ["alerts.id"],
                                name=op.f("fk_mail_messages_answered_by_alert_id_alerts")),
        sa.ForeignKeyConstraint(["department_code"], ["departments.code"],
                                name=op.f("fk_mail_messages_department_code_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_messages")),
        sa.UniqueConstraint("folder", "uidvalidity", "uid",
                            name=op.f("uq_mail_messages_folder")),
    )
    op.create_index(op.f("ix_mail_messages_message_key"), "mail_messages", ["message_key"])
    op.create_table(
        "mail_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("saved_path", sa.String(length=500), nullable=False),
        sa.Column("refusal_zh", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["mail_id"], ["mail_messages.id"], ondelete="CASCADE",
                                name=op.f("fk_mail_attachments_mail_id_mail_messages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_attachments")),
    )
    op.create_index(op.f("ix_mail_attachments_mail_id"), "mail_attachments", ["mail_id"])
    op.create_index(op.f("ix_mail_attachments_sha256"), "mail_attachments", ["sha256"])
    with op.batch_alter_table("alerts") as alerts:
        alerts.add_column(sa.Column("message_id", sa.String(length=300), nullable=False,
                                    server_default=""))
        alerts.create_index(op.f("ix_alerts_message_id"), ["message_id"])


def downgrade() -> None:
    with op.batch_alter_table("alerts") as alerts:
        alerts.drop_index(op.f("ix_alerts_message_id"))
        alerts.drop_column("message_id")
    op.drop_table("mail_attachments")
    op.drop_table("mail_messages")
