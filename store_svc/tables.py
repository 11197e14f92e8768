"""The data model at head, as SQLModel tables. Migrations (store_svc/migrations) create
exactly this schema on SQLite and PostgreSQL; a test compares the two.

Times are unix seconds (`*_unix`) like the original, or milliseconds (`*_ms`) where the
queue needs them. Booleans are real booleans (INTEGER on SQLite, BOOLEAN on PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlalchemy import text as sql
from sqlmodel import Field, SQLModel


def _big(default: int | None = None, nullable: bool = False) -> Column[int]:
    sd = None if default is None else sql(str(default))
    return Column(BigInteger, nullable=nullable, server_default=sd)


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: str = Field(primary_key=True)
    email: str | None = None
    display_name: str
    role: str
    created_at_unix: int = Field(sa_column=_big())


class Identity(SQLModel, table=True):
    __tablename__ = "identities"
    # one active link per account; revoked rows stay as history beside a fresh link
    __table_args__ = (
        Index(
            "uq_identities_active_account",
            "connector",
            "connector_user_id",
            unique=True,
            sqlite_where=sql("status = 'active'"),
            postgresql_where=sql("status = 'active'"),
        ),
    )
    id: str = Field(primary_key=True)
    user_id: str = Field(foreign_key="users.id", ondelete="CASCADE")
    connector: str
    connector_user_id: str
    verified: bool = Field(default=False, sa_column_kwargs={"server_default": sql("false")})
    created_at_unix: int = Field(sa_column=_big())
    # creation order (common.next_seq): listings order by it, then id
    seq: int = Field(default=0, sa_column=_big(0))
    status: str = Field(default="active", sa_column_kwargs={"server_default": "active"})
    revoked_at_unix: int | None = Field(default=None, sa_column=_big(nullable=True))
    revoke_reason: str | None = None


class WorkspaceRole(SQLModel, table=True):
    """A user's role in one workspace (member or admin), over the user's own role; an
    overlord is overlord everywhere."""

    __tablename__ = "workspace_roles"
    user_id: str = Field(primary_key=True, foreign_key="users.id", ondelete="CASCADE")
    workspace_id: str = Field(primary_key=True)
    role: str
    updated_at_unix: int = Field(sa_column=_big())


class Workspace(SQLModel, table=True):
    __tablename__ = "workspaces"
    id: str = Field(primary_key=True)
    slug: str = Field(unique=True)
    name: str
    kind: str
    owner_user_id: str | None = None
    created_at_unix: int = Field(sa_column=_big())
    # creation order (common.next_seq): listings order by it, then id
    seq: int = Field(default=0, sa_column=_big(0))


class Context(SQLModel, table=True):
    __tablename__ = "contexts"
    __table_args__ = (UniqueConstraint("workspace_id", "connector", "external_id"),)
    id: str = Field(primary_key=True)
    workspace_id: str = Field(foreign_key="workspaces.id", ondelete="CASCADE")
    connector: str
    external_id: str
    system_prompt: str = Field(default="", sa_column_kwargs={"server_default": ""})
    is_admin: bool = Field(default=False, sa_column_kwargs={"server_default": sql("false")})
    created_at_unix: int = Field(sa_column=_big())
    # creation order (common.next_seq): listings order by it, then id
    seq: int = Field(default=0, sa_column=_big(0))


class PairingStarter(SQLModel, table=True):
    """One row per connector account that started a pairing: the row a start locks first,
    so concurrent starts of one account count their window one after another."""

    __tablename__ = "pairing_starters"
    connector: str = Field(primary_key=True)
    connector_user_id: str = Field(primary_key=True)
    last_start_unix: int = Field(sa_column=_big())


class PairingRequest(SQLModel, table=True):
    __tablename__ = "pairing_requests"
    id: str = Field(primary_key=True)
    token_hash: str = Field(unique=True)
    token_hint: str
    connector: str
    connector_user_id: str
    display_name: str
    status: str
    expires_at_unix: int = Field(sa_column=_big())
    approved_user_id: str | None = None
    approver_user_id: str | None = None
    denied_reason: str | None = None
    created_at_unix: int = Field(sa_column=_big())
    updated_at_unix: int = Field(sa_column=_big())
    # creation order (common.next_seq): listings order by it, then id
    seq: int = Field(default=0, sa_column=_big(0))
