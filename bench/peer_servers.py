"""The peers SMTP Observer is measured against, each run as its own process.

    python bench/peer_servers.py aiosmtpd-email | aiosmtpd-sink | discard

Each listens on a free loopback port and prints that port as its first line. In a process of
its own, a peer shares no interpreter lock with the benchmark's client, as the observer does.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys

from harness import LOOPBACK, stdlib_parse

DATA_SIZE_LIMIT = 64 * 1024 * 1024  # above the benchmark's largest message


class EmailParsingHandler:
    """aiosmtpd handler that decodes each message as a reader would: the comparable peer."""

    async def handle_DATA(self, server, session, envelope) -> str:
        stdlib_parse(envelope.content)
        return "250 OK"


async def serve_aiosmtpd(handler) -> None:
    from aiosmtpd.smtp import SMTP

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="aiosmtpd.bench", data_size_limit=DATA_SIZE_LIMIT),
        LOOPBACK, 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def serve_discard() -> None:
    """Read each connection to its end, then close it: the loopback limit, no protocol."""
    listener = socket.create_server((LOOPBACK, 0))
    print(listener.getsockname()[1], flush=True)
    buffer = memoryview(bytearray(1 << 20))
    while True:
        connection, _ = listener.accept()
        with connection:
            while connection.recv_into(buffer):
                pass


def main(kind: str) -> None:
    if kind == "discard":
        serve_discard()
    elif kind in ("aiosmtpd-email", "aiosmtpd-sink"):
        from aiosmtpd.handlers import Sink

        handler = EmailParsingHandler() if kind == "aiosmtpd-email" else Sink()
        asyncio.run(serve_aiosmtpd(handler))
    else:
        raise SystemExit(f"unknown peer {kind!r}")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):  # how the benchmark stops every server
        main(sys.argv[1])
