"""qmd_svc served over mTLS on port 0, on a generated corpus: ranking, CJK, the watcher,
ingest under concurrent search, traversal attempts, allow lists and events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import grpc
import pytest

from agent_runtime.qmd.v1 import service_pb2 as pb
from agent_runtime.qmd.v1 import service_pb2_grpc
from bench.qmd_vs_tobi import Planted, generate
from qmd_svc.config import QmdSettings
from svckit import testing
from svckit.pki import PkiPaths
from svckit.testing import eventually
from tests.qmds import serving_qmd

WS = "acme"
T = TypeVar("T")


class RecordingSink:
    """A real EventSink that keeps what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    async def notify(self, workspace_id: str, event_key: str, path: str) -> None:
        self.events.append((workspace_id, event_key, path))


@dataclass
class Qmd:
    pki: PkiPaths
    port: int
    root: Path
    planted: list[Planted]
    sink: RecordingSink
    channels: dict[str, grpc.aio.Channel]

    def stub(self, identity: str = "svc:gateway") -> service_pb2_grpc.QmdServiceStub:
        if identity not in self.channels:
            self.channels[identity] = testing.client_channel(self.pki, self.port, identity)
        return service_pb2_grpc.QmdServiceStub(self.channels[identity])


@pytest.fixture
async def qmd(tmp_path: Path) -> AsyncIterator[Qmd]:
    pki = testing.make_pki(tmp_path / "pki")
    root = tmp_path / "workspaces"
    planted = generate(root / WS, 300, seed=3, planted=10)
    sink = RecordingSink()
    settings = QmdSettings(
        pki_dir=pki.root,
        grpc_port=0,
        health_port=0,
        metrics_port=0,
        workspace_root=root,
        qmd_watch_debounce_ms=50,
    )
    async with serving_qmd(settings, sink) as ports:
        q = Qmd(pki, ports.grpc, root, planted, sink, {})
        stub = q.stub()

        async def scanned() -> bool:
            r = await stub.GetIndexStatus(pb.GetIndexStatusRequest(workspace_id=WS))
            return r.status.indexed and r.status.documents == 300

        await eventually(scanned, "the initial scan")
        yield q
        for channel in q.channels.values():
            await channel.close()


async def search(stub: service_pb2_grpc.QmdServiceStub, query: str, **kw: object) -> list[str]:
    reply = await stub.Search(pb.SearchRequest(workspace_id=WS, query=query, **kw))  # type: ignore[arg-type]
    return [h.path for h in reply.hits]


async def test_planted_term_ranks_its_file_first(qmd: Qmd) -> None:
    stub = qmd.stub()
    for p in qmd.planted:
        reply = await stub.Search(
            pb.SearchRequest(workspace_id=WS, query=f"{p.term} {p.context_word}")
        )
        top = reply.hits[0]
        assert top.path == p.path
        assert top.uri == f"qmd://{WS}/{p.path}"
        assert top.docid.startswith("#") and len(top.docid) == 7
        assert 0 < top.score <= 1
        assert f"**{p.term}**" in top.snippet


async def test_cjk_query_finds_its_file(qmd: Qmd) -> None:
    stub = qmd.stub()
    (qmd.root / WS / "notes").mkdir(exist_ok=True)
    reply = await stub.IngestDocument(
        pb.IngestDocumentRequest(
            workspace_id=WS, path="notes/会议.md", content="# 周会\n\n讨论了鳄梨酱配方的改进。\n"
        )
    )
    assert reply.changed
    assert (await search(stub, "鳄梨酱配方"))[0] == "notes/会议.md"
    assert (await search(stub, "鳄梨"))[0] == "notes/会议.md"  # two characters: below a trigram


async def test_edit_becomes_searchable_and_delete_disappears(qmd: Qmd) -> None:
    stub = qmd.stub()
    target = qmd.root / WS / "notes" / "fresh.md"
    target.write_text("# Fresh\n\nthe wombatique appears\n")

    async def found() -> bool:
        return await search(stub, "wombatique") == ["notes/fresh.md"]

    await eventually(found, "the new file to be searchable")
    target.write_text("# Fresh\n\nnow it says platypusine instead\n")

    async def edited() -> bool:
        return await search(stub, "platypusine") == ["notes/fresh.md"] and not await search(
            stub, "wombatique"
        )

    await eventually(edited, "the edit to be searchable")
    target.unlink()

    async def gone() -> bool:
        return await search(stub, "platypusine") == []

    await eventually(gone, "the deleted file to disappear")
    assert (WS, "markdown.updated", "notes/fresh.md") in qmd.sink.events


async def test_runtime_folders_are_neither_indexed_nor_announced(qmd: Qmd) -> None:
    stub = qmd.stub()
    logs = qmd.root / WS / "logs"
    logs.mkdir()
    (logs / "chat.md").write_text("secretlogword")
    (qmd.root / WS / "tasks").mkdir()
    (qmd.root / WS / "tasks" / "t.md").write_text("# T\n\ntaskmarkerword\n")
    await eventually(lambda: search(stub, "taskmarkerword"), "the tasks file to be indexed")
    assert await search(stub, "secretlogword") == []
    assert not [e for e in qmd.sink.events if e[2].startswith(("logs", "tasks"))]


