"""The fake Telegram's check of `parse_mode=HTML` text, as the Bot API parses it: only the
tags Telegram supports (with their attributes), each closed in order, nothing inside `pre`
or `code` but the code of a `pre`, no quote in a quote, no link, code or pre in a link; `<`, `>` and
`&` only as tags or entities (`&lt;`, `&gt;`, `&amp;`, `&quot;`, numeric). Stricter than
Telegram on a bare `>` or `&`, which it lets pass. A failure raises `Unparsable` with
Telegram's wording; `visible` is the text left once the markup is read (what Telegram's
4,096-character limit counts)."""

from __future__ import annotations

import html
import re

TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>"
)
ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?")
ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
ALIASES = {"strong": "b", "em": "i", "ins": "u", "strike": "s", "del": "s"}
ALLOWED: dict[str, set[str]] = {
    **{t: set() for t in ("b", "i", "u", "s", "tg-spoiler", "pre")},
    "span": {"class"},
    "a": {"href"},
    "tg-emoji": {"emoji-id"},
    "code": {"class"},
    "blockquote": {"expandable"},
}


class Unparsable(ValueError):
    """Telegram's reason, as after "Bad Request: can't parse entities: "."""


def visible(text: str) -> str:
    """The text Telegram shows for `text` sent with parse_mode HTML; Unparsable if it
    would answer 400."""
    out: list[str] = []
    open_tags: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        at = len(text[:i].encode())
        if ch == "&":
            entity = ENTITY.match(text, i)
            if entity is None:
                raise Unparsable(
                    f"Character '&' is reserved and must be escaped at byte offset {at}"
                )
            out.append(html.unescape(entity.group()))
            i = entity.end()
        elif ch == ">":
            raise Unparsable(f"Character '>' is reserved and must be escaped at byte offset {at}")
        elif ch == "<":
            tag = TAG.match(text, i)
            if tag is None:
                raise Unparsable(f"Unexpected start of a tag at byte offset {at}")
            _tag(tag, open_tags, at)
            i = tag.end()
        else:
            out.append(ch)
            i += 1
    if open_tags:
        raise Unparsable(f'Can\'t find end tag corresponding to start tag "{open_tags[-1]}"')
    return "".join(out)


def _tag(tag: re.Match[str], open_tags: list[str], at: int) -> None:
    closing, name = tag.group(1) == "/", tag.group(2).lower()
    name = ALIASES.get(name, name)
    if name not in ALLOWED:
        raise Unparsable(
            f'Unsupported {"end" if closing else "start"} tag "{name}" at byte offset {at}'
        )
    if closing:
        if not open_tags or open_tags[-1] != name:
            expected = f'"</{open_tags[-1]}>"' if open_tags else "none"
            raise Unparsable(
                f'Unmatched end tag at byte offset {at}, expected {expected}, found "</{name}>"'
            )
        open_tags.pop()
        return
    for attr in ATTR.finditer(tag.group(3)):
        key = attr.group(1).lower()
        if key not in ALLOWED[name]:
            raise Unparsable(f'Unsupported attribute "{key}" of tag "{name}" at byte offset {at}')
        value = next((g for g in attr.groups()[1:] if g is not None), "")
        _attribute(name, key, value, open_tags, at)
    inside = open_tags[-1] if open_tags else ""
    if (inside == "pre" and name != "code") or inside == "code":
        raise Unparsable(f'Tag "{name}" can\'t be inside "{inside}" at byte offset {at}')
    nested = name == "blockquote" and name in open_tags
    if nested or (name in ("a", "code", "pre") and "a" in open_tags):
        raise Unparsable(f'Tag "{name}" can\'t be nested at byte offset {at}')
    open_tags.append(name)


def _attribute(name: str, key: str, value: str, open_tags: list[str], at: int) -> None:
    bad = (
        (name == "span" and value != "tg-spoiler")
        or (name == "code" and not (value.startswith("language-") and open_tags[-1:] == ["pre"]))
        or (name == "a" and not value)
        or ("<" in value or ">" in value)
    )
    if bad:
        raise Unparsable(f'Bad attribute {key}="{value}" of tag "{name}" at byte offset {at}')


def shown(text: str, parse_mode: str | None) -> str:
    """What the chat shows for a `sendMessage` text; ValueError with the Bot API's 400
    description when Telegram would refuse it."""
    if not parse_mode:
        return text
    if parse_mode != "HTML":  # the fake speaks HTML only
        raise ValueError("Bad Request: unsupported parse_mode")
    try:
        return visible(text)
    except Unparsable as exc:
        raise ValueError(f"Bad Request: can't parse entities: {exc}") from None
