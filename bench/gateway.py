"""What the gateway costs: a trivial endpoint called directly and through the gateway.

Both paths hit the same service process (uvicorn, uvloop, httptools, one worker) with 32
connections; through the gateway the bearer token is checked at the edge too. Prints req/s and
p50/p95/p99 for each, the throughput ratio and the p50 the gateway adds.
Goal (DESIGN.md §7): ratio >= 0.60 and <= 2 ms added at p50.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import loadgen  # noqa: E402
from bench.stack import running  # noqa: E402
from devstack.stack import url  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    with running(services=("calculation",)) as (stack, token):
        headers = {"Authorization": f"Bearer {token('karin')}"}
        direct_url = f"{url(stack.ports.calculation)}/livez"
        gateway_url = f"{url(stack.ports.gateway)}/api/calculation/livez"
        loadgen.run(direct_url, seconds=2, connections=args.connections)  # warm up
        loadgen.run(gateway_url, seconds=2, connections=args.connections, headers=headers)
        direct = loadgen.run(direct_url, seconds=args.seconds, connections=args.connections)
        gateway = loadgen.run(gateway_url, seconds=args.seconds, connections=args.connections,
                              headers=headers)
    print(f"GET /livez, {args.connections} connections, {args.seconds:.0f} s each, 2 cores shared "
          "by load generator, gateway and service")
    print(loadgen.report("direct", direct))
    print(loadgen.report("through the gateway", gateway))
    print(f"ratio (gateway / direct throughput): {gateway.rps / direct.rps:.2f}   "
          f"added p50: {gateway.p50 - direct.p50:+.2f} ms   (goal >= 0.60, <= 2 ms)")


if __name__ == "__main__":
    main()
