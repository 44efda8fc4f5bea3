"""The shared store of signatures seen within their replay window: a signed request is taken
once per body. The same key with the same body is the sender's retry; with another body it is
a replay, refused; a key used with no body (a signature over the body) refuses every reuse."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from runtime.nonces import NonceStore, Replayed, Use
from tests.fakes import FakeDatabase

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def store() -> NonceStore:
    return NonceStore(FakeDatabase()["nonces"])  # type: ignore[arg-type]


async def test_a_key_seen_first_is_taken() -> None:
    nonces = store()

    assert await nonces.use("wechat|acme|1790000000|n1", NOW, b"<xml>first</xml>") is Use.FIRST


async def test_the_same_key_with_the_same_body_is_a_retry() -> None:
    nonces = store()
    await nonces.use("k", NOW, b"<xml>first</xml>")

    assert await nonces.use("k", NOW, b"<xml>first</xml>") is Use.RETRY
    assert await nonces.use("k", NOW, b"<xml>first</xml>") is Use.RETRY


async def test_the_same_key_with_another_body_is_a_replay() -> None:
    nonces = store()
    await nonces.use("k", NOW, b"<xml>first</xml>")

    with pytest.raises(Replayed):
        await nonces.use("k", NOW, b"<xml>second</xml>")
    assert await nonces.use("k", NOW, b"<xml>first</xml>") is Use.RETRY


async def test_keys_are_independent() -> None:
    nonces = store()
    await nonces.use("a", NOW, b"one")

    assert await nonces.use("b", NOW, b"two") is Use.FIRST


def test_a_key_names_every_part_unambiguously() -> None:
    key = NonceStore.key
    assert key("wechat", "acme", "1", "23") != key("wechat", "acme", "12", "3")
    assert key("wechat", "acme", "1", "2") != key("dingtalk", "acme", "1", "2")
