"""The addresses students type to reach the observer in class mode (``--host 0.0.0.0``).

A lab often has no internet, and a teacher's PC may have a VirtualBox or Hyper-V adapter too:
the addresses come from what this PC's resolver says about its own name and from the source
address a UDP socket would use towards each private network (connect() on UDP picks a route
and sends nothing). Private (RFC 1918) and link-local addresses come first; a campus that gives
its PCs public addresses gets those when there is no private one. Loopback never: no other PC
can reach it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket

# One address inside each private range (none a broadcast address, which connect() refuses):
# the route towards it tells the interface on that network.
_PROBES = ("192.168.254.254", "10.254.254.254", "172.16.254.254", "169.254.254.254")
MAX_ADDRESSES = 3  # a title bar and a status bar show no more
EVERY_INTERFACE = ("0.0.0.0", "::", "")


def addresses_to_type(host: str) -> tuple[str, ...]:
    """What a student enters as the SMTP server for an observer listening on ``host``: this
    PC's LAN addresses when it listens on every interface, ``host`` itself when that is
    reachable from other PCs, nothing on loopback."""
    if host in EVERY_INTERFACE:
        return lan_addresses()
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_loopback:
            return ()
    return () if host == "localhost" else (host,)


def lan_addresses() -> tuple[str, ...]:
    """This PC's IPv4 addresses that other PCs can reach, the likeliest first."""
    found = dict.fromkeys([*_routed_addresses(), *_named_addresses()])
    usable = [address for address in found if _reachable(address)]
    private = [address for address in usable if ipaddress.ip_address(address).is_private]
    return tuple((private or usable)[:MAX_ADDRESSES])


def _routed_addresses() -> list[str]:
    addresses = []
    for probe in _PROBES:
        with contextlib.suppress(OSError), \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.connect((probe, 9))  # the discard port; nothing is sent
            addresses.append(udp.getsockname()[0])
    return addresses


def _named_addresses() -> list[str]:
    with contextlib.suppress(OSError, UnicodeError):  # a Chinese PC name fails IDNA encoding
        return [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None,
                                                          socket.AF_INET)]
    return []


def _reachable(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (ip.is_loopback or ip.is_unspecified or ip.is_multicast or ip.is_reserved)
