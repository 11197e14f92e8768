import pytest

from gateway_svc.rest.paths import TemplateError, parse


def test_literal_template_is_marked_literal() -> None:
    t = parse("/api/v1/tasks")
    assert t.literal and t.match("/api/v1/tasks") == {}
    assert t.match("/api/v1/tasks/x") is None


def test_field_capture_and_nested_field_path() -> None:
    t = parse("/api/v1/items/{item.id}")
    assert t.match("/api/v1/items/a%20b") == {("item", "id"): "a b"}
    assert t.match("/api/v1/items/a/b") is None


def test_wildcard_capture_keeps_its_literal_part() -> None:
    t = parse("/api/v1/{parent=workspaces/*}/items")
    assert t.match("/api/v1/workspaces/w1/items") == {("parent",): "workspaces/w1"}
    assert t.match("/api/v1/projects/w1/items") is None
    assert t.openapi_path(["parent"]) == "/api/v1/{parent}/items"


def test_double_wildcard_spans_segments_and_keeps_encoded_slash() -> None:
    t = parse("/files/{path=**}")
    assert t.match("/files/a/b%2Fc") == {("path",): "a/b%2Fc"}


def test_custom_verb() -> None:
    t = parse("/api/v1/tasks/{id}:retry")
    assert t.verb == "retry"
    assert t.match("/api/v1/tasks/t-1:retry") == {("id",): "t-1"}
    assert t.match("/api/v1/tasks/t-1") is None
    assert parse("/api/v1/tasks:watch").match("/api/v1/tasks:watch") == {}


@pytest.mark.parametrize("bad", ["api/v1", "/a/{", "/a/{1x}", "/a/{x={y}}", "/a/b c"])
def test_malformed_templates_are_refused(bad: str) -> None:
    with pytest.raises(TemplateError):
        parse(bad)
