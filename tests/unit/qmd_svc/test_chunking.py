"""Markdown chunking and titles."""

from __future__ import annotations

from qmd_svc.chunking import first_heading, parse_markdown


def test_cuts_at_headings_and_takes_the_first_heading_as_title() -> None:
    parsed = parse_markdown("intro\n\n# Plan\n\nstep one\n\n## Risks\n\nnone\n")
    assert parsed.title == "Plan"
    assert [(c.heading, c.line) for c in parsed.chunks] == [("", 1), ("Plan", 3), ("Risks", 7)]


def test_never_cuts_inside_a_code_fence() -> None:
    code = "\n".join(["```python", "# not a heading", "", "x = 1", "", "```"])
    text = "# Doc\n\n" + "word " * 300 + "\n\n" + code + "\n\nafter\n"
    parsed = parse_markdown(text, target=100)
    fenced = [c for c in parsed.chunks if "```python" in c.text]
    assert len(fenced) == 1 and fenced[0].text.count("```") == 2  # opened and closed
    assert "# not a heading" in fenced[0].text
    assert parsed.title == "Doc"


def test_long_sections_split_at_paragraph_breaks() -> None:
    paras = "\n\n".join(f"paragraph {i} " + "lorem " * 50 for i in range(10))
    parsed = parse_markdown("# Long\n\n" + paras, target=600)
    assert len(parsed.chunks) > 3
    assert all(c.heading == "Long" for c in parsed.chunks)
    assert sum(c.text.count("paragraph ") for c in parsed.chunks) == 10


def test_first_heading_ignores_fenced_hashes() -> None:
    assert first_heading("```\n# fake\n```\n## Real one ##\n") == "Real one"
    assert first_heading("no heading at all") == ""
