"""The JSON-in-text protocol's decisions (REFERENCE.md §2.3 parseDecision): a tool call, a
fenced call, a final answer, low confidence held for review, the legacy action proposal as
run_action, plain text and broken JSON as the answer itself."""

from __future__ import annotations

from orchestrator_svc.text_protocol import NEEDS_REVIEW, decide
from svckit.llm import Completion


def test_decisions() -> None:
    call = decide(
        Completion('Sure.\n```json\n{"tool": "read_file", "args": {"path": "a"}}\n```'), 2
    )
    assert call.text == "" and [(u.id, u.name, u.args) for u in call.tool_uses] == [
        ("text-2", "read_file", {"path": "a"})
    ]
    assert decide(Completion('{"final": "Done.", "confidence": "0.9"}'), 1).text == "Done."
    assert decide(Completion('{"answer": "Hmm.", "confidence": 0.1}'), 1).text == NEEDS_REVIEW
    legacy = decide(Completion('{"type": "webhook", "target": "https://x", "body": "hi"}'), 3)
    (use,) = legacy.tool_uses
    assert (use.name, use.args) == (
        "run_action",
        {"type": "webhook", "target": "https://x", "summary": "", "payload": {"body": "hi"}},
    )
    assert decide(Completion("just words {not json}"), 1).text == "just words {not json}"
    assert decide(Completion('say "{" then {"tool": "x"'), 1).tool_uses == ()
    bad_args = decide(Completion('{"tool": "read_file", "args": [1]}'), 1).tool_uses[0]
    assert bad_args.args is None
