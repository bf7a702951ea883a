"""The products are written from a real warehouse: the same SQLite file and PostgreSQL."""

from tests.warehouse.conftest import settings, warehouse, warehouse_url  # noqa: F401
