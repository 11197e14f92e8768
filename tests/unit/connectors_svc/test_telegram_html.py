"""Markdown to Telegram HTML, and its split, checked with the fake Bot API's own parser
(tests/fake_telegram_html.py): every output is HTML Telegram accepts, whatever the markdown."""

from __future__ import annotations

import pytest
from telegram.constants import ParseMode
from telegram.error import BadRequest

from connectors_svc.adapters.telegram_html import to_html
from connectors_svc.adapters.telegram_setup import make_bot
from connectors_svc.adapters.telegram_split import split_markdown
from tests.fake_telegram import TOKEN, serving_telegram
from tests.fake_telegram_html import Unparsable, visible

CONVERTED = [
    ("plain & <simple>", "plain &amp; &lt;simple&gt;"),
    ("**bold *nested* text** ~~gone~~", "<b>bold <i>nested</i> text</b> <s>gone</s>"),
    ("# Title\n\nbody", "<b>Title</b>\n\nbody"),
    ("1. one\n2. two\n   - sub", "1. one\n2. two\n  • sub"),
    ("> quoted\n> > twice", "<blockquote>quoted\n\ntwice</blockquote>"),
    ("```\nraw <b>\n```", "<pre>raw &lt;b&gt;</pre>"),
    (
        '[local](./file.md) and [web](https://x.org/?q="a")',
        'local and <a href="https://x.org/?q=%22a%22">web</a>',
    ),
    ("| a | b |\n|---|---|\n| 1 | 2 |", "<pre>| a | b |\n|---|---|\n| 1 | 2 |</pre>"),
    ("```\n```", "```\n```"),  # what would show nothing is sent as written
    ("[1]: https://a.b/?x&y", "[1]: https://a.b/?x&amp;y"),
]
HOSTILE = [
    "a **unclosed and *half",
    "*a **b* c**",
    "`unclosed code **x**",
    "<b>raw</b> <script>alert(1)</script> & &amp; &copy; &#65; &bogus;",
    "unclosed ```\ncode **here**",
    "```py\nno end <b>",
    "> quote with ```\n> code\n> ```\n> > and [a link](https://a.b)",
    "- [**bold link** `code`](https://a.b/c_d)\n  > quoted in a list\n  ```\n  x < y\n  ```",
    "![img <alt>](https://i.png) <https://a.b?x=1&y=2> mailto:x@y.z",
    "snake_case and __dunder__ and 2*3*4 and ***",
    "[`code` in a link ![and an image](https://i.png)](https://a.b)",
    "[](https://empty.link) [x]( ) [y](javascript:alert(1))",
    "---\n***\n\n\n# \n##",
    "\\*escaped\\* \\<not a tag\\>",
]


@pytest.mark.parametrize(("markdown", "expected"), CONVERTED)
def test_markdown_becomes_telegram_html(markdown: str, expected: str) -> None:
    assert to_html(markdown) == expected
    visible(expected)


@pytest.mark.parametrize("markdown", HOSTILE)
def test_unbalanced_and_hostile_markdown_still_makes_valid_html(markdown: str) -> None:
    assert visible(to_html(markdown)).strip()


def test_raw_html_in_markdown_is_shown_as_text() -> None:
    assert visible(to_html("<b>raw</b> <script>x</script> & &bogus;")) == (
        "<b>raw</b> <script>x</script> & &bogus;"
    )


@pytest.mark.parametrize(
    "bad",
    [
        "<b>open",
        "<b><i>x</b></i>",
        "a < b",
        "fish & chips",
        "<br>",
        '<span class="x">s</span>',
        "<pre><b>x</b></pre>",
        "<blockquote><blockquote>x</blockquote></blockquote>",
        '<code class="language-py">x</code>',
        "</b>",
        "x > y",
        '<a href="https://a.b"><code>x</code></a>',
    ],
)
def test_the_fake_refuses_what_telegram_refuses(bad: str) -> None:
    with pytest.raises(Unparsable):
        visible(bad)


def test_the_fake_shows_what_telegram_shows() -> None:
    html = '<b>a</b> <a href="https://x.y/?a=1&amp;b=2">&lt;b&gt;</a> &#65;&quot;<pre><code class="language-py">c</code></pre>'  # noqa: E501
    assert visible(html) == 'a <b> A"c'


async def test_invalid_html_gets_telegrams_400_over_the_wire() -> None:
    async with serving_telegram() as (fake, api_base):
        fake.say(900, "hi")
        bot = make_bot(TOKEN, api_base, 5)
        async with bot:
            with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
                await bot.send_message(900, "<b>open", parse_mode=ParseMode.HTML)
            with pytest.raises(BadRequest, match=r"(?i)unsupported parse_mode"):
                await bot.send_message(900, "*x*", parse_mode=ParseMode.MARKDOWN_V2)
            await bot.send_message(900, to_html("**ok** & done"), parse_mode=ParseMode.HTML)
    assert [(s.text, s.parse_mode) for s in fake.sent] == [("<b>ok</b> &amp; done", "HTML")]


@pytest.mark.parametrize(
    "markdown",
    [
        "intro\n\n```js\n" + "x = '<&>';\n" * 2000 + "```\n\nafter",
        "```\n" + "&<" * 6000 + "\n```",  # one line longer than a message
        "```\n" + "print('😀')\n" * 800 + "```",
        "& " * 5000,  # escaping makes the HTML five times longer
        "\n\n".join(f"- **item {i}** with `code` & [link](https://a.b/{i})" for i in range(400))
        + "\n\n[1]: https://a.b/ref",  # a reference definition is kept
        "> " + "quoted **bold** " * 800,
        "😀 " * 3000,  # Telegram counts an emoji as two UTF-16 code units
    ],
)
def test_long_markdown_splits_into_parts_whose_html_fits(markdown: str) -> None:
    parts = split_markdown(markdown, 4096)
    assert len(parts) > 1 and split_markdown(markdown, 4096) == parts  # deterministic
    for part in parts:
        html = to_html(part)
        assert _units(part) <= 4096 and _units(html) <= 4096
        visible(html)
    if "```" not in markdown:  # nothing lost, nothing added
        assert " ".join(parts).split() == markdown.split()
    else:  # every code block closed in the part that opened it
        assert all(p.count("```") % 2 == 0 for p in parts)


def test_a_short_reply_is_one_part_unchanged() -> None:
    assert split_markdown("**hi**\n\n```\nx\n```", 4096) == ["**hi**\n\n```\nx\n```"]


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
