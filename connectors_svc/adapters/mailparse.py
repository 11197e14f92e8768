"""An RFC 822 message as the IMAP adapter ingests it (REFERENCE.md §8.4 "Body decoding"):
the text/plain parts joined by blank lines, else the text/html parts with the tags stripped,
else the raw body; attachments named `*.md` / `*.markdown` kept apart; transfer encodings
decoded by the standard library's `email` package."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

MARKDOWN_SUFFIXES = (".md", ".markdown")
MARKDOWN_TYPES = ("text/markdown", "text/x-markdown")


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    sender: str  # `Name <address>` of every From, joined by ", "; "" when none
    reply_address: str  # where a reply goes: Reply-To, else From
    subject: str
    date: datetime | None
    body: str
    references: str = ""  # the References header, for a reply's own References
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def html_text(html: str) -> str:
    """The text of an HTML body: tags dropped, entities unescaped, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.chunks).split())


def _header(msg: Message, name: str) -> str:
    return " ".join(str(msg.get(name, "") or "").split())


def _people(msg: Message, name: str) -> list[tuple[str, str]]:
    return [(n, a) for n, a in getaddresses([str(v) for v in msg.get_all(name, [])]) if a]


def _content(part: Message) -> str:
    try:
        return str(part.get_content())  # type: ignore[attr-defined]
    except (LookupError, ValueError):  # unknown charset: the bytes as best we can
        raw = part.get_payload(decode=True)
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")


def _is_markdown(part: Message) -> bool:
    name = (part.get_filename() or "").lower()
    return name.endswith(MARKDOWN_SUFFIXES) or part.get_content_type() in MARKDOWN_TYPES


def parse(raw: bytes) -> ParsedMail:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    plain: list[str] = []
    html: list[str] = []
    attachments: list[tuple[str, bytes]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment":
            payload = part.get_payload(decode=True)
            if _is_markdown(part) and isinstance(payload, bytes):
                attachments.append((part.get_filename() or "attachment.md", payload))
            continue
        if part.get_content_type() == "text/plain":
            plain.append(_content(part).strip())
        elif part.get_content_type() == "text/html":
            html.append(html_text(_content(part)))
    if plain:
        body = "\n\n".join(p for p in plain if p)
    elif html:
        body = "\n\n".join(h for h in html if h)
    else:
        body = _content(msg).strip() if not msg.is_multipart() else ""
    senders = _people(msg, "From")
    reply = _people(msg, "Reply-To") or senders
    try:
        date = parsedate_to_datetime(_header(msg, "Date")) if msg.get("Date") else None
    except (TypeError, ValueError):
        date = None
    return ParsedMail(
        message_id=_header(msg, "Message-ID"),
        sender=", ".join(f"{n} <{a}>" if n else a for n, a in senders),
        reply_address=reply[0][1] if reply else "",
        subject=re.sub(r"\s+", " ", _header(msg, "Subject")).strip(),
        date=date,
        body=body,
        references=_header(msg, "References"),
        attachments=attachments,
    )


def parse_or_raw(raw: bytes) -> ParsedMail:
    """`parse`, or, for a message the parser cannot read, its raw text: a malformed e-mail is
    still filed once rather than stopping the mailbox."""
    try:
        return parse(raw)
    except Exception:  # the parser's failures are not a documented set
        text = raw.decode("utf-8", "replace").strip()
        return ParsedMail("", "", "", "(unreadable message)", None, text)
