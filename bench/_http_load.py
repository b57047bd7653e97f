"""A small asyncio HTTP/1.1 load client (keep-alive, no dependencies).

`open_loop` sends requests at a fixed rate whatever the server does and
measures each latency from the moment the request was *due* to be sent, so
time spent waiting for a free connection counts (no coordinated omission).
`closed_loop` keeps `connections` requests in flight, like wrk; it is the
fallback when wrk cannot be installed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable


class Connection:
    def __init__(self, host: str, port: int, headers: dict[str, str]):
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        reused = self.writer is not None
        if self.writer is None or self.writer.is_closing() or self.reader.at_eof():
            # The server closes idle keep-alive connections (uvicorn after 5 s): reconnect.
            self.close()
            await self.open()
            reused = False
        try:
            return await self._post(path, body)
        except (ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError) as exc:
            if not reused or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                raise
            # Closed by the server while idle, before it read the request: send it again.
            self.close()
            await self.open()
            return await self._post(path, body)

    async def _post(self, path: str, body: bytes) -> tuple[int, bytes]:
        req = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.head}"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        self.writer.write(req)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(chunk[:-2])
            data = b"".join(parts)
        else:
            data = await self.reader.read()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None


def _result(latencies: list[float], statuses: Counter, seconds: float, sample: str) -> dict:
    lat = sorted(latencies)

    def pct(p: float) -> float:
        if not lat:
            return float("nan")
        return lat[min(len(lat) - 1, max(0, round(p / 100 * len(lat)) - 1))] * 1000

    return {
        "requests": len(lat),
        "seconds": seconds,
        "rps": len(lat) / seconds if seconds else 0.0,
        "p50": pct(50),
        "p75": pct(75),
        "p90": pct(90),
        "p99": pct(99),
        "max": lat[-1] * 1000 if lat else float("nan"),
        "statuses": dict(statuses),
        "sample": sample,
    }


async def _open_loop(host, port, path, headers, body: Callable[[], bytes], rate, seconds, pool):
    loop = asyncio.get_running_loop()
    # Last in, first out: the busiest connections stay warm, the others idle
    # (and are reopened when the server has closed them).
    idle: asyncio.LifoQueue[Connection] = asyncio.LifoQueue()
    conns = [Connection(host, port, headers) for _ in range(pool)]
    await asyncio.gather(*(c.open() for c in conns))
    for c in conns:
        idle.put_nowait(c)
    latencies: list[float] = []
    statuses: Counter = Counter()
    sample = ""
    n = int(rate * seconds)
    start = loop.time() + 0.2

    async def one(i: int) -> None:
        nonlocal sample
        due = start + i / rate
        payload = body()
        await asyncio.sleep(max(0.0, due - loop.time()))
        conn = await idle.get()
        try:
            status, data = await conn.post(path, payload)
        except (OSError, asyncio.IncompleteReadError) as exc:
            status, data = 599, repr(exc).encode()
            conn.close()
        finally:
            idle.put_nowait(conn)
        latencies.append(loop.time() - due)
        statuses[status] += 1
        if status != 201 and not sample:
            sample = f"{status} {data[:300].decode('utf-8', 'replace')}"

    await asyncio.gather(*(one(i) for i in range(n)))
    seconds_taken = loop.time() - start
    for c in conns:
        c.close()
    return _result(latencies, statuses, seconds_taken, sample)


def open_loop(host, port, path, headers, body, *, rate: float, seconds: float, pool: int = 50):
    """Send `rate` requests a second for `seconds`, over up to `pool` keep-alive connections."""
    return asyncio.run(_open_loop(host, port, path, headers, body, rate, seconds, pool))


async def _closed_loop(host, port, path, headers, body, connections, seconds):
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    statuses: Counter = Counter()
    sample = ""
    start = loop.time()
    end = start + seconds

    async def worker() -> None:
        nonlocal sample
        conn = Connection(host, port, headers)
        await conn.open()
        while loop.time() < end:
            payload = body()
            t0 = loop.time()
            try:
                status, data = await conn.post(path, payload)
            except (OSError, asyncio.IncompleteReadError) as exc:
                status, data = 599, repr(exc).encode()
                conn.close()
            latencies.append(loop.time() - t0)
            statuses[status] += 1
            if status != 201 and not sample:
                sample = f"{status} {data[:300].decode('utf-8', 'replace')}"
        conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return _result(latencies, statuses, loop.time() - start, sample)


def closed_loop(host, port, path, headers, body, *, connections: int, seconds: float):
    """Keep `connections` requests in flight for `seconds` (what wrk does)."""
    return asyncio.run(_closed_loop(host, port, path, headers, body, connections, seconds))
