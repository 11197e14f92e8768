"""Each child of `agent-runtime up` gets a PKI folder of its own: its certificate and key and
the CA's certificate, never the CA's key nor another service's key.

The folder has the layout `svckit.pki.PkiPaths` reads, the same one the Kubernetes manifests
mount from each service's Secret (k8s/README.md: `ca.crt`, `services/<name>.crt|.key`, and
`rest.crt|.key` for the gateway). Its entries are symbolic links to the files of the stack's
PKI, so a certificate renewed there (`svckit.pki.reissue_service`) reaches the running
service as a renewed Secret does in a pod.

All children run as the user who started the stack, so this is least privilege by
configuration, not a wall: a service is never told where `ca.key` is, but the operating
system would let the same user read it. Separate users (or the Kubernetes manifests) make
it a wall.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from svckit.pki import PkiPaths

FOLDER = "service-pki"


def service_files(pki: PkiPaths, name: str) -> dict[str, Path]:
    """What service `name` may read: relative path in its folder -> file of the stack's PKI."""
    own = pki.service(name)
    files = {
        "ca.crt": pki.ca_cert,
        f"services/{name}.crt": own.cert,
        f"services/{name}.key": own.key,
    }
    if name == "gateway":  # the REST listener's server certificate
        files |= {"rest.crt": pki.rest.cert, "rest.key": pki.rest.key}
    return files


def prepare(pki: PkiPaths, root: Path, name: str) -> PkiPaths:
    """Make (or bring up to date) `root/<name>`, the PKI folder of service `name`, and return
    it: exactly the links of `service_files`, anything else found there removed."""
    folder = root / name
    wanted = {rel: target.resolve() for rel, target in service_files(pki, name).items()}
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / "services").mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in [*folder.iterdir(), *(folder / "services").iterdir()]:
        rel = path.relative_to(folder).as_posix()
        if rel in wanted or rel == "services":
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    for rel, target in wanted.items():
        link = folder / rel
        if link.is_symlink() and Path(os.readlink(link)) == target:
            continue
        tmp = link.with_name(f".{link.name}.tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        tmp.replace(link)  # atomic: a running reader never finds the file missing
    return PkiPaths(folder)
