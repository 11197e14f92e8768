"""A fake Discord on 127.0.0.1 that speaks the wire protocol discord.py speaks: REST under
`/api/v10` (rest.py) and the gateway websocket (gateway.py: HELLO, IDENTIFY/READY, heartbeats,
RESUME/RESUMED with the missed events replayed, op 7 RECONNECT, op 9 INVALID_SESSION,
zlib-stream transport compression).

Tests drive it as Discord would (server.py): `dispatch` a MESSAGE_CREATE or
INTERACTION_CREATE, `drop` the socket, `invalid_session`, `expire` an interaction token, queue
`faults` for the next REST calls, and read what the bot did (`posted`, `commands`,
`callbacks`, `edits`, `followups`)."""

from tests.fake_discord.server import FakeDiscord
from tests.fake_discord.state import DROP, Fault, Session, json_response
from tests.fake_discord.threaded import ThreadedFakeDiscord, wait_connected

__all__ = [
    "DROP",
    "FakeDiscord",
    "Fault",
    "Session",
    "ThreadedFakeDiscord",
    "json_response",
    "wait_connected",
]
