"""IMAP over TLS to the address intake checked (``PinnedImap``): the certificate is still
verified against the mailbox's host name, so pinning the address costs no authentication."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.intake.mailbox_reader import PinnedImap

HOST = "imap.corp.example"


def certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for ``HOST`` and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Just enough IMAP for a client's hello: the greeting and its CAPABILITY."""
    writer.write(b"* OK IMAP4rev1 ready\r\n")
    await writer.drain()
    tag = (await reader.readline()).split()[0]
    writer.write(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK done\r\n")
    await writer.drain()
    await reader.read()


@pytest.fixture
async def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[int]:
    """A TLS IMAP greeter on 127.0.0.1 whose certificate names ``HOST``, trusted as a CA."""
    cert_file, key_file = certificate(tmp_path)
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert_file, key_file)
    default: Callable[..., ssl.SSLContext] = ssl.create_default_context

    def trusting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = default(*args, **kwargs)
        context.load_verify_locations(cert_file)
        return context

    monkeypatch.setattr(ssl, "create_default_context", trusting)
    listening = await asyncio.start_server(greet, "127.0.0.1", 0, ssl=served)
    yield listening.sockets[0].getsockname()[1]
    listening.close()


async def test_the_checked_address_is_reached_and_the_certificate_verified_for_the_host(
    server: int,
) -> None:
    client = PinnedImap("127.0.0.1", HOST, server, timeout=5)

    await client.wait_hello_from_server()

    assert client.get_state() == "NONAUTH"
    client.protocol.transport.close()


async def test_a_certificate_for_another_name_is_refused(server: int) -> None:
    client = PinnedImap("127.0.0.1", "other.example", server, timeout=5)

    with pytest.raises(ssl.SSLCertVerificationError, match=r"other\.example"):
        await client._client_task
