"""A load generator for the benchmarks: wrk when installed (apt-get install wrk), else aiohttp.

Prints nothing itself; returns requests/s and latency percentiles in milliseconds.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

_WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format('{"requests": %d, "seconds": %f, "errors": %d, "non2xx": %d, '
    .. '"p50": %f, "p95": %f, "p99": %f}\\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


@dataclass
class Result:
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    tool: str


def _wrk_script(method: str, body: str | None, headers: dict[str, str]) -> str:
    lines = [f'wrk.method = "{method}"']
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body)}")
    for name, value in headers.items():
        lines.append(f'wrk.headers["{name}"] = "{value}"')
    return "\n".join(lines) + _WRK_REPORT


def run(url: str, *, seconds: float = 10, connections: int = 32, method: str = "GET",
        body: str | None = None, headers: dict[str, str] | None = None) -> Result:
    headers = headers or {}
    if shutil.which("wrk"):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(_wrk_script(method, body, headers))
        out = subprocess.run(
            ["wrk", "-t", "1", "-c", str(connections), "-d", f"{int(seconds)}s", "-s", script.name, url],
            capture_output=True, text=True, check=True).stdout
        report = json.loads(out.strip().splitlines()[-1])
        return Result(report["requests"] / report["seconds"], report["p50"], report["p95"],
                      report["p99"], report["errors"] + report["non2xx"], "wrk")
    return asyncio.run(_aiohttp_run(url, seconds, connections, method, body, headers))


async def _aiohttp_run(url: str, seconds: float, connections: int, method: str, body: str | None,
                       headers: dict[str, str]) -> Result:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    data = body.encode() if body is not None else None

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                async with session.request(method, url, data=data, headers=headers) as response:
                    await response.read()
                    if response.status >= 300:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))]

    return Result(len(latencies) / elapsed, pct(50), pct(95), pct(99), errors, "aiohttp")


def report(label: str, result: Result) -> str:
    return (f"{label:<28} {result.rps:>9.0f} req/s   p50 {result.p50:6.2f} ms   "
            f"p95 {result.p95:6.2f} ms   p99 {result.p99:6.2f} ms   errors {result.errors}"
            f"   ({result.tool})")


if __name__ == "__main__":
    print(report(sys.argv[1], run(sys.argv[1])))
