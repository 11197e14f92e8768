"""`python -m qmd_svc`: the composition root."""

from __future__ import annotations

import logging

from qmd_svc.config import QmdSettings
from qmd_svc.server import build_server
from svckit.config import load_settings
from svckit.serve import run


def main() -> None:
    settings = load_settings(QmdSettings)
    logging.getLogger("watchfiles").setLevel(logging.WARNING)  # one line per change batch
    run("qmd", settings, build_server(settings))


if __name__ == "__main__":
    main()
