"""Where and how an ingested e-mail is written in its workspace (REFERENCE.md §8.4, §15.2):
`inbox/imap/<mailbox>/<uid>-<subject>.md`, its markdown attachments in `attachments/`
beside it, and the text of the review task it becomes."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path, PurePosixPath

from connectors_svc.adapters.mailparse import ParsedMail

TITLE_LIMIT = 72  # bytes, as the original's task title
NAME_LIMIT = 80  # characters of a subject or attachment name in a file name


def sanitise(name: str, fallback: str) -> str:
    """`[^a-zA-Z0-9._-]+` -> `-`, trimmed of `-` and `.`; `fallback` when nothing is left."""
    cleaned = re.sub(r"[^a-zA-Z0-9._-]+", "-", name).strip("-.")[:NAME_LIMIT].strip("-.")
    return cleaned or fallback


@dataclass(frozen=True)
class Written:
    path: str  # relative to the workspace, posix
    attachments: list[str]  # file names as listed in the markdown
    refused: str = ""  # why the body was not ingested; "" when it was


def _markdown(uid: int, mail: ParsedMail, names: list[str], refused: str) -> str:
    lines = [
        "# Email",
        "",
        f"- uid: `{uid}`",
        f"- message_id: `{mail.message_id}`",
        f"- from: `{mail.sender or 'unknown'}`",
        f"- subject: `{mail.subject or '(no subject)'}`",
    ]
    if mail.date is not None:
        date = mail.date if mail.date.tzinfo else mail.date.replace(tzinfo=UTC)
        lines.append(f"- date: `{date.isoformat()}`")
    if names:
        lines.append(f"- attachments: `{len(names)}`")
    if refused:
        lines += ["", "## Not ingested", "", refused[:1].upper() + refused[1:] + ".", ""]
        return "\n".join(lines)
    lines += ["", "## Body", "", mail.body, ""]
    if names:
        lines += ["## Markdown Attachments", "", *(f"- `{n}`" for n in names), ""]
    return "\n".join(lines)


def write_file(path: Path, data: bytes) -> None:
    """Atomically: a reader (qmd's watcher) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ingest-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(workspace: Path, mailbox: str, uid: int, mail: ParsedMail, refused: str = "") -> Written:
    """Writes the e-mail and its attachments under `workspace` (blocking: run it in a thread);
    writing the same e-mail again gives the same files. With `refused` (why its body was not
    fetched) the file holds the headers and that reason."""
    folder = PurePosixPath("inbox", "imap", sanitise(mailbox.replace(".", "_"), "mailbox"))
    names = [sanitise(name, "attachment.md") for name, _ in mail.attachments]
    for index, (name, (_, data)) in enumerate(zip(names, mail.attachments, strict=True), 1):
        write_file(workspace / folder / "attachments" / f"{uid}-{index}-{name}", data)
    rel = folder / f"{uid}-{sanitise(mail.subject, 'message')}.md"
    write_file(workspace / rel, _markdown(uid, mail, names, refused).encode())
    return Written(str(rel), names, refused)


def task_title(mail: ParsedMail) -> str:
    title = f"Review email: {mail.subject or 'No subject'}"
    return title.encode()[:TITLE_LIMIT].decode(errors="ignore")


def task_prompt(mail: ParsedMail, written: Written) -> str:
    prompt = (
        f"A new email was ingested from `{mail.sender or 'unknown sender'}` with subject "
        f"`{mail.subject or '(no subject)'}`. Review file `{written.path}` and decide next "
        "actions."
    )
    if written.attachments:
        prompt += f" The email includes {len(written.attachments)} markdown attachment(s)."
    if written.refused:
        prompt += f" It was not ingested whole: {written.refused}."
    return prompt
