"""Path rules, exclusions, query parsing and snippets."""

from __future__ import annotations

import pytest

from qmd_svc.paths import (
    DEFAULT_EVENT_EXCLUDES,
    DEFAULT_INDEX_EXCLUDES,
    PathFilter,
    check_workspace_id,
    clean_md_path,
)
from qmd_svc.query import Query, normalize, snippet
from svckit.errors import InvalidArgument


@pytest.mark.parametrize(
    "bad", ["", "/etc/x.md", "C:/x.md", "../x.md", "a/../../x.md", "a/b.txt", "a/.hidden.md"]
)
def test_bad_paths_are_invalid(bad: str) -> None:
    with pytest.raises(InvalidArgument):
        clean_md_path(bad)


def test_paths_are_normalised() -> None:
    assert clean_md_path("./notes//a.MD") == "notes/a.MD"
    assert clean_md_path("notes\\b.md") == "notes/b.md"


@pytest.mark.parametrize("bad", ["", "..", "a/b", "a\\b", ".qmd"])
def test_bad_workspace_ids(bad: str) -> None:
    with pytest.raises(InvalidArgument):
        check_workspace_id(bad)


def test_runtime_folders_follow_reference_6_5() -> None:
    index = PathFilter(DEFAULT_INDEX_EXCLUDES)
    assert not index.indexable(".qmd/x.md")
    assert not index.indexable("logs/chats/a.md")
    assert not index.indexable("ops/heartbeat.md")
    assert index.indexable("ops/runbook.md")
    assert index.indexable("tasks/t1.md")
    assert index.dir_excluded("logs") and not index.dir_excluded("logsheet")
    events = PathFilter(DEFAULT_EVENT_EXCLUDES)
    assert events.excluded("tasks/t1.md") and events.excluded("ops/runbook.md")
    assert not events.excluded("memory/contexts/c.md")


def test_query_terms_and_cjk() -> None:
    q = Query.parse('Deploy "the" deploy   plan!')
    assert q.terms == ("deploy", "the", "plan") and not q.cjk
    assert q.match_all() == '"deploy" AND "the" AND "plan"'
    cjk = Query.parse("数据库 索引")
    assert cjk.cjk and cjk.trigram_parts() == ('"数据库"', ["索引"])


def test_snippet_marks_matches_near_the_rarest_term() -> None:
    body = "common " * 80 + "the zebracorn appears here with common words"
    text = snippet(body, Query.parse("common zebracorn"))
    assert "**zebracorn**" in text and text.startswith("…")


def test_scores_are_normalised() -> None:
    assert normalize(-9.0) == pytest.approx(0.9)
    assert 0 <= normalize(0.0) < normalize(-1.0) < normalize(-50.0) < 1
