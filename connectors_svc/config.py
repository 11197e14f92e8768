"""Settings of the connectors process."""

from __future__ import annotations

from pydantic import Field, SecretStr

from svckit.config import ServiceSettings


class ConnectorsSettings(ServiceSettings):
    """`AGENT_RUNTIME_*` settings of connectors_svc; ports default to DESIGN.md §6."""

    grpc_port: int = Field(7106, ge=0, le=65535)
    health_port: int = Field(7206, ge=0, le=65535)
    metrics_port: int = Field(7306, ge=0, le=65535)

    # Discord (REST and gateway websocket).
    discord_token: SecretStr = SecretStr("")
    discord_api_base: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/?v=10&encoding=json"
    discord_application_id: str = ""
    discord_command_guild_ids: str = ""
