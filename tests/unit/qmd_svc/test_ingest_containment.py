"""IngestDocument through the qmd gRPC service never writes outside the workspace: a path
through a symbolic link (to a folder outside, or dangling) and a workspace folder that is
itself a link are refused with FAILED_PRECONDITION before anything is created."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from agent_runtime.qmd.v1 import service_pb2 as pb
from agent_runtime.qmd.v1.service_pb2_grpc import QmdServiceStub
from qmd_svc.config import QmdSettings
from svckit import testing
from svckit.pki import PkiPaths
from tests.qmds import serving_qmd

WS = "acme"


@dataclass
class Qmd:
    stub: QmdServiceStub
    root: Path  # the workspace root
    outside: Path  # a folder next to it that nothing may write into


def _tree(folder: Path) -> list[str]:
    """Everything under `folder` (links not followed), as relative paths."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
async def qmd(pki: PkiPaths, tmp_path: Path) -> AsyncIterator[Qmd]:
    root, outside = tmp_path / "workspaces", tmp_path / "outside"
    (root / WS).mkdir(parents=True)
    (root / WS / "readme.md").write_text("# Readme\n")
    outside.mkdir()
    (outside / "target.md").write_text("# Not yours\n")
    os.symlink(outside, root / "linked")  # a whole workspace folder that is a link
    settings = QmdSettings(
        pki_dir=pki.root,
        grpc_port=0,
        health_port=0,
        metrics_port=0,
        workspace_root=root,
        qmd_watch=False,
        qmd_notify_scheduler=False,
    )
    async with (
        serving_qmd(settings) as ports,
        testing.client_channel(pki, ports.grpc, "svc:gateway") as channel,
    ):
        yield Qmd(QmdServiceStub(channel), root, outside)


async def _ingest_error(qmd: Qmd, path: str, workspace_id: str = WS) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await qmd.stub.IngestDocument(
            pb.IngestDocumentRequest(workspace_id=workspace_id, path=path, content="# Planted\n"),
            timeout=10,
        )
    return info.value


async def test_a_symlinked_subfolder_pointing_outside_is_refused_and_nothing_is_created(
    qmd: Qmd,
) -> None:
    os.symlink(qmd.outside, qmd.root / WS / "notes")
    before_ws, before_out = _tree(qmd.root / WS), _tree(qmd.outside)
    for path in ("notes/new/deeper/plan.md", "notes/plan.md", "notes/target.md"):
        err = await _ingest_error(qmd, path)
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION, path
        assert "notes is a symbolic link" in (err.details() or "")
    assert _tree(qmd.outside) == before_out
    assert (qmd.outside / "target.md").read_text() == "# Not yours\n"
    assert _tree(qmd.root / WS) == before_ws


async def test_a_dangling_link_gets_a_clear_error_not_internal(qmd: Qmd, tmp_path: Path) -> None:
    nowhere = tmp_path / "nowhere"
    os.symlink(nowhere, qmd.root / WS / "drafts")
    err = await _ingest_error(qmd, "drafts/idea.md")
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "drafts is a symbolic link" in (err.details() or "")
    assert not nowhere.exists()


async def test_a_document_that_is_a_link_is_not_written_through(qmd: Qmd) -> None:
    os.symlink(qmd.outside / "target.md", qmd.root / WS / "plan.md")
    err = await _ingest_error(qmd, "plan.md")
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert (qmd.outside / "target.md").read_text() == "# Not yours\n"
    assert (qmd.root / WS / "plan.md").is_symlink()


async def test_a_workspace_folder_that_is_a_link_is_refused(qmd: Qmd) -> None:
    before = _tree(qmd.outside)
    err = await _ingest_error(qmd, "plan.md", workspace_id="linked")
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "workspace folder linked is a symbolic link" in (err.details() or "")
    assert _tree(qmd.outside) == before
    with pytest.raises(grpc.aio.AioRpcError) as search:  # nor read or indexed through it
        await qmd.stub.Search(pb.SearchRequest(workspace_id="linked", query="yours"), timeout=10)
    assert search.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert not (qmd.outside / ".qmd").exists()


async def test_new_folders_inside_the_workspace_are_still_created(qmd: Qmd) -> None:
    reply = await qmd.stub.IngestDocument(
        pb.IngestDocumentRequest(workspace_id=WS, path="a/b/c.md", content="# Deep\n\nbody\n"),
        timeout=10,
    )
    assert reply.changed and reply.path == "a/b/c.md"
    assert (qmd.root / WS / "a" / "b" / "c.md").read_text() == "# Deep\n\nbody\n"
    again = await qmd.stub.IngestDocument(
        pb.IngestDocumentRequest(workspace_id=WS, path="a/b/c.md", content="# Deep\n\nbody\n"),
        timeout=10,
    )
    assert not again.changed
    got = await qmd.stub.GetDocument(
        pb.GetDocumentRequest(workspace_id=WS, target="a/b/c.md"), timeout=10
    )
    assert got.document.title == "Deep"
    fresh = await qmd.stub.IngestDocument(
        pb.IngestDocumentRequest(workspace_id="brand-new", path="x.md", content="# X\n"),
        timeout=10,
    )
    assert fresh.changed and (qmd.root / "brand-new" / "x.md").is_file()
