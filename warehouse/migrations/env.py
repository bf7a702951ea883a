"""Alembic environment: the connection comes from `warehouse.migrate`, never from a file."""

from alembic import context

from warehouse.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
