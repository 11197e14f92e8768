"""Tiny exec shim: a supervised child dies with its supervisor, then becomes the service.

Run as ``python -m svckit.launch <supervisor pid> <argv…>``. On Linux it asks the kernel
for SIGTERM when the parent goes away (PR_SET_PDEATHSIG, kept across exec), so even a
supervisor killed with SIGKILL leaves no orphan; then it replaces itself with the service.
Doing this here rather than in ``preexec_fn`` keeps fork() free of Python code in a
process that has gRPC threads.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def main(argv: list[str]) -> None:
    parent, command = int(argv[0]), argv[1:]
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        # The supervisor may have died between fork and prctl: then nobody will signal us.
        if os.getppid() != parent:
            sys.exit(1)
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
