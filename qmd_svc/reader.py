"""Index reads for one workspace: search and document lookups. Any reader thread may call
these with its own connection; in WAL mode they never wait for the writer."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from qmd_svc.query import Query, normalize, snippet
from qmd_svc.schema import CHUNK_BITS

# Chunks fetched per wanted hit, so several chunks of one document still leave enough documents.
_OVERFETCH = 4
Row = tuple[int, float, str, str, int]  # chunk rowid, bm25 rank, heading, body, line


@dataclass(frozen=True, slots=True)
class Hit:
    path: str
    docid: str
    title: str
    score: float
    snippet: str
    heading: str
    line: int


@dataclass(frozen=True, slots=True)
class DocMeta:
    path: str
    docid: str
    title: str


@dataclass(frozen=True, slots=True)
class Stats:
    documents: int
    chunks: int
    last_indexed_unix: int
    scanned: bool


def _prefix_sql(prefix: str) -> tuple[str, tuple[str, ...]]:
    if not prefix:
        return "", ()
    # rowid >> 16 is the document id; the prefix range is served by the path index.
    return (
        f" AND (rowid >> {CHUNK_BITS}) IN (SELECT id FROM documents WHERE path >= ? AND path < ?)",
        (prefix, prefix + "\U0010ffff"),
    )


def _ranked(conn: sqlite3.Connection, table: str, match: str, prefix: str, fetch: int) -> list[Row]:
    extra, args = _prefix_sql(prefix)
    sql = (
        f"SELECT rowid, rank, heading, body, line FROM {table} "
        f"WHERE {table} MATCH ?{extra} ORDER BY rank LIMIT ?"
    )
    return list(conn.execute(sql, (match, *args, fetch)))


def _liked(
    conn: sqlite3.Connection, match: str, short: list[str], prefix: str, fetch: int
) -> list[Row]:
    """CJK terms under three characters: substring scan of the (CJK-only) trigram table."""
    where = ["chunks_cjk MATCH ?"] if match else []
    args: list[object] = [match] if match else []
    for term in short:
        where.append("(body LIKE ? OR title LIKE ?)")
        args += [f"%{term}%", f"%{term}%"]
    extra, pargs = _prefix_sql(prefix)
    rank = "rank" if match else "-1.0"
    sql = (
        f"SELECT rowid, {rank}, heading, body, line FROM chunks_cjk "
        f"WHERE {' AND '.join(where)}{extra} ORDER BY 2 LIMIT ?"
    )
    return list(conn.execute(sql, (*args, *pargs, fetch)))


def _spread(conn: sqlite3.Connection, query: Query, prefix: str, fetch: int) -> list[Row]:
    """Documents whose chunks hold the terms between them (no single chunk holds them all):
    one ranked query per term, a document scoring the sum of its best chunk per term."""
    total: dict[int, float] = {}
    shown: dict[int, tuple[float, Row]] = {}
    for expr in query.each_term():
        best: dict[int, Row] = {}
        for row in _ranked(conn, "chunks", expr, prefix, fetch * 2):
            best.setdefault(row[0] >> CHUNK_BITS, row)
        for doc, row in best.items():
            total[doc] = total.get(doc, 0.0) + row[1]
            if doc not in shown or row[1] < shown[doc][0]:
                shown[doc] = (row[1], row)
    order = sorted(total, key=total.__getitem__)
    return [(shown[d][1][0], total[d], *shown[d][1][2:]) for d in order]


def search(
    conn: sqlite3.Connection, query: Query, limit: int, min_score: float, prefix: str
) -> list[Hit]:
    if not query.terms:
        return []
    fetch = max(limit * _OVERFETCH, 20)
    if query.cjk:
        match, short = query.trigram_parts()
        rows = (
            _liked(conn, match, short, prefix, fetch)
            if short
            else _ranked(conn, "chunks_cjk", match, prefix, fetch)
        )
    else:
        rows = _ranked(conn, "chunks", query.match_all(), prefix, fetch)
        if len(query.terms) > 1 and len({r[0] >> CHUNK_BITS for r in rows}) < limit:
            rows += _spread(conn, query, prefix, fetch)
    best: dict[int, Row] = {}
    for row in rows:
        doc = row[0] >> CHUNK_BITS
        if doc not in best and normalize(row[1]) >= min_score:
            best[doc] = row
            if len(best) >= limit:
                break
    if not best:
        return []
    marks = ",".join("?" * len(best))
    meta = {
        r[0]: r[1:]
        for r in conn.execute(
            f"SELECT id, path, docid, title FROM documents WHERE id IN ({marks})", tuple(best)
        )
    }
    hits = []
    for doc, (_rowid, rank, heading, body, line) in best.items():
        if doc in meta:
            path, docid, title = meta[doc]
            hits.append(
                Hit(path, docid, title, normalize(rank), snippet(body, query), heading, int(line))
            )
    return hits


def meta_by_path(conn: sqlite3.Connection, path: str) -> DocMeta | None:
    row = conn.execute("SELECT path, docid, title FROM documents WHERE path=?", (path,)).fetchone()
    return DocMeta(*row) if row else None


def meta_by_docid(conn: sqlite3.Connection, docid: str) -> DocMeta | None:
    row = conn.execute(
        "SELECT path, docid, title FROM documents WHERE docid=? ORDER BY path LIMIT 1", (docid,)
    ).fetchone()
    return DocMeta(*row) if row else None


def stats(conn: sqlite3.Connection) -> Stats:
    docs, chunks = conn.execute(
        "SELECT count(*), coalesce(sum(chunks), 0) FROM documents"
    ).fetchone()
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    return Stats(
        int(docs), int(chunks), int(meta.get("last_indexed_unix", 0)), "scanned_unix" in meta
    )
