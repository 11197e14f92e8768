"""Is a message a command? Only when it starts with `/` (`/task@MyBot`, Telegram's
`/admin_channel`), or is `pair` in a direct message (SPEC.md "Fix"). In a direct message
`pair`, `/pair` (what Telegram's command menu sends) and `/pair@Bot` all name `pair`."""

from __future__ import annotations


def split_command(text: str, direct: bool) -> tuple[str, str] | None:
    """(name, argument) of a command message, or None for conversation. The name is lower
    case with `_` as `-` and any `@bot` dropped; the argument keeps its case and newlines."""
    text = text.strip()
    if direct and text.lower() == "pair":
        return "pair", ""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, arg = text[1:].partition(" ")
    if "\n" in head:
        head, _, rest = head.partition("\n")
        arg = rest + (" " + arg if arg else "")
    name = head.split("@", 1)[0].lower().replace("_", "-")
    if not name:
        return None
    return name, arg.strip()
