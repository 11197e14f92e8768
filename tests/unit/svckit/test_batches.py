"""A batch RPC's per-item results survive the wire: what the server's batch_results writes,
the caller's refusal reads back as the same domain error."""

from __future__ import annotations

import pytest

from agent_runtime.store.v1 import task_pb2 as pb
from agent_runtime.store.v1 import task_service_pb2 as rpc
from svckit import errors
from svckit.batches import MAX_BATCH, batch_results, each, refusal


async def test_each_applies_every_item_and_refuses_only_the_bad_ones() -> None:
    async def half(n: int) -> int:
        if n % 2:
            raise errors.InvalidArgument("odd", field="n")
        return n // 2

    got = await each(half, [2, 3, 4], "numbers")
    assert got[0] == 1 and got[2] == 2 and isinstance(got[1], errors.InvalidArgument)
    for size in (0, MAX_BATCH + 1):
        with pytest.raises(errors.InvalidArgument, match="numbers"):
            await each(half, [2] * size, "numbers")


def test_a_refused_item_reads_back_as_its_error() -> None:
    results: list[pb.Task | errors.DomainError] = [
        pb.Task(id="t1"),
        errors.AlreadyExists("task exists", existing_id="t0"),
        errors.InvalidArgument("title is required", field="title"),
    ]
    made = batch_results(
        rpc.CreateTasksResult, results, lambda t: rpc.CreateTasksResult(task=t), "existing_id"
    )
    assert made[0].task.id == "t1" and not made[0].code
    exists, invalid = refusal(made[1], "existing_id"), refusal(made[2], "existing_id")
    assert isinstance(exists, errors.AlreadyExists) and exists.existing_id == "t0"
    assert isinstance(invalid, errors.InvalidArgument) and invalid.field == "title"
    assert invalid.message == "title is required" and "existing_id" not in invalid.details
