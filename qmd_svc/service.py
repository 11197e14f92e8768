"""The gRPC servicer: one thin method per RPC, proto in, domain call, proto out."""

from __future__ import annotations

from typing import Any

from agent_runtime.qmd.v1 import resources_pb2 as res
from agent_runtime.qmd.v1 import service_pb2 as pb
from agent_runtime.qmd.v1.service_pb2_grpc import QmdServiceServicer
from qmd_svc.documents import OpenedDocument
from qmd_svc.library import Library, Status, uri


def _document(ws: str, d: OpenedDocument) -> res.Document:
    return res.Document(
        path=d.path,
        docid="#" + d.docid,
        uri=uri(ws, d.path),
        title=d.title,
        content=d.content,
        truncated=d.truncated,
        size_bytes=d.size_bytes,
        modified_unix=d.modified_unix,
    )


def _status(s: Status) -> res.IndexStatus:
    return res.IndexStatus(
        workspace_id=s.workspace_id,
        exists=s.exists,
        indexed=s.indexed,
        documents=s.documents,
        chunks=s.chunks,
        last_indexed_unix=s.last_indexed_unix,
        pending=s.pending,
        index_file_present=s.index_file_present,
    )


class QmdServicer(QmdServiceServicer):
    def __init__(self, library: Library) -> None:
        self._lib = library

    async def Search(self, request: pb.SearchRequest, context: Any) -> pb.SearchResponse:
        ws = request.workspace_id
        hits = await self._lib.search(
            ws, request.query, request.limit, request.min_score, request.path_prefix
        )
        return pb.SearchResponse(
            hits=[
                res.SearchHit(
                    path=h.path,
                    docid="#" + h.docid,
                    uri=uri(ws, h.path),
                    title=h.title,
                    score=h.score,
                    snippet=h.snippet,
                    heading=h.heading,
                    line=h.line,
                )
                for h in hits
            ]
        )

    async def GetDocument(
        self, request: pb.GetDocumentRequest, context: Any
    ) -> pb.GetDocumentResponse:
        doc = await self._lib.open(request.workspace_id, request.target, request.max_bytes)
        return pb.GetDocumentResponse(document=_document(request.workspace_id, doc))

    async def BatchGetDocuments(
        self, request: pb.BatchGetDocumentsRequest, context: Any
    ) -> pb.BatchGetDocumentsResponse:
        docs, missing = await self._lib.open_many(
            request.workspace_id, list(request.targets), request.max_bytes
        )
        return pb.BatchGetDocumentsResponse(
            documents=[_document(request.workspace_id, d) for d in docs], not_found=missing
        )

    async def GetIndexStatus(
        self, request: pb.GetIndexStatusRequest, context: Any
    ) -> pb.GetIndexStatusResponse:
        return pb.GetIndexStatusResponse(
            status=_status(await self._lib.status(request.workspace_id))
        )

    async def Reindex(self, request: pb.ReindexRequest, context: Any) -> pb.ReindexResponse:
        report, ms = await self._lib.reindex(request.workspace_id, full=request.full)
        status = await self._lib.status(request.workspace_id)
        return pb.ReindexResponse(
            added=report.added,
            updated=report.updated,
            removed=report.removed,
            unchanged=report.unchanged,
            duration_ms=ms,
            status=_status(status),
        )

    async def IngestDocument(
        self, request: pb.IngestDocumentRequest, context: Any
    ) -> pb.IngestDocumentResponse:
        path, docid, changed = await self._lib.ingest(
            request.workspace_id, request.path, request.content
        )
        return pb.IngestDocumentResponse(
            path=path, docid="#" + docid, uri=uri(request.workspace_id, path), changed=changed
        )
