"""Which servers a tenant's mailbox may make intake connect to. Pure.

An admin sets a mailbox's host, and intake connects to it from inside its own network:
without a check, an admin could make intake reach the cloud's metadata service
(169.254.169.254), the store or anything else not on the internet. Only global unicast
addresses are allowed, unless the deployment allows internal ones
(``TRIPCARE_MAILBOX_ALLOW_PRIVATE_HOSTS``, for an IMAP server of its own network).
"""

from __future__ import annotations

import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def refused_address(address: str, *, allow_private: bool) -> str | None:
    """Why intake may not connect to this IP address, or None if it may."""
    if allow_private:
        return None
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):  # an IPv4 address inside: judged as itself
        ip = ip.ipv4_mapped or ip.sixtofour or ip
    kinds = {
        "link-local": ip.is_link_local,
        "loopback": ip.is_loopback,
        "unspecified": ip.is_unspecified,
        "multicast": ip.is_multicast,
        "reserved": ip.is_reserved,
        "private": ip.is_private,
        "not global": not ip.is_global,
    }
    return next((f"a {kind} address" for kind, refused in kinds.items() if refused), None)


def literal_address(host: str) -> str | None:
    """The IP address ``host`` is written as (``127.1`` and ``2130706433`` too, as the
    resolver reads them), or None for a name."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return None
