"""Database access: one `Database` protocol, two backends (SQLite, PostgreSQL).

Everything backend-specific lives in this package; domain modules write portable SQL with
`:name` parameters and run it through `Conn`."""

from store_svc.db.base import Conn, Database, Row, open_database

__all__ = ["Conn", "Database", "Row", "open_database"]
