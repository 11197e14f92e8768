"""Ledger tables: inbound journal, e-mail ingestions, outbound deliveries, audit trails,
leader leases, stream cursors."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlalchemy import text as sql
from sqlmodel import Field, SQLModel


def _big(default: int | None = None, nullable: bool = False) -> Column[int]:
    sd = None if default is None else sql(str(default))
    return Column(BigInteger, nullable=nullable, server_default=sd)


class ImapIngestion(SQLModel, table=True):
    __tablename__ = "imap_ingestions"
    __table_args__ = (
        UniqueConstraint("account_key", "uid"),
        UniqueConstraint("account_key", "message_id"),
        Index("idx_imap_ingestions_mailbox", "mailbox_key", "created_at_unix"),
    )
    id: str = Field(primary_key=True)
    account_key: str
    uid: int = Field(sa_column=_big())
    message_id: str | None = None
    workspace_id: str
    context_id: str
    file_path: str
    created_at_unix: int = Field(sa_column=_big())
    mailbox_key: str | None = None
    reply_address: str | None = None
    subject: str | None = None


class AgentAuditEvent(SQLModel, table=True):
    __tablename__ = "agent_audit_events"
    __table_args__ = (Index("idx_agent_audit_events_ws", "workspace_id", "created_at_unix"),)
    id: str = Field(primary_key=True)
    workspace_id: str
    context_id: str
    connector: str
    external_id: str
    source_user_id: str | None = None
    event_type: str
    stage: str
    tool_name: str | None = None
    tool_class: str | None = None
    blocked: bool = Field(default=False, sa_column_kwargs={"server_default": sql("false")})
    block_reason: str | None = None
    message: str | None = None
    created_at_unix: int = Field(sa_column=_big())
    # creation order (common.next_seq): listings order by it, then id
    seq: int = Field(default=0, sa_column=_big(0))


class InboundEntry(SQLModel, table=True):
    __tablename__ = "inbound_journal"
    __table_args__ = (UniqueConstraint("connector", "chat_id", "platform_message_id"),)
    id: str = Field(primary_key=True)
    connector: str
    chat_id: str
    platform_message_id: str
    sender_id: str | None = None
    text: str | None = None
    status: str
    outcome: str | None = None
    created_at_unix: int = Field(sa_column=_big())
    updated_at_unix: int = Field(sa_column=_big())


class Delivery(SQLModel, table=True):
    __tablename__ = "deliveries"
    __table_args__ = (
        Index("idx_deliveries_status", "status", "created_at_unix"),
        Index("idx_deliveries_due", "status", "connector", "next_attempt_at_ms"),
    )
    id: str = Field(primary_key=True)
    idempotency_key: str = Field(unique=True)
    connector: str
    chat_id: str
    text: str | None = None
    status: str
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": sql("0")})
    platform_message_id: str | None = None
    last_error: str | None = None
    created_at_unix: int = Field(sa_column=_big())
    updated_at_unix: int = Field(sa_column=_big())
    # creation order (common.next_seq): listings order by it, then id
    seq: int = Field(default=0, sa_column=_big(0))
    workspace_id: str | None = None
    context_id: str | None = None
    reply_to_message_id: str | None = None
    subject: str | None = None
    # how the connector answers (Discord: an interaction and its token); opaque here
    reply_route: str | None = None
    # a pending delivery is due from then (a retry's backoff); a claim leases it to one
    # connectors replica until lease_expires_at_ms
    next_attempt_at_ms: int = Field(default=0, sa_column=_big(0))
    lease_owner: str | None = None
    lease_expires_at_ms: int = Field(default=0, sa_column=_big(0))


class DeliveryPart(SQLModel, table=True):
    """One part of a long delivery: a retry resumes after the last part sent."""

    __tablename__ = "delivery_parts"
    delivery_id: str = Field(primary_key=True)
    part_index: int = Field(primary_key=True)
    text: str
    status: str
    platform_message_id: str | None = None
    last_error: str | None = None
    updated_at_unix: int = Field(sa_column=_big())


class ComponentBeat(SQLModel, table=True):
    """A heartbeat component as its process last reported it (REFERENCE.md §10)."""

    __tablename__ = "heartbeat_components"
    name: str = Field(primary_key=True)
    state: str
    message: str | None = None
    error: str | None = None
    last_beat_at_ms: int = Field(default=0, sa_column=_big(0))
    updated_at_ms: int = Field(sa_column=_big())
    reporter: str | None = None
    stale_after_ms: int = Field(default=0, sa_column=_big(0))
    extra_json: str | None = None


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("idx_audit_log_created", "created_at_unix"),
        Index("idx_audit_log_seq", "seq"),
    )
    id: str = Field(primary_key=True)
    actor: str
    action: str
    subject_kind: str
    subject_id: str
    workspace_id: str | None = None
    before_json: str | None = None
    after_json: str | None = None
    created_at_unix: int = Field(sa_column=_big())
    # creation order (common.next_seq): listings order by it, then id
    seq: int = Field(default=0, sa_column=_big(0))


class LeaderLease(SQLModel, table=True):
    __tablename__ = "leader_leases"
    name: str = Field(primary_key=True)
    holder: str
    expires_at_ms: int = Field(sa_column=_big())
    token: int = Field(default=1, sa_column=_big(1))


class StreamCursor(SQLModel, table=True):
    """A named position in an outside stream (a Telegram bot's next update offset)."""

    __tablename__ = "stream_cursors"
    name: str = Field(primary_key=True)
    value: str
    updated_at_ms: int = Field(sa_column=_big())
    # the monotonic position the value stands for (Telegram's offset); NULL when put without
    sequence: int | None = Field(default=None, sa_column=_big(nullable=True))
