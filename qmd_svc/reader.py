"""Index reads for one workspace: search and document lookups. Any reader thread may call
these with its own connection; in WAL mode they never wait for the writer."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from qmd_svc.query import Query, normalize, snippet
from qmd_svc.schema import CHUNK_BITS, chunk_range

# Chunks fetched per wanted hit, so several chunks of one document still leave enough documents.
_OVERFETCH = 4
_DF_CAP = 2000
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


def _df(conn: sqlite3.Connection, expr: str) -> int:
    """How many chunks hold a term, counted up to a cap (cheap even for common words)."""
    row = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM chunks WHERE chunks MATCH ? LIMIT {_DF_CAP})",
        (expr,),
    ).fetchone()
    return int(row[0])


def _spread(
    conn: sqlite3.Connection, query: Query, prefix: str, fetch: int, coverage: dict[int, float]
) -> list[Row]:
    """Documents whose chunks hold the terms between them when no single chunk holds them all.

    The rarest term picks the candidate documents (cheap: its posting list is short); the
    other terms are then looked for in each candidate's text, so no common word is ever
    ranked corpus-wide. Documents holding more of the terms come first, then by BM25."""
    df = {expr: _df(conn, expr) for expr in query.each_term()}
    present = [e for e, n in df.items() if n > 0]
    if not present:
        return []
    rarest = min(present, key=df.__getitem__)
    candidates: dict[int, Row] = {}
    for row in _ranked(conn, "chunks", rarest, prefix, fetch):
        candidates.setdefault(row[0] >> CHUNK_BITS, row)
    patterns = [re.compile(p, re.IGNORECASE) for p in query.term_patterns]
    scored: list[tuple[int, float, Row]] = []
    for doc, row in candidates.items():
        text = "\n".join(
            r[0]
            for r in conn.execute(
                "SELECT title || ' ' || heading || ' ' || body FROM chunks "
                "WHERE rowid BETWEEN ? AND ?",
                chunk_range(doc),
            )
        )
        matched = sum(1 for p in patterns if p.search(text))
        coverage[row[0]] = matched / max(1, len(patterns))
        scored.append((-matched, row[1], row))
    scored.sort(key=lambda t: (t[0], t[1]))
    return [row for _, _, row in scored]


def search(
    conn: sqlite3.Connection, query: Query, limit: int, min_score: float, prefix: str
) -> list[Hit]:
    if not query.terms:
        return []
    fetch = max(limit * _OVERFETCH, 20)
    coverage: dict[int, float] = {}  # rowid -> share of the terms its document holds (if < all)
    if query.cjk:
        match, short = query.trigram_parts()
        rows = (
            _liked(conn, match, short, prefix, fetch)
            if short
            else _ranked(conn, "chunks_cjk", match, prefix, fetch)
        )
    else:
        # BM25 ranking counts every posting of every term (for IDF) even when the AND is
        # empty, so an unranked probe first skips ranking when nothing holds all the terms.
        every = query.match_all()
        rows = _ranked(conn, "chunks", every, prefix, fetch) if _df(conn, every) else []
        if len(query.terms) > 1 and len({r[0] >> CHUNK_BITS for r in rows}) < limit:
            whole = {r[0] for r in rows}
            rows += [r for r in _spread(conn, query, prefix, fetch, coverage) if r[0] not in whole]
            for rowid in whole:
                coverage.pop(rowid, None)  # a chunk holding every term scores as such

    def score(row: Row) -> float:
        # BM25 alone is near 0 in a small workspace (FTS5 floors the IDF of a term most
        # documents share), so holding every term in one chunk is worth 0.5 by itself, and
        # documents that hold the terms only between their chunks stay below that.
        within = 0.5 + 0.5 * normalize(row[1])
        share = coverage.get(row[0])
        return within if share is None else 0.5 * share * within

    best: dict[int, Row] = {}
    for row in rows:
        doc = row[0] >> CHUNK_BITS
        if doc not in best and score(row) >= min_score:
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
    for doc, row in best.items():
        _rowid, _rank, heading, body, line = row
        if doc in meta:
            path, docid, title = meta[doc]
            hits.append(
                Hit(path, docid, title, score(row), snippet(body, query), heading, int(line))
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
