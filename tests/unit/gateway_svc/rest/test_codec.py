import pytest

from agent_runtime.testing.v1 import testing_pb2 as pb
from gateway_svc.rest import params
from gateway_svc.rest.codec import BodyError, JsonCodec, parse_body


def test_every_field_is_emitted_with_proto_names_and_numbers() -> None:
    item = pb.Item(id="x", size=2**40, views=2**64 - 1, kind=pb.KIND_SMALL, blob=b"\x00\x01")
    out = JsonCodec().to_obj(item)
    assert out["size"] == 2**40 and out["views"] == 2**64 - 1
    assert out["kind"] == "KIND_SMALL" and out["blob"] == "AAE="
    assert out["title"] == "" and out["tags"] == [] and out["labels"] == {}
    assert out["due_at_unix"] is None and out["dimensions"] is None


def test_optional_and_nested_when_set() -> None:
    item = pb.Item(due_at_unix=0, dimensions=pb.Dimensions(width=1), parts=[pb.Dimensions()])
    out = JsonCodec().to_obj(item)
    assert out["due_at_unix"] == 0
    assert out["dimensions"] == {"width": 1, "height": 0}
    assert out["parts"] == [{"width": 0, "height": 0}]


def test_non_finite_doubles_become_strings() -> None:
    assert JsonCodec().to_obj(pb.Item(score=float("inf")))["score"] == "Infinity"


def test_body_accepts_numbers_or_strings_for_int64() -> None:
    msg = pb.CreateItemRequest()
    parse_body(b'{"item": {"size": 5, "views": "7", "kind": "KIND_LARGE"}}', msg, "*")
    assert (msg.item.size, msg.item.views, msg.item.kind) == (5, 7, pb.KIND_LARGE)


def test_single_field_body() -> None:
    msg = pb.UpdateItemRequest()
    parse_body(b'{"title": "t", "tags": ["a"]}', msg, "item")
    assert msg.item.title == "t" and list(msg.item.tags) == ["a"]


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"[1]",
        b'{"nope": 1}',
        b'{"item": {"size": "x"}}',
        b'{"item": {"kind": "BAD"}}',
        b"\xff\xfe",
        b'{"item": {"size": 1e100}}',
        # what parsers disagree on, or what used to escape as a 500
        b"[" * 100_000 + b"]" * 100_000,
        b'{"item": ' * 50_000 + b"{}" + b"}" * 50_000,
        b'{"item": {"size": ' + b"9" * 5000 + b"}}",
        b'{"item": {"size": 99999999999999999999999}}',
        b'{"item": {"score": 1e999}}',
        b'{"item": {"score": -1e999}}',
        b'{"item": {"score": NaN}}',
        b'{"item": {"score": Infinity}}',
        b'{"item": {"title": "a"}, "item": {"title": "b"}}',
        b'{"item": {"title": "\\ud800"}}',
        '{"item": {"title": "t"}}'.encode("utf-16"),
        b"",
    ],
    ids=lambda raw: repr(raw[:24]),
)
def test_bad_bodies_are_body_errors(raw: bytes) -> None:
    with pytest.raises(BodyError):
        parse_body(raw, pb.CreateItemRequest(), "*")


def test_deep_nesting_is_named_in_the_error() -> None:
    with pytest.raises(BodyError, match="nested too deeply"):
        parse_body(b"[" * 100_000 + b"]" * 100_000, pb.CreateItemRequest(), "*")


def test_large_but_finite_numbers_pass() -> None:
    msg = pb.CreateItemRequest()
    parse_body(b'{"item": {"score": 1.5e308, "size": 9223372036854775807}}', msg, "*")
    assert msg.item.score == 1.5e308 and msg.item.size == 2**63 - 1


def test_query_setters_cover_unbound_scalars_with_dot_notation() -> None:
    setters = params.query_setters(pb.ListItemsRequest.DESCRIPTOR, [("parent",)])
    assert set(setters) == {"limit", "tags", "filter.kind", "filter.min_size", "active_only"}
    msg = pb.ListItemsRequest()
    setters["tags"].set(msg, ["a", "b"])
    setters["filter.min_size"].set(msg, ["9"])
    setters["active_only"].set(msg, ["false"])
    assert list(msg.tags) == ["a", "b"] and msg.filter.min_size == 9
    assert msg.HasField("active_only") and not msg.active_only


@pytest.mark.parametrize(
    ("key", "values"),
    [
        ("limit", ["x"]),
        ("limit", ["99999999999"]),
        ("limit", ["1", "2"]),
        ("filter.kind", ["HUGE"]),
        ("active_only", ["maybe"]),
    ],
)
def test_bad_query_values_are_param_errors(key: str, values: list[str]) -> None:
    setters = params.query_setters(pb.ListItemsRequest.DESCRIPTOR, [])
    with pytest.raises(params.ParamError):
        setters[key].set(pb.ListItemsRequest(), values)


def test_boolean_query_values_accept_the_originals_spellings() -> None:
    convert = params.converter(pb.ListItemsRequest.DESCRIPTOR.fields_by_name["active_only"])
    spellings = ("true", "1", "YES", "false", "0", "no")
    assert [convert(v) for v in spellings] == [True, True, True, False, False, False]
    with pytest.raises(params.ParamError):
        convert("maybe")
