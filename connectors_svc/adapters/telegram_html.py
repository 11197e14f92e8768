"""Our replies' markdown as the HTML subset the Telegram Bot API accepts with
`parse_mode=HTML` (b, i, s, code, pre, a, blockquote; `<`, `>` and `&` escaped everywhere
else).

The markdown is parsed as CommonMark by markdown-it-py (with strikethrough and tables), so
what is nested or unbalanced is decided by a real parser: an unclosed `**` or a stray `<` is
text, and every tag written is closed in order. Raw HTML in the markdown is text, never
markup. Headings become bold lines, list items `•` or `N.` lines, tables and code blocks
`<pre>`; a link whose address Telegram would not take (not http, https, tg or mailto) keeps
its text only, and what Telegram cannot nest in a link (code, an image's link) is text."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

_INLINE_TAGS = {"strong": "b", "em": "i", "s": "s"}
_LINK_SCHEMES = ("http://", "https://", "tg://", "mailto:")
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,32}")
_TAG = re.compile(r"<[^>]*>")  # every other `<` is escaped
RULE = "——————"


@functools.lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"])


@functools.lru_cache(maxsize=1024)
def to_html(markdown: str) -> str:
    """`markdown` as Telegram HTML; the markdown itself, escaped, when it would show nothing
    (only an empty code block or link definitions: Telegram refuses an empty message).
    Remembered for the last replies: a reply is converted when it is split, when its first
    part is recorded and when it is sent, and parsing is most of the connectors' CPU."""
    rendered = render(markdown.splitlines(), parser().parse(markdown))
    return rendered if _TAG.sub("", rendered).strip() else escape(markdown)


def render(lines: Sequence[str], tokens: Sequence[Token]) -> str:
    """Telegram HTML for `tokens`, whole blocks parsed from the text of `lines`."""
    return _Writer(lines).render(tokens)


def escape(text: str) -> str:
    return html.escape(text, quote=False)


class _Writer:
    def __init__(self, lines: Sequence[str]) -> None:
        self._lines = lines
        self._out: list[str] = []
        self._lists: list[str] = []  # "•" or "" (ordered) per open list
        self._quotes = 0
        self._fresh = True  # nothing written since the last item marker or quote start

    def render(self, tokens: Sequence[Token]) -> str:
        skip_to = -1
        for i, t in enumerate(tokens):
            if i < skip_to:
                continue
            if t.type == "table_open":
                skip_to = next(j for j in range(i, len(tokens)) if tokens[j].type == "table_close")
                self._table(t)
            else:
                self._block(t)
        return "".join(self._out).strip("\n")

    def _write(self, text: str) -> None:
        self._out.append(text)
        self._fresh = False

    def _start(self) -> None:
        """Separates a new block from what came before (a blank line outside lists)."""
        if not self._fresh and self._out:
            self._out.append("\n" if self._lists else "\n\n")

    def _block(self, t: Token) -> None:
        kind = t.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            if not self._lists:
                self._start()
                self._fresh = True
            self._lists.append("•" if kind == "bullet_list_open" else "")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self._lists.pop()
        elif kind == "list_item_open":
            if not self._fresh:
                self._out.append("\n")
            marker = self._lists[-1] or f"{t.info or '1'}{t.markup or '.'}"
            self._write("  " * (len(self._lists) - 1) + marker + " ")
            self._fresh = True
        elif kind == "blockquote_open":
            self._start()
            self._quotes += 1
            if self._quotes == 1:  # Telegram does not nest quotes
                self._write("<blockquote>")
            self._fresh = True
        elif kind == "blockquote_close":
            self._quotes -= 1
            if self._quotes == 0:
                self._write("</blockquote>")
        elif kind in ("paragraph_open", "heading_open", "fence", "code_block", "hr"):
            self._start()
            self._leaf(t)
        elif kind == "heading_close":
            self._write("</b>")
        elif kind == "inline":
            self._write(_inline(t.children or []))

    def _leaf(self, t: Token) -> None:
        if t.type == "heading_open":
            self._write("<b>")
        elif t.type == "hr":
            self._write(RULE)
        elif t.type in ("fence", "code_block"):
            self._code(t.content.removesuffix("\n"), t.info.split()[0] if t.info.strip() else "")
        else:
            self._fresh = False  # a paragraph: its inline text follows

    def _code(self, code: str, language: str) -> None:
        if self._quotes:  # a quote holds no <pre>
            self._write(f"<code>{escape(code)}</code>")
        elif _LANGUAGE.fullmatch(language):
            self._write(f'<pre><code class="language-{language}">{escape(code)}</code></pre>')
        else:
            self._write(f"<pre>{escape(code)}</pre>")

    def _table(self, t: Token) -> None:
        self._start()
        start, end = t.map or (0, 0)
        self._code("\n".join(line.strip() for line in self._lines[start:end]), "")


def _inline(tokens: Sequence[Token]) -> str:
    out: list[str] = []
    links: list[bool] = []  # per open link: whether an <a> was written
    for t in tokens:
        kind = t.type
        name = kind.rsplit("_", 1)[0]
        if kind in ("text", "text_special"):
            out.append(escape(t.content))
        elif kind == "code_inline":  # Telegram takes no code in a link
            code = escape(t.content)
            out.append(code if any(links) else f"<code>{code}</code>")
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif name in _INLINE_TAGS:
            out.append(f"<{'/' if kind.endswith('_close') else ''}{_INLINE_TAGS[name]}>")
        elif kind == "link_open":
            href = str(t.attrGet("href") or "")
            links.append(href.startswith(_LINK_SCHEMES))
            out.append(_anchor(href) if links[-1] else "")
        elif kind == "link_close":
            out.append("</a>" if links.pop() else "")
        elif kind == "image":
            src = str(t.attrGet("src") or "")
            alt = escape(t.content) or "image"
            linked = src.startswith(_LINK_SCHEMES) and not any(links)  # no link in a link
            out.append(f"{_anchor(src)}{alt}</a>" if linked else alt)
    return "".join(out)


def _anchor(href: str) -> str:
    return f'<a href="{html.escape(href, quote=True)}">'
