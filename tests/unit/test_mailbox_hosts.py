"""A tenant's mailbox may not point intake at the inside of its own network: link-local
(cloud metadata), loopback, private, unspecified, multicast and reserved addresses are
refused, written as an address (422 at ``PUT``) or behind a name (at connect time),
unless ``TRIPCARE_MAILBOX_ALLOW_PRIVATE_HOSTS`` allows them (a local IMAP server)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from fastapi import FastAPI

from runtime.clock import FakeClock
from runtime.secret_box import SecretBox
from runtime.settings import DEV_SECRETS_KEY
from services.intake.config import IntakeSettings
from services.intake.domain.hosts import refused_address
from services.intake.mailbox import Mailboxes
from services.intake.mailbox_reader import imap_session
from tests.factories import T0
from tests.fakes import FakeDatabase
from tests.unit.test_gateway_keys import client, intake_replica, staff

INTERNAL = [
    "169.254.169.254",
    "127.0.0.1",
    "127.1",
    "2130706433",
    "10.0.0.5",
    "172.16.0.1",
    "192.168.1.1",
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "100.64.0.1",
]
MAILBOX: dict[str, Any] = {"port": 80, "tls": False, "username": "a", "password": "b"}


def desk(allow_private_hosts: bool = False) -> tuple[FastAPI, Mailboxes]:
    db = FakeDatabase()
    app = intake_replica(db, FakeClock(T0))
    mailboxes = Mailboxes(
        db,  # type: ignore[arg-type]
        app.state.intake.clock,
        SecretBox(DEV_SECRETS_KEY),
        allow_private_hosts=allow_private_hosts,
    )
    app.state.mailboxes = mailboxes
    return app, mailboxes


@pytest.mark.parametrize("host", INTERNAL)
async def test_a_mailbox_at_an_internal_address_is_refused_naming_the_host(host: str) -> None:
    app, mailboxes = desk()
    async with client(app) as http:
        answer = await http.put(
            "/v1/admin/mailboxes/ssrf", json={**MAILBOX, "host": host}, headers=staff()
        )

    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["detail"]] == [["body", "host"]]
    assert host not in answer.text
    assert await mailboxes.list("acme") == []


@pytest.mark.parametrize("host", ["93.184.216.34", "imap.acme-travel.example"])
async def test_a_mailbox_at_a_public_address_or_a_name_is_taken(host: str) -> None:
    app, _ = desk()
    async with client(app) as http:
        answer = await http.put(
            "/v1/admin/mailboxes/support", json={**MAILBOX, "host": host}, headers=staff()
        )

    assert answer.status_code == 201


async def test_internal_addresses_are_taken_where_the_setting_allows_them() -> None:
    app, _ = desk(allow_private_hosts=True)
    async with client(app) as http:
        answer = await http.put(
            "/v1/admin/mailboxes/local", json={**MAILBOX, "host": "127.0.0.1"}, headers=staff()
        )

    assert answer.status_code == 201


@pytest.mark.parametrize(
    "address",
    [
        "fe80::1",
        "::1",
        "fc00::1",
        "fd12:3456::1",
        "::",
        "ff02::1",
        "::ffff:127.0.0.1",
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254, the metadata service
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo of 10.0.0.1
    ],
)
def test_internal_ipv6_addresses_are_refused(address: str) -> None:
    assert refused_address(address, allow_private=False) is not None
    assert refused_address(address, allow_private=True) is None


def test_public_addresses_are_not_refused() -> None:
    assert refused_address("93.184.216.34", allow_private=False) is None
    assert refused_address("2606:2800:220:1:248:1893:25c8:1946", allow_private=False) is None


async def test_a_name_that_resolves_to_an_internal_address_is_not_connected_to() -> None:
    _, mailboxes = desk()
    config = mailboxes.config(
        await mailboxes.put(
            "acme",
            "support",
            {**MAILBOX, "host": "localhost", "folder": "INBOX", "poll_interval_s": 60.0},
        )
    )

    with pytest.raises(
        ConnectionError, match=r"localhost is not allowed: it resolves to a loopback"
    ):
        async with imap_session(config, allow_private_hosts=False):
            pass


def test_internal_hosts_are_refused_unless_the_setting_allows_them() -> None:
    assert IntakeSettings(service="intake").mailbox_allow_private_hosts is False


async def test_a_name_answering_anew_with_an_internal_address_is_not_connected_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: the name resolved to a public address when checked and to loopback when
    the IMAP client resolved it again to connect. Intake connects to the address it checked."""
    reached: list[str] = []

    async def greet(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        reached.append("loopback")
        writer.close()

    server = await asyncio.start_server(greet, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    loop = asyncio.get_running_loop()
    answers = iter(["93.184.216.34"])
    connect = loop.create_connection

    async def rebinding(host: str, port: int, **_: Any) -> list[Any]:
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    async def only_loopback_answers(*args: Any, **kwargs: Any) -> Any:
        if args[1] == "93.184.216.34":
            raise ConnectionRefusedError("public address: refused in the test")
        return await connect(*args, **kwargs)

    monkeypatch.setattr(loop, "getaddrinfo", rebinding)
    monkeypatch.setattr(loop, "create_connection", only_loopback_answers)
    _, mailboxes = desk()
    config = mailboxes.config(
        await mailboxes.put(
            "acme",
            "support",
            {
                **MAILBOX,
                "port": port,
                "host": "rebind.example",
                "folder": "INBOX",
                "poll_interval_s": 60.0,
            },
        )
    )
    async with server, asyncio.timeout(5):
        with pytest.raises(OSError, match="public address"):
            async with imap_session(config, allow_private_hosts=False):
                pass
    assert reached == []
