"""The warehouse: every submitted file and version, accepted values and issues.

SQLAlchemy owns all SQL here; SQLite by default, PostgreSQL in production — the
warehouse URL is the only switch.
"""
