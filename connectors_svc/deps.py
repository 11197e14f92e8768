"""What the connectors service is built from. Later issues add the gateway and store clients
and the channel adapters (Telegram, Discord, IMAP/SMTP) here, each typed as a small Protocol."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Deps:
    """The connectors service's collaborators (none yet)."""
