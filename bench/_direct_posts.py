"""Helper of bench/deliveries.py: a closed loop of plain POSTs to a notice receiver, from a
process of its own (as connectors_svc posts from its own), printing ``per_s=N``.

``python -m bench._direct_posts URL IN_FLIGHT SECONDS``"""

from __future__ import annotations

import sys

import httpx

from bench._common import closed_loop
from svckit import loop


async def _run(url: str, in_flight: int, seconds: float) -> float:
    async with httpx.AsyncClient() as client:

        async def call() -> None:
            body = {"connector": "codex", "external_id": "bench", "text": "baseline"}
            reply = await client.post(url, json=body, headers={"Idempotency-Key": "b"})
            reply.raise_for_status()

        return (await closed_loop(call, in_flight, seconds)).per_second


if __name__ == "__main__":
    url, in_flight, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    print(f"per_s={loop.run(_run(url, in_flight, seconds)):.1f}")
