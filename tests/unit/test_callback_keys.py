"""Channel credentials: a key that is not an AES key is refused when set, never a 500 later."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.intake.channel_config import ChannelConfigIn
from services.intake.wechat_crypto import (
    CallbackRefused,
    ChannelKeys,
    wechat_decrypt,
    wecom_decrypt,
    wecom_verify_url,
)

GOOD_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@pytest.mark.parametrize("key", ["!" * 43, "é" * 43, "a" * 42 + "=", " " * 43])
def test_an_encoding_aes_key_that_is_not_base64_is_refused_when_set(key: str) -> None:
    with pytest.raises(ValidationError, match="EncodingAESKey"):
        ChannelConfigIn.model_validate(
            {"token": "tok", "encoding_aes_key": key, "receiver_id": "wx1"}
        )


def test_a_base64_encoding_aes_key_is_taken() -> None:
    config = ChannelConfigIn.model_validate(
        {"token": "tok", "encoding_aes_key": GOOD_KEY, "receiver_id": "wx1"}
    )
    assert config.encoding_aes_key.get_secret_value() == GOOD_KEY


@pytest.mark.parametrize("key", ["!" * 43, "é" * 43, "a" * 43])
def test_a_stored_key_that_is_no_aes_key_makes_callbacks_refusals(key: str) -> None:
    keys = ChannelKeys(token="tok", encoding_aes_key=key, receiver_id="wx1")
    body = b"<xml><Encrypt>abc</Encrypt></xml>"
    with pytest.raises(CallbackRefused):
        wecom_verify_url(keys, "\U000f3515\u00e9", "\u00ce:", "", "b\U000a3237")
    with pytest.raises(CallbackRefused):
        wecom_decrypt(keys, body, "sig", "1", "n")
    with pytest.raises(CallbackRefused):
        wechat_decrypt(keys, body, "sig", "1", "n")