async def test_concurrent_ingest_and_search(qmd: Qmd) -> None:
    stub = qmd.stub("svc:connectors")
    reader = qmd.stub()

    async def ingest(i: int) -> None:
        await stub.IngestDocument(
            pb.IngestDocumentRequest(
                workspace_id=WS, path=f"inbox/mail-{i}.md", content=f"# Mail {i}\n\nkiwimail{i}\n"
            )
        )

    async def query(i: int) -> list[str]:
        return await search(reader, qmd.planted[i % len(qmd.planted)].term)

    results = await asyncio.gather(*(ingest(i) for i in range(40)), *(query(i) for i in range(80)))
    assert all(r == [qmd.planted[i % len(qmd.planted)].path] for i, r in enumerate(results[40:]))
    for i in range(40):
        assert await search(reader, f"kiwimail{i}") == [f"inbox/mail-{i}.md"]


async def test_get_by_path_and_docid_with_byte_limit(qmd: Qmd) -> None:
    stub = qmd.stub()
    p = qmd.planted[0]
    by_path = (
        await stub.GetDocument(pb.GetDocumentRequest(workspace_id=WS, target=p.path))
    ).document
    assert by_path.title and by_path.uri == f"qmd://{WS}/{p.path}"
    by_id = await stub.GetDocument(pb.GetDocumentRequest(workspace_id=WS, target=by_path.docid))
    assert by_id.document.path == p.path
    cut = await stub.GetDocument(
        pb.GetDocumentRequest(workspace_id=WS, target=p.path, max_bytes=50)
    )
    assert cut.document.truncated and len(cut.document.content.encode()) <= 50
    batch = await stub.BatchGetDocuments(
        pb.BatchGetDocumentsRequest(workspace_id=WS, targets=[p.path, "nope.md", "#000000"])
    )
    assert [d.path for d in batch.documents] == [p.path]
    assert list(batch.not_found) == ["nope.md", "#000000"]


@pytest.mark.parametrize(
    "target", ["/etc/passwd.md", "../other/secret.md", "notes/../../x.md", "notes/a.txt", "#xyz"]
)
async def test_traversal_and_bad_targets_are_rejected(qmd: Qmd, target: str) -> None:
    stub = qmd.stub()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.GetDocument(pb.GetDocumentRequest(workspace_id=WS, target=target))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.IngestDocument(
            pb.IngestDocumentRequest(workspace_id=WS, path=target, content="x")
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert not (qmd.root / "other").exists()


async def test_unknown_document_and_workspace(qmd: Qmd) -> None:
    stub = qmd.stub()
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.GetDocument(pb.GetDocumentRequest(workspace_id=WS, target="missing.md"))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    reply = await stub.Search(pb.SearchRequest(workspace_id="nobody", query="anything"))
    assert list(reply.hits) == []
    status = await stub.GetIndexStatus(pb.GetIndexStatusRequest(workspace_id="nobody"))
    assert not status.status.exists
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await stub.Search(pb.SearchRequest(workspace_id="../etc", query="x"))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_reindex_and_path_prefix(qmd: Qmd) -> None:
    stub = qmd.stub("admin:admin")
    full = await stub.Reindex(pb.ReindexRequest(workspace_id=WS, full=True))
    assert full.added == 300 and full.status.documents == 300
    again = await stub.Reindex(pb.ReindexRequest(workspace_id=WS))
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 300)
    p = qmd.planted[0]
    folder = p.path.rsplit("/", 1)[0] + "/"
    assert await search(stub, p.term, path_prefix=folder) == [p.path]
    assert await search(stub, p.term, path_prefix="elsewhere/") == []


async def test_allow_list(qmd: Qmd) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await qmd.stub("svc:connectors").Search(pb.SearchRequest(workspace_id=WS, query="x"))
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await qmd.stub("svc:scheduler").Reindex(pb.ReindexRequest(workspace_id=WS))
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_a_small_workspace_still_scores_its_matches(qmd: Qmd) -> None:
    # FTS5's BM25 is near zero when most documents share a term; a match must still count.
    stub = qmd.stub()
    for name in ("one", "two"):
        await stub.IngestDocument(
            pb.IngestDocumentRequest(
                workspace_id="tiny", path=f"{name}.md", content=f"# {name}\n\nrelease checklist\n"
            )
        )
    reply = await stub.Search(
        pb.SearchRequest(workspace_id="tiny", query="checklist", min_score=0.5)
    )
    assert sorted(h.path for h in reply.hits) == ["one.md", "two.md"]
    assert all(0.5 <= h.score <= 1 for h in reply.hits)
    both = await stub.Search(pb.SearchRequest(workspace_id="tiny", query="release checklist"))
    assert len(both.hits) == 2 and all(h.score >= 0.5 for h in both.hits)
