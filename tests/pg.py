"""A throwaway PostgreSQL 15 cluster for tests: initdb + pg_ctl as the `postgres` OS user
in a temporary folder, on a free loopback port.

`start_cluster()` returns a URL, or raises `PostgresUnavailable` with the reason; tests
skip on that unless AGENT_RUNTIME_TEST_REQUIRE_POSTGRES=1, then they fail."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

BIN_DIRS = [Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin")]
REQUIRE_ENV = "AGENT_RUNTIME_TEST_REQUIRE_POSTGRES"


class PostgresUnavailable(RuntimeError):
    pass


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0", "false")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bin_dir() -> Path:
    for d in BIN_DIRS:
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresUnavailable("PostgreSQL binaries (initdb, pg_ctl) not found")


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root without runuser to drop to `postgres`")
    return ["runuser", "-u", "postgres", "--", *cmd]


@dataclass
class Cluster:
    url: str
    folder: Path
    pg_ctl: Path
    head: str | None = None  # a database migrated to head, the template of `migrated_database`

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(
                [str(self.pg_ctl), "-D", str(self.folder / "data"), "-m", "immediate", "stop"]
            ),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster() -> Cluster:
    bindir = _bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="pg-test-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", _free_port()
    try:
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            capture_output=True,
            check=True,
            timeout=60,
        )
        opts = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    opts,
                    "-w",
                    "-l",
                    str(folder / "log"),
                    "start",
                ]
            ),
            capture_output=True,
            check=True,
            timeout=60,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError, KeyError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(folder, ignore_errors=True)
        raise PostgresUnavailable(f"could not start PostgreSQL: {exc} {detail!r}") from exc
    return Cluster(f"postgresql://postgres@127.0.0.1:{port}/postgres", folder, bindir / "pg_ctl")


def create_database(cluster: Cluster, name: str) -> str:
    """A fresh database in the cluster; returns its URL."""
    import psycopg

    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return cluster.url.rsplit("/", 1)[0] + f"/{name}"


def migrated_database(cluster: Cluster, name: str) -> str:
    """A fresh database at head: a copy (`CREATE DATABASE … TEMPLATE`) of one migrated once
    per cluster, much cheaper than migrating each; returns its URL."""
    import psycopg

    from store_svc.migrate import upgrade

    if cluster.head is None:
        upgrade(create_database(cluster, "store_head"))
        cluster.head = "store_head"
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{cluster.head}"')
    return cluster.url.rsplit("/", 1)[0] + f"/{name}"


def database_or_skip(cluster: Cluster | str, name: str) -> str:
    """A fresh database's URL in `cluster` (migrated to head), where `cluster` is the cluster
    or the reason it is missing: then the test is skipped, or failed when PostgreSQL is
    required."""
    import pytest

    if isinstance(cluster, str):
        if required():
            pytest.fail(f"PostgreSQL required ({REQUIRE_ENV}=1): {cluster}")
        pytest.skip(f"PostgreSQL unavailable: {cluster}")
    return migrated_database(cluster, name)
