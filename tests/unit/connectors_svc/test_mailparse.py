"""How an e-mail's text is read (REFERENCE.md §8.4 "Body decoding")."""

from __future__ import annotations

from email.message import EmailMessage

from connectors_svc.adapters.inbox import sanitise, task_title
from connectors_svc.adapters.mailparse import parse


def test_plain_parts_win_over_html_and_encodings_are_decoded() -> None:
    msg = EmailMessage()
    msg["From"] = '"Bo, the Builder" <bo@example.test>, cy@example.test'
    msg["Reply-To"] = "desk@example.test"
    msg["Subject"] = "=?utf-8?q?Caf=C3=A9?= plans"
    msg.set_content("Grüße aus dem Café\n", cte="quoted-printable")
    msg.add_alternative("<p>ignored</p>", subtype="html")
    mail = parse(msg.as_bytes())
    assert mail.body == "Grüße aus dem Café"
    assert mail.subject == "Café plans"
    assert mail.sender == "Bo, the Builder <bo@example.test>, cy@example.test"
    assert mail.reply_address == "desk@example.test"
    assert (mail.message_id, mail.date) == ("", None)


def test_an_html_only_body_is_stripped_to_its_text() -> None:
    msg = EmailMessage()
    msg["From"] = "ana@example.test"
    msg.set_content(
        "<html><style>p {color: red}</style><body><p>Fish &amp; chips</p>\n<p>at  noon</p>"
        "<script>alert(1)</script></body></html>",
        subtype="html",
        cte="base64",
    )
    mail = parse(msg.as_bytes())
    assert mail.body == "Fish & chips at noon"
    assert mail.reply_address == "ana@example.test"


def test_names_are_safe_in_paths_and_titles_are_capped() -> None:
    assert sanitise("../../etc/passwd", "x") == "etc-passwd"
    assert sanitise("   ", "message") == "message"
    assert sanitise("Re: Été 2026!", "m") == "Re-t-2026"
    mail = parse(b"Subject: " + ("é" * 80).encode() + b"\r\n\r\nbody\r\n")
    title = task_title(mail)
    assert title.startswith("Review email: é") and len(title.encode()) <= 72
