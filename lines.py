"""Command lines as SMTP and POP3 read them off a connection: each ends with a line feed
(CRLF, or a bare LF that the protocol may remark on), and a line longer than the protocol's
limit is drained to its end and answered once, never kept in memory.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LineTooLong:
    """A line over ``limit`` octets (its line feed counted), drained and not read."""

    limit: int


def take_line(buffer: bytearray, limit: int, draining: bool
              ) -> tuple[bytes | LineTooLong | None, bool]:
    """Cut one line and its line feed off ``buffer``: the line (a CR before the LF kept, for
    the protocol to judge), LineTooLong, or None while it is incomplete. ``draining`` says
    that the start of an over-long line was already dropped; the new state comes second."""
    end = buffer.find(b"\n")
    if end < 0:
        if len(buffer) > limit:
            del buffer[:]
            return None, True
        return None, draining
    line = bytes(buffer[:end])
    del buffer[: end + 1]
    if draining or len(line) + 1 > limit:
        return LineTooLong(limit), False
    return line, False
