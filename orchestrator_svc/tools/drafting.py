"""moderation_triage, draft_escalation, draft_faq_answer (pure text, REFERENCE.md §2.4) and
learn_skill (writes `skills/common/<name>.md`, where the system prompt reads skills from;
the name is one safe file name, so nothing lands outside that folder)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any

from orchestrator_svc.tools.base import Tool, ToolContext, ToolResult, obj, text

_SEVERITY = (
    ("critical", "threat", ("kill", "dox", "swat", "suicide", "self-harm", "bomb", "shoot")),
    ("high", "harassment", ("hate", "slur", "harass", "stalk", "abuse")),
    ("medium", "spam", ("spam", "airdrop", "dm me", "crypto signal", "free nitro")),
)
_ACTION = {
    "critical": "Escalate to admins now, preserve evidence, and consider removing the message.",
    "high": "Hide the message, warn the user, and notify moderators.",
    "medium": "Remove the message and watch the account for repeats.",
    "low": "No action needed beyond normal monitoring.",
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
NEXT_STEP = "Assign an on-call moderator and post an update in the admin channel."


async def _triage(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
    msg = args["message"].lower()
    severity, labels = "low", ["general"]
    for level, label, words in _SEVERITY:
        if any(w in msg for w in words):
            severity, labels = level, [label]
            break
    lines = [f"Severity: {severity}", f"Labels: {', '.join(labels)}"]
    lines.append(f"Suggested action: {_ACTION[severity]}")
    if args.get("reporter_user_id"):
        lines.append(f"Reporter: {args['reporter_user_id']}")
    if args.get("channel"):
        lines.append(f"Channel: {args['channel']}")
    return ToolResult("\n".join(lines))


async def _escalation(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
    lines = [
        f"Escalation: {args['topic']}",
        f"Urgency: {args['urgency'].upper()}",
        f"Summary: {args['summary']}",
        "Evidence:",
        *(f"- {e}" for e in args.get("evidence", [])),
        f"Recommended next step: {args.get('next_step') or NEXT_STEP}",
    ]
    return ToolResult("\n".join(lines))


async def _faq(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
    prefix = {"friendly": "Thanks for asking. ", "strict": "Please follow the policy: "}
    body = prefix.get(args.get("tone", "neutral"), "") + " ".join(args["key_points"])
    if args.get("include_follow_up"):
        body += " If you need more detail, share your exact case and I can help further."
    return ToolResult(body)


async def _learn(ctx: ToolContext, args: Mapping[str, Any]) -> ToolResult:
    name = args["name"].removesuffix(".md")
    if not _NAME.match(name):
        return ToolResult("Skill names are letters, digits, - and _ only.")
    folder = ctx.workspace_dir / "skills" / "common"

    def put() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.md").write_text(args["content"], encoding="utf-8")

    await asyncio.to_thread(put)
    return ToolResult(f"I've learned a new skill: {name}")


TOOLS = [
    Tool(
        "moderation_triage",
        "Rate a reported message's severity and suggest a moderation action.",
        obj(["message"], message=text(5000), reporter_user_id=text(200), channel=text(200)),
        _triage,
    ),
    Tool(
        "draft_escalation",
        "Draft an escalation note for the admins.",
        obj(
            ["topic", "summary", "urgency"],
            topic=text(200),
            summary=text(2000),
            urgency={"enum": ["low", "medium", "high", "critical"]},
            evidence={"type": "array", "items": text(500), "maxItems": 20},
            next_step=text(500),
        ),
        _escalation,
    ),
    Tool(
        "draft_faq_answer",
        "Draft a short FAQ answer from key points.",
        obj(
            ["question", "key_points"],
            question=text(500),
            key_points={"type": "array", "items": text(500), "minItems": 1, "maxItems": 20},
            tone={"enum": ["neutral", "friendly", "strict"]},
            include_follow_up={"type": "boolean"},
        ),
        _faq,
    ),
    Tool(
        "learn_skill",
        "Save a skill (markdown instructions) that later turns of this workspace will see.",
        obj(["name", "content"], name=text(67), content=text(1400)),
        _learn,
    ),
]
