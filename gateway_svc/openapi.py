"""`python -m gateway_svc.openapi`: print the OpenAPI 3.1 document of /api/v1."""

from __future__ import annotations

import sys

from gateway_svc.api import SUCCESS_STATUS
from gateway_svc.rest import EXCLUDED, mount, openapi, openapi_document


def main() -> int:
    doc = openapi_document(mount.discover(exclude=EXCLUDED), SUCCESS_STATUS)
    sys.stdout.write(openapi.dumps(doc).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
