"""Discord API objects as Discord sends them (users, messages, interactions, READY,
GUILD_CREATE), for the fake Discord (this package). Every builder returns a fresh dict."""

from __future__ import annotations

from typing import Any

TIMESTAMP = "2026-12-06T08:00:00.000000+00:00"
JOINED = "2026-01-01T00:00:00+00:00"


def user(uid: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": uid,
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def bot_user(bot_id: str) -> dict[str, Any]:
    return {**user(bot_id, "bot", bot=True), "verified": True, "mfa_enabled": False, "flags": 0}


def message(mid: str, channel: str, content: str, author: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": mid,
        "type": 0,
        "channel_id": channel,
        "content": content,
        "author": author,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "tts": False,
        "pinned": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "flags": 0,
    }


def attachment(aid: str, name: str, size: int, url: str, kind: str) -> dict[str, Any]:
    found: dict[str, Any] = {"id": aid, "filename": name, "size": size, "url": url,
                             "proxy_url": url}  # fmt: skip
    if kind:
        found["content_type"] = kind
    return found


def member(**extra: Any) -> dict[str, Any]:
    return {"roles": [], "joined_at": JOINED, "deaf": False, "mute": False, "flags": 0, **extra}


def interaction(
    iid: str,
    token: str,
    app_id: str,
    guild_id: str,
    channel_id: str,
    data: dict[str, Any],
    who: dict[str, Any],
) -> dict[str, Any]:
    return {
        "id": iid,
        "application_id": app_id,
        "type": 2,
        "token": token,
        "version": 1,
        "data": data,
        "guild_id": guild_id,
        "channel_id": channel_id,
        "channel": {"id": channel_id, "type": 0, "name": "general", "guild_id": guild_id},
        "member": member(user=who, permissions="0"),
        "app_permissions": "0",
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": guild_id},
        "context": 0,
        "attachment_size_limit": 8_388_608,
    }


def app_info(app_id: str, bot_id: str) -> dict[str, Any]:
    return {
        "id": app_id,
        "name": "agent-runtime",
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "00",
        "owner": user("1", "owner"),
        "flags": 0,
        "summary": "",
        "bot": user(bot_id, "bot", bot=True),
    }


def ready(bot_id: str, app_id: str, guild_id: str, session_id: str, url: str) -> dict[str, Any]:
    return {
        "v": 10,
        "user": bot_user(bot_id),
        "guilds": [{"id": guild_id, "unavailable": True}],
        "session_id": session_id,
        "resume_gateway_url": url,
        "application": {"id": app_id, "flags": 0},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "session_type": "normal",
        "shard": [0, 1],
    }


def bot_role_id(guild_id: str) -> str:
    """The id of the bot's managed role in the guild."""
    return f"{guild_id}9"


def guild_create(guild_id: str, channel_id: str, bot_id: str) -> dict[str, Any]:
    bot_role = {
        "id": bot_role_id(guild_id),
        "name": "bot",
        "permissions": "0",
        "position": 1,
        "color": 0,
        "hoist": False,
        "managed": True,
        "mentionable": False,
        "flags": 0,
        "tags": {"bot_id": bot_id},
    }
    everyone = {
        "id": guild_id,
        "name": "@everyone",
        "permissions": "0",
        "position": 0,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }
    channel = {
        "id": channel_id,
        "type": 0,
        "name": "general",
        "position": 0,
        "permission_overwrites": [],
        "guild_id": guild_id,
    }
    empty: dict[str, Any] = {
        k: []
        for k in (
            "features",
            "members",
            "threads",
            "emojis",
            "stickers",
            "voice_states",
            "presences",
            "stage_instances",
            "guild_scheduled_events",
        )
    }
    zero = {
        k: 0
        for k in (
            "premium_tier",
            "verification_level",
            "default_message_notifications",
            "explicit_content_filter",
            "mfa_level",
            "nsfw_level",
            "system_channel_flags",
        )
    }
    return {
        "id": guild_id,
        "name": "guild",
        "icon": None,
        "owner_id": "1",
        "unavailable": False,
        "member_count": 2,
        "large": False,
        "preferred_locale": "en-US",
        "roles": [everyone, bot_role],
        "channels": [channel],
        **empty,
        **zero,
    }


def registered_command(command: dict[str, Any], cid: str, app_id: str) -> dict[str, Any]:
    """An application command as a bulk overwrite answers it."""
    return {
        **command,
        "id": cid,
        "application_id": app_id,
        "version": "1",
        "default_member_permissions": None,
        "dm_permission": True,
        "nsfw": False,
    }


def callback_response(iid: str, kind: int) -> dict[str, Any]:
    """An interaction callback's answer when asked `with_response`."""
    interaction = {
        "id": iid,
        "type": 2,
        "response_message_loading": kind == 5,
        "response_message_ephemeral": False,
    }
    return {"interaction": interaction, "resource": {"type": kind}}
