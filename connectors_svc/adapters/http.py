"""What the HTTP adapters (Telegram through python-telegram-bot, the Codex/Cline/Gemini
webhook; discord.py brings its own) share about aiohttp, their one HTTP client."""

from __future__ import annotations

import aiohttp

# A request that failed with one of these never left this process: no connection was made
# (refused, unreachable) or none was free or made in time (aiohttp's `connect` timeout covers
# both the wait for a pooled connection and the connect itself).
NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
