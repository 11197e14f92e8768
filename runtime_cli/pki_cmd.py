"""`agent-runtime pki init|issue-admin`: thin wrappers over svckit.pki."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from svckit.pki import SERVICE_NAMES, init_pki, issue_admin


def default_pki_dir() -> Path:
    """AGENT_RUNTIME_PKI_DIR, else <AGENT_RUNTIME_DATA_DIR or ./data>/pki."""
    explicit = os.environ.get("AGENT_RUNTIME_PKI_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("AGENT_RUNTIME_DATA_DIR") or "data") / "pki"


def init(directory: Path | None) -> int:
    root = (directory or default_pki_dir()).resolve()
    paths = init_pki(root)
    print(f"PKI ready in {root}")
    print(f"  CA           {paths.ca_cert}")
    for name in SERVICE_NAMES:
        print(f"  {name:<12} {paths.service(name).cert}")
    print(f"  rest         {paths.rest.cert}")
    print(f"  admin        {paths.admin('admin').cert}")
    return 0


def add_admin(name: str, directory: Path | None) -> int:
    root = (directory or default_pki_dir()).resolve()
    try:
        pair = issue_admin(root, name)
    except ValueError as exc:
        print(f"agent-runtime pki issue-admin: {exc}", file=sys.stderr)
        return 2
    print(f"admin {name}: spiffe://agent-runtime/admin/{name}")
    print(f"  cert {pair.cert}")
    print(f"  key  {pair.key}")
    return 0
