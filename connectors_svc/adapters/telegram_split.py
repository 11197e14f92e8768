"""A long markdown reply in parts whose Telegram HTML (`telegram_html.to_html`) and whose
markdown (sent as is when Telegram cannot parse the HTML) are each at most `limit`
characters (UTF-16 code units, as Telegram counts them).

The markdown is split, then each part converted, so no part ever ends inside a tag: parts
are whole top-level blocks (paragraphs, lists, quotes, code blocks, tables) packed greedily,
a blank line between them. A block too long on its own is split too: a fenced code block
into smaller code blocks with the same fence and language, anything else on lines, then
spaces (`connectors_svc.split.split_text`), each piece converted on its own. Deterministic,
so a retry computes the same parts and resumes after the last one sent."""

from __future__ import annotations

from collections.abc import Callable

from markdown_it.token import Token

from connectors_svc.adapters.telegram_html import escape, parser, render, to_html
from connectors_svc.split import split_text


def split_markdown(text: str, limit: int) -> list[str]:
    """`text` in parts that fit (see the module docstring); never an empty list."""

    def fits(part: str) -> bool:
        return _units(part) <= limit and _units(to_html(part)) <= limit

    if fits(text):  # most replies: one part, converted once (to_html remembers it)
        return [text]
    tokens = parser().parse(text)  # parsed once: each block's size comes from its tokens
    pieces = [piece for block in _blocks(text, tokens) for piece in _fit(block, limit, fits)]
    parts: list[str] = []
    for group in _pack(pieces, limit):
        joined = "\n\n".join(piece for piece, _ in group)
        if fits(joined):
            parts.append(joined)
        else:  # the sum fell short of the whole: pack this group converting as it goes
            parts.extend(_repack([piece for piece, _ in group], fits))
    return parts or [text[:limit]]


Sized = tuple[str, int]  # a piece and the larger of its markdown and HTML lengths


def _pack(pieces: list[Sized], limit: int) -> list[list[Sized]]:
    """Pieces grouped greedily by the sum of their sizes, a blank line between them."""
    groups: list[list[Sized]] = [[]]
    used = 0
    for piece in pieces:
        if groups[-1] and used + 2 + piece[1] > limit:
            groups.append([])
        used = piece[1] + (used + 2 if groups[-1] else 0)
        groups[-1].append(piece)
    return [g for g in groups if g]


def _repack(pieces: list[str], fits: Callable[[str], bool]) -> list[str]:
    parts: list[str] = []
    for piece in pieces:
        if parts and fits(joined := f"{parts[-1]}\n\n{piece}"):
            parts[-1] = joined
        else:
            parts.append(piece)
    return parts


def _units(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts (an emoji may count two)."""
    return len(text.encode("utf-16-le")) // 2


Block = tuple[str, Token | None, int]  # source lines, first token (none between blocks), size


def _blocks(text: str, tokens: list[Token]) -> list[Block]:
    """The top-level blocks of `text`, sized from their tokens, and what lies between them
    (link reference definitions) as blocks without a token: nothing dropped."""
    lines = text.splitlines()
    blocks: list[Block] = []
    done, first = 0, 0
    for i, t in enumerate(tokens):
        if t.level == 0 and t.nesting >= 0 and t.map:
            first = i
        if t.level == 0 and t.nesting <= 0 and tokens[first].map:
            start, end = tokens[first].map or (0, 0)
            _gap(blocks, lines[done:start])
            source = "\n".join(lines[start:end])
            html = render(lines, tokens[first : i + 1])
            blocks.append((source, tokens[first], max(_units(source), _units(html))))
            done = end
    _gap(blocks, lines[done:])
    return blocks


def _gap(blocks: list[Block], lines: list[str]) -> None:
    gap = "\n".join(lines).strip("\n")
    if gap.strip():
        blocks.append((gap, None, max(_units(gap), _units(to_html(gap)))))


def _fit(block: Block, limit: int, fits: Callable[[str], bool]) -> list[Sized]:
    """The block as one piece when it fits, else in pieces that do."""
    source, token, size = block
    if size <= limit:
        return [(source, size)]
    if token is not None and token.type == "fence":
        pieces = _split_fence(source, token, limit, fits)
    else:
        pieces = _split_lines(source, limit, fits)
    return [(p, max(_units(p), _units(to_html(p)))) for p in pieces]


def _split_fence(source: str, token: Token, limit: int, fits: Callable[[str], bool]) -> list[str]:
    """Smaller code blocks, each opened and closed like `source`; lines packed up to the
    room left by the fence, an overlong line cut."""
    opening = source.split("\n", 1)[0]
    closing = opening.lstrip()[: len(token.markup)]
    one = f"{opening}\nx\n{closing}"  # the fence around one character
    room = limit - max(_units(one), _units(to_html(one))) - 1
    if room < 16:
        return _split_lines(source, limit, fits)
    chunks: list[list[str]] = [[]]
    used = 0
    for line in token.content.removesuffix("\n").split("\n"):
        for piece in _cut(line, room):
            cost = _units(escape(piece)) + 1  # its escaped text and the newline
            if chunks[-1] and used + cost > room:
                chunks.append([])
                used = 0
            chunks[-1].append(piece)
            used += cost
    parts = [f"{opening}\n" + "\n".join(chunk) + f"\n{closing}" for chunk in chunks]
    if all(fits(p) for p in parts):
        return parts
    return _split_lines(source, limit, fits)  # an unusual fence: cut it as text


def _cut(line: str, room: int) -> list[str]:
    """`line` in pieces whose escaped text is at most `room` characters."""
    pieces: list[str] = []
    current, used = "", 0
    for ch in line:
        cost = _units(escape(ch))
        if current and used + cost > room:
            pieces.append(current)
            current, used = "", 0
        current, used = current + ch, used + cost
    pieces.append(current)
    return pieces


def _split_lines(source: str, limit: int, fits: Callable[[str], bool]) -> list[str]:
    """`source` split as text with a smaller limit until every piece converts short enough."""
    size = limit
    while True:
        pieces = split_text(source, size)
        if size <= 1 or all(fits(p) for p in pieces):
            return pieces
        longest = max(max(_units(p), _units(to_html(p))) for p in pieces)
        size = max(1, min(size - 1, size * limit // max(longest, 1)))
