"""All tables in one MetaData (what Alembic compares migrations against)."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlmodel import SQLModel

from store_svc import tables, tables_ledger, tables_work

_MODULES = (tables, tables_work, tables_ledger)
metadata: MetaData = SQLModel.metadata
