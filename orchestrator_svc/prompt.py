"""The agent's system prompt (REFERENCE.md §2.5, merged as SPEC.md asks: nothing discards the
reasoning prompt or the tool catalogue). Sections, each only when non-empty, in order:
current time; reasoning prompt (with the tool catalogue at `%s` or appended); role baseline;
system-prompt files (workspace, then context); the context's policy (`/prompt set`); SOUL
files (workspace, then context); skills (context, admin|public, common: first name wins)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from svckit.chatmemory import context_folder

REASONING_DEFAULT = (
    "You are a helpful AI agent. Use the tools when they help; when you are done, answer "
    "the user directly and concisely."
)
ADMIN = (
    "You are assisting admin operators. Prioritize security, approvals, and operational clarity."
)
PUBLIC = "You are assisting community members. Be concise, safe, and policy-compliant."
FILE_MAX, SOUL_MAX, SKILL_MAX, SKILLS_MAX, PROMPT_MAX = 2400, 2400, 1400, 5, 12000


@dataclass(frozen=True, slots=True)
class ContextPolicy:
    is_admin: bool = False
    system_prompt: str = ""


def _cut(text: str, limit: int) -> str:
    text = text.strip()
    raw = text.encode()
    return text if len(raw) <= limit else raw[:limit].decode(errors="ignore") + "..."


def _read(path: Path, limit: int) -> str:
    try:
        return _cut(path.read_text(encoding="utf-8", errors="replace"), limit)
    except OSError:
        return ""


def _files(ws: Path, ctx: str, name: str, labels: tuple[str, str], limit: int) -> list[str]:
    parts = []
    for label, path in zip(
        labels, (ws / "context" / name, ws / "context/agents" / ctx / name), strict=True
    ):
        body = _read(path, limit)
        if body:
            parts.append(f"{label}:\n{body}")
    return parts


def _skills(ws: Path, ctx: str, is_admin: bool) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    dirs = (
        "skills/contexts/" + ctx,
        "skills/" + ("admin" if is_admin else "public"),
        "skills/common",
    )
    for d in dirs:
        folder = ws / d
        if not folder.is_dir():
            continue
        for f in sorted(folder.glob("*.md")):
            if f.name.lower() in seen or len(out) >= SKILLS_MAX:
                continue
            seen.add(f.name.lower())
            out.append(
                f"- `{f.name}`: {_cut(' '.join(_read(f, 10 * SKILL_MAX).split()), SKILL_MAX)}"
            )
    return out


def build(
    reasoning: str, catalogue: str, ws: Path, context_id: str, policy: ContextPolicy, now: float
) -> str:
    base = reasoning.strip() or REASONING_DEFAULT
    if "%s" in base:
        base = base.replace("%s", catalogue, 1)
    elif catalogue:
        base += f"\n\nAVAILABLE TOOLS:\n{catalogue}"
    when = datetime.fromtimestamp(now, UTC).strftime("%a, %d %b %Y %H:%M:%S UTC")
    sections = [f"CURRENT TIME (UTC): {when}", base, ADMIN if policy.is_admin else PUBLIC]
    ctx = context_folder(context_id)
    prompts = _files(ws, ctx, "SYSTEM_PROMPT.md", ("Workspace prompt", "Context prompt"), FILE_MAX)
    if prompts:
        sections.append("System prompt directives:\n" + "\n\n".join(prompts))
    if policy.system_prompt.strip():
        sections.append(f"Context policy override:\n{_cut(policy.system_prompt, FILE_MAX)}")
    souls = _files(ws, ctx, "SOUL.md", ("Workspace SOUL", "Agent SOUL override"), SOUL_MAX)
    if souls:
        sections.append("SOUL behavior directives:\n" + "\n\n".join(souls))
    skills = _skills(ws, ctx, policy.is_admin)
    if skills:
        sections.append("Skill templates:\n" + "\n".join(skills))
    # the catalogue is never cut away: the rest is trimmed first
    text = "\n\n".join(sections)
    if len(text.encode()) > PROMPT_MAX + len(catalogue.encode()):
        text = _cut(text, PROMPT_MAX + len(catalogue.encode()))
    return text
