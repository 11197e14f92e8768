"""Splitting long replies to a platform's limit, and the backoff arithmetic."""

from __future__ import annotations

import random

from connectors_svc.backoff import Backoff
from connectors_svc.split import split_text


def test_short_text_is_one_part() -> None:
    assert split_text("hello", 4096) == ["hello"]
    assert split_text("x" * 5000, 0) == ["x" * 5000]


def test_paragraphs_first_then_lines_then_spaces_then_a_hard_cut() -> None:
    text = "a" * 10 + "\n\n" + "b" * 10 + "\n\n" + "c" * 3
    assert split_text(text, 15) == ["a" * 10, "b" * 10 + "\n\n" + "ccc"]
    assert split_text("aa bb cc\ndd ee", 6) == ["aa bb", "cc", "dd ee"]
    assert split_text("x" * 40, 15) == ["x" * 15, "x" * 15, "x" * 10]


def test_every_part_fits_and_nothing_is_lost() -> None:
    rng = random.Random(7)
    words = ["w" * rng.randint(1, 30) for _ in range(400)]
    text = "".join(w + rng.choice([" ", "\n", "\n\n"]) for w in words).strip()
    parts = split_text(text, 100)
    assert all(0 < len(p) <= 100 for p in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )
    assert split_text(text, 100) == parts  # deterministic: a retry resumes on the same parts


def test_backoff_doubles_to_a_cap_with_jitter() -> None:
    b, rng = Backoff(1.0, 10.0), random.Random(1)
    assert [b.ceiling(n) for n in (1, 2, 3, 4, 5, 80)] == [1, 2, 4, 8, 10, 10]
    for n in range(1, 10):
        assert b.ceiling(n) / 2 <= b.delay(n, rng) <= b.ceiling(n)
