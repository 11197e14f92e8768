"""The operations qmd offers, in domain terms: search, open, status, reindex, ingest.

The servicer translates protos to these calls and back; nothing here knows about gRPC.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

from qmd_svc.documents import DEFAULT_MAX_BYTES, OpenedDocument, read_document
from qmd_svc.paths import check_workspace_id, clean_md_path
from qmd_svc.placement import check_target, write_document
from qmd_svc.query import Query
from qmd_svc.reader import Hit
from qmd_svc.scanner import ScanReport
from qmd_svc.workspaces import Workspaces
from qmd_svc.writer import docid_of
from svckit.errors import InvalidArgument, NotFound

_DOCID = re.compile(r"^#?([0-9a-fA-F]{6})$")
MAX_LIMIT = 100
MAX_BATCH = 100
MAX_INGEST_BYTES = 8 << 20


@dataclass(frozen=True, slots=True)
class Status:
    workspace_id: str
    exists: bool
    indexed: bool = False
    documents: int = 0
    chunks: int = 0
    last_indexed_unix: int = 0
    pending: int = 0
    index_file_present: bool = False


def uri(workspace_id: str, path: str) -> str:
    return f"qmd://{workspace_id}/{path}"


class Library:
    def __init__(self, workspaces: Workspaces, *, default_limit: int = 5) -> None:
        self._ws = workspaces
        self._default_limit = default_limit

    async def search(
        self, workspace_id: str, text: str, limit: int, min_score: float, prefix: str
    ) -> list[Hit]:
        query = Query.parse(text)
        if limit < 0:
            raise InvalidArgument("limit must not be negative", field="limit")
        if not 0.0 <= min_score <= 1.0:
            raise InvalidArgument("min_score must be within 0..1", field="min_score")
        if ".." in prefix.split("/") or prefix.startswith("/"):
            raise InvalidArgument("path_prefix must be workspace-relative", field="path_prefix")
        index = await self._ws.get(workspace_id)
        if index is None or not query.terms:
            return []
        n = min(limit or self._default_limit, MAX_LIMIT)
        return await index.search(query, n, min_score, prefix.strip().removeprefix("./"))

    async def open(self, workspace_id: str, target: str, max_bytes: int) -> OpenedDocument:
        docs, missing = await self.open_many(workspace_id, [target], max_bytes)
        if missing:
            raise NotFound(f"document not found: {target}", target=target)
        return docs[0]

    async def open_many(
        self, workspace_id: str, targets: list[str], max_bytes: int
    ) -> tuple[list[OpenedDocument], list[str]]:
        if len(targets) > MAX_BATCH:
            raise InvalidArgument(f"at most {MAX_BATCH} targets", field="targets")
        if max_bytes < 0:
            raise InvalidArgument("max_bytes must not be negative", field="max_bytes")
        folder = self._ws.folder(workspace_id)
        limit = max_bytes or DEFAULT_MAX_BYTES
        wanted = [(t, self._parse_target(t)) for t in targets]  # all validated before any read
        found: list[OpenedDocument] = []
        missing: list[str] = []
        for target, (path, docid) in wanted:
            if docid is not None:
                index = await self._ws.get(workspace_id)
                meta = await index.meta_by_docid(docid) if index else None
                path = meta.path if meta else None
            doc = await asyncio.to_thread(read_document, folder, path, limit) if path else None
            if doc:
                found.append(doc)
            else:
                missing.append(target)
        return found, missing

    async def status(self, workspace_id: str) -> Status:
        ws = check_workspace_id(workspace_id)
        index = await self._ws.get(ws)
        if index is None:
            return Status(ws, exists=False)
        s = await index.stats()
        return Status(
            ws,
            True,
            s.scanned,
            s.documents,
            s.chunks,
            s.last_indexed_unix,
            index.pending,
            index.db_path.exists(),
        )

    async def reindex(self, workspace_id: str, *, full: bool) -> tuple[ScanReport, int]:
        started = time.perf_counter()
        report = await self._ws.scan(check_workspace_id(workspace_id), full=full)
        return report, int((time.perf_counter() - started) * 1000)

    async def ingest(self, workspace_id: str, path: str, content: str) -> tuple[str, str, bool]:
        rel = clean_md_path(path)
        if not self._ws.rules.indexable(rel):
            raise InvalidArgument(f"{rel} is excluded from the index", field="path")
        data = content.encode("utf-8")
        if len(data) > MAX_INGEST_BYTES:
            raise InvalidArgument("content is larger than 8 MiB", field="content")
        # checked before anything is created, the workspace's own folder included
        await asyncio.to_thread(check_target, self._ws.folder(workspace_id), rel)
        index = await self._ws.get(workspace_id, create=True)
        assert index is not None
        changed, stat = await asyncio.to_thread(write_document, index.root, rel, data)
        report = await index.put(rel, data, stat)
        self._ws.announce(index.workspace_id, report)
        return rel, docid_of(data), changed

    @staticmethod
    def _parse_target(target: str) -> tuple[str | None, str | None]:
        t = target.strip()
        if t.startswith("#"):
            m = _DOCID.match(t)
            if not m:
                raise InvalidArgument("a docid is '#' and 6 hex characters", field="target")
            return None, m.group(1).lower()
        return clean_md_path(t, field="target"), None
